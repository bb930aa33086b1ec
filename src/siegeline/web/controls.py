"""Dashboard controls and their translation into scenario override strings (``path=value``), so a
run started from the dashboard is exactly ``siegeline run SCENARIO --set ...`` with those
strings, and is validated by the same schema."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from siegeline.scenario.loader import ScenarioError


class Controls(BaseModel):
    """What the dashboard's scenario controls can change; ``None`` keeps the scenario's value."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no bool for a number, no "yes"

    intensity_scale: float | None = Field(
        None, ge=0, le=10, description="Multiplies the adversary intensity (both ends of a range).")
    escort_pool: StrictInt | None = Field(None, ge=0, le=1000,
                                          description="Escort units available.")
    convoy_mode: Literal["free", "convoy"] | None = Field(
        None, description="Convoy policy of the chosen corridors.")
    convoy_interval_days: StrictInt | None = Field(None, ge=1, le=60,
                                             description="Days between convoys.")
    escorts_per_convoy: StrictInt | None = Field(None, ge=0, le=100,
                                           description="Escort units each convoy asks for.")
    corridors: list[str] | None = Field(
        None, max_length=50, description="Corridors the convoy settings apply to (None: all).")
    rationing: StrictBool | None = Field(None, description="False removes every rationing level.")
    rationing_start_cover_days: float | None = Field(
        None, gt=0, le=60, description="Cover at which the first (mildest) rationing level starts.")


def _scaled(value: Any, factor: float) -> Any:
    """An uncertain value (number, [low, high] or {low, high, ...}) multiplied by ``factor``."""
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, list | tuple):
        return [v * factor for v in value]
    if isinstance(value, dict):
        return {k: (v * factor if k in ("low", "high", "mode") and v is not None else v)
                for k, v in value.items()}
    raise ScenarioError([("adversary.intensity", f"cannot scale {value!r}")], "controls")


def controls_to_overrides(raw: dict[str, Any], controls: Controls) -> list[str]:
    """Override strings for ``load_scenario(name, overrides)``; ``raw`` is the scenario document
    (needed to scale the current intensity and to name corridors and rationing levels). An
    intensity scale of 1 and the scenario's own escort pool give no string."""
    out: list[str] = []
    # A control left at the scenario's value changes nothing and is not listed as a change.
    if controls.intensity_scale not in (None, 1.0):
        current = raw.get("adversary", {}).get("intensity", 1.0)
        out.append(f"adversary.intensity={json.dumps(_scaled(current, controls.intensity_scale))}")
    if controls.escort_pool not in (None, control_defaults(raw)["escort_pool"]):
        out.append(f"escorts.pool_size={controls.escort_pool}")
    names = [c["name"] for c in raw.get("corridors", [])]
    chosen = names if controls.corridors is None else controls.corridors
    for name in chosen:
        if name not in names:
            raise ScenarioError([(f"controls.corridors.{name}", "no corridor of that name")],
                                "controls")
        policy = f"corridors.{name}.policy"
        if controls.convoy_mode is not None:
            out.append(f"{policy}.mode={controls.convoy_mode}")
        if controls.convoy_interval_days is not None:
            out.append(f"{policy}.interval_days={controls.convoy_interval_days}")
        if controls.escorts_per_convoy is not None:
            out.append(f"{policy}.escorts_per_convoy={controls.escorts_per_convoy}")
    levels = raw.get("city", {}).get("rationing", [])
    if controls.rationing is False:
        out.append("city.rationing=[]")
    elif controls.rationing_start_cover_days is not None:
        if not levels:
            raise ScenarioError([("controls.rationing_start_cover_days",
                                  "the scenario has no rationing levels to move")], "controls")
        mildest = max(range(len(levels)), key=lambda i: levels[i]["below_cover_days"])
        out.append(f"city.rationing.{mildest}.below_cover_days="
                   f"{controls.rationing_start_cover_days}")
    return out


def control_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """The scenario's own values of what the controls change, to initialise the dashboard."""
    levels = raw.get("city", {}).get("rationing", [])
    return {
        "intensity": raw.get("adversary", {}).get("intensity", 1.0),
        "escort_pool": raw.get("escorts", {}).get("pool_size", 20),
        "corridors": [{"name": c["name"], "label": c.get("label", ""),
                       "policy": c.get("policy", {})} for c in raw.get("corridors", [])],
        "rationing_levels": [lv["below_cover_days"] for lv in levels],
        "horizon_days": raw.get("simulation", {}).get("horizon_days"),
        "replications": raw.get("simulation", {}).get("replications"),
        "seed": raw.get("simulation", {}).get("seed"),
    }
