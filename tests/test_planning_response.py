"""The escort plan's response model (siegeline.planning.response): a pilot is the simulator's
own run, the expected losses at a run's own departures agree with what the run lost, the
drivers' and the adversary's answers go the way the engine's rules say, and the optimiser's
prediction with the answers is confirmed by the simulated plan."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.engines import simulate
from siegeline.engines.state import phase_tables
from siegeline.planning.escort_loss import (
    escort_allocation,
    escort_pilot,
    simulate_escort_plan,
    without_escorts,
)
from siegeline.planning.response import expected_response, run_pilot
from siegeline.scenario.loader import load_raw, validate_scenario

ZEGOUA = 2  # abidjan-zegoua, the default scenario's busiest convoy corridor


@pytest.fixture(scope="module")
def pilot():
    return escort_pilot(load_raw("bamako-2025"), replications=200, days=40, seed=4)


def test_a_pilot_is_the_simulators_own_run() -> None:
    """Watching the state draws nothing: the pilot's numbers are `siegeline run`'s."""
    sc = validate_scenario(without_escorts(load_raw("bamako-2025")))
    p = run_pilot(sc, 30, 25, seed=9)
    ds = simulate(sc, replications=30, days=25, seed=9).dataset
    np.testing.assert_array_equal(p.sent, ds["tankers_dispatched"].values)
    np.testing.assert_array_equal(p.lost, ds["tankers_lost"].values)
    assert p.corridors == [str(c) for c in ds["corridor"].values]
    # Tankers leave only from those ready, and only drivers at the port drive them.
    assert (p.sent <= p.ready.sum(axis=3) + 1e-9).all() and (p.sent <= p.drivers).all()
    with pytest.raises(ValueError, match="2 replications"):
        run_pilot(sc, 1, 5, seed=1)


def test_no_escorts_give_back_the_pilots_departures(pilot) -> None:
    C = len(pilot.corridors)
    base = expected_response(pilot, np.zeros(C))
    np.testing.assert_array_equal(base.sent, pilot.sent)
    again = expected_response(pilot, np.zeros(C), baseline=base)  # drivers answer nothing
    np.testing.assert_allclose(again.sent, pilot.sent, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(again.lost, base.lost, rtol=1e-12, atol=1e-9)


def test_expected_losses_at_a_runs_departures_are_what_it_lost(pilot) -> None:
    """Corridor by corridor, the expected losses of the pilot's own departures against the
    tankers it lost: within 3 standard errors. Ignoring the adversary's attention, the warm
    start's traffic or the empty leg misses by far more on the busiest corridors."""
    base = expected_response(pilot, np.zeros(len(pilot.corridors)))
    resid = pilot.lost.mean(axis=1) - base.lost.mean(axis=1)  # (R, C)
    se = resid.std(axis=0, ddof=1) / math.sqrt(pilot.replications)
    assert (np.abs(resid.mean(axis=0)) <= 3 * se + 0.01 * pilot.lost.mean(axis=(0, 1))).all()
    total = pilot.lost.sum(axis=(1, 2)).mean()
    assert base.lost.sum(axis=(1, 2)).mean() == pytest.approx(total, rel=0.06)


def test_attention_keeps_the_hazard_mass_and_shuns_escorts(pilot) -> None:
    m = pilot.params
    mass = phase_tables(m)[0].exposure_mass
    levels = np.zeros(len(pilot.corridors))
    levels[ZEGOUA] = 4
    base = expected_response(pilot, np.zeros_like(levels))
    plan = expected_response(pilot, levels, pool=48, baseline=base)
    for e in (base, plan):  # every day, sum of attention x hazard mass = total hazard mass
        np.testing.assert_allclose(np.einsum("rdc,rc->rd", e.attention, mass),
                                   mass.sum(axis=1)[:, None] * np.ones(pilot.days), rtol=1e-9)
    late = slice(20, None)
    assert plan.attention[:, late, ZEGOUA].mean() < 0.5 * base.attention[:, late, ZEGOUA].mean()
    others = [c for c in range(len(levels)) if c != ZEGOUA]
    assert (plan.attention[:, late, others].mean(axis=(0, 1))
            > base.attention[:, late, others].mean(axis=(0, 1))).all()
    blind = expected_response(pilot, levels, pool=48, adversary=False,
                              baseline=expected_response(pilot, np.zeros_like(levels),
                                                         adversary=False))
    assert blind.lost[:, :, ZEGOUA].mean() > plan.lost[:, :, ZEGOUA].mean()


def test_escorts_draw_drivers_only_as_far_as_the_pool_and_the_port_allow(pilot) -> None:
    levels = np.zeros(len(pilot.corridors))
    levels[ZEGOUA] = 4
    base = expected_response(pilot, np.zeros_like(levels))
    plan = expected_response(pilot, levels, pool=48, baseline=base)
    assert plan.sent[:, :, ZEGOUA].mean() > 1.5 * pilot.sent[:, :, ZEGOUA].mean()
    assert (plan.sent <= pilot.ready.sum(axis=3) + 1e-9).all()
    no_units = expected_response(pilot, levels, pool=0, baseline=base)  # asked, none given
    np.testing.assert_allclose(no_units.sent, pilot.sent, rtol=1e-12, atol=1e-9)
    fewer = expected_response(pilot, levels, pool=24, baseline=base)
    assert pilot.sent[:, :, ZEGOUA].mean() < fewer.sent[:, :, ZEGOUA].mean() \
        < plan.sent[:, :, ZEGOUA].mean()


