"""Forecasts on the dashboard's API and in the HTML report: the fan charts carry the reported
values (checked against the log's own numbers), the origin is marked where it was asked, the
forecast and the stockout curve lie after the origin, and bad requests are 422 naming the field."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from siegeline.cli.main import app as cli
from siegeline.engines import simulate
from siegeline.forecast import forecast
from siegeline.forecast.observed import observed_points
from siegeline.observations.log import load_log
from siegeline.reports.html import ForecastOptions, render_report
from siegeline.results import ResultStore
from siegeline.web import WebSettings, create_app

ORIGIN = "2025-10-31"
QUERY = {"from": ORIGIN, "days": 14, "replications": 30, "seed": 4}
DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forecast")
    (tmp / "scenarios").mkdir()
    shutil.copy(DJIBO, tmp / "scenarios" / "djibo-2022.yaml")
    settings = WebSettings(store_path=tmp / "s.duckdb", scenarios_path=tmp / "scenarios",
                           max_days=200)
    with TestClient(create_app(settings), base_url="http://localhost") as c:
        yield c


@pytest.fixture(scope="module")
def answer(client):
    resp = client.get("/api/scenarios/bamako-2025/forecast", params=QUERY)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _origin_lines(figure: dict) -> list[str]:
    return [s["x0"] for s in figure["layout"].get("shapes", [])
            if s["x0"] == s["x1"] and s["line"].get("dash") == "dash"]


def test_the_forecast_figures_carry_the_reports_and_the_origin(answer, bamako):
    assert (answer["origin"], answer["days"], answer["replications"]) == (ORIGIN, 14, 30)
    assert answer["observations"] == "bamako-2025"  # the posterior's log
    figures = answer["figures"]
    assert {"forecast-imports", "forecast-stations_open", "forecast-stockout"} <= set(figures)
    for name, figure in figures.items():
        assert _origin_lines(figure) == [ORIGIN], name
    imports = {t["name"]: t for t in figures["forecast-imports"]["data"] if t.get("name")}
    reported = imports["reported, up to the origin"]["y"]
    # The customs' 53 million litres of September (30 days) drawn as their weekly rate.
    assert pytest.approx(min(reported, key=lambda v: abs(v - 12.37))) == 53e6 / 30 * 7 / 1e6
    # The same points as the reports computed directly from a forecast of the same run.
    fc = forecast(bamako, dt.date.fromisoformat(ORIGIN), 14, replications=30, seed=4)
    direct = observed_points(fc, load_log("bamako-2025"))
    assert sorted(reported + imports.get("reported, after it", {"y": []})["y"]) == \
        pytest.approx(sorted(p.value for p in direct["imports"]))
    stations = {t["name"]: t for t in figures["forecast-stations_open"]["data"] if t.get("name")}
    levels = stations["reported, up to the origin"]["y"]
    assert levels and all(0 <= v <= 1 for v in levels)  # a share, as the series
    assert pytest.approx(min(levels, key=lambda v: abs(v - 0.55))) == 0.55  # "30-80% open"


def test_the_forecast_lies_after_the_origin(answer):
    origin, end = ORIGIN, str(dt.date.fromisoformat(ORIGIN) + dt.timedelta(14))
    for name, figure in answer["figures"].items():
        for trace in figure["data"]:
            xs = [x for x in trace.get("x", []) if x is not None]
            if trace.get("legendgroup") == "forecast":
                assert xs and min(xs) >= origin and max(xs) <= end, name
            if trace.get("legendgroup") == "history":
                assert max(xs) <= origin, name
            if trace.get("name") == "reported, after it":
                assert min(xs) > origin, name
    stockout = answer["stockout"]
    assert min(stockout["dates"]) > origin and max(stockout["dates"]) == end
    assert set(stockout["curves"]) == {"diesel", "gasoline", "hfo"}
    curve = answer["figures"]["forecast-stockout"]["data"][0]
    assert curve["x"] == stockout["dates"] and curve["y"] == stockout["curves"]["diesel"]
    rows = {r[0]: r for r in answer["horizon"]["rows"]}
    assert rows["any stockout of gasoline"][3].endswith("%")


def test_bad_forecast_requests_are_422_naming_the_field(client):
    def problem(params: dict, name: str = "bamako-2025") -> tuple[list, str]:
        resp = client.get(f"/api/scenarios/{name}/forecast", params=params)
        assert resp.status_code == 422, resp.text
        detail = resp.json()["detail"][0]
        return detail["loc"], detail["msg"]

    loc, msg = problem({"from": "2025-13-01"})
    assert loc == ["query", "from"] and "valid date" in msg
    loc, msg = problem({"from": "31 Oct"})
    assert loc == ["query", "from"] and "valid date" in msg
    assert problem({"from": "2024-01-01"}) == (
        ["query", "from"], "2024-01-01 is before the scenario's start 2025-09-03")
    loc, msg = problem({"from": ORIGIN, "days": 200})  # 259 days simulated: over max_days
    assert loc == ["query", "days"] and "at most 200" in msg
    assert problem({"replications": 5000})[0] == ["query", "replications"]
    assert problem({"observations": "../x.csv"})[0] == ["query", "observations"]
    loc, msg = problem({"days": 5}, "djibo-2022")  # no posterior: the origin must be given
    assert loc == ["query", "from"] and "no posterior" in msg
    assert client.get("/api/scenarios/nowhere/forecast").status_code == 404


def _figures(text: str) -> dict:
    match = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def stored(tmp_path_factory, bamako):
    """A run of the calibrated scenario past the last date of its posterior's data."""
    store = ResultStore(tmp_path_factory.mktemp("report") / "s.duckdb")
    run_id = store.save(simulate(bamako, replications=20, days=100, seed=2),
                        bamako.model_dump_json())
    return store, run_id


