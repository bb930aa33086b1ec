"""Plotly figures as plain JSON-ready dicts, shared by the dashboard (served by the API and drawn
with Plotly.react) and the self-contained HTML report (embedded as JSON).

Every figure is ``{"data": [...], "layout": {...}}``; no Plotly Python objects are built, so the
JSON is small and the same in both places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from siegeline.results.result import SimulationResult

Figure = dict[str, Any]

# (variable, title) of the dashboard's and the report's fan charts.
FAN_VARIABLES: tuple[tuple[str, str], ...] = (
    ("cover_days", "Days of cover in depots"),
    ("stations_open", "Filling stations open"),
    ("queue_wait_hours", "Mean queue wait at an open station"),
    ("informal_price", "Informal (street) price"),
    ("electricity_hours", "Hours of electricity per day"),
)
# (variable, title) of the new daily outputs' fan charts, in the report and the dashboard.
SUPPLY_VARIABLES: tuple[tuple[str, str], ...] = (
    ("gate_litres", "Fuel waiting at the city's gate"),
    ("attack_intensity", "Attack intensity (multiplier of every segment hazard)"),
    ("escort_pool", "Escort units in the pool"),
)
TITLES = dict(FAN_VARIABLES + SUPPLY_VARIABLES)
# What the y axis measures, in words (the outputs' units are terse: "day", "station", "-").
Y_TITLES = {
    "cover_days": "days of cover", "stations_open": "stations open",
    "queue_wait_hours": "hours of waiting",
    "electricity_hours": "hours per day", "gate_litres": "litres",
    "delivered_litres": "litres per day", "attack_intensity": "× segment hazard",
    "escort_pool": "escort units",
}
# Outputs that follow the convoys' rhythm day by day (a convoy every few days makes their median
# jump up and down): drawn as a 7-day centred mean, the daily median faint behind it.
SMOOTHED = frozenset({"stations_open", "queue_wait_hours", "electricity_hours"})
SMOOTHING_DAYS = 7
DATE_AXIS = "date"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TIMELINE_COLOUR = "#7a3e9d"
RUN_COLOURS = ("#1f5fa8", "#d9661f")  # run A, run B
PRODUCT_COLOURS = ("#1f5fa8", "#d9661f", "#4b8b3b", "#8e44ad", "#7f7f7f")
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


class FigureError(ValueError):
    """A figure asked for something the result does not have (unknown variable or item)."""


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _base_layout(title: str, y_title: str = "", x_title: str = "") -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 45, "b": 45},
        "hovermode": "x unified",
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e6e6e6", "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e6e6e6", "zeroline": False,
                  "rangemode": "tozero"},
        # Below the x axis's tick labels and title (dates take two lines of ticks).
        "legend": {"orientation": "h", "y": -0.34 if x_title else -0.18, "x": 0,
                   "yanchor": "top"},
    }


def _dates(result: SimulationResult) -> list[str]:
    return [str(d)[:10] for d in result.dataset["date"].values]


def variable_items(result: SimulationResult, variable: str) -> list[str]:
    """Coordinates of a variable's extra dimension (products, corridors, sectors), or []."""
    if variable not in result.dataset:
        raise FigureError(f"unknown output {variable!r}")
    extra = [d for d in result.dataset[variable].dims if d not in ("replication", "day")]
    return [str(c) for c in result.dataset[extra[0]].values] if extra else []


def default_item(result: SimulationResult, variable: str) -> str | None:
    items = variable_items(result, variable)
    if not items:
        return None
    return items[0]


def fan_quantiles(result: SimulationResult, variable: str, item: str | None = None,
                  q: Sequence[float] = QUANTILES) -> dict[str, Any]:
    """Quantile bands over replications of one daily series: ``{dates, unit, bands{q: [...]}}``."""
    items = variable_items(result, variable)
    da = result.dataset[variable].astype(float)
    if items:
        item = item or default_item(result, variable)
        if item not in items:
            raise FigureError(f"{variable} has no item {item!r}; choose from {', '.join(items)}")
        da = da.sel({da.dims[2]: item})
    elif item:
        raise FigureError(f"{variable} has no items (got {item!r})")
    values = np.quantile(da.values, list(q), axis=0)
    return {
        "variable": variable,
        "item": item,
        "unit": result.dataset[variable].attrs.get("unit", ""),
        "description": result.dataset[variable].attrs.get("description", ""),
        "dates": _dates(result),
        "bands": {f"{qq:g}": [round(float(v), 6) for v in row] for qq, row in zip(q, values,
                                                                               strict=True)},
    }


