"""Runs as jobs: cancellation, the memory guard, 409 for data of unfinished runs, and nothing
vanishes when the server is killed (kill -9, then a restart on the same store)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from siegeline.web import WebSettings, create_app

LONG = {"engine": "reference", "replications": 12, "days": 300, "seed": 1}  # ~30 s of one core


def _wait(client, run_id: str, states: tuple[str, ...], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/api/runs/{run_id}/progress").json()
        if state["status"] in states:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


@pytest.fixture()
def client(tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb"))
    with TestClient(app, base_url="http://localhost") as c:
        yield c


def test_cancel_running_and_queued_runs(client):
    first = client.post("/api/runs", json=LONG).json()["run_id"]
    second = client.post("/api/runs", json={**LONG, "seed": 2}).json()["run_id"]
    _wait(client, first, ("running",))
    queued = client.delete(f"/api/runs/{second}")
    assert queued.status_code == 200 and queued.json()["status"] == "cancelled"
    started = time.monotonic()
    running = client.delete(f"/api/runs/{first}").json()
    assert running["status"] == "cancelled" and time.monotonic() - started < 5
    assert running["error"] == "cancelled while running"
    again = client.delete(f"/api/runs/{first}")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    data = client.get(f"/api/runs/{first}/summary")
    assert data.status_code == 409 and data.json()["status"] == "cancelled"
    listed = client.get("/api/runs").json()
    assert {r["run_id"] for r in listed["ended"]} == {first, second}
    assert listed["active"] == [] and listed["runs"] == []
    # The worker is free again: a small run completes.
    small = client.post("/api/runs", json={"replications": 5, "days": 10}).json()["run_id"]
    assert _wait(client, small, ("done", "failed"))["status"] == "done"
    assert client.delete("/api/runs/nope").status_code == 409


def test_data_of_a_running_run_is_409_with_its_state(client):
    run_id = client.post("/api/runs", json=LONG).json()["run_id"]
    _wait(client, run_id, ("running",))
    for path in ("summary", "charts/cover_days", "quantiles/cover_days", ""):
        resp = client.get(f"/api/runs/{run_id}/{path}".rstrip("/"))
        assert resp.status_code == 409, (path, resp.text)
        assert resp.json()["status"] == "running" and "day 0 of 300" in resp.json()["detail"]
    client.delete(f"/api/runs/{run_id}")


def test_memory_guard_kills_a_run_and_marks_it_failed(tmp_path):
    settings = WebSettings(store_path=tmp_path / "s.duckdb", max_worker_bytes=300 * 2**20)
    with TestClient(create_app(settings), base_url="http://localhost") as c:
        run_id = c.post("/api/runs", json={"replications": 2000, "days": 180}).json()["run_id"]
        state = _wait(c, run_id, ("done", "failed"))
        assert state["status"] == "failed"
        assert "more than 0.29 GiB of memory" in state["error"], state
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/runs").json()["runs"] == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(store: Path, port: int) -> subprocess.Popen:
    code = ("import uvicorn; from siegeline.web import WebSettings, create_app; "
            f"uvicorn.run(create_app(WebSettings(store_path={str(store)!r})), host='127.0.0.1', "
            f"port={port}, log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return proc
        except httpx.TransportError:
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.2)


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


def test_runs_survive_kill_9_as_interrupted(tmp_path):
    store, port = tmp_path / "s.duckdb", _free_port()
    server = _serve(store, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            running = c.post("/api/runs", json=LONG).json()["run_id"]
            queued = c.post("/api/runs", json={**LONG, "seed": 5}).json()["run_id"]
            _wait(c, running, ("running",))
            children = _descendants(server.pid)
            assert children, "the run has its own process"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    deadline = time.monotonic() + 10  # the run's process ends with its server
    while children & {int(p.name) for p in Path("/proc").glob("[0-9]*")}:
        assert time.monotonic() < deadline, "a run outlived its killed server"
        time.sleep(0.2)
    server = _serve(store, port)
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            for run_id, was in ((running, "running"), (queued, "queued")):
                state = c.get(f"/api/runs/{run_id}/progress").json()
                assert state["status"] == "interrupted", state
                assert f"stopped while the run was {was}" in state["error"]
                assert c.get(f"/api/runs/{run_id}/summary").status_code == 409
            assert {r["run_id"] for r in c.get("/api/runs").json()["ended"]} == {running, queued}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
