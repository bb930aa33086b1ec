"""Defender-attacker-defender escort placement (Brown, Carlyle, Salmeron & Wood 2006).

The defender first protects ``k`` segments (escort units stationed on them, or fortification);
the adversary, seeing this, cuts unprotected segments within budget ``B`` (max-flow
interdiction); the defender then routes the maximum flow that is left. Modelling choice: a
protected segment cannot be interdicted at all (Brown et al.'s "hardening"); escorts that lower
the success of attacks, as the simulator models them, are in ``escort_loss``.

Solved exactly by decomposition (a cutting-plane loop over attack plans):

* master, over the defence ``w`` (binary) with attack plans ``x^1..x^P`` found so far, and one
  copy ``y^p`` of the defender's flow per plan:

      max z  s.t.  z <= inflow of y^p at the sink,  y^p a feasible flow,
                   y^p_a <= u_a w_e  if plan p cuts segment e,   sum_e w_e <= k

  it over-estimates the value of the best defence (it knows only some attacks): upper bound UB;
* subproblem: Wood's interdiction MILP with the master's defence protected, whose value is
  achieved by that defence: lower bound LB. Its attack joins the plans.

The loop stops when ``UB - LB <= tol``; this must happen within finitely many steps because a
repeated attack plan forces UB <= LB.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Collection, Hashable, Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs
from siegeline.planning.graphs import SINK, SOURCE, ArcNetwork, arc_network
from siegeline.planning.maxflow import (
    CAPACITY,
    COST,
    brute_force_max_flow_interdiction,
    count_attack_candidates,
    max_flow_after,
    max_flow_interdiction,
    segment_flows,
)
from siegeline.planning.results import Check, PlanResult


def _master(net: ArcNetwork, k, plans, candidates, capacity, time_limit):
    """The master MILP; returns (solution, defence labels)."""
    caps = net.arc_values(capacity, terminal=math.inf)
    labels = net.labels
    n_arc, n_node = net.n_arcs, len(net.nodes)
    cand = [e for e, lab in enumerate(labels) if lab in candidates]
    # columns: z, w (one per candidate), then y^p (n_arc per plan)
    w_col = {e: 1 + i for i, e in enumerate(cand)}
    y0 = 1 + len(cand)
    n_col = y0 + n_arc * len(plans)
    rows, cols, vals, row_lo, row_hi = [], [], [], [], []
    r = 0

    def add_row(entries, lo, hi):
        nonlocal r
        for col, val in entries:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        row_lo.append(lo)
        row_hi.append(hi)
        r += 1

    add_row([(w_col[e], 1.0) for e in cand], -np.inf, float(k))
    hi = np.full(n_col, np.inf)
    hi[1:y0] = 1.0
    source, sink = net.index[SOURCE], net.index[SINK]
    for p, plan in enumerate(plans):
        base = y0 + p * n_arc
        hi[base : base + n_arc] = caps
        net_flow = [[] for _ in range(n_node)]  # (column, +1 inflow / -1 outflow)
        for a in range(n_arc):
            net_flow[net.head[a]].append((base + a, 1.0))
            net_flow[net.tail[a]].append((base + a, -1.0))
        for node, entries in enumerate(net_flow):
            if node == sink:
                add_row([(0, 1.0)] + [(c, -v) for c, v in entries], -np.inf, 0.0)
            elif node != source:  # the super source only sends
                add_row(entries, 0.0, 0.0)
        cut = set(plan)
        for a, e in enumerate(net.owner):
            if e < 0 or labels[e] not in cut:
                continue
            if e in w_col:  # the arc keeps its capacity only if the segment is defended
                add_row([(base + a, 1.0), (w_col[e], -caps[a])], -np.inf, 0.0)
            else:
                hi[base + a] = 0.0
    a_mat = sp.coo_matrix((vals, (rows, cols)), shape=(r, n_col))
    c = np.zeros(n_col)
    c[0] = 1.0
    integer = np.zeros(n_col, dtype=bool)
    integer[1:y0] = True
    sol = _highs.solve(
        c,
        a_mat,
        np.array(row_lo),
        np.array(row_hi),
        np.zeros(n_col),
        hi,
        integer,
        maximize=True,
        time_limit=time_limit,
    )
    chosen = [e for e in cand if sol.x[w_col[e]] > 0.5]
    # units the master leaves idle (they change no known attack) go to the remaining candidates
    # in order: protecting more never helps the attacker, so the value cannot fall
    idle = [e for e in cand if e not in chosen][: max(0, int(k) - len(chosen))]
    defence = tuple(labels[e] for e in sorted(chosen + idle))
    return sol, defence


def enumerate_escort_placement(
    g: nx.Graph,
    k: int,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    candidates: Collection[str] | None = None,
    attacker: str = "milp",
) -> tuple[float, tuple[str, ...], int]:
    """Exact DAD by trying every defence of ``min(k, |candidates|)`` segments, the attacker
    answering each by Wood's MILP (``attacker="milp"``) or by enumeration (``"brute"``).
    Returns (best value, one best defence, defences tried)."""
    net = arc_network(g, sources, sink, capacity)
    src, snk = net.sources, net.sinks
    cand = sorted(set(net.labels) if candidates is None else set(candidates))
    kw = {"sources": src, "sink": snk, "capacity": capacity, "cost": cost}
    best, best_def, tried = -math.inf, (), 0
    for defence in itertools.combinations(cand, min(k, len(cand))):
        tried += 1
        if attacker == "brute":
            value, _, _ = brute_force_max_flow_interdiction(g, budget, protected=defence, **kw)
        else:
            value = max_flow_interdiction(g, budget, protected=defence, check=False, **kw).objective
        if value > best + 1e-9:
            best, best_def = value, defence
    return best, best_def, tried


def escort_placement(
    g: nx.Graph,
    k: int,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    candidates: Collection[str] | None = None,
    time_limit: float = 120.0,
    max_iterations: int = 200,
    tol: float = 1e-6,
    brute_force_limit: int = 5000,
    check: bool = True,
) -> PlanResult:
    """Where ``k`` escort units (each protecting one segment from interdiction) keep the most
    flow reaching the sink against an adversary with budget ``budget``.

    ``candidates`` limits which segments can be protected (default: all). The objective is the
    max flow left after the attacker's best reply to the returned defence; ``baseline`` is the
    same with no defence; ``bound`` is the decomposition's upper bound. With ``check``, NetworkX
    re-solves the flow under the reply and, when affordable (defences x attacks within
    ``brute_force_limit``), every defence is tried against every attack.
    """
    if k < 0 or int(k) != k:
        raise ValueError("k must be a whole number >= 0")
    net = arc_network(g, sources, sink, capacity)
    src, snk = net.sources, net.sinks
    all_labels = set(net.labels)
    cand = set(all_labels if candidates is None else candidates)
    if cand - all_labels:
        raise ValueError(f"candidate segments not in the graph: {sorted(cand - all_labels)}")
    started = time.perf_counter()
    kw = {"sources": src, "sink": snk, "capacity": capacity, "cost": cost, "check": False}
    undefended = max_flow_interdiction(g, budget, time_limit=time_limit, **kw)
    upper = undefended.baseline  # nothing beats no attack at all
    # LB comes only from defences the loop evaluates, so the reported defence always has k units
    lower, best_def, best_reply = -math.inf, (), undefended.attack
    plans: list[tuple[str, ...]] = [undefended.attack]
    history: list[tuple[int, float, float]] = []
    status, iterations = "Iteration limit", 0
    while iterations < max_iterations:
        if upper - lower <= tol * max(1.0, abs(upper)):
            status = "Optimal"
            break
        if time.perf_counter() - started > time_limit:
            status = "Time limit reached"
            break
        iterations += 1
        master, defence = _master(net, int(k), plans, cand, capacity, time_limit)
        if not master.optimal:
            status = f"master: {master.status}"
            break
        upper = min(upper, master.objective)
        reply = max_flow_interdiction(g, budget, protected=defence, time_limit=time_limit, **kw)
        if reply.objective > lower + 1e-9:
            lower, best_def, best_reply = reply.objective, defence, reply.attack
        if reply.attack not in plans:
            plans.append(reply.attack)
        history.append((iterations, lower, upper))
    else:
        if upper - lower <= tol * max(1.0, abs(upper)):
            status = "Optimal"
    value, flows = segment_flows(g, best_reply, sources=src, sink=snk, capacity=capacity)
    result_check = None
    if check:
        bf_value, tried = None, 0
        costs = list(net.segment_values(cost, 1.0))
        n_def = math.comb(len(cand), min(int(k), len(cand)))
        n_att = count_attack_candidates(costs, budget, range(len(costs)))
        if n_def * n_att <= brute_force_limit:
            bf_value, _, tried = enumerate_escort_placement(
                g,
                int(k),
                budget,
                sources=src,
                sink=snk,
                capacity=capacity,
                cost=cost,
                candidates=cand,
                attacker="brute",
            )
        result_check = Check(
            method="networkx.maximum_flow_value under the attacker's best reply",
            value=value,
            matches=math.isclose(value, lower, rel_tol=1e-6, abs_tol=1e-6),
            brute_force_value=bf_value,
            brute_force_candidates=tried,
        )
    no_attack = max_flow_after(g, (), sources=src, sink=snk, capacity=capacity)
    return PlanResult(
        problem="escort placement (defender-attacker-defender)",
        unit="tanker/day",
        status=status,
        objective=lower,
        bound=upper,
        gap=(upper - lower) / upper if upper > 0 else 0.0,
        time_s=time.perf_counter() - started,
        attack=best_reply,
        defence=best_def,
        flows=flows,
        baseline=undefended.objective,
        budget=float(budget),
        details={
            "escorts": int(k),
            "no_attack_flow": no_attack,
            "attack_without_defence": list(undefended.attack),
            "iterations": iterations,
            "attack_plans": len(plans),
            "history": [list(h) for h in history],
            "candidates": len(cand),
        },
        check=result_check,
    )
