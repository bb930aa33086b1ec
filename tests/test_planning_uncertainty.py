"""Routing under uncertain hazards: a hand-solved expected vs robust choice, the CVaR formula,
and the optimality of each plan for its own objective on the Bamako scenario."""

import networkx as nx
import numpy as np
import pytest

from siegeline.planning.uncertainty import (
    cvar,
    robust_routing,
    robust_scenario_routing,
    sample_segment_losses,
)


@pytest.fixture
def gamble():
    """Road A: no loss in 9 of 10 samples, 0.1 per tanker in one (mean 0.01); road B: 0.02
    always. 10 tankers/day, each road carries 10. Expected plan: all on A, mean 0.1, but 1.0 in
    the bad sample (CVaR 0.9 = the worst sample = 1.0). Robust plan: x on A gives 0.2 + 0.08x in
    the bad sample, so x = 0: all on B, 0.2 in every sample (mean = CVaR = 0.2)."""
    g = nx.MultiGraph()
    g.add_edge("port", "city", id="A", capacity_tankers_per_day=10.0, loss_per_tanker=0.01)
    g.add_edge("port", "city", id="B", capacity_tankers_per_day=10.0, loss_per_tanker=0.02)
    samples = {"A": np.array([0.0] * 9 + [0.1]), "B": np.full(10, 0.02)}
    return g, samples


def test_expected_and_robust_plans_by_hand(gamble):
    g, samples = gamble
    r = robust_routing(g, samples, 10, sources=["port"], sink="city", alpha=0.9, time_weight=0)
    assert r.status == "Optimal" and r.objective == pytest.approx(0.2)
    plans = {p["plan"]: p for p in r.details["plans"]}
    assert plans["expected"]["flows"] == pytest.approx({"A": 10.0, "B": 0.0})
    assert plans["expected"]["mean"] == pytest.approx(0.1)
    assert plans["expected"]["cvar"] == pytest.approx(1.0)
    assert plans["expected"]["worst"] == pytest.approx(1.0)
    assert plans["robust"]["flows"] == pytest.approx({"A": 0.0, "B": 10.0})
    assert plans["robust"]["mean"] == pytest.approx(0.2) == plans["robust"]["cvar"]
    assert plans["central"]["flows"] == pytest.approx({"A": 10.0, "B": 0.0})  # 0.01 < 0.02
    assert dict(r.flows) == pytest.approx({"A": 0.0, "B": 10.0})


def test_cvar_formula():
    x = np.arange(1.0, 11.0)  # 1..10
    assert cvar(x, 0.9) == pytest.approx(10.0)
    assert cvar(x, 0.8) == pytest.approx(9.5)
    assert cvar(x, 0.0) == pytest.approx(x.mean())
    assert cvar(x, 0.75) == pytest.approx((9 + 10 + 0.5 * 8) / 2.5)  # a fractional tail


def test_bamako_each_plan_is_best_at_its_own_objective(bamako):
    r = robust_scenario_routing(bamako, samples=200, seed=3, eval_seed=4, alpha=0.9)
    assert r.status == "Optimal"
    cv, mean = r.details["in_sample_cvar"], r.details["in_sample_mean"]
    for other in ("central", "expected"):
        assert cv["robust"] <= cv[other] + 1e-9
    for other in ("central", "robust"):
        assert mean["expected"] <= mean[other] + 1e-6
    demand = r.details["demand"]
    for p in r.details["plans"]:
        assert p["p05"] <= p["p50"] <= p["p95"] <= p["worst"]
        assert p["mean"] <= p["cvar"] + 1e-12
        into_city = sum(f for s, f in p["flows"].items() if s.endswith("-bamako"))
        assert into_city == pytest.approx(demand)


def test_samples_follow_the_scenario_ranges(bamako):
    draws = sample_segment_losses(bamako, 300, seed=5)
    assert np.all(draws["dakar-tambacounda"] == 0.0)  # no hazard on this segment
    seg = next(s for s in bamako.segments if s.id == "kayes-kita")
    lam, share, hz = (bamako.adversary.intensity, bamako.adversary.destroy_share,
                      seg.hazard_per_100km)
    lo = (1 - np.exp(-hz.low * lam.low * seg.length_km / 100)) * share.low
    hi = (1 - np.exp(-hz.high * lam.high * seg.length_km / 100)) * share.high
    x = draws["kayes-kita"]
    assert lo <= x.min() and x.max() <= hi and x.std() > 0
    assert np.array_equal(sample_segment_losses(bamako, 300, seed=5)["kayes-kita"], x)
