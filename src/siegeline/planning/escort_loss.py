"""Escorts against expected loss, with the simulator's attack model (docs/model.md §3.2).

A group of ``n`` tankers with ``e`` escort units crossing a segment of risk ``r`` (hazard x km /
100) on a day of intensity ``I`` is attacked with probability ``1 - exp(-I r n^g e^(-d e))`` and
each of its tankers is then destroyed with probability ``q0 e^(-p e)`` (``g`` the size exponent,
``d`` deterrence and ``p`` protection per escort unit, ``q0`` the destroy share). The same
tankers come back empty over the segment with hazard ``empty_leg_factor x r``, escorted (the
engine keeps escorts with their convoy for the round trip). So a tanker sent over the segment
is lost with expected probability

    loss(r, n, e) = q0 e^(-p e) [(1 - exp(-I r n^g e^(-d e))) + (1 - exp(-eps I r n^g e^(-d e)))]

(the engine draws one attack per convoy per day, over the day's segments together: summing
over segments is the first-order form, exact when each day covers one segment).

The simulator's escorts ride with a corridor's convoys over its whole path, so the decision
is the escort level of each corridor (units per convoy, 0..E), not of a segment: a corridor
at level ``e`` has every segment of its path at level ``e``. A corridor dispatching ``f``
tankers a day in convoys every ``k`` days (``n = min(max_size, f k)``) keeps
``ceil(2 L / k)`` convoys out (``L`` its leg in whole days) and so ties up ``e ceil(2 L / k)``
units of the pool. A free-running corridor (``n = 1``) can only be escorted as a daily convoy
(``n = f``). With the flows fixed (the importers' order shares of the daily demand), the plan
is the exact MILP (a multiple-choice knapsack)

    min  sum_c sum_e f_c Loss_c(e) x_ce   s.t.  sum_e x_ce = 1,
         sum_c sum_e e ceil(2 L_c / k_c) x_ce <= pool,  x binary

with ``Loss_c(e)`` the sum of ``loss`` over the corridor's segments, at the central values of
the ranges or averaged over draws of them (the engine's parameter streams; the expected loss is
linear in the draws' losses, so that is the sample-average plan).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from siegeline.model.parameters import ParameterSource
from siegeline.planning import _highs
from siegeline.planning.graphs import daily_tanker_demand
from siegeline.planning.response import Expected, Pilot, expected_response, run_pilot
from siegeline.planning.results import Check, PlanResult
from siegeline.scenario.schema import Scenario, central_value

ADVERSARY = ("intensity", "destroy_share", "deterrence_per_escort", "protection_per_escort",
             "size_visibility_exponent", "empty_leg_factor")


@dataclass(frozen=True)
class AttackModel:
    """The simulator's attack parameters: floats (central values) or arrays (draws)."""

    intensity: Any
    destroy_share: Any
    deterrence: Any
    protection: Any
    size_exponent: Any
    empty_leg_factor: Any

    @classmethod
    def central(cls, scenario: Scenario) -> AttackModel:
        """Central values; a parameter the scenario's posterior holds takes its posterior
        median, since the simulator draws it from there and not from the prior range."""
        adv = scenario.adversary
        post = scenario.posterior
        columns = {path: i for i, path in enumerate(post.parameters)} if post else {}

        def central(name: str) -> float:
            i = columns.get(f"adversary.{name}")
            if i is None:
                return central_value(getattr(adv, name))
            return float(np.median([row[i] for row in post.samples]))

        return cls(*(central(name) for name in ADVERSARY))

    @classmethod
    def sampled(cls, scenario: Scenario, n: int, seed: int) -> AttackModel:
        """Draws ``i`` of seed ``seed`` are replication ``i`` of ``siegeline run --seed``."""
        draws = ParameterSource(scenario, n, seed)
        return cls(*(draws.get(f"adversary.{name}") for name in ADVERSARY))


