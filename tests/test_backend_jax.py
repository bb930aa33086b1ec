"""The JAX backend of the vectorized engine: its pieces against NumPy/SciPy on the same inputs,
exact fuel conservation (gate included), and statistical agreement with the NumPy engine (random
draws differ, so the distributions are compared, not the replications)."""

import jax
import numpy as np
import pytest
from scipy import stats

from siegeline.city.prices import informal_price
from siegeline.city.queueing import mean_wait_hours
from siegeline.city.rationing import allocate_by_priority, rationing_caps
from siegeline.engines import backends, simulate
from siegeline.engines.backends import jax_city
from siegeline.engines.backends.jax_engine import (
    binomial,
    binomial_on_hit_cohorts,
    simulate_jax_metrics,
    simulate_jax_on_device,
)
from siegeline.model.metrics import METRICS, reduce_daily
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import ScenarioError, load_scenario
from siegeline.scenario.loader import load_raw, validate_scenario

# One shape for every engine run below, so each program compiles once.
REPS, DAYS = 240, 50
# The packaged scenario (free corridors, convoys whose policies its timeline changes, the escort
# pool growing, a held campaign) with a checkpoint that turns tankers back and customs clearing
# fewer tankers than the city burns until its timeline raises the capacity (day 38).
MIXED = ["nodes.kita.checkpoint_turnback_probability=0.2", "adversary.intensity=1.0",
         "city.unloading_capacity_tankers_per_day=40"]
FLOWS = ("delivered_litres", "destroyed_litres", "returned_litres")
LEVELS = ("in_transit_litres", "gate_litres")  # fuel loaded and not yet gone


def _v2_scenario():
    """Convoys that wait for escorts (escorts scaling with size, early departure once
    assembled) from a small pool that a timeline grows on day 20; a campaign switching between
    three regimes; customs that clear fewer tankers than the city burns until day 35."""
    data = load_raw("bamako-2025")
    for cor in data["corridors"]:
        if cor["policy"]["mode"] == "convoy":
            cor["policy"].update(wait_for_escorts=True, escorts_per_convoy=1, interval_days=3,
                                 escorts_per_100_tankers=2.0, min_size=40)
    data["escorts"]["pool_size"] = 3
    data["city"]["unloading_capacity_tankers_per_day"] = 25.0
    data.pop("posterior", None)  # it calibrates the lull replaced here
    data["adversary"]["campaign"] = {
        "regimes": [{"name": "active", "mean_duration_days": 15.0},
                    {"name": "lull", "intensity_multiplier": 0.1, "mean_duration_days": 6.0},
                    {"name": "surge", "intensity_multiplier": 3.0, "mean_duration_days": 4.0}],
        "initial": "active", "hold": "free"}
    data["timeline"] = [
        {"day": 20, "set": {"escorts.pool_size": 15}},
        {"day": 35, "set": {"city.unloading_capacity_tankers_per_day": 90.0}}]
    return validate_scenario(data, "test")


