"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a live
uvicorn server on 127.0.0.1 with a temporary results store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siegeline.results import ResultStore

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is "
                       "not installed: apt-get install chromium"),
]
pytest.importorskip("playwright.sync_api")


@pytest.fixture()
def server(tmp_path, live_server):
    from siegeline.web import WebSettings, create_app

    store_path = tmp_path / "web-store.duckdb"
    folder = tmp_path / "scenarios"  # --scenarios DIR: a valid file and an invalid one
    folder.mkdir()
    (folder / "djibo-2022.yaml").write_text(
        (Path(__file__).parent / "data" / "djibo-2022.yaml").read_text())
    (folder / "broken.yaml").write_text("name: broken\n")
    settings = WebSettings(store_path=store_path, scenarios_path=folder)
    return live_server(create_app(settings)), store_path


def _start_run(page, reps: int, days: int, intensity: str, label: str) -> str:
    page.fill("#reps", str(reps))
    page.fill("#days", str(days))
    page.fill("#label", label)
    page.locator("#intensity").fill(intensity)
    page.click("#run-btn")
    page.wait_for_function(
        "(old) => document.querySelector('#charts').dataset.runId && "
        "document.querySelector('#charts').dataset.runId !== old",
        arg=page.eval_on_selector("#charts", "el => el.dataset.runId || ''"), timeout=60_000)
    return page.eval_on_selector("#charts", "el => el.dataset.runId")


def test_dashboard_runs_compares_and_stays_offline(server, chromium_page, tmp_path):
    page = chromium_page
    base, store_path = server
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    # No stored run yet: the map shows the scenario's network coloured by risk.
    assert page.locator("#map .scatterlayer .trace").count() > 20
    assert page.locator("#scenario option").all_text_contents() == [
        "bamako-2025", "broken (invalid)", "djibo-2022"]
    assert page.locator("#scenario option[disabled]").count() == 1

    # Changing a control updates the hint computed from the scenario's intensity range.
    page.locator("#intensity").fill("2")
    assert page.text_content("#intensity-value") == "×2.0"
    assert page.text_content("#intensity-hint") == "attack intensity 0.24–0.5"

    run_a = _start_run(page, 50, 60, "0.5", "calm")
    run_b = _start_run(page, 50, 60, "2.5", "fierce")
    assert run_a != run_b
    stored = ResultStore(store_path).list_runs()
    assert set(stored["run_id"]) == {run_a, run_b}
    assert sorted(stored["label"]) == ["calm", "fierce"]
    # The chart shows run B's median days of cover exactly as computed from the stored run.
    result_b = ResultStore(store_path).load(run_b)
    expected = result_b.quantiles("cover_days").sel(quantile=0.5, product="diesel").values
    shown = page.evaluate(
        "() => document.getElementById('chart-cover_days').data"
        ".find(t => t.name === 'median').y")
    assert shown == pytest.approx(expected.tolist(), abs=1e-5)

    page.select_option("#run-a", run_a)
    page.select_option("#run-b", run_b)
    page.click("#compare-btn")
    page.wait_for_selector(f"#comparison[data-pair='{run_a}|{run_b}']", timeout=30_000)
    assert page.locator("#cmp-table tr").count() > 10
    legend = page.evaluate("() => document.getElementById('cmp-stockout').data.map(t => t.name)")
    assert legend == ["A calm: any product", "B fierce: any product"]  # the runs' labels
    # Four times the attack intensity cannot leave the city better supplied at day 60.
    p_a, p_b = (ResultStore(store_path).load(r).stockout_probability().iloc[-1]
                for r in (run_a, run_b))
    assert p_b >= p_a

    shot = Path(os.environ.get("SIEGELINE_SCREENSHOT", tmp_path / "dashboard.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert errors == []
    outside = [u for u in requests if not u.startswith(base)]
    assert outside == [], f"the dashboard fetched from outside the server: {outside[:5]}"


def test_dashboard_lists_and_marks_the_timeline(tmp_path, live_server, chromium_page):
    """A stored run of the packaged scenario (with its dated timeline): the run info lists every
    entry and each time-series chart has one dotted line per entry inside the run."""
    from siegeline.engines import simulate
    from siegeline.reports.timeline import timeline_rows
    from siegeline.scenario import load_raw, validate_scenario
    from siegeline.web import WebSettings, create_app

    data = load_raw("bamako-2025")
    data["timeline"] = data.get("timeline") or [  # so the test holds whatever the scenario says
        {"day": 20, "set": {"escorts.pool_size": 30}, "note": "reinforcements"}]
    scenario = validate_scenario(data)
    store_path = tmp_path / "store.duckdb"
    result = simulate(scenario, replications=60, days=100, seed=4)
    run_id = ResultStore(store_path).save(result, scenario.model_dump_json(), label="record")
    rows = timeline_rows(scenario)
    last = str(result.dataset["date"].values[-1])[:10]
    inside = sorted({r.date.isoformat() for r in rows if r.date.isoformat() <= last})

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server(create_app(WebSettings(store_path=store_path))) + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.eval_on_selector("#charts", "el => el.dataset.runId") == run_id
    assert "“record”" in page.text_content("#run-summary")
    items = page.locator("#timeline-list li")
    assert items.count() == len(rows)
    assert rows[0].changes[0] in items.first.text_content()
    assert rows[0].date.isoformat() in items.first.text_content()
    for chart in ("chart-cover_days", "chart-escort_pool", "chart-convoys_weekly",
                  "chart-stockout"):
        if not page.locator(f"#{chart}").count():
            continue
        lines = page.evaluate(f"() => document.getElementById('{chart}').layout.shapes"
                              ".map(s => s.x0)")
        assert lines == inside, chart
    # Drawn, not only declared: one dotted line per date in the cover chart's SVG.
    assert page.locator("#chart-cover_days .shapelayer path").count() >= len(inside)
    page.locator("#timeline-box").scroll_into_view_if_needed()
    page.screenshot(path=os.environ.get("SIEGELINE_TIMELINE_SCREENSHOT",
                                        str(tmp_path / "timeline.png")), full_page=True)
    assert errors == []