def segment_loss(risk: Any, convoy_size: float, escorts: int, model: AttackModel) -> Any:
    """Expected tankers lost per tanker sent over a segment of ``risk`` (hazard x km / 100, at
    intensity 1) and back empty, in groups of ``convoy_size`` with ``escorts`` units each."""
    group = (model.intensity * np.asarray(risk) * convoy_size ** model.size_exponent
             * np.exp(-model.deterrence * escorts))
    attacked = -np.expm1(-group) - np.expm1(-model.empty_leg_factor * group)
    return model.destroy_share * np.exp(-model.protection * escorts) * attacked


@dataclass(frozen=True)
class CorridorOption:
    """What the plan can do with one corridor."""

    name: str
    segments: tuple[str, ...]
    risks: np.ndarray  # (segments,) or (segments, draws): hazard x km / 100
    flow: float  # tanker/day dispatched
    convoy: bool  # a convoy corridor in the scenario
    interval_days: int
    max_size: int
    leg_days: int
    base_escorts: int  # units per convoy the scenario gives it now

    def convoy_size(self, escorts: int) -> float:
        if not self.convoy and escorts == 0:
            return 1.0
        interval = self.interval_days if self.convoy else 1
        return float(max(1.0, min(self.max_size if self.convoy else math.inf,
                                  self.flow * interval)))

    @property
    def convoys_out(self) -> int:
        interval = self.interval_days if self.convoy else 1
        return math.ceil(2 * self.leg_days / interval)

    def segment_losses(self, escorts: int, model: AttackModel) -> np.ndarray:
        """(segments,) expected tankers lost per day on each segment (mean over draws)."""
        per = segment_loss(self.risks, self.convoy_size(escorts), escorts, model)
        per = per.mean(axis=1) if per.ndim == 2 else per
        return self.flow * per


def _leg_days(scenario: Scenario, path: list[str]) -> int:
    """Whole days from dispatch to the city, central customs delays (as the engine counts)."""
    t = 0.0
    for i, (u, v) in enumerate(zip(path, path[1:], strict=False)):
        node = scenario.node(u)
        if i > 0 or node.kind != "port":
            t += central_value(node.customs_delay_days)
        seg = scenario.segment_between(u, v)
        t += seg.length_km / seg.speed_km_per_day
    return max(1, math.ceil(t - 1e-9))


def corridor_options(
    scenario: Scenario,
    *,
    flows: Mapping[str, float] | None = None,
    samples: int = 0,
    seed: int = 1,
) -> list[CorridorOption]:
    """The corridors with their segments' risks (central, or ``samples`` draws), flows (default:
    the order shares of the daily demand) and convoy policy of day 0."""
    demand = daily_tanker_demand(scenario)
    total_share = sum(c.order_share for c in scenario.corridors) or 1.0
    flows = dict(flows or {})
    unknown = sorted(set(flows) - {c.name for c in scenario.corridors})
    if unknown:
        raise ValueError(f"unknown corridors: {', '.join(unknown)}")
    draws = ParameterSource(scenario, samples, seed) if samples else None
    out = []
    for c in scenario.corridors:
        segs = [scenario.segment_between(u, v) for u, v in zip(c.path, c.path[1:], strict=False)]
        if draws is None:
            risks = np.array([central_value(s.hazard_per_100km) * s.length_km / 100 for s in segs])
        else:
            risks = np.stack([draws.get(f"segments.{s.id}.hazard_per_100km") * s.length_km / 100
                              for s in segs])
        pol = c.policy
        flow = float(flows.get(c.name, demand * c.order_share / total_share))
        base = pol.escorts_per_convoy + math.ceil(
            central_value(pol.escorts_per_100_tankers) * min(pol.max_size, flow * pol.interval_days)
            / 100 - 1e-9) if pol.mode == "convoy" else 0
        out.append(CorridorOption(c.name, tuple(s.id for s in segs), risks, flow,
                                  pol.mode == "convoy", pol.interval_days, pol.max_size,
                                  _leg_days(scenario, list(c.path)), int(base)))
    return out


