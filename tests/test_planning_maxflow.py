"""Max-flow interdiction against textbook values, hand-derived optima and brute force."""

import dataclasses
import json
import math

import networkx as nx
import pytest

from siegeline.planning import (
    brute_force_max_flow_interdiction,
    interdiction_curve,
    max_flow_after,
    max_flow_interdiction,
    planning_graph,
    road_like_graph,
)


@pytest.fixture
def clrs():
    """CLRS (3rd ed.) Figure 26.1: maximum flow 23, minimum cut {v1v3, v4v3, v4t}."""
    g = nx.DiGraph()
    for u, v, c in [
        ("s", "v1", 16), ("s", "v2", 13), ("v1", "v3", 12), ("v2", "v1", 4), ("v2", "v4", 14),
        ("v3", "v2", 9), ("v3", "t", 20), ("v4", "v3", 7), ("v4", "t", 4),
    ]:  # fmt: skip
        g.add_edge(u, v, capacity=c)
    return g


# Hand derivation: an attack of one arc leaves min over cuts of (cut capacity - its largest arc).
# Cut {v3t, v4t} = 24 loses v3t (20) -> 4; the textbook min cut 23 loses v1v3 (12) -> 11;
# {sv1, sv2} = 29 loses 16 -> 13; every other cut is larger. Two arcs: v3t and v4t are the
# only arcs into t, so the flow can be driven to 0.
@pytest.mark.parametrize(("budget", "expected"), [(0, 23.0), (1, 4.0), (2, 0.0), (5, 0.0)])
def test_clrs_interdiction(clrs, budget, expected):
    r = max_flow_interdiction(clrs, budget, sources=["s"], sink="t", capacity="capacity")
    assert r.status == "Optimal"
    assert r.objective == pytest.approx(expected)
    assert r.bound == pytest.approx(expected)
    assert r.baseline == pytest.approx(23.0)
    assert r.check.ok and r.check.brute_force_value == pytest.approx(expected)
    if budget == 1:
        assert r.attack == ("v3->t",)


def test_costs_steer_the_attack():
    # Two disjoint roads s-a-t (capacity 10) and s-b-t (capacity 6). Cutting a-t costs 5, s-a 3,
    # the others 1. With budget 3 the adversary can cut s-a (3) -> 6 left, or one edge of the
    # small road plus nothing else useful -> 10 left; the optimum is 6. With budget 4 it cuts s-a
    # and one edge of the small road -> 0.
    g = nx.Graph()
    g.add_edge("s", "a", id="sa", capacity_tankers_per_day=10, interdiction_cost=3)
    g.add_edge("a", "t", id="at", capacity_tankers_per_day=10, interdiction_cost=5)
    g.add_edge("s", "b", id="sb", capacity_tankers_per_day=6, interdiction_cost=1)
    g.add_edge("b", "t", id="bt", capacity_tankers_per_day=6, interdiction_cost=1)
    r3 = max_flow_interdiction(g, 3, sources=["s"], sink="t")
    assert r3.objective == pytest.approx(6.0) and r3.attack == ("sa",)
    r4 = max_flow_interdiction(g, 4, sources=["s"], sink="t")
    assert r4.objective == pytest.approx(0.0) and "sa" in r4.attack and len(r4.attack) == 2
    assert r4.details["budget_spent"] == pytest.approx(4.0)
    # a protected segment cannot be cut: the adversary must pay 5 for a-t instead
    r4p = max_flow_interdiction(g, 4, sources=["s"], sink="t", protected=["sa"])
    assert r4p.objective == pytest.approx(10.0)


