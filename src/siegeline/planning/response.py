"""The traffic an escort plan meets, and how drivers and the adversary answer it.

The expected-loss optimiser (``escort_loss``) prices escorts at fixed flows. In the simulator
the ban and the drivers' fear keep part of the fleet at home, escorts reassure drivers (more
of them leave, so more tankers are exposed), and the adversary turns its attention away from
escorted traffic. This module predicts those answers from the model's own mechanisms:

* a **pilot**: the scenario run without escorts (``run_pilot``), the traffic the ban, the fear
  and the campaign leave, replication by replication, its parameter draws, and the state at
  each dispatch (tankers ready, drivers' fear, drivers at the port, campaign regime);
* ``expected_response``: the same days again in expectation with an escort level per corridor,
  one function per process as in the engine (docs/model.md section 1.3):

  - ``returns``: cohorts back from their round trip free their escort units;
  - ``orders_and_dispatch`` (``_drivers_willing``, ``_escort_convoys``): of the pilot's
    tankers ready that day, those the port has loaded since the plan's last departure, each
    driver deciding with the engine's willingness at the escorts the pool offers (fear
    divided by ``1 + escort_reassurance x e``, a ban's refusal by ``exp(escort_defiance x
    e)``) and at the pilot's fear plus what the plan's predicted losses add to it, coupled to
    the pilot's own decisions; convoys take units from the pool in corridor order;
  - ``attacks``: every cohort on the road, at its day of age, attacked with the engine's
    compiled hazards, the pilot's intensity of the day and the adversary's attention (a
    convoy as one target whose hazard grows as ``size^gamma`` and falls with escorts, tracked
    by the number of attacks it has suffered; the tankers of a hit group destroyed with
    ``destroy_share x exp(-protection x e)``); fear grows by the losses and the crews
    kidnapped;
  - ``adversary_adaptation``: attention moves towards busy, weakly escorted corridors
    (``escort_aversion``), the engine's rule at the predicted traffic.

Both the no-escort baseline and the plan are computed this way from the same pilot, so the
reduction compares like with like. Not modelled: the importers ordering less when escorts
bring more fuel (the other corridors' orders fall a little), fleets running short, and
checkpoints turning tankers back. docs/planning.md compares the prediction with the simulated
plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from siegeline.engines import vectorized as engine
from siegeline.engines.state import Tables, age_tables, initial_state, phase_tables
from siegeline.engines.vectorized import attention_update, willingness_to_leave
from siegeline.model.parameters import ModelParameters, compile_parameters
from siegeline.scenario.schema import Scenario


@dataclass(frozen=True)
class Pilot:
    """The scenario run without escorts, and the state it passed through at each dispatch:
    what the plan is predicted from."""

    scenario: Scenario
    params: ModelParameters  # compiled with the pilot's replications, days and seed
    corridors: list[str]
    sent: np.ndarray  # (R, D, C) tankers dispatched
    lost: np.ndarray  # (R, D, C) tankers destroyed
    intensity: np.ndarray  # (R, D) the day's hazard multiplier (trend and campaign regime)
    ready: np.ndarray  # (R, D, C, P) tankers loaded and asked to leave
    fear: np.ndarray  # (R, D, C) the drivers' fear at dispatch
    drivers: np.ndarray  # (R, D, C) drivers at the port at dispatch
    regime: np.ndarray  # (R, D) the campaign's regime

    @property
    def replications(self) -> int:
        return self.sent.shape[0]

    @property
    def days(self) -> int:
        return self.sent.shape[1]


def run_pilot(scenario: Scenario, replications: int, days: int, seed: int,
              progress: Callable[[int, int], None] | None = None) -> Pilot:
    """Run ``scenario`` (its escorts removed by the caller) with the vectorized engine, the
    same run as ``siegeline run`` with this seed, recording the state at each dispatch."""
    if replications < 2 or days < 1:
        raise ValueError("a pilot needs at least 2 replications and 1 day")
    m = compile_parameters(scenario, replications, days, seed)
    R, C, _ = m.shape
    seen = {k: np.zeros((R, days, C)) for k in ("fear", "drivers")}
    seen["ready"] = np.zeros((R, days, C, m.shape[2]))
    regime = np.zeros((R, days), dtype=np.int64)

    def watch(process, p, tab, s, t):
        if process is engine.orders_and_dispatch:
            # The engine's own rule: exactly the tankers dispatch is about to ask.
            seen["ready"][:, t] = engine._tankers_ready(p, tab, s, t)
            seen["fear"][:, t] = s.fear
            seen["drivers"][:, t] = s.drivers
            regime[:, t] = s.regime

    out = engine.simulate_vectorized(m, progress, watch)
    return Pilot(scenario, m, list(m.corridors), out["tankers_dispatched"].astype(float),
                 out["tankers_lost"].astype(float), np.asarray(out["attack_intensity"]),
                 seen["ready"], seen["fear"], seen["drivers"], regime)


@dataclass(frozen=True)
class Expected:
    """A plan's expected traffic and losses, replication by replication."""

    levels: np.ndarray  # (C,) escort units per convoy
    sent: np.ndarray  # (R, D, C) tankers dispatched
    lost: np.ndarray  # (R, D, C) tankers destroyed
    fear: np.ndarray  # (R, D, C) drivers' fear at each day's dispatch
    attention: np.ndarray  # (R, D, C) the adversary's attention weight on each day

    def lost_per_day(self) -> np.ndarray:
        """(R,) tankers lost per day over the horizon."""
        return self.lost.sum(axis=(1, 2)) / self.lost.shape[1]


