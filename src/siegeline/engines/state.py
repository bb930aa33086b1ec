"""The vectorized engine's day state and the tables built once per run.

``DayState`` names every quantity that carries from one simulated day to the next; the model's
processes (engines/vectorized.py) read and update it in place. ``Tables`` holds what the processes
derive from the parameters alone. ``age_tables`` and ``warm_start`` are shared with the JAX
backend, which keeps its own state layout.

Cohort arrays are slot first: ``cohort`` is (K, R, C, P) and ``size``/``escorts_on`` (K, R, C),
where slot ``d mod K`` holds the cohort dispatched on day ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siegeline.model.parameters import ModelParameters

# A checkpoint level, sparse: the flat (replication, corridor) rows passing one, the cohort age at
# which they pass it and the turn-back probability broadcast over products.
Checkpoint = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(slots=True)
class DayState:
    """Everything that carries over between days, for all replications (R, C, P, K as in
    ModelParameters). Counts are int64 so fuel is conserved exactly."""

    idle: np.ndarray  # (R, C, P) tankers waiting at the port
    drivers: np.ndarray  # (R, C) drivers at the port
    cohort: np.ndarray  # (K, R, C, P) tankers of the cohort in each slot
    size: np.ndarray  # (K, R, C) cohort sizes, kept in step with `cohort`
    traffic: np.ndarray  # (R, C) tankers on the road
    escorts_on: np.ndarray  # (K, R, C) escort units with each cohort
    escorts_out: np.ndarray  # (R, C) escort units on the road
    # (K, R, C, P) tankers turned back, by the day (mod K) they are due at the port: day-major,
    # so each day's release is one contiguous block.
    port_calendar: np.ndarray
    transit: np.ndarray  # (R, C, P) loaded tankers on the road
    escorts_free: np.ndarray  # (R,) escort units in the pool (< 0 after a pool cut, until
    # enough units are back)
    pool: np.ndarray  # (R,) the escort pool's size as last seen (a timeline may change it)
    fear: np.ndarray  # (R, C) drivers' fear index
    adapt: np.ndarray  # (R, C) the adversary's attention weights
    stock: np.ndarray  # (R, P) litres in the city's depots
    gate: np.ndarray  # (R, P) loaded tankers waiting at the city's gate
    pending: np.ndarray  # (R, C) bool: a convoy is waiting for escorts
    since: np.ndarray  # (R, C) days of port loading since the corridor's last departure
    regime: np.ndarray  # (R,) the adversary campaign's regime
    disrupted: np.ndarray  # (R,) bool: schools and services disrupted
    low_run: np.ndarray  # (R,) consecutive low-supply days (while not disrupted)
    ok_run: np.ndarray  # (R,) consecutive recovered days (while disrupted)
    power_credit: np.ndarray  # (R,) the power sector's unused credit, in normal fuel bills
    power_sales: np.ndarray  # (R,) yesterday's electricity as a share of normal (its sales)
    power_short_run: np.ndarray  # (R,) consecutive days its cash could not buy its full need

    # Flat views: cohort slot (k, r, c) is row k*R*C + r*C + c; 1-D gathers are numpy's fast
    # path. copy=False makes a layout that would need a copy fail instead of dropping writes.
    @property
    def cohort_rows(self) -> np.ndarray:
        return np.reshape(self.cohort, (-1, self.cohort.shape[-1]), copy=False)

    @property
    def size_flat(self) -> np.ndarray:
        return np.reshape(self.size, -1, copy=False)

    @property
    def escorts_flat(self) -> np.ndarray:
        return np.reshape(self.escorts_on, -1, copy=False)

    @property
    def calendar_rows(self) -> np.ndarray:
        """Row (day mod K) * R*C + r*C + c."""
        return np.reshape(self.port_calendar, (-1, self.port_calendar.shape[-1]), copy=False)


@dataclass(frozen=True, slots=True)
class Tables:
    """What the processes derive from the parameters alone, built once per run."""

    normal_demand: np.ndarray  # (R, P) litres/day over all sectors
    retail_normal: np.ndarray  # (R, P) litres/day of the retail sectors (stations' normal sales)
    exposure_mass: np.ndarray  # (R, C) a loaded leg's hazard integral
    exposure_total: np.ndarray  # (R,)
    rc_rows: np.ndarray  # (R, C) row r*C + c of (replication, corridor) within a slot
    free_cols: np.ndarray  # corridors whose tankers run free (no convoy)
    # Ages at which some road is exposed, age first: every (replication, corridor) has exactly
    # one cohort of each age, all in the same ring-buffer slot.
    exposed_ages: np.ndarray  # (A,)
    hazard_by_age: np.ndarray  # (A, R, C) single-vehicle hazard integral at intensity 1
    fuel_by_age: np.ndarray  # (A, R, C) int64: 1 where the cohort of that age is loaded
    checkpoints: tuple[Checkpoint, ...]  # only levels some (replication, corridor) passes


def age_tables(m: ModelParameters) -> tuple[np.ndarray, np.ndarray]:
    """By cohort age (R, C, K): whether the cohort is loaded, and its single-vehicle hazard
    integral for that day at intensity 1 (the empty return retraces the loaded leg)."""
    ages = np.arange(m.slots)[None, None, :]
    leg = m.leg_days[:, :, None]
    loaded = ages < leg
    returning = (ages >= leg) & (ages < 2 * leg)
    mirror = np.clip(2 * leg - 1 - ages, 0, m.slots - 1)
    exposure = np.where(
        loaded,
        m.exposure_loaded,
        np.where(returning, np.take_along_axis(m.exposure_loaded, mirror, axis=2)
                 * m.empty_leg_factor[:, None, None], 0.0),
    )
    return loaded, exposure


def _checkpoint_levels(m: ModelParameters) -> tuple[Checkpoint, ...]:
    """Only the (replication, corridor) pairs that pass a checkpoint are ever touched."""
    P = m.shape[2]
    levels = []
    for q in range(m.checkpoint_age.shape[2]):
        rc = np.flatnonzero(m.checkpoint_prob[:, :, q] > 0)
        if rc.size:
            prob = np.broadcast_to(m.checkpoint_prob[:, :, q].ravel()[rc, None], (rc.size, P))
            levels.append((rc, m.checkpoint_age[:, :, q].ravel()[rc], prob))
    return tuple(levels)


def phase_tables(m: ModelParameters) -> list[Tables]:
    """Tables for each phase of ``m`` (a phase that leaves the hazards and demand as they were
    shares the previous phase's tables)."""
    tables: list[Tables] = []
    for k, p in enumerate(m.phases):
        prev = m.phases[k - 1] if k else None
        if prev is not None and all(getattr(p, f) is getattr(prev, f) for f in _TABLE_INPUTS):
            tables.append(tables[-1])
        else:
            tables.append(build_tables(p))
    return tables


_TABLE_INPUTS = ("exposure_loaded", "empty_leg_factor", "base_demand")


def build_tables(m: ModelParameters) -> Tables:
    R, C, _ = m.shape
    loaded_by_age, exposure_by_age = age_tables(m)
    exposure_mass = m.exposure_loaded.sum(axis=2)
    exposed_ages = np.flatnonzero((exposure_by_age > 0).any(axis=(0, 1)))
    return Tables(
        normal_demand=m.base_demand.sum(axis=1),
        retail_normal=np.einsum("rsp,s->rp", m.base_demand, m.retail.astype(float)),
        exposure_mass=exposure_mass,
        exposure_total=exposure_mass.sum(axis=1),
        rc_rows=np.arange(R * C).reshape(R, C),
        free_cols=np.flatnonzero(~m.convoy),
        exposed_ages=exposed_ages,
        hazard_by_age=np.ascontiguousarray(np.moveaxis(exposure_by_age[:, :, exposed_ages], 2, 0)),
        fuel_by_age=np.moveaxis(loaded_by_age[:, :, exposed_ages], 2, 0).astype(np.int64),
        checkpoints=_checkpoint_levels(m),
    )


def warm_start(m: ModelParameters, cohort: np.ndarray, size: np.ndarray, traffic: np.ndarray,
               transit: np.ndarray, idle: np.ndarray, drivers: np.ndarray) -> None:
    """Put the pre-blockade traffic on the road at day 0: each corridor carries its order share
    of normal demand, one cohort per past day of the round trip (as far as fleet and drivers
    allow), so deliveries continue from day 1 instead of after an empty first leg.

    ``cohort`` is (K, R, C, P) and ``size`` (K, R, C), slot first."""
    K = m.slots
    # Drivers who respect a ban in force on day 0 (as its first regime enforces it) were not
    # on the road either.
    refusal = m.ban_refusal[:, :, :1] * m.regime_ban_enforcement[:, m.initial_regime, None, None]
    daily = np.floor(m.base_demand.sum(axis=1)[:, None, :] * m.order_share[None, :, None]
                     * (1.0 - refusal) / m.tanker_litres)  # (R, C, P)
    trip = 2 * m.leg_days - 1  # ages 1 .. 2L-1 are on the road at day 0
    usable = np.minimum(idle, np.floor(drivers[..., None] * idle
                                       / np.maximum(idle.sum(axis=2, keepdims=True), 1)))
    daily = np.minimum(daily, np.floor(usable / np.maximum(trip, 1)[..., None])).astype(np.int64)
    ages = np.arange(1, K)
    on_road = ages[:, None, None] <= trip[None]  # (K-1, R, C)
    slots = (-ages) % K
    cohort[slots] = daily[None] * on_road[..., None]
    size[slots] = cohort[slots].sum(axis=3)
    loaded = ages[:, None, None] <= m.leg_days[None]  # age L still unloads on day 0
    transit += (cohort[slots] * loaded[..., None]).sum(axis=0)
    placed = cohort[slots].sum(axis=0)
    idle -= placed
    drivers -= placed.sum(axis=2)
    traffic += placed.sum(axis=2)


def initial_state(m: ModelParameters) -> DayState:
    """The state at the start of day 0: fleets and drivers at the port, the pre-blockade
    traffic on the road (``warm_start``, unless the scenario starts with empty roads), the full
    escort pool, the initial depot stock, convoys ready to leave, the campaign's first regime, the
    power sector's full credit after a normal day."""
    R, C, P = m.shape
    K = m.slots
    s = DayState(
        idle=m.fleet.copy(),
        drivers=m.drivers.copy(),
        cohort=np.zeros((K, R, C, P), dtype=np.int64),
        size=np.zeros((K, R, C), dtype=np.int64),
        traffic=np.zeros((R, C), dtype=np.int64),
        escorts_on=np.zeros((K, R, C), dtype=np.int64),
        escorts_out=np.zeros((R, C), dtype=np.int64),
        port_calendar=np.zeros((K, R, C, P), dtype=np.int64),
        transit=np.zeros((R, C, P), dtype=np.int64),
        escorts_free=m.escort_pool.copy(),
        pool=m.escort_pool.copy(),
        fear=np.zeros((R, C)),
        adapt=np.ones((R, C)),
        stock=m.initial_stock.copy(),
        gate=np.zeros((R, P), dtype=np.int64),
        pending=np.zeros((R, C), dtype=bool),
        # A convoy corridor has had a whole interval to assemble its first convoy.
        since=np.where(m.convoy[None, :], m.convoy_interval, 1).astype(float),
        regime=np.full(R, m.initial_regime, dtype=np.int64),
        disrupted=np.zeros(R, dtype=bool),
        low_run=np.zeros(R, dtype=np.int64),
        ok_run=np.zeros(R, dtype=np.int64),
        power_credit=m.power_credit_days.astype(float),
        power_sales=np.ones(R),
        power_short_run=np.zeros(R, dtype=np.int64),
    )
    if m.initial_state == "pre_blockade":
        warm_start(m, s.cohort, s.size, s.traffic, s.transit, s.idle, s.drivers)
    return s
