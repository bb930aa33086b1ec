"""Calibration: posterior samples in scenarios, the observation model, ABC-SMC recovering known
parameters from data the model itself generated, resuming, Dask, and clear errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from siegeline.calibration import CalibrationSettings, Discrepancy, calibrate
from siegeline.calibration.screening import screen
from siegeline.calibration.smc import posterior_scenario
from siegeline.engines import simulate
from siegeline.model.parameters import compile_parameters
from siegeline.observations.log import COLUMNS, load_log
from siegeline.observations.record import Observable, Target
from siegeline.scenario.loader import ScenarioError, load_raw, validate_scenario

UNTIL = dt.date(2025, 10, 31)
PARAMS = ("adversary.bans.0.compliance", "prices.elasticity")


@pytest.fixture(scope="module")
def bamako():
    data = load_raw("bamako-2025")
    return validate_scenario(data, "test")


# -- posterior samples in a scenario ---------------------------------------------------------------

def test_replications_draw_whole_rows_of_the_posterior():
    data = load_raw("bamako-2025")
    rows = [[0.13, 0.11], [0.2, 0.24], [0.17, 0.2]]
    data["posterior"] = {"parameters": ["adversary.intensity", "drivers.fear_sensitivity"],
                         "samples": rows}
    m = compile_parameters(validate_scenario(data, "test"), 300, 30, seed=4)
    pairs = set(zip(m.sampled["adversary.intensity"], m.sampled["drivers.fear_sensitivity"],
                    strict=True))
    assert pairs == {tuple(r) for r in rows}  # joint draws: never a mixed pair
    np.testing.assert_array_equal(m.intensity, m.sampled["adversary.intensity"])


@pytest.mark.parametrize("path, value, message", [
    ("adversary.intensity", 0.5, "leave its range"),
    ("escorts.pool_size", 3.0, "not an uncertain range"),
    ("adversary.nothing", 1.0, "not a parameter"),
])
def test_a_posterior_outside_its_priors_is_refused(path, value, message):
    data = load_raw("bamako-2025")
    data["posterior"] = {"parameters": [path], "samples": [[value]]}
    with pytest.raises(ScenarioError, match=message):
        validate_scenario(data, "test")


# -- observation model -----------------------------------------------------------------------------

def _target(low: float, high: float, confidence: str, value: float = np.nan) -> Target:
    obs = Observable("x", "-", "sum", lambda r: r)
    ts = pd.Timestamp("2025-09-01")
    return Target("imports", (1,), ts, ts, obs, value, low, high, "here", "src", confidence)


def test_censored_reports_only_penalise_the_wrong_side():
    """'At least 90' (lower bound) costs nothing above 90 less the reporting error, and grows
    below it; a point report is widened by its confidence's reporting error."""
    targets = [_target(90.0, np.inf, "medium", 90.0), _target(50.0, 50.0, "high", 50.0)]
    prior = np.array([[80.0, 40.0], [100.0, 60.0], [120.0, 50.0], [60.0, 55.0]])
    disc = Discrepancy.build(targets, prior)
    assert disc.low[0] == pytest.approx(81.0) and disc.high[0] == np.inf
    assert (disc.low[1], disc.high[1]) == (pytest.approx(47.5), pytest.approx(52.5))
    comp = disc.components(np.array([[500.0, 50.0], [81.0, 52.5], [70.0, 60.0]]))
    assert comp[0].tolist() == [0.0, 0.0] and comp[1].tolist() == [0.0, 0.0]
    assert comp[2, 0] == pytest.approx(11.0 / disc.scale[0])
    assert comp[2, 1] == pytest.approx(7.5 / disc.scale[1])


def test_low_confidence_reports_weigh_less():
    targets = [_target(10.0, 10.0, "high", 10.0), _target(10.0, 10.0, "low", 10.0)]
    disc = Discrepancy.build(targets, np.array([[0.0, 0.0], [20.0, 20.0], [10.0, 10.0]]))
    off_high = disc.distance(np.array([[30.0, 10.0]]))[0]
    off_low = disc.distance(np.array([[10.0, 30.0]]))[0]
    assert disc.weight[0] > disc.weight[1]
    assert off_high > off_low > 0


def test_screen_keeps_parameters_that_move_a_target():
    rng = np.random.default_rng(3)
    theta = rng.random((400, 3))
    x = np.column_stack([theta[:, 0] * 5 + rng.normal(0, 0.5, 400), rng.random(400)])
    kept, table = screen(["a", "b", "c"], ["t1", "t2"], theta, x)
    assert kept == [0]
    assert table.iloc[0]["parameter"] == "a" and table.iloc[0]["calibrated"]


# -- synthetic data: the calibration recovers what generated it ----------------------------------

