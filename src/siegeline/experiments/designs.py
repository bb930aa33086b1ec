"""Parameter ranges and experimental designs (full grids and Latin hypercube samples).

A design is a DataFrame with one column per parameter path and one row per design point; the
engine evaluates a whole design in one call by varying parameters along the replication axis.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from siegeline.model.parameters import check_overrides
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario


@dataclass(frozen=True)
class ParamRange:
    """A scenario parameter path and the interval it is varied over."""

    path: str
    low: float
    high: float


def parse_param(text: str) -> ParamRange:
    """``"adversary.intensity=0.5:2"`` → ParamRange; raises ScenarioError on bad input."""
    path, sep, bounds = text.partition("=")
    lo, sep2, hi = bounds.partition(":")
    if not sep or not sep2 or not path.strip():
        raise ScenarioError([(text, "expected path=low:high, e.g. adversary.intensity=0.5:2")],
                            "--param")
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        raise ScenarioError([(text, "low and high must be numbers")], "--param") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ScenarioError([(text, "need finite low < high")], "--param")
    return ParamRange(path.strip(), low, high)


def check_ranges(scenario: Scenario, ranges: Sequence[ParamRange]) -> None:
    """Every path must be a numeric scenario parameter, named once, whose whole range the schema
    accepts (checked at both ends with the engine's own override validation)."""
    if not ranges:
        raise ScenarioError([("--param", "name at least one parameter to vary")], "design")
    paths = [r.path for r in ranges]
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise ScenarioError([(p, "named more than once") for p in dupes], "design")
    check_overrides(scenario, {r.path: np.array([r.low, r.high]) for r in ranges}, 2)


def grid_design(ranges: Sequence[ParamRange], levels: int) -> pd.DataFrame:
    """Full factorial grid with ``levels`` evenly spaced values per parameter."""
    if levels < 2:
        raise ScenarioError([("--grid", "needs at least 2 levels")], "design")
    axes = [np.linspace(r.low, r.high, levels) for r in ranges]
    rows = np.array(list(itertools.product(*axes)), dtype=float)
    return pd.DataFrame(rows, columns=[r.path for r in ranges])


def sample_design(ranges: Sequence[ParamRange], n: int, seed: int) -> pd.DataFrame:
    """Latin hypercube sample of ``n`` points, scaled to the ranges."""
    if n < 1:
        raise ScenarioError([("--samples", "must be at least 1")], "design")
    unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(n)
    lows = np.array([r.low for r in ranges])
    highs = np.array([r.high for r in ranges])
    return pd.DataFrame(qmc.scale(unit, lows, highs), columns=[r.path for r in ranges])
