import numpy as np
import pytest

from siegeline.engines import simulate
from siegeline.results import NEVER, ResultStore, RunNotFound, SimulationResult


@pytest.fixture(scope="module")
def result():
    from siegeline.scenario import load_scenario

    return simulate(load_scenario("bamako-2025"), replications=30, days=60, seed=3)


def _same(a, b):
    for name in a.dataset.data_vars:
        assert np.array_equal(a[name].values, b[name].values), name


def test_store_round_trip(tmp_path, result, bamako):
    store = ResultStore(tmp_path / "runs.duckdb")
    run_id = store.save(result, bamako.model_dump_json(), label="test")
    assert len(run_id) > 20  # time prefix + 64 random bits
    loaded = store.load(run_id)
    _same(result, loaded)
    assert loaded.metadata["scenario_hash"] == result.metadata["scenario_hash"]
    assert list(loaded.samples.columns) == list(result.samples.columns)
    assert store.resolve("latest") == run_id
    assert store.resolve(run_id[:18]) == run_id
    record = store.run_record(run_id)
    assert record["scenario"]["name"] == "bamako-2025"
    with pytest.raises(RunNotFound):
        store.load("nonexistent")


def test_parquet_round_trip(tmp_path, result):
    path = result.save_parquet(tmp_path / "out" / "run.parquet")
    assert not list(path.parent.glob(".tmp-*"))
    _same(result, SimulationResult.load_parquet(path))


def test_stockout_summaries_are_consistent(result):
    first = result.first_stockout_day()
    flags = result["stockout"].any("product").values
    for r in range(result.replications):
        if first[r] == NEVER:
            assert not flags[r].any()
        else:
            assert flags[r, first[r]] and not flags[r, : first[r]].any()
    p = result.stockout_probability().values
    assert np.all(np.diff(p) >= 0)
    assert p[-1] == pytest.approx((first != NEVER).mean())
    q = result.quantiles("cover_days")
    assert (q.sel(quantile=0.05) <= q.sel(quantile=0.95)).all()
    summary = result.summary()
    assert set(summary["indicator"]) >= {"cover_days", "p_stockout_by_day", "informal_price"}