BRANCHES = 5  # a convoy's attacks so far that are tracked (0..4; more are rarer than 1e-4)


@dataclass
class _State:
    """Each cohort on the road as branches by the attacks it has suffered: a convoy hit once
    is smaller, and its later hazard with it, so expected losses follow the branches rather
    than one mean size (its hazard grows as size^gamma: a mean size would miss the spread).
    A free-running cohort is one branch that shrinks (its tankers are attacked one by one)."""

    prob: np.ndarray  # (K, R, C, J) chance of each branch
    size: np.ndarray  # (K, R, C, J) tankers of the cohort in each branch
    escorts: np.ndarray  # (K, R, C) escort units with each cohort
    fear: np.ndarray  # (R, C) expected fear from the predicted losses
    since: np.ndarray  # (R, C) days of port loading since the plan's last departure
    attention: np.ndarray  # (R, C)

    def traffic(self) -> np.ndarray:
        """(R, C) expected tankers on the road."""
        return np.einsum("krcj,krcj->rc", self.prob, self.size)


def expected_response(pilot: Pilot, levels: np.ndarray | list[int], *, pool: float | None = None,
                      drivers: bool = True, adversary: bool = True,
                      baseline: Expected | None = None) -> Expected:
    """The pilot's days in expectation with ``levels`` escort units per convoy on each corridor
    (in the pilot's corridor order). ``drivers=False`` keeps the pilot's departures;
    ``adversary=False`` leaves escorts out of the adversary's attention. ``pool``: the escort
    units there are (default: the pilot scenario's pool, day by day). Departures are scaled
    by the willingness with the plan over the willingness in ``baseline`` (the no-escort
    prediction, computed here when not given)."""
    m = pilot.params
    R, D, C = pilot.sent.shape
    e = np.asarray(levels, dtype=float).reshape(C)
    if (e < 0).any():
        raise ValueError("escort levels must be >= 0")
    if baseline is None and (e > 0).any():
        baseline = expected_response(pilot, np.zeros(C), drivers=False, adversary=adversary)
    exposure = [age_tables(p)[1] for p in m.phases]  # (R, C, K) per phase
    tables = phase_tables(m)
    convoy = m.convoy | (e > 0)  # a free corridor the plan escorts runs daily convoys
    start = initial_state(m).size.astype(float)  # the warm start's cohorts, unescorted
    prob = np.zeros((*start.shape, BRANCHES))
    prob[..., 0] = 1.0
    s = _State(prob, np.repeat(start[..., None], BRANCHES, axis=-1), np.zeros_like(start),
               np.zeros((R, C)), np.where(m.convoy[None, :], m.convoy_interval, 1.0),
               np.ones((R, C)))
    out = {k: np.zeros((R, D, C)) for k in ("sent", "lost", "fear", "attention")}
    for t in range(D):
        k = int(m.phase_of_day[t])
        p = m.phases[k]
        returns(p, s, t)
        out["fear"][:, t] = s.fear
        out["attention"][:, t] = s.attention
        units = p.escort_pool if pool is None else pool
        free = np.maximum(units - s.escorts.sum(axis=(0, 2)), 0.0)  # (R,)
        offered = np.where(convoy[None, :], np.minimum(e[None, :], free[:, None]), 0.0)
        if drivers and baseline is not None:
            sent = _drivers_willing(p, pilot, s, t, offered, convoy, s.fear - baseline.fear[:, t])
        else:
            sent = pilot.sent[:, t]
        orders_and_dispatch(p, s, t, sent, _escort_convoys(convoy, e, free, sent), convoy, out)
        attacks(p, s, t, exposure[k], pilot.intensity[:, t], convoy, out)
        adversary_adaptation(p, tables[k], s, escorts_seen=adversary)
    return Expected(e, out["sent"], out["lost"], out["fear"], out["attention"])


