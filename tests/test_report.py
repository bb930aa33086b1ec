"""`siegeline report`: one self-contained HTML file with the run's data, map, parameters and
sources, that references nothing on the network and renders in a real browser offline."""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.engines import simulate
from siegeline.results import ResultStore
from siegeline.scenario import load_scenario

OVERRIDES = ["escorts.pool_size=25", "adversary.intensity=[0.2, 0.4]"]


@pytest.fixture()
def stored_run(tmp_path):
    scenario = load_scenario("bamako-2025", OVERRIDES)
    result = simulate(scenario, replications=30, days=40, seed=5)
    store = ResultStore(tmp_path / "store.duckdb")
    run_id = store.save(result, scenario.model_dump_json(), label="report test")
    return store, run_id, result, scenario


def _figures(text: str) -> dict:
    match = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_report_is_self_contained_and_holds_the_data(stored_run, tmp_path):
    store, run_id, result, scenario = stored_run
    out = tmp_path / "report.html"
    cli = CliRunner().invoke(app, ["report", "latest", "-o", str(out), "--store", str(store.path)])
    assert cli.exit_code == 0, cli.output
    text = out.read_text(encoding="utf-8")
    shipped = (resources.files("plotly") / "package_data" / "plotly.min.js").read_text()
    assert f"<script>{shipped}</script>" in text
    # Outside the library, nothing refers to elsewhere: no external scripts, stylesheets,
    # images or frames. (Plotly.js itself holds link strings such as its "edit in Chart Studio"
    # link; the test in Chromium below checks that none of them is fetched.)
    own = text.replace(shipped, "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", own)
    assert "<link" not in own and "http://" not in own
    assert run_id in text and "30 replications × 40 days" in text

    figures = _figures(text)
    median = next(t for t in figures["fan-cover_days-diesel"]["data"] if t.get("name") == "median")
    np.testing.assert_allclose(
        median["y"], np.median(result.dataset["cover_days"].sel(product="diesel").values, axis=0),
        atol=1e-6)
    curve = figures["stockout"]["data"][0]["y"]
    flags = result.dataset["stockout"].values.any(axis=2)
    np.testing.assert_allclose(curve, np.maximum.accumulate(flags, axis=1).mean(axis=0))
    segs = {s.id for s in scenario.segments}
    assert {t["name"] for t in figures["map-flow"]["data"] if t.get("name") in segs} == segs
    # Parameters of the run (its overrides applied) and every source of the scenario.
    assert "<td>escort pool (units)</td><td>25</td>" in text
    assert '<td>adversary intensity</td><td>{&quot;low&quot;: 0.2, &quot;high&quot;: 0.4' in text
    for path, ref in scenario.sources.items():
        assert f"<td>{html.escape(path)}</td><td>{html.escape(ref.source)}</td>" in text


def test_report_errors_are_one_line(stored_run, tmp_path):
    store = stored_run[0]
    runner = CliRunner()
    res = runner.invoke(app, ["report", "no-such-run", "-o", str(tmp_path / "r.html"),
                              "--store", str(store.path)])
    assert res.exit_code == 2 and "no stored run 'no-such-run'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["report", "latest", "-o", str(tmp_path),
                              "--store", str(store.path)])
    assert res.exit_code == 2 and "is a directory" in " ".join(res.output.split())


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                    reason="Debian's Chromium (/usr/bin/chromium) is not installed")
def test_report_renders_offline_in_chromium(stored_run, tmp_path):
    from playwright.sync_api import sync_playwright

    from siegeline.reports import write_report

    store, run_id, *_ = stored_run
    path = write_report(run_id, tmp_path / "report.html", store)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--headless"])
        context = browser.new_context(offline=True)
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("#stockout .main-svg", timeout=20_000)
        drawn = page.locator(".js-plotly-plot").count()
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []
    assert drawn == len(_figures(path.read_text(encoding="utf-8")))
