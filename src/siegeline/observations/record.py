"""Hold a simulation against an observation log: what each kind of report is compared with.

Every scored observation becomes a :class:`Target`: a window of dates, an observed interval
(``-inf``/``inf`` for censored ends) and an :class:`Observable`, a (replication, day) series
of the model reduced over the window by a sum (counts, litres) or a mean (levels). The model's
median, 50% and 90% bands are quantiles over replications of that window statistic; an
observation "falls in" a band when its interval overlaps the band (a point is a zero-width
interval). The observation models, kind by kind, are in docs/observations.md and in the
docstrings of the ``_<kind>_targets`` functions below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from siegeline.model.outputs import OUTPUT_BY_NAME
from siegeline.results.result import SimulationResult

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MIN_SUM_COVERAGE = 0.9  # share of a window's days the run must cover to compare a total
INF = float("inf")
TABLE_COLUMNS = ("kind", "lines", "start", "end", "place", "observable", "unit", "observed",
                 "obs_low", "obs_high", "censoring", "model_p05", "model_p25", "model_median",
                 "model_p75", "model_p95", "in_50", "in_90", "model_days", "confidence",
                 "source", "note")


@dataclass(frozen=True)
class RecordContext:
    """What the comparison needs to know about the scenario beyond the result itself."""

    convoy_corridors: tuple[str, ...] | None = None  # None: every corridor of the result
    retail_products: tuple[str, ...] | None = None  # None: gasoline and diesel, where present
    station_count: int | None = None  # None: station snapshots are not scored
    national_share: float = 1.0  # share of national imports the model's demand stands for

    @classmethod
    def from_scenario(cls, scenario, national_share: float = 1.0) -> RecordContext:
        """Convoy corridors, retail products and station count of a ``Scenario``."""
        retail = {p for s in scenario.city.sectors if s.retail for p in s.demand_litres_per_day}
        return cls(
            convoy_corridors=tuple(c.name for c in scenario.corridors
                                   if c.policy.mode == "convoy"),
            retail_products=tuple(p.name for p in scenario.products if p.name in retail),
            station_count=scenario.stations.count,
            national_share=national_share,
        )


@dataclass(frozen=True)
class Observable:
    """A model series (replication, day) and how it is reduced over a window."""

    name: str
    unit: str
    how: Literal["sum", "mean"]
    daily: Callable[[SimulationResult], np.ndarray]


@dataclass(frozen=True)
class Target:
    """One observation (or one monthly sum of observations) made comparable with the model."""

    kind: str
    lines: tuple[int, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    observable: Observable
    value: float
    low: float
    high: float
    place: str
    source: str
    confidence: str
    note: str = ""


@dataclass
class Record:
    """The comparison: one table row per target, the rows left out and why."""

    table: pd.DataFrame
    skipped: pd.DataFrame
    targets: list[Target] = field(default_factory=list)

    def coverage(self) -> pd.DataFrame:
        """Per kind: observations scored and the share inside the 50% and 90% bands."""
        t = self.table
        return (t.groupby("kind", sort=False)
                .agg(scored=("in_90", "size"), in_50=("in_50", "mean"), in_90=("in_90", "mean"))
                .reset_index())


# ---------------------------------------------------------------- observed intervals
def interval(value: float, low: float, high: float) -> tuple[float, float]:
    """The log's conventions as an interval: ``value=X, low=X`` is "at least X" → [X, inf);
    ``high=X`` without ``low`` is "up to X" → (-inf, X]; ``low``/``high`` is a range; a lone
    ``value`` is a point."""
    has = [not np.isnan(x) for x in (value, low, high)]
    lo = low if has[1] else (-INF if has[2] else value)
    hi = high if has[2] else (INF if has[1] else value)
    return float(lo), float(hi)


def censoring(low: float, high: float) -> str:
    if np.isnan(low):
        return "none"
    if np.isinf(low) and np.isinf(high):
        return "unknown"
    if np.isinf(high):
        return "lower bound"
    if np.isinf(low):
        return "upper bound"
    return "point" if low == high else "interval"


def _overlaps(lo: float, hi: float, band_lo: float, band_hi: float) -> bool:
    return bool(lo <= band_hi and hi >= band_lo)


# ---------------------------------------------------------------------- observables
def _summed(output: str, dim: str) -> Callable[[SimulationResult], np.ndarray]:
    return lambda r: r[output].astype(float).sum(dim).values


def delivered_total() -> Observable:
    return Observable("delivered_litres (all products)", "L", "sum",
                      _summed("delivered_litres", "product"))


def tankers_lost() -> Observable:
    return Observable("tankers_lost (all corridors)", "tanker", "sum",
                      _summed("tankers_lost", "corridor"))


def convoys_arrived(ctx: RecordContext) -> Observable:
    """``convoys_arrived`` summed over corridors where the model has it; otherwise the number of
    (corridor, day) pairs with deliveries on convoy corridors, one arrival per such day."""
    if "convoys_arrived" in OUTPUT_BY_NAME:
        return Observable("convoys_arrived (all corridors)", "convoy", "sum",
                          _summed("convoys_arrived", "corridor"))

    def days_with_deliveries(r: SimulationResult) -> np.ndarray:
        da = r["delivered_by_corridor_litres"]
        if ctx.convoy_corridors is not None:
            da = da.sel(corridor=list(ctx.convoy_corridors))
        return (da > 0).sum("corridor").values.astype(float)

    return Observable("days with deliveries on convoy corridors (stand-in for convoys_arrived)",
                      "convoy", "sum", days_with_deliveries)


def informal_price(products: Sequence[str]) -> Observable:
    label = products[0] if len(products) == 1 else "mean of " + ", ".join(products)
    return Observable(f"informal_price ({label})", "FCFA/L", "mean",
                      lambda r: r["informal_price"].sel(product=list(products))
                      .mean("product").values)


def electricity_hours() -> Observable:
    return Observable("electricity_hours", "h/day", "mean",
                      lambda r: r["electricity_hours"].astype(float).values)


def station_share(count: int, product: str | None) -> Observable:
    if product is None:
        return Observable("stations_open / station count", "share", "mean",
                          lambda r: r["stations_open"].astype(float).values / count)
    return Observable(f"stations_open_by_product ({product}) / station count", "share", "mean",
                      lambda r: r["stations_open_by_product"].sel(product=product)
                      .astype(float).values / count)


def disruption_share() -> Observable:
    return Observable("disruption (share of days)", "share", "mean",
                      lambda r: r["disruption"].astype(float).values)


# ------------------------------------------------------------------ kind → targets
Skip = tuple[int, str, str]  # line, kind, reason


def _target(row, observable: Observable, lo: float, hi: float, note: str = "",
            value: float | None = None) -> Target:
    end = row.end_date if not pd.isna(row.end_date) else row.date
    return Target(str(row.kind), (int(row.line),), row.date, end, observable,
                  float(row.value if value is None else value), lo, hi, str(row.place),
                  str(row.source), str(row.confidence), note)


def _is_bamako(row) -> bool:
    return "bamako" in str(row.place).lower()


def _has_number(row) -> bool:
    return not (np.isnan(row.value) and np.isnan(row.low) and np.isnan(row.high))


def _imports_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                     ) -> tuple[list[Target], list[Skip]]:
    """Period totals of litres imported (national, by customs or the minister) vs litres
    delivered to the city's depots summed over the same window. The observed interval is
    multiplied by ``ctx.national_share`` (1 when the model's demand is national, as in
    bamako-2025). Rows without an end date (one convoy's load, a stock) are not period totals."""
    targets, skipped = [], []
    for row in log.itertuples():
        if pd.isna(row.end_date):
            skipped.append((row.line, "imports", "a single delivery or stock, not a period total"))
            continue
        lo, hi = interval(row.value, row.low, row.high)
        share = ctx.national_share
        note = f"national total x {share:g}"
        if row.confidence == "low":
            note += "; low confidence (official series that conflicts with others)"
        targets.append(_target(row, delivered_total(), lo * share, hi * share, note,
                               value=row.value * share))
    return targets, skipped


def _convoy_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                    ) -> tuple[list[Target], list[Skip]]:
    """Counts of secured convoys over a period (the unit names convoys) vs convoys arriving,
    summed over the window. Single-convoy reports give tankers, not convoys, and are left out."""
    targets, skipped = [], []
    for row in log.itertuples():
        if pd.isna(row.end_date) or "convoys" not in str(row.unit) or not _has_number(row):
            skipped.append((row.line, "convoy_arrival", "not a count of convoys over a period"))
            continue
        lo, hi = interval(row.value, row.low, row.high)
        targets.append(_target(row, convoys_arrived(ctx), lo, hi))
    return targets, skipped


