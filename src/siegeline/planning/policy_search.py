"""Simulation-based search over convoy and rationing policy with common random numbers.

Each candidate policy is a set of scenario overrides (convoy interval, size, escorts per convoy
per corridor, rationing thresholds, ...). Every candidate runs on the vectorized engine with the
same seed and replications as the baseline, so parameter samples are identical and the dynamics
share their random stream (common random numbers): differences between candidates are measured
replication by replication, which narrows their confidence intervals. The search screens all
candidates, re-evaluates the best with more replications, and reports each with a 95% interval
for its objective and for its paired difference from the scenario's own policy.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from siegeline.engines import simulate
from siegeline.results.result import SimulationResult
from siegeline.scenario.loader import ScenarioError, resolve_path
from siegeline.scenario.schema import Scenario, UncertainRange

Objective = Callable[[SimulationResult], np.ndarray]


def _p_no_stockout(result: SimulationResult) -> np.ndarray:
    return (result.first_stockout_day() == -1).astype(float)


def _served(result: SimulationResult) -> np.ndarray:
    """Share of normal demand served, averaged over days and sectors."""
    ds = result.dataset
    served = ds["served_share"].values  # (R, T, S)
    return served.mean(axis=(1, 2))


def _delivered(result: SimulationResult) -> np.ndarray:
    return result.dataset["delivered_litres"].sum(("day", "product")).values / 1e6


def _losses(result: SimulationResult) -> np.ndarray:
    return result.dataset["tankers_lost"].sum(("day", "corridor")).values.astype(float)


def _days_supplied(result: SimulationResult) -> np.ndarray:
    return result.days - result.dataset["stockout"].any("product").sum("day").values


OBJECTIVES: dict[str, tuple[Objective, str, str]] = {
    # name: (per-replication metric, direction, description)
    "p_no_stockout": (_p_no_stockout, "max", "probability that no product runs out"),
    "served": (_served, "max", "mean share of normal demand served"),
    "delivered": (_delivered, "max", "million litres delivered"),
    "losses": (_losses, "min", "tankers lost"),
    "days_supplied": (_days_supplied, "max", "days with no product in stockout"),
}


@dataclass(frozen=True)
class PolicyDimension:
    """One decision: a numeric scenario path and the values it may take."""

    path: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str, scenario: Scenario) -> PolicyDimension:
        """``path=lo:hi`` (integers lo..hi, or 5 evenly spaced values for decimals),
        ``path=lo:hi:step`` or ``path=v1,v2,...``."""
        if "=" not in text:
            raise ScenarioError([(text, "expected path=lo:hi, path=lo:hi:step or path=a,b,c")],
                                "policy")
        path, spec = (x.strip() for x in text.split("=", 1))
        current = resolve_path(scenario, path)
        if isinstance(current, bool) or not isinstance(current, int | float | UncertainRange):
            raise ScenarioError([(path, "is not a numeric parameter")], "policy")
        try:
            if "," in spec:
                values = [float(v) for v in spec.split(",")]
            else:
                parts = [float(v) for v in spec.split(":")]
                if len(parts) == 3:
                    lo, hi, step = parts
                    if step <= 0:
                        raise ValueError("step must be positive")
                    values = list(np.arange(lo, hi + step / 2, step))
                elif len(parts) == 2:
                    lo, hi = parts
                    if lo.is_integer() and hi.is_integer():
                        values = list(np.arange(lo, hi + 1))
                    else:
                        values = list(np.linspace(lo, hi, 5))
                else:
                    raise ValueError("too many ':'")
        except ValueError as exc:
            raise ScenarioError([(path, f"bad values {spec!r}: {exc}")], "policy") from None
        if not values:
            raise ScenarioError([(path, "no values")], "policy")
        if isinstance(current, int):
            values = [float(round(v)) for v in values]
        return cls(path, tuple(dict.fromkeys(float(v) for v in values)))


@dataclass(frozen=True)
class PolicyEvaluation:
    policy: Mapping[str, float]
    replications: int
    mean: float
    ci_low: float
    ci_high: float
    diff_mean: float  # candidate minus baseline (paired)
    diff_low: float
    diff_high: float


@dataclass(frozen=True)
class PolicySearchResult:
    objective: str
    direction: str
    baseline: PolicyEvaluation
    best: tuple[PolicyEvaluation, ...]  # re-evaluated finalists, best first
    screened: pd.DataFrame  # every candidate's screening estimate
    seed: int
    seconds: float
    candidates: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for rank, ev in enumerate((self.baseline, *self.best)):
            rows.append({"rank": "baseline" if rank == 0 else rank, **ev.policy,
                         "replications": ev.replications, self.objective: ev.mean,
                         "ci_low": ev.ci_low, "ci_high": ev.ci_high,
                         "vs_baseline": ev.diff_mean, "vs_low": ev.diff_low,
                         "vs_high": ev.diff_high})
        return pd.DataFrame(rows)


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% interval (t for continuous values, Wilson for 0/1 outcomes)."""
    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    if np.isin(values, (0.0, 1.0)).all():
        z = 1.959963984540054
        centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return mean, centre - half, centre + half
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def _paired(diff: np.ndarray) -> tuple[float, float, float]:
    n = len(diff)
    mean = float(diff.mean())
    if n < 2 or np.all(diff == diff[0]):
        return mean, mean, mean
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def candidate_policies(dimensions: Sequence[PolicyDimension], max_candidates: int,
                       seed: int) -> list[dict[str, float]]:
    """The full grid when it is small enough, else a scrambled Sobol' sample of the grid."""
    grid_size = math.prod(len(d.values) for d in dimensions)
    if grid_size <= max_candidates:
        return [dict(zip((d.path for d in dimensions), combo, strict=True))
                for combo in itertools.product(*(d.values for d in dimensions))]
    sampler = qmc.Sobol(d=len(dimensions), scramble=True, seed=seed)
    points = sampler.random(2 ** math.ceil(math.log2(max_candidates)))[:max_candidates]
    seen, out = set(), []
    for row in points:
        pick = tuple(d.values[min(int(u * len(d.values)), len(d.values) - 1)]
                     for d, u in zip(dimensions, row, strict=True))
        if pick not in seen:
            seen.add(pick)
            out.append(dict(zip((d.path for d in dimensions), pick, strict=True)))
    return out


