"""One self-contained HTML report of a stored run: Plotly.js inlined, figures embedded as JSON,
the map, the headline table, the run's parameters and the scenario's sources. It opens offline."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

import siegeline
from siegeline.reports.assets import plotly_js
from siegeline.reports.figures import (
    FAN_VARIABLES,
    SUPPLY_VARIABLES,
    Figure,
    add_queue_cap,
    add_timeline_markers,
    fan_chart,
    stockout_chart,
    variable_items,
    weekly_convoys_chart,
)
from siegeline.reports.maps import corridor_flows, network_map
from siegeline.reports.timeline import format_value, regime_rows, timeline_rows
from siegeline.results.result import NEVER, SimulationResult
from siegeline.results.store import ResultStore
from siegeline.scenario.loader import ScenarioError, validate_scenario
from siegeline.scenario.schema import Scenario

SUMMARY_LABELS = {
    "cover_days": "Days of cover",
    "p_stockout_by_day": "P(stockout by day)",
    "stations_open": "Stations open",
    "queue_wait_hours": "Queue wait (h)",
    "informal_price": "Informal price ({price_unit})",
    "electricity_hours": "Electricity (h/day)",
    "tankers_lost_to_date": "Tankers lost to date",
    "delivered_litres_to_date": "Delivered to date (million L)",
}


VARIED_NONE = ("none: each replication draws every uncertain parameter from its range "
               "(`siegeline sweep` and `sensitivity` runs set some per replication instead)")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: Any) -> str:
    """Escaped cell text; a tuple or list is one line per item."""
    if isinstance(value, tuple | list):
        return "<br>".join(_esc(v) for v in value)
    return _esc(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]],
           numeric: Sequence[int] = (), css: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{_cell(v)}</td>' if i in numeric
                        else f"<td>{_cell(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    attr = f' class="{css}"' if css else ""
    return (f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table>")


def _fmt(value: float, indicator: str) -> str:
    if value != value:  # NaN
        return ""
    if indicator == "p_stockout_by_day":
        return f"{value:.0%}"
    if indicator == "delivered_litres_to_date":
        value /= 1e6
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def summary_table(result: SimulationResult) -> str:
    frame = result.summary()
    days = sorted(frame["day"].unique())
    rows = []
    for (indicator, item), group in frame.groupby(["indicator", "item"], sort=False):
        label = (SUMMARY_LABELS.get(indicator, indicator).format(price_unit=result.price_unit)
                 + (f": {item}" if item else ""))
        cells = []
        for d in days:
            r = group[group["day"] == d].iloc[0]
            band = ("" if r["p05"] != r["p05"] else
                    f" [{_fmt(r['p05'], indicator)} – {_fmt(r['p95'], indicator)}]")
            cells.append(_fmt(r["median"], indicator) + band)
        rows.append([label, *cells])
    return _table(["indicator", *[f"day {d}" for d in days]], rows,
                  numeric=range(1, len(days) + 1))


def stockout_text(result: SimulationResult) -> str:
    first = result.first_stockout_day()
    ran_out = first != NEVER
    if not ran_out.any():
        return f"No replication ran out of any product within {result.days} days."
    d = first[ran_out]
    return (f"First stockout (any product) in {ran_out.mean():.0%} of replications; median day "
            f"{np.median(d):.0f} (5%–95%: {np.quantile(d, 0.05):.0f}–{np.quantile(d, 0.95):.0f}).")


def losses_text(result: SimulationResult) -> str:
    t = result.totals()

    def med(col: str, scale: float = 1.0) -> str:
        return f"{np.median(t[col].values) / scale:,.0f}"

    return (f"Over {result.days} days (medians): {med('tankers_lost')} tankers lost, "
            f"{med('destroyed_litres', 1e6)} million L burned, {med('attacks')} attacks, "
            f"{med('drivers_kidnapped')} drivers kidnapped or killed, "
            f"{med('delivered_litres', 1e6)} million L delivered.")


def report_figures(result: SimulationResult, scenario_data: dict[str, Any]) -> dict[str, Figure]:
    """The report's figures keyed by the id of the element each is drawn in: the maps, then
    every time series (one fan per product where the output has products), each with the
    scenario's timeline marked on it."""
    scenario = validate_scenario(scenario_data, "stored scenario")
    figures = {
        "map-flow": network_map(scenario, corridor_flows(result), "flow",
                                "Corridors: fuel delivered over the run (mean)"),
        "map-risk": network_map(scenario, None, "risk",
                                "Corridors: attack risk at the central intensity"),
    }
    series: dict[str, Figure] = {}
    for variable, title in FAN_VARIABLES + SUPPLY_VARIABLES:
        if variable not in result.dataset:  # a run stored before the output existed
            continue
        for item in variable_items(result, variable) or [None]:
            key = f"fan-{variable}" + (f"-{item}" if item else "")
            series[key] = fan_chart(result, variable, item, title)
    if "fan-queue_wait_hours" in series:
        add_queue_cap(series["fan-queue_wait_hours"], scenario.stations.max_wait_hours)
    if "convoys_arrived" in result.dataset:
        series["convoys-weekly"] = weekly_convoys_chart(result)
    series["stockout"] = stockout_chart(result)
    dates = result.dataset["date"].values
    span = (str(dates[0])[:10], str(dates[-1])[:10])
    entries = [r.to_dict() for r in timeline_rows(scenario)]
    for figure in series.values():
        add_timeline_markers(figure, entries, span)
    return {**figures, **series}


