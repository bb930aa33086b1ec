"""Routing when the hazards are uncertain: the expected-value plan, a CVaR-robust plan, and the
spread of each plan's losses over sampled scenarios.

A sample gives every segment a loss per tanker ``(1 - exp(-hazard * intensity * km / 100)) *
destroy_share`` with the hazard, intensity and destroy share drawn from the scenario's uncertain
ranges by the engine's own parameter streams (so sample ``i`` of seed ``s`` is replication ``i``
of ``siegeline run --seed s``, day-0 intensity). A plan is a flow ``f``; its loss in sample
``s`` is ``L_s . f`` tankers per day.

* **expected** plan: ``min mean_s(L_s) . f`` (sample average);
* **robust** plan: ``min CVaR_alpha(L_s . f)``, the mean loss of the worst ``1 - alpha`` share of
  the samples, as Rockafellar & Uryasev's (2000) LP:
  ``min eta + sum_s z_s / ((1 - alpha) S)  s.t.  z_s >= L_s . f - eta,  z_s >= 0``;
* **central** plan: the deterministic routing at the ranges' central values.

Both are solved on one set of samples and judged on another (``eval_seed``), so the spread shown
is out of sample. Travel time enters every plan as ``time_weight * tanker-days`` (a tie-breaker).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.model.parameters import ParameterSource
from siegeline.planning import _highs
from siegeline.planning.graphs import ArcNetwork, planning_graph
from siegeline.planning.maxflow import CAPACITY
from siegeline.planning.results import PlanResult
from siegeline.planning.routing import LOSS, TIME, flow_problem
from siegeline.scenario.schema import Scenario


def sample_segment_losses(scenario: Scenario, n: int, seed: int) -> dict[str, np.ndarray]:
    """Loss per tanker of every segment in ``n`` draws of the scenario's uncertain hazards,
    day-0 intensity and destroy share (the engine's parameter streams for ``seed``)."""
    if n < 1:
        raise ValueError("need at least one sample")
    draws = ParameterSource(scenario, n, seed)
    lam = draws.get("adversary.intensity")
    share = draws.get("adversary.destroy_share")
    out = {}
    for i, s in enumerate(scenario.segments):
        hazard = draws.get(f"segments.{i}.hazard_per_100km")
        out[s.id] = (1.0 - np.exp(-hazard * lam * s.length_km / 100.0)) * share
    return out


@dataclass(frozen=True)
class Spread:
    """One plan's expected tankers lost per day over the evaluation samples."""

    plan: str
    mean: float
    p05: float
    p50: float
    p95: float
    worst: float
    cvar: float
    flows: Mapping[str, float]


def cvar(losses: np.ndarray, alpha: float) -> float:
    """Mean of the worst ``1 - alpha`` share of equally likely losses (Rockafellar & Uryasev:
    ``min_eta eta + E(loss - eta)+ / (1 - alpha)``, attained at a sample)."""
    x = np.sort(np.asarray(losses, dtype=float))
    tails = np.maximum(x[None, :] - x[:, None], 0.0).mean(axis=1)
    return float(np.min(x + tails / (1.0 - alpha)))


def _loss_matrix(net: ArcNetwork, samples: Mapping[str, np.ndarray], loss: str) -> np.ndarray:
    """Samples x arcs: a segment's sampled loss per tanker (its graph value if not sampled)."""
    fixed = net.arc_values(loss, terminal=0.0)
    n = len(next(iter(samples.values())))
    out = np.tile(fixed, (n, 1))
    for a, e in enumerate(net.owner):
        if e >= 0 and net.labels[e] in samples:
            out[:, a] = samples[net.labels[e]]
    return out


def _spread(name, f, net, evaluation, alpha) -> Spread:
    daily = evaluation @ f
    flows = dict.fromkeys(net.labels, 0.0)
    for a, e in enumerate(net.owner):
        if e >= 0:
            flows[net.labels[e]] += float(f[a])
    q05, q50, q95 = np.quantile(daily, [0.05, 0.5, 0.95])
    return Spread(name, float(daily.mean()), float(q05), float(q50), float(q95),
                  float(daily.max()), cvar(daily, alpha), flows)


def robust_routing(
    g: nx.Graph,
    samples: Mapping[str, np.ndarray],
    demand: float | None = None,
    *,
    evaluation: Mapping[str, np.ndarray] | None = None,
    alpha: float = 0.9,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    loss: str = LOSS,
    time: str = TIME,
    time_weight: float = 1e-4,
    time_limit: float = 60.0,
) -> PlanResult:
    """The CVaR-robust allocation of ``demand`` tankers/day given sampled losses per tanker
    (segment label -> one value per sample), compared with the expected-value and central
    plans. The objective is the robust plan's CVaR over ``samples`` (tankers lost per day, plus
    the time term); ``details["plans"]`` gives each plan's spread over ``evaluation`` (default:
    the same samples)."""
    if not 0 <= alpha < 1:
        raise ValueError("alpha must be in [0, 1)")
    sizes = {len(v) for v in samples.values()}
    if len(sizes) != 1:
        raise ValueError("every segment needs the same number of samples")
    fp = flow_problem(g, demand, sources=sources, sink=sink, capacity=capacity)
    net, n_arc = fp.net, fp.net.n_arcs
    train = _loss_matrix(net, samples, loss)
    judge = train if evaluation is None else _loss_matrix(net, evaluation, loss)
    tie = time_weight * net.arc_values(time, 0.0, terminal=0.0)
    lo, hi = np.zeros(n_arc), fp.caps

    def plain(unit_loss):  # the routing LP with one loss per arc
        return _highs.solve(unit_loss + tie, fp.a_mat, fp.rhs, fp.rhs, lo, hi,
                            time_limit=time_limit)

    central = plain(net.arc_values(loss, terminal=0.0))  # = risk_aware_routing's plan
    expected = plain(train.mean(axis=0))
    n_s = train.shape[0]
    # columns: f (n_arc), eta, z (n_s); rows: conservation, then L_s f - eta - z_s <= 0
    a_mat = sp.bmat([
        [fp.a_mat, None, None],
        [sp.csr_matrix(train), -np.ones((n_s, 1)), -sp.identity(n_s)],
    ])
    c = np.concatenate([tie, [1.0], np.full(n_s, 1.0 / ((1.0 - alpha) * n_s))])
    row_lo = np.concatenate([fp.rhs, np.full(n_s, -np.inf)])
    row_hi = np.concatenate([fp.rhs, np.zeros(n_s)])
    col_lo = np.concatenate([lo, [-np.inf], np.zeros(n_s)])
    col_hi = np.concatenate([hi, [np.inf], np.full(n_s, np.inf)])
    robust = _highs.solve(c, a_mat, row_lo, row_hi, col_lo, col_hi, time_limit=time_limit)
    for name, sol in (("central", central), ("expected", expected), ("robust", robust)):
        if not np.all(np.isfinite(sol.x)):
            raise RuntimeError(f"HiGHS found no {name} allocation (status: {sol.status})")
    arc_flows = {"central": central.x, "expected": expected.x, "robust": robust.x[:n_arc]}
    plans = [_spread(name, f, net, judge, alpha) for name, f in arc_flows.items()]
    return PlanResult.from_solution(
        robust,
        problem=f"robust routing (CVaR {alpha:g} over {n_s} samples)",
        unit="tanker/day",
        flows=plans[2].flows,
        details={
            "demand": fp.demand,
            "alpha": alpha,
            "samples": n_s,
            "evaluation_samples": judge.shape[0],
            "in_sample_cvar": {k: cvar(train @ f, alpha) for k, f in arc_flows.items()},
            "in_sample_mean": {k: float((train @ f).mean()) for k, f in arc_flows.items()},
            "plans": [p.__dict__ | {"flows": dict(p.flows)} for p in plans],
        },
    )


def robust_scenario_routing(
    scenario: Scenario,
    *,
    samples: int = 500,
    seed: int = 1,
    eval_seed: int = 2,
    alpha: float = 0.9,
    demand: float | None = None,
    time_weight: float = 1e-4,
    time_limit: float = 60.0,
) -> PlanResult:
    """:func:`robust_routing` on a scenario: plans from ``samples`` draws of seed ``seed``,
    judged on as many draws of ``eval_seed``."""
    g = planning_graph(scenario)
    return robust_routing(
        g,
        sample_segment_losses(scenario, samples, seed),
        demand,
        evaluation=sample_segment_losses(scenario, samples, eval_seed),
        alpha=alpha,
        time_weight=time_weight,
        time_limit=time_limit,
    )


