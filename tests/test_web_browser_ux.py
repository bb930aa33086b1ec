"""What a user meets in the dashboard (Debian's Chromium, Playwright, a live server): the empty
store, cancelling a run, runs that did not finish, error banners, the comparison following the
choices, the run's changes in words, and the API reference with the network blocked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siegeline.engines import simulate
from siegeline.results import ResultStore
from siegeline.scenario import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is "
                       "not installed: apt-get install chromium"),
]
pytest.importorskip("playwright.sync_api")


def _serve(live_server, store_path: Path) -> str:
    from siegeline.web import WebSettings, create_app

    return live_server(create_app(WebSettings(store_path=store_path)))


def _watch(page) -> dict[str, list[str]]:
    """Page errors, console messages about the content security policy, and requests."""
    seen: dict[str, list[str]] = {"errors": [], "csp": [], "requests": []}
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: "Content Security Policy" in m.text
            and seen["csp"].append(m.text))
    page.on("request", lambda r: seen["requests"].append(r.url))
    return seen


def _block_the_network(page, base: str) -> None:
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
               else route.abort())


def test_empty_store_cancel_and_error_banners(tmp_path, live_server, chromium_page):
    page = chromium_page
    base = _serve(live_server, tmp_path / "store.duckdb")
    seen = _watch(page)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    # No run yet: said in words; the map is coloured by risk, flow cannot be chosen; no links.
    assert page.is_visible("#no-runs") and "No runs stored yet" in page.text_content("#no-runs")
    assert page.is_checked("input[name=map-colour][value=risk]")
    assert page.is_disabled("input[name=map-colour][value=flow]")
    assert not page.is_visible("#downloads") and page.is_disabled("#compare-btn")
    assert "attack risk" in page.evaluate("() => document.getElementById('map').layout.title.text")

    # A long run is cancelled with the button; the reason is shown and the run is listed.
    page.fill("#reps", "1000")
    page.fill("#days", "700")
    page.click("#run-btn")
    page.wait_for_selector("#cancel-btn:visible", timeout=30_000)
    page.wait_for_function("() => document.getElementById('progress-text').textContent"
                           ".startsWith('running')", timeout=30_000)
    page.click("#cancel-btn")
    page.wait_for_selector("#errors li", timeout=30_000)
    assert "run cancelled" in page.text_content("#errors")
    assert not page.is_visible("#cancel-btn")
    page.wait_for_selector("#ended-box:not([hidden])", timeout=10_000)
    assert "cancelled" in page.text_content("#ended-list")

    # A new submit clears the old error; the run appears, links point at it.
    page.fill("#reps", "20")
    page.fill("#days", "30")
    page.click("#run-btn")
    assert page.locator("#errors li").count() == 0
    page.wait_for_function("() => document.querySelector('#charts').dataset.runId",
                           timeout=60_000)
    run_id = page.eval_on_selector("#charts", "el => el.dataset.runId")
    assert not page.is_visible("#no-runs") and page.is_visible("#downloads")
    assert page.get_attribute("#dl-csv", "href") == f"/api/runs/{run_id}/download?format=csv"
    assert page.is_enabled("input[name=map-colour][value=flow]")
    assert page.is_checked("input[name=map-colour][value=flow]")  # the default once a run is in
    assert "delivered flow" in page.evaluate(
        "() => document.getElementById('map').layout.title.text")
    assert "the scenario as packaged" in page.text_content("#run-summary")  # defaults: no change

    # A failed load of run A is shown, not swallowed.
    page.route(f"**/api/runs/{run_id}", lambda route: route.fulfill(
        status=500, content_type="application/json", body='{"detail": "disk on fire"}'))
    page.select_option("#product", "hfo")
    page.wait_for_selector("#run-errors li", timeout=10_000)
    assert "disk on fire" in page.text_content("#run-errors")
    assert seen["errors"] == [] and seen["csp"] == []
    assert [u for u in seen["requests"] if not u.startswith(base)] == []


def test_comparison_follows_the_choices_and_changes_read_well(tmp_path, live_server,
                                                               chromium_page):
    scenario = load_scenario("bamako-2025")
    store = ResultStore(tmp_path / "store.duckdb")
    convoy = [f"corridors.{c.name}.policy.mode=free" for c in scenario.corridors]
    runs = {}
    for label, seed, overrides in (("calm", 1, []), ("fierce", 2, convoy)):
        sc = load_scenario("bamako-2025", overrides)
        result = simulate(sc, replications=20, days=40, seed=seed)
        result.metadata["scenario_overrides"] = json.dumps(overrides)
        runs[label] = store.save(result, sc.model_dump_json(), label=label)
    page = chromium_page
    base = _serve(live_server, store.path)
    seen = _watch(page)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.select_option("#run-a", runs["fierce"])
    page.wait_for_function(f"() => document.querySelector('#charts').dataset.runId === "
                           f"'{runs['fierce']}'", timeout=30_000)
    summary = page.text_content("#run-summary")
    assert "changes: every corridor: policy.mode=free" in summary
    assert "corridors." not in summary
    page.select_option("#run-b", runs["calm"])
    page.click("#compare-btn")
    page.wait_for_selector(f"#comparison[data-pair='{runs['fierce']}|{runs['calm']}']",
                           timeout=30_000)
    names = page.evaluate("() => document.getElementById('cmp-stockout').data.map(t => t.name)")
    assert names == ["A fierce: any product", "B calm: any product"]
    # Another product: the comparison is redrawn for it.
    page.select_option("#product", "hfo")
    page.wait_for_selector("#comparison[data-product='hfo']", timeout=30_000)
    title = page.evaluate("() => document.getElementById('cmp-cover_days').layout.title.text")
    assert "(hfo)" in title
    # Run A becomes run B: nothing left to compare, the comparison is hidden.
    page.select_option("#run-a", runs["calm"])
    page.wait_for_selector("#comparison[hidden]", state="attached", timeout=30_000)
    assert seen["errors"] == [] and seen["csp"] == []


def test_interrupted_runs_are_shown(tmp_path, live_server, chromium_page):
    from siegeline.web.journal import JobJournal, journal_path

    store_path = tmp_path / "store.duckdb"
    JobJournal(journal_path(store_path)).write({  # a server died while this ran
        "run_id": "20250101T000000-00000000deadbeef", "status": "running",
        "scenario": "bamako-2025", "replications": 100, "days": 90, "seed": 1,
        "engine": "vectorized", "label": "lost", "overrides": [], "days_done": 40,
        "error": None, "created": "2025-01-01T00:00:00+00:00", "finished": None})
    page = chromium_page
    page.goto(_serve(live_server, store_path) + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.is_visible("#ended-box")
    text = page.text_content("#ended-list")
    assert "lost" in text and "interrupted" in text and "server stopped" in text


def test_api_reference_renders_offline(tmp_path, live_server, chromium_page):
    page = chromium_page
    base = _serve(live_server, tmp_path / "store.duckdb")
    _block_the_network(page, base)
    seen = _watch(page)
    page.goto(base + "/docs")
    page.wait_for_selector("body[data-ready]", timeout=30_000)
    assert int(page.get_attribute("body", "data-ready")) >= 25  # one box per operation
    operation = page.locator("h3", has_text="/api/runs/{run_id}/progress")
    assert operation.count() == 1 and operation.is_visible()
    assert page.locator("h3", has_text="DELETE/api/runs/{run_id}").count() == 1
    assert "siegeline" in page.title()
    page.goto(base + "/redoc")
    page.wait_for_selector("body[data-ready]", timeout=30_000)
    assert page.url == base + "/docs"
    assert [u for u in seen["requests"] if not u.startswith(base)] == []
    assert seen["errors"] == [] and seen["csp"] == []


def test_a_run_of_another_scenario_shows_its_own_products_and_currency(tmp_path, live_server,
                                                                       chromium_page):
    """A stored run of the Djibo test scenario (XOF, products gasoil and super): the product
    selector starts on its first product and prices are labelled in XOF, never FCFA."""
    scenario = load_scenario(Path(__file__).parent / "data" / "djibo-2022.yaml")
    store = ResultStore(tmp_path / "store.duckdb")
    run_id = store.save(simulate(scenario, replications=8, days=30, seed=3),
                        scenario.model_dump_json(), label="djibo")
    page = chromium_page
    base = _serve(live_server, store.path)
    seen = _watch(page)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.select_option("#run-a", run_id)
    page.wait_for_function(f"() => document.querySelector('#charts').dataset.runId === "
                           f"'{run_id}'", timeout=30_000)
    assert page.input_value("#product") == "gasoil"
    summary = page.text_content("#summary")
    assert "Informal price (XOF/L): gasoil" in summary and "FCFA" not in summary
    axis = page.evaluate(
        "() => document.getElementById('chart-informal_price').layout.yaxis.title.text")
    assert axis == "XOF per litre"
    assert seen["errors"] == [] and seen["csp"] == []
