"""A forecast is a run of the scenario (sampling its posterior when it has one) read past an
origin date: per observable kind, quantiles of a series over replications, weekly totals for
counts and litres, daily values for levels; and the daily probability of a stockout by product.

The model is not restarted from the state of the origin: the calibration conditions the
parameters on what was reported up to it, and the forecast is the run's continuation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siegeline.engines import simulate
from siegeline.results.result import SimulationResult
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Series:
    kind: str  # the observation kind it is compared with
    label: str
    unit: str
    how: str  # "week": 7-day totals ending at the origin and every 7 days after; "day"
    daily: Callable[[SimulationResult, Scenario], np.ndarray]  # (R, T)


def _retail_price(r: SimulationResult, s: Scenario) -> np.ndarray:
    retail = [p.name for p in s.products
              if any(p.name in sec.demand_litres_per_day for sec in s.city.sectors if sec.retail)]
    return r["informal_price"].sel(product=retail).mean("product").values


SERIES: tuple[Series, ...] = (
    Series("imports", "fuel into the depots", "million L per week", "week",
           lambda r, s: r["delivered_litres"].sum("product").values / 1e6),
    Series("convoy_arrival", "escorted convoys arriving", "convoys per week", "week",
           lambda r, s: r["convoys_arrived"].sum("corridor").values.astype(float)),
    Series("attack", "tankers destroyed", "tankers per week", "week",
           lambda r, s: r["tankers_lost"].sum("corridor").values.astype(float)),
    Series("price_informal", "informal price (retail products' mean)", "per litre", "day",
           _retail_price),
    Series("power_hours", "electricity", "hours per day", "day",
           lambda r, s: r["electricity_hours"].values.astype(float)),
    Series("stations_open", "stations open", "share of stations", "day",
           lambda r, s: r["stations_open"].values / s.stations.count),
    Series("school_closure", "schools and services disrupted", "share of replications",
           "day", lambda r, s: r["disruption"].values.astype(float)),
)


@dataclass
class Forecast:
    origin: dt.date
    days: int
    result: SimulationResult
    scenario: Scenario
    table: pd.DataFrame  # series, date (end of the week for weekly totals), quantiles
    stockout: pd.DataFrame  # date x product: share of replications in stockout

    def horizon_summary(self) -> pd.DataFrame:
        """Totals (weekly series) or means (daily) over the forecast window, with bands."""
        dates = pd.DatetimeIndex(self.result["date"].values).date
        after = (dates > self.origin) & (dates <= self.origin + dt.timedelta(self.days))
        rows = []
        for s in SERIES:
            x = s.daily(self.result, self.scenario)[:, after]
            stat = x.sum(axis=1) if s.how == "week" else x.mean(axis=1)
            q = np.quantile(stat, QUANTILES)
            rows.append({"kind": s.kind, "what": s.label,
                         "statistic": "total" if s.how == "week" else "mean",
                         "unit": s.unit.replace(" per week", ""),
                         **{f"p{int(100 * a):02d}": v for a, v in zip(QUANTILES, q,
                                                                      strict=True)}})
        out = self.result["stockout"].values[:, after, :]  # (R, days, P)
        for j, product in enumerate(self.result["product"].values):
            rows.append({"kind": "stockout", "what": f"any stockout of {product}",
                         "statistic": "probability", "unit": "-",
                         "p50": float(out[:, :, j].any(axis=1).mean())})
        return pd.DataFrame(rows)


def _weekly(x: np.ndarray, dates: np.ndarray, origin: dt.date) -> tuple[np.ndarray, list]:
    """7-day totals over bins that end on the origin and every 7 days before and after it."""
    offset = np.array([(d - origin).days for d in dates])
    week = np.floor_divide(offset - 1, 7)  # days origin-6..origin are week -1
    ends, sums = [], []
    for w in np.unique(week):
        inside = week == w
        if inside.sum() == 7:
            sums.append(x[:, inside].sum(axis=1))
            ends.append(origin + dt.timedelta(int(7 * (w + 1))))
    return np.column_stack(sums) if sums else np.zeros((len(x), 0)), ends


def forecast(scenario: Scenario, origin: dt.date, days: int, replications: int | None = None,
             seed: int | None = None, history_days: int = 60) -> Forecast:
    """Run ``scenario`` to ``origin + days`` and tabulate every series from ``history_days``
    before the origin."""
    start = scenario.simulation.start_date
    if origin < start:
        raise ScenarioError([("--from", f"{origin} is before the scenario's start {start}")],
                            "forecast")
    total = (origin - start).days + days + 1
    result = simulate(scenario, replications=replications, days=total, seed=seed)
    return forecast_from_result(result, scenario, origin, days, history_days)


def forecast_from_result(result: SimulationResult, scenario: Scenario, origin: dt.date,
                         days: int, history_days: int = 60) -> Forecast:
    """The forecast read from a run of ``scenario`` that covers ``origin + days`` (a stored
    run is one: the forecast is the run's continuation past the origin)."""
    dates = pd.DatetimeIndex(result["date"].values).date
    if not dates[0] <= origin < dates[-1]:
        raise ScenarioError([("--from", f"{origin} is not within the run's days, {dates[0]} "
                                        f"to {dates[-1]} (the origin must be before its last "
                                        "day)")], "forecast")
    end = origin + dt.timedelta(days)
    if end > dates[-1]:
        raise ScenarioError([("--days", f"{days} days from {origin} end on {end}, after the "
                                        f"run's last day {dates[-1]}")], "forecast")
    first = origin - dt.timedelta(history_days)
    keep = (dates >= first) & (dates <= end)
    rows = []
    for s in SERIES:
        x = s.daily(result, scenario)
        if s.how == "week":
            values, ends = _weekly(x, dates, origin)
        else:
            values, ends = x[:, keep], list(dates[keep])
        q = np.quantile(values, QUANTILES, axis=0) if values.size else np.zeros((5, 0))
        for i, when in enumerate(ends):
            if when < first or when > end:
                continue
            rows.append({"kind": s.kind, "date": when, "unit": s.unit,
                         **{f"p{int(100 * a):02d}": q[k, i] for k, a in enumerate(QUANTILES)}})
    table = pd.DataFrame(rows)
    stock = result["stockout"].mean("replication").to_pandas()
    stock.index = dates
    return Forecast(origin, days, result, scenario, table,
                    stock[(stock.index > origin) & (stock.index <= end)])