def returns(m: ModelParameters, s: _State, t: int) -> None:
    """Cohorts back at the port after their round trip leave the road with their escorts."""
    K = s.size.shape[0]
    back = (t - 2 * m.leg_days) % K  # (R, C)
    rows, cols = np.indices(back.shape)
    s.prob[back, rows, cols] = 0.0
    s.escorts[back, rows, cols] = 0.0


def _drivers_willing(m: ModelParameters, pilot: Pilot, s: _State, t: int,
                     e: np.ndarray, convoy: np.ndarray, extra_fear: np.ndarray) -> np.ndarray:
    """(R, C) tankers that leave with the plan's escorts: of the pilot's tankers ready that
    day, those the port has loaded since the plan's last departure (a corridor that leaves
    every day loads one day's worth, not the two a day without departures gave the pilot),
    each driver deciding as in the engine (docs/model.md section 3.3) with the escorts ``e``
    the pool offers and the pilot's fear plus ``extra_fear``, what the plan's predicted losses
    add to the expected fear (negative where escorts save tankers). Coupled to the pilot's
    decisions: those who left still leave, and of those who refused the share that the higher
    willingness turns goes too (or, if willingness falls, the leavers are thinned), so with no
    change the pilot's departures come back exactly."""
    ready_pilot = pilot.ready[:, t]  # (R, C, P)
    ready = np.minimum(ready_pilot, np.floor(m.port_capacity * s.since[..., None])).sum(axis=2)
    share = ready / np.maximum(ready_pilot.sum(axis=2), 1e-12)
    sent = pilot.sent[:, t] * share  # the pilot's leavers among the tankers still ready
    regime = pilot.regime[:, t]
    before = willingness_to_leave(m, t, regime, pilot.fear[:, t], 0.0)
    after = willingness_to_leave(m, t, regime, np.maximum(pilot.fear[:, t] + extra_fear, 0.0), e)
    more = sent + (ready - sent) * (after - before) / np.maximum(1.0 - before, 1e-12)
    fewer = sent * after / np.maximum(before, 1e-12)
    limit = np.where(convoy[None, :], np.minimum(pilot.drivers[:, t], m.convoy_max_size),
                     pilot.drivers[:, t])
    return np.minimum(np.where(after >= before, more, fewer), np.maximum(limit, sent))