def _losses(options: list[CorridorOption], levels: list[range], model: AttackModel):
    """Loss per day of each corridor at each level."""
    return [[float(o.segment_losses(e, model).sum()) for e in lv]
            for o, lv in zip(options, levels, strict=True)]


def _solve_knapsack(losses, costs, pool, time_limit):
    cols = [(c, i) for c, row in enumerate(losses) for i in range(len(row))]
    n = len(cols)
    rows, idx, vals = [], [], []
    for j, (c, i) in enumerate(cols):
        rows += [c, len(losses)]
        idx += [j, j]
        vals += [1.0, float(costs[c][i])]
    a_mat = sp.coo_matrix((vals, (rows, idx)), shape=(len(losses) + 1, n))
    lo = np.r_[np.ones(len(losses)), -np.inf]
    hi = np.r_[np.ones(len(losses)), float(pool)]
    obj = np.array([losses[c][i] for c, i in cols])
    sol = _highs.solve(obj, a_mat, lo, hi, np.zeros(n), np.ones(n), np.ones(n, dtype=bool),
                       time_limit=time_limit)
    choice = [0] * len(losses)
    for j, (c, i) in enumerate(cols):
        if sol.x[j] > 0.5:
            choice[c] = i
    return sol, choice


def _brute_force(losses, costs, pool, limit) -> tuple[float | None, int]:
    sizes = [len(r) for r in losses]
    if math.prod(sizes) > limit:
        return None, 0
    best = math.inf
    for pick in itertools.product(*(range(s) for s in sizes)):
        if sum(costs[c][i] for c, i in enumerate(pick)) <= pool:
            best = min(best, sum(losses[c][i] for c, i in enumerate(pick)))
    return best, math.prod(sizes)


