"""Planning on any network: parallel segments, one-way arcs, several sources and sinks, and the
re-check that must say when the solver is wrong."""

import math

import networkx as nx
import pytest

from siegeline.planning import (
    Check,
    brute_force_shortest_path_interdiction,
    escort_placement,
    max_flow_after,
    max_flow_interdiction,
    planning_graph,
    risk_aware_routing,
    shortest_path_interdiction,
)
from siegeline.scenario.loader import load_scenario
from siegeline.scenario.schema import central_value


@pytest.fixture
def parallel():
    """Two roads between the same towns, 10 and 5 tankers/day."""
    g = nx.MultiGraph()
    g.add_edge("port", "city", id="big", capacity_tankers_per_day=10.0)
    g.add_edge("port", "city", id="small", capacity_tankers_per_day=5.0)
    return g


@pytest.mark.parametrize("graph_type", [nx.MultiGraph, nx.MultiDiGraph])
@pytest.mark.parametrize(("budget", "expected", "attack"), [(0, 15.0, ()), (1, 5.0, ("big",)),
                                                            (2, 0.0, ("big", "small"))])
def test_parallel_roads_both_count(graph_type, budget, expected, attack):
    g = graph_type()
    g.add_edge("port", "city", id="big", capacity_tankers_per_day=10.0)
    g.add_edge("port", "city", id="small", capacity_tankers_per_day=5.0)
    r = max_flow_interdiction(g, budget, sources=["port"], sink="city")
    assert r.baseline == pytest.approx(15.0)
    assert r.objective == pytest.approx(expected)
    assert sorted(r.attack) == sorted(attack)
    assert r.check.ok and r.check.brute_force_value == pytest.approx(expected)


def test_parallel_roads_without_ids_get_keyed_labels():
    g = nx.MultiGraph()
    g.add_edge("s", "t", capacity_tankers_per_day=10.0)
    g.add_edge("s", "t", capacity_tankers_per_day=5.0)
    r = max_flow_interdiction(g, 1, sources=["s"], sink="t")
    assert set(r.flows) == {"s-t", "s-t#1"} and r.attack == ("s-t",)
    assert r.objective == pytest.approx(5.0)


def test_parallel_escort_and_routing(parallel):
    # the adversary cuts the big road unless it is escorted; then it can only cut the small one
    r = escort_placement(parallel, 1, 1, sources=["port"], sink="city")
    assert r.defence == ("big",) and r.attack == ("small",)
    assert r.objective == pytest.approx(10.0) and r.baseline == pytest.approx(5.0)
    assert r.check.ok
    # routing: 8 tankers/day, the safer road (capacity 5) filled first
    for _, _, d in parallel.edges(data=True):
        d["loss_per_tanker"] = 0.01 if d["id"] == "small" else 0.02
    route = risk_aware_routing(parallel, 8, sources=["port"], sink="city", time_weight=0.0)
    assert dict(route.flows) == pytest.approx({"big": 3.0, "small": 5.0})
    assert route.objective == pytest.approx(5 * 0.01 + 3 * 0.02)
    assert route.check.ok
    assert {tuple(x["segments"]): x["tankers_per_day"] for x in route.details["routes"]} == (
        pytest.approx({("small",): 5.0, ("big",): 3.0}))


def test_scenario_parallel_segment_adds_capacity():
    """A second road beside an existing segment of the packaged scenario adds its capacity: the
    max flow equals NetworkX's on a simple graph where that pair's capacity is the sum."""
    sc = load_scenario("bamako-2025")
    first = sc.segments[0]
    twin = first.model_copy(update={"id": first.id + "-bis", "capacity_tankers_per_day": 77.0})
    sc2 = sc.model_copy(update={"segments": [*sc.segments, twin]})
    g = planning_graph(sc2)
    assert g.number_of_edges() == len(sc.segments) + 1
    simple = nx.DiGraph()
    for s in sc.segments:
        cap = central_value(s.capacity_tankers_per_day) + (77.0 if s.id == first.id else 0.0)
        simple.add_edge(s.a, s.b, capacity=cap)
        simple.add_edge(s.b, s.a, capacity=cap)
    for p in g.graph["ports"]:
        simple.add_edge("S", p)
    truth = nx.maximum_flow_value(simple, "S", sc.city.node)
    assert max_flow_after(g) == pytest.approx(truth)


