"""The vectorized engine on JAX: the same daily step as engines/vectorized.py, compiled with
``jit`` and iterated with ``lax.scan``, so it runs on a GPU (or CPU) without Python per day.
The day is the same named processes in the same order (``returns`` ... ``city_day``), each a pure
function of a :class:`DayState` returning the next one and the outputs it produces.

Differences from the NumPy engine, all for fixed shapes on an accelerator:
- dense masks over the (replication, corridor, slot) cohort ring instead of sparse index lists;
- float32 arithmetic (the accelerators' fast path); fuel is counted in whole tankers (int32) and
  turned into litres on the host in float64, so conservation stays exact;
- its own random streams (``jax.random`` keys folded with the day), so individual replications
  differ from NumPy's while the distributions agree (the tests compare them);
- binomials by inversion of the CDF in log space, one uniform per draw (exact up to float32
  rounding); ``jax.random.binomial`` loops over the whole array until its slowest element is
  accepted and was about 50× slower here;
- the tankers destroyed are drawn only on the cohorts hit that day, gathered into a fixed-size
  buffer (``binomial_on_hit_cohorts``), since the inversion loop would otherwise run over every
  slot;
- the timeline's phases are one program: constants that differ between phases are stacked on a
  leading phase axis and each day gathers its phase's (the phase index comes with the day in the
  scan's inputs); the station queue's wait table, fixed by structural parameters, is computed
  once on the host and interpolated on the device.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from siegeline.engines.backends import jax_city
from siegeline.engines.state import age_tables, initial_state
from siegeline.model.metrics import METRIC_BY_NAME, Metric
from siegeline.model.outputs import OUTPUTS
from siegeline.model.parameters import ModelParameters, dynamics_seed_sequence
from siegeline.scenario.loader import ScenarioError

F32, I32 = jnp.float32, jnp.int32
TINY = jax_city.TINY
PROGRESS_BLOCKS = 6  # the horizon runs as this many compiled blocks, reporting between them
# Computed in tankers, converted to litres on the host.
COUNT_OUTPUTS = ("loaded_litres", "delivered_litres", "destroyed_litres", "returned_litres",
                 "in_transit_litres", "gate_litres")


def binomial(key: jax.Array, n: jnp.ndarray, p: jnp.ndarray) -> jnp.ndarray:
    """Binomial(n, p) draws by CDF inversion from 0, using q = min(p, 1-p) and symmetry; the
    loop runs until every element has found its draw (at most n/2 steps each)."""
    n = jnp.broadcast_to(n, jnp.broadcast_shapes(n.shape, p.shape)).astype(F32)
    p = jnp.clip(jnp.broadcast_to(p, n.shape).astype(F32), 0.0, 1.0)
    flip = p > 0.5
    q = jnp.where(flip, 1.0 - p, p)
    live = (q > 0) & (n > 0)
    q = jnp.where(live, q, 0.5)
    u = jax.random.uniform(key, n.shape, F32)
    log_odds = jnp.log(q) - jnp.log1p(-q)
    log_pmf = n * jnp.log1p(-q)
    cdf = jnp.exp(log_pmf)
    k = jnp.zeros_like(n)
    searching = live & (u > cdf)

    def step(state):
        k, log_pmf, cdf, searching = state
        log_pmf = log_pmf + jnp.log((n - k) / (k + 1.0)) + log_odds
        k = jnp.where(searching, k + 1.0, k)
        cdf = cdf + jnp.where(searching, jnp.exp(log_pmf), 0.0)
        return k, log_pmf, cdf, searching & (u > cdf) & (k < n)

    k, *_ = jax.lax.while_loop(lambda s: s[3].any(), step, (k, log_pmf, cdf, searching))
    k = jnp.where(live, k, 0.0)
    return jnp.where(flip & (n > 0), n - k, k).astype(I32)


def binomial_on_hit_cohorts(key: jax.Array, exposed: jnp.ndarray, share: jnp.ndarray,
                            capacity: int) -> jnp.ndarray:
    """Binomial(exposed, share) over cohorts (R, C, K, P) where few cohorts have tankers exposed
    (those hit today; ``share`` is per cohort, (R, C, K)): the hit cohorts are gathered into a
    buffer of ``capacity`` rows, drawn there and scattered back, so the inversion loop runs over
    the buffer instead of every slot. Past ``capacity`` hit cohorts it draws on the whole array
    (same distribution)."""
    P = exposed.shape[3]
    rows = exposed.reshape(-1, P)
    hit = rows.sum(axis=1) > 0
    count = hit.sum()

    def gathered(_):
        idx = jnp.nonzero(hit, size=capacity, fill_value=0)[0]
        valid = (jnp.arange(capacity) < count)[:, None]
        draws = binomial(key, jnp.where(valid, rows[idx], 0), share.reshape(-1)[idx][:, None])
        # Padding points at row 0 with draws of 0: adding (not setting) keeps row 0's own.
        return jnp.zeros(rows.shape, I32).at[idx].add(draws)

    def dense(_):
        return binomial(key, rows, share.reshape(-1)[:, None])

    return jax.lax.cond(count <= capacity, gathered, dense, None).reshape(exposed.shape)


@dataclass(frozen=True)
class Static:
    """What shapes the compiled program (hashable: a jit cache key)."""

    slots: int
    convoy: tuple[bool, ...]
    wait_for_escorts: tuple[bool, ...]
    priority: tuple[int, ...]
    retail: tuple[bool, ...]
    power_sector: int
    pumps: int
    has_free: bool
    checkpoints: int  # Q: checkpoint levels per corridor with any positive probability
    product_order: tuple[int, ...]  # dispatch priority, also the unloading order at the gate
    power_finance: bool  # the power sector's cash limits its buying


# Per-day capacities and sizes meaning "no limit" are huge (UNLIMITED, 2**40): float32 holds them
# (as floats) where int32 would overflow.
_FLOAT_NAMES = (
    "willingness_max", "fear_sensitivity", "fear_decay", "escort_reassurance", "escort_defiance",
    "kidnap_probability", "recruitment_per_day", "intensity", "growth_per_year", "adaptation",
    "adaptation_rate", "escort_aversion", "size_exponent", "deterrence", "protection",
    "destroy_share", "base_demand", "panic_multiplier", "panic_cover_days",
    "rationing_thresholds", "rationing_caps", "order_target_cover_days", "lead_time_days",
    "dispatch_weight", "order_share", "port_capacity", "convoy_min_size", "escorts_per_100",
    "regime_multiplier", "regime_switch_prob", "regime_transition", "regime_ban_enforcement",
    "elasticity",
    "price_cap_multiple", "goods_pass_through", "thermal_share", "station_exponent",
    "official_price", "tanker_litres", "disruption_served_share", "recovery_served_share",
    "power_sales_cover", "power_margin", "power_credit_days", "power_bailout_days")
_SCALAR_NAMES = (
    "station_count", "service_rate", "litres_per_fill", "opening_hours", "max_wait_hours",
    "power_hours_normal", "stockout_unserved_share")
_INT_NAMES = ("leg_days", "checkpoint_age", "convoy_interval", "convoy_max_size",
              "escorts_per_convoy", "escort_pool", "regime_hold", "disruption_min_days",
              "recovery_min_days")


def _below(x: np.ndarray) -> np.ndarray:
    """``x`` in float32, rounded down where rounding to nearest would go above it (so a stock
    capped at the float32 depot capacity never reads as above the real one)."""
    y = np.asarray(x, np.float32)
    return np.where(y > x, np.nextafter(y, np.float32(-np.inf)), y)


def _phase_consts(p: ModelParameters) -> dict[str, np.ndarray]:
    """One phase's constants as host arrays of the device dtypes (float32, int32, bool)."""
    loaded_by_age, exposure_by_age = age_tables(p)
    retail = p.retail.astype(float)
    return {
        **{name: np.asarray(getattr(p, name), np.float32) for name in _FLOAT_NAMES},
        **{name: np.asarray(float(getattr(p, name)), np.float32) for name in _SCALAR_NAMES},
        **{name: np.asarray(getattr(p, name), np.int32) for name in _INT_NAMES},
        "loaded_by_age": loaded_by_age,
        "exposure_by_age": exposure_by_age.astype(np.float32),
        "exposure_mass": p.exposure_loaded.sum(axis=2).astype(np.float32),
        "checkpoint_prob": p.checkpoint_prob.astype(np.float32),
        "retail_normal": np.einsum("rsp,s->rp", p.base_demand, retail).astype(np.float32),
        "depot_capacity": _below(p.depot_capacity),
        "unloading_capacity": np.floor(p.unloading_capacity).astype(np.float32),
        "wait_table": jax_city.station_wait_table(p.pumps_per_station, p.service_rate,
                                                  p.opening_hours, p.max_wait_hours),
    }


