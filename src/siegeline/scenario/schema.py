"""Pydantic schema of a siegeline scenario: the single source of truth for validation,
documentation (units, descriptions) and the exported JSON Schema.

Numbers that are uncertain are :class:`UncertainRange` values; the Monte Carlo samples one value
per replication. Every field carries ``unit`` in its JSON-schema extras.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)


def param(default: Any = ..., *, unit: str, description: str, **constraints: Any) -> Any:
    """A schema field with its unit recorded next to the description."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **constraints)


def uparam(
    default: Any = ...,
    *,
    unit: str,
    description: str,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
) -> Any:
    """A field holding a number or an :class:`UncertainRange`; bounds apply to both ends."""
    bounds = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le)) if v is not None}
    return Field(
        default, description=description, json_schema_extra={"unit": unit, "bounds": bounds}
    )


_BOUND_RULES = {
    "ge": (lambda x, b: x >= b, "greater than or equal to"),
    "gt": (lambda x, b: x > b, "greater than"),
    "le": (lambda x, b: x <= b, "less than or equal to"),
}


OBSERVATION_LOGS = {"bamako-2025": "blockade-2025-observations.csv"}
"""Observation logs shipped with siegeline (files of ``siegeline/data``), by name. Defined here,
not in :mod:`siegeline.observations.log`, so that validating a scenario does not import pandas."""

SCENARIO_FOLDER = "scenario_folder"
"""Validation-context key: the folder of the scenario file, against which the ``observations``
path is resolved and checked (absent, e.g. for a stored run's scenario: the value is kept)."""

MAX_MAGNITUDE = 1e12
"""No quantity in a scenario comes near this; larger numbers are typos, and would overflow the
engines' integer arrays."""


