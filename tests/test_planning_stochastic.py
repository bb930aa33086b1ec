"""Stochastic max-flow interdiction (Cormican, Morton & Wood 1998): the SAA MILP against exact
expectations enumerated by brute force, its reduction to Wood's model, and the default
scenario."""

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from siegeline.planning import max_flow_interdiction, planning_graph, road_like_graph
from siegeline.planning.stochastic import (
    brute_force_stochastic_interdiction,
    exact_expected_flow,
    saa_interdiction,
    scenario_successes,
    stochastic_interdiction,
    success_outcomes,
)
from siegeline.scenario.loader import load_scenario


def _two_branches() -> nx.MultiGraph:
    """Two branches into the city t: s-a-t (10 tankers/day; a-t certain to fall, s-a never)
    and s-b-t (8 tankers/day; both roads fall with probability 0.5). Budget 1: cutting a-t
    leaves 8 for sure; cutting a road of the other branch leaves 10 + 8/2 = 14."""
    g = nx.MultiGraph(city="t", ports=["s"])
    for u, v, cap, p in (("s", "a", 10, 0.0), ("a", "t", 10, 1.0), ("s", "b", 8, 0.5),
                         ("b", "t", 8, 0.5)):
        g.add_edge(u, v, id=f"{u}{v}", capacity_tankers_per_day=float(cap),
                   success_probability=p)
    return g


def test_hand_solved_two_branches_and_the_success_term_on_the_right_arcs() -> None:
    g = _two_branches()
    r = saa_interdiction(g, 1, success_outcomes(g))
    assert r.attack == ("at",) and r.objective == pytest.approx(8.0) and r.check.ok
    # swap where the attacks succeed: a-t never, s-a surely; the optimum moves with them
    for u, v, k in list(g.edges(keys=True)):
        d = g.edges[u, v, k]
        d["success_probability"] = {"sa": 1.0, "at": 0.0}.get(d["id"], d["success_probability"])
    r = saa_interdiction(g, 1, success_outcomes(g))
    assert r.attack == ("sa",) and r.objective == pytest.approx(8.0)
    # budget 2 on the uncertain branch: both roads in series, 8 * 0.25 = 2 left -> 10 + 2
    assert exact_expected_flow(g, ["sb", "bt"]) == pytest.approx(12.0)
    r = saa_interdiction(g, 2, success_outcomes(g))  # s-a surely, and half of the 8
    assert set(r.attack) in ({"sa", "sb"}, {"sa", "bt"}) and r.objective == pytest.approx(4.0)
    assert r.objective == pytest.approx(brute_force_stochastic_interdiction(g, 2)[0])


def _random_graph(seed: int) -> nx.Graph:
    g = road_like_graph(7, seed=seed, n_ports=2)
    rng = np.random.default_rng(seed)
    for _, _, d in g.edges(data=True):
        d["success_probability"] = float(rng.choice([0.0, 0.3, 0.7, 1.0]))
    return g


@pytest.mark.parametrize("seed", range(4))
def test_milp_over_the_exact_distribution_equals_brute_force(seed: int) -> None:
    """With every outcome of the uncertain attempts weighted by its probability, the MILP's
    optimum is the exact stochastic optimum, which brute force finds by enumerating every
    budget-k attack and its 2^k outcomes."""
    g = _random_graph(seed)
    outcomes = success_outcomes(g)
    for budget in (1, 2):
        value, _ = brute_force_stochastic_interdiction(g, budget)
        r = saa_interdiction(g, budget, outcomes)
        assert r.objective == pytest.approx(value, abs=1e-6)
        assert exact_expected_flow(g, r.attack) == pytest.approx(value, abs=1e-6)
        assert r.check.ok


def test_saa_with_many_samples_finds_the_exact_optimum() -> None:
    g = _random_graph(5)
    value, attack = brute_force_stochastic_interdiction(g, 2)
    r = stochastic_interdiction(g, 2, samples=400, batches=3, evaluation_samples=4000, seed=3)
    assert exact_expected_flow(g, r.attack) == pytest.approx(value, rel=0.02)
    low, high = r.details["expected_max_flow"]["ci95"]
    assert low - 0.5 <= exact_expected_flow(g, r.attack) <= high + 0.5
    assert r.details["lower_bound"]["ci95"][0] <= value  # the batches' optima: biased low
    assert r.check.ok