def rolling_mean(values: Sequence[float], days: int = SMOOTHING_DAYS) -> list[float]:
    """Centred moving mean over ``days`` days (shorter windows at the ends)."""
    series = pd.Series(values, dtype=float)
    smooth = series.rolling(days, center=True, min_periods=1).mean()
    return [round(float(v), 6) for v in smooth]


def _fan_traces(dates: list[str], bands: dict[str, list[float]], colour: str, name: str,
                group: str, smoothed: bool = False) -> list[dict[str, Any]]:
    """90% band, 50% band and median line; the band edges carry no hover text. ``smoothed``:
    bands and median as 7-day means, with the daily median as a faint line behind."""
    prefix = f"{name} " if name else ""
    daily: list[dict[str, Any]] = []
    if smoothed:
        daily = [{"x": dates, "y": bands["0.5"], "type": "scatter", "mode": "lines",
                  "line": {"color": _rgba(colour, 0.35), "width": 1},
                  "name": f"{prefix}median, each day", "legendgroup": group}]
        bands = {q: rolling_mean(v) for q, v in bands.items()}
    median_name = f"{prefix}median" + (f", {SMOOTHING_DAYS}-day mean" if smoothed else "")
    edge = {"x": dates, "type": "scatter", "mode": "lines", "line": {"width": 0},
            "hoverinfo": "skip", "showlegend": False, "legendgroup": group}
    return [
        {**edge, "y": bands["0.05"]},
        {**edge, "y": bands["0.95"], "fill": "tonexty", "fillcolor": _rgba(colour, 0.15),
         "name": f"{prefix}90% band", "showlegend": True},
        {**edge, "y": bands["0.25"]},
        {**edge, "y": bands["0.75"], "fill": "tonexty", "fillcolor": _rgba(colour, 0.3),
         "name": f"{prefix}50% band", "showlegend": True},
        *daily,
        {"x": dates, "y": bands["0.5"], "type": "scatter", "mode": "lines",
         "line": {"color": colour, "width": 2.2}, "name": median_name,
         "legendgroup": group},
    ]


def _fan_title(title: str, item: str | None) -> str:
    return f"{title} ({item})" if item else title


def fan_chart(result: SimulationResult, variable: str, item: str | None = None,
              title: str = "") -> Figure:
    """Fan chart (median, 50% and 90% bands over replications) of one daily output."""
    data = fan_quantiles(result, variable, item)
    title = _fan_title(title or TITLES.get(variable, variable), data["item"])
    traces = _fan_traces(data["dates"], data["bands"], RUN_COLOURS[0], "", "a",
                         variable in SMOOTHED)
    return {"data": traces, "layout": _base_layout(title, _y_title(variable, data["unit"]),
                                                   DATE_AXIS)}


def _y_title(variable: str, unit: str) -> str:
    if variable == "informal_price":  # the scenario's currency: "FCFA/L" -> "FCFA per litre"
        return unit.replace("/L", " per litre")
    return Y_TITLES.get(variable, unit)


def add_queue_cap(figure: Figure, max_wait_hours: float) -> Figure:
    """The queue-wait chart's cap: the model's motorists give up beyond ``max_wait_hours``."""
    return add_cap_line(figure, max_wait_hours, f"cap: motorists give up beyond "
                                                f"{max_wait_hours:g} h (stations.max_wait_hours)")


def add_cap_line(figure: Figure, value: float, text: str) -> Figure:
    """A dashed horizontal line at a value the model cannot exceed, named in the legend (so a
    flat top reads as the cap, not as missing data), and the y axis opened above it."""
    xs = [x for trace in figure["data"] for x in trace.get("x", []) if x is not None]
    if not xs:
        return figure
    figure["data"] = [*figure["data"], {
        "x": [min(xs), max(xs)], "y": [value, value], "type": "scatter", "mode": "lines",
        "name": text, "line": {"color": "#8c2d04", "dash": "dash", "width": 1.2},
        "hoverinfo": "name"}]
    figure["layout"]["yaxis"]["range"] = [0, value * 1.1]
    return figure


