"""The vectorized engine: every replication advances together, one day per step.

Tankers are tracked as cohorts: all tankers a corridor dispatches on one day travel together (a
convoy is exactly such a cohort; free-running tankers share the cohort's timing but are attacked
one by one). Cohorts live in a ring buffer of ``K`` slots indexed by dispatch day, so a cohort's age
is ``(t - slot) mod K`` and no array is shifted; the slot axis comes first, so each day's dispatch
and each age's cohorts are one contiguous block. All counts are integers, so fuel is conserved
exactly: loaded = delivered + destroyed + returned + in transit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from siegeline.city.prices import goods_price_index, informal_price
from siegeline.city.queueing import mean_wait_hours
from siegeline.city.rationing import allocate_by_priority, rationing_caps
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import ModelParameters, compile_parameters, dynamics_seed_sequence
from siegeline.scenario.schema import Scenario

ProgressCallback = Callable[[int, int], None]


def _sparse_binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) evaluated only where n > 0 and p > 0 (most entries draw nothing)."""
    out = np.zeros(n.shape, dtype=np.int64)
    hit = (n > 0) & (p > 0)
    if hit.any():
        out[hit] = rng.binomial(n[hit], np.minimum(p[hit], 1.0))
    return out


def _per_product(x: np.ndarray) -> np.ndarray:
    """Sum (R, C, P) over corridors; einsum beats ``sum`` on such short axes several-fold."""
    return np.einsum("rcp->rp", x)


def _per_corridor(x: np.ndarray) -> np.ndarray:
    """Sum (R, C, P) over products."""
    return np.einsum("rcp->rc", x)


def _age_tables(m: ModelParameters) -> tuple[np.ndarray, np.ndarray]:
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


def warm_start(m: ModelParameters, cohort: np.ndarray, size: np.ndarray, traffic: np.ndarray,
               transit: np.ndarray, idle: np.ndarray, drivers: np.ndarray) -> None:
    """Put the pre-blockade traffic on the road at day 0: each corridor carries its order share
    of normal demand, one cohort per past day of the round trip (as far as fleet and drivers
    allow), so deliveries continue from day 1 instead of after an empty first leg.

    ``cohort`` is (K, R, C, P) and ``size`` (K, R, C), slot first."""
    R, C, P = m.shape
    K = m.slots
    # Drivers who respect a ban in force on day 0 were not on the road either.
    daily = np.floor(m.base_demand.sum(axis=1)[:, None, :] * m.order_share[None, :, None]
                     * (1.0 - m.ban_refusal[:, :, :1]) / m.tanker_litres)  # (R, C, P)
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


