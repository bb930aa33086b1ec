"""Property test: on random small multigraphs, directed and undirected, with several sources and
sinks and some node capacities, every planning model equals a brute force written here from the
edge list alone (its own split-node arc list, max-flow network, Bellman-Ford and SciPy LP),
independent of the models' arc network."""

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
    items = [
        {"u": u, "v": v, "id": f"e{i}", "cap": draw(st.integers(0, 9)),
         "km": draw(st.integers(0, 9)), "cost": draw(st.sampled_from([1, 2])),
         "loss": draw(st.integers(0, 9)) / 100}
        for i, (u, v) in enumerate(ends)
    ]
    for node in range(n):  # a node capacity (border post, depot) on about one node in five
        cap = draw(st.one_of(st.none(), st.none(), st.none(), st.none(), st.integers(0, 9)))
        if cap is not None:
            items.append({"node": node, "id": f"node:{node}", "cap": cap, "km": 0, "cost": 1,
                          "loss": 0.0})
    nodes = draw(st.permutations(range(n)))
    n_src = draw(st.integers(1, n - 2))
    n_snk = draw(st.integers(1, min(2, n - n_src)))
    src, snk = list(nodes[:n_src]), list(nodes[n_src:n_src + n_snk])
    budget = draw(st.integers(0, 2))
    return directed, n, items, src, snk, budget


def _graph(directed, n, items):
    g = nx.MultiDiGraph() if directed else nx.MultiGraph()
    g.add_nodes_from(range(n))
    for e in items:
        if "node" in e:
            g.nodes[e["node"]]["capacity_tankers_per_day"] = float(e["cap"])
            continue
        g.add_edge(e["u"], e["v"], id=e["id"], capacity_tankers_per_day=float(e["cap"]),
                   length_km=float(e["km"]), interdiction_cost=float(e["cost"]),
                   loss_per_tanker=e["loss"])
    return g


class Split:
    """The instance as arcs between node halves: ("in", n) and ("out", n), the same node
    where n has no capacity; a node with one gets an arc in -> out."""

    def __init__(self, directed, items, src, snk):
        capped = {e["node"] for e in items if "node" in e}
        self.entry = lambda n: ("in", n) if n in capped else n
        self.exit = lambda n: ("out", n) if n in capped else n
        self.arcs = []  # (tail, head, item index)
        for i, e in enumerate(items):
            if "node" in e:
                self.arcs.append((("in", e["node"]), ("out", e["node"]), i))
                continue
            self.arcs.append((self.exit(e["u"]), self.entry(e["v"]), i))
            if not directed:
                self.arcs.append((self.exit(e["v"]), self.entry(e["u"]), i))
        self.items, self.src, self.snk = items, src, snk

    def max_flow(self, removed):
        d = nx.DiGraph()
        d.add_nodes_from(["S", "T"])
        for k, (u, v, i) in enumerate(self.arcs):
            if self.items[i]["id"] not in removed:  # own node: parallel arcs stay apart
                d.add_edge(u, ("arc", k), capacity=self.items[i]["cap"])
                d.add_edge(("arc", k), v)
        for s in self.src:
            d.add_edge("S", self.entry(s))
        for t in self.snk:
            d.add_edge(self.exit(t), "T")
        return nx.maximum_flow_value(d, "S", "T")

    def shortest(self, attack, delay):
        dist = {self.entry(s): 0.0 for s in self.src}
        for _ in range(2 * len(self.arcs) + 2):
            for u, v, i in self.arcs:
                hit = self.items[i]["id"] in attack
                if u not in dist or (hit and delay is None):
                    continue
                w = dist[u] + self.items[i]["km"] + (delay if hit else 0.0)
                dist[v] = min(dist.get(v, math.inf), w)
        return min(dist.get(self.exit(t), math.inf) for t in self.snk)

    def min_cost(self, demand):
        names = sorted({x for u, v, _ in self.arcs for x in (u, v)} | set(
            [self.entry(s) for s in self.src] + [self.exit(t) for t in self.snk]), key=str)
        row = {x: r for r, x in enumerate(names)}
        s_row, t_row = len(names), len(names) + 1
        cols = [(row[u], row[v], self.items[i]["cap"], self.items[i]["loss"])
                for u, v, i in self.arcs]
        cols += [(s_row, row[self.entry(s)], None, 0.0) for s in self.src]
        cols += [(row[self.exit(t)], t_row, None, 0.0) for t in self.snk]
        a_eq = np.zeros((len(names) + 2, len(cols)))  # net inflow per node
        for k, (u, v, _, _) in enumerate(cols):
            a_eq[v, k] += 1
            a_eq[u, k] -= 1
        b = np.zeros(len(names) + 2)
        b[s_row], b[t_row] = -demand, demand
        res = linprog([c[3] for c in cols], A_eq=a_eq, b_eq=b,
                      bounds=[(0, c[2]) for c in cols], method="highs")
        assert res.status == 0
        return res.fun