def test_undirected_segment_is_cut_in_both_directions():
    # Flow can go s-a-b-t or s-b-a-t over the middle road; cutting it once closes both ways.
    g = nx.Graph()
    for u, v, c in [("s", "a", 5), ("s", "b", 1), ("a", "b", 4), ("a", "t", 1), ("b", "t", 5)]:
        g.add_edge(u, v, capacity_tankers_per_day=c)
    assert max_flow_after(g, sources=["s"], sink="t") == pytest.approx(6.0)
    r = max_flow_interdiction(g, 1, sources=["s"], sink="t")
    # cutting a-b leaves s-a-t (1) + s-b-t (1) = 2; cutting s-a leaves 1; cutting b-t leaves 1
    assert r.objective == pytest.approx(1.0)
    assert max_flow_after(g, ["a-b"], sources=["s"], sink="t") == pytest.approx(2.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_networks_match_brute_force(seed):
    g = road_like_graph(9, seed=seed, n_ports=2)
    for i, (_, _, d) in enumerate(g.edges(data=True)):
        d["interdiction_cost"] = 1.0 + (i % 2)  # mixed costs make the knapsack bite
    for budget in (1, 2, 3):
        r = max_flow_interdiction(g, budget)
        bf, _, tried = brute_force_max_flow_interdiction(g, budget)
        assert tried > 1
        assert r.objective == pytest.approx(bf, abs=1e-6)
        assert r.check.ok
        spent = sum(d["interdiction_cost"] for _, _, d in g.edges(data=True) if d["id"] in r.attack)
        assert spent <= budget + 1e-9


def test_scenario_loss_curve(bamako):
    g = planning_graph(bamako)
    curve = interdiction_curve(g, [0, 1, 2, 3])
    df = curve.to_frame()
    assert list(df["max_flow"]) == sorted(df["max_flow"], reverse=True)
    assert df["check_ok"].all()
    # the city has three incoming roads (Kati, Bougouni, Siby); each carries the smaller of its
    # capacity and its branch's border crossings (whose customs clearance caps the road out of
    # the post), and the adversary cuts the largest branches first
    cap = {d["id"]: d["capacity_tankers_per_day"] for _, _, d in g.edges(data=True)}
    branches = {"kati-bamako": ["diboli-kayes", "gogui-nioro"],
                "bougouni-bamako": ["zegoua-sikasso", "kadiana-kolondieba"],
                "siby-bamako": ["kouremale-siby"]}
    carried = sorted((min(cap[road], sum(cap[x] for x in posts))
                      for road, posts in branches.items()), reverse=True)
    assert carried == [170, 170, 60]  # the border posts bind, not the roads into the city
    for budget in range(4):
        assert df["max_flow"].iloc[budget] == pytest.approx(sum(carried[budget:]))
    for r in curve.results:
        assert r.check.brute_force_value is not None


def test_result_is_immutable_and_serialises(clrs):
    r = max_flow_interdiction(clrs, 1, sources=["s"], sink="t", capacity="capacity")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.objective = 0.0
    with pytest.raises(TypeError):
        r.flows["v3->t"] = 1.0
    frame = r.to_frame()
    assert set(frame.columns) >= {"segment", "flow", "attacked", "defended"}
    assert frame.loc[frame.attacked, "segment"].tolist() == ["v3->t"]
    assert frame.loc[frame.segment == "v3->t", "flow"].item() == 0.0
    data = json.loads(json.dumps(r.to_dict()))
    assert data["objective"] == 4.0 and data["check"]["ok"] is True


def test_bad_input_is_rejected(clrs):
    with pytest.raises(ValueError, match="budget"):
        max_flow_interdiction(clrs, -1, sources=["s"], sink="t", capacity="capacity")
    with pytest.raises(ValueError, match="budget"):
        max_flow_interdiction(clrs, math.inf, sources=["s"], sink="t", capacity="capacity")
    with pytest.raises(ValueError, match="not in the graph"):
        max_flow_interdiction(clrs, 1, sources=["nowhere"], sink="t", capacity="capacity")
    with pytest.raises(ValueError, match="protected"):
        max_flow_interdiction(
            clrs, 1, sources=["s"], sink="t", capacity="capacity", protected=["x"]
        )
