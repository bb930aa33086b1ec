"""The reported values drawn over a forecast's fan charts, in each series' own units: the numbers
behind both the command's PNGs (``forecast.plots``, Matplotlib) and the report's and dashboard's
Plotly figures (``reports.forecast``)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from siegeline.forecast.core import SERIES, Forecast
from siegeline.observations.record import RecordContext, Target, targets_for

HOW = {s.kind: s.how for s in SERIES}


@dataclass(frozen=True)
class ObservedPoint:
    """One report as a series value: a window total as its weekly rate across the window
    (``window``: drawn from ``start`` to ``end``), a level at the window's middle. ``low`` and
    ``high`` bound it (``high`` None: "at least" ``low``, censored above); ``after``: reported
    for a day past the origin (out of sample)."""

    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    mid: pd.Timestamp
    value: float
    low: float
    high: float | None
    window: bool
    after: bool
    source: str


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(x)


def _point(t: Target, weekly: bool, scale: float, origin: dt.date) -> ObservedPoint:
    days = (t.end - t.start).days + 1
    factor = (7.0 / days if weekly else 1.0) * scale
    lo = t.low * factor if _finite(t.low) else 0.0
    hi = t.high * factor if _finite(t.high) else None
    # An interval only: its middle, or its lower end when it is open above.
    middle = (lo + hi) / 2 if hi is not None else lo
    value = t.value * factor if _finite(t.value) else middle
    return ObservedPoint(t.kind, t.start, t.end, t.start + (t.end - t.start) / 2, value, lo, hi,
                         weekly and days > 1, t.start.date() > origin, t.source)


def observed_points(fc: Forecast, log: pd.DataFrame | None, national_share: float = 1.0
                    ) -> dict[str, list[ObservedPoint]]:
    """Per series kind, the log's reports that end within a week before the series' first date
    or later, and start before its last, in the series' units."""
    if log is None or fc.table.empty:
        return {}
    ctx = RecordContext.from_scenario(fc.scenario, national_share)
    targets, _ = targets_for(log, fc.result, ctx)
    scales = {"imports": 1e-6}  # the series is in million litres (stations: both shares)
    out: dict[str, list[ObservedPoint]] = {}
    for t in targets:
        rows = fc.table[fc.table["kind"] == t.kind]
        if t.kind not in HOW or rows.empty:
            continue
        first = pd.Timestamp(min(rows["date"])) - pd.Timedelta(days=7)
        last = pd.Timestamp(max(rows["date"]))
        if t.end >= first and t.start <= last:
            point = _point(t, HOW[t.kind] == "week", scales.get(t.kind, 1.0), fc.origin)
            out.setdefault(t.kind, []).append(point)
    return out
