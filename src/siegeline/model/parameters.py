"""The model's parameters compiled from a scenario into arrays with a leading replication axis.

This is the one model definition both engines read: every number the dynamics use is here, with
its unit in the attribute's comment. Uncertain scenario numbers are sampled once per replication;
``overrides`` replace any numeric parameter path with per-replication values, so a whole design
(sensitivity analysis, policy search) runs in one engine call.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from siegeline.model.continuation import Prefix
from siegeline.model.outputs import OUTPUTS
from siegeline.scenario.loader import (
    ScenarioError,
    canonical_path,
    release_from_posterior,
    resolve_path,
    set_path,
    validate_scenario,
)
from siegeline.scenario.schema import Scenario, UncertainRange, central_value

ArrayLike = float | int | np.ndarray


def parameter_stream(seed: int, path: str) -> np.random.Generator:
    """Independent, order-free random stream for sampling one parameter path."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, 1, zlib.crc32(path.encode())]))
    )


def dynamics_seed_sequence(seed: int) -> np.random.SeedSequence:
    """Root of the random streams that drive the dynamics (separate from parameter sampling)."""
    return np.random.SeedSequence([seed, 2])


def sample_value(value: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    if isinstance(value, UncertainRange):
        if value.distribution == "uniform":
            return rng.uniform(value.low, value.high, n)
        if value.distribution == "loguniform":
            return np.exp(rng.uniform(math.log(value.low), math.log(value.high), n))
        if value.high == value.low:
            return np.full(n, value.low)
        return rng.triangular(value.low, value.mode, value.high, n)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return np.full(n, float(value))


def check_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], n: int
) -> dict[str, np.ndarray]:
    """Validate per-replication overrides: known numeric paths, right length, values the schema
    accepts (checked by validating the scenario at each override's extremes)."""
    checked: dict[str, np.ndarray] = {}
    base = scenario.model_dump(mode="json")
    for path, values in overrides.items():
        current = resolve_path(scenario, path)
        if not isinstance(current, int | float | UncertainRange) or isinstance(current, bool):
            raise ScenarioError([(path, "is not a numeric parameter")], "override")
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        if arr.shape != (n,):
            raise ScenarioError(
                [(path, f"needs one value per replication ({n}), got shape {arr.shape}")],
                "override",
            )
        if not np.all(np.isfinite(arr)):
            raise ScenarioError([(path, "values must be finite")], "override")
        checked[path] = arr
    # Bounds live in the schema: validate the scenario at each override's extremes.
    for pick in (np.min, np.max):
        data = copy.deepcopy(base) if checked else None
        for path, arr in checked.items():
            v = float(pick(arr))
            release_from_posterior(data, canonical_path(data, path))
            set_path(data, path, int(v) if isinstance(resolve_path(scenario, path), int) else v)
        if data is not None:
            validate_scenario(data, "override")
    return checked


def posterior_columns(scenario: Scenario, n: int, seed: int) -> dict[str, np.ndarray]:
    """Path -> values for ``n`` replications, each replication one row of the scenario's
    posterior samples (rows drawn with replacement from their own stream: joint draws)."""
    post = scenario.posterior
    if post is None:
        return {}
    rows = np.asarray(post.samples, dtype=float)
    pick = parameter_stream(seed, "posterior").integers(0, len(rows), n)
    return {path: rows[pick, j] for j, path in enumerate(post.parameters)}