def simulate_vectorized(
    params: ModelParameters, progress: ProgressCallback | None = None
) -> dict[str, np.ndarray]:
    """Run the model on compiled parameters; returns output arrays (replication, day, ...)."""
    m = params
    R, C, P = m.shape
    S, K, T = len(m.sectors), m.slots, m.days
    rng = np.random.Generator(np.random.PCG64(dynamics_seed_sequence(m.seed)))
    # Day-major buffers: each day writes one contiguous block; returned as (replication, day)
    # views.
    by_day = allocate_outputs(T, R, {"product": P, "corridor": C, "sector": S})

    litres = m.tanker_litres  # (P,)
    leg = m.leg_days  # (R, C)
    normal_demand = m.base_demand.sum(axis=1)  # (R, P)
    exposure_mass = m.exposure_loaded.sum(axis=2)  # (R, C)
    exposure_total = exposure_mass.sum(axis=1)  # (R,)
    convoy = m.convoy[None, :]  # (1, C)
    loaded_by_age, exposure_by_age = _age_tables(m)
    # Checkpoints: only the (replication, corridor) pairs that pass one are ever touched.
    checkpoints = []
    for q in range(m.checkpoint_age.shape[2]):
        rc = np.flatnonzero(m.checkpoint_prob[:, :, q] > 0)
        if rc.size:
            prob = np.broadcast_to(m.checkpoint_prob[:, :, q].ravel()[rc, None], (rc.size, P))
            checkpoints.append((rc, m.checkpoint_age[:, :, q].ravel()[rc], prob))
    free_cols = np.flatnonzero(~m.convoy)
    # Ages at which some road is exposed, age first: every (replication, corridor) has exactly
    # one cohort of each age, all in the same ring-buffer slot.
    exposed_ages = np.flatnonzero((exposure_by_age > 0).any(axis=(0, 1)))
    hazard_by_age = np.ascontiguousarray(np.moveaxis(exposure_by_age[:, :, exposed_ages], 2, 0))
    fuel_by_age = np.moveaxis(loaded_by_age[:, :, exposed_ages], 2, 0).astype(np.int64)
    # Flat views: cohort slot (k, r, c) is row k*R*C + r*C + c; 1-D gathers are numpy's fast path.
    base = np.arange(R * C).reshape(R, C)

    idle = m.fleet.copy()  # (R, C, P) tankers waiting at the port
    drivers = m.drivers.copy()  # (R, C) drivers at the port
    cohort = np.zeros((K, R, C, P), dtype=np.int64)  # tankers of the cohort in each slot
    size = np.zeros((K, R, C), dtype=np.int64)  # cohort sizes, kept in step with `cohort`
    traffic = np.zeros((R, C), dtype=np.int64)  # tankers on the road, per corridor
    escorts_on = np.zeros((K, R, C), dtype=np.int64)
    escorts_out = np.zeros((R, C), dtype=np.int64)  # escort units on the road, per corridor
    # Tankers turned back, by the day (mod K) they are due at the port: day-major, so each
    # day's release is one contiguous block.
    port_calendar = np.zeros((K, R, C, P), dtype=np.int64)
    transit = np.zeros((R, C, P), dtype=np.int64)  # loaded tankers on the road
    cohort_rows, size_flat, escorts_flat = cohort.reshape(-1, P), size.ravel(), escorts_on.ravel()
    calendar_rows = port_calendar.reshape(-1, P)  # row (day mod K) * R*C + r*C + c
    RC = R * C
    warm_start(m, cohort, size, traffic, transit, idle, drivers)
    by_day["loaded_litres"][0] = _per_product(transit) * litres  # fuel already on the road
    escorts_free = m.escort_pool.copy()
    fear = np.zeros((R, C))
    adapt = np.ones((R, C))
    stock = m.initial_stock.copy()
    pending = np.zeros((R, C), dtype=bool)
    since = np.ones((R, C))
    low_cover_run = np.zeros(R, dtype=np.int64)

    for t in range(T):
        out = {name: buf[t] for name, buf in by_day.items()}  # today's (R, ...) views

        # 1. Cohorts back at the port after their round trip, and tankers turned back earlier.
        back = (base + (t - 2 * leg) % K * RC).ravel()
        returning = np.take(cohort_rows, back, axis=0).reshape(R, C, P)
        idle += returning
        drivers += _per_corridor(returning)
        if checkpoints:
            released = port_calendar[t % K]
            idle += released
            drivers += _per_corridor(released)
            port_calendar[t % K] = 0
        traffic -= np.take(size_flat, back).reshape(R, C)
        escorts_back = np.take(escorts_flat, back).reshape(R, C)
        escorts_free += np.einsum("rc->r", escorts_back)
        escorts_out -= escorts_back
        # Only the size is cleared: a slot's tankers and escorts are read only while its cohort
        # is on the road (size > 0, exposure > 0), and a new dispatch overwrites the whole slot.
        size_flat[back] = 0

        # 2. Loaded cohorts reaching the city unload.
        # Before day `leg` that slot has never been used, so it holds zeros.
        delivered = np.take(cohort_rows, (base + (t - leg) % K * RC).ravel(),
                            axis=0).reshape(R, C, P)
        transit -= delivered
        delivered_p = _per_product(delivered) * litres
        stock += delivered_p
        out["delivered_litres"][...] = delivered_p
        out["delivered_by_corridor_litres"][...] = delivered @ litres

        # 3. Dispatch: importers order to hold the target cover in depots and on the road.
        transit_l = _per_product(transit) * litres  # (R, P)
        order_l = np.maximum(0.0, m.order_target_cover_days[:, None] * normal_demand
                             - stock - transit_l)
        want = np.ceil(np.ceil(order_l / litres)[:, None, :] * m.order_share[None, :, None])
        departing = ~convoy | (t % m.convoy_interval == 0) | pending  # (R, C)
        loading = np.floor(m.port_capacity * since[..., None])
        candidates = np.minimum(np.minimum(want, idle), loading).astype(np.int64)
        candidates *= departing[..., None]
        planned_escorts = np.where(convoy, m.escorts_per_convoy, 0)
        willingness = (m.willingness_max[:, None]
                       * np.exp(-m.fear_sensitivity[:, None] * fear
                                / (1.0 + m.escort_reassurance[:, None] * planned_escorts))
                       * (1.0 - m.ban_refusal[:, :, t]))
        # On most convoy schedules nobody departs on most days: draw only where some could.
        go = _sparse_binomial(rng, candidates, np.broadcast_to(willingness[..., None],
                                                               candidates.shape))
        limit = np.where(convoy, np.minimum(drivers, m.convoy_max_size), drivers)
        total = _per_corridor(go)
        over = total > limit
        if over.any():
            scale = np.where(over, limit / np.maximum(total, 1), 1.0)
            go = np.floor(go * scale[..., None]).astype(np.int64)
            total = _per_corridor(go)
        assigned = np.zeros((R, C), dtype=np.int64)
        for c in np.flatnonzero(m.convoy):
            sending = total[:, c] > 0
            need = m.escorts_per_convoy[:, c]
            give = np.where(sending, np.minimum(need, escorts_free), 0)
            hold = sending & (give < need) & m.wait_for_escorts[c]
            give = np.where(hold, 0, give)
            escorts_free -= give
            assigned[:, c] = give
            go[hold, c, :] = 0
            pending[:, c] = hold
        total = _per_corridor(go)
        since = np.where((total > 0) | ~convoy, 1.0,
                         np.minimum(since + 1.0, 2.0 * m.convoy_interval))
        cohort[t % K] = go
        size[t % K] = total
        traffic += total
        escorts_on[t % K] = assigned
        escorts_out += assigned
        idle -= go
        drivers -= total
        transit += go
        out["loaded_litres"] += _per_product(go) * litres
        out["tankers_dispatched"][...] = total

        # 4. Attacks on the cohorts on the road: a convoy is one target whose hazard grows with
        # its size and falls with escorts; free-running tankers are attacked one by one.
        intensity = m.intensity * m.growth_per_year ** (t / 365.0)
        mult = intensity[:, None] * ((1.0 - m.adaptation[:, None]) + m.adaptation[:, None] * adapt)
        lost, attacks, burned = _attack_cohorts(
            rng, m, t, cohort, size, escorts_on, exposed_ages, hazard_by_age, mult, fuel_by_age,
            free_cols, transit)
        traffic -= lost
        kidnapped = (_sparse_binomial(rng, lost, np.broadcast_to(m.kidnap_probability[:, None],
                                                                 lost.shape))
                     if lost.any() else lost)
        drivers += lost - kidnapped  # crews who escape walk back to the port
        fear = fear * m.fear_decay[:, None] + lost + kidnapped
        out["destroyed_litres"][...] = burned * litres
        out["tankers_lost"][...] = lost
        out["attacks"][...] = attacks
        out["drivers_kidnapped"][...] = np.einsum("rc->r", kidnapped)

        # 5. Checkpoints turn loaded tankers back; they reach the port after as many days.
        if checkpoints:
            returned = np.zeros((R, P), dtype=np.int64)
            for cp_rc, cp_age, cp_prob in checkpoints:
                at = (t - cp_age) % K * RC + cp_rc
                turned = _sparse_binomial(rng, cohort_rows[at], cp_prob)
                if not turned.any():
                    continue
                hit = np.flatnonzero(turned.any(axis=1))
                turned, at, rc = turned[hit], at[hit], cp_rc[hit]
                n_turned = turned.sum(axis=1)
                cohort_rows[at] -= turned  # each (replication, corridor) appears once
                size_flat[at] -= n_turned
                traffic.ravel()[rc] -= n_turned
                transit.reshape(-1, P)[rc] -= turned
                calendar_rows[((t + cp_age[hit] + 1) % K) * (R * C) + rc] += turned
                rep = rc // C
                returned += np.stack([np.bincount(rep, turned[:, p], minlength=R)
                                      for p in range(P)], axis=1).astype(np.int64)
            out["returned_litres"][...] = returned * litres

        # 6. The adversary shifts effort towards busy, weakly escorted corridors, keeping the
        # total hazard mass fixed.
        escort_ratio = escorts_out / np.maximum(traffic / 10.0, 1.0)
        attract = (traffic + 1.0) * np.exp(-m.escort_aversion[:, None] * escort_ratio)
        norm = (np.einsum("rc,rc->r", attract, exposure_mass)
                / np.maximum(exposure_total, 1e-300))[:, None]
        target = attract / np.maximum(norm, 1e-300)
        adapt = (1.0 - m.adaptation_rate[:, None]) * adapt + m.adaptation_rate[:, None] * target

        # 7. Recruitment replaces drivers at a steady rate.
        drivers += (np.floor((t + 1) * m.recruitment_per_day)
                    - np.floor(t * m.recruitment_per_day)).astype(np.int64)[:, None]

        # 8. The city: rationing by cover, panic buying, priority allocation, stations, prices.
        cover = stock / np.maximum(normal_demand, 1e-300)
        caps = rationing_caps(cover, m.rationing_thresholds, m.rationing_caps)
        scarcity = np.clip(1.0 - cover / np.maximum(m.panic_cover_days[:, None], 1e-300), 0, 1)
        demand = m.base_demand * (1.0 + m.panic_multiplier[:, :, None] * scarcity[:, None, :])
        served = allocate_by_priority(demand * caps, stock, m.sector_priority)
        stock = np.maximum(stock - np.einsum("rsp->rp", served), 0.0)
        city_day(m, out, served, demand, stock, normal_demand, m.retail, low_cover_run)

        out["stock_litres"][...] = stock
        out["in_transit_litres"][...] = _per_product(transit) * litres
        out["tankers_in_transit"][...] = np.einsum("rc->r", traffic)
        out["escorts_busy"][...] = m.escort_pool - escorts_free
        if progress is not None:
            progress(t + 1, T)
    # (replication, day, ...) views of the day-major buffers; no copy.
    return {name: np.moveaxis(buf, 0, 1) for name, buf in by_day.items()}


