"""Bounded work: runs whose cost exceeds the server's limits are refused before they start (the
run endpoint and both validate endpoints), the estimate covers what a run really holds, and
request fields are strictly typed."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from siegeline.engines import simulate
from siegeline.scenario import load_raw, load_scenario
from siegeline.web import WebSettings, create_app
from siegeline.web.cost import OUTPUT_COPIES, estimate_cost

HUGE_FLEET = ["corridors.dakar-kayes-kita.fleet.diesel=1000000000"]


@pytest.fixture()
def client(tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb"))
    with TestClient(app, base_url="http://localhost") as c:
        yield c


def _detail(resp) -> list[tuple[list, str]]:
    assert resp.status_code == 422, resp.text
    return [(d["loc"], d["msg"]) for d in resp.json()["detail"]]


@pytest.mark.parametrize("engine", ["reference", "vectorized"])
def test_huge_fleet_is_refused_at_once_and_server_keeps_answering(client, engine):
    started = time.monotonic()
    body = {"engine": engine, "replications": 1, "days": 1, "overrides": HUGE_FLEET}
    problems = dict((tuple(loc), msg) for loc, msg in _detail(client.post("/api/runs", json=body)))
    assert "1,000,002,784 tankers" in problems["body", "engine"], problems
    if engine == "reference":  # 1.2 kB per simulated tanker
        assert "1,117.59 GiB" in problems["body", "replications"]
    again = _detail(client.post("/api/scenarios/bamako-2025/validate", json=body))
    assert [loc for loc, _ in again] == [list(k) for k in problems]
    assert time.monotonic() - started < 5
    assert client.get("/api/runs").json()["active"] == []  # nothing was queued
    assert client.get("/api/health").status_code == 200


def test_whole_document_validation_checks_the_cost(client):
    doc = load_raw("bamako-2025")
    doc["corridors"][0]["fleet"]["diesel"] = 10**9
    (loc, msg), = _detail(client.post("/api/scenarios/validate", json={"scenario": doc}))
    assert loc == ["body", "engine"] and "1,000,002,784 tankers" in msg


def test_reference_engine_has_a_lower_replication_day_cap(client):
    body = {"engine": "reference", "replications": 200, "days": 180}
    (loc, msg), = _detail(client.post("/api/runs", json=body))
    assert loc == ["body", "replications"] and "36,000 replication-days" in msg
    assert "20,000 for the reference engine" in msg
    ok = client.post("/api/scenarios/bamako-2025/validate", json={**body, "engine": "vectorized"})
    assert ok.status_code == 200 and ok.json()["cost"]["replication_days"] == 36_000


def test_memory_estimate_refuses_beyond_the_limit(tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb", max_run_bytes=100 * 2**20))
    with TestClient(app, base_url="http://localhost") as c:
        (loc, msg), = _detail(c.post("/api/runs", json={"replications": 1000, "days": 180}))
        assert loc == ["body", "replications"] and "0.10 GiB" in msg and "memory" in msg
        assert c.post("/api/scenarios/bamako-2025/validate",
                      json={"replications": 50, "days": 60}).status_code == 200


def test_estimate_covers_the_outputs_and_grows_with_the_run(bamako):
    result = simulate(bamako, replications=30, days=40, seed=3)
    held = sum(v.nbytes for v in result.dataset.data_vars.values())
    cost = estimate_cost(bamako, 30, 40, "vectorized")
    assert cost.memory_bytes >= OUTPUT_COPIES * held * 0.95  # the outputs alone, held 3 times
    assert cost.tankers == sum(sum(c.fleet.values()) for c in bamako.corridors)
    double = estimate_cost(bamako, 60, 40, "vectorized").memory_bytes
    assert double == pytest.approx(2 * cost.memory_bytes, rel=0.01)
    slow = load_scenario("bamako-2025", ["corridors.dakar-kayes-kita.fleet.diesel=500000"])
    ref = estimate_cost(slow, 30, 40, "reference")
    assert ref.memory_bytes - estimate_cost(bamako, 30, 40, "reference").memory_bytes \
        == pytest.approx(1_200 * (500_000 - 502))


@pytest.mark.parametrize("body", [
    {"replications": True}, {"days": False}, {"seed": False}, {"replications": 2.0},
    {"controls": {"rationing": "yes"}}, {"controls": {"escort_pool": True}},
    {"controls": {"intensity_scale": True}}, {"engine": "turbo"},
])
def test_strict_types(client, body):
    resp = client.post("/api/scenarios/bamako-2025/validate", json=body)
    assert resp.status_code == 422, (body, resp.text)
    assert client.post("/api/runs", json={"replications": 2, "days": 2, **body}
                       ).status_code == 422


def test_a_full_store_refuses_new_runs(tmp_path, bamako):
    from siegeline.results.store import ResultStore

    store = ResultStore(tmp_path / "s.duckdb")
    store.save(simulate(bamako, replications=5, days=10, seed=1), bamako.model_dump_json())
    size = store.path.stat().st_size
    app = create_app(WebSettings(store_path=store.path, max_store_bytes=size))
    with TestClient(app, base_url="http://localhost") as c:
        resp = c.post("/api/runs", json={"replications": 2, "days": 2})
        assert resp.status_code == 507 and "--max-store-gb" in resp.json()["detail"]
        assert c.get("/api/runs").json()["active"] == []
    roomy = create_app(WebSettings(store_path=store.path, max_store_bytes=size + 2**20))
    with TestClient(roomy, base_url="http://localhost") as c:
        assert c.post("/api/runs", json={"replications": 2, "days": 2}).status_code == 202