def test_scenario_one_way_segment_makes_a_directed_graph():
    sc = load_scenario("bamako-2025")
    last = next(s for s in sc.segments if sc.city.node in (s.a, s.b))
    into_city = last.model_copy(update={"oneway": True, "a": last.b, "b": last.a}
                                if last.a == sc.city.node else {"oneway": True})
    out_of_city = last.model_copy(update={"oneway": True, "a": into_city.b, "b": into_city.a})
    keep = [s for s in sc.segments if s.id != last.id]
    g_in = planning_graph(sc.model_copy(update={"segments": [*keep, into_city]}))
    g_out = planning_graph(sc.model_copy(update={"segments": [*keep, out_of_city]}))
    assert g_in.is_directed() and g_in.is_multigraph()
    # two-way segments are two arcs sharing their id
    assert g_in.number_of_edges() == 2 * len(keep) + 1
    both = max_flow_after(planning_graph(sc))
    assert max_flow_after(g_in) == pytest.approx(both)
    # a one-way road out of the city carries nothing into it
    lost = max_flow_after(planning_graph(sc), [last.id])
    assert max_flow_after(g_out) == pytest.approx(lost)
    # a corridor driven against the one-way road is an error, not a silent loss figure
    with pytest.raises(ValueError, match="no segment in that direction"):
        risk_aware_routing(g_out)
    assert risk_aware_routing(g_in).check.ok


@pytest.fixture
def one_way_kite():
    """s->a 1, a->t 1, s->b 2, b->t 2 and a one-way shortcut b->a of 0.5.

    Closure: no attack 2 (s-a-t). One cut: cutting a->t leaves s-b-t = 4 (the shortcut leads
    only into a, which cannot reach t); cutting s->a leaves s-b-a-t = 3.5; cutting b->t leaves
    2: the answer is 4. Two cuts (a->t, b->t): t is cut off, inf. A delay of +3: one delay on
    a->t gives min(s-a-t 5, s-b-t 4, s-b-a-t 6.5) = 4, on s->a min(4, 3.5) = 3.5: answer 4;
    two delays on a->t and b->t give min(5, 5, 6.5) = 5 (the best pair).
    Undirected, a-t cut would leave s-a-b-t = 3.5: the one-way arc changes the answer.
    """
    g = nx.DiGraph()
    for u, v, w in [("s", "a", 1), ("a", "t", 1), ("s", "b", 2), ("b", "t", 2), ("b", "a", 0.5)]:
        g.add_edge(u, v, length_km=float(w))
    return g


@pytest.mark.parametrize(
    ("budget", "delay", "expected"),
    [(0, None, 2.0), (1, None, 4.0), (2, None, math.inf), (1, 3.0, 4.0), (2, 3.0, 5.0)],
)
def test_directed_shortest_path_interdiction(one_way_kite, budget, delay, expected):
    r = shortest_path_interdiction(one_way_kite, budget, sources=["s"], sink="t", delay=delay)
    assert r.status == "Optimal"
    assert r.objective == pytest.approx(expected)
    assert r.baseline == pytest.approx(2.0)
    assert r.check.ok
    assert r.check.brute_force_value == pytest.approx(expected)
    if budget == 1 and delay is None:
        assert r.attack == ("a->t",) and r.details["route"] == ["s", "b", "t"]


def test_undirected_kite_differs(one_way_kite):
    r = shortest_path_interdiction(one_way_kite.to_undirected(), 1, sources=["s"], sink="t")
    assert r.objective == pytest.approx(3.5) and r.check.ok


def test_two_way_segment_in_a_directed_graph_is_cut_once():
    """Opposite arcs sharing an id are one road: one cut closes both, at one cost."""
    g = nx.MultiDiGraph()
    g.add_edge("s", "m", id="road", length_km=1.0, capacity_tankers_per_day=4.0)
    g.add_edge("m", "s", id="road", length_km=1.0, capacity_tankers_per_day=4.0)
    g.add_edge("m", "t", id="last", length_km=1.0, capacity_tankers_per_day=9.0)
    g.add_edge("s", "t", id="long", length_km=5.0, capacity_tankers_per_day=1.0)
    r = max_flow_interdiction(g, 1, sources=["s"], sink="t")
    assert r.objective == pytest.approx(1.0) and r.check.ok
    sp = shortest_path_interdiction(g, 1, sources=["s"], sink="t")
    assert sp.objective == pytest.approx(5.0) and sp.check.ok
    g.add_edge("t", "m", id="road", length_km=1.0, capacity_tankers_per_day=4.0)
    with pytest.raises(ValueError, match="two directions of one road"):
        max_flow_interdiction(g, 1, sources=["s"], sink="t")