def _escort_convoys(convoy: np.ndarray, e: np.ndarray, free: np.ndarray,
                    sent: np.ndarray) -> np.ndarray:
    """(R, C) units each departing convoy takes from the pool, in corridor order, up to the
    plan's level (as the engine assigns them; a convoy leaves with the units that are free)."""
    free = free.copy()
    given = np.zeros(sent.shape)
    for c in np.flatnonzero(convoy):
        given[:, c] = np.where(sent[:, c] > 0, np.minimum(e[c], free), 0.0)
        free -= given[:, c]
    return given


def orders_and_dispatch(m: ModelParameters, s: _State, t: int, sent: np.ndarray,
                        escorts: np.ndarray, convoy: np.ndarray,
                        out: dict[str, np.ndarray]) -> None:
    """Today's departures join the road, a convoy with its escorts; a convoy's branch j holds
    it after j attacks, each destroying its expected share."""
    k = t % s.size.shape[0]
    kept = 1.0 - m.destroy_share[:, None] * np.exp(-m.protection[:, None] * escorts)
    j = np.arange(BRANCHES)
    s.size[k] = sent[..., None] * np.where(convoy[None, :, None], kept[..., None] ** j, 1.0)
    s.prob[k] = j == 0
    s.escorts[k] = escorts
    s.since = np.where((sent >= 0.5) | ~convoy[None, :], 1.0,
                       np.minimum(s.since + 1.0, 2.0 * m.convoy_interval))
    out["sent"][:, t] = sent


def attacks(m: ModelParameters, s: _State, t: int, exposure: np.ndarray, intensity: np.ndarray,
            convoy: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """Expected losses of every cohort on the road today, at its day of age: a convoy is one
    target (hazard x size^gamma x exp(-deterrence x escorts)) whose hit moves it to the next
    branch; free-running tankers are attacked one by one and their branch shrinks."""
    K = s.size.shape[0]
    age = (t - np.arange(K)) % K  # slot k departed on the day whose index is k modulo K
    haz = np.moveaxis(exposure[:, :, age], 2, 0)  # (K, R, C) single-vehicle hazard at intensity 1
    mult = intensity[:, None] * ((1.0 - m.adaptation[:, None])
                                 + m.adaptation[:, None] * s.attention)  # (R, C)
    esc = s.escorts
    share = (m.destroy_share[None, :, None] * np.exp(-m.protection[None, :, None] * esc))[..., None]
    gamma = m.size_exponent[None, :, None, None]
    group = np.where(convoy[None, None, :, None],
                     np.power(np.maximum(s.size, 1.0), gamma)
                     * np.exp(-m.deterrence[None, :, None] * esc)[..., None], 1.0)
    hit = -np.expm1(-(haz * mult[None])[..., None] * group)  # (K, R, C, J)
    lost = s.prob * hit * s.size * share
    moved = s.prob * hit
    is_convoy = convoy[None, None, :, None]
    s.prob = np.where(is_convoy, s.prob - moved, s.prob)
    s.prob[..., 1:] += np.where(is_convoy, moved, 0.0)[..., :-1]
    s.prob[..., -1] += np.where(is_convoy, moved, 0.0)[..., -1]  # the last branch absorbs
    s.size = np.where(is_convoy, s.size, s.size * (1.0 - hit * share))
    today = lost.sum(axis=(0, 3))
    s.fear = s.fear * m.fear_decay[:, None] + today * (1.0 + m.kidnap_probability[:, None])
    out["lost"][:, t] = today


def adversary_adaptation(m: ModelParameters, tab: Tables, s: _State, *,
                         escorts_seen: bool) -> None:
    """Attention moves towards busy, weakly escorted corridors, the hazard mass kept fixed:
    the engine's rule (``attention_update``) at the expected traffic; ``escorts_seen=False``
    shows it no escorts."""
    escorts = s.escorts.sum(axis=0) if escorts_seen else np.zeros_like(s.attention)
    s.attention = attention_update(m, tab, s.attention, s.traffic(), escorts)
