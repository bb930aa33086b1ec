"""The dated timeline of a scenario: piecewise-constant changes of any parameter from a day on.

Each distinct start day opens a *phase*: the scenario with every entry up to that day applied in
order (by day, then as listed). The engines read a phase's parameters from its first day until the
next phase starts (`siegeline.model.parameters` compiles one parameter set per phase).
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from siegeline.scenario.loader import ScenarioError, set_path, validation_problems
from siegeline.scenario.schema import Scenario, TimelineEntry


@dataclass(frozen=True)
class Phase:
    """A stretch of the horizon with one set of parameters, from ``start_day`` on."""

    start_day: int
    scenario: Scenario
    entries: tuple[int, ...]  # indices of the timeline entries that open this phase


def entry_label(scenario: Scenario, i: int) -> str:
    """``timeline[i] (2025-10-07)``: how errors name an entry."""
    entry = scenario.timeline[i]
    when = entry.date.isoformat() if entry.date is not None else f"day {entry.day}"
    return f"timeline[{i}] ({when})"


def entry_day(scenario: Scenario, entry: TimelineEntry) -> int:
    return entry.start_day(scenario.simulation.start_date)


def timeline_phases(scenario: Scenario) -> list[Phase]:
    """The phases of ``scenario``: phase 0 from day 0 (the scenario as written, with any day-0
    entries), then one per later distinct start day of its timeline entries. Raises
    :class:`ScenarioError` naming the entry whose change is invalid (unknown path, a value the
    schema refuses). Cached per scenario object: loading validates them, compiling reuses them."""
    key = id(scenario)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is scenario:
        return hit[1]
    phases = _build_phases(scenario)
    _CACHE[key] = (weakref.ref(scenario, lambda _: _CACHE.pop(key, None)), phases)
    return phases


_CACHE: dict[int, tuple[weakref.ref, list[Phase]]] = {}


def _build_phases(scenario: Scenario) -> list[Phase]:
    data = scenario.model_dump(mode="json")
    # A phase is the parameters in force; the timeline and the sources (checked against the
    # whole scenario, timeline entries included) are the parent's.
    data["timeline"] = []
    data["sources"] = {}
    # The posterior is the parent's too (checked once, against its ranges): each phase gets the
    # same object, not a copy deep-copied and validated phase by phase.
    data["posterior"] = None
    by_day: dict[int, list[int]] = {}
    # Entries before day 0 (a run continuing a stored one) are in force from day 0, in order.
    for i in sorted(range(len(scenario.timeline)),
                    key=lambda i: (entry_day(scenario, scenario.timeline[i]), i)):
        by_day.setdefault(max(entry_day(scenario, scenario.timeline[i]), 0), []).append(i)
    phases: list[Phase] = []
    if 0 not in by_day:
        phases.append(Phase(0, _with_posterior(_validated(data, []), scenario), ()))
    for day in sorted(by_day):
        group_start = data
        for i in by_day[day]:
            data = _applied(scenario, i, data)
        try:
            phase_scenario = _validated(data, [])
        except ScenarioError:  # replay the day's entries one by one to name the culprit
            data = group_start
            for i in by_day[day]:
                data = _applied(scenario, i, data)
                _validated(data, [entry_label(scenario, i)])
            raise
        phases.append(Phase(day, _with_posterior(phase_scenario, scenario),
                            tuple(by_day[day])))
    return phases


def _with_posterior(phase: Scenario, parent: Scenario) -> Scenario:
    return phase if parent.posterior is None else phase.model_copy(
        update={"posterior": parent.posterior})


def _applied(scenario: Scenario, i: int, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with timeline entry ``i`` applied (a new document)."""
    data = copy.deepcopy(data)
    for path, value in scenario.timeline[i].set.items():
        try:
            set_path(data, path, copy.deepcopy(value))
        except ScenarioError as err:
            raise ScenarioError([(f"{entry_label(scenario, i)}: {p}", msg)
                                 for p, msg in err.problems]) from None
    return data


def _validated(data: dict[str, Any], labels: list[str]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        where = " / ".join(labels)
        problems = [(f"{where}: {path}" if where else path, msg)
                    for path, msg in validation_problems(exc, data)]
        raise ScenarioError(problems) from None
    except (TypeError, ValueError) as exc:
        raise ScenarioError([(" / ".join(labels), str(exc))]) from None
