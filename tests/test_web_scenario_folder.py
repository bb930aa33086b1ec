"""`siegeline serve --scenarios DIR`: the folder's scenario files are listed, run and viewed like
the packaged ones; names never become paths; an invalid file is listed as such and breaks
nothing; a name that would hide a packaged scenario is refused at start-up."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from siegeline.cli.main import app as cli
from siegeline.scenario import load_scenario
from siegeline.web import WebSettings, create_app

DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"


def _wait(client: TestClient, run_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        state = client.get(f"/api/runs/{run_id}/progress").json()
        if state["status"] in ("done", "failed", "cancelled"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


@pytest.fixture()
def folder(tmp_path):
    path = tmp_path / "scenarios"
    path.mkdir()
    shutil.copy(DJIBO, path / "djibo-2022.yaml")
    (path / "broken.yaml").write_text("name: broken\nsimulation: {horizon_days: -3}\n")
    return path


@pytest.fixture()
def client(folder, tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb", scenarios_path=folder))
    with TestClient(app, base_url="http://localhost") as c:
        yield c


def test_folder_scenario_is_listed_run_and_viewed(client):
    listed = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert listed["bamako-2025"]["source"] == "packaged"
    djibo = listed["djibo-2022"]
    assert (djibo["source"], djibo["valid"], djibo["horizon_days"]) == ("folder", True, 60)
    assert djibo["title"] == load_scenario(DJIBO).title
    # ... the invalid file beside it is listed with its first problem and cannot be run.
    assert listed["broken"]["valid"] is False and listed["broken"]["error"]
    refused = client.post("/api/runs", json={"scenario": "broken", "replications": 2, "days": 3})
    assert refused.status_code == 422 and "invalid" in refused.text

    assert client.get("/api/scenarios/djibo-2022").json()["currency"] == "XOF"
    assert client.get("/api/scenarios/djibo-2022/controls").json()["horizon_days"] == 60
    assert client.get("/api/scenarios/djibo-2022/map").json()["data"]
    ok = client.post("/api/scenarios/djibo-2022/validate", json={"replications": 4, "days": 10})
    assert ok.status_code == 200, ok.text

    started = client.post("/api/runs", json={"scenario": "djibo-2022", "replications": 4,
                                             "days": 10, "seed": 3})
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    assert _wait(client, run_id)["status"] == "done"
    record = client.get(f"/api/runs/{run_id}").json()
    assert record["metadata"]["scenario_name"] == "djibo-2022"
    assert int(record["metadata"]["days"]) == 10
    curves = client.get(f"/api/runs/{run_id}/stockout").json()["curves"]
    assert {"gasoil", "super"} <= set(curves)  # Djibo's products, not Bamako's
    assert client.get(f"/api/runs/{run_id}/charts/cover_days").status_code == 200
    # The schema's enum names the folder's scenario (and not the invalid file).
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["RunRequest"]["properties"]["scenario"]["enum"] == ["bamako-2025",
                                                                     "djibo-2022"]


def test_names_are_never_paths(client, folder):
    shutil.copy(DJIBO, folder.parent / "outside.yaml")  # next to the folder, not in it
    for name in ("../outside", "../x", "/etc/passwd", ".hidden", "a/b"):
        resp = client.post("/api/runs", json={"scenario": name, "replications": 2, "days": 3})
        assert resp.status_code == 422, (name, resp.text)
        assert resp.json()["detail"][0]["loc"] == ["body", "scenario"]
    assert client.get("/api/scenarios/..%2Foutside").status_code in (404, 422)
    assert client.get("/api/plan/route", params={"scenario": "../outside"}).status_code == 422
    unknown = client.post("/api/runs", json={"scenario": "djibo-2023"})
    assert unknown.status_code == 422
    assert "did you mean `djibo-2022`" in unknown.json()["detail"][0]["msg"]
    assert client.get("/api/scenarios/djibo-2023").status_code == 404


def test_files_are_read_again_when_they_change(client, folder):
    text = DJIBO.read_text()
    (folder / "second.yaml").write_text(text.replace("name: djibo-2022", "name: second"))
    assert "second" in {s["name"] for s in client.get("/api/scenarios").json()}
    assert client.get("/api/scenarios/second").json()["simulation"]["horizon_days"] == 60
    edited = folder / "second.yaml"
    edited.write_text(text.replace("name: djibo-2022", "name: second")
                      .replace("horizon_days: 60", "horizon_days: 45"))
    st = edited.stat()  # a new version even where the clock's resolution is coarse
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert client.get("/api/scenarios/second").json()["simulation"]["horizon_days"] == 45
    edited.unlink()
    assert client.get("/api/scenarios/second").status_code == 404
    # A file named as a packaged scenario, added while the server runs, hides nothing.
    shutil.copy(DJIBO, folder / "bamako-2025.yaml")
    listed = [s for s in client.get("/api/scenarios").json() if s["name"] == "bamako-2025"]
    assert [s["source"] for s in listed] == ["packaged", "folder"]
    assert listed[1]["valid"] is False
    assert client.get("/api/scenarios/bamako-2025").json()["currency"] != "XOF"


def test_a_clash_with_a_packaged_name_is_refused_at_start_up(folder, tmp_path):
    shutil.copy(DJIBO, folder / "bamako-2025.yaml")
    with pytest.raises(ValueError, match="bamako-2025.yaml would hide the packaged scenario"):
        create_app(WebSettings(store_path=tmp_path / "s.duckdb", scenarios_path=folder))
    result = CliRunner().invoke(cli, ["serve", "--scenarios", str(folder),
                                      "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code != 0
    assert "would hide the packaged scenario" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    from_env = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "s.duckdb")],
                                  env={"SIEGELINE_SCENARIOS": str(folder)})
    assert from_env.exit_code != 0 and "would hide the packaged scenario" in from_env.output