def test_the_optimisers_prediction_with_the_answers_is_confirmed_by_the_simulator() -> None:
    """The plan made at a pilot's traffic predicts the reduction the simulated plan shows:
    the paired prediction-minus-simulation interval reaches 0 or the miss is under a fifth
    of the reduction. The fixed-flow prediction (five times the simulated) fails this."""
    doc = load_raw("bamako-2025")
    pilot = escort_pilot(doc, replications=300, days=45, seed=2)
    plan = escort_allocation(validate_scenario(doc), 48, pilot=pilot)
    assert plan.check.ok and plan.details["levels"]["abidjan-zegoua"] > 0
    assert plan.objective < plan.baseline
    assert plan.details["separable_objective"] == pytest.approx(plan.objective, rel=0.05)
    sim = simulate_escort_plan(doc, plan, replications=300, days=45, seed=2)
    assert sim["predicted_with_responses"] == pytest.approx(sim["predicted"], rel=1e-9)
    daily = sim["daily"]  # the chart's series add up to the reported reductions
    assert daily["saved_simulated"][-1] / 45 == pytest.approx(sim["simulated"], rel=1e-9)
    assert daily["saved_predicted"][-1] / 45 == pytest.approx(sim["predicted_with_responses"],
                                                              rel=1e-9)
    lo, hi = sim["prediction_error_90"]
    assert lo <= 0 <= hi or abs(sim["prediction_error"]) < 0.2 * sim["simulated"]
    fixed = escort_allocation(validate_scenario(doc), 48)
    assert abs(fixed.baseline - fixed.objective - sim["simulated"]) > 0.5 * sim["simulated"]


def test_cli_plans_at_a_pilot_by_default_and_at_fixed_flows_with_pilot_0(tmp_path) -> None:
    import json

    res = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-k", "48",
                                   "--pilot", "40", "-d", "20", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["details"]["pilot"] == {"replications": 40, "days": 20, "seed": 1}
    assert out["details"]["scenario_escorts_loss"] is None
    fixed = json.loads(CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-k",
                                                "48", "--pilot", "0", "--json"]).stdout)
    assert "pilot" not in fixed["details"] and fixed["details"]["segments"]
    bad = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-N", "10"])
    assert bad.exit_code != 0 and "--pilot 0" in bad.output
    chart = tmp_path / "check.png"
    drawn = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "-k", "48",
                                     "--pilot", "20", "-d", "12", "--simulate", "20",
                                     "--chart", str(chart)])
    assert drawn.exit_code == 0, drawn.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    no_check = CliRunner().invoke(app, ["plan", "escorts", "--objective", "loss", "--chart",
                                        str(chart)])
    assert no_check.exit_code != 0 and "--simulate" in no_check.output


def test_a_convoys_expected_loss_at_each_day_of_age_is_the_engines_hazard(pilot) -> None:
    """One convoy alone on the road: its expected loss on day a of its trip is the engine's
    hazard of that day of age (age_tables) at its size, then its branches carry the hit."""
    from siegeline.engines.state import age_tables
    from siegeline.planning.response import BRANCHES, _State, attacks

    m = pilot.params
    R, C, K = m.replications, len(pilot.corridors), m.slots
    exposure = age_tables(m)[1]
    convoy = m.convoy.copy()
    n, t0 = 30.0, 5
    s = _State(np.zeros((K, R, C, BRANCHES)), np.zeros((K, R, C, BRANCHES)),
               np.zeros((K, R, C)), np.zeros((R, C)), np.ones((R, C)), np.ones((R, C)))
    kept = 1.0 - m.destroy_share
    s.prob[t0 % K, :, ZEGOUA, 0] = 1.0
    s.size[t0 % K, :, ZEGOUA] = n * kept[:, None] ** np.arange(BRANCHES)
    intensity = np.full(R, 0.2)
    survive = np.ones(R)
    for age in range(3):
        out = {"lost": np.zeros((R, t0 + 3, C))}
        attacks(m, s, t0 + age, exposure, intensity, convoy, out)
        lost = out["lost"][:, t0 + age]
        hit = -np.expm1(-0.2 * exposure[:, ZEGOUA, age] * n ** m.size_exponent)
        if age == 0:
            np.testing.assert_allclose(lost[:, ZEGOUA], n * hit * m.destroy_share,
                                       rtol=1e-12)
        survive_next = survive * (1 - hit)  # branch 0: not hit yet
        np.testing.assert_allclose(s.prob[t0 % K, :, ZEGOUA, 0], survive_next, rtol=1e-12)
        survive = survive_next
        assert lost[:, [c for c in range(C) if c != ZEGOUA]].sum() == 0