class ParameterSource:
    """Gives each parameter path as an array over replications."""

    def __init__(
        self,
        scenario: Scenario,
        n: int,
        seed: int,
        overrides: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.scenario = scenario
        self.n = n
        self.seed = seed
        self.overrides = dict(overrides or {})
        self.used: dict[str, np.ndarray] = {}
        # Draws by (path, value): a timeline's phases share the draws of unchanged parameters.
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        self.posterior = posterior_columns(scenario, n, seed)

    def get(self, path: str, value: Any | None = None) -> np.ndarray:
        if path in self.overrides:
            arr = self.overrides[path]
        else:
            if value is None:
                value = resolve_path(self.scenario, path)
            if path in self.posterior and isinstance(value, UncertainRange):
                arr = self.posterior[path]  # a timeline entry that sets it wins from its date
            else:
                key = (path, repr(value))
                if key not in self.cache:
                    self.cache[key] = sample_value(value, parameter_stream(self.seed, path),
                                                   self.n)
                arr = self.cache[key]
        if path in self.overrides or isinstance(value, UncertainRange):
            self.used[path] = arr
        return arr


# Arrays of ModelParameters without a leading replication axis (the same for every replication).
SHARED_ARRAYS = frozenset({
    "tanker_litres", "official_price", "corridor_port", "order_share", "convoy",
    "wait_for_escorts", "sector_priority", "retail", "rationing_thresholds", "rationing_caps",
    "depot_capacity", "product_order", "regime_transition", "phase_of_day",
})

# Fields that fix the model's structure: a timeline may not change them (every phase of a run
# shares them), with what a user would have changed to move them.
STRUCTURAL = {
    "leg_days": "travel times (segment lengths and speeds, customs delays)",
    "slots": "travel times (segment lengths and speeds, customs delays)",
    "checkpoint_age": "travel times to checkpoints",
    "checkpoint_prob": "checkpoints (nodes.*.checkpoint_turnback_probability)",
    "fleet": "fleets (corridors.*.fleet)",
    "drivers": "drivers (corridors.*.drivers)",
    "initial_stock": "initial stocks (city.depots.*.initial_fill)",
    "corridor_port": "corridor paths",
    "convoy": "convoy mode (corridors.*.policy.mode)",
    "wait_for_escorts": "corridors.*.policy.wait_for_escorts",
    "sector_priority": "sector priorities",
    "retail": "which sectors buy at stations",
    "power_sector": "impacts.power_sector",
    "power_finance": "impacts.power_finance (whether the power sector's cash limits its buying)",
    "pumps_per_station": "stations.pumps_per_station",
    "service_rate": "stations.service_rate_per_pump_per_hour",
    "opening_hours": "stations.opening_hours",
    "max_wait_hours": "stations.max_wait_hours",
    "product_order": "products' dispatch priorities",
    "regime_names": "the campaign's regimes",
    "initial_regime": "adversary.campaign.initial",
    "initial_state": "simulation.initial_state",
    "products": "products", "corridors": "corridors", "sectors": "sectors", "ports": "ports",
}

UNLIMITED = 1e9  # stands for "no limit" in per-day capacities (far above any real count)


@dataclass(frozen=True)
class ModelParameters:
    """Arrays for R replications, C corridors, P products, S sectors, K pipeline slots,
    Q checkpoints per corridor, V rationing levels, G campaign regimes, T days.

    A scenario with a timeline compiles one ModelParameters per phase: ``phases[k]`` holds the
    parameters in force from its first day, ``phase_of_day[t]`` says which phase day t is in
    (``at(t)``). Phase 0 is this object itself; arrays a phase leaves unchanged are shared
    (the same object) with the phase before, and STRUCTURAL fields are equal in every phase.
    """

    scenario: Scenario
    replications: int
    days: int
    seed: int
    products: list[str]
    corridors: list[str]
    sectors: list[str]
    ports: list[str]
    # Products
    tanker_litres: np.ndarray  # (P,) L per tanker
    official_price: np.ndarray  # (P,) FCFA/L
    product_order: np.ndarray  # (P,) int: products by decreasing (central) dispatch weight
    dispatch_weight: np.ndarray  # (R, P) weight of each product when places are short
    # Corridors and pipeline
    corridor_port: np.ndarray  # (C,) index into ports
    leg_days: np.ndarray  # (R, C) int: days from dispatch to arrival at the city
    exposure_loaded: np.ndarray  # (R, C, K) hazard integral (sum hazard*km/100) per day of age
    checkpoint_age: np.ndarray  # (R, C, Q) int age at which checkpoint q is passed (-1 if none)
    checkpoint_prob: np.ndarray  # (R, C, Q) turn-back probability
    slots: int  # K: ring-buffer length (> every round trip)
    fleet: np.ndarray  # (R, C, P) tankers
    drivers: np.ndarray  # (R, C) drivers
    order_share: np.ndarray  # (C,) normalised
    port_capacity: np.ndarray  # (R, C, P) tankers/day this corridor may load at its port
    convoy: np.ndarray  # (C,) bool: convoy mode
    convoy_interval: np.ndarray  # (R, C) days
    convoy_max_size: np.ndarray  # (R, C) tankers
    convoy_min_size: np.ndarray  # (R, C) tankers assembled that make a convoy leave early
    escorts_per_convoy: np.ndarray  # (R, C) escort units
    escorts_per_100: np.ndarray  # (R, C) extra escort units per 100 tankers in the convoy
    lead_time_days: np.ndarray  # (R,) order-share-weighted days from an order to its arrival:
    # the leg plus the wait for a convoy corridor's next departure (the review period)
    wait_for_escorts: np.ndarray  # (C,) bool
    escort_pool: np.ndarray  # (R,) escort units
    # Drivers
    willingness_max: np.ndarray  # (R,)
    fear_sensitivity: np.ndarray  # (R,) 1/loss
    fear_decay: np.ndarray  # (R,) daily multiplier exp(-1/memory)
    escort_reassurance: np.ndarray  # (R,)
    escort_defiance: np.ndarray  # (R,) 1/escort unit: escorts overcome ban refusal
    kidnap_probability: np.ndarray  # (R,)
    recruitment_per_day: np.ndarray  # (R,)
    # Adversary
    intensity: np.ndarray  # (R,)
    growth_per_year: np.ndarray  # (R,)
    adaptation: np.ndarray  # (R,)
    adaptation_rate: np.ndarray  # (R,)
    escort_aversion: np.ndarray  # (R,)
    size_exponent: np.ndarray  # (R,)
    deterrence: np.ndarray  # (R,)
    protection: np.ndarray  # (R,)
    destroy_share: np.ndarray  # (R,)
    empty_leg_factor: np.ndarray  # (R,)
    ban_refusal: np.ndarray  # (R, C, T) share of drivers refusing because of declared bans
    regime_names: list[str]  # G campaign regimes
    regime_multiplier: np.ndarray  # (R, G) intensity multiplier in each regime
    regime_switch_prob: np.ndarray  # (R, G) daily probability of leaving each regime
    regime_ban_enforcement: np.ndarray  # (R, G) share of the bans' compliance that holds
    regime_transition: np.ndarray  # (G, G) where a leaving regime goes (rows sum to 1)
    initial_regime: int  # regime on day 0
    regime_hold: int  # regime held in this phase, or -1: regimes switch at random
    # City
    base_demand: np.ndarray  # (R, S, P) L/day
    sector_priority: np.ndarray  # (S,) int
    retail: np.ndarray  # (S,) bool
    panic_multiplier: np.ndarray  # (R, S)
    panic_cover_days: np.ndarray  # (R,)
    rationing_thresholds: np.ndarray  # (V,) days, descending
    rationing_caps: np.ndarray  # (V, S) share
    initial_stock: np.ndarray  # (R, P) L
    depot_capacity: np.ndarray  # (P,) L, enforced: what does not fit waits at the gate
    unloading_capacity: np.ndarray  # (R,) tankers/day cleared and unloaded (UNLIMITED if none)
    order_target_cover_days: np.ndarray  # (R,) days of normal demand importers keep in depots
    stockout_unserved_share: float  # stockout: more than this share of demand unserved
    # Stations and prices
    station_count: int
    pumps_per_station: int
    service_rate: float  # vehicles/h per pump
    opening_hours: float
    litres_per_fill: float
    station_exponent: np.ndarray  # (R,) concentration of scarce fuel in few stations
    max_wait_hours: float
    elasticity: np.ndarray  # (R,)
    price_cap_multiple: np.ndarray  # (R,)
    goods_pass_through: np.ndarray  # (R,)
    # Impacts
    power_sector: int  # index or -1
    power_hours_normal: float
    thermal_share: np.ndarray  # (R,)
    # The power sector's cash (impacts.power_finance), in normal daily fuel bills; a sector
    # with no finance block has no cash limit (power_finance False).
    power_finance: bool
    power_sales_cover: np.ndarray  # (R,) sales at normal hours
    power_margin: np.ndarray  # (R,) cash left on a normal day
    power_credit_days: np.ndarray  # (R,) credit limit
    power_bailout_days: np.ndarray  # (R,) days short before the credit is restored (inf: never)
    disruption_served_share: np.ndarray  # (R,) retail served share below which a day is low
    disruption_min_days: int
    recovery_served_share: np.ndarray  # (R,) retail served share at which a day is recovered
    recovery_min_days: int
    initial_state: str  # "pre_blockade" or "empty_roads"
    phase_of_day: np.ndarray  # (T,) int: the phase each day is in
    phases: tuple[ModelParameters, ...] = ()  # parameters in force in each phase (0 = self)
    phase_start: tuple[int, ...] = (0,)  # first day of each phase
    sampled: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.replications, len(self.corridors), len(self.products)

    def at(self, t: int) -> ModelParameters:
        """The parameters in force on day ``t``."""
        return self.phases[int(self.phase_of_day[t])]

    def replication(self, r: int) -> dict[str, Any]:
        """Plain values of replication ``r`` (for the event-level engine)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name == "phases":
                continue  # each phase gives its own values: phases[k].replication(r)
            v = getattr(self, name)
            per_replication = isinstance(v, np.ndarray) and name not in SHARED_ARRAYS
            out[name] = v[r] if per_replication else v
        return out


def _travel_schedule(scenario: Scenario, ps: ParameterSource, corridor: str):
    """Per replication: segment time windows (days since dispatch) and checkpoint times."""
    cor = scenario.corridor(corridor)
    n = ps.n
    t = np.zeros(n)
    windows = []  # (segment, start (R,), end (R,))
    checkpoints = []  # (time (R,), prob (R,))
    for i, (u, v) in enumerate(zip(cor.path, cor.path[1:], strict=False)):
        node = scenario.node(u)
        if i > 0 or node.kind != "port":
            t = t + ps.get(f"nodes.{u}.customs_delay_days")
            cp = ps.get(f"nodes.{u}.checkpoint_turnback_probability")
            if np.any(cp > 0):
                checkpoints.append((t.copy(), cp))
        seg = scenario.segment_between(u, v)
        dt = seg.length_km / seg.speed_km_per_day
        windows.append((seg, t.copy(), t + dt))
        t = t + dt
    return windows, checkpoints, t


MAX_LEG_DAYS = 3650


def memory_limit_bytes() -> int:
    """Half the machine's physical memory (16 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):
        return 16 * 2**30


def _check_size(scenario: Scenario, leg_days: np.ndarray, n: int, horizon: int,
                sizes: dict[str, int]) -> None:
    """Refuse runs whose arrays cannot fit in memory, before allocating them."""
    worst = int(leg_days.max())
    if worst > MAX_LEG_DAYS:
        c = int(np.unravel_index(leg_days.argmax(), leg_days.shape)[1])
        raise ScenarioError([(f"corridors.{scenario.corridors[c].name}",
                              f"a tanker would need more than {MAX_LEG_DAYS:,} days to reach "
                              "the city; check speed_km_per_day and customs_delay_days")])
    width = sum(math.prod(sizes[d] for d in v.dims) for v in OUTPUTS)
    # Outputs (replication x day x columns) plus the engine's ring buffers (about 6 arrays of
    # replication x corridor x slot x product), 8 bytes each.
    need = 8 * n * (horizon * width + 6 * sizes["corridor"] * (2 * worst + 2) * sizes["product"])
    if need > memory_limit_bytes():
        raise ScenarioError([("replications", f"{n:,} replications over {horizon:,} days need "
                              f"about {need / 2**30:,.1f} GiB, more than half this machine's "
                              "memory; use fewer replications or days")], "run")


def _review_days(scenario: Scenario, interval: np.ndarray) -> np.ndarray:
    """(R, C) days a convoy corridor's order waits for the next departure beyond a daily one:
    importers who send a convoy every k days load k days' worth (the review period of a
    periodic-review order-up-to rule); free-running corridors leave every day."""
    convoy = np.array([c.policy.mode == "convoy" for c in scenario.corridors])
    return np.where(convoy[None, :], np.maximum(1, interval) - 1, 0)


def compile_parameters(
    scenario: Scenario,
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    prefix: Prefix | None = None,
) -> ModelParameters:
    """Sample and arrange every parameter the engines need.

    Parameters
    ----------
    scenario : a validated scenario; its timeline opens one phase per distinct start day.
    replications, days, seed : default to the scenario's ``simulation`` settings.
    overrides : parameter path -> one value per replication (or a scalar), applied in every
        phase: a design fixes its parameters for the whole run, over the timeline's changes.
    prefix : a stored run this one continues (``model.continuation``): its scenario's phases
        come first, for ``prefix.days`` days, then this scenario's; ``days`` counts this
        scenario's days only, and the engines run ``prefix.days + days``.

    Returns
    -------
    ModelParameters with ``phases`` (one per phase, phase 0 being the result itself).
    """
    n = int(replications or scenario.simulation.replications)
    horizon = int(days or scenario.simulation.horizon_days)
    seed = int(scenario.simulation.seed if seed is None else seed)
    if n < 1:
        raise ScenarioError([("replications", "must be at least 1")], "run")
    if horizon < 1:
        raise ScenarioError([("days", "must be at least 1")], "run")
    if not 0 <= seed < 2**63:  # stored as a 64-bit integer with the run
        raise ScenarioError([("seed", f"must lie in [0, 2**63 - 1], got {seed}")], "run")
    checked = check_overrides(scenario, overrides or {}, n)
    if prefix is None and not scenario.timeline:
        return _finish([_compile_phase(scenario, n, horizon, seed, checked)], [0], horizon)
    from siegeline.scenario.timeline import entry_label, timeline_phases

    compiled: list[ModelParameters] = []
    starts: list[int] = []
    offset = 0
    if prefix is not None:
        if (n, seed) != (prefix.replications, prefix.seed):
            raise ScenarioError([("simulation.initial_state", (
                f"run {prefix.run_id} has {prefix.replications} replications and seed "
                f"{prefix.seed}; a run continuing it needs the same (got {n} and {seed})"))],
                "run")
        offset = prefix.days
        stored = check_overrides(prefix.scenario, prefix.overrides, n)
        # Its own cache: the stored run's overrides differ from this run's, and derived tables
        # (the bans' refusal) are cached by scenario value only.
        cache_prefix: dict[tuple[str, str], np.ndarray] = {}
        for phase in timeline_phases(prefix.scenario):
            if phase.start_day >= offset:
                break
            m = _compile_phase(phase.scenario, n, offset + horizon, seed, stored, cache_prefix)
            if compiled:  # the stored run's own timeline was valid; its phases fit
                _check_structure(compiled[0], m, [prefix.label])
            compiled.append(m)
            starts.append(phase.start_day)
    cache: dict[tuple[str, str], np.ndarray] = {}
    for phase in timeline_phases(scenario):
        if phase.start_day >= horizon:
            break
        # In a continued run, day 0 of this scenario is day `offset` of the run, and the bans'
        # days count from the stored run's start: the same bans go on (and erode) as before.
        m = _compile_phase(phase.scenario, n, offset + horizon, seed, checked, cache)
        if offset:
            m = dataclasses.replace(m, days=offset + horizon,
                                    initial_state=compiled[0].initial_state)
        labels = ([entry_label(scenario, i) for i in phase.entries]
                  or ([prefix.label] if prefix is not None else []))
        if compiled:
            _check_structure(compiled[0], m, labels)
        compiled.append(m)
        starts.append(offset + phase.start_day)
    return _finish(compiled, starts, offset + horizon)


def tile_parameters(m: ModelParameters, copies: int,
                    fields: Mapping[str, np.ndarray] | None = None) -> ModelParameters:
    """``m`` with every replication repeated ``copies`` times in a row (replication
    ``r * copies + k`` is copy ``k`` of replication ``r``), in every phase: the same parameter
    draws, for paired comparisons of engines. ``fields`` replace whole per-replication arrays
    (ModelParameters field name -> values for the tiled replications) in every phase."""
    tiled = []
    for phase in m.phases:
        changes: dict[str, Any] = {"replications": m.replications * copies}
        for name in phase.__dataclass_fields__:
            value = getattr(phase, name)
            if isinstance(value, np.ndarray) and name not in SHARED_ARRAYS and value.ndim:
                changes[name] = np.repeat(value, copies, axis=0)
        changes["sampled"] = {k: np.repeat(v, copies) for k, v in phase.sampled.items()}
        changes.update(fields or {})
        tiled.append(dataclasses.replace(phase, **changes))
    return _finish(tiled, list(m.phase_start), m.days)


def _check_structure(base: ModelParameters, m: ModelParameters, labels: list[str]) -> None:
    """Refuse a timeline entry that changes the model's structure or an array's shape."""
    problems = []
    for name in m.__dataclass_fields__:
        if name == "phase_of_day":  # numbered afresh for the whole run
            continue
        a, b = getattr(base, name), getattr(m, name)
        if isinstance(a, np.ndarray) and a.shape != b.shape:
            problems.append(f"changes the shape of {name} ({a.shape} -> {b.shape}); keep "
                            "the same list items in every phase and change their values")
            continue
        if isinstance(a, np.ndarray):
            same = name not in STRUCTURAL or np.array_equal(a, b)
        else:
            same = name not in STRUCTURAL or a == b
        if not same:
            problems.append(f"changes {STRUCTURAL[name]}, which must stay as on day 0")
    if problems:
        raise ScenarioError([(" / ".join(labels), msg) for msg in problems], "timeline")


def _finish(compiled: list[ModelParameters], starts: list[int], horizon: int
            ) -> ModelParameters:
    """Link the phases: share unchanged arrays with the phase before, number the days."""
    phase_of_day = np.zeros(horizon, dtype=np.int64)
    for k, start in enumerate(starts):
        phase_of_day[start:] = k
    linked = []
    for k, m in enumerate(compiled):
        changes: dict[str, Any] = {"phase_of_day": phase_of_day, "phase_start": tuple(starts)}
        if k:
            prev = linked[-1]
            for name in m.__dataclass_fields__:
                a, b = getattr(prev, name), getattr(m, name)
                if isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b):
                    changes[name] = a
        linked.append(dataclasses.replace(m, **changes))
    sampled: dict[str, np.ndarray] = {}
    previous: dict[str, np.ndarray] = {}
    for start, m in zip(starts, linked, strict=True):
        for path, values in m.sampled.items():
            if path not in sampled:
                sampled[path] = values
            elif values is not previous.get(path):  # the timeline drew it anew here
                sampled[f"{path}@day{start}"] = values
        previous = m.sampled
    base = dataclasses.replace(linked[0], sampled=sampled)
    phases = (base, *linked[1:])
    for m in phases:  # frozen: link the tuple in place (phase 0 refers to itself)
        object.__setattr__(m, "phases", phases)
    return base


