"""Escorts against expected loss: the loss formula against the simulator's own tables, the MILP
against enumeration, and `plan escorts --apply` writing a scenario that validates and runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.engines import simulate
from siegeline.engines.state import build_tables
from siegeline.model.parameters import compile_parameters
from siegeline.planning.escort_loss import (
    AttackModel,
    apply_escort_plan,
    escort_allocation,
    segment_loss,
)
from siegeline.scenario.loader import load_raw, load_scenario, validate_scenario

CORRIDOR = "abidjan-zegoua"


def _one_corridor() -> dict:
    """Bamako with one corridor whose segments each take exactly one day (no customs delay),
    fixed attack parameters and hazards, and no timeline."""
    doc = load_raw("bamako-2025")
    doc["timeline"] = []
    doc["sources"] = {}  # they name the corridors, nodes and segments removed here
    doc.pop("posterior")  # and so does the posterior (customs delays at other borders)
    doc["corridors"] = [c for c in doc["corridors"] if c["name"] == CORRIDOR]
    doc["corridors"][0]["order_share"] = 1.0
    path = doc["corridors"][0]["path"]
    on_path = {frozenset(p) for p in zip(path, path[1:], strict=False)}
    doc["segments"] = [s for s in doc["segments"] if frozenset((s["a"], s["b"])) in on_path]
    for i, s in enumerate(doc["segments"]):
        s["speed_km_per_day"] = s["length_km"]
        s["hazard_per_100km"] = 0.01 * (i + 1)
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] in path]
    for n in doc["nodes"]:
        n.pop("customs_delay_days", None)
    adv = doc["adversary"]
    adv.update(intensity=0.3, destroy_share=0.6, deterrence_per_escort=0.2,
               protection_per_escort=0.1, size_visibility_exponent=0.4, empty_leg_factor=0.5)
    return doc


def test_segment_loss_is_the_simulators_attack_model_day_by_day() -> None:
    """Each segment is one day of the leg, so the engine's day-by-day hazards (compiled by the
    simulator, the return retraced at the empty-leg factor) give the expected loss of one
    tanker in a convoy of n with e escorts exactly: sum over days of q0 e^-pe (1 - exp(-I h_a
    n^g e^-de))."""
    sc = validate_scenario(_one_corridor())
    m = compile_parameters(sc, replications=1, days=20, seed=1)
    hazard_by_day = build_tables(m).hazard_by_age[:, 0, 0]  # intensity 1, loaded then empty
    assert int(m.leg_days[0, 0]) == len(sc.segments)
    model = AttackModel.central(sc)
    risks = [s.hazard_per_100km * s.length_km / 100 for s in sc.segments]
    for n, e in [(1, 0), (30, 0), (30, 3), (250, 8)]:
        engine = (m.destroy_share[0] * math.exp(-m.protection[0] * e)
                  * -np.expm1(-m.intensity[0] * hazard_by_day * n ** m.size_exponent[0]
                              * math.exp(-m.deterrence[0] * e))).sum()
        ours = sum(segment_loss(r, n, e, model) for r in risks)
        assert ours == pytest.approx(engine, rel=1e-12)
    # escorts lower the loss, more units lower it more; bigger convoys are seen more
    losses = [segment_loss(0.05, 30, e, model) for e in range(6)]
    assert all(a > b for a, b in zip(losses, losses[1:], strict=False))
    assert segment_loss(0.05, 100, 0, model) > segment_loss(0.05, 10, 0, model)


def test_the_allocation_is_the_enumerated_optimum_and_never_worse_with_more_units(
        bamako) -> None:
    previous = math.inf
    for pool in (0, 12, 16, 30, 48, 70):
        r = escort_allocation(bamako, pool)
        assert r.status == "Optimal"
        assert r.check.brute_force_value is not None and r.check.ok
        assert r.details["units_used"] <= pool
        assert r.objective <= previous + 1e-12
        previous = r.objective
        per_corridor = sum(row["loss_with"] for row in r.details["corridors"])
        per_segment = sum(row["loss_with"] for row in r.details["segments"])
        assert per_corridor == pytest.approx(r.objective) == pytest.approx(per_segment)
    assert escort_allocation(bamako, 0).objective == pytest.approx(r.baseline)
    assert r.objective < 0.9 * r.baseline


def test_candidates_limit_the_escorted_corridors(bamako) -> None:
    full = escort_allocation(bamako, 48)
    limited = escort_allocation(bamako, 48, candidates=["dakar-kayes-kita"])
    assert limited.objective > full.objective
    assert set(limited.defence) <= {"dakar-kayes-kita"}


def test_apply_writes_a_scenario_that_validates_and_runs(tmp_path) -> None:
    out = tmp_path / "plan.yaml"
    res = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-k", "48",
                                   "--pilot", "0", "--apply", "-o", str(out)])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    plan = escort_allocation(load_scenario("bamako-2025"), 48)
    for c in sc.corridors:
        assert c.policy.escorts_per_convoy == plan.details["levels"][c.name]
    assert sc.escorts.pool_size == 48
    assert not [p for e in sc.timeline for p in e.set
                if p == "escorts.pool_size" or ".policy" in p]
    escorted = [i for i, c in enumerate(sc.corridors) if c.policy.escorts_per_convoy]
    assert escorted
    result = simulate(sc, replications=4, days=15, seed=1)
    assert float(result.dataset["escorts_busy"].max()) > 0
    ran = CliRunner().invoke(app, ["run", str(out), "-n", "3", "--days", "5", "-s", "1"])
    assert ran.exit_code == 0, ran.output


def test_an_escorted_free_corridor_becomes_a_daily_convoy(bamako) -> None:
    r = escort_allocation(bamako, 200, candidates=["nouakchott-nioro"])
    assert r.details["levels"]["nouakchott-nioro"] > 0
    doc = apply_escort_plan(load_raw("bamako-2025"), r)
    pol = next(c for c in doc["corridors"] if c["name"] == "nouakchott-nioro")["policy"]
    assert pol["mode"] == "convoy" and pol["interval_days"] == 1
    assert pol["escorts_per_convoy"] == r.details["levels"]["nouakchott-nioro"]
    validate_scenario(doc)


def test_paired_simulation_of_an_empty_plan_differs_by_nothing(bamako) -> None:
    """Same scenario, same seed: the paired difference is exactly 0; a real plan's is not."""
    from siegeline.planning.escort_loss import simulate_escort_plan

    doc = load_raw("bamako-2025")
    none = simulate_escort_plan(doc, escort_allocation(bamako, 0), replications=20, days=20,
                                seed=3)
    assert none["simulated"] == 0 and none["simulated_90"] == [0, 0]
    assert none["predicted"] == 0 and none["predicted_at_simulated_traffic"] == 0
    plan = simulate_escort_plan(doc, escort_allocation(bamako, 48), replications=20, days=20,
                                seed=3)
    assert plan["dispatched_with"]["abidjan-zegoua"] > plan["dispatched_without"]["abidjan-zegoua"]
    assert plan["simulated_lost_with"] != plan["simulated_lost_without"]


