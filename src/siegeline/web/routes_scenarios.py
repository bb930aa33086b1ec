"""/api/scenarios: list, get, map and validate packaged scenarios (only packaged names are
accepted: no file-system path comes from a request)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from siegeline.engines import available_engines
from siegeline.reports.maps import network_map
from siegeline.scenario.loader import (
    ScenarioError,
    load_raw,
    load_scenario,
    packaged_scenarios,
    scenario_hash,
    validate_scenario,
)
from siegeline.scenario.schema import Scenario
from siegeline.web.controls import Controls, control_defaults, controls_to_overrides
from siegeline.web.cost import RunCost, check_cost
from siegeline.web.errors import error_responses
from siegeline.web.models import PlotlyFigure, ScenarioInfo, Validation

# The packaged scenarios, a fixed set once installed: the schema lists them.
ScenarioName = Literal[tuple(packaged_scenarios())]  # type: ignore[valid-type]

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"],
                   responses=error_responses(404, 422))


class ScenarioChanges(BaseModel):
    """Changes to a packaged scenario: dashboard controls, then raw ``path=value`` overrides."""

    model_config = ConfigDict(extra="forbid")

    controls: Controls | None = None
    overrides: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=50,
        description="path=value strings, as `siegeline run --set`.")


class RunSize(ScenarioChanges):
    """The size of the run the changes are for, checked against the server's limits."""

    replications: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="Default: the scenario's (server limit applies).")
    days: StrictInt | None = Field(
        None, ge=1, le=3650, description="Horizon; default: the scenario's (server limit applies).")
    engine: Literal["vectorized", "reference"] = "vectorized"


def check_run_size(scenario: Scenario, size: RunSize, settings: Any) -> RunCost:
    """The run's estimated cost; 422 naming the limit when it exceeds one of the server's."""
    if size.engine not in available_engines():
        raise ScenarioError([("engine", f"the {size.engine} engine is not installed; available: "
                                        f"{', '.join(available_engines())}")], "body")
    reps = size.replications or scenario.simulation.replications
    days = size.days or scenario.simulation.horizon_days
    if reps > settings.max_replications:
        raise ScenarioError([("replications", f"at most {settings.max_replications:,} "
                                              "replications per run on this server")], "body")
    if days > settings.max_days:
        raise ScenarioError([("days", f"at most {settings.max_days:,} days per run on this "
                                      "server")], "body")
    return check_cost(scenario, reps, days, size.engine, settings.cost_limits())


class ScenarioDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: dict[str, Any] = Field(description="A whole scenario document (JSON).")


def check_name(name: str, in_body: bool = False) -> str:
    """A packaged scenario name; else 404 (name in the path) or 422 (name in the body)."""
    if name not in packaged_scenarios():
        msg = f"no packaged scenario {name!r}; available: {', '.join(packaged_scenarios())}"
        if in_body:
            raise ScenarioError([("scenario", msg)], "body")
        raise HTTPException(404, msg)
    return name


def resolve_changes(name: str, changes: ScenarioChanges,
                    in_body: bool = False) -> tuple[Scenario, list[str]]:
    """The validated scenario and the full list of override strings applied to it."""
    raw = load_raw(check_name(name, in_body))
    overrides = controls_to_overrides(raw, changes.controls) if changes.controls else []
    overrides += changes.overrides
    return load_scenario(name, overrides), overrides


# Before "/{name}": a request for /validate with another method is then told "Allow: POST".
@router.post("/validate", response_model=Validation)
def validate_document(doc: ScenarioDocument, request: Request) -> dict[str, Any]:
    """Validate a whole scenario document sent in the body (at most the body-size limit),
    and a run of it at its own replications and days against the server's limits."""
    scenario = validate_scenario(doc.scenario, "scenario")
    cost = check_run_size(scenario, RunSize(), request.app.state.settings)
    return {"valid": True, "name": scenario.name, "scenario_hash": scenario_hash(scenario),
            "cost": cost.to_dict()}


# Packaged scenarios do not change while the server runs: their answers are computed once
# (validating one takes ~60 ms, which made the scenario list the slowest read under load).
@router.get("", response_model=list[ScenarioInfo])
@functools.cache
def list_scenarios() -> list[dict[str, Any]]:
    """Packaged scenarios with their title and default horizon."""
    out = []
    for name in packaged_scenarios():
        sc = load_scenario(name)
        out.append({"name": name, "title": sc.title, "description": sc.description,
                    "horizon_days": sc.simulation.horizon_days,
                    "replications": sc.simulation.replications,
                    "corridors": [c.name for c in sc.corridors]})
    return out


@router.get("/{name}")
def get_scenario(name: str) -> dict[str, Any]:
    """The validated scenario as JSON (every field, defaults filled in)."""
    return _scenario_json(check_name(name))


@functools.lru_cache(maxsize=16)
def _scenario_json(name: str) -> dict[str, Any]:
    return load_scenario(name).model_dump(mode="json")


@functools.lru_cache(maxsize=16)
def _risk_map(name: str) -> dict[str, Any]:
    return network_map(load_scenario(name), None, "risk")


@router.get("/{name}/controls")
def get_controls(name: str) -> dict[str, Any]:
    """The scenario's own values of what the dashboard controls change."""
    return control_defaults(load_raw(check_name(name)))


@router.get("/{name}/map", response_model=PlotlyFigure)
def scenario_map(name: str, colour_by: Literal["risk"] = Query("risk")) -> dict[str, Any]:
    """Plotly figure of the network over the country outlines, segments coloured by risk."""
    return _risk_map(check_name(name))


@router.post("/{name}/validate", response_model=Validation)
def validate_changes(name: str, changes: RunSize, request: Request) -> dict[str, Any]:
    """Apply controls and overrides; 422 with the field at fault if the result is invalid or
    a run of it (the scenario's replications and days unless given) would exceed the server's
    limits."""
    scenario, overrides = resolve_changes(name, changes)
    cost = check_run_size(scenario, changes, request.app.state.settings)
    return {"valid": True, "name": scenario.name, "scenario_hash": scenario_hash(scenario),
            "overrides": overrides, "cost": cost.to_dict()}
