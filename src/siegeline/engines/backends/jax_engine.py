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
  slot.
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
from siegeline.engines.state import age_tables, warm_start
from siegeline.model.metrics import METRIC_BY_NAME, Metric
from siegeline.model.outputs import OUTPUTS
from siegeline.model.parameters import ModelParameters, dynamics_seed_sequence

F32, I32 = jnp.float32, jnp.int32
TINY = jax_city.TINY
PROGRESS_BLOCKS = 6  # the horizon runs as this many compiled blocks, reporting between them
COUNT_OUTPUTS = ("loaded_litres", "delivered_litres", "destroyed_litres", "returned_litres",
                 "in_transit_litres")  # computed in tankers, converted to litres on the host


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


def _consts(m: ModelParameters) -> dict[str, jnp.ndarray]:
    loaded_by_age, exposure_by_age = age_tables(m)
    f = partial(jnp.asarray, dtype=F32)
    i = partial(jnp.asarray, dtype=I32)
    return {
        "litres": f(m.tanker_litres), "official_price": f(m.official_price),
        "leg": i(m.leg_days), "loaded_by_age": jnp.asarray(loaded_by_age),
        "exposure_by_age": f(exposure_by_age), "exposure_mass": f(m.exposure_loaded.sum(axis=2)),
        "checkpoint_age": i(m.checkpoint_age), "checkpoint_prob": f(m.checkpoint_prob),
        "order_share": f(m.order_share), "port_capacity": f(m.port_capacity),
        "convoy_interval": i(m.convoy_interval), "convoy_max_size": i(m.convoy_max_size),
        "escorts_per_convoy": i(m.escorts_per_convoy), "escort_pool": i(m.escort_pool),
        **{name: f(getattr(m, name)) for name in (
            "willingness_max", "fear_sensitivity", "fear_decay", "escort_reassurance",
            "kidnap_probability", "recruitment_per_day", "intensity", "growth_per_year",
            "adaptation", "adaptation_rate", "escort_aversion", "size_exponent", "deterrence",
            "protection", "destroy_share", "base_demand", "panic_multiplier",
            "panic_cover_days", "rationing_thresholds", "rationing_caps",
            "order_target_cover_days", "elasticity", "price_cap_multiple",
            "goods_pass_through", "thermal_share")},
        **{name: f(float(getattr(m, name))) for name in (
            "stockout_cover_days", "station_count", "service_rate", "opening_hours",
            "litres_per_fill", "min_daily_litres_to_open", "max_wait_hours",
            "power_hours_normal", "disruption_cover_days", "disruption_min_days")},
    }


class DayState(NamedTuple):
    """What one day hands to the next, per replication (a pytree, so ``lax.scan`` carries it).
    Shapes: R replications, C corridors, K ring slots, P products."""

    idle: jnp.ndarray  # (R, C, P) int32: tankers waiting at the port
    drivers: jnp.ndarray  # (R, C) int32: drivers at the port
    cohort: jnp.ndarray  # (R, C, K, P) int32: tankers of the cohort dispatched into each slot
    escorts_on: jnp.ndarray  # (R, C, K) int32: escort units riding with each cohort
    calendar: jnp.ndarray  # (R, C, K, P) int32: turned-back tankers by the day (mod K) due home
    transit: jnp.ndarray  # (R, C, P) int32: loaded tankers on the road
    escorts_free: jnp.ndarray  # (R,) int32: escort units at the port
    fear: jnp.ndarray  # (R, C) float32: drivers' recent losses, decaying
    adapt: jnp.ndarray  # (R, C) float32: the adversary's effort multiplier per corridor
    stock: jnp.ndarray  # (R, P) float32: litres in the city's depots
    pending: jnp.ndarray  # (R, C) bool: a convoy held back for escorts leaves tomorrow
    since: jnp.ndarray  # (R, C) float32: days of loading since the last departure
    low_run: jnp.ndarray  # (R,) int32: consecutive days of low cover
    root: jax.Array  # the run's random key, folded with the day


def _ages(s: Static, t: jnp.ndarray) -> jnp.ndarray:
    """Age in days of the cohort in each ring slot, (K,)."""
    return (t - jnp.arange(s.slots)) % s.slots