def _uncertain(value: Any) -> str:
    return "" if value is None else format_value(value)


def _parameter_rows(scenario: dict[str, Any], metadata: dict[str, Any],
                    label: str) -> list[list[Any]]:
    adv = scenario.get("adversary", {})
    sim = scenario.get("simulation", {})
    changes = json.loads(metadata.get("scenario_overrides") or "[]")
    drawn = json.loads(metadata.get("overrides") or "[]")
    return [
        ["scenario", f"{scenario.get('name')}: {scenario.get('title', '')}"],
        ["label", label or "(none)"],
        ["changes to the scenario (path=value)", changes or "none"],
        ["parameters varied along replications", ", ".join(drawn) or VARIED_NONE],
        ["start date", sim.get("start_date", "")],
        ["replications × days", f"{metadata.get('replications')} × {metadata.get('days')}"],
        ["seed / engine", f"{metadata.get('seed')} / {metadata.get('engine')}"],
        ["adversary intensity", _uncertain(adv.get("intensity"))],
        ["intensity growth per year", _uncertain(adv.get("growth_per_year"))],
        ["escort pool (units)", _uncertain(scenario.get("escorts", {}).get("pool_size"))],
        ["scenario hash", metadata.get("scenario_hash", "")],
    ]


def timeline_section(scenario_data: dict[str, Any]) -> str:
    """The timeline table (numbered as the markers on the charts) and the campaign's regimes."""
    scenario = validate_scenario(scenario_data, "stored scenario")
    rows = timeline_rows(scenario)
    parts = []
    if rows:
        parts.append(_table(["#", "date", "day", "what changes", "note", "source"],
                            [[r.number, r.date.isoformat(), r.day, r.changes, r.note, r.source]
                             for r in rows], numeric=(0, 2), css="timeline"))
    else:
        parts.append("<p>No dated changes: the parameters hold for the whole horizon.</p>")
    regimes = regime_rows(scenario)
    if regimes:
        parts.append("<h3>Campaign regimes</h3>")
        parts.append(_table(["regime", "intensity ×", "mean duration (days)", "role"],
                            [list(r.values()) for r in regimes]))
    return "\n".join(parts)