_DESTROYED = re.compile(r"burn|destroy|torch|set on fire", re.IGNORECASE)
_NOT_LOSSES = re.compile(r"\bin (attacked |escorted )*convoy|count not|not counted",
                         re.IGNORECASE)


def _counts_losses(row) -> bool:
    unit = str(row.unit)
    return _has_number(row) and bool(_DESTROYED.search(unit)) and not _NOT_LOSSES.search(unit)


def choose_event_rows(events: pd.DataFrame) -> pd.DataFrame:
    """One row per attack event (same date and corridor): among the event's rows that count
    destroyed tankers, the most confident, then the first in the log. An event with no such row
    keeps one row with no number (it adds an unknown count). Column ``counted`` says which."""
    frame = events.assign(counted=[_counts_losses(r) for r in events.itertuples()],
                          rank=events["confidence"].cat.codes)
    frame = frame.sort_values(["counted", "rank", "line"], ascending=[False, False, True],
                              kind="stable")
    return frame.drop_duplicates(["date", "corridor"]).sort_values("line").drop(columns="rank")


def _month_target(month: pd.Period, chosen: pd.DataFrame) -> Target:
    lo = hi = value = 0.0
    for row in chosen.itertuples():
        if row.counted:
            a, b = interval(row.value, row.low, row.high)
            lo, hi = lo + max(a, 0.0), hi + b
            value += row.value if not np.isnan(row.value) else max(a, 0.0)
        else:
            hi = INF
    unknown = int((~chosen["counted"]).sum())
    note = (f"{len(chosen)} events ({unknown} without a count), one row each, "
            "'at least' values as lower bounds")
    return Target("attack", tuple(int(x) for x in chosen["line"]), month.start_time.normalize(),
                  month.end_time.normalize(), tankers_lost(), value, lo, hi,
                  "all reported attacks in the month",
                  "; ".join(sorted(set(map(str, chosen["source"])))),
                  str(chosen["confidence"].min()), note)


