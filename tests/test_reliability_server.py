"""A safe server: loopback by default, token authentication, no crash on any payload, no path
traversal, unguessable run ids, and 50 concurrent clients on loopback without an error."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from siegeline.cli.main import app as cli_app
from siegeline.cli.web import serve
from siegeline.engines import simulate
from siegeline.results.store import ResultStore, new_run_id
from siegeline.scenario import load_scenario
from siegeline.web import WebSettings, create_app
from siegeline.web.security import check_bind, is_loopback

TOKEN = "s3cret-token-for-tests-0123456789"


def _load_benchmark_tool():
    """``benchmarks/loadtest.py`` (the load test lives with the benchmarks, not the package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "loadtest.py"
    spec = importlib.util.spec_from_file_location("benchmarks_loadtest", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


run_load = _load_benchmark_tool().run_load


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "store.duckdb"
    scenario = load_scenario("bamako-2025")
    run_id = ResultStore(path).save(simulate(scenario, replications=5, days=30, seed=1),
                                    scenario.model_dump_json(), label="web")
    return path, run_id


def small_settings(path, **kw) -> WebSettings:
    return WebSettings(store_path=path, max_replications=20, max_days=20, **kw)


def test_loopback_by_default_and_token_required_elsewhere():
    assert inspect.signature(serve).parameters["host"].default.default == "127.0.0.1"
    for host in ("127.0.0.1", "::1", "localhost", "127.3.4.5"):
        assert is_loopback(host)
        check_bind(host, None)
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        assert not is_loopback(host)
        with pytest.raises(ValueError, match="--token"):
            check_bind(host, None)
        check_bind(host, TOKEN)
    with pytest.raises(ValueError, match="at least 16"):
        check_bind("0.0.0.0", "short")
    res = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "--token" in res.output


def test_token_authentication(stored_run):
    path, run_id = stored_run
    client = TestClient(create_app(small_settings(path, token=TOKEN)), base_url="http://localhost")
    assert client.get("/api/health").status_code == 401
    assert client.get("/api/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get(f"/api/runs/{run_id}/summary", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert TOKEN not in client.get(
        "/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).text
    # The dashboard link sets an HttpOnly cookie; later requests need nothing else.
    browser = TestClient(create_app(small_settings(path, token=TOKEN)), base_url="http://localhost")
    first = browser.get(f"/?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and "HttpOnly" in first.headers["set-cookie"]
    assert browser.get("/api/health").status_code == 200
    assert browser.get("/").status_code == 200
    # Without a token configured (loopback), nothing is asked.
    plain = TestClient(create_app(small_settings(path)), base_url="http://localhost")
    assert plain.get("/api/health").status_code == 200


def payloads(seed: int, n: int) -> list[tuple[str, bytes]]:
    """Deterministic bad (and a few good) request bodies for the POST endpoints."""
    rng = np.random.default_rng(seed)
    weird = [None, True, -1, 0, 10**30, 1e308, "NaN", "", "x" * 600, [], {}, [1, 2],
             {"a": {"b": {"c": []}}}, "../../etc/passwd", "bamako-2025\x00", "🙂" * 40]
    fields = ["scenario", "replications", "days", "seed", "engine", "label", "overrides",
              "controls", "unknown"]
    override_texts = ["adversary.intensity=2", "adversary.intensity=-1", "../../x=1", "=",
                      "nodes=[]", "simulation.start_date=2025-02-30", "a" * 499 + "=1",
                      "city.demand_multiplier=.nan", "escorts.pool_size=1e40", "noequals"]
    out: list[tuple[str, bytes]] = []
    for _ in range(n):
        kind = rng.integers(5)
        if kind == 0:  # a run request with one or two weird fields
            body: dict = {"replications": 3, "days": 5}
            for _ in range(rng.integers(1, 3)):
                body[fields[rng.integers(len(fields))]] = weird[rng.integers(len(weird))]
            out.append(("/api/runs", json.dumps(body).encode()))
        elif kind == 1:  # overrides
            picks = rng.choice(override_texts, size=rng.integers(1, 4)).tolist()
            out.append(("/api/runs", json.dumps({"replications": 2, "days": 3,
                                                 "overrides": picks}).encode()))
        elif kind == 2:  # a whole scenario document, broken
            doc = load_scenario("bamako-2025").model_dump(mode="json")
            key = list(doc)[rng.integers(len(doc))]
            doc[key] = weird[rng.integers(len(weird))]
            out.append(("/api/scenarios/validate", json.dumps({"scenario": doc}).encode()))
        elif kind == 3:  # not JSON, truncated JSON, NaN literals
            good = json.dumps({"replications": 2, "days": 3}).encode()
            choice = [b"", b"{", good[: rng.integers(1, len(good))], b"\xff\xfe\x00",
                      b'{"replications": NaN}', b"[" * 5000 + b"]" * 5000, b"null"]
            out.append(("/api/runs", choice[rng.integers(len(choice))]))
        else:
            out.append(("/api/scenarios/bamako-2025/validate",
                        json.dumps({"overrides": rng.choice(override_texts, 2).tolist(),
                                    "controls": weird[rng.integers(len(weird))]}).encode()))
    return out


def test_api_payload_fuzz_never_crashes(stored_run):
    path, _ = stored_run
    client = TestClient(create_app(small_settings(path, max_body_bytes=50_000)), base_url="http://localhost",
                        raise_server_exceptions=False)
    statuses = {}
    cases = payloads(20250903, 200)
    assert len({b for _, b in cases}) > 130
    for url, body in cases:
        res = client.post(url, content=body, headers={"content-type": "application/json"})
        statuses[res.status_code] = statuses.get(res.status_code, 0) + 1
        assert res.status_code in (200, 202, 400, 413, 422, 429), (url, body[:200], res.text)
        assert "Traceback" not in res.text
        if res.status_code == 422:
            assert res.json()["detail"], res.text
    assert statuses.get(422, 0) > 60
    huge = client.post("/api/runs", content=b"{" + b" " * 60_000 + b"}",
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413


TRAVERSAL = ["/api/scenarios/..%2F..%2F..%2Fetc%2Fpasswd", "/api/scenarios/%2Fetc%2Fpasswd",
             "/api/scenarios/....//....//etc/passwd/map", "/api/runs/..%2F..%2Fsiegeline.duckdb",
             "/api/runs/%2e%2e/summary", "/api/runs/../../etc/passwd/download",
             "/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/pyproject.toml",
             "/api/runs/latest/charts/..%2F..%2Fetc%2Fpasswd", "/api/compare?runs=../../x"]


def test_no_path_traversal(stored_run):
    path, _ = stored_run
    client = TestClient(create_app(small_settings(path)), base_url="http://localhost",
                        raise_server_exceptions=False)
    for url in TRAVERSAL:
        res = client.get(url)
        assert res.status_code in (400, 404, 422), (url, res.status_code)
        assert "root:" not in res.text and "[project]" not in res.text


def test_run_ids_are_not_guessable(stored_run):
    path, run_id = stored_run
    ids = [new_run_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{16}", i) for i in ids)  # 64 random bits
    # Random parts share no structure: each hex digit is close to uniform over 2,000 ids.
    digits = np.array([[int(c, 16) for c in i.split("-")[1]] for i in ids])
    counts = np.stack([(digits == d).sum() for d in range(16)])
    assert counts.min() > 0.8 * digits.size / 16 and counts.max() < 1.2 * digits.size / 16
    client = TestClient(create_app(small_settings(path)), base_url="http://localhost")
    assert client.get(f"/api/runs/{run_id[:15]}-0000000000000000/summary").status_code == 404


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_fifty_concurrent_clients_on_loopback(stored_run):
    """Bounded load: 50 clients x 4 requests against a real uvicorn server on 127.0.0.1 (the
    1,000-request figures in docs/reliability.md come from benchmarks/bench_server_load.py)."""
    path, run_id = stored_run
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(small_settings(path, token=TOKEN)),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        paths = ["/api/health", "/api/scenarios", "/api/runs", f"/api/runs/{run_id}/summary",
                 f"/api/runs/{run_id}/stockout"]
        report = run_load(f"http://127.0.0.1:{port}", paths, clients=50, requests_per_client=4,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    print(report.describe())
    assert report.requests == 200 and len(report.latencies_ms) == 200
    assert report.errors == 0, (report.statuses, report.failures[:5])
    assert report.statuses[200] == 200


def test_response_deadline_cuts_slow_handlers_but_not_streams():
    import asyncio

    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    from siegeline.web.security import ResponseDeadline

    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(5)
        return {"done": True}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def ticks():
            for i in range(4):  # lasts longer than the deadline, but started at once
                yield f"{i}\n"
                await asyncio.sleep(0.1)
        return StreamingResponse(ticks(), media_type="text/plain")

    app.add_middleware(ResponseDeadline, seconds=0.25)
    client = TestClient(app, base_url="http://localhost")
    start = time.monotonic()
    res = client.get("/slow")
    assert res.status_code == 504 and time.monotonic() - start < 3
    assert client.get("/stream").text == "0\n1\n2\n3\n"