@dataclass(frozen=True)
class ForecastOptions:
    """The report's forecast section: the run read past ``origin`` (None: the last date of
    data of the scenario's posterior, when it has one and the run goes past it) for ``days``
    (None: to the run's last day), with the reports of ``observations`` overlaid (a log file or
    packaged name; None: the scenario's log, else the posterior's; "none": no overlay)."""

    origin: dt.date | None = None
    days: int | None = None
    observations: str | None = None


def _note(text: str) -> str:
    return f'<section id="forecast"><h2>Forecast</h2><p class="note">{_esc(text)}</p></section>'


def _forecast_log(name: str | None, scenario: Scenario, explicit: bool) -> tuple[Any, str]:
    """The observation log overlaid and how the section names it; a log named by the
    scenario (or, for a scenario that names none, by its posterior) that cannot be read is left
    out (said so), one given explicitly is an error."""
    from siegeline.observations.log import ObservationLogError, load_log

    if name is None:
        name = scenario.observations or (scenario.posterior.observations
                                         if scenario.posterior is not None else None) or None
        if name is None:
            return None, "no observations overlaid (the scenario names no observation log)"
    if name == "none":
        return None, "no observations overlaid"
    try:
        return load_log(name), f"reports of the observation log {name} overlaid"
    except (ObservationLogError, FileNotFoundError) as exc:
        if explicit:
            raise
        return None, f"the scenario's observation log could not be read ({exc})"


def forecast_section(result: SimulationResult, scenario_data: dict[str, Any],
                     options: ForecastOptions) -> tuple[str, dict[str, Figure]]:
    """The section's HTML and its figures (none when there is no origin); ScenarioError for
    an origin or window the run does not cover, when they were asked for."""
    from siegeline.forecast.core import forecast_from_result
    from siegeline.reports.forecast import HORIZON_HEADER, forecast_figures, horizon_rows

    scenario = validate_scenario(scenario_data, "stored scenario")
    post = scenario.posterior
    origin = options.origin or (post.until if post is not None else None)
    if origin is None:
        return "", {}
    last = dt.date.fromisoformat(str(result.dataset["date"].values[-1])[:10])
    if options.origin is None and origin >= last:
        return _note(f"No forecast: the run ends on {last}, not after the last date of data of "
                     f"the scenario's posterior, {origin}; run more days, or give "
                     "--forecast-from DATE."), {}
    days = options.days or (last - origin).days
    try:
        fc = forecast_from_result(result, scenario, origin, days)
    except ScenarioError as exc:  # named by the report's options
        names = {"--from": "--forecast-from", "--days": "--forecast-days"}
        raise ScenarioError([(names.get(p, p), m) for p, m in exc.problems], "report") from None
    log, overlay = _forecast_log(options.observations, scenario, options.observations
                                 is not None)
    figures = forecast_figures(fc, log)
    why = ("the last date of data of the scenario's posterior" if options.origin is None
           else "as asked")
    params = (f"parameters from the posterior ({post.method or 'calibrated'})" if post
              else "parameters from the prior ranges (not calibrated)")
    divs = "\n".join(f'<div id="{_esc(k)}" class="chart"></div>' for k in figures)
    html_text = "\n".join([
        '<section id="forecast">', f"<h2>Forecast from {_esc(origin)} for {days} days</h2>",
        f'<p class="note">This run read past {_esc(origin)} ({_esc(why)}): '
        f"{result.replications} replications, {_esc(params)}; {_esc(overlay)} (filled: "
        "reported up to the origin, hollow: after it; a window's total as its weekly rate "
        "across the window, a triangle: \u201cat least\u201d). Grey: the model before the "
        "origin; blue: the forecast; dashed red line: the origin.</p>",
        f'<div class="grid">{divs}</div>',
        f"<h3>Over the forecast window ({_esc(origin)} to "
        f"{_esc(origin + dt.timedelta(days))})</h3>",
        _table(HORIZON_HEADER, horizon_rows(fc), numeric=(3, 4, 5)), "</section>"])
    return html_text, figures