def _attack_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                    ) -> tuple[list[Target], list[Skip]]:
    """Tankers destroyed per calendar month: the sum over distinct events (one row per event,
    :func:`choose_event_rows`) vs tankers_lost summed over the month. Rows with an end date are
    cumulative or multi-event totals: never summed, each is compared as a lower bound of the
    model's losses over its own window (a source counts only the attacks it knows of)."""
    targets: list[Target] = []
    single = log[log["end_date"].isna()]
    chosen = choose_event_rows(single)
    for month, rows in chosen.groupby(chosen["date"].dt.to_period("M")):
        targets.append(_month_target(month, rows))
    skipped = [(int(x), "attack", "another row of the same event was chosen")
               for x in sorted(set(single["line"]) - set(chosen["line"]))]
    for row in log[log["end_date"].notna()].itertuples():
        lo, _ = interval(row.value, row.low, row.high)
        targets.append(_target(row, tankers_lost(), lo, INF,
                               "cumulative or multi-event row: a lower bound over its window"))
    return targets, skipped


_PER_VOLUME = re.compile(r"per (\d+(?:\.\d+)?) ?L\b")


def litres_per_unit(unit: str) -> float | None:
    """Litres one priced unit holds: 1 for "FCFA per litre", 1.5 for "FCFA per 1.5 L bottle",
    20 for "FCFA per 20 L can"; None for other currencies or units (%, GNF)."""
    if not unit.startswith("FCFA"):
        return None
    if "per litre" in unit:
        return 1.0
    m = _PER_VOLUME.search(unit)
    return float(m.group(1)) if m else None