def _write_log(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in COLUMNS})


def _synthetic_log(scenario, truth: dict[str, float], seed: int, path: Path) -> Path:
    """Monthly imports and informal prices of one replication run at ``truth``."""
    r = simulate(scenario, replications=1, days=(UNTIL - scenario.simulation.start_date).days
                 + 1, seed=seed, overrides={k: np.array([v]) for k, v in truth.items()})
    dates = pd.to_datetime(r["date"].values)
    litres = r["delivered_litres"].sum("product").values[0]
    price = r["informal_price"].sel(product=["diesel", "gasoline"]).mean("product").values[0]
    rows = []
    for lo, hi in [("2025-09-03", "2025-09-30"), ("2025-10-01", "2025-10-31")]:
        inside = (dates >= lo) & (dates <= hi)
        rows.append({"date": lo, "end_date": hi, "kind": "imports", "place": "Mali (national)",
                     "corridor": "unknown", "value": f"{litres[inside].sum():.0f}",
                     "unit": "litres (month)", "source": "synthetic", "confidence": "high"})
    for day in ("2025-09-20", "2025-10-05", "2025-10-20"):
        i = int(np.flatnonzero(dates == pd.Timestamp(day))[0])
        rows.append({"date": day, "kind": "price_informal", "place": "Bamako",
                     "corridor": "unknown", "value": f"{price[i]:.0f}",
                     "unit": "FCFA per litre", "source": "synthetic", "confidence": "high"})
    _write_log(path, rows)
    return path


def test_calibration_covers_the_parameters_that_generated_the_data(bamako, tmp_path):
    """Over 10 synthetic trials (true values drawn from the prior), the 90% credible interval
    holds the true value in at least 80% of (trial, parameter) cases."""
    rng = np.random.default_rng(11)
    lows = np.array([0.5, 0.5])
    highs = np.array([0.8, 1.0])
    covered, widths = [], []
    for trial in range(10):
        truth = dict(zip(PARAMS, lows + rng.random(2) * (highs - lows), strict=True))
        log = load_log(_synthetic_log(bamako, truth, 100 + trial, tmp_path / f"log{trial}.csv"))
        res = calibrate(bamako, log, UNTIL, CalibrationSettings(
            population=200, budget=2400, seed=trial, params=PARAMS), tmp_path / f"s{trial}")
        table = res.parameters().set_index("parameter")
        for p in PARAMS:
            covered.append(table.loc[p, "post_p05"] <= truth[p] <= table.loc[p, "post_p95"])
            widths.append(table.loc[p, "post_p95"] - table.loc[p, "post_p05"])
    assert np.mean(covered) >= 0.8
    # and it learns: the compliance interval is narrower than the prior's 90% (0.27)
    assert np.median(widths[0::2]) < 0.27


# -- resuming, Dask, output, errors --------------------------------------------------------------

def _small(seed: int = 1, budget: int = 1500) -> CalibrationSettings:
    return CalibrationSettings(population=150, budget=budget, seed=seed, params=PARAMS)


def test_an_interrupted_calibration_resumes_to_the_same_result(bamako, tmp_path):
    log = load_log("bamako-2025")
    whole = calibrate(bamako, log, UNTIL, _small(), tmp_path / "whole")

    def interrupt(sim, budget, generation, eps, accepted):
        if generation == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(bamako, log, UNTIL, _small(), tmp_path / "cut", progress=interrupt)
    assert sorted(p.name for p in (tmp_path / "cut").glob("generation-*.npz")) == [
        "generation-00.npz", "generation-01.npz"]
    again = calibrate(bamako, log, UNTIL, _small(), tmp_path / "cut")
    assert again.resumed_from == 2
    np.testing.assert_array_equal(again.posterior, whole.posterior)
    assert len(again.generations) == len(whole.generations)


def test_a_state_folder_of_another_calibration_is_refused(bamako, tmp_path):
    log = load_log("bamako-2025")
    calibrate(bamako, log, UNTIL, _small(budget=300), tmp_path / "s")
    with pytest.raises(ScenarioError, match="another scenario"):
        calibrate(bamako, log, UNTIL, _small(seed=2, budget=300), tmp_path / "s")


def test_a_dask_cluster_gives_the_numbers_of_one_process(bamako, tmp_path):
    distributed = pytest.importorskip("distributed")
    log = load_log("bamako-2025")
    local = calibrate(bamako, log, UNTIL, _small(budget=600), tmp_path / "local")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = calibrate(bamako, log, UNTIL, _small(budget=600), tmp_path / "dask",
                           client=client)
    np.testing.assert_array_equal(remote.posterior, local.posterior)


