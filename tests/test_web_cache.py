"""Reads from memory: a stored run is loaded once however many clients ask (also at once), a run
saved by another process appears at once, and run-id prefixes resolve as in the store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from siegeline.engines import simulate
from siegeline.results.store import ResultStore
from siegeline.web import WebSettings, create_app


@pytest.fixture()
def setup(tmp_path, bamako):
    store = ResultStore(tmp_path / "s.duckdb")
    first = store.save(simulate(bamako, replications=6, days=20, seed=1),
                       bamako.model_dump_json(), label="first")
    app = create_app(WebSettings(store_path=store.path))
    loads: list[str] = []
    real_load = app.state.store.store.load

    def counting_load(run_id: str):
        loads.append(run_id)
        return real_load(run_id)

    app.state.store.store.load = counting_load
    with TestClient(app, base_url="http://localhost") as client:
        yield client, store, first, loads


def test_a_run_is_loaded_once(setup):
    client, _, first, loads = setup
    for _ in range(5):
        for path in ("summary", "quantiles/cover_days", "charts/cover_days?item=hfo", "stockout",
                     "map"):
            assert client.get(f"/api/runs/{first}/{path}").status_code == 200
    assert loads == [first]


def test_concurrent_first_reads_compute_once(setup):
    client, _, first, loads = setup
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: client.get(f"/api/runs/{first}/summary").json(),
                               range(16)))
    assert loads == [first] and all(b == bodies[0] for b in bodies)


def test_runs_saved_elsewhere_appear_and_prefixes_resolve(setup, bamako):
    client, store, first, _ = setup
    assert [r["run_id"] for r in client.get("/api/runs").json()["runs"]] == [first]
    second = store.save(simulate(bamako, replications=6, days=20, seed=2),
                        bamako.model_dump_json(), label="second")  # as `siegeline run` does
    assert [r["run_id"] for r in client.get("/api/runs").json()["runs"]] == [second, first]
    assert client.get("/api/runs/latest").json()["run_id"] == second
    shared = next(i for i in range(len(first)) if first[i] != second[i])
    assert client.get(f"/api/runs/{first[:shared]}").status_code == 404  # ambiguous prefix
    assert client.get(f"/api/runs/{first[:shared + 1]}").json()["label"] == "first"
    compare = client.get(f"/api/compare?a={first}&b={second}").json()
    assert (compare["a"]["label"], compare["b"]["label"]) == ("first", "second")


def test_the_newest_runs_are_read_before_any_request(tmp_path, bamako, monkeypatch):
    """At start the server reads the newest small runs (their first requests under load would
    otherwise queue behind DuckDB); a run above the size bound is read only when asked for."""
    from siegeline.web import store_access

    monkeypatch.setattr(store_access, "PRELOAD_MAX_REPLICATION_DAYS", 4 * 12)
    store = ResultStore(tmp_path / "s.duckdb")
    small = store.save(simulate(bamako, replications=4, days=12, seed=1), bamako.model_dump_json())
    big = store.save(simulate(bamako, replications=5, days=12, seed=2), bamako.model_dump_json())
    access = store_access.StoreAccess(store.path, cache_size=4)
    loads: list[str] = []
    real_load = access.store.load
    access.store.load = lambda run_id: loads.append(run_id) or real_load(run_id)
    access.preload()
    assert loads == [small]
    access.load(small)  # from memory
    assert loads == [small]
    access.load(big)
    assert loads == [small, big]


def test_first_answers_are_computed_before_the_first_request(tmp_path, bamako, monkeypatch):
    from siegeline.results.result import SimulationResult

    store = ResultStore(tmp_path / "s.duckdb")
    run_id = store.save(simulate(bamako, replications=4, days=40, seed=1),
                        bamako.model_dump_json())
    calls: list[int] = []
    real_summary = SimulationResult.summary
    monkeypatch.setattr(SimulationResult, "summary",
                        lambda self, *a: calls.append(1) or real_summary(self, *a))
    with TestClient(create_app(WebSettings(store_path=store.path)),
                    base_url="http://localhost") as client:
        assert calls == [1]  # at start, before any request
        body = client.get(f"/api/runs/{run_id}/summary").json()
        assert calls == [1]
        assert {(r["indicator"], r["day"]) for r in body["summary"]} >= {("stations_open", 30),
                                                                          ("stations_open", 40)}
        client.get(f"/api/compare?a={run_id}&b={run_id}")  # not precomputed: computed now
        assert len(calls) == 3