def _pipeline(scenario: Scenario, ps: ParameterSource, horizon: int, sizes: dict[str, int]
              ) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """Leg days (R, C), ring slots, and by day of age the hazard integral (km of each segment
    covered that day times its hazard, (R, C, K)) and checkpoint ages and probabilities."""
    n, C = ps.n, sizes["corridor"]
    schedules = [_travel_schedule(scenario, ps, c.name) for c in scenario.corridors]
    leg_days = np.stack(
        [np.maximum(1, np.ceil(np.minimum(total, 2**40) - 1e-9)).astype(np.int64)
         for _, _, total in schedules], axis=1
    )
    _check_size(scenario, leg_days, n, horizon, sizes)
    slots = int(2 * leg_days.max() + 2)
    ages = np.arange(slots)[None, :]
    exposure = np.zeros((n, C, slots))
    q_max = max(1, max(len(cps) for _, cps, _ in schedules))
    cp_age = np.full((n, C, q_max), -1, dtype=np.int64)
    cp_prob = np.zeros((n, C, q_max))
    for c, (windows, cps, _) in enumerate(schedules):
        for seg, start, end in windows:
            hazard = ps.get(f"segments.{seg.id}.hazard_per_100km")
            overlap = np.clip(
                np.minimum(end[:, None], ages + 1) - np.maximum(start[:, None], ages), 0.0, None
            )
            km = overlap / (end - start)[:, None] * seg.length_km
            exposure[:, c, :] += km * hazard[:, None] / 100.0
        for q, (time, prob) in enumerate(cps):
            cp_age[:, c, q] = np.minimum(np.floor(time).astype(np.int64), leg_days[:, c] - 1)
            cp_prob[:, c, q] = prob

    return leg_days, slots, exposure, cp_age, cp_prob


