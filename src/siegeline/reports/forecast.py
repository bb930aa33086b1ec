"""A forecast as Plotly figures (for the HTML report and the dashboard) and as the report's
section: per observable kind a fan chart, the model before the origin in grey and the forecast
after it in blue, the reported values overlaid and the origin marked; the probability of a
stockout by product after the origin; and the table over the forecast window.

The numbers are the forecast's own (``forecast.core``: the quantile table and the stockout
curves; ``forecast.observed``: the reports in each series' units), as in the PNGs of
``siegeline forecast``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from siegeline.forecast.core import SERIES, Forecast
from siegeline.forecast.observed import ObservedPoint, observed_points
from siegeline.reports.figures import (
    DATE_AXIS,
    PRODUCT_COLOURS,
    RUN_COLOURS,
    Figure,
    _base_layout,
    _rgba,
)

HISTORY_COLOUR = "#8c8c8c"
ORIGIN_COLOUR = "#c0392b"
BANDS = (("p05", "p95", "90% band", 0.15), ("p25", "p75", "50% band", 0.3))


def _fan(rows: pd.DataFrame, colour: str, name: str, group: str, weekly: bool
         ) -> list[dict[str, Any]]:
    """90% and 50% bands and the median of ``rows`` (a slice of the forecast's table); weekly
    totals as steps over the week ending at each date."""
    dates = list(rows["date"])
    if weekly and dates:  # a step holds over the 7 days ending at its date: the first's start
        dates = [dates[0] - dt.timedelta(7), *dates]
    x = [str(d) for d in dates]

    def y(column: str) -> list[float]:
        values = [float(v) for v in rows[column]]
        return values[:1] + values if weekly and values else values

    shape = "vh" if weekly else "linear"
    traces = []
    for lo, hi, label, alpha in BANDS:
        edge = {"x": x, "type": "scatter", "mode": "lines", "legendgroup": group,
                "line": {"width": 0, "shape": shape}, "hoverinfo": "skip", "showlegend": False}
        traces += [{**edge, "y": y(lo)},
                   {**edge, "y": y(hi), "fill": "tonexty", "fillcolor": _rgba(colour, alpha),
                    "name": f"{name} {label}", "showlegend": True}]
    traces.append({"x": x, "y": y("p50"), "type": "scatter", "mode": "lines",
                   "name": f"{name} median", "legendgroup": group,
                   "line": {"color": colour, "width": 2.2, "shape": shape}})
    return traces


def _observed_traces(points: list[ObservedPoint]) -> list[dict[str, Any]]:
    """Reports up to the origin filled, after it hollow; a window's weekly rate also as a line
    across the window; an "at least" value as an upward triangle."""
    traces = []
    for after, name in ((False, "reported, up to the origin"), (True, "reported, after it")):
        chosen = [p for p in points if p.after == after]
        if not chosen:
            continue
        segments: dict[str, list[Any]] = {"x": [], "y": []}
        for p in chosen:
            if p.window:
                segments["x"] += [str(p.start.date()), str(p.end.date()), None]
                segments["y"] += [p.value, p.value, None]
        if segments["x"]:
            traces.append({**segments, "type": "scatter", "mode": "lines", "hoverinfo": "skip",
                           "line": {"color": "black", "width": 1.2}, "showlegend": False,
                           "legendgroup": name, "connectgaps": False})
        levels = [not p.window for p in chosen]
        traces.append({
            "x": [str(p.mid.date()) for p in chosen], "y": [p.value for p in chosen],
            "type": "scatter", "mode": "markers", "name": name, "legendgroup": name,
            "marker": {"color": "white" if after else "black", "size": 8,
                       "symbol": ["triangle-up" if p.high is None else "circle"
                                  for p in chosen],
                       "line": {"color": "black", "width": 1.5}},
            "error_y": {"type": "data", "symmetric": False, "color": "black", "thickness": 1,
                        "array": [(p.high - p.value) if lv and p.high is not None else 0
                                  for p, lv in zip(chosen, levels, strict=True)],
                        "arrayminus": [(p.value - p.low) if lv else 0
                                       for p, lv in zip(chosen, levels, strict=True)]},
            "text": [f"{p.start.date()} – {p.end.date()}: {p.value:,.3g}"
                     + (" (at least)" if p.high is None else "") + f"<br>{p.source}"
                     for p in chosen],
            "hoverinfo": "text"})
    return traces


def add_origin(figure: Figure, origin: dt.date) -> Figure:
    """A dashed vertical line at the forecast origin, labelled above the plot."""
    layout = figure["layout"]
    layout["shapes"] = [*layout.get("shapes", []), {
        "type": "line", "xref": "x", "yref": "paper", "x0": str(origin), "x1": str(origin),
        "y0": 0, "y1": 1, "layer": "above",
        "line": {"color": ORIGIN_COLOUR, "width": 1.5, "dash": "dash"}}]
    layout["annotations"] = [*layout.get("annotations", []), {
        "x": str(origin), "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom",
        "xanchor": "left", "showarrow": False, "text": f"forecast origin {origin}",
        "font": {"color": ORIGIN_COLOUR, "size": 11}}]
    return figure


def forecast_figures(fc: Forecast, log: pd.DataFrame | None = None,
                     national_share: float = 1.0) -> dict[str, Figure]:
    """``forecast-<kind>`` per observable kind, then ``forecast-stockout``."""
    observed = observed_points(fc, log, national_share)
    out: dict[str, Figure] = {}
    for s in SERIES:
        rows = fc.table[fc.table["kind"] == s.kind]
        if rows.empty:
            continue
        dates = pd.to_datetime(rows["date"]).dt.date
        weekly = s.how == "week"
        traces = (_fan(rows[dates <= fc.origin], HISTORY_COLOUR, "model before the origin",
                       "history", weekly)
                  + _fan(rows[dates > fc.origin], RUN_COLOURS[0], "forecast", "forecast",
                         weekly)
                  + _observed_traces(observed.get(s.kind, [])))
        per = " (weekly totals)" if weekly else ""
        unit = fc.result.price_unit if s.kind == "price_informal" else s.unit  # the currency's
        layout = _base_layout(f"{s.label[0].upper()}{s.label[1:]}{per}: forecast from "
                              f"{fc.origin}", unit, DATE_AXIS)
        out[f"forecast-{s.kind}"] = add_origin({"data": traces, "layout": layout}, fc.origin)
    out["forecast-stockout"] = add_origin(stockout_figure(fc), fc.origin)
    return out


def stockout_figure(fc: Forecast) -> Figure:
    """P(stockout that day) by product after the origin."""
    x = [str(d) for d in fc.stockout.index]
    traces = [{"x": x, "y": [float(v) for v in fc.stockout[product]], "type": "scatter",
               "mode": "lines", "name": str(product),
               "line": {"width": 2, "color": PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)]}}
              for i, product in enumerate(fc.stockout.columns)]
    layout = _base_layout(f"P(stockout that day) by product after {fc.origin}", "probability",
                          DATE_AXIS)
    layout["yaxis"].update({"range": [0, 1.02], "tickformat": ".0%"})
    return {"data": traces, "layout": layout}


def _number(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"


def horizon_rows(fc: Forecast) -> list[list[str]]:
    """The table over the forecast window: what, statistic, unit, median, 50% and 90% bands
    (a probability of a stockout as a percentage)."""
    rows = []
    for r in fc.horizon_summary().itertuples():
        if r.kind == "stockout":
            rows.append([r.what, r.statistic, r.unit, f"{r.p50:.0%}", "", ""])
        else:
            rows.append([r.what, r.statistic, r.unit, _number(r.p50),
                         f"{_number(r.p25)} – {_number(r.p75)}",
                         f"{_number(r.p05)} – {_number(r.p95)}"])
    return rows


HORIZON_HEADER = ("what", "statistic", "unit", "median", "50% band", "90% band")