def test_the_posterior_scenario_runs_from_its_samples(bamako, tmp_path):
    log = load_log("bamako-2025")
    res = calibrate(bamako, log, UNTIL, _small(budget=600), tmp_path / "s")
    data = posterior_scenario(bamako, res, "bamako-2025", UNTIL, _small(budget=600))
    cal = validate_scenario(data, "calibrated")
    m = compile_parameters(cal, 50, 10, seed=3)
    rows = {tuple(r) for r in res.posterior.tolist()}
    assert {tuple(v) for v in zip(*(m.sampled[p] for p in PARAMS), strict=True)} <= rows


def test_a_log_with_nothing_before_the_date_is_an_error(bamako, tmp_path):
    log = load_log("bamako-2025")
    with pytest.raises(ScenarioError, match="no scored observation"):
        calibrate(bamako, log, dt.date(2025, 9, 5), _small(), tmp_path / "s")
    with pytest.raises(ScenarioError, match="before the scenario's start"):
        calibrate(bamako, log, dt.date(2025, 1, 1), _small(), tmp_path / "s")
    with pytest.raises(ScenarioError, match="--param"):
        calibrate(bamako, log, UNTIL, CalibrationSettings(params=("escorts.pool_size",)),
                  tmp_path / "s")


def test_the_calibrate_command_writes_a_scenario_that_validates(tmp_path):
    from typer.testing import CliRunner

    from siegeline.cli.main import app

    out = tmp_path / "cal.yaml"
    args = ["calibrate", "bamako-2025", "--until", "2025-10-31", "--budget", "400",
            "--population", "100", "-p", PARAMS[0], "-p", PARAMS[1], "-o", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "Posterior predictive check" in res.output and "Out of sample" in res.output
    folder = tmp_path / "cal.calibration"
    for name in ("history.csv", "parameters.csv", "prior-posterior.png", "ppc/record.md",
                 "generation-00.npz"):
        assert (folder / name).exists(), name
    assert CliRunner().invoke(app, ["validate", str(out)]).exit_code == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))  # the scenario's own log, kept
    assert written["observations"] == written["posterior"]["observations"] == "bamako-2025"
    again = CliRunner().invoke(app, args)  # everything done: resumes and writes the same
    assert again.exit_code == 0 and "Resumed after generation" in again.output
    bad = CliRunner().invoke(app, [*args[:3], "31 Oct", *args[4:]])
    assert bad.exit_code != 0 and "not a date" in bad.output


# -- forecast and backtest ------------------------------------------------------------------------

def test_a_forecast_reads_the_run_past_its_origin(bamako):
    from siegeline.forecast import forecast

    origin = dt.date(2025, 10, 31)
    fc = forecast(bamako, origin, 21, replications=60, seed=5)
    assert len(fc.result["date"]) == (origin - bamako.simulation.start_date).days + 22
    imports = fc.table[fc.table["kind"] == "imports"]
    ends = pd.to_datetime(imports["date"]).dt.date
    assert origin in set(ends) and (ends.diff().dropna() == dt.timedelta(7)).all()
    assert (imports["p05"] <= imports["p50"]).all() and (imports["p50"] <= imports["p95"]).all()
    # a week's total is the sum of its days, replication by replication
    dates = pd.to_datetime(fc.result["date"].values).date
    week = (dates > origin - dt.timedelta(7)) & (dates <= origin)
    litres = fc.result["delivered_litres"].sum("product").values[:, week].sum(axis=1) / 1e6
    assert float(imports[ends == origin]["p50"].iloc[0]) == pytest.approx(np.median(litres))
    assert fc.stockout.index.min() > origin and fc.stockout.values.max() <= 1.0
    summary = fc.horizon_summary().set_index("what")
    assert 0.0 <= summary.loc["any stockout of gasoline", "p50"] <= 1.0


def test_the_backtest_scores_only_what_follows_each_origin(bamako, tmp_path):
    from siegeline.calibration.backtest import backtest

    origins = [dt.date(2025, 9, 30), dt.date(2025, 10, 31)]
    res = backtest(bamako, load_log("bamako-2025"), origins, 31,
                   _small(budget=450), tmp_path, replications=60)
    t = res.table
    assert set(t["origin"]) == set(origins)
    for origin, rows in t.groupby("origin"):
        assert (rows["start"] > origin).all()
        assert (rows["end"] <= origin + dt.timedelta(31)).all()
    oct_imports = t[(t["kind"] == "imports") & (t["observed"] == 78e6)].iloc[0]
    # persistence: September's 53 M L over 30 days, scaled to October's 31
    assert oct_imports["median_persistence"] == pytest.approx(53e6 * 31 / 30)
    assert oct_imports["crps_persistence"] == pytest.approx(abs(53e6 * 31 / 30 - 78e6) / 78e6)
    summary = res.summary().set_index("method")
    assert summary.loc["calibrated", "scored"] == summary.loc["persistence", "scored"] > 0