def test_loss_at_departures_is_the_formula_at_each_days_convoy(bamako) -> None:
    """Constant daily convoys give the loss formula at that flow, draw by draw; uneven convoys
    with the same mean lose more (a tanker's risk grows with its convoy's size)."""
    from siegeline.planning.escort_loss import loss_at_departures, plan_loss

    R, D = 50, 6
    flows = {c.name: 4.0 + 3 * i for i, c in enumerate(bamako.corridors)}
    steady = {c: np.full((R, D), f) for c, f in flows.items()}
    assert loss_at_departures(bamako, {}, steady, seed=5) == pytest.approx(
        plan_loss(bamako, {}, flows, samples=R, seed=5), rel=1e-12)
    convoy = next(c.name for c in bamako.corridors if c.policy.mode == "convoy")
    uneven = dict(steady, **{convoy: np.tile([0.0, 2 * flows[convoy]], (R, D // 2))})
    assert loss_at_departures(bamako, {}, uneven, seed=5) > loss_at_departures(
        bamako, {}, steady, seed=5)


def test_central_values_of_a_calibrated_scenario_are_its_posterior_medians(bamako) -> None:
    post = bamako.posterior
    i = post.parameters.index("adversary.destroy_share")
    assert AttackModel.central(bamako).destroy_share == pytest.approx(
        float(np.median([row[i] for row in post.samples])))
    assert AttackModel.central(bamako).destroy_share != pytest.approx(
        bamako.adversary.destroy_share.midpoint)


def test_sampled_attack_parameters_are_the_engines_draws(bamako) -> None:
    """Draw i of seed s is replication i of `siegeline run --seed s`, so -N plans on the runs'
    own parameters."""
    m = compile_parameters(bamako, replications=30, days=10, seed=7)
    a = AttackModel.sampled(bamako, 30, 7)
    for ours, engine in [(a.intensity, m.intensity), (a.destroy_share, m.destroy_share),
                         (a.deterrence, m.deterrence), (a.protection, m.protection),
                         (a.size_exponent, m.size_exponent),
                         (a.empty_leg_factor, m.empty_leg_factor)]:
        np.testing.assert_array_equal(ours, engine)
    r = escort_allocation(bamako, 48, samples=200, seed=7)
    assert r.check.ok and r.details["samples"] == 200
    assert r.baseline != pytest.approx(escort_allocation(bamako, 48).baseline)


def test_cli_simulate_reports_prediction_and_paired_interval() -> None:
    import json

    res = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-k", "48",
                                   "--simulate", "10", "-d", "10", "--json"])
    assert res.exit_code == 0, res.output
    sim = json.loads(res.stdout)["simulation"]
    lo, hi = sim["simulated_90"]
    assert lo <= sim["simulated"] <= hi and sim["replications"] == 10 and sim["days"] == 10
    assert sim["predicted"] > 0
    bad = CliRunner().invoke(app, ["plan", "escorts", "--apply"])
    assert bad.exit_code != 0 and "-o" in bad.output
