"""Property test: on random small multigraphs, directed and undirected, with several sources and
sinks, every planning model equals a brute force written here from the edge list alone (its own
max-flow network, its own Bellman-Ford, SciPy's LP), independent of the models' arc network."""

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from siegeline.planning import (
    escort_placement,
    max_flow_interdiction,
    risk_aware_routing,
    shortest_path_interdiction,
)


@st.composite
def instances(draw):
    n = draw(st.integers(3, 5))
    directed = draw(st.booleans())
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    ends = draw(st.lists(pairs, min_size=3, max_size=7))
    edges = [
        {"u": u, "v": v, "id": f"e{i}", "cap": draw(st.integers(0, 9)),
         "km": draw(st.integers(0, 9)), "cost": draw(st.sampled_from([1, 2])),
         "loss": draw(st.integers(0, 9)) / 100}
        for i, (u, v) in enumerate(ends)
    ]
    nodes = draw(st.permutations(range(n)))
    n_src = draw(st.integers(1, n - 2))
    n_snk = draw(st.integers(1, min(2, n - n_src)))
    src, snk = list(nodes[:n_src]), list(nodes[n_src:n_src + n_snk])
    budget = draw(st.integers(0, 2))
    return directed, n, edges, src, snk, budget


def _graph(directed, n, edges):
    g = nx.MultiDiGraph() if directed else nx.MultiGraph()
    g.add_nodes_from(range(n))
    for e in edges:
        g.add_edge(e["u"], e["v"], id=e["id"], capacity_tankers_per_day=float(e["cap"]),
                   length_km=float(e["km"]), interdiction_cost=float(e["cost"]),
                   loss_per_tanker=e["loss"])
    return g


def _arcs(directed, edges, removed=()):
    """(tail, head, edge) for every direction an edge can be driven."""
    out = []
    for i, e in enumerate(edges):
        if e["id"] in removed:
            continue
        out.append((e["u"], e["v"], i))
        if not directed:
            out.append((e["v"], e["u"], i))
    return out


def _max_flow(directed, edges, src, snk, removed):
    d = nx.DiGraph()
    d.add_nodes_from(["S", "T"])
    for k, (u, v, i) in enumerate(_arcs(directed, edges, removed)):
        d.add_edge(u, ("arc", k), capacity=edges[i]["cap"])  # own node: parallel arcs stay apart
        d.add_edge(("arc", k), v)
    for s in src:
        d.add_edge("S", s)
    for t in snk:
        d.add_edge(t, "T")
    return nx.maximum_flow_value(d, "S", "T")


def _shortest(directed, n, edges, src, snk, attack, delay):
    dist = [math.inf] * n
    for s in src:
        dist[s] = 0.0
    arcs = _arcs(directed, edges, () if delay is not None else attack)
    for _ in range(n):
        for u, v, i in arcs:
            w = edges[i]["km"] + (delay if edges[i]["id"] in attack else 0.0)
            dist[v] = min(dist[v], dist[u] + w)
    return min(dist[t] for t in snk)


def _attacks(edges, budget, allowed):
    for k in range(len(allowed) + 1):
        for combo in itertools.combinations(allowed, k):
            if sum(edges[i]["cost"] for i in combo) <= budget:
                yield {edges[i]["id"] for i in combo}


def _min_cost(directed, n, edges, src, snk, demand):
    arcs = _arcs(directed, edges)
    m = len(arcs) + len(src) + len(snk)
    a_eq = np.zeros((n + 2, m))  # nodes, then S (n) and T (n + 1): net inflow
    for k, (u, v, _) in enumerate(arcs):
        a_eq[v, k] += 1
        a_eq[u, k] -= 1
    for k, s in enumerate(src, start=len(arcs)):
        a_eq[s, k], a_eq[n, k] = 1, -1
    for k, t in enumerate(snk, start=len(arcs) + len(src)):
        a_eq[n + 1, k], a_eq[t, k] = 1, -1
    b = np.zeros(n + 2)
    b[n], b[n + 1] = -demand, demand
    c = [edges[i]["loss"] for _, _, i in arcs] + [0.0] * (len(src) + len(snk))
    bounds = [(0, edges[i]["cap"]) for _, _, i in arcs] + [(0, None)] * (len(src) + len(snk))
    res = linprog(c, A_eq=a_eq, b_eq=b, bounds=bounds, method="highs")
    assert res.status == 0
    return res.fun


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_model_equals_brute_force(case):
    directed, n, edges, src, snk, budget = case
    g = _graph(directed, n, edges)
    kw = {"sources": src, "sink": snk}
    everything = range(len(edges))

    flow = min(_max_flow(directed, edges, src, snk, a) for a in _attacks(edges, budget, everything))
    r = max_flow_interdiction(g, budget, **kw)
    assert r.objective == pytest.approx(flow, abs=1e-6)
    assert r.check.ok
    assert _max_flow(directed, edges, src, snk, set(r.attack)) == pytest.approx(flow, abs=1e-6)
    for seg in r.attack:  # minimal: every segment of the reported attack is needed
        assert _max_flow(directed, edges, src, snk, set(r.attack) - {seg}) > flow + 1e-9

    best = -math.inf
    for i in everything:  # one escort: the best defence against the attacker's best reply
        allowed = [j for j in everything if j != i]
        worst = min(_max_flow(directed, edges, src, snk, a)
                    for a in _attacks(edges, budget, allowed))
        best = max(best, worst)
    esc = escort_placement(g, 1, budget, **kw)
    assert esc.objective == pytest.approx(best, abs=1e-6) and esc.check.ok

    if _shortest(directed, n, edges, src, snk, set(), None) < math.inf:
        for delay in (None, 3.0):
            value = max(_shortest(directed, n, edges, src, snk, a, delay)
                        for a in _attacks(edges, budget, everything))
            sp = shortest_path_interdiction(g, budget, delay=delay, **kw)
            assert sp.objective == pytest.approx(value, abs=1e-6)
            assert sp.check.ok

    demand = _max_flow(directed, edges, src, snk, set()) / 2
    route = risk_aware_routing(g, demand, time_weight=0.0, **kw)
    assert route.objective == pytest.approx(_min_cost(directed, n, edges, src, snk, demand),
                                            abs=1e-6)
    assert route.check.ok