def test_a_timeline_entry_wins_over_the_posterior_from_its_date():
    data = load_raw("bamako-2025")
    data["posterior"] = {"parameters": ["adversary.intensity"], "samples": [[0.13], [0.2]]}
    data["timeline"].append({"day": 20, "set": {"adversary.intensity": 0.5}, "note": "t",
                             "source": "test"})
    m = compile_parameters(validate_scenario(data, "test"), 40, 30, seed=1)
    assert set(m.at(0).intensity) == {0.13, 0.2}
    assert set(m.at(25).intensity) == {0.5}


def test_an_override_fixes_its_parameter_over_the_posterior():
    """--set on a posterior parameter (or on the list holding it) drops that column; the other
    columns keep their joint rows."""
    from siegeline.scenario.loader import apply_overrides

    data = load_raw("bamako-2025")
    data["posterior"] = {"parameters": ["adversary.intensity", "adversary.bans.0.compliance"],
                         "samples": [[0.13, 0.6], [0.2, 0.7]]}
    fixed = validate_scenario(apply_overrides(data, ["adversary.intensity=0.2"]), "test")
    assert fixed.posterior.parameters == ["adversary.bans.0.compliance"]
    assert fixed.posterior.samples == [[0.6], [0.7]]
    no_bans = validate_scenario(apply_overrides(data, ["adversary.bans=[]"]), "test")
    assert no_bans.posterior.parameters == ["adversary.intensity"]
    both = apply_overrides(data, ["adversary.intensity=0.2", "adversary.bans=[]"])
    assert "posterior" not in both and validate_scenario(both, "test").posterior is None
    untouched = validate_scenario(apply_overrides(data, ["escorts.pool_size=4"]), "test")
    assert untouched.posterior.samples == [[0.13, 0.6], [0.2, 0.7]]


# -- degenerate generations are drawn again from a defensive mixture ---------------------------

def test_defensive_weights_are_bounded_and_recover_the_prior(bamako):
    """A kernel fitted to a tight cluster proposes almost nothing elsewhere: its weighted draws
    miss the prior (uniform) mean. Mixed with 20% of prior draws, every weight is at most 1/0.2
    times the prior's, and the weighted mean is the prior's 0.5."""
    from pyabc.transition import MultivariateNormalTransition

    from siegeline.calibration.priors import calibration_prior
    from siegeline.calibration.smc import _propose, importance_weights

    prior = calibration_prior(bamako, list(PARAMS))
    rng = np.random.default_rng(3)
    cluster = pd.DataFrame(0.2 + 0.02 * rng.standard_normal((300, 2)), columns=["p0", "p1"])
    kernel = MultivariateNormalTransition()
    kernel.fit(cluster, np.full(300, 1 / 300))
    plain = _propose(kernel, prior, 20_000, [1, 2])
    mixed = _propose(kernel, prior, 20_000, [1, 2], defensive=0.2)
    assert prior.inside(mixed).all()
    w_plain = importance_weights(kernel, plain)
    w_mixed = importance_weights(kernel, mixed, 0.2)
    assert np.abs(w_plain @ plain - 0.5).max() > 0.2  # the kernel alone never looks there
    np.testing.assert_allclose(w_mixed @ mixed, [0.5, 0.5], atol=0.03)
    density = np.asarray(kernel.pdf(pd.DataFrame(mixed, columns=["p0", "p1"])))
    ratio = (1 / (0.8 * density + 0.2)) / (1 / (0.8 * density + 0.2)).min()
    assert w_mixed.max() / w_mixed.min() == pytest.approx(ratio.max(), rel=1e-9)
    assert ratio.max() <= 1 / 0.2 * (0.8 * density.max() + 0.2)


def test_a_degenerate_generation_is_drawn_again_before_it_is_dropped(bamako, tmp_path):
    """With an effective sample size demanded that no generation reaches, generation 1 is
    drawn twice (the second time with 10% from the prior), its replications counted, and then
    dropped; the message says both sizes."""
    log = load_log("bamako-2025")
    strict = CalibrationSettings(population=100, budget=1500, seed=1, params=PARAMS,
                                 min_ess=0.999)
    res = calibrate(bamako, log, UNTIL, strict, tmp_path / "s")
    assert "drawn again with 10% from the prior" in res.stopped
    assert len(res.generations) == 1  # generation 0 kept
    assert res.simulated >= 100 + 2 * 100  # generation 0 and both draws of generation 1
    with pytest.raises(ScenarioError, match="defensive"):
        CalibrationSettings(defensive=1.0)