def _consts(m: ModelParameters) -> dict[str, dict[str, jnp.ndarray]]:
    """The run's constants: ``fixed`` holds those equal in every phase of the timeline (all of
    them without one), ``phased`` the others stacked over phases on a leading axis, from which
    each day gathers its phase's."""
    per_phase = [_phase_consts(p) for p in m.phases]
    if any(not np.array_equal(p["tanker_litres"], per_phase[0]["tanker_litres"])
           for p in per_phase):
        raise ScenarioError([("timeline", "the jax backend needs tanker capacities to stay as "
                              "on day 0 (it counts fuel in tankers)")], "run")
    fixed, phased = {}, {}
    for name, first in per_phase[0].items():
        values = [p[name] for p in per_phase]
        if all(np.array_equal(v, first) for v in values[1:]):
            fixed[name] = jnp.asarray(first)
        else:
            phased[name] = jnp.asarray(np.stack(values))
    return {"fixed": fixed, "phased": phased}


def _today(consts: dict, phase: jnp.ndarray) -> dict[str, jnp.ndarray]:
    """The constants in force in ``phase``."""
    return {**consts["fixed"], **{k: v[phase] for k, v in consts["phased"].items()}}


class DayState(NamedTuple):
    """What one day hands to the next, per replication (a pytree, so ``lax.scan`` carries it).
    Shapes: R replications, C corridors, K ring slots, P products. Mirrors the NumPy engine's
    ``engines.state.DayState`` (tankers on the road and escorts out are sums of the ring here)."""

    idle: jnp.ndarray  # (R, C, P) int32: tankers waiting at the port
    drivers: jnp.ndarray  # (R, C) int32: drivers at the port
    cohort: jnp.ndarray  # (R, C, K, P) int32: tankers of the cohort dispatched into each slot
    escorts_on: jnp.ndarray  # (R, C, K) int32: escort units riding with each cohort
    calendar: jnp.ndarray  # (R, C, K, P) int32: turned-back tankers by the day (mod K) due home
    transit: jnp.ndarray  # (R, C, P) int32: loaded tankers on the road
    gate: jnp.ndarray  # (R, P) int32: loaded tankers waiting at the city's gate
    escorts_free: jnp.ndarray  # (R,) int32: escort units at the port (< 0 after a pool cut)
    pool: jnp.ndarray  # (R,) int32: the escort pool's size as last seen
    fear: jnp.ndarray  # (R, C) float32: drivers' recent losses, decaying
    adapt: jnp.ndarray  # (R, C) float32: the adversary's effort multiplier per corridor
    stock: jnp.ndarray  # (R, P) float32: litres in the city's depots
    pending: jnp.ndarray  # (R, C) bool: a convoy held back for escorts leaves tomorrow
    since: jnp.ndarray  # (R, C) float32: days of loading since the last departure
    regime: jnp.ndarray  # (R,) int32: the adversary campaign's regime
    disrupted: jnp.ndarray  # (R,) bool: schools and services disrupted
    low_run: jnp.ndarray  # (R,) int32: consecutive low-supply days (while not disrupted)
    ok_run: jnp.ndarray  # (R,) int32: consecutive recovered days (while disrupted)
    power_credit: jnp.ndarray  # (R,) float32: the power sector's unused credit (fuel bills)
    power_sales: jnp.ndarray  # (R,) float32: yesterday's electricity, share of normal
    power_short_run: jnp.ndarray  # (R,) int32: consecutive days it could not pay its need
    root: jax.Array  # the run's random key, folded with the day