def test_several_sources_and_sinks():
    """Ports p1, p2; two cities c1, c2. p1-c1 6, p2-c2 3, p1-x 5, x-c2 4."""
    g = nx.Graph()
    for u, v, c, km in [("p1", "c1", 6, 50), ("p2", "c2", 3, 10), ("p1", "x", 5, 1),
                        ("x", "c2", 4, 1)]:
        g.add_edge(u, v, capacity_tankers_per_day=float(c), length_km=float(km))
    kw = {"sources": ["p1", "p2"], "sink": ["c1", "c2"]}
    assert max_flow_after(g, **kw) == pytest.approx(13.0)
    r = max_flow_interdiction(g, 1, **kw)
    assert r.objective == pytest.approx(7.0) and r.attack == ("p1-c1",) and r.check.ok
    assert r.details["sinks"] == ["c1", "c2"]
    sp = shortest_path_interdiction(g, 1, **kw)
    # nearest sink: p1-x-c2 = 2; cutting x-c2 leaves p2-c2 = 10; cutting p2-c2 leaves 2
    assert sp.objective == pytest.approx(10.0) and sp.check.ok
    route = risk_aware_routing(g, 12, loss="length_km", time_weight=0.0, **kw)
    assert sum(route.details["port_outflow"].values()) == pytest.approx(12.0)
    assert route.check.ok
    with pytest.raises(ValueError, match="sink cannot also be a source"):
        max_flow_after(g, sources=["p1"], sink=["p1", "c1"])


def test_check_is_not_ok_when_solver_and_recheck_disagree():
    assert not Check(method="m", value=5.0, matches=False).ok
    assert not Check(method="m", value=5.0, matches=True, brute_force_value=4.0).ok
    assert not Check(method="m", value=5.0, matches=False, brute_force_value=5.0).ok
    assert Check(method="m", value=5.0, matches=True, brute_force_value=5.0).ok
    assert Check(method="m", value=math.inf, matches=True, brute_force_value=math.inf).ok


def test_brute_force_is_independent_of_the_milp(one_way_kite):
    # brute force alone on the directed kite: the hand-derived 4 with one closure
    value, attack, tried = brute_force_shortest_path_interdiction(
        one_way_kite, 1, sources=["s"], sink="t")
    assert value == pytest.approx(4.0) and attack == ("a->t",) and tried == 6


def test_node_capacity_is_a_segment_the_adversary_can_close():
    """Border post b clears 6 tankers/day: s-b-t (roads of 10) carries 6, s-t 3 more: 9.
    The roads to the post cost 2 to cut, the post and s-t 1. Budget 1: closing the post leaves
    3, cutting s-t leaves 6. Shortest route s-b-t = 2; closing the post forces s-t = 5."""
    g = nx.Graph()
    for u, v, c, km, cost in [("s", "b", 10, 1, 2), ("b", "t", 10, 1, 2), ("s", "t", 3, 5, 1)]:
        g.add_edge(u, v, id=f"{u}{v}", capacity_tankers_per_day=float(c), length_km=float(km),
                   loss_per_tanker=0.0, interdiction_cost=float(cost))
    g.nodes["b"]["capacity_tankers_per_day"] = 6.0
    kw = {"sources": ["s"], "sink": "t"}
    assert max_flow_after(g, **kw) == pytest.approx(9.0)
    r = max_flow_interdiction(g, 1, **kw)
    assert r.objective == pytest.approx(3.0) and r.attack == ("node:b",) and r.check.ok
    assert r.flows["node:b"] == pytest.approx(0.0) and r.flows["st"] == pytest.approx(3.0)
    sp = shortest_path_interdiction(g, 1, **kw)
    assert sp.baseline == pytest.approx(2.0) and sp.objective == pytest.approx(5.0)
    assert sp.attack == ("node:b",) and sp.check.ok
    route = risk_aware_routing(g, 8, time_weight=0.0, **kw)
    assert route.flows["node:b"] <= 6.0 + 1e-9 and route.check.ok
    paths = {tuple(x["path"]): x["segments"] for x in route.details["routes"]}
    assert paths.get(("s", "b", "t")) in (None, ["sb", "bt"])