def _retail(ctx: RecordContext, result: SimulationResult) -> tuple[str, ...]:
    have = [str(p) for p in result["product"].values]
    wanted = ctx.retail_products or ("gasoline", "diesel")
    return tuple(p for p in wanted if p in have) or tuple(have)


def _price_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                   ) -> tuple[list[Target], list[Skip]]:
    """Bamako informal prices converted to FCFA per litre (bottle and can prices divided by
    their volume) vs the simulated informal price: of gasoline when the unit or note says
    gasoline, else the unweighted mean over retail products, averaged over the window."""
    targets, skipped = [], []
    for row in log.itertuples():
        litres = litres_per_unit(str(row.unit))
        if not _is_bamako(row):
            skipped.append((row.line, "price_informal", "not a Bamako price"))
        elif litres is None or not _has_number(row):
            skipped.append((row.line, "price_informal", f"unit {row.unit!r} is not FCFA per "
                            "litre or per a known volume"))
        else:
            text = f"{row.unit} {row.note}".lower()
            has_gasoline = "gasoline" in result["product"].values
            products = ("gasoline",) if "gasoline" in text and has_gasoline else _retail(
                ctx, result)
            lo, hi = interval(row.value, row.low, row.high)
            note = "" if litres == 1 else f"FCFA per {litres:g} L divided by {litres:g}"
            targets.append(_target(row, informal_price(products), lo / litres, hi / litres,
                                   note, value=row.value / litres))
    return targets, skipped


def _power_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                   ) -> tuple[list[Target], list[Skip]]:
    """Bamako hours of electricity per day vs electricity_hours (window mean). A figure in hours
    of power cut becomes hours of supply, 24 - x."""
    targets, skipped = [], []
    for row in log.itertuples():
        if not _is_bamako(row) or not _has_number(row):
            skipped.append((row.line, "power_hours", "not a Bamako figure with a number"))
            continue
        lo, hi = interval(row.value, row.low, row.high)
        note = ""
        if "cut" in str(row.unit):
            lo, hi = max(24 - hi, 0.0), min(24 - lo, 24.0)
            note = "hours of cut turned into hours of supply (24 - x)"
        targets.append(_target(row, electricity_hours(), lo, hi, note,
                               value=24 - row.value if note else row.value))
    return targets, skipped


# Wording of Bamako's qualitative station reports → share of stations open (first match wins).
STATION_PHRASES: tuple[tuple[str, tuple[float, float]], ...] = (
    ("nearly all stations out", (0.0, 0.2)),
    ("stations visited to find one open", (0.05, 0.3)),  # one in 7-8, one resident's search
    ("some stations open", (0.05, 0.5)),
    ("many stations still closed", (0.2, 0.6)),
    ("many reopened", (0.3, 0.8)),
    ("vast majority", (0.7, 1.0)),
)


def station_interval(unit: str) -> tuple[float, float] | None:
    text = unit.lower()
    return next((iv for phrase, iv in STATION_PHRASES if phrase in text), None)


def _station_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                     ) -> tuple[list[Target], list[Skip]]:
    """Bamako station snapshots mapped to an interval of the share of stations open
    (:data:`STATION_PHRASES`) vs stations_open / station count on that day; a report about
    gasoline only uses the stations that have gasoline."""
    targets, skipped = [], []
    for row in log.itertuples():
        iv = station_interval(str(row.unit))
        if not _is_bamako(row) or iv is None or ctx.station_count is None:
            why = ("station count unknown" if ctx.station_count is None else
                   "not a Bamako report" if not _is_bamako(row) else "no interval for its wording")
            skipped.append((row.line, "stations_open", why))
            continue
        product = "gasoline" if "gasoline" in str(row.unit) else None
        targets.append(_target(row, station_share(ctx.station_count, product), *iv,
                               f"wording mapped to [{iv[0]:g}, {iv[1]:g}]",
                               value=float("nan")))
    return targets, skipped


