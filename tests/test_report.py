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
import yaml
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.reports.html import render_report, report_figures
from siegeline.results import ResultStore
from siegeline.scenario import load_raw, load_scenario

OVERRIDES = ["adversary.intensity=[0.2, 0.4]", "adversary.growth_per_year=1.5"]
POOL = 25  # the escort pool the scenario file starts with
TIMELINE = [  # the run covers 2025-09-03 .. 2025-10-12 (40 days)
    {"date": "2025-09-25", "set": {"adversary.destroy_share": {"low": 0.5, "high": 0.6}},
     "note": "attacks on the Kayes road", "source": "press"},
    {"day": 11, "set": {"escorts.pool_size": 40,
                        "corridors.dakar-kayes-diema.policy.escorts_per_convoy": 4},
     "note": "reinforcements & <more> escorts", "source": "estimate"},
    # --set holds its path for the whole run: this entry gives way and leaves the timeline.
    {"day": 5, "set": {"adversary.intensity": 0.9}, "note": "given way", "source": "test"},
    {"day": 100, "set": {"escorts.pool_size": 10}, "note": "after the run", "source": "test"},
]
MARKED = ["2025-09-14", "2025-09-25"]  # the entries inside the run, in date order


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory):
    """A run of bamako-2025 with a timeline, made by `siegeline run --set ... --label ...`."""
    tmp = tmp_path_factory.mktemp("report")
    data = load_raw("bamako-2025")
    data["timeline"] = TIMELINE
    data["escorts"]["pool_size"] = POOL
    path = tmp / "timeline.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    store = ResultStore(tmp / "store.duckdb")
    sets = [a for o in OVERRIDES for a in ("--set", o)]
    cli = CliRunner().invoke(app, ["run", str(path), "-n", "30", "-d", "40", "--seed", "5",
                                   "--label", "report test", "--store", str(store.path), *sets])
    assert cli.exit_code == 0, cli.output
    run_id = store.resolve("latest")
    return store, run_id, store.load(run_id), load_scenario(str(path), OVERRIDES)


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
    # Parameters of the run (its overrides applied, printed readably), its label and overrides,
    # and every source of the scenario.
    assert f"<td>escort pool (units)</td><td>{POOL}</td>" in text
    assert "<td>adversary intensity</td><td>0.2 – 0.4 (uniform)</td>" in text
    assert "<td>intensity growth per year</td><td>1.5</td>" in text
    assert "<td>label</td><td>report test</td>" in text and "“report test”" in text
    assert ("<td>changes to the scenario (path=value)</td><td>adversary.intensity=[0.2, 0.4]<br>"
            "adversary.growth_per_year=1.5</td>") in text
    # A plain run varies nothing along replications, and the report says what that means.
    assert "<td>parameters varied along replications</td><td>none: each replication draws" in text
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


def test_report_charts_every_product_and_the_new_outputs(stored_run):
    store, run_id, result, scenario = stored_run
    figures = report_figures(result, store.run_record(run_id)["scenario"])
    for product in (p.name for p in scenario.products):
        for variable in ("cover_days", "informal_price", "gate_litres"):
            assert f"fan-{variable}-{product}" in figures
    assert {"fan-attack_intensity", "fan-escort_pool", "convoys-weekly"} <= figures.keys()
    # Weekly convoys: median over replications of each full week's arrivals, all corridors.
    bars = figures["convoys-weekly"]["data"][0]
    weekly = result.dataset["convoys_arrived"].values.sum(axis=2)[:, :35].reshape(30, 5, 7)
    np.testing.assert_allclose(bars["y"], np.median(weekly.sum(axis=2), axis=0))
    assert bars["x"] == ["2025-09-03", "2025-09-10", "2025-09-17", "2025-09-24", "2025-10-01"]


def test_report_marks_the_timeline_on_every_time_series(stored_run):
    store, run_id, result, _ = stored_run
    text = render_report(result, {**store.run_record(run_id), "label": ""})
    section = text.split('<section id="timeline">')[1].split("</section>")[0]
    cells = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1].split("</tbody>")[0])
    # In the order they take effect, each change on its own line, the note escaped; the entry
    # that changed the --set path is gone.
    assert [re.findall(r"<td[^>]*>(.*?)</td>", c)[:4] for c in cells] == [
        ["1", "2025-09-14", "11", "escorts.pool_size = 40<br>"
         "corridors.dakar-kayes-diema.policy.escorts_per_convoy = 4"],
        ["2", "2025-09-25", "22", "adversary.destroy_share = 0.5 – 0.6 (uniform)"],
        ["3", "2025-12-12", "100", "escorts.pool_size = 10"]]
    assert "reinforcements &amp; &lt;more&gt; escorts" in section
    assert "given way" not in section
    series = {k: f for k, f in _figures(text).items() if not k.startswith("map-")}
    for key, figure in series.items():
        lines = [(sh["x0"], sh["x1"]) for sh in figure["layout"]["shapes"]]
        assert lines == [(d, d) for d in MARKED], key  # the day-100 entry is past the run
        marks = figure["data"][-1]
        assert marks["x"] == MARKED and marks["text"] == ["1", "2"] and marks["yaxis"] == "y2"
        assert "escorts.pool_size = 40" in marks["hovertext"][0]
        assert "&lt;more&gt;" in marks["hovertext"][0]
    # The markers sit where the series changes: the escort pool steps up on the entry's day.
    median = next(t for t in series["fan-escort_pool"]["data"] if t.get("name") == "median")
    assert median["y"][10] == POOL and median["y"][11] == 40