def escort_allocation(
    scenario: Scenario,
    pool: int,
    *,
    max_level: int = 20,
    candidates: list[str] | None = None,
    flows: Mapping[str, float] | None = None,
    samples: int = 0,
    seed: int = 1,
    time_limit: float = 60.0,
    brute_force_limit: int = 200_000,
    pilot: Pilot | None = None,
    progress: Any = None,
) -> PlanResult:
    """Escort units per convoy on each corridor that minimise the expected tankers lost per day,
    with ``pool`` escort units (see the module docstring). ``candidates`` limits the corridors
    that may be escorted; ``samples`` > 0 averages the losses over that many draws of the
    uncertain hazards and attack parameters (seed ``seed``) instead of their central values.
    ``baseline`` is the loss with no escorts anywhere; ``details`` has the scenario's own day-0
    escorts' loss, per-corridor and per-segment tables.

    With a ``pilot`` (``escort_pilot``: the scenario run without escorts) the plan is made at
    the traffic the pilot dispatched, with the drivers' and the adversary's answers to escorts
    (``siegeline.planning.response``): each corridor's level is priced by its change of the
    total expected loss with that corridor alone escorted (attention the adversary takes off
    it lands on the others), the knapsack picks the levels, and the objective is the chosen
    plan evaluated with all its corridors at once. ``progress(done, total)`` is called after
    each evaluation."""
    if pool < 0 or int(pool) != pool:
        raise ValueError("the escort pool must be a whole number >= 0")
    if pilot is not None and (samples or flows):
        raise ValueError("a pilot gives the flows and the parameter draws: no samples or flows")
    started = time.perf_counter()
    if pilot is not None:
        if pilot.corridors != [c.name for c in scenario.corridors]:
            raise ValueError("the pilot was run on other corridors than the scenario's")
        flows = dict(zip(pilot.corridors, pilot.sent.mean(axis=(0, 1)).tolist(), strict=True))
    options = corridor_options(scenario, flows=flows, samples=samples, seed=seed)
    names = {o.name for o in options}
    allowed = names if candidates is None else set(candidates)
    if allowed - names:
        raise ValueError(f"unknown corridors: {', '.join(sorted(allowed - names))}")
    levels = [range(min(max_level, pool // o.convoys_out) + 1 if o.name in allowed else 1)
              for o in options]
    if pilot is None:
        model = (AttackModel.sampled(scenario, samples, seed) if samples
                 else AttackModel.central(scenario))
        losses = _losses(options, levels, model)
    else:
        base, losses = _response_losses(pilot, levels, pool, progress)
    costs = [[e * o.convoys_out for e in lv] for o, lv in zip(options, levels, strict=True)]
    sol, choice = _solve_knapsack(losses, costs, pool, time_limit)
    value = sum(losses[c][i] for c, i in enumerate(choice))
    bf, tried = _brute_force(losses, costs, pool, brute_force_limit)
    check = Check(method="enumeration of every corridor level within the pool",
                  value=value, matches=bf is None or math.isclose(bf, value, rel_tol=1e-9,
                                                                    abs_tol=1e-12),
                  brute_force_value=bf, brute_force_candidates=tried)
    if pilot is not None:
        return _response_result(pilot, options, choice, base, value, pool, sol, check,
                                time.perf_counter() - started)
    none = sum(row[0] for row in losses)
    own = sum(float(o.segment_losses(o.base_escorts, model).sum()) for o in options)
    corridors, segments = [], {}
    for o, e in zip(options, choice, strict=True):
        before, after = o.segment_losses(0, model), o.segment_losses(e, model)
        corridors.append({"corridor": o.name, "flow": o.flow, "convoy_size": o.convoy_size(e),
                          "leg_days": o.leg_days, "escorts_per_convoy": e,
                          "units": e * o.convoys_out, "loss_without": float(before.sum()),
                          "loss_with": float(after.sum())})
        for s, b, a in zip(o.segments, before, after, strict=True):
            row = segments.setdefault(s, {"segment": s, "loss_without": 0.0, "loss_with": 0.0,
                                          "escorted_by": []})
            row["loss_without"] += float(b)
            row["loss_with"] += float(a)
            if e:
                row["escorted_by"].append(o.name)
    escorted = tuple(o.name for o, e in zip(options, choice, strict=True) if e)
    return PlanResult(
        problem="escort allocation (expected loss, the simulator's attack model)",
        unit="tanker/day lost",
        status=sol.status,
        objective=value,
        bound=sol.bound,
        gap=sol.gap,
        time_s=time.perf_counter() - started,
        attack=(),
        defence=escorted,
        flows={o.name: o.flow for o in options},
        baseline=none,
        budget=float(pool),
        details={
            "pool": int(pool),
            "levels": {o.name: e for o, e in zip(options, choice, strict=True)},
            "units_used": int(sum(costs[c][i] for c, i in enumerate(choice))),
            "scenario_escorts_loss": own,
            "reduction": none - value,
            "samples": int(samples),
            "corridors": corridors,
            "segments": list(segments.values()),
        },
        check=check,
    )


def _response_losses(pilot: Pilot, levels: list[range], pool: int, progress: Any = None
                     ) -> tuple[Expected, list[list[float]]]:
    """The no-escort prediction, and each corridor level's expected total loss per day with
    that corridor alone escorted (its row's entry 0: no change), less the others' baseline
    share so that the rows add up to the total: row c at level 0 is corridor c's baseline."""
    C = len(levels)
    base = expected_response(pilot, np.zeros(C))
    base_total = float(base.lost_per_day().mean())
    per_corridor = base.lost.mean(axis=(0, 1))  # tanker/day lost on each corridor
    total = sum(len(lv) - 1 for lv in levels)
    done = 0
    rows = []
    for c, lv in enumerate(levels):
        row = [float(per_corridor[c])]
        for e in list(lv)[1:]:
            plan = np.zeros(C)
            plan[c] = e
            with_c = expected_response(pilot, plan, pool=pool, baseline=base)
            row.append(float(per_corridor[c]) + float(with_c.lost_per_day().mean()) - base_total)
            done += 1
            if progress is not None:
                progress(done, total)
        rows.append(row)
    return base, rows


def _response_result(pilot: Pilot, options: list[CorridorOption], choice: list[int],
                     base: Expected, separable: float, pool: int, sol: Any, check: Check,
                     elapsed: float) -> PlanResult:
    """The plan the knapsack chose at the pilot's traffic, evaluated with every corridor at its
    level at once (the objective), with its per-corridor table. Bound and gap are the
    knapsack's, on its separable objective (``details["separable_objective"]``)."""
    plan = expected_response(pilot, np.array(choice, dtype=float), pool=pool, baseline=base)
    none, value = float(base.lost_per_day().mean()), float(plan.lost_per_day().mean())
    lost_without, lost_with = base.lost.mean(axis=(0, 1)), plan.lost.mean(axis=(0, 1))
    sent_with = plan.sent.mean(axis=(0, 1))
    corridors = [{"corridor": o.name, "flow": o.flow, "flow_with": float(sent_with[c]),
                  "convoy_size": o.convoy_size(e), "leg_days": o.leg_days,
                  "escorts_per_convoy": e, "units": e * o.convoys_out,
                  "loss_without": float(lost_without[c]), "loss_with": float(lost_with[c])}
                 for c, (o, e) in enumerate(zip(options, choice, strict=True))]
    return PlanResult(
        problem="escort allocation (expected loss at a pilot run's traffic, with the drivers' "
                "and the adversary's answers)",
        unit="tanker/day lost", status=sol.status, objective=value, bound=sol.bound, gap=sol.gap,
        time_s=elapsed, attack=(),
        defence=tuple(o.name for o, e in zip(options, choice, strict=True) if e),
        flows={o.name: o.flow for o in options}, baseline=none, budget=float(pool),
        details={
            "pool": int(pool),
            "levels": {o.name: e for o, e in zip(options, choice, strict=True)},
            "units_used": int(sum(e * o.convoys_out
                                  for o, e in zip(options, choice, strict=True))),
            "scenario_escorts_loss": None,  # the pilot runs without the scenario's escorts
            "reduction": none - value,
            "separable_objective": separable,
            "samples": 0,
            "pilot": {"replications": pilot.replications, "days": pilot.days,
                      "seed": pilot.params.seed},
            "corridors": corridors,
            "segments": [],
        },
        check=check,
    )


def escort_pilot(document: Mapping[str, Any], *, replications: int, days: int, seed: int,
                 assignments: list[str] | tuple[str, ...] = (), progress: Any = None) -> Pilot:
    """The pilot of an escort plan: the scenario ``document`` (as read from YAML) with no
    escorts for the whole horizon (``apply_escort_plan`` of an empty plan) and the ``--set``
    ``assignments``, run with the vectorized engine; the same run as the no-escort side of
    ``simulate_escort_plan`` with these replications, days and seed."""
    from siegeline.scenario.loader import apply_overrides, validate_scenario

    doc = apply_overrides(without_escorts(document), list(assignments))
    return run_pilot(validate_scenario(doc, "the no-escort pilot"), replications, days, seed,
                     progress)


def without_escorts(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with no escorts for the whole horizon (an empty plan, pool 0)."""
    names = [c["name"] for c in document["corridors"]]
    empty = {"levels": dict.fromkeys(names, 0), "pool": 0, "corridors": []}
    return _apply_levels(document, empty)


def apply_escort_plan(document: Mapping[str, Any], result: PlanResult) -> dict[str, Any]:
    """A scenario document (as read from YAML) with ``result``'s escorts in place of the
    scenario's convoy escorts, for the whole horizon: each corridor's day-0 policy asks for the
    plan's units per convoy (a free-running corridor the plan escorts becomes a daily convoy),
    ``escorts.pool_size`` is the plan's pool, and the timeline's settings of corridor policies
    and of the pool are dropped (an entry left with nothing to set is dropped), so the simulator
    runs the plan's policy throughout. The rest of the timeline stays."""
    return _apply_levels(document, result.details)


def _apply_levels(document: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, Any]:
    """``apply_escort_plan`` of a plan's ``levels``, ``pool`` and ``corridors`` table."""
    doc = copy.deepcopy(dict(document))
    levels = plan["levels"]
    for c in doc["corridors"]:
        e = int(levels.get(c["name"], 0))
        pol = dict(c.get("policy") or {})
        if e and pol.get("mode", "free") != "convoy":
            size = next(r["convoy_size"] for r in plan["corridors"]
                        if r["corridor"] == c["name"])
            pol.update(mode="convoy", interval_days=1, max_size=max(60, math.ceil(size)),
                       min_size=None)
        if pol.get("mode") == "convoy":
            pol.update(escorts_per_convoy=e, escorts_per_100_tankers=0.0, wait_for_escorts=False)
        c["policy"] = pol
    doc.setdefault("escorts", {})["pool_size"] = int(plan["pool"])
    timeline = []
    for entry in doc.get("timeline", []):
        kept = {p: v for p, v in entry.get("set", {}).items()
                if not (p == "escorts.pool_size"
                        or (p.startswith("corridors.") and ".policy" in p))}
        if kept:
            timeline.append({**entry, "set": kept})
    doc["timeline"] = timeline
    listed = ", ".join(f"{k} {v}" for k, v in levels.items() if v) or "no escorts"
    doc["description"] = (f"{doc.get('description', '')}\n\nEscort plan (siegeline plan escorts "
                          f"--apply, pool {plan['pool']}): {listed} escort units per "
                          "convoy for the whole horizon, in place of the record's convoy and "
                          "escort decisions.").strip()
    return doc


def plan_loss(scenario: Scenario, levels: Mapping[str, int],
              flows: Mapping[str, float] | None = None, samples: int = 0,
              seed: int = 1) -> float:
    """Expected tankers lost per day with ``levels`` (units per convoy per corridor) at
    ``flows`` (default: the order shares of the demand): at central values, or averaged over
    ``samples`` parameter draws of ``seed`` (replication i of ``siegeline run --seed``)."""
    model = (AttackModel.sampled(scenario, samples, seed) if samples
             else AttackModel.central(scenario))
    return sum(float(o.segment_losses(int(levels.get(o.name, 0)), model).sum())
               for o in corridor_options(scenario, flows=flows, samples=samples, seed=seed))


def loss_at_departures(scenario: Scenario, levels: Mapping[str, int],
                       dispatched: Mapping[str, np.ndarray], seed: int) -> float:
    """Expected tankers lost per day by the loss formula at the groups a run actually sent:
    ``dispatched[c]`` (replication, day) tankers leaving corridor c, one convoy a day on a
    convoy corridor (one group per tanker otherwise), replication i at parameter draw i of
    ``seed``. Unlike the mean flow, it sees the day-to-day sizes of convoys: a tanker's risk
    grows with its convoy's size, so uneven convoys lose more than their mean size says."""
    n = len(next(iter(dispatched.values())))
    drawn = AttackModel.sampled(scenario, n, seed)
    model = AttackModel(*(np.asarray(v, dtype=float).reshape(n, 1)  # broadcast over days
                          for v in dataclasses.astuple(drawn)))
    total = 0.0
    for o in corridor_options(scenario, samples=n, seed=seed):
        sent = np.asarray(dispatched[o.name], dtype=float)  # (R, D)
        e = int(levels.get(o.name, 0))
        size = np.maximum(sent, 1.0) if (o.convoy or e > 0) else np.ones_like(sent)
        per_tanker = segment_loss(o.risks[:, :, None], size, e, model)  # (S, R, D)
        total += float((sent * per_tanker.sum(axis=0)).mean())
    return total


def _paired_interval(diff: np.ndarray, level: float = 0.90) -> tuple[float, float, float]:
    from scipy import stats

    half = stats.t.ppf(0.5 + level / 2, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)


def simulate_escort_plan(
    document: Mapping[str, Any],
    result: PlanResult,
    *,
    replications: int,
    days: int,
    seed: int,
    assignments: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The plan's loss reduction as the optimiser predicts it and as the simulator measures it:
    the plan and the same scenario without escorts (``without_escorts``), each with the
    ``--set`` ``assignments``, run with the same seed (common random numbers), the paired
    difference of tankers lost per day with its 90% t interval.

    Predictions: the optimiser's (``result``: at its flows, or at its pilot's traffic with the
    answers to escorts); ``predicted_with_responses``, the response model on this no-escort
    run (the optimiser's own when its pilot had these replications, days, seed and --set),
    with the paired 90% interval of prediction minus simulation, replication by replication;
    and the loss formula at the traffic each run dispatched, without the adversary's answer
    (``predicted_at_simulated_traffic``)."""
    from siegeline.engines import simulate
    from siegeline.scenario.loader import apply_overrides, validate_scenario

    pilot = escort_pilot(document, replications=replications, days=days, seed=seed,
                         assignments=assignments)
    doc = apply_overrides(apply_escort_plan(document, result), list(assignments))
    plan_scenario = validate_scenario(doc, "plan with escorts")
    ds = simulate(plan_scenario, replications=replications, days=days, seed=seed).dataset
    sent = ds["tankers_dispatched"]  # (replication, day, corridor)
    dispatched = {
        "without": dict(zip(pilot.corridors, np.moveaxis(pilot.sent, 2, 0), strict=True)),
        "with": {str(c): sent.sel(corridor=c).values for c in sent["corridor"].values}}
    lost_without = pilot.lost.sum(axis=(1, 2)) / days
    lost_with = ds["tankers_lost"].sum(("day", "corridor")).values / days
    simulated = lost_without - lost_with
    sim = _paired_interval(simulated)
    levels = result.details["levels"]
    base = expected_response(pilot, np.zeros(len(pilot.corridors)))
    plan = expected_response(pilot, np.array([levels.get(c, 0) for c in pilot.corridors],
                                             dtype=float), pool=result.details["pool"],
                             baseline=base)
    predicted = base.lost_per_day() - plan.lost_per_day()
    error = _paired_interval(predicted - simulated)
    saved = np.cumsum(pilot.lost.sum(axis=2) - ds["tankers_lost"].sum("corridor").values, axis=1)
    band = [_paired_interval(saved[:, d]) for d in range(days)]
    # The loss formula at each run's own parameter draws and the convoys it sent.
    at_traffic = (loss_at_departures(pilot.scenario, {}, dispatched["without"], seed)
                  - loss_at_departures(plan_scenario, levels, dispatched["with"], seed))
    return {
        "replications": replications, "days": days, "seed": seed, "set": list(assignments),
        "predicted": result.baseline - result.objective,
        "predicted_with_responses": float(predicted.mean()),
        "prediction_error": error[0], "prediction_error_90": [error[1], error[2]],
        "predicted_at_simulated_traffic": at_traffic,
        "simulated": sim[0], "simulated_90": [sim[1], sim[2]],
        "simulated_lost_without": float(lost_without.mean()),
        "simulated_lost_with": float(lost_with.mean()),
        "dispatched_without": {c: float(v.mean()) for c, v in dispatched["without"].items()},
        "dispatched_with": {c: float(v.mean()) for c, v in dispatched["with"].items()},
        "predicted_dispatched_with": dict(zip(pilot.corridors,
                                              plan.sent.mean(axis=(0, 1)).tolist(),
                                              strict=True)),
        "daily": {  # tankers lost per day (mean over replications) and tankers saved so far
            "simulated_without": pilot.lost.sum(axis=2).mean(axis=0).tolist(),
            "simulated_with": ds["tankers_lost"].sum("corridor").mean("replication").values
            .tolist(),
            "predicted_without": base.lost.sum(axis=2).mean(axis=0).tolist(),
            "predicted_with": plan.lost.sum(axis=2).mean(axis=0).tolist(),
            "saved_simulated": [b[0] for b in band],
            "saved_simulated_90": [[b[1], b[2]] for b in band],
            "saved_predicted": np.cumsum((base.lost - plan.lost).sum(axis=2), axis=1)
            .mean(axis=0).tolist(),
        },
    }
