// siegeline dashboard: talks to the HTTP API of the same server; every chart is a Plotly figure
// built by the server (the same figures as in the HTML reports).
"use strict";

const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { responsive: true, displaylogo: false };
const FAN_CHARTS = ["cover_days", "stations_open", "queue_wait_hours", "informal_price",
                    "electricity_hours", "convoys_weekly", "gate_litres", "attack_intensity"];
const PER_PRODUCT = new Set(["cover_days", "informal_price", "gate_litres"]);
const HIGHER_IS_BETTER = new Set(["cover_days", "stations_open", "electricity_hours",
                                  "delivered_litres_to_date"]);
const LABELS = {
  cover_days: "Days of cover", p_stockout_by_day: "P(stockout by day)",
  stations_open: "Stations open", queue_wait_hours: "Queue wait (h)",
  informal_price: "Informal price", electricity_hours: "Electricity (h/day)",
  tankers_lost_to_date: "Tankers lost to date",
  delivered_litres_to_date: "Delivered to date (million L)",
};
let controlDefaults = null;
let priceUnit = "FCFA/L";  // the shown run's currency per litre (its scenario's)

function label(indicator) {
  const text = LABELS[indicator] || indicator;
  return indicator === "informal_price" ? `${text} (${priceUnit})` : text;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(typeof body.detail === "string" ? body.detail : response.statusText);
    error.status = response.status;
    error.detail = body.detail;
    throw error;
  }
  return body;
}

function draw(id, figure) {
  return Plotly.react($(id), figure.data, figure.layout, PLOT_CONFIG);
}

function fmt(value, indicator) {
  if (value === null || value === undefined) return "";
  if (indicator === "p_stockout_by_day") return (100 * value).toFixed(0) + "%";
  if (indicator === "delivered_litres_to_date") value /= 1e6;
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en") : value.toFixed(1);
}

function showErrors(messages, listId = "errors") {
  $(listId).replaceChildren(...messages.map((m) => {
    const li = document.createElement("li");
    li.textContent = m;
    return li;
  }));
}

function clearErrors() {
  for (const id of ["errors", "run-errors"]) showErrors([], id);
}

// Any rejected promise of a user action ends up on screen, in the list next to what was done.
function reportTo(listId) {
  return (error) => showErrors(errorMessages(error), listId);
}