def returns(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """Cohorts back at the port after their round trip, and tankers turned back earlier."""
    K = s.slots
    back = _ages(s, t)[None, None, :] == 2 * c["leg"][..., None]
    returning = (state.cohort * back[..., None]).sum(axis=2)
    released = state.calendar[:, :, t % K]
    return state._replace(
        calendar=state.calendar.at[:, :, t % K].set(0),
        idle=state.idle + returning + released,
        drivers=state.drivers + returning.sum(axis=2) + released.sum(axis=2),
        escorts_free=state.escorts_free + (state.escorts_on * back).sum(axis=(1, 2)),
        cohort=jnp.where(back[..., None], 0, state.cohort),
        escorts_on=jnp.where(back, 0, state.escorts_on),
    ), {}


def arrivals(s: Static, c: dict, state: DayState, t: jnp.ndarray) -> tuple[DayState, dict]:
    """Loaded cohorts reaching the city unload into its depots."""
    arriving = _ages(s, t)[None, None, :] == c["leg"][..., None]
    delivered = (state.cohort * arriving[..., None]).sum(axis=2)  # (R, C, P)
    state = state._replace(transit=state.transit - delivered,
                           stock=state.stock + delivered.sum(axis=1) * c["litres"])
    return state, {"delivered_litres": delivered.sum(axis=1),
                   "delivered_by_corridor_litres": delivered.astype(F32) @ c["litres"]}


def _order_tankers(c: dict, stock: jnp.ndarray, transit: jnp.ndarray) -> jnp.ndarray:
    """Tankers each corridor is asked to send, (R, C, P): importers order to hold the target
    cover in depots and on the road, split by corridor share. Mirrors the order (``want``) in the
    NumPy engine's ``vectorized._tankers_ready``."""
    litres = c["litres"]
    normal_demand = c["base_demand"].sum(axis=1)
    order_l = jnp.maximum(0.0, c["order_target_cover_days"][:, None] * normal_demand - stock
                          - transit.sum(axis=1) * litres)
    return jnp.ceil(jnp.ceil(order_l / litres)[:, None, :] * c["order_share"][None, :, None])


def _willingness(c: dict, fear: jnp.ndarray, planned: jnp.ndarray, ban: jnp.ndarray
                 ) -> jnp.ndarray:
    """Each driver's probability of departing, (R, C): fear deters, planned escorts reassure,
    a ban's compliance refuses. Mirrors the willingness in the NumPy engine's
    ``vectorized._drivers_willing``."""
    return (c["willingness_max"][:, None]
            * jnp.exp(-c["fear_sensitivity"][:, None] * fear
                      / (1.0 + c["escort_reassurance"][:, None] * planned))
            * (1.0 - ban))


def _assign_escorts(s: Static, c: dict, go: jnp.ndarray, escorts_free: jnp.ndarray,
                    pending: jnp.ndarray) -> tuple[jnp.ndarray, ...]:
    """Escorts for each departing convoy, corridor by corridor in order; a convoy that waits for
    escorts and cannot get them all is held back (pending). Returns (go, assigned,
    escorts_free, pending). Mirrors ``vectorized._escort_convoys``, without mutation."""
    total = go.sum(axis=2)
    assigned = jnp.zeros_like(total)
    for ci in [i for i, v in enumerate(s.convoy) if v]:
        sending = total[:, ci] > 0
        need = c["escorts_per_convoy"][:, ci]
        give = jnp.where(sending, jnp.minimum(need, escorts_free), 0)
        hold = sending & (give < need) & s.wait_for_escorts[ci]
        give = jnp.where(hold, 0, give)
        escorts_free = escorts_free - give
        assigned = assigned.at[:, ci].set(give)
        go = go.at[:, ci, :].set(jnp.where(hold[:, None], 0, go[:, ci, :]))
        pending = pending.at[:, ci].set(hold)
    return go, assigned, escorts_free, pending


def orders_and_dispatch(s: Static, c: dict, state: DayState, t: jnp.ndarray, ban: jnp.ndarray,
                        key: jax.Array) -> tuple[DayState, dict]:
    """Importers order, willing drivers load what the port can, convoys take their escorts and
    leave into today's ring slot."""
    convoy = jnp.array(s.convoy)[None, :]
    want = _order_tankers(c, state.stock, state.transit)
    departing = ~convoy | (t % c["convoy_interval"] == 0) | state.pending
    loading = jnp.floor(c["port_capacity"] * state.since[..., None])
    candidates = (jnp.minimum(jnp.minimum(want, state.idle), loading).astype(I32)
                  * departing[..., None])
    planned = jnp.where(convoy, c["escorts_per_convoy"], 0)
    go = binomial(key, candidates, _willingness(c, state.fear, planned, ban)[..., None])
    limit = jnp.where(convoy, jnp.minimum(state.drivers, c["convoy_max_size"]), state.drivers)
    total = go.sum(axis=2)
    scale = jnp.where(total > limit, limit / jnp.maximum(total, 1).astype(F32), 1.0)
    go = jnp.floor(go * scale[..., None]).astype(I32)
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


def attacks(s: Static, c: dict, state: DayState, t: jnp.ndarray, k_hit: jax.Array,
            k_free: jax.Array, k_destroy: jax.Array, k_kidnap: jax.Array
            ) -> tuple[DayState, dict]:
    """Attacks on the cohorts on the road: a convoy is one target whose hazard grows with its
    size and falls with escorts; free-running tankers are attacked one by one. Hit tankers
    burn a share of their load, some crews are kidnapped, and fear rises."""
    convoy = jnp.array(s.convoy)[None, :]
    age = _ages(s, t)
    cohort, escorts_on = state.cohort, state.escorts_on
    intensity = c["intensity"] * c["growth_per_year"] ** (t / 365.0)
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
    """The city: rationing by cover, panic buying, priority allocation of the stock, then
    stations, queues, prices and power."""
    stock = state.stock
    normal_demand = c["base_demand"].sum(axis=1)
    cover = stock / jnp.maximum(normal_demand, TINY)
    caps = jax_city.rationing_caps(cover, c["rationing_thresholds"], c["rationing_caps"])
    scarcity = jnp.clip(1.0 - cover / jnp.maximum(c["panic_cover_days"][:, None], TINY), 0, 1)
    demand = c["base_demand"] * (1.0 + c["panic_multiplier"][:, :, None] * scarcity[:, None, :])
    served = jax_city.allocate_by_priority(demand * caps, stock, s.priority)
    stock = jnp.maximum(stock - served.sum(axis=1), 0.0)
    city, low_run = _city_outputs(s, c, served, demand, stock, normal_demand, state.low_run)
    return state._replace(stock=stock, low_run=low_run), {**city, "stock_litres": stock}


def observe(c: dict, state: DayState) -> dict:
    """End-of-day levels: fuel (in tankers) and tankers on the road, escort units in use."""
    return {"in_transit_litres": state.transit.sum(axis=1),
            "tankers_in_transit": state.cohort.sum(axis=(2, 3)).sum(axis=1),
            "escorts_busy": c["escort_pool"] - state.escorts_free}


def _day(s: Static, c: dict, state: DayState, xs: tuple) -> tuple[DayState, dict]:
    """One day for all replications: the model's processes in the NumPy engine's order
    (``vectorized.DAY``); the day's random key is split among those that draw."""
    t, ban = xs
    k_go, k_hit, k_free, k_destroy, k_kidnap, k_check = jax.random.split(
        jax.random.fold_in(state.root, t), 6)
    out: dict = {}
    for process, *args in ((returns,), (arrivals,), (orders_and_dispatch, ban, k_go),
                           (attacks, k_hit, k_free, k_destroy, k_kidnap), (checkpoints, k_check),
                           (adversary_adaptation,), (recruitment,), (city_day,)):
        state, produced = process(s, c, state, t, *args)
        out.update(produced)
    return state, {**out, **observe(c, state)}


def _city_outputs(s: Static, c: dict, served, demand, stock, normal_demand, low_run):
    """The indicators after allocation: ``vectorized._city_indicators`` in jax.numpy; returns
    the outputs and the run length of low-cover days."""
    cover = stock / jnp.maximum(normal_demand, TINY)
    base = c["base_demand"].sum(axis=-1)
    served_share = jnp.where(base > 0, served.sum(axis=-1) / jnp.maximum(base, TINY), 1.0)
    weight = jnp.array(s.retail, dtype=F32)
    retail_supply = jnp.einsum("rsp,s->rp", served, weight)
    retail_demand = jnp.einsum("rsp,s->rp", demand, weight)
    by_product = jnp.minimum(c["station_count"],
                             jnp.floor(retail_supply / c["min_daily_litres_to_open"]))
    open_any = by_product.max(axis=-1)
    per_station = (retail_demand.sum(axis=-1) / c["litres_per_fill"] / c["opening_hours"]
                   / jnp.maximum(open_any, 1.0))
    wait = jax_city.mean_wait_hours(per_station, c["service_rate"], s.pumps,
                                    c["opening_hours"], c["max_wait_hours"])
    official = c["official_price"]
    price = jax_city.informal_price(official, retail_demand, retail_supply,
                                    c["elasticity"][:, None], c["price_cap_multiple"][:, None])
    price = jnp.where(retail_demand > 0, price, official)
    weights = retail_demand.sum(axis=-1)
    multiple = jnp.where(weights > 0, (retail_demand * price / official).sum(axis=-1)
                         / jnp.maximum(weights, TINY), 1.0)
    if s.power_sector >= 0:
        thermal = c["thermal_share"]
        electricity = c["power_hours_normal"] * ((1.0 - thermal)
                                                 + thermal * served_share[:, s.power_sector])
    else:
        electricity = jnp.broadcast_to(c["power_hours_normal"], weights.shape)
    demanded = normal_demand > 0
    low = jnp.any((cover < c["disruption_cover_days"]) & demanded, axis=-1)
    low_run = jnp.where(low, low_run + 1, 0)
    return {
        "cover_days": cover,
        "stockout": (cover < c["stockout_cover_days"]) & demanded,
        "served_share": served_share,
        "stations_open_by_product": by_product, "stations_open": open_any,
        "queue_wait_hours": jnp.where(open_any > 0, wait, c["max_wait_hours"]),
        "informal_price": price,
        "goods_price_index": 1.0 + c["goods_pass_through"] * (multiple - 1.0),
        "electricity_hours": electricity,
        "disruption": low_run >= c["disruption_min_days"],
    }, low_run


@partial(jax.jit, static_argnums=0)
def _block(s: Static, c: dict, state: DayState, xs: tuple) -> tuple[DayState, dict]:
    return jax.lax.scan(partial(_day, s, c), state, xs)


def _start(m: ModelParameters) -> tuple[Static, dict, DayState, np.ndarray]:
    """The compiled program's static shape, its constants, the state at day 0 (after the warm
    start) and the tankers already on the road, per (replication, product)."""
    R, C, P = m.shape
    K = m.slots
    idle, drivers = m.fleet.copy(), m.drivers.copy()
    cohort = np.zeros((K, R, C, P), dtype=np.int64)
    size = np.zeros((K, R, C), dtype=np.int64)
    traffic = np.zeros((R, C), dtype=np.int64)
    transit = np.zeros((R, C, P), dtype=np.int64)
    warm_start(m, cohort, size, traffic, transit, idle, drivers)
    cohort = np.moveaxis(cohort, 0, 2)  # (R, C, K, P): the slot axis is where the masks broadcast

    q_used = int(np.any(m.checkpoint_prob > 0, axis=(0, 1)).nonzero()[0].max(initial=-1)) + 1
    static = Static(K, tuple(bool(v) for v in m.convoy),
                    tuple(bool(v) for v in m.wait_for_escorts),
                    tuple(int(v) for v in m.sector_priority), tuple(bool(v) for v in m.retail),
                    int(m.power_sector), int(m.pumps_per_station), not bool(m.convoy.all()),
                    q_used)
    consts = _consts(m)
    seed_words = dynamics_seed_sequence(m.seed).generate_state(2, np.uint32)
    root = jax.random.key(int(seed_words[0]) << 31 ^ int(seed_words[1]))
    state = DayState(
        idle=jnp.asarray(idle, I32), drivers=jnp.asarray(drivers, I32),
        cohort=jnp.asarray(cohort, I32), escorts_on=jnp.zeros((R, C, K), I32),
        calendar=jnp.zeros((R, C, K, P), I32), transit=jnp.asarray(transit, I32),
        escorts_free=jnp.asarray(m.escort_pool, I32), fear=jnp.zeros((R, C), F32),
        adapt=jnp.ones((R, C), F32), stock=jnp.asarray(m.initial_stock, F32),
        pending=jnp.zeros((R, C), bool), since=jnp.ones((R, C), F32), low_run=jnp.zeros(R, I32),
        root=root)
    return static, consts, state, transit.sum(axis=1)


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
    ban = np.moveaxis(m.ban_refusal, 2, 0)  # (T, R, C)
    ban = np.concatenate([ban, np.ones((blocks * length - T, R, C))]).astype(np.float32)
    for b in range(blocks):
        days = np.arange(b * length, (b + 1) * length, dtype=np.int32)
        state, ys = _block(static, consts, state, (jnp.asarray(days), jnp.asarray(ban[days])))
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
