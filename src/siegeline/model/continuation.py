"""Runs that start mid-siege: the state of a stored run at a date.

A continuation re-simulates the stored run's scenario (its timeline, seed, replications and
per-replication overrides) up to the end of the date, then carries on with the new scenario's
parameters; it is compiled as one run whose first phases are the stored scenario's and whose
outputs are kept from the next day on. No engine state is serialised: runs are functions of
(scenario, seed), so the state is re-derived exactly (bit for bit with the stored run's engine and
backend; in law with another engine).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from siegeline.scenario.loader import ScenarioError, validate_scenario
from siegeline.scenario.schema import Scenario, StoredRunState


@dataclass(frozen=True)
class Prefix:
    """The stored run a scenario continues, and how many of its days come first."""

    run_id: str
    scenario: Scenario
    days: int  # days of the stored run re-simulated: 0 .. date
    seed: int
    replications: int
    overrides: dict[str, np.ndarray]

    @property
    def label(self) -> str:
        end = self.scenario.simulation.start_date + dt.timedelta(self.days - 1)
        return f"initial_state (run {self.run_id} at {end.isoformat()})"


def stored_prefix(scenario: Scenario) -> Prefix | None:
    """The stored run ``scenario`` starts from, or None when it starts from its own state."""
    state = scenario.simulation.initial_state
    if not isinstance(state, StoredRunState):
        return None
    from siegeline.results import ResultStore, RunNotFound

    store = ResultStore(state.store)
    where = "simulation.initial_state.run"
    try:
        record = store.run_record(state.run)
    except RunNotFound:
        raise ScenarioError([(where, f"no stored run {state.run!r} in {store.path}")],
                            "initial state") from None
    meta = record["metadata"]
    stored = validate_scenario(record["scenario"], f"scenario stored with run {record['run_id']}")
    start = stored.simulation.start_date
    days = (state.date - start).days + 1
    if not 1 <= days <= int(meta["days"]):
        last = start + dt.timedelta(int(meta["days"]) - 1)
        raise ScenarioError([("simulation.initial_state.date",
                              f"run {record['run_id']} covers {start.isoformat()} to "
                              f"{last.isoformat()}; {state.date.isoformat()} is outside it")],
                            "initial state")
    names = json.loads(meta.get("overrides") or "[]")
    overrides: dict[str, Any] = {}
    if names:  # per-replication values are kept only as the run's parameter samples
        samples = store.load(record["run_id"]).samples
        overrides = {n: samples[n].to_numpy() for n in names}
    return Prefix(run_id=record["run_id"], scenario=stored, days=days, seed=int(meta["seed"]),
                  replications=int(meta["replications"]), overrides=overrides)
