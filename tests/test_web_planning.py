"""The planning endpoints and the dashboard's planning panel: API values against direct calls of
the planning solvers, documented figures and NetworkX computed here; every error case; and the
panel in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from siegeline.network import build_graph
from siegeline.planning import (
    escort_placement,
    max_flow_interdiction,
    planning_graph,
    risk_aware_routing,
)
from siegeline.scenario import load_scenario
from siegeline.scenario.schema import central_value
from siegeline.web import WebSettings, create_app, routes_planning

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = tmp_path_factory.mktemp("plan") / "store.duckdb"
    with TestClient(create_app(WebSettings(store_path=store)), base_url="http://localhost") as c:
        yield c


@pytest.fixture(scope="module")
def graph():
    return planning_graph(load_scenario("bamako-2025"))


def _max_flow_without(cut: list[str]) -> float:
    """Max flow from all ports to Bamako with the named segments removed, from the scenario
    directly (plain NetworkX, not the planning package)."""
    sc = load_scenario("bamako-2025")
    g = nx.DiGraph()
    for s in sc.segments:
        if s.id not in cut:
            g.add_edge(s.a, s.b, capacity=central_value(s.capacity_tankers_per_day))
            g.add_edge(s.b, s.a, capacity=central_value(s.capacity_tankers_per_day))
    for n in sc.nodes:
        if n.kind == "port" and n.id in g:
            g.add_edge("source", n.id)  # no capacity attribute: unbounded
    return nx.maximum_flow_value(g, "source", sc.city.node)


def _inflow(rows: list[dict], city_name: str) -> float:
    return sum(r["flow"] for r in rows if city_name in (r["from"], r["to"]))


def test_interdiction_matches_solver_and_documented_loss_curve(client, graph):
    r = client.get("/api/plan/interdiction", params={"budget": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    # docs/planning.md and README: the Bamako loss curve is 400, 230, 60, 0 tankers/day.
    assert [p["max_flow"] for p in body["curve"]] == [400, 230, 60, 0]
    assert [p["loss"] for p in body["curve"]] == [0, 170, 340, 400]
    assert [p["budget"] for p in body["curve"]] == [0, 1, 2, 3]
    assert all(p["check_ok"] and p["status"] == "Optimal" for p in body["curve"])
    direct = max_flow_interdiction(graph, 3, brute_force_limit=0)
    assert body["objective"] == direct.objective == 0
    assert sorted(body["attack"]) == sorted(direct.attack)
    assert body["status"] == "Optimal" and body["optimal"] and body["gap"] == pytest.approx(0)
    assert body["bound"] == pytest.approx(0, abs=1e-9) and body["baseline"] == 400
    assert body["time_s"] >= 0 and body["time_limit_s"] == routes_planning.TIME_LIMIT_S
    # 4,992 affordable attacks: over the web's brute-force limit, so NetworkX only.
    assert body["check"]["matches"] and body["check"]["brute_force_value"] is None
    # The curve's figure plots the same numbers, with the city's demand as a line.
    trace, demand = body["curve_figure"]["data"]
    assert trace["y"] == [400, 230, 60, 0]
    assert demand["y"][0] == pytest.approx(graph.graph["demand_tankers_per_day"])


def test_interdiction_budget_two_brute_force_and_map(client, graph):
    body = client.get("/api/plan/interdiction", params={"budget": 2}).json()
    direct = max_flow_interdiction(graph, 2)
    assert body["objective"] == direct.objective == 60
    assert sorted(body["attack"]) == sorted(direct.attack)
    assert body["check"]["brute_force_value"] == 60
    assert body["check"]["brute_force_candidates"] == direct.check.brute_force_candidates == 497
    assert body["loss"] == 340
    # Independent: plain NetworkX on the scenario with the attacked segments removed.
    assert _max_flow_without(body["attack"]) == 60
    rows = {r["segment"]: r for r in body["segments"]}
    assert len(rows) == 31
    assert {s for s, r in rows.items() if r["attacked"]} == set(direct.attack)
    assert all(rows[s]["flow"] == pytest.approx(f) for s, f in direct.flows.items())
    assert _inflow(body["segments"], "Bamako") == pytest.approx(60)
    # Map: every attacked segment is a red line with a cross; flows set the other widths.
    lines = [t for t in body["map"]["data"] if t.get("legendgroup") and t["mode"] == "lines"]
    red = [t["meta"] for t in lines if t["line"]["color"] == routes_planning.COLOURS["attacked"]]
    assert sorted(red) == sorted(direct.attack)
    crosses = [t for t in body["map"]["data"] if t.get("marker", {}).get("symbol") == "x"]
    assert sorted(crosses[0]["meta"]) == sorted(direct.attack)
    widest = max(lines, key=lambda t: t["line"]["width"])
    assert rows[widest["meta"]]["flow"] == max(r["flow"] for r in rows.values())
    names = {t.get("name") for t in body["map"]["data"]}
    assert {"port", "city"} <= names  # the base map's nodes are kept


def test_escorts_match_solver_and_networkx(client, graph):
    body = client.get("/api/plan/escorts", params={"escorts": 1, "budget": 1}).json()
    direct = escort_placement(graph, 1, 1, check=False)
    assert body["objective"] == direct.objective == 230
    assert body["defence"] == list(direct.defence) and body["attack"] == list(direct.attack)
    # 31 defences x 32 attacks are within the brute-force limit: every pair was tried.
    assert body["check"]["ok"] and body["check"]["brute_force_value"] == 230
    assert _max_flow_without(body["attack"]) == 230
    assert body["details"]["no_attack_flow"] == 400
    body = client.get("/api/plan/escorts", params={"escorts": 2, "budget": 2}).json()
    direct = escort_placement(graph, 2, 2, check=False)
    assert body["objective"] == direct.objective and body["baseline"] == direct.baseline
    assert sorted(body["defence"]) == sorted(direct.defence)
    assert body["status"] == "Optimal" and body["check"]["matches"]
    assert not set(body["attack"]) & set(body["defence"])  # escorted segments are not cut
    assert _max_flow_without(body["attack"]) == body["objective"]
    green = [t["meta"] for t in body["map"]["data"]
             if t.get("line", {}).get("color") == routes_planning.COLOURS["defended"]]
    assert sorted(green) == sorted(direct.defence)


@pytest.mark.parametrize("hazard_level", ["central", "high"])
def test_route_matches_solver_and_hand_computed_losses(client, hazard_level):
    body = client.get("/api/plan/route", params={"hazard_level": hazard_level}).json()
    sc = load_scenario("bamako-2025")
    g = planning_graph(sc, hazard_level=hazard_level)
    direct = risk_aware_routing(g)
    assert body["objective"] == pytest.approx(direct.objective)
    assert body["status"] == "Optimal" and body["check"]["matches"]
    d = body["details"]
    assert d["expected_loss"] == pytest.approx(direct.details["expected_loss"])
    demand = g.graph["demand_tankers_per_day"]
    assert _inflow(body["segments"], "Bamako") == pytest.approx(demand)
    # Expected losses from the flows and per-tanker losses, and the order-share reference
    # from the corridors' paths, computed here.
    loss = {r["segment"]: r["loss_per_tanker"] for r in body["segments"]}
    assert sum(r["flow"] * loss[r["segment"]] for r in body["segments"]) == pytest.approx(
        d["expected_loss"])
    base = build_graph(sc)
    total = sum(c.order_share for c in sc.corridors)
    reference = sum(
        demand * c.order_share / total
        * sum(loss[base.edges[u, v]["id"]] for u, v in zip(c.path, c.path[1:], strict=False))
        for c in sc.corridors)
    assert d["reference_loss"] == pytest.approx(reference)
    assert d["expected_loss"] <= reference
    assert sum(x["tankers_per_day"] for x in d["routes"]) == pytest.approx(demand)
    widths = {t["meta"]: t["line"]["width"] for t in body["map"]["data"]
              if t.get("legendgroup") in ("flow", "unused")}
    flows = {r["segment"]: r["flow"] for r in body["segments"]}
    top = max(flows.values())
    assert all(widths[s] == pytest.approx(2 + 8 * f / top) for s, f in flows.items())


@pytest.mark.parametrize(("path", "params", "field"), [
    ("interdiction", {"budget": 11}, "budget"),
    ("interdiction", {"budget": -1}, "budget"),
    ("interdiction", {"budget": "two"}, "budget"),
    ("interdiction", {"budget": 1.5}, "budget"),
    ("interdiction", {"scenario": "atlantis"}, "scenario"),
    ("interdiction", {"scenario": "/etc/passwd"}, "scenario"),
    ("interdiction", {"hazard_level": "extreme"}, "hazard_level"),
    ("escorts", {"escorts": 11}, "escorts"),
    ("escorts", {"escorts": -2}, "escorts"),
    ("escorts", {"budget": 100}, "budget"),
    ("route", {"scenario": "../../bamako-2025"}, "scenario"),
])
def test_bad_input_names_the_field(client, path, params, field):
    r = client.get(f"/api/plan/{path}", params=params)
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["query", field]]


def test_only_corridor_scale_networks(client, monkeypatch):
    monkeypatch.setattr(routes_planning, "MAX_SEGMENTS", 30)  # Bamako has 31 segments
    r = client.get("/api/plan/route")
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["query", "scenario"] and "corridor-scale" in detail["msg"]


def test_time_limit_reached_without_a_plan_is_503(client, monkeypatch):
    monkeypatch.setattr(routes_planning, "TIME_LIMIT_S", 1e-9)  # HiGHS stops before any plan
    for path in ("interdiction?budget=3", "escorts?escorts=2&budget=2"):
        r = client.get(f"/api/plan/{path}")
        assert r.status_code == 503, r.text
        assert "time limit" in r.json()["detail"]


def test_one_solve_at_a_time(client):
    with routes_planning._solver_slot():  # a solve in progress
        r = client.get("/api/plan/route")
    assert r.status_code == 429 and "already running" in r.json()["detail"]
    assert client.get("/api/plan/route").status_code == 200


def test_openapi_lists_the_planning_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/plan/interdiction", "/api/plan/escorts", "/api/plan/route"} <= set(paths)


# ------------------------------------------------------------------------------ browser
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is "
                    "not installed: apt-get install chromium")
def test_planning_panel_in_chromium(tmp_path, graph, live_server, chromium_page):
    base = live_server(create_app(WebSettings(store_path=tmp_path / "store.duckdb")))
    page = chromium_page
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.is_hidden("#plan-escorts-label")
    page.select_option("#plan-problem", "escorts")
    assert page.is_visible("#plan-escorts-label")
    page.select_option("#plan-problem", "interdiction")
    page.fill("#plan-budget", "2")
    page.click("#plan-btn")
    page.wait_for_selector("#planning-panel[data-shown*='budget=2']", timeout=30_000)
    direct = max_flow_interdiction(graph, 2)
    headline = page.text_content("#plan-headline")
    assert "leaves 60 of 400 tanker/day" in headline
    assert all(seg in headline for seg in direct.attack)
    cells = page.eval_on_selector_all(
        "#plan-segments tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert cells[0][:2] == ["segment", "road"]
    attacked = sorted(row[0] for row in cells[1:] if row[-1] == "attacked")
    assert attacked == sorted(direct.attack)
    summary = page.text_content("#plan-summary")
    assert "Optimal" in summary and "brute force 60 over 497 plans" in summary
    # The map drew the attacked segments red, as SVG paths in the plot.
    red = page.evaluate(
        "() => document.getElementById('plan-map').data"
        ".filter(t => t.mode === 'lines' && t.line.color === '#d62728').map(t => t.meta)")
    assert sorted(red) == sorted(direct.attack)
    red_paths = page.locator(
        "#plan-map .scatterlayer path.js-line[style*='rgb(214, 39, 40)']")
    assert red_paths.count() == len(direct.attack)
    curve = page.evaluate("() => document.getElementById('plan-curve').data[0].y")
    assert curve == [400, 230, 60]

    # The browser refuses an out-of-range budget before asking the server...
    asked = len(requests)
    page.fill("#plan-budget", "12")
    page.click("#plan-btn")
    assert page.evaluate("() => document.getElementById('plan-budget')"
                         ".validity.rangeOverflow")
    assert not [u for u in requests[asked:] if "/api/plan/" in u]
    # ...and shows the server's own refusals (here: a solve already running).
    page.fill("#plan-budget", "2")
    with routes_planning._solver_slot():
        page.click("#plan-btn")
        page.wait_for_selector("#plan-errors li", timeout=10_000)
    assert "already running" in page.text_content("#plan-errors li")
    page.click("#plan-btn")
    page.wait_for_function("() => !document.querySelector('#plan-errors li')")
    page.wait_for_selector("#plan-btn:not([disabled])")
    # Cuts that succeed only with the attack model's chance: the stochastic plan's headline.
    assert page.is_visible("#plan-success-label")
    page.select_option("#plan-success", "hazard")
    page.fill("#plan-budget", "1")
    page.click("#plan-btn")
    page.wait_for_selector("#planning-panel[data-shown*='success=hazard']", timeout=30_000)
    assert "Attempting sikasso-bougouni leaves an expected" in page.text_content("#plan-headline")
    page.select_option("#plan-problem", "escorts")
    assert page.is_hidden("#plan-success-label")
    shot = Path(os.environ.get("SIEGELINE_PLAN_SCREENSHOT", tmp_path / "planning.png"))
    page.locator("#planning-panel").screenshot(path=str(shot))
    assert shot.stat().st_size > 30_000
    assert errors == []
    assert [u for u in requests if not u.startswith(base)] == []


def test_interdiction_with_hazard_success_is_stochastic(client):
    body = client.get("/api/plan/interdiction", params={"budget": 1, "success": "hazard"}).json()
    assert body["problem"].startswith("stochastic max-flow interdiction"), body
    assert body["attack"] == ["sikasso-bougouni"]
    low, high = body["details"]["expected_max_flow"]["ci95"]
    assert low <= body["objective"] <= high and body["objective"] < body["baseline"]
    assert [p["budget"] for p in body["curve"]] == [0, 1]
    assert client.get("/api/plan/interdiction", params={"success": "maybe"}).status_code == 422