def test_the_report_forecasts_from_the_posteriors_last_date(stored):
    store, run_id = stored
    record = store.run_record(run_id)
    text = render_report(store.load(run_id), record)
    assert '<section id="forecast">' in text
    assert "<h2>Forecast from 2025-11-30 for 11 days</h2>" in text  # to the run's last day
    assert "reports of the observation log bamako-2025 overlaid" in text
    figures = _figures(text)
    for key in ("forecast-imports", "forecast-stockout"):
        assert _origin_lines(figures[key]) == ["2025-11-30"]
        assert f'id="{key}"' in text
    assert "any stockout of gasoline" in text


def test_report_forecast_options(stored, tmp_path, bamako):
    store, run_id = stored
    out = tmp_path / "r.html"
    args = ["report", run_id, "-o", str(out), "--store", str(store.path)]
    ok = CliRunner().invoke(cli, [*args, "--forecast-from", ORIGIN, "--forecast-days", "7",
                                  "--observations", "none"])
    assert ok.exit_code == 0, ok.output
    text = out.read_text()
    assert f"<h2>Forecast from {ORIGIN} for 7 days</h2>" in text
    assert "no observations overlaid" in text
    assert _origin_lines(_figures(text)["forecast-attack"]) == [ORIGIN]
    late = CliRunner().invoke(cli, [*args, "--forecast-from", "2025-12-01", "--forecast-days",
                                    "30"])
    assert late.exit_code != 0 and "--forecast-days" in late.output
    assert "after the run's last day 2025-12-11" in late.output
    bad = CliRunner().invoke(cli, [*args, "--forecast-from", "1 Dec"])
    assert bad.exit_code != 0 and "not a date" in bad.output
    # A run that ends before the posterior's last date: the section says why there is none.
    short = store.save(simulate(bamako, replications=4, days=20, seed=1),
                       bamako.model_dump_json())
    text = render_report(store.load(short), store.run_record(short), ForecastOptions())
    assert "No forecast: the run ends on 2025-09-22" in text


def test_one_forecast_at_a_time_and_answers_kept(client, answer):
    from siegeline.web import routes_forecast

    with routes_forecast._RUNNING:  # a forecast being computed
        busy = client.get("/api/scenarios/bamako-2025/forecast",
                          params={**QUERY, "seed": 99})
        assert busy.status_code == 429 and "another forecast" in busy.json()["detail"]
        kept = client.get("/api/scenarios/bamako-2025/forecast", params=QUERY)
        assert kept.status_code == 200 and kept.json() == answer
