"""Max-flow network interdiction (Wood 1993).

An adversary with budget ``B`` removes segments (each at its own cost) to minimise the maximum
daily flow from all sources (ports) to the sink (the city). Wood's MILP works on the dual of max
flow, i.e. on s-t cuts:

    min  sum_a u_a beta_a
    s.t. alpha_i - alpha_j + beta_a + gamma_e(a) >= 0    for every arc a = (i, j)
         alpha_s = 0 (every source),  alpha_t = 1
         sum_e r_e gamma_e <= B
         gamma_e in {0, 1};  0 <= alpha, beta <= 1

alpha_i = 1 marks the sink side of the cut; an arc crossing the cut is either paid for (beta) or
interdicted (gamma). For fixed gamma the rest is the min-cut LP, which has integral optima, so
only gamma needs to be integer. An undirected segment gives two arcs sharing one gamma: cutting a
road closes both directions at the segment's cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs
from siegeline.planning.graphs import (
    ARC,
    CAPACITY,
    SINK,
    SOURCE,
    ArcNetwork,
    arc_flows,
    arc_network,
    nx_digraph,
)
from siegeline.planning.results import Check, LossCurve, PlanResult

COST = "interdiction_cost"


def flow_network(
    g: nx.Graph,
    sources: Iterable[Hashable] | None = None,
    removed: Collection[str] = (),
    capacity: str = CAPACITY,
    sink: Hashable | Iterable[Hashable] | None = None,
) -> tuple[ArcNetwork, nx.DiGraph]:
    """The arcs of ``g`` and their NetworkX digraph for the flow algorithms: segments labelled
    in ``removed`` left out, every parallel arc kept, the terminal arcs unbounded (from
    ``SOURCE`` to ``SINK``)."""
    net = arc_network(g, sources, sink, capacity)
    caps = net.arc_values(capacity, terminal=math.inf)
    return net, nx_digraph(net, removed, {"capacity": caps})


def max_flow_after(
    g: nx.Graph,
    removed: Collection[str] = (),
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
) -> float:
    """Maximum flow from the sources to the sinks once the segments in ``removed`` are cut."""
    _, d = flow_network(g, sources, removed, capacity, sink)
    return float(nx.maximum_flow_value(d, SOURCE, SINK))


def segment_flows(
    g: nx.Graph,
    removed: Collection[str] = (),
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
) -> tuple[float, dict[str, float]]:
    """Max-flow value and the flow on each segment (net of its two directions)."""
    net, d = flow_network(g, sources, removed, capacity, sink)
    value, flow = nx.maximum_flow(d, SOURCE, SINK)
    return float(value), net.segment_flows(arc_flows(net, d, flow))


def _max_attack_size(costs: Sequence[float], budget: float, allowed: Sequence[int]) -> int:
    """The most ``allowed`` edges the budget can pay for (the cheapest ones)."""
    cheapest = sorted(costs[i] for i in allowed)
    kmax = 0
    while kmax < len(cheapest) and sum(cheapest[: kmax + 1]) <= budget + 1e-9:
        kmax += 1
    return kmax


def affordable_attacks(
    costs: Sequence[float], budget: float, allowed: Sequence[int]
) -> Iterator[tuple[int, ...]]:
    """Every subset of ``allowed`` edge indices whose total cost is within the budget, smallest
    first; brute force of every interdiction problem enumerates these."""
    for k in range(_max_attack_size(costs, budget, allowed) + 1):
        for combo in itertools.combinations(allowed, k):
            if sum(costs[i] for i in combo) <= budget + 1e-9:
                yield combo


def count_attack_candidates(costs: Sequence[float], budget: float, allowed: Sequence[int]) -> int:
    """Upper bound on the subsets brute force would visit (all subsets of the feasible sizes)."""
    kmax = _max_attack_size(costs, budget, allowed)
    return sum(math.comb(len(allowed), k) for k in range(kmax + 1))


def brute_force_max_flow_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    protected: Collection[str] = (),
) -> tuple[float, tuple[str, ...], int]:
    """Optimal interdiction by enumerating every affordable attack: (min max-flow, one optimal
    attack, subsets tried)."""
    net = arc_network(g, sources, sink, capacity)
    src, snk = net.sources, net.sinks
    labels = net.labels
    costs = list(net.segment_values(cost, 1.0))
    allowed = [i for i, lab in enumerate(labels) if lab not in set(protected)]
    best, best_attack, tried = math.inf, (), 0
    for combo in affordable_attacks(costs, budget, allowed):
        tried += 1
        attack = tuple(labels[i] for i in combo)
        value = max_flow_after(g, attack, sources=src, sink=snk, capacity=capacity)
        if value < best - 1e-9:
            best, best_attack = value, attack
    return best, best_attack, tried


def _wood_model(net: ArcNetwork, budget, capacity, cost, protected):
    n, n_arc, n_edge = len(net.nodes), net.n_arcs, len(net.labels)
    arc_cap = net.arc_values(capacity, terminal=math.inf)
    costs = net.segment_values(cost, 1.0)
    if np.any(arc_cap < 0) or np.any(costs <= 0):
        raise ValueError(f"capacities must be >= 0 and costs ({cost!r}) > 0")
    a_col, beta_col, gamma_col = 0, n, n + n_arc
    cut = net.owner >= 0  # terminal arcs belong to no segment: they cannot be cut
    arc_idx = np.arange(n_arc)
    rows = np.concatenate([arc_idx, arc_idx, arc_idx, arc_idx[cut], np.full(n_edge, n_arc)])
    cols = np.concatenate([
        a_col + net.tail, a_col + net.head, beta_col + arc_idx, gamma_col + net.owner[cut],
        gamma_col + np.arange(n_edge),
    ])
    vals = np.concatenate([np.ones(n_arc), -np.ones(n_arc), np.ones(n_arc), np.ones(cut.sum()),
                           costs])
    a = sp.coo_matrix((vals, (rows, cols)), shape=(n_arc + 1, n + n_arc + n_edge))
    beta_cost = np.where(np.isfinite(arc_cap), arc_cap, 0.0)
    c = np.concatenate([np.zeros(n), beta_cost, np.zeros(n_edge)])
    lo = np.zeros(n + n_arc + n_edge)
    hi = np.ones_like(lo)
    hi[beta_col:gamma_col][~np.isfinite(arc_cap)] = 0.0  # an unbounded arc cannot be paid for
    hi[net.index[SOURCE]] = 0.0
    lo[net.index[SINK]] = 1.0
    protected_set = set(protected)
    for e, lab in enumerate(net.labels):
        if lab in protected_set:
            hi[gamma_col + e] = 0.0
    row_lo = np.concatenate([np.zeros(n_arc), [-np.inf]])
    row_hi = np.concatenate([np.full(n_arc, np.inf), [float(budget)]])
    integer = np.zeros(len(lo), dtype=bool)
    integer[gamma_col:] = True
    return (c, a, row_lo, row_hi, lo, hi, integer), gamma_col, costs


def _reaches(res: dict, start: Hashable, goal: Hashable) -> bool:
    seen, todo = {start}, [start]
    while todo:
        u = todo.pop()
        for v, c in res.get(u, {}).items():
            if c > 1e-9 and v not in seen:
                if v == goal:
                    return True
                seen.add(v)
                todo.append(v)
    return False


def _prune(net: ArcNetwork, d: nx.DiGraph, flow: dict, attack, caps) -> tuple[str, ...]:
    """Drop interdicted segments that do not lower the flow (HiGHS may spend spare budget on
    segments off the cut); the value is unchanged, the reported attack is minimal. Restoring a
    segment raises the max flow exactly when the residual network of the current max flow,
    with the segment's arcs added, has an augmenting path: one search per segment instead of
    one max flow."""
    res: dict = {}

    def add(u, v, c):
        res.setdefault(u, {})
        res[u][v] = res[u].get(v, 0.0) + c

    for u, v, data in d.edges(data=True):
        f = flow[u][v]
        add(u, v, data.get("capacity", math.inf) - f)
        add(v, u, f)
    members = net.segment_arcs()
    index = {lab: e for e, lab in enumerate(net.labels)}
    kept = []
    for lab in attack:
        arcs = [(net.nodes[net.tail[a]], (ARC, a), net.nodes[net.head[a]], caps[a])
                for a in members[index[lab]]]
        for u, mid, v, c in arcs:
            add(u, mid, c)
            add(mid, v, math.inf)
        if _reaches(res, SOURCE, SINK):  # needed: cut it again
            for u, mid, _, _ in arcs:
                del res[u][mid], res[mid]
            kept.append(lab)
    return tuple(kept)


def interdiction_network(
    g: nx.Graph,
    budget: float,
    sources: Iterable[Hashable] | None,
    sink: Hashable | Iterable[Hashable] | None,
    capacity: str,
    protected: Collection[str],
) -> ArcNetwork:
    """The arcs of an interdiction problem, once the budget and the protected segments are
    checked."""
    if not (budget >= 0 and math.isfinite(budget)):
        raise ValueError("budget must be a finite number >= 0")
    net = arc_network(g, sources, sink, capacity)
    unknown = set(protected) - set(net.labels)
    if unknown:
        raise ValueError(f"protected segments not in the graph: {', '.join(sorted(unknown))}")
    return net


def max_flow_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    protected: Collection[str] = (),
    time_limit: float = 60.0,
    brute_force_limit: int = 5000,
    check: bool = True,
) -> PlanResult:
    """Segments an adversary with ``budget`` would cut to minimise the max flow from the
    sources to the sinks (one node or several), on any graph: undirected or directed, with
    parallel segments (multigraphs).

    ``protected`` segments (labels) cannot be cut. The result's objective is the max flow left
    after the attack; ``baseline`` is the max flow with no attack. With ``check`` the flow is
    re-solved by NetworkX under the returned attack, and when at most ``brute_force_limit``
    attacks are affordable the optimum is also found by enumeration.
    """
    net = interdiction_network(g, budget, sources, sink, capacity, protected)
    src, snk, labels = net.sources, net.sinks, net.labels
    model, gamma_col, costs = _wood_model(net, budget, capacity, cost, protected)
    sol = _highs.solve(*model, time_limit=time_limit)
    if not np.all(np.isfinite(sol.x)):
        raise RuntimeError(f"HiGHS found no interdiction plan (status: {sol.status})")
    attack = tuple(lab for e, lab in enumerate(labels) if sol.x[gamma_col + e] > 0.5)
    baseline = max_flow_after(g, (), sources=src, sink=snk, capacity=capacity)
    arc_caps = net.arc_values(capacity, terminal=math.inf)
    d = nx_digraph(net, attack, {"capacity": arc_caps})
    value, flow = nx.maximum_flow(d, SOURCE, SINK)
    flows = net.segment_flows(arc_flows(net, d, flow))
    attack = _prune(net, d, flow, attack, arc_caps)
    result_check = None
    if check:
        bf_value, tried = None, 0
        allowed = [i for i, lab in enumerate(labels) if lab not in set(protected)]
        if count_attack_candidates(list(costs), budget, allowed) <= brute_force_limit:
            bf_value, _, tried = brute_force_max_flow_interdiction(
                g,
                budget,
                sources=src,
                sink=snk,
                capacity=capacity,
                cost=cost,
                protected=protected,
            )
        result_check = Check(
            method="networkx.maximum_flow_value with the attacked segments removed",
            value=value,
            matches=math.isclose(value, sol.objective, rel_tol=1e-6, abs_tol=1e-6),
            brute_force_value=bf_value,
            brute_force_candidates=tried,
        )
    spent = float(sum(c for c, lab in zip(costs, labels, strict=True) if lab in set(attack)))
    return PlanResult.from_solution(
        sol,
        problem="max-flow interdiction",
        unit="tanker/day",
        attack=attack,
        defence=tuple(protected),
        flows=flows,
        baseline=baseline,
        budget=float(budget),
        details={
            "budget_spent": spent,
            "mip_nodes": sol.nodes,
            "sink": ", ".join(map(str, snk)),
            "sinks": [str(t) for t in snk],
            "sources": [str(s) for s in src],
        },
        check=result_check,
    )


def interdiction_curve(g: nx.Graph, budgets: Iterable[float], **kwargs) -> LossCurve:
    """Max-flow interdiction for each budget: the loss curve (keyword arguments as for
    :func:`max_flow_interdiction`)."""
    return LossCurve(tuple(max_flow_interdiction(g, b, **kwargs) for b in budgets))
