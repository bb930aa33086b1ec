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
    return live_server(create_app(WebSettings(store_path=store_path))), store_path


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
    assert page.locator("#scenario option").first.text_content() == "bamako-2025"

    # Changing a control updates the hint computed from the scenario's intensity range.
    page.locator("#intensity").fill("2")
    assert page.text_content("#intensity-value") == "×2.0"
    assert page.text_content("#intensity-hint") == "attack intensity 0.3–0.6"

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
    assert legend == [f"A …{run_a[-8:]}: any product", f"B …{run_b[-8:]}: any product"]
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
