"""Defender-attacker-defender escort placement against hand-derived optima and enumeration."""

import pytest

from siegeline.planning import (
    enumerate_escort_placement,
    escort_placement,
    planning_graph,
    road_like_graph,
)


@pytest.fixture
def two_roads():
    """Road 1 s-a-t (capacity 10 each), road 2 s-b-t (capacity 5 each); adversary budget 1.

    No escorts: the adversary cuts road 1 -> 5. One escort: protecting one edge of road 1
    leaves the other to cut (5); protecting road 2 changes nothing (5): still 5. Two escorts
    on both edges of road 1: the adversary can only cut road 2 -> 10. Greedy placement (one
    escort at a time) cannot find this, the decomposition must.
    """
    import networkx as nx

    g = nx.Graph()
    for u, v, c in [("s", "a", 10), ("a", "t", 10), ("s", "b", 5), ("b", "t", 5)]:
        g.add_edge(u, v, id=f"{u}-{v}", capacity_tankers_per_day=c)
    return g


@pytest.mark.parametrize(("k", "expected"), [(0, 5.0), (1, 5.0), (2, 10.0), (4, 15.0)])
def test_two_roads(two_roads, k, expected):
    r = escort_placement(two_roads, k, 1, sources=["s"], sink="t")
    assert r.status == "Optimal"
    assert r.objective == pytest.approx(expected)
    assert r.bound == pytest.approx(expected, abs=1e-5)
    assert r.baseline == pytest.approx(5.0)
    assert len(r.defence) == min(k, 4)
    assert not set(r.attack) & set(r.defence)
    assert r.check.ok and r.check.brute_force_value == pytest.approx(expected)
    if k == 2:
        assert set(r.defence) == {"s-a", "a-t"}


@pytest.mark.parametrize(("seed", "k", "budget"), [(11, 1, 1), (12, 2, 1), (13, 1, 2), (14, 2, 2)])
def test_random_networks_match_enumeration(seed, k, budget):
    g = road_like_graph(7, seed=seed, n_ports=2)
    r = escort_placement(g, k, budget, brute_force_limit=100_000)
    assert r.status == "Optimal"
    assert r.check.brute_force_value is not None
    assert r.objective == pytest.approx(r.check.brute_force_value, abs=1e-6)
    assert r.check.ok
    # history: the lower bound never falls, the upper bound never rises
    hist = r.details["history"]
    assert all(
        a[1] <= b[1] + 1e-9 and a[2] >= b[2] - 1e-9 for a, b in zip(hist, hist[1:], strict=False)
    )


def test_scenario_matches_defence_enumeration(bamako):
    g = planning_graph(bamako)
    r = escort_placement(g, 1, 2)
    best, _, tried = enumerate_escort_placement(g, 1, 2)  # every defence, MILP attacker
    assert tried == g.number_of_edges()
    assert r.objective == pytest.approx(best)
    assert r.objective >= r.baseline
    assert r.check.matches


def test_candidates_restrict_the_defence(two_roads):
    r = escort_placement(two_roads, 2, 1, sources=["s"], sink="t", candidates=["s-b", "b-t"])
    assert set(r.defence) == {"s-b", "b-t"}
    assert r.objective == pytest.approx(5.0)
    with pytest.raises(ValueError, match="candidate"):
        escort_placement(two_roads, 1, 1, sources=["s"], sink="t", candidates=["x"])
