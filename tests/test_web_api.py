"""HTTP API through FastAPI's test client: every endpoint, checked against the engine and the
store directly, and the error cases (field at fault, limits, 404, 413, 429)."""

from __future__ import annotations

import io
import json
import time
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from siegeline.engines import simulate
from siegeline.reports.timeline import regime_rows
from siegeline.results import ResultStore, SimulationResult
from siegeline.scenario import load_raw, load_scenario, scenario_hash, validate_scenario
from siegeline.scenario.timeline import timeline_phases
from siegeline.web import WebSettings, create_app
from siegeline.web.controls import Controls, controls_to_overrides

CONTROLS = {"intensity_scale": 2.0, "escort_pool": 30, "convoy_mode": "convoy",
            "convoy_interval_days": 4, "escorts_per_convoy": 3, "rationing_start_cover_days": 9}
RUN = {"replications": 40, "days": 50, "seed": 11}


def _wait(client: TestClient, run_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        state = client.get(f"/api/runs/{run_id}/progress").json()
        if state["status"] in ("done", "failed"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """One server with two finished runs: A with the dashboard controls, B as in the scenario."""
    store_path = tmp_path_factory.mktemp("web") / "store.duckdb"
    client = TestClient(create_app(WebSettings(store_path=store_path)), base_url="http://localhost")
    started = client.post("/api/runs", json={**RUN, "controls": CONTROLS, "label": "controls"})
    assert started.status_code == 202, started.text
    run_a = started.json()["run_id"]
    assert _wait(client, run_a)["status"] == "done"
    started = client.post("/api/runs", json={**RUN, "label": "plain"})
    run_b = started.json()["run_id"]
    assert _wait(client, run_b)["status"] == "done"
    overrides = controls_to_overrides(load_raw("bamako-2025"), Controls(**CONTROLS))
    direct_a = simulate(load_scenario("bamako-2025", overrides), replications=40, days=50, seed=11)
    direct_b = simulate(load_scenario("bamako-2025"), replications=40, days=50, seed=11)
    with client:
        yield client, store_path, run_a, run_b, direct_a, direct_b


def test_controls_become_override_strings():
    raw = load_raw("bamako-2025")
    out = controls_to_overrides(raw, Controls(**CONTROLS, corridors=["nouakchott-nioro"]))
    assert out == [
        "adversary.intensity=[0.24, 0.5]",  # the scenario's range [0.12, 0.25], doubled
        "escorts.pool_size=30",
        "corridors.nouakchott-nioro.policy.mode=convoy",
        "corridors.nouakchott-nioro.policy.interval_days=4",
        "corridors.nouakchott-nioro.policy.escorts_per_convoy=3",
        "city.rationing.0.below_cover_days=9.0",  # level 0 (3 days) is the mildest
    ]
    raw["adversary"]["intensity"] = {"low": 1.0, "high": 3.0, "distribution": "triangular",
                                     "mode": 2.0}
    scaled = controls_to_overrides(raw, Controls(intensity_scale=0.5))[0]
    assert json.loads(scaled.split("=", 1)[1]) == {"low": 0.5, "high": 1.5,
                                                    "distribution": "triangular", "mode": 1.0}
    assert controls_to_overrides(raw, Controls(rationing=False)) == ["city.rationing=[]"]
    # The dashboard's controls at the scenario's values are no change.
    same = Controls(intensity_scale=1.0, escort_pool=raw["escorts"]["pool_size"])
    assert controls_to_overrides(raw, same) == []


def test_scenario_endpoints(setup, bamako):
    client = setup[0]
    listed = client.get("/api/scenarios").json()
    assert [s["name"] for s in listed] == ["bamako-2025"]
    assert listed[0]["horizon_days"] == bamako.simulation.horizon_days
    assert client.get("/api/scenarios/bamako-2025").json() == bamako.model_dump(mode="json")
    controls = client.get("/api/scenarios/bamako-2025/controls").json()
    assert controls["intensity"] == [0.12, 0.25]
    assert controls["escort_pool"] == bamako.escorts.pool_size
    assert [c["name"] for c in controls["corridors"]] == [c.name for c in bamako.corridors]
    fig = client.get("/api/scenarios/bamako-2025/map").json()
    seg_traces = [t for t in fig["data"] if t.get("name") in {s.id for s in bamako.segments}]
    assert len(seg_traces) == len(bamako.segments)
    # Each segment is drawn between its two nodes' coordinates.
    nodes = {n.id: n for n in bamako.nodes}
    for t in seg_traces:
        seg = next(s for s in bamako.segments if s.id == t["name"])
        assert t["x"] == [nodes[seg.a].lon, nodes[seg.b].lon]
        assert t["y"] == [nodes[seg.a].lat, nodes[seg.b].lat]
    assert client.get("/api/scenarios/nowhere").status_code == 404


def test_validate_changes_and_documents(setup):
    client = setup[0]
    ok = client.post("/api/scenarios/bamako-2025/validate", json={"controls": CONTROLS})
    assert ok.status_code == 200
    expected = load_scenario("bamako-2025", ok.json()["overrides"])
    assert ok.json()["scenario_hash"] == scenario_hash(expected)
    assert expected.adversary.intensity.low == pytest.approx(0.24)
    assert expected.escorts.pool_size == 30
    # A control holds for the whole run: the timeline's own escort pools give way, and its
    # rationing levels start where the control says.
    phases = timeline_phases(expected)
    assert len(phases) > 5 and {ph.scenario.escorts.pool_size for ph in phases} == {30}
    assert {ph.scenario.city.rationing[0].below_cover_days for ph in phases} == {9.0}

    def detail(resp):
        assert resp.status_code == 422, resp.text
        return [(d["loc"], d["msg"]) for d in resp.json()["detail"]]

    bad = client.post("/api/scenarios/bamako-2025/validate",
                      json={"overrides": ["escorts.pool_size=-3"]})
    assert detail(bad)[0][0] == ["scenario", "escorts", "pool_size"]
    bad = client.post("/api/scenarios/bamako-2025/validate",
                      json={"overrides": ["corridors.atlantis.policy.mode=convoy"]})
    assert detail(bad) == [(["overrides", "corridors", "atlantis"],
                            "no list item named 'atlantis'")]
    bad = client.post("/api/scenarios/bamako-2025/validate",
                      json={"controls": {"corridors": ["atlantis"], "convoy_mode": "convoy"}})
    assert detail(bad)[0][0] == ["controls", "corridors", "atlantis"]
    bad = client.post("/api/scenarios/bamako-2025/validate",
                      json={"controls": {"intensity_scale": -1}})
    assert detail(bad)[0][0] == ["body", "controls", "intensity_scale"]
    bad = client.post("/api/scenarios/bamako-2025/validate", json={"overrides": ["no-equals"]})
    assert detail(bad)[0][1] == "expected path=value"

    doc = load_raw("bamako-2025")
    assert client.post("/api/scenarios/validate", json={"scenario": doc}).json()["valid"]
    doc["segments"][0]["length_km"] = -5
    locs = [loc for loc, _ in detail(client.post("/api/scenarios/validate",
                                                 json={"scenario": doc}))]
    assert ["scenario", "segments[0](dakar-tambacounda)", "length_km"] in locs


def test_run_is_the_same_as_the_engine_with_the_same_overrides(setup):
    client, store_path, run_a, run_b, direct_a, direct_b = setup
    stored = ResultStore(store_path).load(run_a)
    for name in ("cover_days", "delivered_by_corridor_litres", "tankers_lost", "informal_price"):
        np.testing.assert_allclose(stored.dataset[name].values, direct_a.dataset[name].values)
    scenario = ResultStore(store_path).run_record(run_a)["scenario"]
    assert scenario["escorts"]["pool_size"] == 30
    assert all(c["policy"]["interval_days"] == 4 for c in scenario["corridors"])
    assert scenario["sources"], "the stored scenario keeps its sources"
    listed = client.get("/api/runs").json()
    assert {r["run_id"] for r in listed["runs"]} == {run_a, run_b}
    assert listed["active"] == []
    meta = client.get(f"/api/runs/{run_a}").json()["metadata"]
    assert json.loads(meta["scenario_overrides"])[1] == "escorts.pool_size=30"
    assert client.get(f"/api/runs/{run_a}/scenario").json() == scenario
    progress = client.get(f"/api/runs/{run_a}/progress").json()
    assert (progress["status"], progress["days_done"], progress["fraction"]) == ("done", 50, 1.0)


def test_summary_quantiles_and_stockout_match_hand_computation(setup):
    client, _, run_a, _, direct_a, _ = setup
    summary = pd.DataFrame(client.get(f"/api/runs/{run_a}/summary").json()["summary"])
    row = summary[(summary.indicator == "cover_days") & (summary.item == "diesel")
                  & (summary.day == 30)].iloc[0]
    cover = direct_a.dataset["cover_days"].sel(product="diesel").values
    assert row["median"] == pytest.approx(np.median(cover[:, 29]))
    assert row["p95"] == pytest.approx(np.quantile(cover[:, 29], 0.95))
    assert row["p05"] == pytest.approx(np.quantile(cover[:, 29], 0.05))  # both band ends
    # Both band ends of every daily indicator, where a 10% band would differ somewhere.
    differs = 0
    for name in ("informal_price", "electricity_hours", "stations_open", "queue_wait_hours"):
        for _, r in summary[summary.indicator == name].iterrows():
            values = direct_a.dataset[name]
            if r["item"]:
                values = values.sel(product=r["item"])
            day = values.values[:, int(r["day"]) - 1]
            assert (r["p05"], r["p95"]) == pytest.approx(
                (np.quantile(day, 0.05), np.quantile(day, 0.95))), (name, r["day"])
            differs += not np.isclose(np.quantile(day, 0.05), np.quantile(day, 0.10))
    assert differs > 0

    q = client.get(f"/api/runs/{run_a}/quantiles/cover_days?item=gasoline").json()
    gas = direct_a.dataset["cover_days"].sel(product="gasoline").values
    assert q["dates"][0] == "2025-09-03" and len(q["dates"]) == 50
    np.testing.assert_allclose(q["bands"]["0.5"], np.median(gas, axis=0), atol=1e-6)
    np.testing.assert_allclose(q["bands"]["0.05"], np.quantile(gas, 0.05, axis=0), atol=1e-6)
    stations = client.get(f"/api/runs/{run_a}/quantiles/stations_open").json()
    assert stations["item"] is None and stations["unit"] == "station"

    p = client.get(f"/api/runs/{run_a}/stockout").json()
    flags = direct_a.dataset["stockout"].values.any(axis=2)  # (rep, day): any product out
    by_day = np.maximum.accumulate(flags, axis=1).mean(axis=0)
    np.testing.assert_allclose(p["curves"]["any product"], by_day)
    diesel = np.maximum.accumulate(direct_a.dataset["stockout"].sel(product="diesel").values,
                                   axis=1).mean(axis=0)
    np.testing.assert_allclose(p["curves"]["diesel"], diesel)


def test_charts_and_map(setup):
    client, store_path, run_a, _, direct_a, _ = setup
    fig = client.get(f"/api/runs/{run_a}/charts/electricity_hours").json()
    # Electricity follows the convoys day by day: the daily median is drawn faint behind its
    # centred 7-day mean.
    daily = np.median(direct_a.dataset["electricity_hours"].values, axis=0)
    median = next(t for t in fig["data"] if t.get("name") == "median, each day")
    np.testing.assert_allclose(median["y"], daily, atol=1e-6)
    smooth = next(t for t in fig["data"] if t.get("name") == "median, 7-day mean")
    np.testing.assert_allclose(smooth["y"][10], daily[7:14].mean(), atol=1e-6)
    np.testing.assert_allclose(smooth["y"][0], daily[:4].mean(), atol=1e-6)
    assert client.get(f"/api/runs/{run_a}/charts/stockout").json()["data"][0]["name"] == \
        "any product"
    flow = client.get(f"/api/runs/{run_a}/map?colour_by=flow").json()
    # A segment carries the sum of the mean deliveries of the corridors that use it; checked on
    # the segments into the city, several of which are shared by two corridors.
    scenario = validate_scenario(ResultStore(store_path).run_record(run_a)["scenario"])
    delivered = direct_a.dataset["delivered_by_corridor_litres"].sum("day").mean("replication")
    into_city = [s for s in scenario.segments if scenario.city.node in (s.a, s.b)]
    for seg in into_city:
        users = [c.name for c in scenario.corridors
                 if any({u, v} == {seg.a, seg.b}
                        for u, v in zip(c.path, c.path[1:], strict=False))]
        expected = float(delivered.sel(corridor=users).sum()) / 1e6
        trace = next(t for t in flow["data"] if t.get("name") == seg.id)
        assert f"flow: {expected:,.1f} million L" in trace["text"][0]
    assert client.get(f"/api/runs/{run_a}/charts/not-a-chart").status_code == 422
    bad = client.get(f"/api/runs/{run_a}/quantiles/cover_days?item=kerosene")
    assert bad.status_code == 422 and "kerosene" in bad.json()["detail"][0]["msg"]
    assert client.get(f"/api/runs/{run_a}/quantiles/no_such_output").status_code == 422


TIMELINE = [  # out of order; the last one is after the 30-day run
    {"day": 12, "set": {"adversary.intensity": {"low": 0.5, "high": 0.6}},
     "note": "attacks resume", "source": "press"},
    {"date": "2025-09-08", "set": {"escorts.pool_size": 30}, "note": "reinforcements",
     "source": "estimate"},
    {"day": 60, "set": {"escorts.pool_size": 10}, "note": "later", "source": "test"},
]


def test_run_serves_its_timeline_and_charts_mark_it(tmp_path):
    data = load_raw("bamako-2025")
    data["timeline"] = TIMELINE
    scenario = validate_scenario(data)
    result = simulate(scenario, replications=10, days=30, seed=2)
    store_path = tmp_path / "timeline.duckdb"
    run_id = ResultStore(store_path).save(result, scenario.model_dump_json(), label="dated")
    client = TestClient(create_app(WebSettings(store_path=store_path)), base_url="http://localhost")
    body = client.get(f"/api/runs/{run_id}").json()
    assert body["label"] == "dated"
    assert [(e["number"], e["date"], e["day"], e["changes"], e["note"], e["source"])
            for e in body["timeline"]] == [
        (1, "2025-09-08", 5, ["escorts.pool_size = 30"], "reinforcements", "estimate"),
        (2, "2025-09-15", 12, ["adversary.intensity = 0.5 – 0.6 (uniform)"], "attacks resume",
         "press"),
        (3, "2025-11-02", 60, ["escorts.pool_size = 10"], "later", "test")]
    assert body["regimes"] == regime_rows(scenario)
    for chart in ("cover_days?item=hfo", "escort_pool", "convoys_weekly", "gate_litres",
                  "stockout"):
        fig = client.get(f"/api/runs/{run_id}/charts/{chart}")
        assert fig.status_code == 200, (chart, fig.text)
        layout, marks = fig.json()["layout"], fig.json()["data"][-1]
        assert [(sh["x0"], sh["yref"]) for sh in layout["shapes"]] == [
            ("2025-09-08", "paper"), ("2025-09-15", "paper")], chart
        assert marks["x"] == ["2025-09-08", "2025-09-15"] and marks["text"] == ["1", "2"]
        assert "escorts.pool_size = 30" in marks["hovertext"][0]
    # The escort pool steps to 30 on the first entry's day, where its marker is drawn.
    pool = client.get(f"/api/runs/{run_id}/charts/escort_pool").json()
    median = next(t for t in pool["data"] if t.get("name") == "median")
    assert median["y"][4] != 30 and median["y"][5] == 30
    weekly = client.get(f"/api/runs/{run_id}/charts/convoys_weekly").json()["data"][0]
    per_week = result.dataset["convoys_arrived"].values.sum(axis=2)[:, :28].reshape(10, 4, 7)
    np.testing.assert_allclose(weekly["y"], np.median(per_week.sum(axis=2), axis=0))


def test_compare_two_runs(setup):
    client, _, run_a, run_b, direct_a, direct_b = setup
    cmp = client.get(f"/api/compare?a={run_a}&b={run_b}").json()
    assert (cmp["a"]["run_id"], cmp["b"]["run_id"]) == (run_a, run_b)
    table = pd.DataFrame(cmp["table"])
    row = table[(table.indicator == "electricity_hours") & (table.day == 30)].iloc[0]
    med_a = np.median(direct_a.dataset["electricity_hours"].values[:, 29])
    med_b = np.median(direct_b.dataset["electricity_hours"].values[:, 29])
    assert row["median_diff"] == pytest.approx(med_b - med_a)
    pa = np.maximum.accumulate(direct_a.dataset["stockout"].values.any(axis=2), 1).mean(0)
    pb = np.maximum.accumulate(direct_b.dataset["stockout"].values.any(axis=2), 1).mean(0)
    np.testing.assert_allclose(cmp["p_stockout"]["diff"], pb - pa)
    fig = client.get(f"/api/compare/charts/cover_days?a={run_a}&b={run_b}&item=diesel").json()
    medians = [t for t in fig["data"] if t.get("name", "").endswith("median")]
    assert [t["name"][:1] for t in medians] == ["A", "B"]
    np.testing.assert_allclose(
        medians[1]["y"], np.median(direct_b.dataset["cover_days"].sel(product="diesel").values,
                                   axis=0), atol=1e-6)
    assert client.get(f"/api/compare?a={run_a}&b=nope").status_code == 404


def test_downloads(setup, tmp_path):
    client, _, run_a, _, direct_a, _ = setup
    resp = client.get(f"/api/runs/{run_a}/download?format=parquet")
    assert resp.status_code == 200
    (tmp_path / "a.parquet").write_bytes(resp.content)
    back = SimulationResult.load_parquet(tmp_path / "a.parquet")
    np.testing.assert_allclose(back.dataset["stock_litres"].values,
                               direct_a.dataset["stock_litres"].values)
    resp = client.get(f"/api/runs/{run_a}/download?format=csv")
    assert "attachment" in resp.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(resp.text))
    assert len(frame) == 40 * 50
    np.testing.assert_allclose(frame["cover_days__diesel"].to_numpy(),
                               direct_a.dataset["cover_days"].sel(product="diesel").values
                               .reshape(-1))
    summary = pd.read_csv(io.StringIO(client.get(
        f"/api/runs/{run_a}/download?format=summary.csv").text))
    assert set(summary["indicator"]) >= {"cover_days", "p_stockout_by_day"}
    assert client.get(f"/api/runs/{run_a}/download?format=xlsx").status_code == 422


def test_progress_stream_and_unknown_runs(setup):
    client, _, run_a, *_ = setup
    with client.stream("GET", f"/api/runs/{run_a}/stream") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        messages = [json.loads(line[len("data: "):]) for line in resp.iter_lines()
                    if line.startswith("data: ")]
    assert messages[-1]["status"] == "done"
    for path in ("/api/runs/nope/progress", "/api/runs/nope/summary", "/api/runs/nope",
                 "/api/runs/nope/download", "/api/runs/nope/stream"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.json()["detail"] == "no stored run 'nope'"


def test_limits_and_request_errors(setup):
    client = setup[0]

    def loc(resp):
        assert resp.status_code == 422, resp.text
        return resp.json()["detail"][0]["loc"]

    assert loc(client.post("/api/runs", json={"replications": 20_001, "days": 10})) == \
        ["body", "replications"]
    assert loc(client.post("/api/runs", json={"replications": 10, "days": 731})) == \
        ["body", "days"]
    assert loc(client.post("/api/runs", json={"replications": 20_000, "days": 200})) == \
        ["body", "replications"]  # 4 million replication-days
    assert loc(client.post("/api/runs", json={"replications": 0})) == ["body", "replications"]
    assert loc(client.post("/api/runs", json={"scenario": "../etc/passwd"})) == \
        ["body", "scenario"]
    assert loc(client.post("/api/runs", json={"engine": "quantum"})) == ["body", "engine"]
    assert loc(client.post("/api/runs", json={"surprise": 1})) == ["body", "surprise"]
    big = {"overrides": ["escorts.pool_size=1" + " " * 600_000] * 2}
    resp = client.post("/api/runs", json=big)
    assert resp.status_code == 413 and "larger than 1000000" in resp.json()["detail"]

    def chunks():  # no Content-Length: the middleware counts the streamed bytes
        for _ in range(30):
            yield b" " * 50_000

    resp = client.post("/api/scenarios/validate", content=chunks(),
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_queue_limit_answers_429(tmp_path):
    client = TestClient(create_app(WebSettings(store_path=tmp_path / "s.duckdb",
                                               max_active_runs=0)), base_url="http://localhost")
    resp = client.post("/api/runs", json={"replications": 5, "days": 5})
    assert resp.status_code == 429 and "limit 0" in resp.json()["detail"]


def test_events_trend_appears_when_events_are_loaded(tmp_path):
    from siegeline.events.ingest import parse_csv
    from siegeline.events.store import connect, write_events

    store_path = tmp_path / "s.duckdb"
    client = TestClient(create_app(WebSettings(store_path=store_path)), base_url="http://localhost")
    assert client.get("/api/events/trend").json() == {"available": False, "total": 0}
    sample = resources.files("siegeline.events") / "samples" / "acled_mali_synthetic_2024_2025.csv"
    with connect(store_path) as con:
        write_events(con, parse_csv(str(sample)), "test")
        by_type = con.execute("SELECT event_type, strftime(event_date, '%Y-%m') AS m, count(*) "
                              "FROM events GROUP BY 1, 2").df()
        total = con.execute("SELECT count(*) FROM events").fetchone()[0]
    trend = client.get("/api/events/trend?period=month&top=20").json()
    assert trend["available"] and trend["total"] == total
    for _, (etype, month, n) in by_type.iterrows():
        assert trend["counts"][etype][trend["periods"].index(month)] == n
    pooled = client.get("/api/events/trend?period=year&top=1").json()
    assert sum(sum(v) for v in pooled["counts"].values()) == total
    assert len(pooled["counts"]) == 2  # the commonest type and "other types"


def test_openapi_dashboard_and_vendored_plotly(setup):
    client = setup[0]
    spec = client.get("/openapi.json").json()
    for path in ("/api/scenarios", "/api/scenarios/{name}/validate", "/api/runs",
                 "/api/runs/{run_id}/progress", "/api/runs/{run_id}/summary",
                 "/api/runs/{run_id}/quantiles/{variable}", "/api/runs/{run_id}/stockout",
                 "/api/runs/{run_id}/download", "/api/compare", "/api/events/trend"):
        assert path in spec["paths"], path
    assert client.get("/api/health").json()["limits"]["max_replications"] == 20_000
    page = client.get("/").text
    assert '<script src="/vendor/plotly.min.js"></script>' in page
    assert "http://" not in page and "https://" not in page
    plotly = client.get("/vendor/plotly.min.js")
    shipped = resources.files("plotly") / "package_data" / "plotly.min.js"
    assert plotly.content == shipped.read_bytes()
    js = client.get("/static/dashboard.js").text
    assert "http://" not in js and "https://" not in js