function errorMessages(error) {
  if (Array.isArray(error.detail)) {
    return error.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`);
  }
  return [error.message];
}

// ---------------------------------------------------------------- scenario and controls
function intensityText(value, scale) {
  const mul = (x) => +(x * scale).toPrecision(3);
  if (Array.isArray(value)) return `intensity ${mul(value[0])}–${mul(value[1])}`;
  if (value && typeof value === "object") return `intensity ${mul(value.low)}–${mul(value.high)}`;
  return `intensity ${mul(value)}`;
}

async function loadScenario(name) {
  const [controls, scenarios] = await Promise.all([
    api(`/api/scenarios/${encodeURIComponent(name)}/controls`), api("/api/scenarios")]);
  controlDefaults = controls;
  $("forecast-from").value = "";  // another scenario: its own default origin
  const info = scenarios.find((s) => s.name === name);
  $("scenario-title").textContent = info ? info.title : "";
  $("escort-pool").value = controls.escort_pool;
  $("days").value = Math.min(controls.horizon_days, 730);
  $("seed").value = controls.seed;
  const levels = controls.rationing_levels;
  $("rationing-start").value = levels.length ? Math.max(...levels) : 7;
  updateIntensity();
}

function updateIntensity() {
  const scale = parseFloat($("intensity").value);
  $("intensity-value").textContent = `×${scale.toFixed(1)}`;
  if (controlDefaults) {
    $("intensity-hint").textContent = `attack ${intensityText(controlDefaults.intensity, scale)}`;
  }
}

function numberOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

// Only what differs from the scenario: a control at its scenario value is no change.
function controlsFromForm() {
  const controls = {};
  const scale = parseFloat($("intensity").value);
  if (scale !== 1) controls.intensity_scale = scale;
  const pool = numberOrNull("escort-pool");
  if (pool !== null && (!controlDefaults || pool !== controlDefaults.escort_pool)) {
    controls.escort_pool = pool;
  }
  const mode = $("convoy-mode").value;
  if (mode) controls.convoy_mode = mode;
  const interval = numberOrNull("convoy-interval");
  if (interval !== null) controls.convoy_interval_days = interval;
  const escorts = numberOrNull("escorts-per-convoy");
  if (escorts !== null) controls.escorts_per_convoy = escorts;
  const rationing = $("rationing").value;
  if (rationing === "off") controls.rationing = false;
  if (rationing === "start") controls.rationing_start_cover_days = numberOrNull("rationing-start");
  return controls;
}

// ---------------------------------------------------------------- runs
// The run bar when the store has no run yet: say so, colour the map by risk (there is no flow
// to show), and offer no download or comparison.
function showEmptyStore(empty) {
  $("no-runs").hidden = !empty;
  $("downloads").hidden = empty;
  for (const id of ["run-a", "run-b", "compare-btn"]) $(id).disabled = empty;
  const flow = document.querySelector("input[name=map-colour][value=flow]");
  flow.disabled = empty;
  const toolbar = flow.closest(".toolbar");
  if (empty) {
    document.querySelector("input[name=map-colour][value=risk]").checked = true;
    toolbar.dataset.riskForEmptyStore = "1";
  } else if (toolbar.dataset.riskForEmptyStore) {  // the first run is in: back to the default
    flow.checked = true;
    delete toolbar.dataset.riskForEmptyStore;
  }
}

// Runs that failed, were cancelled or were interrupted by a server stop: they have no data, but
// they are not forgotten.
function showEndedRuns(ended) {
  $("ended-box").hidden = !ended.length;
  $("ended-list").replaceChildren(...ended.map((r) => element("li", `status-${r.status}`,
    `${r.created.slice(0, 19)} · ${r.replications}×${r.days}` + (r.label ? ` · ${r.label}` : "") +
    ` · …${r.run_id.slice(-8)}: ${r.status}` + (r.error ? ` (${r.error})` : ""))));
}

async function refreshRuns(selectA) {
  const { runs, ended } = await api("/api/runs");
  showEmptyStore(!runs.length);
  showEndedRuns(ended || []);
  for (const id of ["run-a", "run-b"]) {
    const select = $(id);
    const keep = select.value;
    select.replaceChildren(...runs.map((r) => {
      const option = document.createElement("option");
      option.value = r.run_id;
      option.textContent = `${r.created.slice(0, 19)} · ${r.replications}×${r.days}` +
        (r.label ? ` · ${r.label}` : "") + ` · …${r.run_id.slice(-8)}`;
      return option;
    }));
    if (keep && runs.some((r) => r.run_id === keep)) select.value = keep;
  }
  if (selectA) $("run-a").value = selectA;
  if (runs.length > 1 && $("run-b").value === $("run-a").value) $("run-b").selectedIndex = 1;
  return runs;
}

function mapColour() {
  return document.querySelector("input[name=map-colour]:checked").value;
}

function fillProducts(products) {
  const select = $("product");
  if (select.options.length) return;
  select.replaceChildren(...products.map((p) => new Option(p, p)));
  select.value = products[0];
}

function summaryTable(table, rows, columns) {
  table.replaceChildren();
  const head = table.insertRow();
  for (const c of columns) {
    const th = document.createElement("th");
    th.textContent = c;
    head.appendChild(th);
  }
  for (const cells of rows) {
    const tr = table.insertRow();
    for (const cell of cells) {
      const td = tr.insertCell();
      td.textContent = cell.text;
      if (cell.cls) td.className = cell.cls;
    }
  }
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// The run's timeline: one item per dated change, its number as on the charts' markers; entries
// after the run's last day are listed, greyed, since no chart marks them.
function showTimeline(entries, regimes, metadata) {
  $("timeline-box").hidden = !entries.length && !regimes.length;
  const last = new Date(metadata.start_date);
  last.setUTCDate(last.getUTCDate() + Number(metadata.days) - 1);
  const lastDay = last.toISOString().slice(0, 10);
  const inRun = entries.filter((e) => e.date <= lastDay).length;
  $("timeline-title").textContent = `Timeline: ${entries.length} dated changes` +
    (inRun < entries.length ? ` (${inRun} within this run)` : "");
  $("timeline-list").replaceChildren(...entries.map((e) => {
    const li = element("li", e.date > lastDay ? "after-run" : "");
    li.value = e.number;
    const head = element("div", "when");
    head.append(element("b", "", e.date), ` · day ${e.day}`);
    if (e.note) head.append(" — ", element("span", "", e.note));
    li.append(head, element("pre", "changes", e.changes.join("\n")));
    if (e.source) li.append(element("div", "source", `source: ${e.source}`));
    return li;
  }));
  $("regimes").textContent = regimes.length ? "Campaign regimes: " + regimes.map((r) =>
    `${r.regime} (intensity ×${r.intensity_multiplier}, mean ${r.mean_duration_days} days` +
    (r.role ? `; ${r.role}` : "") + ")").join(" · ") : "";
}

// "corridors.X.policy.mode=convoy" for every corridor reads as one change, not one per corridor.
function describeChanges(overrides, corridors) {
  const perCorridor = new Map();
  const other = [];
  for (const text of overrides) {
    const m = /^corridors\.([^.=]+)\.(.+)$/.exec(text);
    if (m && corridors.includes(m[1])) {
      if (!perCorridor.has(m[2])) perCorridor.set(m[2], []);
      perCorridor.get(m[2]).push(m[1]);
    } else {
      other.push(text);
    }
  }
  const grouped = [...perCorridor].map(([change, names]) =>
    names.length === corridors.length ? `every corridor: ${change}` :
      `${names.join(", ")}: ${change}`);
  return [...other, ...grouped];
}

async function showRun(runId) {
  const enc = encodeURIComponent(runId);
  const meta = await api(`/api/runs/${enc}`);
  const products = JSON.parse(meta.metadata.products || "[]");
  priceUnit = `${meta.metadata.currency || "FCFA"}/L`;
  fillProducts(products);
  const product = $("product").value;
  const overrides = JSON.parse(meta.metadata.scenario_overrides || "[]");
  const changes = describeChanges(overrides, JSON.parse(meta.metadata.corridors || "[]"));
  $("run-summary").textContent = `Run ${meta.run_id}` + (meta.label ? ` “${meta.label}”` : "") +
    `: ${meta.metadata.scenario_name}, ${meta.metadata.replications} replications × ` +
    `${meta.metadata.days} days from ${meta.metadata.start_date}, seed ${meta.metadata.seed}` +
    ` · ${changes.length ? "changes: " + changes.join("; ") : "the scenario as packaged"}`;
  showTimeline(meta.timeline, meta.regimes, meta.metadata);
  for (const [id, fmtName] of [["dl-parquet", "parquet"], ["dl-csv", "csv"],
                               ["dl-summary", "summary.csv"]]) {
    $(id).href = `/api/runs/${enc}/download?format=${fmtName}`;
  }
  const charts = FAN_CHARTS.map(async (name) => {
    const query = PER_PRODUCT.has(name) ? `?item=${encodeURIComponent(product)}` : "";
    draw(`chart-${name}`, await api(`/api/runs/${enc}/charts/${name}${query}`));
  });
  charts.push(api(`/api/runs/${enc}/charts/stockout`).then((f) => draw("chart-stockout", f)));
  charts.push(api(`/api/runs/${enc}/map?colour_by=${mapColour()}`).then((f) => draw("map", f)));
  charts.push(api(`/api/runs/${enc}/summary`).then(({ summary }) => {
    const days = [...new Set(summary.map((r) => r.day))];
    const groups = new Map();
    for (const r of summary) {
      const key = label(r.indicator) + (r.item ? `: ${r.item}` : "");
      if (!groups.has(key)) groups.set(key, {});
      groups.get(key)[r.day] = fmt(r.median, r.indicator);
    }
    summaryTable($("summary"), [...groups].map(([k, v]) =>
      [{ text: k }, ...days.map((d) => ({ text: v[d] }))]),
    ["median", ...days.map((d) => `day ${d}`)]);
  }));
  await Promise.all(charts);
  $("charts").dataset.runId = meta.run_id;
  await refreshComparison();
}

const ENDED_BADLY = new Set(["failed", "cancelled", "interrupted"]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Poll the run's progress until it ends. While the server does not answer (restarting), keep
// asking for a minute and say so, instead of freezing on "Failed to fetch".
async function waitForRun(runId) {
  $("progress-box").hidden = false;
  $("cancel-btn").hidden = false;
  $("cancel-btn").dataset.runId = runId;
  let unreachableSince = null;
  try {
    for (;;) {
      let state;
      try {
        state = await api(`/api/runs/${encodeURIComponent(runId)}/progress`);
        unreachableSince = null;
      } catch (error) {
        if (error.status) throw error;  // the server answered with an error
        unreachableSince = unreachableSince || Date.now();
        if (Date.now() - unreachableSince > 60_000) throw new Error("the server does not answer");
        $("progress-text").textContent = "the server does not answer; retrying…";
        await sleep(1000);
        continue;
      }
      $("progress").value = state.fraction;
      $("progress-text").textContent = `${state.status}: day ${state.days_done}/${state.days}`;
      if (state.status === "done") return;
      if (ENDED_BADLY.has(state.status)) {
        throw new Error(`run ${state.status}` + (state.error ? `: ${state.error}` : ""));
      }
      await sleep(300);
    }
  } finally {
    $("cancel-btn").hidden = true;
  }
}

async function cancelRun() {
  const runId = $("cancel-btn").dataset.runId;
  if (!runId) return;
  $("cancel-btn").disabled = true;
  try {
    await api(`/api/runs/${encodeURIComponent(runId)}`, { method: "DELETE" });
  } catch (error) {
    showErrors(errorMessages(error));
  } finally {
    $("cancel-btn").disabled = false;
  }
}

async function startRun(event) {
  event.preventDefault();
  clearErrors();
  $("progress").value = 0;
  $("progress-text").textContent = "";
  const body = {
    scenario: $("scenario").value,
    replications: numberOrNull("reps"),
    days: numberOrNull("days"),
    seed: numberOrNull("seed"),
    label: $("label").value,
    controls: controlsFromForm(),
  };
  $("run-btn").disabled = true;
  try {
    const job = await api("/api/runs", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    await waitForRun(job.run_id);
    await refreshRuns(job.run_id);
    await showRun(job.run_id);
  } catch (error) {
    showErrors(errorMessages(error));
    refreshRuns().catch(() => {});  // a failed or cancelled run joins the list of ended runs
  } finally {
    $("run-btn").disabled = false;
  }
}

// ---------------------------------------------------------------- comparison
// Once shown, the comparison follows the choices above it (runs A and B, the product); it is
// never left showing runs or a product no longer chosen.
async function refreshComparison() {
  if ($("comparison").hidden) return;
  const a = $("run-a").value;
  const b = $("run-b").value;
  if (!a || !b || a === b) {
    $("comparison").hidden = true;
    delete $("comparison").dataset.pair;
    return;
  }
  await compareRuns();
}

async function compareRuns() {
  const a = $("run-a").value;
  const b = $("run-b").value;
  if (!a || !b) return showErrors(["choose two runs to compare"], "run-errors");
  const q = `a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
  const product = encodeURIComponent($("product").value);
  $("comparison").hidden = false;
  const result = await api(`/api/compare?${q}`);
  await Promise.all([
    api(`/api/compare/charts/stockout?${q}`).then((f) => draw("cmp-stockout", f)),
    api(`/api/compare/charts/cover_days?${q}&item=${product}`)
      .then((f) => draw("cmp-cover_days", f)),
    api(`/api/compare/charts/informal_price?${q}&item=${product}`)
      .then((f) => draw("cmp-informal_price", f)),
    api(`/api/compare/charts/electricity_hours?${q}`)
      .then((f) => draw("cmp-electricity_hours", f)),
  ]);
  const rows = result.table.map((r) => {
    let cls = "";
    if (r.median_diff) {
      const better = HIGHER_IS_BETTER.has(r.indicator) ? r.median_diff > 0 : r.median_diff < 0;
      cls = better ? "better" : "worse";
    }
    return [{ text: label(r.indicator) + (r.item ? `: ${r.item}` : "") }, { text: r.day },
            { text: fmt(r.median_a, r.indicator) }, { text: fmt(r.median_b, r.indicator) },
            { text: fmt(r.median_diff, r.indicator), cls }];
  });
  summaryTable($("cmp-table"), rows, ["indicator", "day", `A ${result.a.label}`,
                                      `B ${result.b.label}`, "B − A"]);
  $("comparison").dataset.pair = `${result.a.run_id}|${result.b.run_id}`;
  $("comparison").dataset.product = $("product").value;
}

// ---------------------------------------------------------------- events
async function loadEvents() {
  const trend = await api("/api/events/trend?period=month");
  if (!trend.available) return;
  $("events-panel").hidden = false;
  $("events-note").textContent = `${trend.total.toLocaleString("en")} events from ` +
    `${trend.first_date} to ${trend.last_date} (siegeline events ingest).`;
  draw("events-chart", trend.figure);
}

// ---------------------------------------------------------------- planning
function num(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString("en", { maximumFractionDigits: digits });
}

function planQuery() {
  const problem = $("plan-problem").value;
  const params = new URLSearchParams({ scenario: $("scenario").value });
  if (problem !== "route") params.set("budget", $("plan-budget").value);
  if (problem === "escorts") params.set("escorts", $("plan-escorts").value);
  if (problem === "interdiction") params.set("success", $("plan-success").value);
  return `/api/plan/${problem}?${params}`;
}

function planProblemChanged() {
  const problem = $("plan-problem").value;
  $("plan-budget-label").hidden = problem === "route";
  $("plan-escorts-label").hidden = problem !== "escorts";
  $("plan-success-label").hidden = problem !== "interdiction";
}

function planHeadline(problem, r) {
  const cut = r.attack.join(", ") || "nothing";
  const d = r.details;
  if (problem === "interdiction" && d.expected_max_flow) {
    const [low, high] = d.expected_max_flow.ci95;
    return `Attempting ${cut} leaves an expected ${num(r.objective)} of ${num(r.baseline)} ` +
      `tanker/day able to reach the city (95% interval ${num(low)}–${num(high)}; the attacks ` +
      `succeed with the attack model's chance). Cutting ${d.deterministic.attack.join(", ")} ` +
      `for certain would leave ${num(d.deterministic.max_flow)}, but is expected to leave ` +
      `${num(d.deterministic.expected_max_flow)}.`;
  }
  if (problem === "interdiction") {
    return `Cutting ${cut} leaves ${num(r.objective)} of ${num(r.baseline)} tanker/day able to ` +
      `reach the city (${num(100 * r.loss / (r.baseline || 1), 0)}% lost; normal demand ` +
      `${num(r.demand_tankers_per_day)} tanker/day).`;
  }
  if (problem === "escorts") {
    return `Escorting ${r.defence.join(", ") || "nothing"} keeps ${num(r.objective)} ` +
      `tanker/day reaching the city against the adversary's best reply (cut: ${cut}); ` +
      `without escorts the same budget leaves ${num(r.baseline)} (no attack: ` +
      `${num(d.no_attack_flow)}).`;
  }
  const ref = d.reference_loss === null ? "" :
    `, ${num(d.reference_loss, 3)} with the scenario's order shares`;
  return `Expected tankers lost per day: ${num(d.expected_loss, 3)} with the risk-aware ` +
    `allocation of ${num(d.demand)} tanker/day${ref}.`;
}

function planCheckText(problem, r) {
  const check = r.check;
  if (!check) return "–";
  let text = `${check.ok ? "ok" : "MISMATCH"}: NetworkX ${num(check.value, 4)}`;
  if (check.brute_force_value !== null) {
    text += `, brute force ${num(check.brute_force_value, 4)} over ` +
      `${check.brute_force_candidates.toLocaleString("en")} plans`;
  } else if (problem !== "route") {
    text += ` (brute force not run: over ${r.brute_force_limit.toLocaleString("en")} plans)`;
  }
  return text;
}

function showPlan(problem, r) {
  $("plan-headline").textContent = planHeadline(problem, r);
  const rows = [
    ["status", r.status], [`objective (${r.unit})`, num(r.objective, 4)],
    ["bound", num(r.bound, 4)], ["gap", r.gap === null ? "–" : `${(100 * r.gap).toFixed(4)}%`],
    ["solve time", `${num(r.time_s, 3)} s (limit ${r.time_limit_s} s)`],
    ["independent check", planCheckText(problem, r)],
  ];
  if (r.baseline !== null) {
    rows.splice(2, 0, [problem === "escorts" ? "without escorts" : "without attack",
                       num(r.baseline, 4)]);
  }
  summaryTable($("plan-summary"), rows.map(([k, v]) => [{ text: k }, { text: v }]),
               ["result", ""]);
  const routes = problem === "route" ? r.details.routes : [];
  summaryTable($("plan-routes"), routes.map((x) => [
    { text: x.route }, { text: num(x.km, 0) }, { text: num(x.loss_per_tanker, 4) },
    { text: num(x.tankers_per_day) }, { text: `${num(100 * x.share, 0)}%` },
    { text: num(x.expected_loss, 3) },
    { text: x.scenario_share === null ? "–" : `${num(100 * x.scenario_share, 0)}%` },
    { text: num(x.scenario_expected_loss, 3) }]),
  ["route", "km", "loss/tanker", "tanker/day", "share", "exp. loss/day", "scenario share",
   "scenario exp. loss/day"]);
  $("plan-routes").hidden = problem !== "route";
  const used = r.segments.filter((x) => x.flow > 1e-9 || x.attacked || x.defended);
  summaryTable($("plan-segments"), used.map((x) => [
    { text: x.segment }, { text: `${x.from} – ${x.to}` }, { text: num(x.length_km, 0) },
    { text: num(x.capacity_tankers_per_day, 0) }, { text: num(x.flow) },
    x.attacked ? { text: "attacked", cls: "attacked" } :
      x.defended ? { text: "escorted", cls: "defended" } : { text: "" }]),
  ["segment", "road", "km", "capacity (tanker/day)", "flow (tanker/day)", ""]);
  const drawn = [draw("plan-map", r.map)];
  $("plan-curve").hidden = problem !== "interdiction";
  if (problem === "interdiction") drawn.push(draw("plan-curve", r.curve_figure));
  else Plotly.purge($("plan-curve"));
  return Promise.all(drawn);
}

async function solvePlan(event) {
  event.preventDefault();
  showErrors([], "plan-errors");
  const problem = $("plan-problem").value;
  const query = planQuery();
  $("plan-btn").disabled = true;
  $("plan-status").textContent = "solving…";
  try {
    const result = await api(query);
    await showPlan(problem, result);
    $("plan-status").textContent = "";
    $("planning-panel").dataset.shown = query;
  } catch (error) {
    $("plan-status").textContent = "";
    showErrors(errorMessages(error), "plan-errors");
  } finally {
    $("plan-btn").disabled = false;
  }
}

// ---------------------------------------------------------------- forecast
async function showForecast(event) {
  event.preventDefault();
  showErrors([], "forecast-errors");
  const params = new URLSearchParams({ days: $("forecast-days").value,
                                       replications: $("forecast-reps").value });
  if ($("forecast-from").value) params.set("from", $("forecast-from").value);
  const name = encodeURIComponent($("scenario").value);
  $("forecast-btn").disabled = true;
  $("forecast-status").textContent = "simulating…";
  try {
    const f = await api(`/api/scenarios/${name}/forecast?${params}`);
    $("forecast-from").value = f.origin;
    $("forecast-note").textContent = `${f.scenario}: ${f.replications} replications from ` +
      `${f.origin} for ${f.days} days; ` +
      (f.observations ? `reports of ${f.observations} overlaid.` : "no reports overlaid.");
    const charts = $("forecast-charts");
    for (const div of charts.children) Plotly.purge(div);
    charts.replaceChildren(...Object.keys(f.figures).map((id) => {
      const div = element("div", "chart");
      div.id = id;
      return div;
    }));
    summaryTable($("forecast-table"), f.horizon.rows.map((row) => row.map((text) => ({ text }))),
                 f.horizon.header);
    await Promise.all(Object.entries(f.figures).map(([id, fig]) => draw(id, fig)));
    $("forecast-panel").dataset.shown = f.origin;
  } catch (error) {
    showErrors(errorMessages(error), "forecast-errors");
  } finally {
    $("forecast-status").textContent = "";
    $("forecast-btn").disabled = false;
  }
}

// ---------------------------------------------------------------- start
// A scenario folder's file that does not validate is listed, greyed out, with its problem.
function scenarioOption(info) {
  if (info.valid !== false) return new Option(info.name, info.name);
  const option = new Option(`${info.name} (invalid)`, info.name);
  option.disabled = true;
  option.title = info.error;
  return option;
}

async function init() {
  const scenarios = await api("/api/scenarios");
  $("scenario").replaceChildren(...scenarios.map(scenarioOption));
  await loadScenario($("scenario").value);
  const runs = await refreshRuns();
  if (runs.length) {
    await showRun($("run-a").value);
  } else {
    draw("map", await api(`/api/scenarios/${encodeURIComponent($("scenario").value)}/map`));
  }
  resumeActiveRun().catch(reportTo("errors"));
  loadEvents().catch(() => {});
  document.body.dataset.ready = "1";
}

// A run still queued or running when the page is opened (or reloaded) shows its progress and
// can be cancelled.
async function resumeActiveRun() {
  const { active } = await api("/api/runs");
  if (!active || !active.length || !$("cancel-btn").hidden) return;
  const runId = active[0].run_id;
  $("run-btn").disabled = true;
  try {
    await waitForRun(runId);
    await refreshRuns(runId);
    await showRun(runId);
  } catch (error) {
    showErrors(errorMessages(error));
    refreshRuns().catch(() => {});
  } finally {
    $("run-btn").disabled = false;
  }
}

function showRunA() {
  showErrors([], "run-errors");
  return showRun($("run-a").value).catch(reportTo("run-errors"));
}

$("forecast-form").addEventListener("submit", showForecast);
$("intensity").addEventListener("input", updateIntensity);
$("controls").addEventListener("submit", startRun);
$("cancel-btn").addEventListener("click", cancelRun);
$("compare-btn").addEventListener("click", () => {
  showErrors([], "run-errors");
  compareRuns().catch(reportTo("run-errors"));
});
$("run-a").addEventListener("change", showRunA);
$("run-b").addEventListener("change", () => refreshComparison().catch(reportTo("run-errors")));
$("product").addEventListener("change", showRunA);
$("scenario").addEventListener("change", () =>
  loadScenario($("scenario").value).catch(reportTo("errors")));
for (const radio of document.querySelectorAll("input[name=map-colour]")) {
  radio.addEventListener("change", () => $("run-a").value && showRunA());
}
$("plan-form").addEventListener("submit", solvePlan);
$("plan-problem").addEventListener("change", planProblemChanged);
init().catch((e) => showErrors(errorMessages(e)));