def render_report(result: SimulationResult, record: dict[str, Any],
                  forecast: ForecastOptions | None = None) -> str:
    """The report as one HTML string; ``record`` is ``ResultStore.run_record(run_id)``."""
    scenario = record["scenario"]
    meta = record["metadata"]
    label = record.get("label", "")
    figures = report_figures(result, scenario)
    chart_ids = [k for k in figures if not k.startswith("map-")]
    forecast_html, forecast_figs = forecast_section(result, scenario,
                                                    forecast or ForecastOptions())
    figures.update(forecast_figs)
    policies = [[c["name"], c.get("policy", {}).get("mode", "free"),
                 c.get("policy", {}).get("interval_days", 1),
                 c.get("policy", {}).get("max_size", ""),
                 c.get("policy", {}).get("escorts_per_convoy", 0),
                 ", ".join(f"{k}: {v}" for k, v in c.get("fleet", {}).items())]
                for c in scenario.get("corridors", [])]
    rationing = [[lvl["below_cover_days"],
                  ", ".join(f"{k} {v:.0%}" for k, v in lvl.get("caps", {}).items())]
                 for lvl in scenario.get("city", {}).get("rationing", [])]
    sources = [[path, ref.get("source", ""), ref.get("confidence", ""), ref.get("fact") or "",
                ref.get("note", "")] for path, ref in sorted(scenario.get("sources", {}).items())]
    figures_json = json.dumps(figures, separators=(",", ":"), allow_nan=False)
    title = f"siegeline report: {scenario.get('title') or scenario.get('name')}"
    subtitle = (f"Run {record['run_id']}" + (f" “{label}”" if label else "") +
                f" · {meta.get('replications')} replications × "
                f"{meta.get('days')} days from {meta.get('start_date')} · seed {meta.get('seed')}"
                f" · created {meta.get('created', '')}")
    template = Template((resources.files("siegeline.reports") / "templates" / "report.html")
                        .read_text(encoding="utf-8"))
    return template.substitute(
        title=_esc(title),
        subtitle=_esc(subtitle),
        plotly_js=plotly_js(),
        summary_table=summary_table(result),
        stockout_text=_esc(stockout_text(result)),
        losses_text=_esc(losses_text(result)),
        chart_divs="\n".join(f'<div id="{_esc(k)}" class="chart"></div>' for k in chart_ids),
        forecast_section=forecast_html,
        timeline_section=timeline_section(scenario),
        parameters_table=_table(["parameter", "value"], _parameter_rows(scenario, meta, label)),
        policy_table=_table(["corridor", "mode", "interval (days)", "max size", "escorts/convoy",
                             "fleet"], policies, numeric=(2, 3, 4)),
        rationing_table=(_table(["applies below cover (days)", "caps (share of demand)"],
                                rationing) if rationing else "<p>No rationing.</p>"),
        scenario_json=_esc(json.dumps(scenario, indent=1, ensure_ascii=False)),
        sources_table=_table(["parameter", "source", "confidence", "fact", "note"], sources),
        # "</" would end the script element early; "<\/" is the same string to JSON.
        figures_json=figures_json.replace("</", "<\\/"),
        footer=_esc(f"Written by siegeline {siegeline.__version__} on "
                    f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}. Charts drawn "
                    "with Plotly.js, embedded in this file; it needs no network connection."),
    )


def write_report(run_id: str, path: str | os.PathLike[str], store: ResultStore | None = None,
                 forecast: ForecastOptions | None = None) -> Path:
    """Write the report of a stored run (id, unique prefix or 'latest') to ``path``."""
    store = store or ResultStore()
    record = store.run_record(run_id)
    runs = store.list_runs()
    labels = runs.loc[runs["run_id"] == record["run_id"], "label"]
    record["label"] = str(labels.iloc[0] or "") if len(labels) else ""
    result = store.load(record["run_id"])
    text = render_report(result, record, forecast)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