@pytest.mark.parametrize("n,p", [(10, 0.3), (200, 0.5), (300, 0.93), (40, 0.01), (1, 0.7)])
def test_binomial_sampler_matches_the_binomial_distribution(n, p):
    draws = np.asarray(binomial(jax.random.key(n), np.full(20_000, n), np.full(20_000, p)))
    assert draws.min() >= 0 and draws.max() <= n
    # Chi-square goodness of fit on the support's well-populated cells.
    values, counts = np.unique(draws, return_counts=True)
    expected = stats.binom.pmf(values, n, p) * draws.size
    keep = expected > 20
    tail = draws.size - counts[keep].sum(), draws.size - expected[keep].sum()
    chi2 = (((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
            + (tail[0] - tail[1]) ** 2 / max(tail[1], 1e-9))
    assert stats.chi2.sf(chi2, keep.sum()) > 1e-3
    assert abs(draws.mean() - n * p) < 5 * np.sqrt(n * p * (1 - p) / draws.size) + 1e-9


def test_binomial_sampler_edge_cases():
    n = np.array([0, 5, 5, 7, 0])
    p = np.array([0.5, 0.0, 1.0, 1.0, 0.0])
    assert np.asarray(binomial(jax.random.key(0), n, p)).tolist() == [0, 0, 5, 7, 0]


@pytest.mark.parametrize("capacity", [300, 40])  # gathered, and the dense fallback
def test_binomial_on_hit_cohorts_draws_only_them_with_the_right_law(capacity):
    """200 hit cohorts (cohort 0 among them, where the gather's padding points) out of 8,000,
    each with 30 tankers of one product and 5 of another: the others stay zero, and the hit
    ones pass the same goodness-of-fit as ``binomial``."""
    shape = (40, 4, 50, 2)  # (R, C, K, P)
    exposed = np.zeros(shape, dtype=np.int32).reshape(-1, 2)
    hit = np.r_[0, np.random.default_rng(1).choice(np.arange(1, 8000), 199, replace=False)]
    exposed[hit] = (30, 5)
    exposed = exposed.reshape(shape)
    share = np.full(shape[:3], 0.4, dtype=np.float32)
    draw = jax.jit(binomial_on_hit_cohorts, static_argnums=3)
    draws = np.stack([np.asarray(draw(jax.random.key(i), exposed, share, capacity)).reshape(-1, 2)
                      for i in range(100)])
    missed = np.setdiff1d(np.arange(8000), hit)
    assert (draws[:, missed] == 0).all() and draws[..., 0].max() <= 30
    assert draws[..., 1].max() <= 5
    sample = draws[:, hit, 0].ravel()
    values, counts = np.unique(sample, return_counts=True)
    expected = stats.binom.pmf(values, 30, 0.4) * sample.size
    keep = expected > 20
    chi2 = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum()) > 1e-3
    assert abs(draws[:, 0, 0].mean() - 12) < 5 * np.sqrt(7.2 / 100)  # cohort 0 is not clobbered


def test_city_functions_agree_with_numpy():
    rng = np.random.default_rng(3)
    cover = rng.uniform(0, 20, (50, 3))
    thresholds = np.array([15.0, 7.0, 3.0])
    caps = rng.uniform(0.2, 1, (3, 4))
    caps = np.minimum.accumulate(caps, axis=0)
    assert np.allclose(jax_city.rationing_caps(cover, thresholds, caps),
                       rationing_caps(cover, thresholds, caps), rtol=1e-6)
    demand = rng.uniform(0, 1e6, (50, 4, 3))
    stock = rng.uniform(0, 2e6, (50, 3))
    priority = (1, 2, 2, 3)
    assert np.allclose(jax_city.allocate_by_priority(demand, stock, priority),
                       allocate_by_priority(demand, stock, np.array(priority)), rtol=1e-4,
                       atol=1.0)  # float32 round-off when a level empties ~1e6 L of stock
    lam = rng.uniform(0, 80, 200)
    table = jax_city.station_wait_table(4, 12.0, 14.0, 8.0)
    assert np.allclose(jax_city.mean_wait_hours(lam, 12.0, 4, table),
                       mean_wait_hours(lam, 12.0, 4, 14.0, 8.0), rtol=1e-4, atol=1e-6)
    d, s = rng.uniform(0, 1e6, (50, 3)), rng.uniform(0, 1e6, (50, 3))
    e, cap = rng.uniform(0.2, 1, (50, 1)), np.full((50, 1), 4.0)
    official = np.array([725.0, 775.0, 600.0])
    assert np.allclose(jax_city.informal_price(official, d, s, e, cap),
                       informal_price(official, d, s, e, cap), rtol=1e-4)


@pytest.fixture(scope="module")
def pair():
    sc = load_scenario("bamako-2025", MIXED)
    return (simulate(sc, replications=REPS, days=DAYS, seed=5),
            simulate(sc, replications=REPS, days=DAYS, seed=5, backend="jax"))


@pytest.fixture(scope="module")
def pair_v2():
    sc = _v2_scenario()
    return (simulate(sc, replications=REPS, days=DAYS, seed=7),
            simulate(sc, replications=REPS, days=DAYS, seed=7, backend="jax"))


def _balance(ds):
    """Fuel loaded so far less what was delivered, destroyed or returned, and fuel still
    loaded (on the road or at the gate), every day: equal when fuel is conserved."""
    gone = sum(ds[n].values.cumsum(1) for n in FLOWS)
    return ds["loaded_litres"].values.cumsum(1) - gone, sum(ds[n].values for n in LEVELS)


@pytest.mark.parametrize("which", ["pair", "pair_v2"])
def test_jax_engine_conserves_fuel_exactly_every_day(which, request):
    ds = request.getfixturevalue(which)[1].dataset
    balance, loaded = _balance(ds)
    assert np.array_equal(balance, loaded)
    assert ds["destroyed_litres"].sum() > 0
    assert (ds["stock_litres"].values >= 0).all()
    if which == "pair":
        assert ds["returned_litres"].sum() > 0
        assert request.getfixturevalue(which)[1].metadata["backend"] == "jax"
    else:  # customs bind: fuel waits at the gate, the depots never overflow
        capacity = compile_parameters(_v2_scenario(), 1, 1, 0).depot_capacity
        assert ds["gate_litres"].values.max() > 0
        assert (ds["stock_litres"].values <= capacity).all()


def test_jax_engine_is_reproducible(pair):
    sc = load_scenario("bamako-2025", MIXED)
    again = simulate(sc, replications=REPS, days=DAYS, seed=5, backend="jax")
    assert np.array_equal(again["tankers_lost"].values, pair[1]["tankers_lost"].values)
    assert np.array_equal(again["stock_litres"].values, pair[1]["stock_litres"].values)


def test_outputs_kept_on_the_device_are_the_ones_returned(pair):
    """The benchmark's device-only run is the same computation as ``simulate``: day-major,
    counts in tankers, blocks padded past the horizon."""
    params = compile_parameters(load_scenario("bamako-2025", MIXED), REPS, DAYS, 5)
    blocks = [jax.device_get(b) for b in simulate_jax_on_device(params)]
    stock = np.concatenate([b["stock_litres"] for b in blocks])
    lost = np.concatenate([b["tankers_lost"] for b in blocks])
    assert stock.shape[0] >= DAYS
    assert np.array_equal(np.moveaxis(stock[:DAYS], 0, 1), pair[1]["stock_litres"].values)
    assert np.array_equal(np.moveaxis(lost[:DAYS], 0, 1), pair[1]["tankers_lost"].values)


@pytest.mark.parametrize("calm", [False, True])  # stockouts everywhere / never (censored)
def test_metrics_reduced_on_the_device_equal_the_reduced_outputs(pair, calm):
    """``simulate_jax_metrics`` (what sweeps and sensitivity use on JAX) against the same
    metrics computed on the host from ``simulate``'s daily outputs, same draws: equal, except
    the mean queue wait, summed in float32 on the device."""
    if calm:
        # Without the timeline's rationing (rationed demand counts as unserved).
        sc = load_scenario("bamako-2025", ["adversary.intensity=0",
                                           "adversary.bans.0.compliance=0", "timeline=[]"])
        result = simulate(sc, replications=REPS, days=DAYS, seed=5, backend="jax")
    else:
        sc, result = load_scenario("bamako-2025", MIXED), pair[1]
    got = simulate_jax_metrics(compile_parameters(sc, REPS, DAYS, 5), [m.name for m in METRICS])
    for metric in METRICS:
        want = reduce_daily(metric.reduction, result[metric.output].values).astype(float)
        if metric.reduction == "mean":
            assert np.allclose(got[metric.name], want, rtol=1e-5, atol=1e-6), metric.name
        else:
            assert np.array_equal(got[metric.name], want), metric.name
    first = got["first_stockout_day"]
    assert (first == DAYS).all() if calm else (first < DAYS).all()


def _agree(a, b) -> None:
    """Per-replication samples ``a`` and ``b`` of one quantity come from the same law (Welch's
    t-test on the means and Kolmogorov-Smirnov on the distributions)."""
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 1e-3
    assert stats.ks_2samp(a, b).pvalue > 1e-3


def _per_replication(result, name, days=slice(None)):
    """An output summed over its own axes and averaged over ``days``, per replication."""
    values = result[name].isel(day=days).values.astype(float)
    return values.reshape(values.shape[0], values.shape[1], -1).sum(axis=2).mean(axis=1)


def _daily_means_agree(pair, name) -> None:
    """The two engines' mean daily paths of ``name`` stay within a few standard errors."""
    sa, sb = (r[name].values.reshape(REPS, DAYS, -1).sum(axis=2).astype(float) for r in pair)
    se = np.sqrt(sa.var(0) / REPS + sb.var(0) / REPS) + 1e-6 * np.abs(sa).mean() + 1e-9
    assert np.all(np.abs(sa.mean(0) - sb.mean(0)) < 5 * se), name


def test_jax_and_numpy_engines_agree_statistically(pair):
    a, b = (r.totals() for r in pair)
    for col in ("delivered_litres", "destroyed_litres", "tankers_lost", "attacks",
                "drivers_kidnapped", "days_in_stockout", "returned_litres"):
        assert a[col].std() > 0, col  # a constant would pass vacuously
        _agree(a[col], b[col])
    for name in ("convoys_arrived", "tankers_dispatched", "unserved_litres", "stations_open",
                 "queue_wait_hours", "goods_price_index", "escorts_busy"):
        _agree(*(_per_replication(r, name) for r in pair))
    for name in ("stock_litres", "gate_litres", "escort_pool", "attack_intensity",
                 "delivered_litres"):
        _daily_means_agree(pair, name)


def test_v2_mechanisms_agree_with_numpy(pair_v2):
    """Fuel waiting at a binding gate, escorts busy and in a pool the timeline grows, convoys
    arriving, and a switching campaign's intensity: same laws in both engines."""
    numpy_run, jax_run = pair_v2
    for result in pair_v2:  # the scenario exercises what is compared
        ds = result.dataset
        assert (ds["escort_pool"].values[:, :20] == 3).all()
        assert (ds["escort_pool"].values[:, 20:] == 15).all()
        assert ds["gate_litres"].isel(day=slice(10, 35)).values.sum(-1).mean() > 1e5
        assert (ds["escorts_busy"].values <= ds["escort_pool"].values).all()
        # A regime switch jumps the intensity (its yearly growth moves it far less in a day).
        jumps = np.abs(np.diff(np.log(ds["attack_intensity"].values), axis=1)) > 0.05
        assert 0.3 < jumps.any(axis=1).mean() < 1.0
    for name, days in (("gate_litres", slice(0, 35)), ("gate_litres", slice(35, None)),
                       ("escorts_busy", slice(0, 20)), ("escorts_busy", slice(20, None)),
                       ("convoys_arrived", slice(None)), ("attack_intensity", slice(None)),
                       ("tankers_dispatched", slice(None)), ("delivered_litres", slice(None)),
                       ("tankers_lost", slice(None)), ("unserved_litres", slice(None)),
                       ("disruption", slice(None))):
        a, b = (_per_replication(r, name, days) for r in pair_v2)
        assert np.ptp(a) > 0, name
        _agree(a, b)
    for name in ("gate_litres", "escorts_busy", "attack_intensity", "stock_litres"):
        _daily_means_agree(pair_v2, name)


def test_jax_engine_respects_zero_hazard_and_total_ban():
    calm = simulate(load_scenario("bamako-2025", ["adversary.intensity=0"] + MIXED[:1]),
                    replications=REPS, days=DAYS, seed=1, backend="jax")
    assert int(calm["tankers_lost"].sum()) == 0 and int(calm["attacks"].sum()) == 0
    total = ["adversary.bans.0.compliance=1", "adversary.bans.0.compliance_half_life_days=null"]
    ban = simulate(load_scenario("bamako-2025", total + MIXED),
                   replications=REPS, days=DAYS, seed=1, backend="jax")
    assert int(ban["tankers_dispatched"].sum()) == 0
    stock = ban["stock_litres"].sum("product").values
    assert np.all(np.diff(stock, axis=1) <= 1e-3 * stock[:, :1])


def test_unknown_backend_is_a_clear_error(bamako):
    with pytest.raises(ScenarioError, match="unknown backend"):
        simulate(bamako, replications=2, days=2, backend="cupy")


def test_cli_run_with_jax_backend_stores_the_run(pair):
    from typer.testing import CliRunner

    from siegeline.cli.main import app
    from siegeline.results import ResultStore

    args = ["run", "bamako-2025", "-n", str(REPS), "-d", str(DAYS), "--seed", "5",
            "--backend", "jax"] + [x for o in MIXED for x in ("--set", o)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    stored = ResultStore().load("latest")
    assert stored.metadata["backend"] == "jax"
    assert np.array_equal(stored["tankers_lost"].values, pair[1]["tankers_lost"].values)
    bad = CliRunner().invoke(app, ["run", "-n", "2", "-d", "2", "--backend", "cupy"])
    assert bad.exit_code == 2 and "unknown backend" in bad.output


def test_missing_jax_is_a_clear_error_with_the_install_command(monkeypatch, tmp_path):
    import sys

    from typer.testing import CliRunner

    from siegeline.cli.main import app

    monkeypatch.setitem(sys.modules, "jax", None)  # as on a machine without JAX
    monkeypatch.delitem(sys.modules, "siegeline.engines.backends.jax_engine")
    monkeypatch.delattr(backends, "jax_engine")
    res = CliRunner().invoke(app, ["run", "-n", "4", "-d", "3", "--backend", "jax",
                                   "--no-store"])
    assert res.exit_code == 2, res.output
    assert "the jax backend needs JAX" in res.output
    assert "pip install 'siegeline[gpu]'" in res.output.replace("\n", " ")
