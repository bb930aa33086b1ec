"""Risk-aware routing: a hand-solved min-cost flow and agreement with NetworkX."""

import networkx as nx
import pytest

from siegeline.planning import daily_tanker_demand, planning_graph, risk_aware_routing
from siegeline.planning.graphs import road_like_graph


@pytest.fixture
def hand():
    """Ports s1 (supply 50) and s2 (supply 4), city t, demand 20, no time cost.

    Route costs (expected tankers lost per tanker): s1-a-t 0.001 + 0.005 = 0.006 (s1-a carries
    at most 5), s2-a-t 0.010, s1-t 0.020 (capacity 20), s2-a-s1-t 0.026. Filling the cheapest
    first: 5 via s1-a-t, 4 via s2-a-t (all of s2's supply), the other 11 direct s1-t:
    cost = 5 * 0.006 + 4 * 0.010 + 11 * 0.020 = 0.29 tankers/day.
    """
    g = nx.Graph()
    for u, v, loss, cap in [
        ("s1", "t", 0.020, 20),
        ("s1", "a", 0.001, 5),
        ("s2", "a", 0.005, 100),
        ("a", "t", 0.005, 100),
    ]:
        g.add_edge(u, v, id=f"{u}-{v}", loss_per_tanker=loss, capacity_tankers_per_day=cap)
    g.nodes["s1"]["supply_tankers_per_day"] = 50.0
    g.nodes["s2"]["supply_tankers_per_day"] = 4.0
    return g


def test_hand_solved_allocation(hand):
    r = risk_aware_routing(hand, 20, sources=["s1", "s2"], sink="t", time_weight=0.0)
    assert r.status == "Optimal"
    assert r.objective == pytest.approx(0.29)
    assert r.details["expected_loss"] == pytest.approx(0.29)
    assert dict(r.flows) == pytest.approx({"s1-t": 11.0, "s1-a": 5.0, "s2-a": 4.0, "a-t": 9.0})
    assert r.details["port_outflow"] == pytest.approx({"s1": 16.0, "s2": 4.0})
    assert r.check.ok
    routes = {tuple(x["path"]): x["tankers_per_day"] for x in r.details["routes"]}
    assert routes == pytest.approx(
        {("s1", "t"): 11.0, ("s1", "a", "t"): 5.0, ("s2", "a", "t"): 4.0}
    )


def test_demand_beyond_capacity_is_refused(hand):
    with pytest.raises(ValueError, match="exceeds"):
        risk_aware_routing(hand, 60, sources=["s1", "s2"], sink="t")


def test_scenario_allocation(bamako):
    g = planning_graph(bamako)
    r = risk_aware_routing(g)
    demand = daily_tanker_demand(bamako)
    assert r.details["demand"] == pytest.approx(demand)
    assert r.check.ok
    # every tanker leaves a port within its loading capacity and arrives in the city
    out = r.details["port_outflow"]
    assert sum(out.values()) == pytest.approx(demand)
    for port, sent in out.items():
        assert sent <= g.nodes[port]["supply_tankers_per_day"] + 1e-6
    routed = sum(x["tankers_per_day"] for x in r.details["routes"])
    assert routed == pytest.approx(demand)
    # the optimum can be no worse than following the scenario's order shares
    assert r.details["expected_loss"] <= r.details["reference_loss"] + 1e-9
    per_route = sum(x["expected_loss"] for x in r.details["routes"])
    assert per_route == pytest.approx(r.details["expected_loss"], rel=1e-6)


@pytest.mark.parametrize("seed", [21, 22])
def test_random_network_agrees_with_networkx(seed):
    g = road_like_graph(80, seed=seed)
    r = risk_aware_routing(g, 120.0)
    assert r.check.ok
    assert r.check.value == pytest.approx(r.objective, rel=1e-6)