def _attacks(items, budget, allowed):
    for k in range(len(allowed) + 1):
        for combo in itertools.combinations(allowed, k):
            if sum(items[i]["cost"] for i in combo) <= budget:
                yield {items[i]["id"] for i in combo}


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_model_equals_brute_force(case):
    directed, n, items, src, snk, budget = case
    g = _graph(directed, n, items)
    ref = Split(directed, items, src, snk)
    kw = {"sources": src, "sink": snk}
    everything = range(len(items))

    flow = min(ref.max_flow(a) for a in _attacks(items, budget, everything))
    r = max_flow_interdiction(g, budget, **kw)
    assert r.objective == pytest.approx(flow, abs=1e-6)
    assert r.check.ok
    assert ref.max_flow(set(r.attack)) == pytest.approx(flow, abs=1e-6)
    for seg in r.attack:  # minimal: every segment of the reported attack is needed
        assert ref.max_flow(set(r.attack) - {seg}) > flow + 1e-9

    best = -math.inf
    for i in everything:  # one escort: the best defence against the attacker's best reply
        allowed = [j for j in everything if j != i]
        best = max(best, min(ref.max_flow(a) for a in _attacks(items, budget, allowed)))
    esc = escort_placement(g, 1, budget, **kw)
    assert esc.objective == pytest.approx(best, abs=1e-6) and esc.check.ok

    if ref.shortest(set(), None) < math.inf:
        for delay in (None, 3.0):
            value = max(ref.shortest(a, delay) for a in _attacks(items, budget, everything))
            sp = shortest_path_interdiction(g, budget, delay=delay, **kw)
            assert sp.objective == pytest.approx(value, abs=1e-6)
            assert sp.check.ok

    demand = ref.max_flow(set()) / 2
    route = risk_aware_routing(g, demand, time_weight=0.0, **kw)
    assert route.objective == pytest.approx(ref.min_cost(demand), abs=1e-6)
    assert route.check.ok


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=12, max_size=12))
def test_stochastic_interdiction_equals_exact_brute_force(case, chances):
    """Stochastic max-flow interdiction over the exact distribution of the successes equals
    every affordable attack's expectation enumerated here (2^k outcomes each); with every
    chance 1 it is Wood's deterministic answer, the first test's brute force."""
    from siegeline.planning.stochastic import saa_interdiction, success_outcomes

    directed, n, items, src, snk, budget = case
    g = _graph(directed, n, items)
    p = {e["id"]: chances[i] for i, e in enumerate(items)}
    for _, _, d in g.edges(data=True):
        d["success_probability"] = p[d["id"]]
    for node, d in g.nodes(data=True):
        d["success_probability"] = p.get(f"node:{node}", 0.0)
    ref = Split(directed, items, src, snk)
    kw = {"sources": src, "sink": snk}

    def expected(attack):
        out = 0.0
        for hits in itertools.product((False, True), repeat=len(attack)):
            w = math.prod(p[a] if h else 1 - p[a] for a, h in zip(attack, hits, strict=True))
            out += w * ref.max_flow({a for a, h in zip(attack, hits, strict=True) if h})
        return out

    value = min(expected(sorted(a)) for a in _attacks(items, budget, range(len(items))))
    r = saa_interdiction(g, budget, success_outcomes(g, **kw), **kw)
    assert r.objective == pytest.approx(value, abs=1e-6) and r.check.ok
    assert expected(list(r.attack)) == pytest.approx(value, abs=1e-6)
    for _, _, d in g.edges(data=True):
        d["success_probability"] = 1.0
    for _, d in g.nodes(data=True):
        d["success_probability"] = 1.0
    wood = max_flow_interdiction(g, budget, **kw)
    certain = saa_interdiction(g, budget, success_outcomes(g, **kw), **kw)
    assert certain.objective == pytest.approx(wood.objective, abs=1e-6)
