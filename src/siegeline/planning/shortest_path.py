"""Shortest-path interdiction (Israeli & Wood 2002).

The defender sends traffic along the shortest route from any source (port) to the sink (city),
measured in km or in risk (-log survival of one crossing). The adversary first spends budget
``B`` to lengthen segments: an interdicted segment's length grows by ``d_e`` (a delay or extra
risk), or the segment is closed outright (``d_e = M``, larger than any simple route). Taking the
LP dual of the inner shortest-path problem gives one MILP:

    max  pi_t
    s.t. pi_j - pi_i - d_e x_e <= c_e          for every arc (i, j) of segment e
         pi_s <= 0                              for every source s
         sum_e r_e x_e <= B,   x_e in {0, 1},   pi free

pi_i is the defender's shortest distance to node i after the attack (at an optimum).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs
from siegeline.planning.graphs import (
    SINK,
    SOURCE,
    ArcNetwork,
    arc_network,
    nx_digraph,
    path_arcs,
)
from siegeline.planning.maxflow import COST, affordable_attacks, count_attack_candidates
from siegeline.planning.results import Check, PlanResult

UNITS = {"length_km": "km", "risk": "-log survival", "travel_days": "day"}


def _route_network(
    net: ArcNetwork,
    lengths: np.ndarray,
    attack: Collection[str],
    delays: Mapping[str, float] | None,
) -> nx.DiGraph:
    """NetworkX digraph of the arcs with the attack applied: interdicted segments lengthened by
    their delay, or left out when ``delays`` is None (closure); terminal arcs of length 0."""
    w = lengths.copy()
    hit = set(attack)
    if delays is not None:
        for a, e in enumerate(net.owner):
            if e >= 0 and net.labels[e] in hit:
                w[a] += delays[net.labels[e]]
    return nx_digraph(net, hit if delays is None else (), {"w": w})


def _best_route(net, lengths, attack, delays) -> tuple[float, list[Hashable], list[int]]:
    """(length, nodes from a source to a sink, arc indices) of the shortest route."""
    d = _route_network(net, lengths, attack, delays)
    try:
        length, path = nx.single_source_dijkstra(d, SOURCE, SINK, weight="w")
    except nx.NetworkXNoPath:
        return math.inf, [], []
    used = [a for a in path_arcs(d, path) if net.owner[a] >= 0]
    return float(length), net.route_nodes(used), used


def _arc_lengths(net: ArcNetwork, weight: str) -> np.ndarray:
    lengths = net.arc_values(weight)
    if np.any(lengths < 0):
        raise ValueError(f"edge lengths ({weight!r}) must be >= 0")
    return lengths


def best_route(
    g: nx.Graph,
    attack: Collection[str] = (),
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    weight: str = "length_km",
    delays: Mapping[str, float] | None = None,
) -> tuple[float, list[Hashable]]:
    """The defender's shortest route (length, nodes from a source to a sink) under an attack;
    ``(inf, [])`` when the attack disconnects every sink from every source."""
    net = arc_network(g, sources, sink)
    length, nodes, _ = _best_route(net, _arc_lengths(net, weight), set(attack), delays)
    return length, nodes


def _delays(net: ArcNetwork, delay: float | str | None) -> dict[str, float] | None:
    if delay is None:
        return None
    if isinstance(delay, str):
        values = net.segment_values(delay)
    else:
        values = np.full(len(net.labels), float(delay))
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise ValueError("delays must be finite and >= 0")
    return dict(zip(net.labels, map(float, values), strict=True))


def brute_force_shortest_path_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    weight: str = "length_km",
    cost: str = COST,
    delay: float | str | None = None,
) -> tuple[float, tuple[str, ...], int]:
    """(max over affordable attacks of the defender's shortest route, one optimal attack,
    attacks tried)."""
    net = arc_network(g, sources, sink)
    delays = _delays(net, delay)
    lengths = _arc_lengths(net, weight)
    labels = net.labels
    costs = list(net.segment_values(cost, 1.0))
    best, best_attack, tried = -math.inf, (), 0
    for combo in affordable_attacks(costs, budget, range(len(labels))):
        tried += 1
        attack = tuple(labels[i] for i in combo)
        value, _, _ = _best_route(net, lengths, attack, delays)
        if value > best + 1e-9:
            best, best_attack = value, attack
    return best, best_attack, tried


def shortest_path_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    weight: str = "length_km",
    cost: str = COST,
    delay: float | str | None = None,
    time_limit: float = 60.0,
    brute_force_limit: int = 5000,
    check: bool = True,
) -> PlanResult:
    """Segments the adversary interdicts to maximise the defender's shortest route.

    ``weight`` is the length attribute (``length_km`` or ``risk``). ``delay`` is what an
    interdiction adds to a segment's length: a number, an edge attribute name, or None to close
    the segment. The objective is ``inf`` when the attack cuts the sink off from every source.
    """
    if not (budget >= 0 and math.isfinite(budget)):
        raise ValueError("budget must be a finite number >= 0")
    net = arc_network(g, sources, sink)
    src, snk = net.sources, net.sinks
    delays = _delays(net, delay)
    lengths = _arc_lengths(net, weight)
    base_len, base_route, _ = _best_route(net, lengths, (), delays)
    if not math.isfinite(base_len):
        raise ValueError(f"the sink {', '.join(map(str, snk))} cannot be reached from any source")
    costs = net.segment_values(cost, 1.0)
    if np.any(costs <= 0):
        raise ValueError(f"interdiction costs ({cost!r}) must be > 0")
    labels = net.labels
    seg_len = np.zeros(len(labels))
    np.maximum.at(seg_len, net.owner[net.owner >= 0], lengths[net.owner >= 0])
    big_m = float(seg_len.sum()) + 1.0  # longer than any simple route: closure
    pen = np.array([big_m if delays is None else delays[lab] for lab in labels])
    sol, attack = _solve_model(net, lengths, costs, pen, budget, big_m, delays is None, time_limit)
    n_edge = len(labels)
    objective, bound = sol.objective, sol.bound
    closed = delays is None and objective >= big_m - 1e-6 * big_m
    if closed:
        objective = bound = math.inf
    value, route, used = _best_route(net, lengths, attack, delays)
    if math.isfinite(value):  # report only the interdictions that lengthen the best route
        attack = tuple(x for x in attack if _needed(net, lengths, attack, x, value, delays))
    result_check = None
    if check:
        bf_value, tried = None, 0
        allowed = list(range(n_edge))
        if count_attack_candidates(list(costs), budget, allowed) <= brute_force_limit:
            bf_value, _, tried = brute_force_shortest_path_interdiction(
                g, budget, sources=src, sink=snk, weight=weight, cost=cost, delay=delay
            )
        result_check = Check(
            method="networkx.single_source_dijkstra under the attack",
            value=value,
            matches=(value == objective)
            or math.isclose(value, objective, rel_tol=1e-6, abs_tol=1e-6),
            brute_force_value=bf_value,
            brute_force_candidates=tried,
        )
    on_route = {labels[net.owner[a]] for a in used}
    unit = UNITS.get(weight, weight)
    details = {
        "weight": weight,
        "interdiction": "closure" if delays is None else "delay",
        "route": [str(x) for x in route],
        "route_segments": [labels[net.owner[a]] for a in used if not net.node_arc[a]],
        "baseline_route": [str(x) for x in base_route],
        "disconnected": closed,
        "sink": ", ".join(map(str, snk)),
    }
    if weight == "risk":
        details["survival"] = math.exp(-value) if math.isfinite(value) else 0.0
        details["baseline_survival"] = math.exp(-base_len)
    return PlanResult.from_solution(
        sol,
        problem="shortest-path interdiction",
        unit=unit,
        objective=objective,
        bound=bound,
        attack=attack,
        flows={lab: float(lab in on_route) for lab in labels},
        baseline=base_len,
        budget=float(budget),
        details=details,
        check=result_check,
    )


def _solve_model(net, lengths, costs, pen, budget, big_m, closure, time_limit):
    """Israeli & Wood's MILP over the arcs; returns (solution, attack labels)."""
    n, n_arc, n_edge = len(net.nodes), net.n_arcs, len(net.labels)
    seg = net.owner >= 0
    arc_idx = np.arange(n_arc)
    # row of arc (i, j): pi_j - pi_i - d_e x_e <= c_e (terminal arcs: no x, length 0)
    rows = np.concatenate([arc_idx, arc_idx, arc_idx[seg], np.full(n_edge, n_arc)])
    cols = np.concatenate([net.head, net.tail, n + net.owner[seg], n + np.arange(n_edge)])
    vals = np.concatenate([np.ones(n_arc), -np.ones(n_arc), -pen[net.owner[seg]], costs])
    a = sp.coo_matrix((vals, (rows, cols)), shape=(n_arc + 1, n + n_edge))
    row_lo = np.full(n_arc + 1, -np.inf)
    row_hi = np.concatenate([lengths, [float(budget)]])
    # 0 <= pi <= cap is valid (distances capped at cap satisfy every row) and keeps the relaxation
    # from pushing labels past any route length
    cap = big_m if closure else big_m + float(pen.sum())
    lo = np.zeros(n + n_edge)
    hi = np.concatenate([np.full(n, cap), np.ones(n_edge)])
    hi[net.index[SOURCE]] = 0.0
    c = np.zeros(n + n_edge)
    c[net.index[SINK]] = 1.0
    integer = np.concatenate([np.zeros(n, dtype=bool), np.ones(n_edge, dtype=bool)])
    sol = _highs.solve(c, a, row_lo, row_hi, lo, hi, integer, maximize=True, time_limit=time_limit)
    if not np.all(np.isfinite(sol.x)):
        raise RuntimeError(f"HiGHS found no interdiction plan (status: {sol.status})")
    return sol, tuple(lab for e, lab in enumerate(net.labels) if sol.x[n + e] > 0.5)


def _needed(net, lengths, attack, label, value, delays) -> bool:
    trial = [x for x in attack if x != label]
    shorter, _, _ = _best_route(net, lengths, trial, delays)
    return shorter < value - 1e-9