@pytest.mark.parametrize("directed", [False, True])
def test_certain_success_is_woods_model_on_multigraphs(directed: bool) -> None:
    rng = np.random.default_rng(7 + directed)
    for _ in range(6):
        g = nx.MultiDiGraph() if directed else nx.MultiGraph()
        g.add_nodes_from(range(5))
        for i in range(8):
            u, v = rng.choice(5, 2, replace=False)
            g.add_edge(int(u), int(v), id=f"e{i}",
                       capacity_tankers_per_day=float(rng.integers(0, 9)),
                       interdiction_cost=float(rng.choice([1, 2])), success_probability=1.0)
        g.nodes[2].update(capacity_tankers_per_day=6.0, success_probability=1.0)
        kw = {"sources": [0, 1], "sink": 4}
        one = success_outcomes(g, **kw)  # p = 1: one scenario, every attempt succeeds
        assert one.size == 1 and one.success.all()
        for budget in (0, 1, 2):
            wood = max_flow_interdiction(g, budget, **kw)
            r = saa_interdiction(g, budget, one, **kw)
            assert r.objective == pytest.approx(wood.objective, abs=1e-6) and r.check.ok


def test_default_scenario_attacks_where_attacks_succeed() -> None:
    """Budget 1 on bamako-2025: the deterministic answer cuts a road into the city; with the
    attack model's success chances the adversary attempts the Sikasso-Bougouni road, where the
    record's attacks are, and the approaches' near-zero chance makes Wood's cut worth less."""
    sc = load_scenario("bamako-2025")
    g = planning_graph(sc)
    r = stochastic_interdiction(g, 1, samples=300, batches=2, evaluation_samples=600,
                                draw=lambda n, s: scenario_successes(sc, g, n, s), check=False)
    assert r.attack == ("sikasso-bougouni",)
    det = r.details["deterministic"]
    assert set(det["attack"]) & {"kati-bamako", "bougouni-bamako", "siby-bamako"}
    assert exact_expected_flow(g, det["attack"]) > exact_expected_flow(g, r.attack) + 0.5
    assert r.objective < r.baseline
    assert math.isfinite(r.details["lower_bound"]["estimate"])


def test_scenario_draws_follow_the_ranges() -> None:
    sc = load_scenario("bamako-2025")
    g = planning_graph(sc)
    draws = scenario_successes(sc, g, 4000, 1)
    col = draws.labels.index("kati-bamako"), draws.labels.index("sikasso-bougouni")
    rate = draws.success[:, col].mean(axis=0)
    assert rate[0] < 0.002 and 0.008 < rate[1] < 0.025
    assert not draws.success[:, draws.labels.index("dakar-tambacounda")].any()
    assert list(itertools.islice(draws.weight, 2)) == [1 / 4000] * 2
    border = draws.capacity[:, draws.labels.index("diboli-kayes")]  # a range: 65 - 195
    assert 65 <= border.min() < 70 and 190 < border.max() <= 195
    assert np.mean(border) == pytest.approx(130, abs=3)  # its central value, the graph's
    assert g.edges["diboli", "kayes", "diboli-kayes"]["capacity_tankers_per_day"] == 130


def test_expected_flow_off_the_integer_grid_agrees_with_networkx() -> None:
    """Capacities off the 1/100 grid take NetworkX's max flow, on it SciPy's: both agree with
    max_flow_after under certain success."""
    from siegeline.planning import max_flow_after

    g = road_like_graph(9, seed=2, n_ports=2)
    for _, _, d in g.edges(data=True):
        d["success_probability"] = 1.0
    cut = [d["id"] for _, _, d in list(g.edges(data=True))[:3]]
    on_grid = exact_expected_flow(g, cut)
    for _, _, d in g.edges(data=True):
        d["capacity_tankers_per_day"] += 1 / 3
    assert on_grid != pytest.approx(exact_expected_flow(g, cut))
    assert exact_expected_flow(g, cut) == pytest.approx(max_flow_after(g, cut), abs=1e-9)


def test_more_budget_never_helps_the_city_and_protected_roads_are_not_attempted() -> None:
    g = _random_graph(1)
    outcomes = success_outcomes(g)
    values = [saa_interdiction(g, b, outcomes).objective for b in range(4)]
    assert all(b <= a + 1e-9 for a, b in zip(values, values[1:], strict=False))
    best = saa_interdiction(g, 1, outcomes)
    guarded = saa_interdiction(g, 1, outcomes, protected=best.attack)
    assert not set(guarded.attack) & set(best.attack)
    assert guarded.objective >= best.objective - 1e-9
    assert guarded.objective == pytest.approx(
        brute_force_stochastic_interdiction(g, 1, protected=best.attack)[0], abs=1e-6)
