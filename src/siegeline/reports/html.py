"""One self-contained HTML report of a stored run: Plotly.js inlined, figures embedded as JSON,
the map, the headline table, the run's parameters and the scenario's sources. It opens offline."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

import siegeline
from siegeline.reports.assets import plotly_js
from siegeline.reports.figures import (
    FAN_VARIABLES,
    Figure,
    fan_chart,
    stockout_chart,
    variable_items,
)
from siegeline.reports.maps import corridor_flows, network_map
from siegeline.results.result import NEVER, SimulationResult
from siegeline.results.store import ResultStore
from siegeline.scenario.loader import validate_scenario

SUMMARY_LABELS = {
    "cover_days": "Days of cover",
    "p_stockout_by_day": "P(stockout by day)",
    "stations_open": "Stations open",
    "queue_wait_hours": "Queue wait (h)",
    "informal_price": "Informal price (FCFA/L)",
    "electricity_hours": "Electricity (h/day)",
    "tankers_lost_to_date": "Tankers lost to date",
    "delivered_litres_to_date": "Delivered to date (million L)",
}
REPORT_PRODUCTS = ("diesel", "gasoline")  # fans drawn per product for these, when present


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]],
           numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{_esc(v)}</td>' if i in numeric else f"<td>{_esc(v)}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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
        label = SUMMARY_LABELS.get(indicator, indicator) + (f": {item}" if item else "")
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
    """The report's figures keyed by the id of the element each is drawn in."""
    scenario = validate_scenario(scenario_data, "stored scenario")
    figures = {
        "map-flow": network_map(scenario, corridor_flows(result), "flow",
                                "Corridors: fuel delivered over the run (mean)"),
        "map-risk": network_map(scenario, None, "risk",
                                "Corridors: attack risk at the central intensity"),
    }
    for variable, title in FAN_VARIABLES:
        items = variable_items(result, variable)
        chosen = [p for p in REPORT_PRODUCTS if p in items] or items[:1] or [None]
        for item in chosen:
            key = f"fan-{variable}" + (f"-{item}" if item else "")
            figures[key] = fan_chart(result, variable, item, title)
    figures["stockout"] = stockout_chart(result)
    return figures


def _parameter_rows(scenario: dict[str, Any], metadata: dict[str, Any]) -> list[list[str]]:
    adv = scenario.get("adversary", {})
    sim = scenario.get("simulation", {})
    overrides = metadata.get("overrides", "[]")
    rows = [
        ["scenario", f"{scenario.get('name')}: {scenario.get('title', '')}"],
        ["start date", sim.get("start_date", "")],
        ["replications × days", f"{metadata.get('replications')} × {metadata.get('days')}"],
        ["seed / engine", f"{metadata.get('seed')} / {metadata.get('engine')}"],
        ["adversary intensity", json.dumps(adv.get("intensity"))],
        ["intensity growth per year", json.dumps(adv.get("growth_per_year"))],
        ["escort pool (units)", json.dumps(scenario.get("escorts", {}).get("pool_size"))],
        ["scenario hash", metadata.get("scenario_hash", "")],
        ["parameter overrides along replications", overrides],
    ]
    return rows


def render_report(result: SimulationResult, record: dict[str, Any]) -> str:
    """The report as one HTML string; ``record`` is ``ResultStore.run_record(run_id)``."""
    scenario = record["scenario"]
    meta = record["metadata"]
    figures = report_figures(result, scenario)
    chart_ids = [k for k in figures if not k.startswith("map-")]
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
    subtitle = (f"Run {record['run_id']} · {meta.get('replications')} replications × "
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
        parameters_table=_table(["parameter", "value"], _parameter_rows(scenario, meta)),
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


def write_report(run_id: str, path: str | os.PathLike[str],
                 store: ResultStore | None = None) -> Path:
    """Write the report of a stored run (id, unique prefix or 'latest') to ``path``."""
    store = store or ResultStore()
    record = store.run_record(run_id)
    result = store.load(record["run_id"])
    text = render_report(result, record)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
