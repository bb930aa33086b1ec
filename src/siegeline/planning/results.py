"""Immutable results shared by every planning solver.

A :class:`PlanResult` is what any planner returns, whatever decides the plan (a MILP here, a
simulation-based search later): what was solved, the solver's status, objective and bound, the
attack and defence as segment labels, per-segment flows, timing, problem-specific details and the
independent re-check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import pandas as pd


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


def _plain(value: Any) -> Any:
    """JSON-ready copy: mappings to dicts, tuples to lists, non-finite floats to None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Check:
    """Independent re-check of a solve: the defender's problem re-solved with NetworkX under the
    returned attack (``value``), and on small networks the optimum by brute-force enumeration."""

    method: str
    value: float
    matches: bool
    brute_force_value: float | None = None
    brute_force_candidates: int = 0

    @property
    def ok(self) -> bool:
        """True when NetworkX agrees and brute force (where run) found the same optimum."""
        return self.matches and (
            self.brute_force_value is None
            or math.isclose(self.brute_force_value, self.value, rel_tol=1e-6, abs_tol=1e-6)
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        out["ok"] = self.ok
        return out


@dataclass(frozen=True)
class PlanResult:
    """Outcome of one planning solve.

    ``objective`` is in the problem's unit (``unit``); ``baseline`` is the same quantity with no
    attack (interdiction) or no defence (escort placement). ``flows`` maps every segment label to
    the flow (tankers/day) the defender sends over it in the final state; ``details`` carries
    problem-specific figures (routes, iterations, corridor tables).
    """

    problem: str
    unit: str
    status: str
    objective: float
    bound: float
    gap: float
    time_s: float
    attack: tuple[str, ...] = ()
    defence: tuple[str, ...] = ()
    flows: Mapping[str, float] = field(default_factory=dict)
    baseline: float | None = None
    budget: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    check: Check | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "attack", tuple(self.attack))
        object.__setattr__(self, "defence", tuple(self.defence))
        object.__setattr__(self, "flows", _frozen(self.flows))
        object.__setattr__(self, "details", _frozen(self.details))

    @classmethod
    def from_solution(cls, sol: Any, **fields_: Any) -> PlanResult:
        """A result carrying a HiGHS solution's status, objective, bound, gap and time;
        ``fields_`` sets the rest (and may restate objective or bound in the problem's unit)."""
        return cls(**{"status": sol.status, "objective": sol.objective, "bound": sol.bound,
                      "gap": sol.gap, "time_s": sol.time_s, **fields_})

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: flow, whether attacked, whether defended."""
        labels = list(self.flows) or sorted(set(self.attack) | set(self.defence))
        attacked, defended = set(self.attack), set(self.defence)
        return pd.DataFrame(
            {
                "segment": labels,
                "flow": [float(self.flows.get(s, 0.0)) for s in labels],
                "attacked": [s in attacked for s in labels],
                "defended": [s in defended for s in labels],
            }
        )

    def summary(self) -> dict[str, Any]:
        """The headline figures as an ordered mapping (for tables)."""
        return {
            "problem": self.problem,
            "status": self.status,
            f"objective ({self.unit})": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "baseline": self.baseline,
            "budget": self.budget,
            "attack": ", ".join(self.attack) or "-",
            "defence": ", ".join(self.defence) or "-",
            "time (s)": self.time_s,
            "re-check": None if self.check is None else ("ok" if self.check.ok else "MISMATCH"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class LossCurve:
    """Max-flow interdiction solved for each budget in turn."""

    results: tuple[PlanResult, ...]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.results:
            base = r.baseline or 0.0
            rows.append(
                {
                    "budget": r.budget,
                    "max_flow": r.objective,
                    "loss": base - r.objective,
                    "loss_share": (base - r.objective) / base if base > 0 else 0.0,
                    "attack": ", ".join(r.attack),
                    "status": r.status,
                    "check_ok": None if r.check is None else r.check.ok,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results]}
