"""Shortest-path interdiction against hand-derived optima and brute force."""

import math

import networkx as nx
import pytest

from siegeline.planning import (
    best_route,
    brute_force_shortest_path_interdiction,
    planning_graph,
    road_like_graph,
    shortest_path_interdiction,
)
from siegeline.planning.graphs import edges_by_label


@pytest.fixture
def kite():
    """s-a 1, a-t 1, s-b 2, b-t 2, a-b 1 (undirected). Shortest s-t route: s-a-t = 2.

    Closure, budget 1: closing s-a leaves s-b-t = 4 (s-b-a-t = 4 too); closing a-t leaves
    s-a-b-t = 4; closing s-b, b-t or a-b leaves s-a-t = 2. Optimum 4.
    Closure, budget 2: closing both edges at s (s-a, s-b) or at t (a-t, b-t) disconnects t.
    Delay +3, budget 1: delaying s-a gives min(4+1, 4, 4+1+2) = 4; delaying a-t gives
    min(1+4, 1+1+2, 4) = 4. Optimum 4.
    Delay +3, budget 2: delaying s-a and s-b gives min(s-a-t 5, s-b-t 7, s-a-b-t 8) = 5;
    any pair leaves some route of length <= 5, e.g. s-a & a-t: s-b-t = 4. Optimum 5.
    """
    g = nx.Graph()
    for u, v, c in [("s", "a", 1), ("a", "t", 1), ("s", "b", 2), ("b", "t", 2), ("a", "b", 1)]:
        g.add_edge(u, v, length_km=c)
    return g


@pytest.mark.parametrize(
    ("budget", "delay", "expected"),
    [(0, None, 2.0), (1, None, 4.0), (2, None, math.inf), (1, 3.0, 4.0), (2, 3.0, 5.0)],
)
def test_kite_hand_derived(kite, budget, delay, expected):
    r = shortest_path_interdiction(kite, budget, sources=["s"], sink="t", delay=delay)
    assert r.status == "Optimal"
    assert r.objective == expected
    assert r.baseline == pytest.approx(2.0)
    assert r.check.ok and r.check.brute_force_value == expected
    if math.isinf(expected):
        assert r.details["disconnected"] and r.details["route"] == []
    else:
        delays = None if delay is None else dict.fromkeys(edges_by_label(kite), delay)
        length, route = best_route(kite, r.attack, sources=["s"], sink="t", delays=delays)
        assert length == pytest.approx(expected) and route == r.details["route"]


@pytest.mark.parametrize("seed", [5, 6, 7])
@pytest.mark.parametrize("delay", [None, 60.0])
def test_random_networks_match_brute_force(seed, delay):
    g = road_like_graph(10, seed=seed, n_ports=2)
    for budget in (1, 2):
        r = shortest_path_interdiction(g, budget, delay=delay)
        bf, _, _ = brute_force_shortest_path_interdiction(g, budget, delay=delay)
        assert r.objective == pytest.approx(bf, rel=1e-6)
        assert r.check.ok


def test_scenario_risk_route(bamako):
    g = planning_graph(bamako)
    r = shortest_path_interdiction(g, 1, weight="risk")
    assert r.check.ok and r.check.brute_force_value is not None
    # independent: the safest route's survival is the product of its segments' survival
    route = r.details["route"]
    risk = {d["id"]: d["risk"] for _, _, d in g.edges(data=True)}
    survival = math.prod(math.exp(-risk[s]) for s in r.details["route_segments"])
    assert len(r.details["route_segments"]) == len(route) - 1
    assert r.details["survival"] == pytest.approx(survival)
    assert r.objective >= r.baseline
    assert route[0] in g.graph["ports"] and route[-1] == "bamako"


def test_unreachable_sink_is_an_error(kite):
    kite.add_node("island")
    with pytest.raises(ValueError, match="cannot be reached"):
        shortest_path_interdiction(kite, 1, sources=["s"], sink="island")