def _compile_phase(
    scenario: Scenario, n: int, horizon: int, seed: int, checked: Mapping[str, np.ndarray],
    cache: dict[tuple[str, str], np.ndarray] | None = None,
) -> ModelParameters:
    """One phase's parameters: the scenario as it stands in that phase, sampled and arranged."""
    ps = ParameterSource(scenario, n, seed, checked)
    if cache is not None:
        ps.cache = cache
    products = [p.name for p in scenario.products]
    corridors = [c.name for c in scenario.corridors]
    sectors = [s.name for s in scenario.city.sectors]
    P, C, S = len(products), len(corridors), len(sectors)
    ports = sorted({c.path[0] for c in scenario.corridors})

    pipeline_key = ("pipeline", repr((scenario.nodes, scenario.segments,
                                      [c.path for c in scenario.corridors])))
    if pipeline_key not in ps.cache:
        ps.cache[pipeline_key] = _pipeline(scenario, ps, horizon, {"product": P, "corridor": C,
                                                                   "sector": S})
    leg_days, slots, exposure, cp_age, cp_prob = ps.cache[pipeline_key]

    fleet = np.zeros((n, C, P), dtype=np.int64)
    drivers = np.zeros((n, C), dtype=np.int64)
    for c, cor in enumerate(scenario.corridors):
        for p, prod in enumerate(products):
            if prod in cor.fleet:
                fleet[:, c, p] = np.round(ps.get(f"corridors.{cor.name}.fleet.{prod}")).astype(
                    np.int64
                )
        drivers[:, c] = (
            np.round(ps.get(f"corridors.{cor.name}.drivers")).astype(np.int64)
            if cor.drivers is not None
            else fleet[:, c, :].sum(axis=1)
        )
    shares = np.array([c.order_share for c in scenario.corridors], dtype=float)
    shares = shares / shares.sum()  # the schema ensures some share is positive

    # A port's loading capacity is split over its corridors by order share.
    port_cap = np.zeros((n, C, P))
    for port in ports:
        members = [i for i, c in enumerate(scenario.corridors) if c.path[0] == port]
        total = shares[members].sum()
        node = scenario.node(port)
        for p, prod in enumerate(products):
            if prod not in node.loading_capacity_tankers_per_day:
                continue
            cap = ps.get(f"nodes.{port}.loading_capacity_tankers_per_day.{prod}")
            for i in members:
                frac = shares[i] / total if total > 0 else 1.0 / len(members)
                port_cap[:, i, p] = cap * frac

    def policy(name: str, field_name: str) -> np.ndarray:
        return ps.get(f"corridors.{name}.policy.{field_name}")

    interval = np.stack([np.round(policy(c, "interval_days")) for c in corridors], 1)
    max_size = np.stack([np.round(policy(c, "max_size")) for c in corridors], 1)
    esc_per = np.stack([np.round(policy(c, "escorts_per_convoy")) for c in corridors], 1)
    esc_100 = np.stack([policy(c, "escorts_per_100_tankers") for c in corridors], 1)
    min_size = np.stack([
        np.full(n, float(2**40)) if cor.policy.min_size is None
        else np.round(policy(cor.name, "min_size")) for cor in scenario.corridors], 1)
    bans_key = ("adversary.bans", repr(scenario.adversary.bans))
    if bans_key not in ps.cache:
        ps.cache[bans_key] = _ban_refusal(scenario, ps, corridors, horizon)
    refusal = ps.cache[bans_key]

    city = scenario.city
    mult = ps.get("city.demand_multiplier")
    base_demand = np.zeros((n, S, P))
    for s, sec in enumerate(city.sectors):
        for p, prod in enumerate(products):
            if prod in sec.demand_litres_per_day:
                base_demand[:, s, p] = (
                    ps.get(f"city.sectors.{sec.name}.demand_litres_per_day.{prod}") * mult
                )
    levels = sorted(city.rationing, key=lambda lv: -lv.below_cover_days)
    thresholds = np.array([lv.below_cover_days for lv in levels], dtype=float)
    caps = np.ones((len(levels), S))
    for v, lv in enumerate(levels):
        for s, sec in enumerate(sectors):
            caps[v, s] = lv.caps.get(sec, 1.0)
    # A more severe level never serves a sector more than a milder one.
    caps = np.minimum.accumulate(caps, axis=0) if len(levels) else caps

    depot_cap = np.zeros(P)
    initial = np.zeros((n, P))
    for depot in city.depots:
        fill = ps.get(f"city.depots.{depot.name}.initial_fill")
        for p, prod in enumerate(products):
            cap = depot.capacity_litres.get(prod, 0.0)
            depot_cap[p] += cap
            initial[:, p] += cap * fill
    unloading = (np.full(n, UNLIMITED) if city.unloading_capacity_tankers_per_day is None
                 else ps.get("city.unloading_capacity_tankers_per_day"))
    regimes = _campaign(scenario, ps)
    power = scenario.impacts.power_sector
    # Stable sort: ties keep the scenario's order.
    product_order = np.argsort([-central_value(p.dispatch_weight) for p in scenario.products],
                               kind="stable")
    return ModelParameters(
        scenario=scenario,
        replications=n,
        days=horizon,
        seed=seed,
        products=products,
        corridors=corridors,
        sectors=sectors,
        ports=ports,
        tanker_litres=np.array([p.tanker_capacity_litres for p in scenario.products]),
        official_price=np.array([p.official_price for p in scenario.products]),
        product_order=product_order,
        dispatch_weight=np.stack([ps.get(f"products.{p}.dispatch_weight") for p in products], 1),
        corridor_port=np.array([ports.index(c.path[0]) for c in scenario.corridors]),
        leg_days=leg_days,
        exposure_loaded=exposure,
        checkpoint_age=cp_age,
        checkpoint_prob=cp_prob,
        slots=slots,
        fleet=fleet,
        drivers=drivers,
        order_share=shares,
        port_capacity=port_cap,
        convoy=np.array([c.policy.mode == "convoy" for c in scenario.corridors]),
        convoy_interval=np.maximum(1, interval).astype(np.int64),
        convoy_max_size=np.maximum(1, max_size).astype(np.int64),
        convoy_min_size=np.maximum(1, min_size).astype(np.int64),
        escorts_per_convoy=np.maximum(0, esc_per).astype(np.int64),
        escorts_per_100=esc_100,
        lead_time_days=(leg_days + _review_days(scenario, interval)) @ shares,
        wait_for_escorts=np.array([c.policy.wait_for_escorts for c in scenario.corridors]),
        escort_pool=np.round(ps.get("escorts.pool_size")).astype(np.int64),
        willingness_max=ps.get("drivers.willingness_max"),
        fear_sensitivity=ps.get("drivers.fear_sensitivity"),
        fear_decay=np.exp(-1.0 / ps.get("drivers.fear_memory_days")),
        escort_reassurance=ps.get("drivers.escort_reassurance"),
        escort_defiance=ps.get("drivers.escort_defiance"),
        kidnap_probability=ps.get("drivers.kidnap_probability"),
        recruitment_per_day=ps.get("drivers.recruitment_per_day"),
        intensity=ps.get("adversary.intensity"),
        growth_per_year=ps.get("adversary.growth_per_year"),
        adaptation=ps.get("adversary.adaptation"),
        adaptation_rate=ps.get("adversary.adaptation_rate"),
        escort_aversion=ps.get("adversary.escort_aversion"),
        size_exponent=ps.get("adversary.size_visibility_exponent"),
        deterrence=ps.get("adversary.deterrence_per_escort"),
        protection=ps.get("adversary.protection_per_escort"),
        destroy_share=ps.get("adversary.destroy_share"),
        empty_leg_factor=ps.get("adversary.empty_leg_factor"),
        ban_refusal=refusal,
        **regimes,
        base_demand=base_demand,
        sector_priority=np.array([s.priority for s in city.sectors]),
        retail=np.array([s.retail for s in city.sectors]),
        panic_multiplier=np.stack(
            [ps.get(f"city.sectors.{s}.panic_multiplier") for s in sectors], 1
        ),
        panic_cover_days=ps.get("city.panic_cover_days"),
        rationing_thresholds=thresholds,
        rationing_caps=caps,
        initial_stock=initial,
        depot_capacity=depot_cap,
        unloading_capacity=unloading,
        order_target_cover_days=ps.get("city.order_target_cover_days"),
        stockout_unserved_share=float(city.stockout_unserved_share),
        station_count=scenario.stations.count,
        pumps_per_station=scenario.stations.pumps_per_station,
        service_rate=scenario.stations.service_rate_per_pump_per_hour,
        opening_hours=scenario.stations.opening_hours,
        litres_per_fill=scenario.stations.litres_per_fill,
        station_exponent=ps.get("stations.concentration_exponent"),
        max_wait_hours=scenario.stations.max_wait_hours,
        elasticity=ps.get("prices.elasticity"),
        price_cap_multiple=ps.get("prices.cap_multiple"),
        goods_pass_through=ps.get("prices.goods_pass_through"),
        power_sector=sectors.index(power) if power else -1,
        power_hours_normal=scenario.impacts.power_hours_normal,
        thermal_share=ps.get("impacts.thermal_share"),
        **_power_finance(scenario, ps),
        disruption_served_share=ps.get("impacts.disruption_served_share"),
        disruption_min_days=scenario.impacts.disruption_min_days,
        recovery_served_share=ps.get("impacts.recovery_served_share"),
        recovery_min_days=scenario.impacts.recovery_min_days,
        initial_state=(scenario.simulation.initial_state
                       if isinstance(scenario.simulation.initial_state, str) else "continued"),
        phase_of_day=np.zeros(horizon, dtype=np.int64),
        sampled=dict(ps.used),
    )