def _attack_cohorts(
    rng: np.random.Generator,
    m: ModelParameters,
    t: int,
    cohort: np.ndarray,
    size: np.ndarray,
    escorts_on: np.ndarray,
    ages: np.ndarray,
    hazard_by_age: np.ndarray,
    multiplier: np.ndarray,
    fuel_by_age: np.ndarray,
    free_cols: np.ndarray,
    transit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attack today's cohorts on the road, all exposed ages at once: a convoy is one target whose
    hazard grows with its size and falls with escorts; free-running tankers are attacked one by
    one. ``hazard_by_age`` (A, R, C) is the single-vehicle hazard integral at intensity 1 at each of
    the ``ages``, ``multiplier`` (R, C) today's intensity with the adversary's adaptation.
    Removes the destroyed tankers from ``cohort``, ``size`` and (loaded ones) ``transit``;
    returns tankers lost and attacks (R, C) and loaded tankers burned (R, P)."""
    A, R, C, P = len(ages), *transit.shape
    slots = (t - ages) % m.slots
    n = size[slots]  # (A, R, C)
    live = np.flatnonzero(n.reshape(A, R * C).any(axis=1))  # skip ages nobody is driving
    if not live.size:
        return (np.zeros((R, C), dtype=np.int64), np.zeros((R, C), dtype=np.int64),
                np.zeros((R, P), dtype=np.int64))
    # Dense over (live age, replication, corridor): most of these cohorts are on the road.
    slots, n, hazard = slots[live], n[live], hazard_by_age[live] * multiplier
    esc = escorts_on[slots]
    group_hazard = (hazard * np.power(np.maximum(n, 1), m.size_exponent[:, None])
                    * np.exp(-m.deterrence[:, None] * esc))
    hit = (n > 0) & m.convoy & (rng.random(n.shape) < -np.expm1(-group_hazard))
    attacks = hit.sum(axis=0)  # one attack per convoy hit (einsum would OR booleans)
    if free_cols.size:
        free_hit = rng.binomial(cohort[slots][:, :, free_cols],
                                -np.expm1(-hazard[:, :, free_cols])[..., None])
        attacks[:, free_cols] += np.einsum("arcp->rc", free_hit)
        hit[:, :, free_cols] = free_hit.any(axis=3)
    a, r, c = np.nonzero(hit)
    if not a.size:
        return np.zeros((R, C), dtype=np.int64), attacks, np.zeros((R, P), dtype=np.int64)
    k = slots[a]
    exposed = cohort[k, r, c]  # an attacked convoy exposes all its tankers
    if free_cols.size:
        alone = ~m.convoy[c]
        exposed[alone] = free_hit[a[alone], r[alone], np.searchsorted(free_cols, c[alone])]
    share = m.destroy_share[r] * np.exp(-m.protection[r] * esc[a, r, c])
    destroyed = rng.binomial(exposed, share[:, None])
    cohort[k, r, c] -= destroyed  # each (slot, replication, corridor) appears once
    n_destroyed = destroyed.sum(axis=1)
    size[k, r, c] -= n_destroyed
    # Sums over ages by bincount (exact: the counts are far below 2**53).
    rc = r * C + c
    lost = np.bincount(rc, n_destroyed, minlength=R * C).astype(np.int64).reshape(R, C)
    fuel = destroyed * fuel_by_age[live[a], r, c][:, None]  # tankers destroyed while loaded
    burned = np.empty((R, P), dtype=np.int64)
    transit_rows = transit.reshape(R * C, P)
    for p in range(P):
        transit_rows[:, p] -= np.bincount(rc, fuel[:, p], minlength=R * C).astype(np.int64)
        burned[:, p] = np.bincount(r, fuel[:, p], minlength=R)
    return lost, attacks, burned


def city_day(
    m: ModelParameters,
    out: dict[str, np.ndarray],
    served: np.ndarray,
    demand: np.ndarray,
    stock: np.ndarray,
    normal_demand: np.ndarray,
    retail: np.ndarray,
    low_cover_run: np.ndarray,
) -> None:
    """Record one day's city indicators into ``out`` (today's arrays, replication first)."""
    cover = stock / np.maximum(normal_demand, 1e-300)
    out["cover_days"][...] = cover
    out["stockout"][...] = (cover < m.stockout_cover_days) & (normal_demand > 0)
    base = np.einsum("...sp->...s", m.base_demand)
    out["served_share"][...] = np.where(base > 0, np.einsum("...sp->...s", served)
                                        / np.maximum(base, 1e-300),
                                         1.0)
    weight = retail.astype(float)
    retail_supply = np.einsum("...sp,s->...p", served, weight)  # (R, P)
    retail_demand = np.einsum("...sp,s->...p", demand, weight)
    by_product = np.minimum(m.station_count,
                            np.floor(retail_supply / m.min_daily_litres_to_open))
    open_any = by_product.max(axis=-1)
    out["stations_open_by_product"][...] = by_product
    out["stations_open"][...] = open_any
    weights = np.einsum("...p->...", retail_demand)
    vehicles_per_hour = weights / m.litres_per_fill / m.opening_hours
    per_station = vehicles_per_hour / np.maximum(open_any, 1.0)
    wait = mean_wait_hours(per_station, m.service_rate, m.pumps_per_station, m.opening_hours,
                           m.max_wait_hours)
    out["queue_wait_hours"][...] = np.where(open_any > 0, wait, m.max_wait_hours)
    price = informal_price(m.official_price, retail_demand, retail_supply,
                           m.elasticity[..., None], m.price_cap_multiple[..., None])
    price = np.where(retail_demand > 0, price, m.official_price)
    out["informal_price"][...] = price
    multiple = np.where(weights > 0, np.einsum("...p->...", retail_demand * price
                                               / m.official_price)
                        / np.maximum(weights, 1e-300), 1.0)
    out["goods_price_index"][...] = goods_price_index(multiple, m.goods_pass_through)
    if m.power_sector >= 0:
        power_share = out["served_share"][..., m.power_sector]
        out["electricity_hours"][...] = m.power_hours_normal * (
            (1.0 - m.thermal_share) + m.thermal_share * power_share)
    else:
        out["electricity_hours"][...] = m.power_hours_normal
    demanded = normal_demand > 0
    low = np.any((cover < m.disruption_cover_days) & demanded, axis=-1)
    low_cover_run[:] = np.where(low, low_cover_run + 1, 0)
    out["disruption"][...] = low_cover_run >= m.disruption_min_days


def run_vectorized(
    scenario: Scenario,
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ModelParameters, dict[str, np.ndarray]]:
    params = compile_parameters(scenario, replications, days, seed, overrides)
    return params, simulate_vectorized(params, progress)
