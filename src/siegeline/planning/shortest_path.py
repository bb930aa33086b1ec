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
from collections.abc import Collection, Hashable, Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs
from siegeline.planning.graphs import (
    SOURCE,
    arcs,
    edge_label,
    edge_values,
    edges_by_label,
    terminals,
)
from siegeline.planning.maxflow import COST, affordable_attacks, count_attack_candidates
from siegeline.planning.results import Check, PlanResult

UNITS = {"length_km": "km", "risk": "-log survival", "travel_days": "day"}


def _route_network(
    g: nx.Graph,
    sources: Iterable[Hashable],
    weight: str,
    attack: Collection[str],
    delays: dict[str, float] | None,
) -> nx.DiGraph:
    """Directed copy with the attack applied: interdicted segments lengthened by their delay, or
    left out when ``delays`` is None (closure); a zero-length arc from the super source to each
    source."""
    d = nx.DiGraph()
    d.add_nodes_from(g.nodes)
    for u, v, data in g.edges(data=True):
        label = edge_label(g, u, v)
        length = float(data[weight])
        if label in attack:
            if delays is None:
                continue
            length += delays[label]
        d.add_edge(u, v, w=length, label=label)
        if not g.is_directed():
            d.add_edge(v, u, w=length, label=label)
    for s in sources:
        d.add_edge(SOURCE, s, w=0.0, label=None)
    return d


def best_route(
    g: nx.Graph,
    attack: Collection[str] = (),
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | None = None,
    weight: str = "length_km",
    delays: dict[str, float] | None = None,
) -> tuple[float, list[Hashable]]:
    """The defender's shortest route (length, nodes from a source to the sink) under an attack;
    ``(inf, [])`` when the attack disconnects the sink from every source."""
    src, snk = terminals(g, sources, sink)
    d = _route_network(g, src, weight, set(attack), delays)
    try:
        length, path = nx.single_source_dijkstra(d, SOURCE, snk, weight="w")
    except nx.NetworkXNoPath:
        return math.inf, []
    return float(length), path[1:]


def _delays(g: nx.Graph, delay: float | str | None) -> dict[str, float] | None:
    if delay is None:
        return None
    if isinstance(delay, str):
        values = edge_values(g, delay)
    else:
        values = np.full(g.number_of_edges(), float(delay))
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise ValueError("delays must be finite and >= 0")
    return {edge_label(g, u, v): float(x) for (u, v), x in zip(g.edges, values, strict=True)}


def brute_force_shortest_path_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | None = None,
    weight: str = "length_km",
    cost: str = COST,
    delay: float | str | None = None,
) -> tuple[float, tuple[str, ...], int]:
    """(max over affordable attacks of the defender's shortest route, one optimal attack,
    attacks tried)."""
    src, snk = terminals(g, sources, sink)
    delays = _delays(g, delay)
    labels = [edge_label(g, u, v) for u, v in g.edges]
    costs = list(edge_values(g, cost, 1.0))
    best, best_attack, tried = -math.inf, (), 0
    for combo in affordable_attacks(costs, budget, range(len(labels))):
        tried += 1
        attack = tuple(labels[i] for i in combo)
        value, _ = best_route(g, attack, sources=src, sink=snk, weight=weight, delays=delays)
        if value > best + 1e-9:
            best, best_attack = value, attack
    return best, best_attack, tried


def shortest_path_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | None = None,
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
    src, snk = terminals(g, sources, sink)
    edges_by_label(g)
    delays = _delays(g, delay)
    base_len, base_route = best_route(g, sources=src, sink=snk, weight=weight)
    if not math.isfinite(base_len):
        raise ValueError(f"the sink {snk!r} cannot be reached from any source")
    lengths = edge_values(g, weight)
    if np.any(lengths < 0):
        raise ValueError(f"edge lengths ({weight!r}) must be >= 0")
    costs = edge_values(g, cost, 1.0)
    if np.any(costs <= 0):
        raise ValueError(f"interdiction costs ({cost!r}) must be > 0")
    big_m = float(lengths.sum()) + 1.0  # longer than any simple route: closure
    labels = [edge_label(g, u, v) for u, v in g.edges]
    pen = np.array([big_m if delays is None else delays[lab] for lab in labels])

    arc_list, owner, _ = arcs(g)
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    n, n_arc, n_edge = len(nodes), len(arc_list), len(labels)
    rows, cols, vals = [], [], []
    for r, ((i, j), e) in enumerate(zip(arc_list, owner, strict=True)):
        rows += [r, r, r]
        cols += [index[j], index[i], n + e]
        vals += [1.0, -1.0, -pen[e]]
    rows += [n_arc] * n_edge
    cols += list(range(n, n + n_edge))
    vals += list(costs)
    a = sp.coo_matrix((vals, (rows, cols)), shape=(n_arc + 1, n + n_edge))
    row_lo = np.full(n_arc + 1, -np.inf)
    row_hi = np.concatenate([lengths[np.array(owner, dtype=int)], [float(budget)]])
    # 0 <= pi <= cap is valid (distances capped at cap satisfy every row) and keeps the relaxation
    # from pushing labels past any route length
    lo = np.zeros(n + n_edge)
    cap = big_m if delays is None else float(lengths.sum() + pen.sum()) + 1.0
    hi = np.concatenate([np.full(n, cap), np.ones(n_edge)])
    for s in src:
        hi[index[s]] = 0.0
    c = np.zeros(n + n_edge)
    c[index[snk]] = 1.0
    integer = np.concatenate([np.zeros(n, dtype=bool), np.ones(n_edge, dtype=bool)])
    sol = _highs.solve(c, a, row_lo, row_hi, lo, hi, integer, maximize=True, time_limit=time_limit)
    if not np.all(np.isfinite(sol.x)):
        raise RuntimeError(f"HiGHS found no interdiction plan (status: {sol.status})")
    attack = tuple(lab for e, lab in enumerate(labels) if sol.x[n + e] > 0.5)
    objective, bound = sol.objective, sol.bound
    closed = delays is None and objective >= big_m - 1e-6 * big_m
    if closed:
        objective = bound = math.inf
    value, route = best_route(g, attack, sources=src, sink=snk, weight=weight, delays=delays)
    if math.isfinite(value):  # report only the interdictions that lengthen the best route
        attack = tuple(x for x in attack if _needed(g, attack, x, value, src, snk, weight, delays))
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
    on_route = {edge_label(g, u, v) for u, v in zip(route, route[1:], strict=False)}
    unit = UNITS.get(weight, weight)
    details = {
        "weight": weight,
        "interdiction": "closure" if delays is None else "delay",
        "route": [str(x) for x in route],
        "baseline_route": [str(x) for x in base_route],
        "disconnected": closed,
        "sink": str(snk),
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


def _needed(g, attack, label, value, src, snk, weight, delays) -> bool:
    trial = [x for x in attack if x != label]
    shorter, _ = best_route(g, trial, sources=src, sink=snk, weight=weight, delays=delays)
    return shorter < value - 1e-9
