"""The scenario's uncertain ranges as a prior, on the unit cube.

Each parameter is mapped through its prior's CDF, so the prior is uniform on [0, 1]^d whatever
the ranges' distributions (uniform, loguniform, triangular): the SMC's kernel works in that cube
and a proposal outside it has prior density 0 (it is redrawn without being simulated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from siegeline.model.parameters import compile_parameters
from siegeline.scenario.loader import ScenarioError, resolve_path
from siegeline.scenario.schema import Scenario, UncertainRange


def _dist(r: UncertainRange):
    if r.distribution == "loguniform":
        return stats.loguniform(r.low, r.high)
    if r.distribution == "triangular":
        width = r.high - r.low
        return stats.triang((r.mode - r.low) / width, loc=r.low, scale=width)
    return stats.uniform(r.low, r.high - r.low)


@dataclass(frozen=True)
class Prior:
    """Parameter paths and their ranges (the prior); ``from_unit`` maps prior quantiles (n, d)
    to parameter values."""

    paths: tuple[str, ...]
    ranges: tuple[UncertainRange, ...]

    @property
    def dim(self) -> int:
        return len(self.paths)

    def subset(self, columns: Sequence[int]) -> Prior:
        return Prior(tuple(self.paths[j] for j in columns),
                     tuple(self.ranges[j] for j in columns))

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """(n, d) parameter values of prior quantiles ``u``."""
        return np.column_stack([_dist(r).ppf(np.clip(u[:, j], 0.0, 1.0))
                                for j, r in enumerate(self.ranges)])

    @staticmethod
    def inside(u: np.ndarray) -> np.ndarray:
        """(n,) whether points lie in the unit cube, the prior's support."""
        return np.all((u >= 0.0) & (u <= 1.0), axis=1)


def _timeline_paths(scenario: Scenario) -> list[str]:
    return [k for e in scenario.timeline for k in e.set]


def calibration_prior(scenario: Scenario, params: Sequence[str] | None = None) -> Prior:
    """The prior over ``params`` (default: every uncertain range the model uses that no timeline
    entry sets and that has some width). Named paths must be such ranges."""
    timeline = _timeline_paths(scenario)

    def set_by_timeline(path: str) -> bool:
        return any(path == k or path.startswith(k + ".") for k in timeline)

    if params:
        problems = []
        for path in params:
            try:
                value = resolve_path(scenario, path)
            except ScenarioError:
                problems.append((path, "is not a parameter of this scenario"))
                continue
            if not isinstance(value, UncertainRange) or value.high <= value.low:
                problems.append((path, "is not an uncertain range with some width (a prior)"))
            elif set_by_timeline(path):
                problems.append((path, "is set by the timeline, so its prior changes by date"))
        if problems:
            raise ScenarioError(problems, "--param")
        paths = list(dict.fromkeys(params))
    else:
        used = compile_parameters(scenario, 1, None, 0).sampled
        paths = [p for p in used if "@" not in p and not set_by_timeline(p)
                 and isinstance(v := resolve_path(scenario, p), UncertainRange)
                 and v.high > v.low]
    if not paths:
        raise ScenarioError([("scenario", "has no uncertain range to calibrate")], "calibrate")
    return Prior(tuple(paths), tuple(resolve_path(scenario, p) for p in paths))