def _ages(s: Static, t: jnp.ndarray) -> jnp.ndarray:
    """Age in days of the cohort in each ring slot, (K,)."""
    return (t - jnp.arange(s.slots)) % s.slots


def returns(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """Cohorts back at the port after their round trip, and tankers turned back earlier; units
    added to (or cut from) the escort pool today join (or leave) it."""
    K = s.slots
    back = _ages(s, t)[None, None, :] == 2 * c["leg_days"][..., None]
    returning = (state.cohort * back[..., None]).sum(axis=2)
    released = state.calendar[:, :, t % K]
    escorts_free = state.escorts_free + c["escort_pool"] - state.pool
    return state._replace(
        calendar=state.calendar.at[:, :, t % K].set(0),
        idle=state.idle + returning + released,
        drivers=state.drivers + returning.sum(axis=2) + released.sum(axis=2),
        escorts_free=escorts_free + (state.escorts_on * back).sum(axis=(1, 2)),
        pool=jnp.broadcast_to(c["escort_pool"], state.pool.shape),
        cohort=jnp.where(back[..., None], 0, state.cohort),
        escorts_on=jnp.where(back, 0, state.escorts_on),
    ), {}


def arrivals(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """Loaded cohorts reach the city's gate (escorted convoys counted); the depots take what
    customs clear and their tanks hold, products in dispatch priority order; the rest waits at
    the gate."""
    arriving = _ages(s, t)[None, None, :] == c["leg_days"][..., None]
    arrived = (state.cohort * arriving[..., None]).sum(axis=2)  # (R, C, P)
    gate = state.gate + arrived.sum(axis=1)
    litres = c["tanker_litres"]
    budget = c["unloading_capacity"]  # (R,) tankers customs clear today
    stock = state.stock
    unloaded = []
    for p in s.product_order:
        ullage = jnp.floor(jnp.maximum(c["depot_capacity"][p] - stock[:, p], 0.0) / litres[p])
        unload = jnp.minimum(jnp.minimum(gate[:, p].astype(F32), ullage), budget)
        budget = budget - unload
        unloaded.append((p, unload.astype(I32)))
    delivered = jnp.stack([u for _, u in sorted(unloaded)], axis=1)  # (R, P) tankers
    gate = gate - delivered
    # float32 rounding of the sum may land a litre above the capacity the ullage respected
    # (a stock already above a capacity the timeline cut stays as it is).
    stock = jnp.minimum(stock + delivered * litres, jnp.maximum(c["depot_capacity"], stock))
    convoy = jnp.array(s.convoy)[None, :]
    escorted = (state.escorts_on * arriving).sum(axis=2) > 0  # customs count secured convoys
    state = state._replace(transit=state.transit - arrived, gate=gate, stock=stock)
    return state, {"delivered_litres": delivered, "gate_litres": gate,
                   "delivered_by_corridor_litres": arrived.astype(F32) @ litres,
                   "convoys_arrived": ((arrived.sum(axis=2) > 0) & convoy & escorted).astype(I32)}


# Float32 slack for the roundings that must land on whole numbers (NumPy uses 1e-9 in float64).
ROUND_SLACK = 1e-4


def _normal_demand(c: dict) -> jnp.ndarray:
    """(R, P) litres/day over all sectors, summed on the device: the same float32 sum as the
    demand served in full, so full service leaves exactly nothing unserved."""
    return c["base_demand"].sum(axis=1)


def _tankers_ready(c: dict, state: DayState, convoy: jnp.ndarray) -> jnp.ndarray:
    """(R, C, P) tankers each corridor sends today if its drivers are willing: its share of the
    importers' base-stock order (target cover plus lead-time demand, against depot stock, fuel
    on the road and at the gate), as far as idle tankers and the port's loading since the last
    departure allow; a convoy corridor only once its interval is up, its convoy is assembled or
    it waits for escorts. Mirrors ``vectorized._tankers_ready``."""
    litres = c["tanker_litres"]
    position = state.stock + (state.transit.sum(axis=1) + state.gate) * litres
    target = (c["order_target_cover_days"] + c["lead_time_days"])[:, None] * _normal_demand(c)
    order_l = jnp.maximum(0.0, target - position)
    want = jnp.ceil(jnp.ceil(order_l / litres)[:, None, :] * c["order_share"][None, :, None])
    loading = jnp.floor(c["port_capacity"] * state.since[..., None])
    ready = jnp.minimum(jnp.minimum(want, state.idle), loading).astype(I32)
    departing = (~convoy | (state.since >= c["convoy_interval"]) | state.pending
                 | (ready.sum(axis=2) >= c["convoy_min_size"]))
    return ready * departing[..., None]


def _escorts_needed(c: dict, convoy: jnp.ndarray, tankers: jnp.ndarray) -> jnp.ndarray:
    """(R, C) escort units a convoy of ``tankers`` asks for (0 on free-running corridors)."""
    need = c["escorts_per_convoy"] + jnp.ceil(
        c["escorts_per_100"] * tankers.astype(F32) / 100.0 - ROUND_SLACK).astype(I32)
    return jnp.where(convoy, need, 0)


def _willingness(c: dict, fear: jnp.ndarray, planned: jnp.ndarray, ban: jnp.ndarray
                 ) -> jnp.ndarray:
    """Each driver's probability of departing, (R, C): fear deters, planned escorts reassure,
    a ban's compliance refuses unless escorts persuade them. Mirrors the willingness in
    ``vectorized._drivers_willing``."""
    refusal = ban * jnp.exp(-c["escort_defiance"][:, None] * planned)
    return (c["willingness_max"][:, None]
            * jnp.exp(-c["fear_sensitivity"][:, None] * fear
                      / (1.0 + c["escort_reassurance"][:, None] * planned))
            * (1.0 - refusal))


def _allot(s: Static, c: dict, ready: jnp.ndarray, n_go: jnp.ndarray) -> jnp.ndarray:
    """Share ``n_go`` (R, C) places among the products' ready tankers (R, C, P) in proportion
    to dispatch weight x ready (rounded down), the places left over going to the products in
    dispatch priority order as far as they have tankers ready. Mirrors ``vectorized._allot``."""
    weighted = ready * c["dispatch_weight"][:, None, :]
    total = weighted.sum(axis=2, keepdims=True)
    share = jnp.where(total > 0, n_go[..., None] * weighted / jnp.maximum(total, TINY), 0.0)
    go = jnp.minimum(jnp.floor(share + ROUND_SLACK).astype(I32), ready)
    left = n_go - go.sum(axis=2)
    for p in s.product_order:
        extra = jnp.minimum(left, ready[..., p] - go[..., p])
        go = go.at[..., p].add(extra)
        left = left - extra
    return go


def _assign_escorts(s: Static, c: dict, go: jnp.ndarray, escorts_free: jnp.ndarray,
                    pending: jnp.ndarray) -> tuple[jnp.ndarray, ...]:
    """Escorts for each departing convoy, as many as its size asks for, corridor by corridor in
    order; a convoy that waits for escorts and cannot get them all is held back (pending).
    Returns (go, assigned, escorts_free, pending). Mirrors ``vectorized._escort_convoys``."""
    total = go.sum(axis=2)
    need_all = _escorts_needed(c, jnp.array(s.convoy)[None, :], total)
    assigned = jnp.zeros_like(total)
    for ci in [i for i, v in enumerate(s.convoy) if v]:
        sending = total[:, ci] > 0
        need = need_all[:, ci]
        give = jnp.where(sending, jnp.minimum(need, jnp.maximum(escorts_free, 0)), 0)
        hold = sending & (give < need) & s.wait_for_escorts[ci]
        give = jnp.where(hold, 0, give)
        escorts_free = escorts_free - give
        assigned = assigned.at[:, ci].set(give)
        go = go.at[:, ci, :].set(jnp.where(hold[:, None], 0, go[:, ci, :]))
        pending = pending.at[:, ci].set(hold)
    return go, assigned, escorts_free, pending


def orders_and_dispatch(s: Static, c: dict, state: DayState, t: jnp.ndarray, ban: jnp.ndarray,
                        key: jax.Array) -> tuple[DayState, dict]:
    """Importers order; each driver asked decides once (one binomial per corridor), the willing
    take the loads by dispatch weight, convoys take their escorts and leave into today's ring
    slot."""
    convoy = jnp.array(s.convoy)[None, :]
    ready = _tankers_ready(c, state, convoy)
    n_ready = ready.sum(axis=2)
    # Drivers count the escorts asked for that the pool can give (vectorized._drivers_willing).
    escorts = jnp.minimum(_escorts_needed(c, convoy, n_ready),
                          jnp.maximum(state.escorts_free, 0)[:, None])
    enforced = jnp.take_along_axis(c["regime_ban_enforcement"], state.regime[:, None], 1)
    willing = binomial(key, n_ready, _willingness(c, state.fear, escorts, ban * enforced))
    limit = jnp.where(convoy, jnp.minimum(state.drivers, c["convoy_max_size"]), state.drivers)
    go = _allot(s, c, ready, jnp.minimum(willing, limit))
    go, assigned, escorts_free, pending = _assign_escorts(s, c, go, state.escorts_free,
                                                          state.pending)
    total = go.sum(axis=2)
    new = (_ages(s, t) == 0)[None, None, :]
    state = state._replace(
        escorts_free=escorts_free, pending=pending,
        since=jnp.where((total > 0) | ~convoy, 1.0,
                        jnp.minimum(state.since + 1.0, 2.0 * c["convoy_interval"])),
        cohort=jnp.where(new[..., None], go[:, :, None, :], state.cohort),
        escorts_on=jnp.where(new, assigned[..., None], state.escorts_on),
        idle=state.idle - go, drivers=state.drivers - total, transit=state.transit + go,
    )
    return state, {"loaded_litres": go.sum(axis=1), "tankers_dispatched": total}


def campaign(s: Static, c: dict, state: DayState, t: jnp.ndarray, key: jax.Array
             ) -> tuple[DayState, dict]:
    """The adversary's campaign moves between regimes: held where the timeline fixes the
    regime, else leaving each regime at its daily rate for one drawn from the transition
    weights (one uniform for whether, one for where, per replication). Records today's attack
    intensity. Mirrors ``vectorized.campaign``."""
    G = c["regime_multiplier"].shape[1]
    regime = state.regime
    if G > 1:
        u = jax.random.uniform(key, (2,) + regime.shape, F32)
        leave = u[0] < jnp.take_along_axis(c["regime_switch_prob"], regime[:, None], 1)[:, 0]
        cumulative = jnp.cumsum(c["regime_transition"][regime], axis=1)  # (R, G)
        nxt = jnp.minimum((u[1][:, None] >= cumulative).sum(axis=1), G - 1).astype(I32)
        regime = jnp.where(leave, nxt, regime)
    regime = jnp.where(c["regime_hold"] >= 0, c["regime_hold"], regime)
    multiplier = jnp.take_along_axis(c["regime_multiplier"], regime[:, None], 1)[:, 0]
    intensity = c["intensity"] * c["growth_per_year"] ** (t / 365.0) * multiplier
    return state._replace(regime=regime), {"attack_intensity": intensity}


def attacks(s: Static, c: dict, state: DayState, t: jnp.ndarray, intensity: jnp.ndarray,
            k_hit: jax.Array, k_free: jax.Array, k_destroy: jax.Array, k_kidnap: jax.Array
            ) -> tuple[DayState, dict]:
    """Attacks on the cohorts on the road at today's ``intensity`` (from ``campaign``): a
    convoy is one target whose hazard grows with its size and falls with escorts; free-running
    tankers are attacked one by one. Hit tankers burn a share of their load, some crews are
    kidnapped, and fear rises."""
    convoy = jnp.array(s.convoy)[None, :]
    age = _ages(s, t)
    cohort, escorts_on = state.cohort, state.escorts_on
    mult = intensity[:, None] * ((1.0 - c["adaptation"][:, None])
                                 + c["adaptation"][:, None] * state.adapt)
    exposure = jnp.take(c["exposure_by_age"], age, axis=2)  # (R, C, K)
    size = cohort.sum(axis=3)
    hazard = exposure * mult[..., None] * (size > 0)
    r_ = (slice(None), None, None)
    group_hazard = (hazard * size.astype(F32) ** c["size_exponent"][r_]
                    * jnp.exp(-c["deterrence"][r_] * escorts_on))
    group_hit = (convoy[..., None] & (hazard > 0)
                 & (jax.random.uniform(k_hit, hazard.shape, F32) < -jnp.expm1(-group_hazard)))
    exposed = cohort * group_hit[..., None]
    if s.has_free:
        free_p = jnp.where(convoy[..., None], 0.0, -jnp.expm1(-hazard))
        exposed = exposed + binomial(k_free, cohort, free_p[..., None])
    n_exposed = exposed.sum(axis=3)
    share = c["destroy_share"][r_] * jnp.exp(-c["protection"][r_] * escorts_on)
    # Few cohorts are hit on a day: one per (replication, corridor) is ample room.
    destroyed = binomial_on_hit_cohorts(k_destroy, exposed, share,
                                        max(64, exposed.shape[0] * exposed.shape[1]))
    burned = destroyed * jnp.take(c["loaded_by_age"], age, axis=2)[..., None]
    lost = destroyed.sum(axis=(2, 3))
    kidnapped = binomial(k_kidnap, lost, c["kidnap_probability"][:, None])
    state = state._replace(
        cohort=cohort - destroyed, transit=state.transit - burned.sum(axis=2),
        drivers=state.drivers + lost - kidnapped,  # crews who escape walk back to the port
        fear=state.fear * c["fear_decay"][:, None] + lost + kidnapped,
    )
    return state, {"destroyed_litres": burned.sum(axis=(1, 2)), "tankers_lost": lost,
                   "attacks": jnp.where(group_hit, 1, n_exposed).sum(axis=2),
                   "drivers_kidnapped": kidnapped.sum(axis=1)}


def checkpoints(s: Static, c: dict, state: DayState, t: jnp.ndarray, key: jax.Array
                ) -> tuple[DayState, dict]:
    """Checkpoints turn loaded tankers back; they reach the port after as many days."""
    K = s.slots
    age = _ages(s, t)
    cohort, transit, calendar = state.cohort, state.transit, state.calendar
    returned = jnp.zeros_like(transit[:, 0])  # (R, P)
    for q in range(s.checkpoints):
        cp_age = c["checkpoint_age"][:, :, q]
        prob = c["checkpoint_prob"][:, :, q]
        at = (age[None, None, :] == cp_age[..., None]) & (prob > 0)[..., None]
        turned = binomial(jax.random.fold_in(key, q), (cohort * at[..., None]).sum(axis=2),
                          prob[..., None])
        cohort = cohort - turned[:, :, None, :] * at[..., None]
        transit = transit - turned
        due = jnp.arange(K)[None, None, :] == ((t + cp_age + 1) % K)[..., None]
        calendar = calendar + turned[:, :, None, :] * (due & (prob > 0)[..., None])[..., None]
        returned = returned + turned.sum(axis=1)
    state = state._replace(cohort=cohort, transit=transit, calendar=calendar)
    return state, {"returned_litres": returned}


def _adapted(c: dict, adapt: jnp.ndarray, traffic: jnp.ndarray, escorts_out: jnp.ndarray
             ) -> jnp.ndarray:
    """The adversary's effort multiplier moved towards its target: busy, weakly escorted
    corridors attract it, normalised so the total hazard mass stays fixed. Mirrors the target
    and smoothing in the NumPy engine's ``vectorized.adversary_adaptation`` (here the rate
    multiplies before the division by the norm: changing that order changes the outputs)."""
    escort_ratio = escorts_out / jnp.maximum(traffic / 10.0, 1.0)
    attract = (traffic + 1.0) * jnp.exp(-c["escort_aversion"][:, None] * escort_ratio)
    mass = c["exposure_mass"]
    norm = (attract * mass).sum(axis=1, keepdims=True) / jnp.maximum(
        mass.sum(axis=1, keepdims=True), TINY)
    rate = c["adaptation_rate"][:, None]
    return (1.0 - rate) * adapt + rate * attract / jnp.maximum(norm, TINY)


def adversary_adaptation(s: Static, c: dict, state: DayState, t: jnp.ndarray
                         ) -> tuple[DayState, dict]:
    """The adversary shifts effort towards busy, weakly escorted corridors."""
    adapt = _adapted(c, state.adapt, state.cohort.sum(axis=(2, 3)),
                     state.escorts_on.sum(axis=2))
    return state._replace(adapt=adapt), {}


def recruitment(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """Drivers recruited at a steady rate (the whole ones accrued by the end of the day)."""
    recruit = c["recruitment_per_day"]
    hired = (jnp.floor((t + 1) * recruit) - jnp.floor(t * recruit)).astype(I32)[:, None]
    return state._replace(drivers=state.drivers + hired), {}


def city_day(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """The city: rationing by cover, panic buying, what the power sector can pay for, priority
    allocation of the stock, then stations, queues, prices, electricity and disruption, and the
    power sector's accounts."""
    stock = state.stock
    normal_demand = _normal_demand(c)
    cover = stock / jnp.maximum(normal_demand, TINY)
    caps = jax_city.rationing_caps(cover, c["rationing_thresholds"], c["rationing_caps"])
    scarcity = jnp.clip(1.0 - cover / jnp.maximum(c["panic_cover_days"][:, None], TINY), 0, 1)
    demand = c["base_demand"] * (1.0 + c["panic_multiplier"][:, :, None] * scarcity[:, None, :])
    if s.power_finance:
        budget = power_budget(c, state)
        caps = caps.at[:, s.power_sector, :].multiply(
            power_purchase_share(state, budget)[:, None])
    served = jax_city.allocate_by_priority(demand * caps, stock, s.priority)
    stock = jnp.maximum(stock - served.sum(axis=1), 0.0)
    city, retail_share = _city_outputs(s, c, served, demand, stock)
    state, disruption = _disruption(c, state._replace(stock=stock), retail_share)
    if s.power_finance:
        state = power_accounts(c, state, budget, city["served_share"][:, s.power_sector],
                               city["electricity_hours"])
    return state, {**city, "disruption": disruption, "stock_litres": stock}


def power_budget(c: dict, state: DayState) -> jnp.ndarray:
    """(R,) the power sector's cash for fuel today (normal fuel bills). Mirrors
    ``vectorized.power_budget``."""
    return 1.0 + c["power_margin"] - c["power_sales_cover"] * (1.0 - state.power_sales)


def power_purchase_share(state: DayState, budget: jnp.ndarray) -> jnp.ndarray:
    """(R,) share of its normal fuel it can pay for today. Mirrors
    ``vectorized.power_purchase_share``."""
    return jnp.clip(budget + state.power_credit, 0.0, 1.0)


def power_accounts(c: dict, state: DayState, budget: jnp.ndarray, bought: jnp.ndarray,
                   hours: jnp.ndarray) -> DayState:
    """Pay for the fuel bought, repay credit, restore it after the bailout delay. Mirrors
    ``vectorized.power_accounts``."""
    short_run = jnp.where(budget + state.power_credit < 1.0, state.power_short_run + 1, 0)
    credit = jnp.clip(state.power_credit + budget - bought, 0.0, c["power_credit_days"])
    bailout = short_run >= c["power_bailout_days"]
    return state._replace(power_credit=jnp.where(bailout, c["power_credit_days"], credit),
                          power_short_run=jnp.where(bailout, 0, short_run),
                          power_sales=hours / c["power_hours_normal"])


def _stations(s: Static, c: dict, retail_supply: jnp.ndarray, retail_demand: jnp.ndarray
              ) -> dict:
    """Stations with each product (all when retail supply meets normal retail demand, fewer as
    (supply / normal) ** exponent when short) and the wait at those open. Mirrors
    ``vectorized._stations_and_queues``."""
    normal = c["retail_normal"]
    supplied = jnp.where(normal > 0, jnp.minimum(retail_supply / jnp.maximum(normal, TINY), 1.0),
                         0.0)
    by_product = c["station_count"] * supplied ** c["station_exponent"][:, None]
    open_any = by_product.max(axis=-1)
    per_station = (retail_demand.sum(axis=-1) / c["litres_per_fill"] / c["opening_hours"]
                   / jnp.maximum(open_any, 1.0))
    wait = jax_city.mean_wait_hours(per_station, c["service_rate"], s.pumps, c["wait_table"])
    return {"stations_open_by_product": by_product, "stations_open": open_any,
            "queue_wait_hours": jnp.where(open_any >= 1.0, wait, c["max_wait_hours"])}


def _city_outputs(s: Static, c: dict, served: jnp.ndarray, demand: jnp.ndarray,
                  stock: jnp.ndarray) -> tuple[dict, jnp.ndarray]:
    """The indicators after allocation: ``vectorized._city_indicators`` in jax.numpy; returns
    them and the retail (transport) served share that drives disruption."""
    normal_demand = _normal_demand(c)
    unserved = jnp.maximum(c["base_demand"] - served, 0.0).sum(axis=1)  # each sector's shortfall
    base = c["base_demand"].sum(axis=-1)
    served_share = jnp.where(base > 0, served.sum(axis=-1) / jnp.maximum(base, TINY), 1.0)
    weight = jnp.array(s.retail, dtype=F32)
    retail_supply = jnp.einsum("rsp,s->rp", served, weight)
    retail_demand = jnp.einsum("rsp,s->rp", demand, weight)
    official = c["official_price"]
    price = jax_city.informal_price(official, retail_demand, retail_supply,
                                    c["elasticity"][:, None], c["price_cap_multiple"][:, None])
    price = jnp.where(retail_demand > 0, price, official)
    weights = retail_demand.sum(axis=-1)
    multiple = jnp.where(weights > 0, (retail_demand * price / official).sum(axis=-1)
                         / jnp.maximum(weights, TINY), 1.0)
    if s.power_sector >= 0:
        thermal = c["thermal_share"]
        electricity = c["power_hours_normal"] * (
            (1.0 - thermal) + thermal * jnp.minimum(served_share[:, s.power_sector], 1.0))
    else:
        electricity = jnp.broadcast_to(c["power_hours_normal"], weights.shape)
    retail_normal = c["retail_normal"].sum(axis=-1)
    retail_share = jnp.where(retail_normal > 0, retail_supply.sum(axis=-1)
                             / jnp.maximum(retail_normal, TINY), 1.0)
    return {
        "cover_days": stock / jnp.maximum(normal_demand, TINY),
        "unserved_litres": unserved,
        "stockout": (unserved > c["stockout_unserved_share"] * normal_demand)
        & (normal_demand > 0),
        "served_share": served_share,
        **_stations(s, c, retail_supply, retail_demand),
        "informal_price": price,
        "goods_price_index": 1.0 + c["goods_pass_through"] * (multiple - 1.0),
        "electricity_hours": electricity,
    }, retail_share


def _disruption(c: dict, state: DayState, share: jnp.ndarray) -> tuple[DayState, jnp.ndarray]:
    """Disruption with hysteresis on the retail served share: on after a run of low days, off
    after a run of recovered days. Mirrors ``vectorized._disruption``."""
    disrupted = state.disrupted
    low_run = jnp.where(~disrupted & (share < c["disruption_served_share"]), state.low_run + 1, 0)
    ok_run = jnp.where(disrupted & (share >= c["recovery_served_share"]), state.ok_run + 1, 0)
    starts = ~disrupted & (low_run >= c["disruption_min_days"])
    ends = disrupted & (ok_run >= c["recovery_min_days"])
    disrupted = (disrupted | starts) & ~ends
    return state._replace(disrupted=disrupted, low_run=low_run, ok_run=ok_run), disrupted


def observe(state: DayState) -> dict:
    """End-of-day levels: fuel (in tankers) and tankers on the road, escort units in use and in
    the pool."""
    return {"in_transit_litres": state.transit.sum(axis=1),
            "tankers_in_transit": state.cohort.sum(axis=(2, 3)).sum(axis=1),
            "escorts_busy": state.pool - state.escorts_free, "escort_pool": state.pool}


def _day(s: Static, consts: dict, state: DayState, xs: tuple) -> tuple[DayState, dict]:
    """One day for all replications: the model's processes in the NumPy engine's order
    (``vectorized.DAY``) with the constants of the day's phase; the day's random key is split
    among those that draw."""
    t, phase, ban = xs
    c = _today(consts, phase)
    k_go, k_regime, k_hit, k_free, k_destroy, k_kidnap, k_check = jax.random.split(
        jax.random.fold_in(state.root, t), 7)
    out: dict = {}
    steps = (lambda st: returns(s, c, st, t), lambda st: campaign(s, c, st, t, k_regime),
             lambda st: arrivals(s, c, st, t),
             lambda st: orders_and_dispatch(s, c, st, t, ban, k_go),
             lambda st: attacks(s, c, st, t, out["attack_intensity"], k_hit, k_free, k_destroy,
                                k_kidnap),
             lambda st: checkpoints(s, c, st, t, k_check),
             lambda st: adversary_adaptation(s, c, st, t), lambda st: recruitment(s, c, st, t),
             lambda st: city_day(s, c, st, t))
    for step in steps:
        state, produced = step(state)
        out.update(produced)
    return state, {**out, **observe(state)}


@partial(jax.jit, static_argnums=0)
def _block(s: Static, c: dict, state: DayState, xs: tuple) -> tuple[DayState, dict]:
    return jax.lax.scan(partial(_day, s, c), state, xs)


def _static(m: ModelParameters) -> Static:
    q_used = int(np.any(m.checkpoint_prob > 0, axis=(0, 1)).nonzero()[0].max(initial=-1)) + 1
    return Static(m.slots, tuple(bool(v) for v in m.convoy),
                  tuple(bool(v) for v in m.wait_for_escorts),
                  tuple(int(v) for v in m.sector_priority), tuple(bool(v) for v in m.retail),
                  int(m.power_sector), int(m.pumps_per_station), not bool(m.convoy.all()),
                  q_used, tuple(int(v) for v in m.product_order), bool(m.power_finance))


def _start(m: ModelParameters) -> tuple[Static, dict, DayState, np.ndarray]:
    """The compiled program's static shape, its constants, the state at day 0 (the NumPy
    engine's ``engines.state.initial_state``, slot axis moved next to the corridor so the masks
    broadcast) and the tankers already on the road, per (replication, product)."""
    s = initial_state(m)
    seed_words = dynamics_seed_sequence(m.seed).generate_state(2, np.uint32)
    root = jax.random.key(int(seed_words[0]) << 31 ^ int(seed_words[1]))
    consts = _consts(m)
    i = partial(jnp.asarray, dtype=I32)
    f = partial(jnp.asarray, dtype=F32)
    state = DayState(
        idle=i(s.idle), drivers=i(s.drivers), cohort=i(np.moveaxis(s.cohort, 0, 2)),
        escorts_on=i(np.moveaxis(s.escorts_on, 0, 2)),
        calendar=i(np.moveaxis(s.port_calendar, 0, 2)), transit=i(s.transit), gate=i(s.gate),
        escorts_free=i(s.escorts_free), pool=i(s.pool), fear=f(s.fear), adapt=f(s.adapt),
        stock=jnp.minimum(f(s.stock), _today(consts, 0)["depot_capacity"]),
        pending=jnp.asarray(s.pending), since=f(s.since), regime=i(s.regime),
        disrupted=jnp.asarray(s.disrupted), low_run=i(s.low_run), ok_run=i(s.ok_run),
        power_credit=f(s.power_credit), power_sales=f(s.power_sales),
        power_short_run=i(s.power_short_run), root=root)
    return _static(m), consts, state, s.transit.sum(axis=1)


def _blocks(m: ModelParameters, static: Static, consts: dict, state: DayState
            ) -> Iterator[tuple[int, int, dict]]:
    """Dispatch the horizon block by block; yields (first day, end day, that block's outputs
    still on the device, day-major). JAX dispatches asynchronously, so the next block computes
    while the caller copies this one to the host."""
    R, C = m.replications, len(m.corridors)
    T = m.days
    # Equal blocks (the last padded with days whose outputs are dropped) compile once.
    blocks = min(T, PROGRESS_BLOCKS)
    length = math.ceil(T / blocks)
    pad = blocks * length - T
    phase = np.concatenate([m.phase_of_day, np.full(pad, m.phase_of_day[-1])]).astype(np.int32)
    # Each day's ban refusal as its phase has it (a timeline may change the bans).
    ban = np.stack([m.phases[k].ban_refusal[:, :, t] for t, k in enumerate(m.phase_of_day)])
    ban = np.concatenate([ban, np.ones((pad, R, C))]).astype(np.float32)  # (T', R, C)
    for b in range(blocks):
        days = np.arange(b * length, (b + 1) * length, dtype=np.int32)
        xs = (jnp.asarray(days), jnp.asarray(phase[days]), jnp.asarray(ban[days]))
        state, ys = _block(static, consts, state, xs)
        yield b * length, min((b + 1) * length, T), ys


def simulate_jax_on_device(params: ModelParameters) -> list[dict[str, jax.Array]]:
    """Run the model and leave the outputs on the device (one dict per block, day-major, counts
    in tankers): what the accelerator alone does, for benchmarks that time it apart from the
    copy to the host."""
    return [ys for _, _, ys in _blocks(params, *_start(params)[:3])]


def simulate_jax(params: ModelParameters, progress: Callable[[int, int], None] | None = None
                 ) -> dict[str, np.ndarray]:
    """Run the model on JAX's default device; returns output arrays (replication, day, ...)
    like the NumPy engine."""
    m = params
    T = m.days
    static, consts, state, on_road_at_start = _start(m)
    parts: list[dict] = []

    def fetch(block: tuple[int, int, dict]) -> None:
        parts.append(jax.device_get(block[2]))
        if progress is not None:
            progress(block[1], T)

    previous = None
    # Each step dispatches a block, then copies the previous one to the host while it computes.
    for block in _blocks(m, static, consts, state):
        if previous is not None:
            fetch(previous)
        previous = block
    if previous is not None:
        fetch(previous)

    # One concatenation and one transposing copy per output (faster than copying each block
    # into a strided slice of the final array).
    out = {}
    for spec in OUTPUTS:
        arr = np.concatenate([p[spec.name] for p in parts])[:T]
        arr = np.moveaxis(arr, 0, 1)  # (R, T, ...)
        if spec.name in COUNT_OUTPUTS:
            arr = arr.astype(np.float64) * m.tanker_litres
        out[spec.name] = arr.astype(spec.dtype, copy=False)
    out["loaded_litres"][:, 0] += on_road_at_start * m.tanker_litres  # fuel already on the road
    return out


@partial(jax.jit, static_argnums=(0, 1))
def _reduce_block(metrics: tuple[Metric, ...], days: int, acc: dict | None, ys: dict,
                  start: jax.Array) -> dict:
    """Fold one block of daily outputs (day-major, padded past ``days``) into the running
    per-replication reductions of ``metrics`` (siegeline.model.metrics), on the device. Sums of
    counts keep their product axis (the host turns tankers into litres) and means their
    output's axes (the host divides)."""
    length = next(iter(ys.values())).shape[0]
    day = start + jnp.arange(length)
    valid = day < days
    last = days - 1 - start  # index of the horizon's last day in this block, if it is here
    here = (last >= 0) & (last < length)
    new = {}
    for metric in metrics:
        v = ys[metric.output]
        v = v.reshape(length, v.shape[1], -1)
        kept = jnp.where(valid[:, None, None], v, 0)
        if metric.reduction == "sum":
            part = kept.sum(axis=0)
            if metric.output not in COUNT_OUTPUTS:
                part = part.sum(axis=1)
        elif metric.reduction == "days_any":
            part = (v.any(axis=2) & valid[:, None]).sum(axis=0)
        elif metric.reduction == "mean":
            part = kept.astype(F32).sum(axis=0)
        elif metric.reduction == "last_max":
            part = jnp.take(v, jnp.clip(last, 0, length - 1), axis=0).max(axis=1)
        else:  # first_any
            hit = v.any(axis=2) & valid[:, None]
            part = jnp.where(hit.any(axis=0), start + hit.argmax(axis=0), days)
        if acc is not None:
            before = acc[metric.name]
        else:  # the reduction's identity: nothing seen yet
            before = days if metric.reduction == "first_any" else 0
        if metric.reduction == "last_max":
            new[metric.name] = jnp.where(here, part, before)
        elif metric.reduction == "first_any":
            new[metric.name] = jnp.minimum(before, part)
        else:
            new[metric.name] = before + part
    return new


def simulate_jax_metrics(params: ModelParameters, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The per-replication metrics ``names`` (siegeline.model.metrics), reduced on the device
    block by block: a few numbers per replication come back to the host instead of every
    day's outputs (about 400 bytes per replication-day), which on a GPU would bound
    throughput. Same draws as ``simulate_jax``, so the same values as reducing its outputs."""
    m = params
    metrics = tuple(METRIC_BY_NAME[name] for name in names)
    static, consts, state, on_road_at_start = _start(m)
    acc = None
    for start, _, ys in _blocks(m, static, consts, state):
        acc = _reduce_block(metrics, m.days, acc, ys, jnp.int32(start))
    host = jax.device_get(acc)
    out = {}
    for metric in metrics:
        value = np.asarray(host[metric.name])
        if metric.reduction == "sum" and metric.output in COUNT_OUTPUTS:
            value = value.astype(np.float64) @ m.tanker_litres  # tankers by product -> litres
            if metric.output == "loaded_litres":
                value = value + on_road_at_start @ m.tanker_litres  # fuel already on the road
        elif metric.reduction == "mean":  # sums over days, per entry of the output's axes
            value = value.astype(np.float64).sum(axis=1) / (m.days * value.shape[1])
        out[metric.name] = value.astype(np.float64)
    return out