def _power_finance(scenario: Scenario, ps: ParameterSource) -> dict[str, Any]:
    """The power sector's cash parameters; without a finance block nothing limits its buying
    (unbounded credit, never used)."""
    fin = scenario.impacts.power_finance
    base = "impacts.power_finance"
    if fin is None:
        zero = np.zeros(ps.n)
        return dict(power_finance=False, power_sales_cover=zero, power_margin=zero,
                    power_credit_days=np.full(ps.n, np.inf),
                    power_bailout_days=np.full(ps.n, np.inf))
    bailout = (np.full(ps.n, np.inf) if fin.bailout_days is None
               else ps.get(f"{base}.bailout_days"))
    return dict(power_finance=True, power_sales_cover=ps.get(f"{base}.sales_cover"),
                power_margin=ps.get(f"{base}.margin"),
                power_credit_days=ps.get(f"{base}.credit_days"), power_bailout_days=bailout)


def _ban_refusal(scenario: Scenario, ps: ParameterSource, corridors: list[str], horizon: int
                 ) -> np.ndarray:
    """(R, C, T) share of drivers refusing because of declared bans in force: the product over
    bans of their compliance, which halves every half-life after a ban starts if it erodes."""
    keep = np.ones((ps.n, len(corridors), horizon))
    days = np.arange(horizon)
    for b, ban in enumerate(scenario.adversary.bans):
        end = horizon - 1 if ban.end_day is None else min(ban.end_day, horizon - 1)
        if ban.start_day > end:
            continue
        compliance = np.repeat(ps.get(f"adversary.bans.{b}.compliance")[:, None], horizon, 1)
        if ban.compliance_half_life_days is not None:
            half_life = ps.get(f"adversary.bans.{b}.compliance_half_life_days")
            elapsed = np.maximum(days - ban.start_day, 0)[None, :]
            compliance = compliance * 0.5 ** (elapsed / half_life[:, None])
        active = (days >= ban.start_day) & (days <= end)
        covered = (slice(None) if ban.corridors == "all"
                   else [corridors.index(x) for x in ban.corridors])
        keep[:, covered, :] *= (1.0 - compliance * active)[:, None, :]
    return 1.0 - keep


