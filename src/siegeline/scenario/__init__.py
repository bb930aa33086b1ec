"""Scenario schema, packaged scenarios and loading."""

from siegeline.scenario.loader import (
    ScenarioError,
    apply_overrides,
    load_raw,
    load_scenario,
    packaged_scenarios,
    resolve_path,
    scenario_hash,
    validate_scenario,
)
from siegeline.scenario.schema import Scenario, UncertainRange

__all__ = [
    "Scenario",
    "ScenarioError",
    "UncertainRange",
    "apply_overrides",
    "load_raw",
    "load_scenario",
    "packaged_scenarios",
    "resolve_path",
    "scenario_hash",
    "validate_scenario",
]
