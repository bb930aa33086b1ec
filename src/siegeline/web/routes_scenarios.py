"""/api/scenarios: list, get, map and validate the server's scenarios (packaged ones and those of
``--scenarios DIR``: ``web.catalogue``; a request gives a name, never a file-system path)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from siegeline.engines import available_engines
from siegeline.reports.maps import network_map
from siegeline.scenario.loader import (
    ScenarioError,
    load_scenario,
    packaged_scenarios,
    scenario_hash,
    validate_scenario,
)
from siegeline.scenario.schema import Scenario
from siegeline.web.catalogue import NAME_PATTERN, ScenarioCatalogue, UnknownScenario
from siegeline.web.controls import Controls, control_defaults, controls_to_overrides
from siegeline.web.cost import RunCost, check_cost
from siegeline.web.errors import error_responses
from siegeline.web.models import PlotlyFigure, ScenarioInfo, Validation

# A name, checked against the server's scenarios when used; the server's OpenAPI schema lists
# them as an enum (``app._document_scenarios``), which a scenario folder changes at run time.
ScenarioName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=100,
                                    description="Scenario name (GET /api/scenarios).")]
NameInPath = Annotated[str, Path(pattern=NAME_PATTERN, max_length=100,
                                 description="Scenario name (GET /api/scenarios).")]

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"],
                   responses=error_responses(404, 422))


class ScenarioChanges(BaseModel):
    """Changes to a scenario: dashboard controls, then raw ``path=value`` overrides."""

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


def catalogue_of(request: Request) -> ScenarioCatalogue:
    return request.app.state.catalogue


def check_name(catalogue: ScenarioCatalogue, name: str, in_body: bool = False) -> str:
    """A scenario name of this server; else 404 (name in the path) or 422 (in the body)."""
    try:
        return catalogue.check(name)
    except UnknownScenario as exc:
        if in_body:
            raise ScenarioError([("scenario", str(exc))], "body") from None
        raise HTTPException(404, str(exc)) from None


def resolve_changes(catalogue: ScenarioCatalogue, name: str, changes: ScenarioChanges,
                    in_body: bool = False) -> tuple[Scenario, list[str]]:
    """The validated scenario and the full list of override strings applied to it."""
    raw = catalogue.raw(check_name(catalogue, name, in_body))
    overrides = controls_to_overrides(raw, changes.controls) if changes.controls else []
    overrides += changes.overrides
    return catalogue.load(name, overrides), overrides


# Before "/{name}": a request for /validate with another method is then told "Allow: POST".
@router.post("/validate", response_model=Validation)
def validate_document(doc: ScenarioDocument, request: Request) -> dict[str, Any]:
    """Validate a whole scenario document sent in the body (at most the body-size limit),
    and a run of it at its own replications and days against the server's limits."""
    scenario = validate_scenario(doc.scenario, "scenario")
    cost = check_run_size(scenario, RunSize(), request.app.state.settings)
    return {"valid": True, "name": scenario.name, "scenario_hash": scenario_hash(scenario),
            "cost": cost.to_dict()}


def _info(name: str, sc: Scenario, source: str) -> dict[str, Any]:
    return {"name": name, "title": sc.title, "description": sc.description,
            "horizon_days": sc.simulation.horizon_days,
            "replications": sc.simulation.replications,
            "corridors": [c.name for c in sc.corridors], "source": source}


# Packaged scenarios do not change while the server runs: their answers are computed once
# (validating one takes ~60 ms, which made the scenario list the slowest read under load).
@functools.cache
def packaged_infos() -> list[dict[str, Any]]:
    return [_info(name, load_scenario(name), "packaged") for name in packaged_scenarios()]


@router.get("", response_model=list[ScenarioInfo])
def list_scenarios(request: Request) -> list[dict[str, Any]]:
    """The server's scenarios with their title and default horizon: packaged ones, then the
    scenario folder's (``siegeline serve --scenarios DIR``); a folder file that does not
    validate is listed with ``valid: false`` and its first problem, and cannot be run."""
    out = list(packaged_infos())
    for entry in catalogue_of(request).folder_entries():
        if entry.scenario is not None:
            out.append(_info(entry.name, entry.scenario, "folder"))
        else:
            out.append({"name": entry.name, "source": "folder", "valid": False,
                        "error": entry.error})
    return out


@router.get("/{name}")
def get_scenario(name: NameInPath, request: Request) -> dict[str, Any]:
    """The validated scenario as JSON (every field, defaults filled in)."""
    catalogue = catalogue_of(request)
    return _scenario_json(catalogue, check_name(catalogue, name), catalogue.version(name))


# Keyed by the file's version too: an edited folder file gets new answers.
@functools.lru_cache(maxsize=16)
def _scenario_json(catalogue: ScenarioCatalogue, name: str, _: Any) -> dict[str, Any]:
    return catalogue.load(name).model_dump(mode="json")


@functools.lru_cache(maxsize=16)
def _risk_map(catalogue: ScenarioCatalogue, name: str, _: Any) -> dict[str, Any]:
    return network_map(catalogue.load(name), None, "risk")


@router.get("/{name}/controls")
def get_controls(name: NameInPath, request: Request) -> dict[str, Any]:
    """The scenario's own values of what the dashboard controls change."""
    catalogue = catalogue_of(request)
    return control_defaults(catalogue.raw(check_name(catalogue, name)))


@router.get("/{name}/map", response_model=PlotlyFigure)
def scenario_map(name: NameInPath, request: Request,
                 colour_by: Literal["risk"] = Query("risk")) -> dict[str, Any]:
    """Plotly figure of the network over the country outlines, segments coloured by risk."""
    catalogue = catalogue_of(request)
    return _risk_map(catalogue, check_name(catalogue, name), catalogue.version(name))


@router.post("/{name}/validate", response_model=Validation)
def validate_changes(name: NameInPath, changes: RunSize, request: Request) -> dict[str, Any]:
    """Apply controls and overrides; 422 with the field at fault if the result is invalid or
    a run of it (the scenario's replications and days unless given) would exceed the server's
    limits."""
    scenario, overrides = resolve_changes(catalogue_of(request), name, changes)
    cost = check_run_size(scenario, changes, request.app.state.settings)
    return {"valid": True, "name": scenario.name, "scenario_hash": scenario_hash(scenario),
            "overrides": overrides, "cost": cost.to_dict()}