def _campaign(scenario: Scenario, ps: ParameterSource) -> dict[str, Any]:
    """The campaign's regimes: multipliers and daily switching probabilities per replication,
    the transition matrix, the regime on day 0 and the regime held in this phase (-1: none).
    No campaign is one regime that never switches."""
    campaign = scenario.adversary.campaign
    n = ps.n
    if campaign is None:
        return {"regime_names": ["active"], "regime_multiplier": np.ones((n, 1)),
                "regime_ban_enforcement": np.ones((n, 1)),
                "regime_switch_prob": np.zeros((n, 1)), "regime_transition": np.zeros((1, 1)),
                "initial_regime": 0, "regime_hold": -1}
    names = [r.name for r in campaign.regimes]
    G = len(names)
    base = "adversary.campaign.regimes"
    multiplier = np.stack([ps.get(f"{base}.{r.name}.intensity_multiplier")
                           for r in campaign.regimes], 1)
    enforcement = np.stack([ps.get(f"{base}.{r.name}.ban_enforcement")
                            for r in campaign.regimes], 1)
    switch = np.stack([np.zeros(n) if r.mean_duration_days is None
                       else -np.expm1(-1.0 / ps.get(f"{base}.{r.name}.mean_duration_days"))
                       for r in campaign.regimes], 1)
    transition = np.zeros((G, G))
    for i, name in enumerate(names):
        row = campaign.transitions.get(name)
        if row:
            for dst, weight in row.items():
                transition[i, names.index(dst)] = weight
        else:
            transition[i] = 1.0
            transition[i, i] = 0.0
        total = transition[i].sum()
        if total > 0:
            transition[i] /= total
        else:  # nowhere to go: the regime never ends
            switch[:, i] = 0.0
    return {"regime_names": names, "regime_multiplier": multiplier,
            "regime_ban_enforcement": enforcement,
            "regime_switch_prob": switch, "regime_transition": transition,
            "initial_regime": names.index(campaign.initial) if campaign.initial else 0,
            "regime_hold": -1 if campaign.hold == "free" else names.index(campaign.hold)}
