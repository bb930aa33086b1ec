"""The vectorized engine: every replication advances together, one day per step.

Tankers are tracked as cohorts: all tankers a corridor dispatches on one day travel together (a
convoy is exactly such a cohort; free-running tankers share the cohort's timing but are attacked
one by one). Cohorts live in a ring buffer of ``K`` slots indexed by dispatch day, so a cohort's age
is ``(t - slot) mod K`` and no array is shifted; the slot axis comes first, so each day's dispatch
and each age's cohorts are one contiguous block. All counts are integers, so fuel is conserved
exactly: loaded = delivered + destroyed + returned + in transit + waiting at the city's gate.

A day is the model's processes (docs/model.md section 1.3) in ``DAY``'s order. Each process has the
same signature ``(m, tables, state, t, rng, out)``: it updates the ``DayState`` in place and writes
its outputs into ``out``, today's (replication, ...) views of the output buffers. ``m`` is the
parameter set of the timeline's phase that day is in (``ModelParameters.phases``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from siegeline.city.prices import goods_price_index, informal_price
from siegeline.city.queueing import mean_wait_hours
from siegeline.city.rationing import allocate_by_priority, rationing_caps
from siegeline.engines.state import DayState, Tables, initial_state, phase_tables
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import ModelParameters, compile_parameters, dynamics_seed_sequence
from siegeline.scenario.schema import Scenario

ProgressCallback = Callable[[int, int], None]
# Called before each process of each day with (process, parameters, tables, state, day): reads
# the state a run passes through (planning's pilot runs); it must not change it.
Watcher = Callable[[Callable[..., None], ModelParameters, Tables, DayState, int], None]
Outputs = dict[str, np.ndarray]
Process = Callable[[ModelParameters, Tables, DayState, int, np.random.Generator, Outputs], None]


def _sparse_binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) evaluated only where n > 0 and p > 0 (most entries draw nothing)."""
    out = np.zeros(n.shape, dtype=np.int64)
    hit = (n > 0) & (p > 0)
    if hit.any():
        out[hit] = rng.binomial(n[hit], np.minimum(p[hit], 1.0))
    return out