def _numbers(name: str, value: Any) -> list[tuple[str, float]]:
    """(label, number) for the plain numbers in a field, mappings searched to any depth (values
    named by key; ranges check themselves)."""
    if isinstance(value, dict):
        return [pair for k, x in value.items() for pair in _numbers(f"{name}.{k}", x)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [(name, value)]
    return []


class StrictModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _check_uncertain_bounds(self) -> StrictModel:
        for name, info in type(self).model_fields.items():
            has_upper = any(type(m).__name__ in ("Le", "Lt") for m in info.metadata)
            for label, x in [] if has_upper else _numbers(name, getattr(self, name)):
                if abs(x) > MAX_MAGNITUDE:
                    raise ValueError(f"{label} is implausibly large (limit {MAX_MAGNITUDE:g})")
            extra = info.json_schema_extra
            bounds = extra.get("bounds") if isinstance(extra, dict) else None
            if not bounds:
                continue
            value = getattr(self, name)
            if value is None:  # an optional parameter left unset
                continue
            ends = (value.low, value.high) if isinstance(value, UncertainRange) else (value,)
            for rule, bound in bounds.items():
                check, words = _BOUND_RULES[rule]
                if not all(check(x, bound) for x in ends):
                    raise ValueError(f"{name} must be {words} {bound} (got {value!r})")
        return self


class UncertainRange(StrictModel):
    """A parameter known only within bounds; each replication draws one value."""

    low: float = param(
        unit="same as the parameter", description="Lower bound.", allow_inf_nan=False
    )
    high: float = param(
        unit="same as the parameter", description="Upper bound.", allow_inf_nan=False
    )
    distribution: Literal["uniform", "triangular", "loguniform"] = param(
        "uniform", unit="-", description="Sampling distribution between low and high."
    )
    mode: float | None = param(
        None, unit="same as the parameter", description="Mode of a triangular distribution."
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> UncertainRange:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform range needs low > 0")
        if self.distribution == "triangular":
            if self.mode is None:
                raise ValueError("a triangular range needs a mode")
            if not self.low <= self.mode <= self.high:
                raise ValueError("mode must lie between low and high")
        return self

    @property
    def midpoint(self) -> float:
        if self.distribution == "triangular" and self.mode is not None:
            return (self.low + self.high + self.mode) / 3.0
        return 0.5 * (self.low + self.high)


def _range_shorthand(value: Any) -> Any:
    """Accept ``[low, high]`` as shorthand for a uniform range."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return {"low": value[0], "high": value[1]}
    return value


Uncertain = Annotated[
    Annotated[float, Field(allow_inf_nan=False)] | UncertainRange,
    BeforeValidator(_range_shorthand),
]
"""A number, or a range the Monte Carlo samples from."""


def lower_bound(value: float | UncertainRange) -> float:
    return value.low if isinstance(value, UncertainRange) else float(value)


def upper_bound(value: float | UncertainRange) -> float:
    return value.high if isinstance(value, UncertainRange) else float(value)


def central_value(value: float | UncertainRange) -> float:
    return value.midpoint if isinstance(value, UncertainRange) else float(value)


Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)]


class Product(StrictModel):
    name: Identifier = param(unit="-", description="Product identifier (e.g. diesel).")
    label: str = param("", unit="-", description="Human-readable name.")
    tanker_capacity_litres: float = param(
        45_000.0, unit="L", description="Load of one tanker of this product.", gt=0, le=100_000
    )
    official_price: float = param(
        unit="currency/L",
        description="Regulated pump price, in the scenario's currency per litre.",
        gt=0,
        allow_inf_nan=False,
    )
    dispatch_weight: Uncertain = uparam(
        1.0,
        unit="-",
        description=(
            "Weight importers give this product when willing drivers or convoy places are "
            "short: places go to products in proportion to weight x tankers ready; the "
            "products with the largest weights are also unloaded first at the city's gate."
        ),
        ge=0,
    )

NodeKind = Literal["port", "border", "town", "city", "staging"]


class Node(StrictModel):
    id: Identifier = param(unit="-", description="Node identifier.")
    name: str = param(unit="-", description="Place name.")
    kind: NodeKind = param(unit="-", description="Role of the node in the network.")
    lat: float = param(unit="degree", description="Latitude (WGS84).", ge=-90, le=90)
    lon: float = param(unit="degree", description="Longitude (WGS84).", ge=-180, le=180)
    country: str = param("", unit="ISO 3166-1 alpha-2", description="Country code.")
    customs_delay_days: Uncertain = uparam(
        0.0, unit="day", description="Mean customs/border delay of a tanker passing here.", ge=0
    )
    loading_capacity_tankers_per_day: dict[str, Uncertain] = param(
        default_factory=dict,
        unit="tanker/day",
        description="Ports only: tankers of each product that can be loaded per day.",
    )
    checkpoint_turnback_probability: Uncertain = uparam(
        0.0,
        unit="probability per passage",
        description="Probability that a checkpoint here turns a loaded tanker back to its port.",
        ge=0,
        le=1,
    )


GEOMETRY_END_TOLERANCE_KM = 5.0
"""How far a segment's geometry may start or end from its nodes (snapping of road data)."""


def great_circle_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance (km, mean Earth radius): precise enough for the end-point check."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


class Segment(StrictModel):
    id: Identifier = param(unit="-", description="Segment identifier.")
    a: Identifier = param(unit="-", description="Node at one end.")
    b: Identifier = param(unit="-", description="Node at the other end.")
    length_km: float = param(unit="km", description="Road length.", gt=0, le=5000)
    speed_km_per_day: float = param(
        300.0,
        unit="km/day",
        description="Effective distance a loaded tanker covers per day, stops included.",
        gt=0,
        le=2000,
    )
    hazard_per_100km: Uncertain = uparam(
        0.0,
        unit="1/(100 km)",
        description=(
            "Base attack hazard of a single vehicle group crossing 100 km of this segment at "
            "adversary intensity 1; P(attack) = 1 - exp(-hazard * intensity * km / 100)."
        ),
        ge=0,
    )
    capacity_tankers_per_day: Uncertain = uparam(
        200.0,
        unit="tanker/day",
        description=(
            "Road throughput, used by the planning models (the central value; stochastic "
            "interdiction samples a range)."
        ),
        gt=0,
    )
    oneway: bool = param(
        False,
        unit="-",
        description="Traffic only from a to b (the planning models then use a directed graph).",
    )
    geometry: list[tuple[float, float]] | None = param(
        None,
        unit="degree ([lon, lat] points)",
        description=(
            "The road's course from a to b as [longitude, latitude] points (WGS84), e.g. from "
            "`siegeline network attach`; the first and last within "
            f"{GEOMETRY_END_TOLERANCE_KM:g} km of a and b. Maps draw it and events are tied "
            "to it; none: the straight line between the nodes. length_km is not derived from it."
        ),
        min_length=2,
    )

    @model_validator(mode="after")
    def _check_geometry(self) -> Segment:
        for i, (lon, lat) in enumerate(self.geometry or []):
            if not (abs(lon) <= 180 and abs(lat) <= 90):
                raise ValueError(f"segment {self.id!r}: geometry point {i} [{lon}, {lat}] is not "
                                 "a [longitude, latitude] pair (|lon| <= 180, |lat| <= 90)")
        return self


class ConvoyPolicy(StrictModel):
    mode: Literal["free", "convoy"] = param(
        "free", unit="-", description="free: tankers leave on their own; convoy: grouped, escorted."
    )
    interval_days: int = param(
        1, unit="day", description="Days between scheduled convoy departures.", ge=1, le=60
    )
    max_size: int = param(
        60, unit="tanker", description="Most tankers one convoy takes.", ge=1, le=2000
    )
    min_size: int | None = param(
        None,
        unit="tanker",
        description=(
            "A convoy leaves as soon as this many tankers are assembled (loaded and ready), "
            "before the interval is up; none: it leaves only when the interval is up."
        ),
        ge=1,
        le=2000,
    )
    escorts_per_convoy: int = param(
        0, unit="escort unit", description="Escort units a convoy asks for.", ge=0, le=100
    )
    escorts_per_100_tankers: Uncertain = uparam(
        0.0,
        unit="escort unit per 100 tankers",
        description=(
            "Extra escort units a convoy asks for per 100 tankers it takes (escorts that scale "
            "with convoy size), on top of escorts_per_convoy."
        ),
        ge=0,
        le=100,
    )
    wait_for_escorts: bool = param(
        True,
        unit="-",
        description="If true a convoy waits (day by day) until its escorts are free.",
    )


class Corridor(StrictModel):
    name: Identifier = param(unit="-", description="Corridor identifier.")
    label: str = param("", unit="-", description="Human-readable name.")
    path: list[Identifier] = param(
        unit="-", description="Node ids from the port to the city.", min_length=2
    )
    fleet: dict[str, int] = param(
        unit="tanker", description="Tankers working this corridor, per product."
    )
    drivers: int | None = param(
        None,
        unit="driver",
        description="Drivers available to this corridor (default: one per tanker).",
        ge=0,
    )
    order_share: float = param(
        1.0,
        unit="-",
        description="Weight of this corridor in importers' orders (normalised over corridors).",
        ge=0,
    )
    policy: ConvoyPolicy = param(
        default_factory=ConvoyPolicy, unit="-", description="Convoy and escort policy."
    )


class Drivers(StrictModel):
    willingness_max: Uncertain = uparam(
        0.95,
        unit="probability/day",
        description="Daily willingness to depart with no fear.",
        ge=0,
        le=1,
    )
    fear_sensitivity: Uncertain = uparam(
        0.05, unit="1/loss", description="Fall of willingness per recent loss (log scale).", ge=0
    )
    fear_memory_days: Uncertain = uparam(
        30.0, unit="day", description="e-folding time of the fear index.", gt=0
    )
    escort_reassurance: Uncertain = uparam(
        0.5, unit="1/escort unit", description="How much each escort unit damps fear.", ge=0
    )
    escort_defiance: Uncertain = uparam(
        0.0,
        unit="1/escort unit",
        description=(
            "Escorts persuade drivers to defy a declared ban: the share refusing because of "
            "bans falls as exp(-defiance * escort units with the convoy)."
        ),
        ge=0,
    )
    kidnap_probability: Uncertain = uparam(
        0.3,
        unit="probability per destroyed tanker",
        description="Chance that the crew of a destroyed tanker is killed or kidnapped.",
        ge=0,
        le=1,
    )
    recruitment_per_day: Uncertain = uparam(
        0.5, unit="driver/day per corridor", description="New drivers joining each corridor.", ge=0
    )


class Escorts(StrictModel):
    pool_size: int = param(
        20, unit="escort unit", description="Escort units (platoons) available nationally.", ge=0
    )


class Ban(StrictModel):
    corridors: list[Identifier] | Literal["all"] = param(
        "all", unit="-", description="Corridors the declared ban covers."
    )
    start_day: int = param(0, unit="day", description="First day of the ban.", ge=0)
    end_day: int | None = param(
        None, unit="day", description="Last day of the ban (inclusive; none = open-ended)."
    )
    compliance: Uncertain = uparam(
        1.0, unit="share", description="Share of drivers who respect the ban.", ge=0, le=1
    )
    compliance_half_life_days: Uncertain | None = uparam(
        None,
        unit="day",
        description=(
            "Ban compliance erodes: it halves every this many days after the ban starts "
            "(none: constant)."
        ),
        gt=0,
    )


class Regime(StrictModel):
    name: Identifier = param(unit="-", description="Regime name (e.g. active, lull, surge).")
    intensity_multiplier: Uncertain = uparam(
        1.0, unit="-", description="Multiplier of the attack intensity in this regime.", ge=0
    )
    mean_duration_days: Uncertain | None = uparam(
        None,
        unit="day",
        description="Mean time the campaign stays in this regime (none: it never leaves).",
        gt=0,
    )
    ban_enforcement: Uncertain = uparam(
        1.0,
        unit="share",
        description=(
            "Share of the declared bans' compliance that holds in this regime: a ban is obeyed "
            "as far as it is enforced, so a lull or truce that stops the attacks can leave "
            "drivers free to defy it (1: fully enforced)."
        ),
        ge=0,
        le=1,
    )


class Campaign(StrictModel):
    """The adversary's campaign as regimes with random (geometric) durations."""

    regimes: list[Regime] = param(unit="-", description="Regimes of the campaign.", min_length=1)
    transitions: dict[str, dict[str, float]] = param(
        default_factory=dict,
        unit="weight",
        description=(
            "Where the campaign goes when it leaves a regime: regime -> {next regime: weight} "
            "(weights normalised; default: the other regimes equally)."
        ),
    )
    initial: Identifier | None = param(
        None, unit="-", description="Regime on day 0 (default: the first)."
    )
    hold: Identifier = param(
        "free",
        unit="-",
        description=(
            "A regime name holds the campaign in that regime (set it from a date in the "
            "timeline, when the record fixes the regime); free: regimes switch at random."
        ),
    )


class Adversary(StrictModel):
    intensity: Uncertain = uparam(
        1.0, unit="-", description="Multiplier of every segment hazard on day 0.", ge=0
    )
    growth_per_year: Uncertain = uparam(
        1.0,
        unit="factor/year",
        description="Year-on-year growth of attack intensity (2 = doubling).",
        gt=0,
    )
    adaptation: Uncertain = uparam(
        0.5,
        unit="share",
        description="Share of attack effort that shifts towards busy, weakly escorted corridors.",
        ge=0,
        le=1,
    )
    adaptation_rate: Uncertain = uparam(
        0.1, unit="1/day", description="Speed at which the adversary re-targets.", ge=0, le=1
    )
    escort_aversion: Uncertain = uparam(
        2.0, unit="1/(escort per 10 tankers)", description="Avoidance of escorted traffic.", ge=0
    )
    size_visibility_exponent: Uncertain = uparam(
        0.3,
        unit="-",
        description="Attack hazard of a group of n tankers scales as n**exponent.",
        ge=0,
        le=1,
    )
    deterrence_per_escort: Uncertain = uparam(
        0.25, unit="1/escort unit", description="Hazard multiplier exp(-d * escorts).", ge=0
    )
    protection_per_escort: Uncertain = uparam(
        0.15,
        unit="1/escort unit",
        description="Loss-given-attack multiplier exp(-p * escorts).",
        ge=0,
    )
    destroy_share: Uncertain = uparam(
        0.5,
        unit="share",
        description="Share of tankers in an attacked group that are destroyed (unescorted).",
        ge=0,
        le=1,
    )
    empty_leg_factor: Uncertain = uparam(
        0.5, unit="-", description="Hazard of empty tankers relative to loaded ones.", ge=0
    )
    bans: list[Ban] = param(default_factory=list, unit="-", description="Declared bans.")
    campaign: Campaign | None = param(
        None,
        unit="-",
        description="Phases of the campaign (active, lull, surge); none: always one regime.",
    )


class Sector(StrictModel):
    name: Identifier = param(unit="-", description="Sector identifier.")
    label: str = param("", unit="-", description="Human-readable name.")
    priority: int = param(
        unit="rank", description="Rationing priority (1 is served first).", ge=1, le=100
    )
    demand_litres_per_day: dict[str, Uncertain] = param(
        unit="L/day", description="Normal daily demand per product."
    )
    retail: bool = param(
        False, unit="-", description="Buys at filling stations (queues, informal price)."
    )
    panic_multiplier: Uncertain = uparam(
        0.0,
        unit="share",
        description="Extra demand at full visible scarcity (panic buying).",
        ge=0,
    )


class RationingLevel(StrictModel):
    below_cover_days: float = param(
        unit="day", description="Level applies when cover falls below this.", gt=0
    )
    caps: dict[str, float] = param(
        unit="share", description="Most of its normal demand each sector may draw."
    )


class Depot(StrictModel):
    name: str = param(unit="-", description="Depot name.")
    capacity_litres: dict[str, float] = param(unit="L", description="Storage per product.")
    initial_fill: Uncertain = uparam(
        0.5, unit="share", description="Stock on day 0 as a share of capacity.", ge=0, le=1
    )


class City(StrictModel):
    name: str = param(unit="-", description="City name.")
    node: Identifier = param(unit="-", description="Network node of the city's depots.")
    depots: list[Depot] = param(unit="-", description="Depots.", min_length=1)
    sectors: list[Sector] = param(unit="-", description="Demand sectors.", min_length=1)
    rationing: list[RationingLevel] = param(
        default_factory=list, unit="-", description="Rationing levels."
    )
    demand_multiplier: Uncertain = uparam(
        1.0,
        unit="-",
        description="Scales every sector's demand (uncertain national demand).",
        gt=0,
    )
    panic_cover_days: Uncertain = uparam(
        5.0, unit="day", description="Cover below which panic buying starts.", ge=0
    )
    stockout_unserved_share: float = param(
        0.01,
        unit="share",
        description=(
            "A product is in stockout on a day when more than this share of its normal demand "
            "(all sectors) goes unserved, by rationing or empty depots."
        ),
        ge=0,
        lt=1,
    )
    order_target_cover_days: Uncertain = uparam(
        8.0,
        unit="day",
        description=(
            "Importers order to keep this many days of normal demand in the depots: they order "
            "up to target + lead-time demand, counting depot stock, fuel on the road and at the "
            "gate (a base-stock rule)."
        ),
        gt=0,
    )
    unloading_capacity_tankers_per_day: Uncertain | None = uparam(
        None,
        unit="tanker/day",
        description=(
            "Tankers the city can clear through customs and unload into its depots per day; "
            "the rest wait at the gate (none: unlimited)."
        ),
        gt=0,
    )


class Stations(StrictModel):
    count: int = param(600, unit="station", description="Filling stations in the city.", ge=1)
    pumps_per_station: int = param(4, unit="pump", description="Pumps per station.", ge=1, le=64)
    service_rate_per_pump_per_hour: float = param(
        12.0, unit="vehicle/h", description="Vehicles one pump serves per hour.", gt=0
    )
    opening_hours: float = param(14.0, unit="h/day", description="Opening hours.", gt=0, le=24)
    litres_per_fill: float = param(25.0, unit="L/vehicle", description="Mean purchase.", gt=0)
    concentration_exponent: Uncertain = uparam(
        1.0,
        unit="-",
        description=(
            "Stations with a product = count x (retail supply / normal retail demand) ** this; "
            "above 1, scarce fuel is concentrated in fewer stations that sell out."
        ),
        ge=0.5,
        le=5,
    )
    max_wait_hours: float = param(
        12.0, unit="h", description="Waiting time at which motorists give up (queue cap).", gt=0
    )


class Prices(StrictModel):
    elasticity: Uncertain = uparam(
        0.3, unit="-", description="Price elasticity of retail fuel demand (absolute).", gt=0
    )
    cap_multiple: Uncertain = uparam(
        4.0, unit="x official", description="Informal price ceiling.", ge=1
    )
    goods_pass_through: Uncertain = uparam(
        0.3, unit="-", description="Share of fuel price rise passed to goods prices.", ge=0, le=1
    )


class PowerFinance(StrictModel):
    """The power utility buys fuel with the cash its sales bring in, after its fixed costs, plus
    a limited credit: a shortage that cuts its sales can leave it unable to buy fuel once fuel is
    back, until the state restores its credit. Units: the utility's normal daily fuel bill."""

    sales_cover: Uncertain = uparam(
        unit="x normal fuel bill",
        description=(
            "Electricity sales at normal hours, as a multiple of the normal fuel bill; sales fall "
            "in proportion to the hours supplied while fixed costs and subsidies do not."
        ),
        ge=0,
    )
    margin: Uncertain = uparam(
        0.0,
        unit="x normal fuel bill",
        description="Cash left on a normal day after fuel and fixed costs; it rebuilds credit.",
        ge=0,
    )
    credit_days: Uncertain = uparam(
        unit="day",
        description="Credit (suppliers, banks) covering fuel bills beyond the day's cash, in "
        "days of the normal fuel bill.",
        ge=0,
    )
    bailout_days: Uncertain | None = uparam(
        None,
        unit="day",
        description=(
            "Days the utility cannot buy its full need before the state restores its credit "
            "(none: never)."
        ),
        gt=0,
    )


class Impacts(StrictModel):
    power_sector: Identifier | None = param(
        None, unit="-", description="Sector that generates electricity."
    )
    power_hours_normal: float = param(
        19.0, unit="h/day", description="Hours of electricity when fully supplied.", ge=0, le=24
    )
    thermal_share: Uncertain = uparam(
        0.7, unit="share", description="Share of power from fuel-fired plants.", ge=0, le=1
    )
    power_finance: PowerFinance | None = param(
        None,
        unit="-",
        description="How the power sector pays for its fuel (none: it buys all it can get).",
    )
    disruption_served_share: Uncertain = uparam(
        0.5,
        unit="share",
        description=(
            "Schools and services are disrupted once retail (transport) demand is served below "
            "this share for disruption_min_days consecutive days."
        ),
        ge=0,
        le=1,
    )
    disruption_min_days: int = param(
        7, unit="day", description="Consecutive low-supply days before disruption.", ge=1
    )
    recovery_served_share: Uncertain = uparam(
        0.8,
        unit="share",
        description="Disruption clears once retail demand is served at or above this share ...",
        ge=0,
        le=1,
    )
    recovery_min_days: int = param(
        3, unit="day", description="... for this many consecutive days.", ge=1
    )


class StoredRunState(StrictModel):
    """Start from the state of a stored run at the end of a date (a run that starts mid-siege)."""

    run: str = param(unit="-", description="Run id (or unique prefix) in the results store.")
    date: dt.date = param(
        unit="date",
        description="The state at the end of this day of the stored run is this run's start; "
        "simulation.start_date must be the next day.",
    )
    store: str | None = param(
        None, unit="-", description="Results store holding the run (default: the usual store)."
    )


class Simulation(StrictModel):
    start_date: dt.date = param(unit="date", description="Calendar date of day 0.")
    horizon_days: int = param(180, unit="day", description="Days simulated.", ge=1, le=3650)
    replications: int = param(
        1000, unit="-", description="Monte Carlo replications.", ge=1, le=1_000_000
    )
    seed: int = param(20250903, unit="-", description="Root seed.", ge=0, le=2**63 - 1)
    initial_state: Literal["pre_blockade", "empty_roads"] | StoredRunState = param(
        "pre_blockade",
        unit="-",
        description=(
            "State on day 0: pre_blockade puts the traffic of normal times on the road (a "
            "blockade that starts on day 0); empty_roads starts with every tanker at its port; "
            "{run, date} continues a stored run from the end of that date (its scenario "
            "re-simulated up to the date with the same seed, then this scenario's parameters)."
        ),
    )

    @model_validator(mode="after")
    def _check_start(self) -> Simulation:
        state = self.initial_state
        if isinstance(state, StoredRunState) and self.start_date != state.date + dt.timedelta(1):
            after = (state.date + dt.timedelta(1)).isoformat()
            raise ValueError(f"start_date must be the day after initial_state.date ({after}), "
                             f"got {self.start_date.isoformat()}")
        return self


class TimelineEntry(StrictModel):
    """A dated change: from this day on, the parameters in ``set`` take these values."""

    date: dt.date | None = param(None, unit="date", description="Date the change takes effect.")
    day: int | None = param(
        None, unit="day", description="Day (0 = start date) the change takes effect.", ge=0
    )
    set: dict[str, Any] = param(
        unit="-",
        description="Parameter path -> value from that day on (paths as for --set).",
        min_length=1,
    )
    note: str = param("", unit="-", description="What happened.")
    source: str = param("", unit="-", description="Where the record of it comes from.")

    @model_validator(mode="after")
    def _check_when(self) -> TimelineEntry:
        if (self.date is None) == (self.day is None):
            raise ValueError("give exactly one of date and day")
        return self

    def start_day(self, start_date: dt.date) -> int:
        """Day index of this entry for a scenario starting on ``start_date``."""
        return self.day if self.day is not None else (self.date - start_date).days


class SourceRef(StrictModel):
    source: str = param(unit="-", description="Where the figure comes from.")
    fact: str | None = param(None, unit="-", description="Key in the packaged facts table.")
    confidence: Literal["high", "medium", "low", "estimate"] = param(
        "estimate", unit="-", description="Confidence in the figure."
    )
    note: str = param("", unit="-", description="Remarks.")


class Posterior(StrictModel):
    """Joint samples of uncertain parameters conditioned on observations (``siegeline
    calibrate``): each replication draws one row, so the parameters keep their correlations."""

    parameters: list[str] = param(
        unit="-", description="Parameter paths (each an uncertain range of this scenario).",
        min_length=1)
    samples: list[list[float]] = param(
        unit="as each parameter", description="One row per posterior sample, values in the "
        "order of parameters.", min_length=1)
    observations: str = param("", unit="-", description="Observation log conditioned on.")
    until: dt.date | None = param(None, unit="date", description="Last date of data used.")
    method: str = param("", unit="-", description="Inference method and settings.")

    @model_validator(mode="after")
    def _check_rows(self) -> Posterior:
        if len(set(self.parameters)) != len(self.parameters):
            raise ValueError("posterior.parameters names a path twice")
        k = len(self.parameters)
        bad = [i for i, row in enumerate(self.samples) if len(row) != k]
        if bad:
            raise ValueError(f"posterior.samples row {bad[0]} has {len(self.samples[bad[0]])} "
                             f"values for {k} parameters")
        return self


class Scenario(StrictModel):
    name: Identifier = param(unit="-", description="Scenario identifier.")
    title: str = param("", unit="-", description="Title.")
    description: str = param("", unit="-", description="What the scenario represents.")
    currency: str = param(
        "FCFA",
        unit="-",
        description="Currency of every price (official and informal prices are per litre in "
        "it), as printed in summaries, charts and reports (e.g. FCFA, GNF, USD).",
        min_length=1,
        max_length=12,
        pattern=r"^\S+$",
    )
    observations: str | None = param(
        None, unit="-",
        description="Observation log of this case, read by calibrate, backtest, record, "
        "forecast, the report and the dashboard when they are given no --observations: a "
        f"packaged log name ({', '.join(OBSERVATION_LOGS)}) or a CSV file, relative to the "
        "scenario file's folder; an unknown name or a missing file is a validation error. "
        "None: the case has no log (calibrate, backtest and record then need --observations; "
        "forecasts draw no reports).",
        min_length=1,
    )
    simulation: Simulation
    products: list[Product] = param(unit="-", description="Fuel products.", min_length=1)
    nodes: list[Node] = param(unit="-", description="Network nodes.", min_length=2)
    segments: list[Segment] = param(unit="-", description="Road segments.", min_length=1)
    corridors: list[Corridor] = param(unit="-", description="Supply corridors.", min_length=1)
    drivers: Drivers = param(default_factory=Drivers, unit="-", description="Driver behaviour.")
    escorts: Escorts = param(default_factory=Escorts, unit="-", description="Escort pool.")
    adversary: Adversary = param(default_factory=Adversary, unit="-", description="Adversary.")
    city: City
    stations: Stations = param(default_factory=Stations, unit="-", description="Stations.")
    prices: Prices = param(default_factory=Prices, unit="-", description="Prices.")
    impacts: Impacts = param(default_factory=Impacts, unit="-", description="Impacts.")
    sources: dict[str, SourceRef] = param(
        default_factory=dict,
        unit="-",
        description="Source of each figure, keyed by parameter path (e.g. adversary.intensity; "
        "list items by id, name or index); a path that names nothing is a validation error "
        "(timeline.N paths are not checked: --set may drop entries).",
    )
    timeline: list[TimelineEntry] = param(
        default_factory=list,
        unit="-",
        description="Dated changes of any parameter (escorts, convoy policy, bans, campaign...).",
    )
    posterior: Posterior | None = param(
        None, unit="-",
        description="Posterior samples from calibration: replications draw rows of it in place "
        "of the ranges of its parameters.",
    )

    @field_validator("observations")
    @classmethod
    def _observation_log_exists(cls, v: str | None, info: ValidationInfo) -> str | None:
        folder = (info.context or {}).get(SCENARIO_FOLDER)
        if v is None or v in OBSERVATION_LOGS or folder is None:
            return v
        path = (Path(folder) / v).resolve()  # an absolute v stays itself
        if not path.is_file():
            raise ValueError(f"no observation log {v!r}: not a packaged log "
                             f"({', '.join(OBSERVATION_LOGS)}) and no file {str(path)!r}")
        return str(path)

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        problems: list[str] = []
        product_names = [p.name for p in self.products]
        _unique("products", product_names, problems)
        node_ids = [n.id for n in self.nodes]
        _unique("nodes", node_ids, problems)
        _unique("segments", [s.id for s in self.segments], problems)
        _unique("corridors", [c.name for c in self.corridors], problems)
        _unique("city.sectors", [s.name for s in self.city.sectors], problems)
        nodes = {n.id: n for n in self.nodes}
        pairs: dict[frozenset[str], str] = {}
        for seg in self.segments:
            for end in (seg.a, seg.b):
                if end not in nodes:
                    problems.append(f"segment {seg.id!r} refers to unknown node {end!r}")
            if seg.a == seg.b:
                problems.append(f"segment {seg.id!r} starts and ends at {seg.a!r}")
            _check_geometry_ends(seg, nodes, problems)
            pairs[frozenset((seg.a, seg.b))] = seg.id
        if self.city.node not in nodes:
            problems.append(f"city.node {self.city.node!r} is not a node")
        elif nodes[self.city.node].kind != "city":
            problems.append(f"city.node {self.city.node!r} is not of kind 'city'")
        # The model supplies one city; another node of kind 'city' would be silently ignored.
        for n in self.nodes:
            if n.kind == "city" and n.id != self.city.node:
                problems.append(f"node {n.id!r} is a second city (the scenario's city is "
                                f"city.node {self.city.node!r}); make it a 'town'")
        for n in self.nodes:
            for prod in n.loading_capacity_tankers_per_day:
                if prod not in product_names:
                    problems.append(f"node {n.id!r} loads unknown product {prod!r}")
        for cor in self.corridors:
            where = f"corridor {cor.name!r}"
            for nid in cor.path:
                if nid not in nodes:
                    problems.append(f"{where} passes unknown node {nid!r}")
            if len(set(cor.path)) != len(cor.path):
                problems.append(f"{where} visits a node twice")
            if cor.path[0] in nodes and nodes[cor.path[0]].kind != "port":
                problems.append(f"{where} must start at a port, not {cor.path[0]!r}")
            if cor.path[-1] != self.city.node:
                problems.append(
                    f"{where} does not reach the city: it ends at {cor.path[-1]!r}, "
                    f"not {self.city.node!r}"
                )
            for u, v in zip(cor.path, cor.path[1:], strict=False):
                if frozenset((u, v)) not in pairs:
                    problems.append(f"{where}: no segment joins {u!r} and {v!r}")
            for prod, count in cor.fleet.items():
                if prod not in product_names:
                    problems.append(f"{where} has a fleet of unknown product {prod!r}")
                if count < 0:
                    problems.append(f"{where} has a negative fleet of {prod!r}")
        for n in self.nodes:
            for prod, cap in n.loading_capacity_tankers_per_day.items():
                if lower_bound(cap) < 0:
                    problems.append(f"node {n.id!r} has a negative loading capacity of {prod!r}")
        for cor in self.corridors:
            port = nodes.get(cor.path[0])
            if port is None or port.kind != "port":
                continue
            for prod, count in cor.fleet.items():
                cap = port.loading_capacity_tankers_per_day.get(prod)
                if count > 0 and (cap is None or upper_bound(cap) <= 0):
                    problems.append(
                        f"corridor {cor.name!r} runs {count} {prod} tankers from port "
                        f"{port.id!r}, which can load no {prod} "
                        f"(set nodes.{port.id}.loading_capacity_tankers_per_day.{prod})")
        if self.corridors and sum(c.order_share for c in self.corridors) <= 0:
            problems.append("corridors: order_share must be positive on some corridor")
        corridor_names = {c.name for c in self.corridors}
        for i, ban in enumerate(self.adversary.bans):
            if ban.corridors != "all":
                for name in ban.corridors:
                    if name not in corridor_names:
                        problems.append(f"adversary.bans[{i}] names unknown corridor {name!r}")
            if ban.end_day is not None and ban.end_day < ban.start_day:
                problems.append(f"adversary.bans[{i}] ends before it starts")
        sector_names = {s.name for s in self.city.sectors}
        for s in self.city.sectors:
            for prod, demand in s.demand_litres_per_day.items():
                if prod not in product_names:
                    problems.append(f"sector {s.name!r} demands unknown product {prod!r}")
                if lower_bound(demand) < 0:
                    problems.append(f"sector {s.name!r} has a negative demand of {prod!r}")
        for i, level in enumerate(self.city.rationing):
            for sec, share in level.caps.items():
                if sec not in sector_names:
                    problems.append(f"city.rationing[{i}] caps unknown sector {sec!r}")
                if not 0 <= share <= 1:
                    problems.append(f"city.rationing[{i}].caps.{sec} must be within [0, 1]")
        for d in self.city.depots:
            for prod, cap in d.capacity_litres.items():
                if prod not in product_names:
                    problems.append(f"depot {d.name!r} stores unknown product {prod!r}")
                if cap < 0:
                    problems.append(f"depot {d.name!r} has negative capacity for {prod!r}")
        if self.impacts.power_sector is not None and self.impacts.power_sector not in sector_names:
            problems.append(f"impacts.power_sector {self.impacts.power_sector!r} is not a sector")
        if self.impacts.power_finance is not None:
            if self.impacts.power_sector is None:
                problems.append("impacts.power_finance needs impacts.power_sector (whose fuel "
                                "it buys)")
            if self.impacts.power_hours_normal <= 0:
                problems.append("impacts.power_finance needs impacts.power_hours_normal > 0 "
                                "(its sales follow the hours supplied)")
        if self.adversary.campaign is not None:
            _check_campaign(self.adversary.campaign, problems)
        horizon = self.simulation.horizon_days
        # A run continuing a stored one may keep its earlier entries: they are in force at day 0.
        continues = isinstance(self.simulation.initial_state, StoredRunState)
        for i, entry in enumerate(self.timeline):
            day = entry.start_day(self.simulation.start_date)
            when = entry.date.isoformat() if entry.date is not None else f"day {entry.day}"
            if day >= horizon or (day < 0 and not continues):
                problems.append(
                    f"timeline[{i}] ({when}): outside the horizon (day {day}; the scenario runs "
                    f"days 0-{horizon - 1} from {self.simulation.start_date.isoformat()})")
        for path in self.sources:
            if path.startswith("timeline."):  # --set may drop entries; each has a source field
                continue
            missing = _missing_path(self, path)
            if missing:
                problems.append(f"sources: {path!r} is not a parameter path ({missing})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def price_unit(self) -> str:
        """Unit of every price in the scenario and its outputs (e.g. ``FCFA/L``)."""
        return f"{self.currency}/L"

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def segment_between(self, u: str, v: str) -> Segment:
        return next(s for s in self.segments if {s.a, s.b} == {u, v})

    def corridor(self, name: str) -> Corridor:
        return next(c for c in self.corridors if c.name == name)


def _check_campaign(campaign: Campaign, problems: list[str]) -> None:
    names = [r.name for r in campaign.regimes]
    _unique("adversary.campaign.regimes", names, problems)
    for label, name in (("initial", campaign.initial), ("hold", campaign.hold)):
        if name is not None and name not in names and not (label == "hold" and name == "free"):
            problems.append(f"adversary.campaign.{label} {name!r} is not a regime "
                            f"(regimes: {', '.join(names)})")
    for src, row in campaign.transitions.items():
        if src not in names:
            problems.append(f"adversary.campaign.transitions: unknown regime {src!r}")
        for dst, weight in row.items():
            if dst not in names:
                problems.append(f"adversary.campaign.transitions.{src}: unknown regime {dst!r}")
            elif dst == src:
                problems.append(f"adversary.campaign.transitions.{src}: a regime cannot "
                                "switch to itself")
            if weight < 0:
                problems.append(f"adversary.campaign.transitions.{src}.{dst} must be >= 0")


def _check_geometry_ends(seg: Segment, nodes: dict[str, Node], problems: list[str]) -> None:
    """A segment's geometry must run from its node a to its node b."""
    if not seg.geometry or seg.a not in nodes or seg.b not in nodes:
        return
    for which, end, point in (("starts", seg.a, seg.geometry[0]),
                              ("ends", seg.b, seg.geometry[-1])):
        node = nodes[end]
        km = great_circle_km(point[0], point[1], node.lon, node.lat)
        if km > GEOMETRY_END_TOLERANCE_KM:
            problems.append(
                f"segment {seg.id!r}: geometry {which} at [{point[0]:g}, {point[1]:g}], "
                f"{km:,.1f} km from node {end!r} (at most {GEOMETRY_END_TOLERANCE_KM:g} km; "
                "points run from a to b as [longitude, latitude])")


def _unique(where: str, names: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            problems.append(f"{where}: duplicate name {n!r}")
        seen.add(n)


def _child_names(node: Any) -> list[str]:
    if isinstance(node, BaseModel):
        return list(type(node).model_fields)
    if isinstance(node, dict):
        return [str(k) for k in node]
    names = [getattr(x, "id", None) or getattr(x, "name", None) for x in node]
    return [str(n) for n in names if n]


def _missing_path(root: BaseModel, path: str) -> str | None:
    """Why ``path`` (dotted, list items by id, name or index) names nothing in ``root``; None
    when it does. A field left unset (None) counts as present only as the last key."""
    node: Any = root
    keys = path.split(".")
    for i, key in enumerate(keys):
        where = ".".join(keys[:i]) or "the scenario"
        if node is None:
            return f"{where} is not set"
        if isinstance(node, BaseModel):
            found = key in type(node).model_fields
            nxt = getattr(node, key, None)
        elif isinstance(node, dict):
            found, nxt = key in node, node.get(key)
        elif isinstance(node, list):
            match = [x for x in node if key in (getattr(x, "id", None), getattr(x, "name", None))]
            if not match and key.isdigit() and int(key) < len(node):
                match = [node[int(key)]]  # list items by index, as overrides allow
            found, nxt = bool(match), match[0] if match else None
        else:
            return f"{where} has no parts"
        if not found:
            close = difflib.get_close_matches(key, _child_names(node), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"{where} has no {key!r}{hint}"
        node = nxt
    return None