def _school_targets(log: pd.DataFrame, ctx: RecordContext, result: SimulationResult
                    ) -> tuple[list[Target], list[Skip]]:
    """A closure window vs the share of its days the model flags disruption (observed: 1); a
    reopening day (the unit says resumed or reopened) vs the flag on that day (observed: 0)."""
    targets, skipped = [], []
    for row in log.itertuples():
        unit = str(row.unit).lower()
        if not pd.isna(row.end_date):
            targets.append(_target(row, disruption_share(), 1.0, 1.0, "closed every day",
                                   value=1.0))
        elif "resum" in unit or "reopen" in unit:
            targets.append(_target(row, disruption_share(), 0.0, 0.0, "reopened", value=0.0))
        else:
            skipped.append((row.line, "school_closure", "neither a closure window nor a "
                            "reopening"))
    return targets, skipped


MAPPINGS: dict[str, Callable[..., tuple[list[Target], list[Skip]]]] = {
    "imports": _imports_targets,
    "convoy_arrival": _convoy_targets,
    "attack": _attack_targets,
    "price_informal": _price_targets,
    "power_hours": _power_targets,
    "stations_open": _station_targets,
    "school_closure": _school_targets,
}


# ---------------------------------------------------------------------- comparison
def window_values(result: SimulationResult, target: Target) -> tuple[np.ndarray, int] | None:
    """Per replication, the observable reduced over the target's window clipped to the run,
    with the number of days covered; None when the run does not cover enough of it."""
    dates = pd.DatetimeIndex(result["date"].values)
    inside = (dates >= target.start) & (dates <= target.end)
    covered = int(inside.sum())
    length = (target.end - target.start).days + 1
    if covered == 0 or (target.observable.how == "sum" and covered < MIN_SUM_COVERAGE * length):
        return None
    daily = target.observable.daily(result)[:, inside]
    stat = daily.sum(axis=1) if target.observable.how == "sum" else daily.mean(axis=1)
    return stat, covered


def _row(target: Target, stat: np.ndarray, covered: int) -> dict[str, object]:
    q = np.quantile(stat, QUANTILES)
    return {
        "kind": target.kind, "lines": ",".join(map(str, target.lines)),
        "start": target.start.date(), "end": target.end.date(), "place": target.place,
        "observable": target.observable.name, "unit": target.observable.unit,
        "observed": target.value, "obs_low": target.low, "obs_high": target.high,
        "censoring": censoring(target.low, target.high),
        "model_p05": q[0], "model_p25": q[1], "model_median": q[2], "model_p75": q[3],
        "model_p95": q[4],
        "in_50": _overlaps(target.low, target.high, q[1], q[3]),
        "in_90": _overlaps(target.low, target.high, q[0], q[4]),
        "model_days": covered, "confidence": target.confidence, "source": target.source,
        "note": target.note,
    }


def targets_for(log: pd.DataFrame, result: SimulationResult, ctx: RecordContext
                ) -> tuple[list[Target], list[Skip]]:
    """Every kind's targets (in :data:`MAPPINGS` order) and the rows left out."""
    targets, skipped = [], []
    for kind, mapping in MAPPINGS.items():
        t, s = mapping(log[log["kind"] == kind], ctx, result)
        targets += t
        skipped += s
    return targets, skipped


def compare(result: SimulationResult, log: pd.DataFrame,
            ctx: RecordContext | None = None) -> Record:
    """Hold ``result`` against the observation ``log`` (from :func:`load_log`)."""
    targets, skipped = targets_for(log, result, ctx or RecordContext())
    rows, kept = [], []
    for target in targets:
        window = window_values(result, target)
        if window is None:
            skipped += [(n, target.kind, "outside the simulated days") for n in target.lines]
            continue
        rows.append(_row(target, *window))
        kept.append(target)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    skipped_frame = pd.DataFrame(sorted(set(skipped)), columns=["line", "kind", "reason"])
    return Record(table, skipped_frame, kept)