def _free_hits(rng: np.random.Generator, total: np.ndarray, p: np.ndarray,
               counts: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Free-running cohorts of ``total`` tankers (any shape), each tanker hit independently with
    its cohort's probability ``p``: returns the flat indices of the cohorts hit and their hits
    by product (k, P), with the law of independent Binomial(n_p, p) per product. ``counts``
    gives the cohorts' tankers by product (k, P) for flat indices. Exact, and one uniform per
    cohort, since most cohorts see no attack: a cohort of N tankers (products in order) is hit
    with probability 1 - (1-p)^N; there, the first tanker hit J follows its truncated geometric
    law (inverted), the tankers before it are spared and each one after it is hit with
    probability p."""
    live = np.flatnonzero(((total > 0) & (p > 0)).ravel())
    n, q = total.ravel()[live], p.ravel()[live]
    with np.errstate(divide="ignore"):  # q = 1: log1p(-1) = -inf: hit for sure, and first
        log_spared = np.log1p(-q)
    some = -np.expm1(n * log_spared)  # P(at least one tanker hit)
    hit = rng.random(live.size) < some
    cells, n, log_spared, q, some = live[hit], n[hit], log_spared[hit], q[hit], some[hit]
    first = np.ceil(np.log1p(-rng.random(cells.size) * some) / log_spared)
    first = np.clip(first, 1, n).astype(np.int64)[:, None]  # position of the first hit
    by_product = counts(cells)
    upto = np.cumsum(by_product, axis=1)  # last position of each product
    after = np.clip(upto - first, 0, by_product)  # each product's tankers behind the first hit
    hits = rng.binomial(after, q[:, None])
    hits[np.arange(cells.size), np.argmax(upto >= first, axis=1)] += 1  # the first one's own
    return cells, hits


def _per_product(x: np.ndarray) -> np.ndarray:
    """Sum (R, C, P) over corridors; einsum beats ``sum`` on such short axes several-fold."""
    return np.einsum("rcp->rp", x)


def _per_corridor(x: np.ndarray) -> np.ndarray:
    """Sum (R, C, P) over products."""
    return np.einsum("rcp->rc", x)


def returns(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
            out: Outputs) -> None:
    """Cohorts back at the port after their round trip, and tankers turned back earlier, free
    their tankers, drivers and escort units; units added to (or cut from) the escort pool
    today join (or leave) it."""
    s.escorts_free += m.escort_pool - s.pool
    s.pool = m.escort_pool
    R, C, P = m.shape
    K = m.slots
    back = (tab.rc_rows + (t - 2 * m.leg_days) % K * (R * C)).ravel()
    returning = np.take(s.cohort_rows, back, axis=0).reshape(R, C, P)
    s.idle += returning
    s.drivers += _per_corridor(returning)
    if tab.checkpoints:
        released = s.port_calendar[t % K]
        s.idle += released
        s.drivers += _per_corridor(released)
        s.port_calendar[t % K] = 0
    s.traffic -= np.take(s.size_flat, back).reshape(R, C)
    escorts_back = np.take(s.escorts_flat, back).reshape(R, C)
    s.escorts_free += np.einsum("rc->r", escorts_back)
    s.escorts_out -= escorts_back
    # Only the size is cleared: a slot's tankers and escorts are read only while its cohort is on
    # the road (size > 0, exposure > 0), and a new dispatch overwrites the whole slot.
    s.size_flat[back] = 0


def arrivals(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
             out: Outputs) -> None:
    """Loaded cohorts reach the city's gate; the depots take what customs clear and their tanks
    hold, products in dispatch priority order; the rest waits at the gate."""
    R, C, P = m.shape
    # Before day `leg` that slot has never been used, so it holds zeros.
    at = (tab.rc_rows + (t - m.leg_days) % m.slots * (R * C)).ravel()
    arriving = np.take(s.cohort_rows, at, axis=0).reshape(R, C, P)
    s.transit -= arriving
    s.gate += _per_product(arriving)
    out["delivered_by_corridor_litres"][...] = arriving @ m.tanker_litres
    escorted = np.take(s.escorts_flat, at).reshape(R, C) > 0
    out["convoys_arrived"][...] = (_per_corridor(arriving) > 0) & m.convoy & escorted
    budget = np.floor(m.unloading_capacity)  # (R,) tankers that can be cleared today
    delivered = out["delivered_litres"]
    for p in m.product_order:
        litres = m.tanker_litres[p]
        ullage = np.floor(np.maximum(m.depot_capacity[p] - s.stock[:, p], 0.0) / litres)
        unload = np.minimum(np.minimum(s.gate[:, p], ullage), budget).astype(np.int64)
        budget -= unload
        s.gate[:, p] -= unload
        s.stock[:, p] += unload * litres
        delivered[:, p] = unload * litres
    out["gate_litres"][...] = s.gate * m.tanker_litres


def orders_and_dispatch(m: ModelParameters, tab: Tables, s: DayState, t: int,
                        rng: np.random.Generator, out: Outputs) -> None:
    """Importers order to hold the target cover in depots and on the road; corridors due to
    depart send the tankers that loaded and whose drivers are willing, convoys with escorts."""
    ready = _tankers_ready(m, tab, s, t)
    go = _drivers_willing(m, s, t, rng, ready)
    assigned = _escort_convoys(m, s, go)
    total = _per_corridor(go)
    s.since = np.where((total > 0) | ~m.convoy[None, :], 1.0,
                       np.minimum(s.since + 1.0, 2.0 * m.convoy_interval))
    k = t % m.slots
    s.cohort[k] = go
    s.size[k] = total
    s.traffic += total
    s.escorts_on[k] = assigned
    s.escorts_out += assigned
    s.idle -= go
    s.drivers -= total
    s.transit += go
    out["loaded_litres"] += _per_product(go) * m.tanker_litres
    out["tankers_dispatched"][...] = total


def _tankers_ready(m: ModelParameters, tab: Tables, s: DayState, t: int) -> np.ndarray:
    """(R, C, P) tankers each corridor would send today: its share of the importers' order, as
    far as idle tankers and the port's loading since the last departure allow; a convoy corridor
    sends only once its interval is up, its convoy is assembled or it waits for escorts.

    Importers follow a base-stock rule: they order up to the target cover plus the lead-time
    demand, counting depot stock, fuel on the road and fuel waiting at the gate."""
    litres = m.tanker_litres
    position = s.stock + (_per_product(s.transit) + s.gate) * litres  # (R, P)
    target = (m.order_target_cover_days + m.lead_time_days)[:, None] * tab.normal_demand
    order_l = np.maximum(0.0, target - position)
    want = np.ceil(np.ceil(order_l / litres)[:, None, :] * m.order_share[None, :, None])
    loading = np.floor(m.port_capacity * s.since[..., None])
    ready = np.minimum(np.minimum(want, s.idle), loading).astype(np.int64)
    departing = (~m.convoy[None, :] | (s.since >= m.convoy_interval) | s.pending
                 | (_per_corridor(ready) >= m.convoy_min_size))  # (R, C)
    ready *= departing[..., None]
    return ready


def _planned_escorts(m: ModelParameters, tankers: np.ndarray) -> np.ndarray:
    """(R, C) escort units a convoy of ``tankers`` asks for (0 on free-running corridors)."""
    need = m.escorts_per_convoy + np.ceil(m.escorts_per_100 * tankers / 100.0 - 1e-9)
    return np.where(m.convoy[None, :], need, 0).astype(np.int64)


def _drivers_willing(m: ModelParameters, s: DayState, t: int, rng: np.random.Generator,
                     ready: np.ndarray) -> np.ndarray:
    """(R, C, P) tankers that leave: each driver asked decides once (fear, escorts, bans as far
    as today's campaign regime enforces them); the willing, up to the drivers at the port and
    the convoy's maximum size, share the loads by dispatch weight. Drivers count the escorts
    the convoy asks for that the pool can give."""
    n_ready = _per_corridor(ready)
    escorts = np.minimum(_planned_escorts(m, n_ready), np.maximum(s.escorts_free, 0)[:, None])
    willingness = willingness_to_leave(m, t, s.regime, s.fear, escorts)
    # On most convoy schedules nobody departs on most days: draw only where some could.
    willing = _sparse_binomial(rng, n_ready, willingness)
    limit = np.where(m.convoy[None, :], np.minimum(s.drivers, m.convoy_max_size), s.drivers)
    return _allot(m, ready, np.minimum(willing, limit))


def willingness_to_leave(m: ModelParameters, t: int, regime: np.ndarray, fear: np.ndarray,
                         escorts: np.ndarray | float) -> np.ndarray:
    """(R, C) chance that a driver asked on day ``t`` leaves: fear (softened by the escorts the
    convoy gets) and the bans' refusal as far as the campaign ``regime`` (R,) enforces them
    (overcome by escorts as far as ``escort_defiance`` says). Planning's response model asks
    the same question."""
    enforced = m.regime_ban_enforcement[np.arange(m.replications), regime]
    refusal = (m.ban_refusal[:, :, t] * enforced[:, None]
               * np.exp(-m.escort_defiance[:, None] * escorts))
    return (m.willingness_max[:, None]
            * np.exp(-m.fear_sensitivity[:, None] * fear
                     / (1.0 + m.escort_reassurance[:, None] * escorts))
            * (1.0 - refusal))


def _allot(m: ModelParameters, ready: np.ndarray, n_go: np.ndarray) -> np.ndarray:
    """Share ``n_go`` (R, C) places among the products' ready tankers (R, C, P) in proportion
    to dispatch weight x ready (rounded down), the places left over going to the products in
    ``product_order`` as far as they have tankers ready."""
    go = ready.copy()
    short = np.flatnonzero((n_go < _per_corridor(ready)).ravel())  # elsewhere all ready go
    if not short.size:
        return go
    R, C, P = ready.shape
    rows, n = ready.reshape(-1, P)[short], n_go.ravel()[short]
    weighted = rows * m.dispatch_weight[short // C]
    total = weighted.sum(axis=1, keepdims=True)
    share = np.where(total > 0, weighted / np.maximum(total, 1e-300), 0.0)
    picked = np.minimum(np.floor(n[:, None] * share + 1e-9).astype(np.int64), rows)
    left = n - picked.sum(axis=1)
    for p in m.product_order:
        extra = np.minimum(left, rows[:, p] - picked[:, p])
        picked[:, p] += extra
        left -= extra
    go.reshape(-1, P)[short] = picked
    return go


def _escort_convoys(m: ModelParameters, s: DayState, go: np.ndarray) -> np.ndarray:
    """Convoys take escort units from the pool in corridor order, as many as their size asks
    for; one that waits for escorts and gets too few stays (``go`` zeroed, ``pending`` set).
    Returns the units assigned (R, C)."""
    R, C, _ = go.shape
    total = _per_corridor(go)
    need_all = _planned_escorts(m, total)
    assigned = np.zeros((R, C), dtype=np.int64)
    for c in np.flatnonzero(m.convoy):
        sending = total[:, c] > 0
        need = need_all[:, c]
        give = np.where(sending, np.minimum(need, np.maximum(s.escorts_free, 0)), 0)
        hold = sending & (give < need) & m.wait_for_escorts[c]
        give = np.where(hold, 0, give)
        s.escorts_free -= give
        assigned[:, c] = give
        go[hold, c, :] = 0
        s.pending[:, c] = hold
    return assigned


def campaign(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
             out: Outputs) -> None:
    """The adversary's campaign moves between regimes (active, lull, surge...): held where the
    timeline fixes the regime, else leaving each regime at its daily rate for one drawn from
    the transition weights. Records today's attack intensity."""
    R = m.replications
    rows = np.arange(R)
    if m.regime_hold >= 0:
        s.regime[:] = m.regime_hold
    elif len(m.regime_names) > 1:
        u = rng.random((2, R))
        leave = u[0] < m.regime_switch_prob[rows, s.regime]
        if leave.any():
            cumulative = np.cumsum(m.regime_transition[s.regime[leave]], axis=1)
            nxt = (u[1, leave][:, None] >= cumulative).sum(axis=1)
            s.regime[leave] = np.minimum(nxt, len(m.regime_names) - 1)
    out["attack_intensity"][...] = (m.intensity * m.growth_per_year ** (t / 365.0)
                                    * m.regime_multiplier[rows, s.regime])


def attacks(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
            out: Outputs) -> None:
    """Attacks on the cohorts on the road; crews of destroyed tankers are kidnapped or walk back
    to the port, and the losses feed the drivers' fear."""
    intensity = out["attack_intensity"]  # set by `campaign` earlier today
    mult = intensity[:, None] * ((1.0 - m.adaptation[:, None]) + m.adaptation[:, None] * s.adapt)
    lost, n_attacks, burned = _attack_cohorts(rng, m, tab, s, t, mult)
    s.traffic -= lost
    kidnapped = (_sparse_binomial(rng, lost, np.broadcast_to(m.kidnap_probability[:, None],
                                                             lost.shape))
                 if lost.any() else lost)
    s.drivers += lost - kidnapped  # crews who escape walk back to the port
    s.fear = s.fear * m.fear_decay[:, None] + lost + kidnapped
    out["destroyed_litres"][...] = burned * m.tanker_litres
    out["tankers_lost"][...] = lost
    out["attacks"][...] = n_attacks
    out["drivers_kidnapped"][...] = np.einsum("rc->r", kidnapped)


def _attack_cohorts(
    rng: np.random.Generator, m: ModelParameters, tab: Tables, s: DayState, t: int,
    multiplier: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attack today's cohorts on the road, all exposed ages at once: a convoy is one target whose
    hazard grows with its size and falls with escorts; free-running tankers are attacked one by
    one. ``multiplier`` (R, C) is today's intensity with the adversary's adaptation, applied to
    ``tab.hazard_by_age``. Removes the destroyed tankers from ``s.cohort``, ``s.size`` and
    (loaded ones) ``s.transit``; returns tankers lost and attacks (R, C) and loaded tankers
    burned (R, P)."""
    ages, free_cols = tab.exposed_ages, tab.free_cols
    cohort, size = s.cohort, s.size
    A, (R, C, P) = len(ages), s.transit.shape
    slots = (t - ages) % m.slots
    n = size[slots]  # (A, R, C)
    live = np.flatnonzero(n.reshape(A, R * C).any(axis=1))  # skip ages nobody is driving
    if not live.size:
        return (np.zeros((R, C), dtype=np.int64), np.zeros((R, C), dtype=np.int64),
                np.zeros((R, P), dtype=np.int64))
    slots, n, hazard = slots[live], n[live], tab.hazard_by_age[live] * multiplier
    esc = s.escorts_on[slots]
    # Convoys: one draw per convoy on the road (most slots hold none: convoys leave every few
    # days), its hazard growing with its size and falling with escorts.
    on_road = np.flatnonzero(((n > 0) & m.convoy & (hazard > 0)).ravel())
    rep = on_road // C % R
    group_hazard = (hazard.ravel()[on_road] * np.power(n.ravel()[on_road], m.size_exponent[rep])
                    * np.exp(-m.deterrence[rep] * esc.ravel()[on_road]))
    # Flat (age, replication, corridor) cells attacked: one attack per convoy hit.
    hit = on_road[rng.random(on_road.size) < -np.expm1(-group_hazard)]
    n_attacks = np.bincount(hit % (R * C), minlength=R * C).reshape(R, C)
    if free_cols.size:
        shape = (len(live), R, free_cols.size)
        cells, free_hit = _free_hits(
            rng, n[:, :, free_cols], -np.expm1(-hazard[:, :, free_cols]),
            lambda flat: cohort[slots[flat // (R * free_cols.size)],
                                flat // free_cols.size % R, free_cols[flat % free_cols.size]])
        fa, fr, fc = np.unravel_index(cells, shape)
        np.add.at(n_attacks, (fr, free_cols[fc]), free_hit.sum(axis=1))
        # In flat order, as the draws below expect (convoy and free corridors never share one).
        hit = np.sort(np.concatenate([hit, np.ravel_multi_index((fa, fr, free_cols[fc]),
                                                                n.shape)]))
        free_rows = np.full(shape, -1, dtype=np.int64)  # where each hit cohort's row is
        free_rows.ravel()[cells] = np.arange(cells.size)
    a, r, c = np.unravel_index(hit, n.shape)
    if not a.size:
        return np.zeros((R, C), dtype=np.int64), n_attacks, np.zeros((R, P), dtype=np.int64)
    k = slots[a]
    exposed = cohort[k, r, c]  # an attacked convoy exposes all its tankers
    if free_cols.size:
        alone = ~m.convoy[c]
        exposed[alone] = free_hit[free_rows[a[alone], r[alone],
                                            np.searchsorted(free_cols, c[alone])]]
    share = m.destroy_share[r] * np.exp(-m.protection[r] * esc[a, r, c])
    destroyed = rng.binomial(exposed, share[:, None])
    cohort[k, r, c] -= destroyed  # each (slot, replication, corridor) appears once
    n_destroyed = destroyed.sum(axis=1)
    size[k, r, c] -= n_destroyed
    # Sums over ages by bincount (exact: the counts are far below 2**53).
    rc = r * C + c
    lost = np.bincount(rc, n_destroyed, minlength=R * C).astype(np.int64).reshape(R, C)
    fuel = destroyed * tab.fuel_by_age[live[a], r, c][:, None]  # tankers destroyed while loaded
    burned = np.empty((R, P), dtype=np.int64)
    transit_rows = s.transit.reshape(R * C, P)
    for p in range(P):
        transit_rows[:, p] -= np.bincount(rc, fuel[:, p], minlength=R * C).astype(np.int64)
        burned[:, p] = np.bincount(r, fuel[:, p], minlength=R)
    return lost, n_attacks, burned


def checkpoints(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
                out: Outputs) -> None:
    """Checkpoints turn loaded tankers back; they reach the port after as many days."""
    if not tab.checkpoints:
        return
    R, C, P = m.shape
    K, RC = m.slots, R * C
    cohort_rows, size_flat = s.cohort_rows, s.size_flat
    traffic_flat, transit_rows = s.traffic.reshape(-1), s.transit.reshape(-1, P)
    calendar_rows = s.calendar_rows
    returned = np.zeros((R, P), dtype=np.int64)
    for cp_rc, cp_age, cp_prob in tab.checkpoints:
        at = (t - cp_age) % K * RC + cp_rc
        turned = _sparse_binomial(rng, cohort_rows[at], cp_prob)
        if not turned.any():
            continue
        hit = np.flatnonzero(turned.any(axis=1))
        turned, at, rc = turned[hit], at[hit], cp_rc[hit]
        n_turned = turned.sum(axis=1)
        cohort_rows[at] -= turned  # each (replication, corridor) appears once
        size_flat[at] -= n_turned
        traffic_flat[rc] -= n_turned
        transit_rows[rc] -= turned
        calendar_rows[((t + cp_age[hit] + 1) % K) * RC + rc] += turned
        rep = rc // C
        returned += np.stack([np.bincount(rep, turned[:, p], minlength=R)
                              for p in range(P)], axis=1).astype(np.int64)
    out["returned_litres"][...] = returned * m.tanker_litres


def adversary_adaptation(m: ModelParameters, tab: Tables, s: DayState, t: int,
                         rng: np.random.Generator, out: Outputs) -> None:
    """The adversary shifts effort towards busy, weakly escorted corridors, keeping the total
    hazard mass fixed."""
    s.adapt = attention_update(m, tab, s.adapt, s.traffic, s.escorts_out)


def attention_update(m: ModelParameters, tab: Tables, adapt: np.ndarray, traffic: np.ndarray,
                     escorts_out: np.ndarray) -> np.ndarray:
    """(R, C) the adversary's attention after one day's move towards corridors with much
    ``traffic`` on the road and few ``escorts_out`` per tanker, the hazard mass kept (also
    planning's response model, at expected traffic)."""
    escort_ratio = escorts_out / np.maximum(traffic / 10.0, 1.0)
    attract = (traffic + 1.0) * np.exp(-m.escort_aversion[:, None] * escort_ratio)
    norm = (np.einsum("rc,rc->r", attract, tab.exposure_mass)
            / np.maximum(tab.exposure_total, 1e-300))[:, None]
    target = attract / np.maximum(norm, 1e-300)
    rate = m.adaptation_rate[:, None]
    return (1.0 - rate) * adapt + rate * target


def recruitment(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
                out: Outputs) -> None:
    """New drivers join each corridor at a steady rate (fractions accumulate)."""
    s.drivers += (np.floor((t + 1) * m.recruitment_per_day)
                  - np.floor(t * m.recruitment_per_day)).astype(np.int64)[:, None]


def city_day(m: ModelParameters, tab: Tables, s: DayState, t: int, rng: np.random.Generator,
             out: Outputs) -> None:
    """The city: rationing by cover, panic buying, what the power sector can pay for, priority
    allocation of the depot stock, then stations, queues, prices, electricity and disruption, and
    the power sector's accounts."""
    normal_demand = tab.normal_demand
    cover = s.stock / np.maximum(normal_demand, 1e-300)
    caps = rationing_caps(cover, m.rationing_thresholds, m.rationing_caps)
    scarcity = np.clip(1.0 - cover / np.maximum(m.panic_cover_days[:, None], 1e-300), 0, 1)
    demand = m.base_demand * (1.0 + m.panic_multiplier[:, :, None] * scarcity[:, None, :])
    if m.power_finance:
        budget = power_budget(m, s)
        caps[:, m.power_sector, :] *= power_purchase_share(m, s, budget)[:, None]
    served = allocate_by_priority(demand * caps, s.stock, m.sector_priority)
    s.stock = np.maximum(s.stock - np.einsum("rsp->rp", served), 0.0)
    _city_indicators(m, tab, s, out, served, demand)
    if m.power_finance:
        power_accounts(m, s, budget, out["served_share"][:, m.power_sector],
                       out["electricity_hours"])
    out["stock_litres"][...] = s.stock


def power_budget(m: ModelParameters, s: DayState) -> np.ndarray:
    """(R,) the power sector's cash for fuel today, in normal daily fuel bills: a normal day's
    (1 + margin) less the sales lost with yesterday's lost hours (fixed costs and subsidies do
    not move with the hours supplied)."""
    return 1.0 + m.power_margin - m.power_sales_cover * (1.0 - s.power_sales)


def power_purchase_share(m: ModelParameters, s: DayState, budget: np.ndarray) -> np.ndarray:
    """(R,) share of its normal fuel the power sector can pay for today: today's cash and its
    unused credit, at most its need."""
    return np.clip(budget + s.power_credit, 0.0, 1.0)


def power_accounts(m: ModelParameters, s: DayState, budget: np.ndarray, bought: np.ndarray,
                   hours: np.ndarray) -> None:
    """The power sector pays for the fuel it got (``bought``, a share of its normal bill) from
    today's cash, then its credit; cash left over repays credit up to the limit. After
    ``power_bailout_days`` consecutive days unable to pay for its full need, the state restores
    its credit. Tomorrow's sales follow today's ``hours``."""
    s.power_short_run = np.where(budget + s.power_credit < 1.0, s.power_short_run + 1, 0)
    credit = np.clip(s.power_credit + budget - bought, 0.0, m.power_credit_days)
    bailout = s.power_short_run >= m.power_bailout_days
    s.power_credit = np.where(bailout, m.power_credit_days, credit)
    s.power_short_run = np.where(bailout, 0, s.power_short_run)
    s.power_sales = hours / m.power_hours_normal


def _city_indicators(m: ModelParameters, tab: Tables, s: DayState, out: Outputs,
                     served: np.ndarray, demand: np.ndarray) -> None:
    """Record the day's city indicators into ``out`` after allocation: unserved demand and
    stockouts, stations, queues, prices, electricity and the disruption flag."""
    normal_demand = tab.normal_demand
    out["cover_days"][...] = s.stock / np.maximum(normal_demand, 1e-300)
    # Each sector's shortfall: panic purchases of one sector do not hide another's rationing.
    unserved = np.einsum("rsp->rp", np.maximum(m.base_demand - served, 0.0))
    out["unserved_litres"][...] = unserved
    out["stockout"][...] = ((unserved > m.stockout_unserved_share * normal_demand)
                            & (normal_demand > 0))
    base = np.einsum("...sp->...s", m.base_demand)
    out["served_share"][...] = np.where(base > 0, np.einsum("...sp->...s", served)
                                        / np.maximum(base, 1e-300), 1.0)
    weight = m.retail.astype(float)
    retail_supply = np.einsum("...sp,s->...p", served, weight)  # (R, P)
    retail_demand = np.einsum("...sp,s->...p", demand, weight)
    _stations_and_queues(m, tab, out, retail_supply, retail_demand)
    price = informal_price(m.official_price, retail_demand, retail_supply,
                           m.elasticity[..., None], m.price_cap_multiple[..., None])
    price = np.where(retail_demand > 0, price, m.official_price)
    out["informal_price"][...] = price
    weights = np.einsum("...p->...", retail_demand)
    multiple = np.where(weights > 0, np.einsum("...p->...", retail_demand * price
                                               / m.official_price)
                        / np.maximum(weights, 1e-300), 1.0)
    out["goods_price_index"][...] = goods_price_index(multiple, m.goods_pass_through)
    if m.power_sector >= 0:
        power_share = out["served_share"][..., m.power_sector]
        out["electricity_hours"][...] = m.power_hours_normal * (
            (1.0 - m.thermal_share) + m.thermal_share * np.minimum(power_share, 1.0))
    else:
        out["electricity_hours"][...] = m.power_hours_normal
    retail_normal = tab.retail_normal.sum(axis=-1)
    share = np.where(retail_normal > 0, retail_supply.sum(axis=-1)
                     / np.maximum(retail_normal, 1e-300), 1.0)
    _disruption(m, s, out, share)


def _stations_and_queues(m: ModelParameters, tab: Tables, out: Outputs,
                         retail_supply: np.ndarray, retail_demand: np.ndarray) -> None:
    """Stations with each product: all of them when retail supply meets normal retail demand,
    fewer as (supply / normal demand) ** exponent when short (scarce fuel is concentrated in a
    few stations); motorists queue at the stations open (any product)."""
    normal = tab.retail_normal
    supplied = np.where(normal > 0, np.minimum(retail_supply / np.maximum(normal, 1e-300), 1.0),
                        0.0)
    by_product = m.station_count * supplied ** m.station_exponent[:, None]
    open_any = by_product.max(axis=-1)
    out["stations_open_by_product"][...] = by_product
    out["stations_open"][...] = open_any
    vehicles_per_hour = np.einsum("...p->...", retail_demand) / m.litres_per_fill / m.opening_hours
    per_station = vehicles_per_hour / np.maximum(open_any, 1.0)
    wait = mean_wait_hours(per_station, m.service_rate, m.pumps_per_station, m.opening_hours,
                           m.max_wait_hours)
    out["queue_wait_hours"][...] = np.where(open_any >= 1.0, wait, m.max_wait_hours)


def _disruption(m: ModelParameters, s: DayState, out: Outputs, share: np.ndarray) -> None:
    """Schools and services close after ``disruption_min_days`` days with retail (transport)
    demand served below ``disruption_served_share``, and reopen after ``recovery_min_days``
    days at or above ``recovery_served_share`` (hysteresis)."""
    s.low_run = np.where(~s.disrupted & (share < m.disruption_served_share), s.low_run + 1, 0)
    s.ok_run = np.where(s.disrupted & (share >= m.recovery_served_share), s.ok_run + 1, 0)
    starts = ~s.disrupted & (s.low_run >= m.disruption_min_days)
    ends = s.disrupted & (s.ok_run >= m.recovery_min_days)
    s.disrupted = (s.disrupted | starts) & ~ends
    out["disruption"][...] = s.disrupted


def observe(m: ModelParameters, s: DayState, out: Outputs) -> None:
    """End-of-day levels: fuel and tankers on the road, escort units in use."""
    out["in_transit_litres"][...] = _per_product(s.transit) * m.tanker_litres
    out["tankers_in_transit"][...] = np.einsum("rc->r", s.traffic)
    out["escorts_busy"][...] = s.pool - s.escorts_free
    out["escort_pool"][...] = s.pool


# One simulated day, in order (docs/model.md section 1.3).
# The campaign's regime is set before dispatch: drivers weigh a ban by how far today's
# regime enforces it (the reference engine's order).
DAY: tuple[Process, ...] = (returns, campaign, arrivals, orders_and_dispatch, attacks,
                            checkpoints, adversary_adaptation, recruitment, city_day)


def simulate_vectorized(
    params: ModelParameters, progress: ProgressCallback | None = None,
    watch: Watcher | None = None,
) -> dict[str, np.ndarray]:
    """Run the model on compiled parameters; returns output arrays (replication, day, ...).
    ``watch`` sees the state before each process (it draws no random numbers, so the run is
    the same with or without it)."""
    m = params
    R, C, P = m.shape
    T = m.days
    rng = np.random.Generator(np.random.PCG64(dynamics_seed_sequence(m.seed)))
    # Day-major buffers: each day writes one contiguous block; returned as (replication, day)
    # views.
    by_day = allocate_outputs(T, R, {"product": P, "corridor": C, "sector": len(m.sectors)})
    tables = phase_tables(m)
    state = initial_state(m)
    by_day["loaded_litres"][0] = _per_product(state.transit) * m.tanker_litres  # already on road
    for t in range(T):
        out = {name: buf[t] for name, buf in by_day.items()}  # today's (R, ...) views
        k = int(m.phase_of_day[t])  # the timeline's phase: its parameters hold today
        for process in DAY:
            if watch is not None:
                watch(process, m.phases[k], tables[k], state, t)
            process(m.phases[k], tables[k], state, t, rng, out)
        observe(m, state, out)
        if progress is not None:
            progress(t + 1, T)
    # (replication, day, ...) views of the day-major buffers; no copy.
    return {name: np.moveaxis(buf, 0, 1) for name, buf in by_day.items()}


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