def comparison_fan_chart(a: SimulationResult, b: SimulationResult, variable: str,
                         item: str | None = None, labels: tuple[str, str] = ("A", "B"),
                         title: str = "") -> Figure:
    """Fans of two runs on one chart (run A blue, run B orange)."""
    traces = []
    unit = ""
    for result, colour, label, group in zip((a, b), RUN_COLOURS, labels, ("a", "b"),
                                            strict=True):
        data = fan_quantiles(result, variable, item)
        unit = data["unit"]
        traces += _fan_traces(data["dates"], data["bands"], colour, label, group,
                              variable in SMOOTHED)
    title = _fan_title(title or TITLES.get(variable, variable), item or default_item(a, variable))
    return {"data": traces, "layout": _base_layout(title, _y_title(variable, unit), DATE_AXIS)}


def weekly_convoys_chart(result: SimulationResult) -> Figure:
    """Convoys reaching the city per week (all corridors): median bar, 5%–95% whiskers. Weeks
    run from the start date; a last, shorter week is left out (it would read as a drop)."""
    daily = result.dataset["convoys_arrived"].values.sum(axis=2)  # (replication, day)
    weeks = max(result.days // 7, 1)
    days = min(weeks * 7, result.days)
    per_week = daily[:, :days].reshape(daily.shape[0], weeks, -1).sum(axis=2)
    low, median, high = np.quantile(per_week, [0.05, 0.5, 0.95], axis=0)
    starts = _dates(result)[:days:7][:weeks]
    bar = {"x": starts, "y": median.tolist(), "type": "bar",
           "name": "median (whiskers: 5%–95% of replications)",
           "marker": {"color": _rgba(RUN_COLOURS[0], 0.75)}, "xperiod": 7 * 86_400_000,
           "xperiodalignment": "middle",
           "error_y": {"type": "data", "array": (high - median).tolist(),
                       "arrayminus": (median - low).tolist(), "color": "#444", "width": 3},
           "hovertemplate": "week from %{x|%d %b}: median %{y:.0f} convoys<extra></extra>"}
    bar["showlegend"] = True
    layout = _base_layout("Convoys arriving per week (all corridors)", "convoys per week",
                          "week starting")
    return {"data": [bar], "layout": layout}


def _wrap(text: str, width: int = 70) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _hover_escape(text: str) -> str:
    """Plotly reads hover text as a subset of HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label_positions(dates: list[str], close_days: int = 4) -> list[str]:
    """Numbers of markers a few days apart lean away from each other instead of overlapping."""
    positions = ["top center"] * len(dates)
    days = [dt.date.fromisoformat(d) for d in dates]
    for i in range(1, len(days)):
        if (days[i] - days[i - 1]).days <= close_days:
            if positions[i - 1] == "top center":
                positions[i - 1] = "top left"
            positions[i] = "top right"
    return positions


def add_timeline_markers(figure: Figure, entries: Sequence[dict[str, Any]],
                         span: tuple[str, str] | None = None) -> Figure:
    """Mark each dated timeline entry within ``span`` (first and last ISO date; default: the
    figure's dates) on a time-series ``figure``: a dotted vertical line, its number (as in the
    timeline table) above the plot, and a marker whose hover text lists what changes.
    ``entries`` are ``TimelineRow.to_dict()`` rows."""
    xs = [x for trace in figure["data"] for x in trace.get("x", [])]
    if not (xs or span) or not entries:
        return figure
    first, last = span or (min(xs), max(xs))
    by_date: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        if first <= e["date"] <= last:
            by_date.setdefault(e["date"], []).append(e)
    if not by_date:
        return figure
    dates = sorted(by_date)
    labels, hovers = [], []
    for d in dates:
        group = by_date[d]
        labels.append(", ".join(str(e["number"]) for e in group))
        lines = []
        for e in group:
            lines.append(f"<b>{e['number']} · {d} (day {e['day']})</b>")
            lines += [_hover_escape(c) for c in e["changes"]]
            lines += [f"<i>{_hover_escape(w)}</i>" for w in _wrap(e.get("note", ""))]
        hovers.append("<br>".join(lines))
    layout = figure["layout"]
    layout["shapes"] = [*layout.get("shapes", []), *(
        {"type": "line", "xref": "x", "yref": "paper", "x0": d, "x1": d, "y0": 0, "y1": 1,
         "layer": "above", "opacity": 0.8,
         "line": {"color": TIMELINE_COLOUR, "width": 1.2, "dash": "dot"}}
        for d in dates)]
    # The markers sit on a hidden 0–1 axis over the plot, so they stay on its top edge whatever
    # the data's range.
    layout["yaxis2"] = {"overlaying": "y", "range": [0, 1], "visible": False,
                        "fixedrange": True}
    figure["data"] = [*figure["data"], {
        "x": dates, "y": [1.0] * len(dates), "yaxis": "y2", "type": "scatter",
        "mode": "markers+text", "text": labels, "textposition": _label_positions(dates),
        "textfont": {"size": 10, "color": TIMELINE_COLOUR}, "cliponaxis": False,
        "marker": {"symbol": "triangle-down", "size": 9, "color": TIMELINE_COLOUR},
        "name": "timeline change (numbered as in the table)", "hovertext": hovers,
        "hoverinfo": "text", "hoverlabel": {"align": "left"}}]
    return figure


def stockout_curves(result: SimulationResult) -> dict[str, list[float]]:
    """P(first stockout on or before each day): any product, then each product."""
    curves = {"any product": result.stockout_probability().tolist()}
    for prod in result.dataset["product"].values:
        curves[str(prod)] = result.stockout_probability(str(prod)).tolist()
    return curves


def stockout_chart(result: SimulationResult) -> Figure:
    """Any product as a wide grey line underneath, each product's line on top of it, so a
    product whose curve is the same as "any product" (the first to run dry) stays visible."""
    dates = _dates(result)
    traces = []
    for i, (name, p) in enumerate(stockout_curves(result).items()):
        line = ({"width": 7, "color": "rgba(34,34,34,0.28)"} if i == 0 else
                {"width": 2, "color": PRODUCT_COLOURS[(i - 1) % len(PRODUCT_COLOURS)],
                 "dash": ("solid", "dash", "dot", "dashdot")[(i - 1) % 4]})
        traces.append({"x": dates, "y": p, "type": "scatter", "mode": "lines", "name": name,
                       "line": line})
    layout = _base_layout("P(stockout by day)", "probability", DATE_AXIS)
    layout["yaxis"].update({"range": [0, 1.02], "tickformat": ".0%"})
    return {"data": traces, "layout": layout}


def comparison_stockout_chart(a: SimulationResult, b: SimulationResult,
                              labels: tuple[str, str] = ("A", "B")) -> Figure:
    traces = [{"x": _dates(r), "y": r.stockout_probability().tolist(), "type": "scatter",
               "mode": "lines", "name": f"{label}: any product",
               "line": {"width": 2.5, "color": colour}}
              for r, label, colour in zip((a, b), labels, RUN_COLOURS, strict=True)]
    layout = _base_layout("P(stockout by day), any product", "probability", DATE_AXIS)
    layout["yaxis"].update({"range": [0, 1.02], "tickformat": ".0%"})
    return {"data": traces, "layout": layout}


def comparison_table(a: SimulationResult, b: SimulationResult) -> pd.DataFrame:
    """Summary indicators of two runs side by side, with B − A of the medians.

    Checkpoint days are those both runs reach (30, 60, 90 and the shorter horizon).
    """
    horizon = min(a.days, b.days)
    checkpoints = sorted({d for d in (30, 60, 90, horizon) if d <= horizon})
    sa, sb = a.summary(checkpoints), b.summary(checkpoints)
    keys = ["indicator", "item", "day"]
    merged = sa.merge(sb, on=keys, how="outer", suffixes=("_a", "_b"))
    merged["median_diff"] = merged["median_b"] - merged["median_a"]
    return merged[keys + ["median_a", "p05_a", "p95_a", "median_b", "p05_b", "p95_b",
                          "median_diff"]]


def events_trend_chart(table: pd.DataFrame, title: str) -> Figure:
    """Event counts per period (rows) and group (columns) as stacked bars."""
    periods = [str(p) for p in table.index]
    traces = [{"x": periods, "y": [int(v) for v in table[col].values], "type": "bar",
               "name": str(col)} for col in table.columns]
    layout = _base_layout(title, "events")
    layout.update({"barmode": "stack", "hovermode": "x unified"})
    return {"data": traces, "layout": layout}
