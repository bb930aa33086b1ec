"""Sensitivity analysis: SALib wrapper against known indices, and the engine-backed pipeline."""

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.experiments.designs import ParamRange, parse_param
from siegeline.experiments.sensitivity import analyze, design_of, problem_of, run_sensitivity
from siegeline.scenario import ScenarioError, load_scenario, resolve_path

PI = np.pi


def test_sobol_recovers_ishigami_indices():
    # Analytic values (Ishigami & Homma 1990; a=7, b=0.1): S1 = .3139, .4424, 0;
    # ST = .5576, .4424, .2437.
    ranges = [ParamRange(f"x{i}", -PI, PI) for i in range(1, 4)]
    problem = problem_of(ranges)
    x = design_of("sobol", problem, 4096, seed=1)
    frame = analyze("sobol", problem, x, Ishigami.evaluate(x), seed=1)
    assert np.allclose(frame["S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    assert np.allclose(frame["ST"], [0.5576, 0.4424, 0.2437], atol=0.03)
    # The confidence half-widths cover the truth.
    assert np.all(np.abs(frame["ST"] - [0.5576, 0.4424, 0.2437]) < 3 * frame["ST_conf"] + 0.01)


def test_sobol_of_linear_model_matches_hand_derived_indices():
    # y = 3 x1 + 1 x2 + 0 x3, x_i ~ U(lo_i, hi_i): Var_i = a_i^2 (hi-lo)^2 / 12, no interactions,
    # so S1_i = ST_i = Var_i / sum Var.
    ranges = [ParamRange("a", 0, 2), ParamRange("b", -1, 3), ParamRange("c", 0, 1)]
    coef = np.array([3.0, 1.0, 0.0])
    var = coef**2 * np.array([2.0, 4.0, 1.0]) ** 2 / 12
    problem = problem_of(ranges)
    x = design_of("sobol", problem, 2048, seed=2)
    frame = analyze("sobol", problem, x, x @ coef, seed=2)
    assert np.allclose(frame["S1"], var / var.sum(), atol=0.02)
    assert np.allclose(frame["ST"], var / var.sum(), atol=0.02)


def test_morris_elementary_effects_of_linear_model_are_exact():
    # For y = sum a_i x_i every elementary effect is a_i·(hi_i − lo_i): mu* is that, sigma 0.
    ranges = [ParamRange("a", 0, 2), ParamRange("b", -1, 3), ParamRange("c", 5, 6)]
    coef = np.array([3.0, -1.0, 0.0])
    problem = problem_of(ranges)
    x = design_of("morris", problem, 20, seed=3)
    frame = analyze("morris", problem, x, x @ coef, seed=3)
    assert np.allclose(frame["mu_star"], np.abs(coef) * [2, 4, 1])
    assert np.allclose(frame["sigma"], 0, atol=1e-9)


def test_irrelevant_parameter_has_zero_total_index_through_the_engine(bamako):
    # Under a total ban nothing is dispatched, so depots only drain: days in stockout depend on
    # the initial fill and demand, never on the attack intensity. With the city's other
    # uncertain numbers fixed, that output is noise-free. The ban must not erode (the scenario's
    # compliance halves every 15-45 days), or tankers leave and meet the adversary. No panic
    # buying: a stockout counts a product's demand less what all sectors got, so motorists'
    # panic purchases can hide commerce's rationing and a fuller city may count one day more.
    fixed = ["adversary.bans.0.compliance=1", "adversary.bans.0.compliance_half_life_days=null",
             "city.sectors.private.panic_multiplier=0", "city.sectors.commerce.panic_multiplier=0",
             ] + [
        f"{path}={resolve_path(bamako, path).midpoint}" for path in (
            "city.sectors.power.demand_litres_per_day.diesel",
            "city.sectors.power.demand_litres_per_day.hfo",
            "city.depots.ex-Mobil (Star Oil).initial_fill", "city.depots.San Zou.initial_fill")]
    sc = load_scenario("bamako-2025", fixed)
    ranges = [parse_param("adversary.intensity=0.2:3"),
              parse_param("city.demand_multiplier=0.6:1.4"),
              parse_param("city.depots.ONAP.initial_fill=0.1:0.9")]
    res = run_sensitivity(sc, ranges, ["days_in_stockout", "attacks", "delivered_litres"], n=64,
                          days=60, seed=4)
    assert res.engine_rows == 64 * 5  # the whole design, N·(D+2) runs
    # The premise: no tanker on the road, so nothing for the adversary to attack.
    assert (res.outputs[["attacks", "delivered_litres"]] == 0).all(axis=None)
    idx = res.indices.set_index("parameter")
    assert idx.loc["adversary.intensity", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert idx.loc["city.depots.ONAP.initial_fill", "ST"] > 0.05
    assert idx.loc["city.demand_multiplier", "ST"] > 0.05
    # More fuel at the start never means more days out of stock, at every demand level.
    out = res.outputs["days_in_stockout"].to_numpy()
    demand, fill = res.samples[:, 1], res.samples[:, 2]
    for level in np.unique(demand):
        same = demand == level
        assert np.all(np.diff(out[same][np.argsort(fill[same])]) <= 0), level


def test_bad_parameters_are_clear_errors(bamako):
    with pytest.raises(ScenarioError):
        parse_param("adversary.intensity=2:1")
    with pytest.raises(ScenarioError):
        run_sensitivity(bamako, [parse_param("no.such.path=0:1")], ["tankers_lost"], n=4)
    with pytest.raises(ScenarioError):
        run_sensitivity(bamako, [parse_param("adversary.destroy_share=0:5")], ["tankers_lost"],
                        n=4)


def test_cli_sensitivity_writes_table_csv_and_chart(tmp_path):
    res = CliRunner().invoke(app, [
        "sensitivity", "bamako-2025", "--param", "adversary.intensity=0.5:2", "--param",
        "escorts.pool_size=2:30", "--method", "morris", "-N", "6", "--days", "30",
        "--metric", "tankers_lost", "--metric", "delivered_litres", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Morris indices of tankers_lost" in res.output
    assert (tmp_path / "morris-indices.csv").exists()
    assert (tmp_path / "morris-tankers_lost.png").read_bytes()[:4] == b"\x89PNG"
    # Screening ranks by mu*: each table lists the parameters in that order (for delivered
    # litres here, sigma would rank them the other way round).
    indices = pd.read_csv(tmp_path / "morris-indices.csv").sort_values("mu_star", ascending=False)
    for metric, frame in indices.groupby("metric"):
        start = res.output.index(f"Morris indices of {metric}")
        table = res.output[start:res.output.index("Wrote", start)]
        assert sorted(frame["parameter"], key=table.index) == list(frame["parameter"]), metric
    bad = CliRunner().invoke(app, ["sensitivity", "--param", "adversary.intensity=x:y"])
    assert bad.exit_code == 2 and "low and high must be numbers" in bad.output


def test_repeated_replications_are_averaged_per_design_point(bamako):
    # With reps=k each design row runs k replications in the same engine call; the analysed
    # output is their mean, so it matches evaluating the k-fold design directly.
    from siegeline.experiments.evaluate import chunk_seed, evaluate_points

    ranges = [parse_param("adversary.intensity=0.5:2"), parse_param("escorts.pool_size=2:30")]
    res = run_sensitivity(bamako, ranges, ["tankers_lost"], method="morris", n=3, reps=4,
                          days=30, seed=9)
    design = pd.DataFrame(res.samples, columns=[r.path for r in ranges])
    raw = evaluate_points(bamako, design, ["tankers_lost"], reps=4, days=30,
                          seed=chunk_seed(9, 0))
    assert (raw.groupby("point").size() == 4).all()
    assert np.allclose(raw.groupby("point")["tankers_lost"].mean(), res.outputs["tankers_lost"])