def search_policies(
    scenario: Scenario,
    dimensions: Sequence[PolicyDimension],
    objective: str = "served",
    *,
    screen_replications: int = 200,
    final_replications: int = 1000,
    finalists: int = 5,
    max_candidates: int = 64,
    days: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PolicySearchResult:
    """Find the policies that do best on ``objective`` (see :data:`OBJECTIVES`)."""
    if objective not in OBJECTIVES:
        raise ScenarioError([("objective", f"unknown objective {objective!r}; choose from "
                                           f"{', '.join(OBJECTIVES)}")], "policy")
    if not dimensions:
        raise ScenarioError([("policy", "name at least one decision to search over")], "policy")
    metric, direction, _ = OBJECTIVES[objective]
    sign = 1.0 if direction == "max" else -1.0
    seed = scenario.simulation.seed if seed is None else seed
    started = time.perf_counter()
    candidates = candidate_policies(dimensions, max_candidates, seed)
    total_runs = len(candidates) + 2 + min(finalists, len(candidates))
    done = 0

    def evaluate(policy: Mapping[str, float], reps: int) -> np.ndarray:
        nonlocal done
        overrides = {path: np.full(reps, value) for path, value in policy.items()}
        result = simulate(scenario, replications=reps, days=days, seed=seed,
                          overrides=overrides)
        done += 1
        if progress is not None:
            progress(done, total_runs)
        return metric(result)

    baseline_policy = {d.path: float(_as_number(resolve_path(scenario, d.path)))
                       for d in dimensions}
    screen_base = evaluate({}, screen_replications)
    rows = []
    for policy in candidates:
        values = evaluate(policy, screen_replications)
        mean, lo, hi = _interval(values)
        d_mean, _, _ = _paired(values - screen_base)
        rows.append({**policy, "mean": mean, "ci_low": lo, "ci_high": hi, "vs_baseline": d_mean})
    screened = pd.DataFrame(rows).sort_values("mean", ascending=(direction == "min"),
                                              kind="stable").reset_index(drop=True)
    paths = [d.path for d in dimensions]
    top = [dict(zip(paths, (float(v) for v in row), strict=True))
           for row in screened[paths].head(finalists).itertuples(index=False)]

    base_values = evaluate({}, final_replications)
    evaluations = []
    for policy in top:
        values = evaluate(policy, final_replications)
        evaluations.append(PolicyEvaluation(policy, final_replications, *_interval(values),
                                            *_paired(values - base_values)))
    evaluations.sort(key=lambda ev: -sign * ev.mean)
    baseline = PolicyEvaluation(baseline_policy, final_replications, *_interval(base_values),
                                0.0, 0.0, 0.0)
    notes = []
    if len(candidates) < math.prod(len(d.values) for d in dimensions):
        notes.append(f"grid too large: searched a Sobol' sample of {len(candidates)} policies")
    return PolicySearchResult(objective, direction, baseline, tuple(evaluations), screened, seed,
                              time.perf_counter() - started, len(candidates), tuple(notes))


def _as_number(value: float | UncertainRange) -> float:
    return value.midpoint if isinstance(value, UncertainRange) else float(value)
