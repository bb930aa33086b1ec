"""A scenario names its own observation log (``observations``): commands that read a log default
to it, never to Bamako's. Djibo 2022 (tests/data) names none: calibrate, backtest and record
say so in one line, forecasts draw no reports; given a log of its own, relative to its file, it
is read from there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.scenario.loader import ScenarioError, load_raw, load_scenario, validate_scenario
from siegeline.web import WebSettings, create_app
from siegeline.web.catalogue import ScenarioCatalogue

DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"
# Two illustrative reports inside the Djibo run (not real figures): deliveries to the town in
# the first half of March and an attack at Bourzanga.
DJIBO_LOG = """\
date,end_date,kind,place,latitude,longitude,corridor,value,low,high,unit,source,url,confidence,note
2022-03-01,2022-03-14,imports,Djibo,,,unknown,900000,,,litres delivered,fixture,,medium,test
2022-03-05,,attack,Bourzanga,13.68,-1.55,unknown,1,,,attacks,fixture,,medium,test
"""
runner = CliRunner()


def _case(folder: Path, observations: str | None, stem: str = "djibo-logged") -> Path:
    """Djibo's scenario written to ``folder``, naming ``observations``, with the log at
    ``folder/logs/djibo-log.csv``."""
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    (folder / "logs" / "djibo-log.csv").write_text(DJIBO_LOG, encoding="utf-8")
    data = load_raw(DJIBO)
    if observations is not None:
        data["observations"] = observations
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [
    ["record", str(DJIBO)],
    ["calibrate", str(DJIBO), "--until", "2022-03-01"],
    ["backtest", str(DJIBO), "--origin", "2022-03-01"],
])
def test_a_command_needing_a_log_says_the_scenario_names_none(command, tmp_path) -> None:
    if command[0] != "record":
        pytest.importorskip("pyabc")
    res = runner.invoke(app, [*command, "-o", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"{DJIBO} names no observation log: pass --observations LOG" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # it failed before simulating anything


def test_a_log_path_is_read_relative_to_the_scenario_file(tmp_path, monkeypatch) -> None:
    path = _case(tmp_path / "case", "logs/djibo-log.csv")
    log = (tmp_path / "case" / "logs" / "djibo-log.csv").resolve()
    monkeypatch.chdir(tmp_path)  # not the scenario's folder: the path is the file's, not cwd's
    assert load_scenario(path).observations == str(log)
    assert load_scenario(Path("case") / path.name).observations == str(log)
    res = runner.invoke(app, ["record", str(path), "-n", "4", "-o", "rec"])
    assert res.exit_code == 0, res.output
    assert "vs djibo-log.csv" in res.output
    scored = (tmp_path / "rec" / "record.csv").read_text().splitlines()
    assert len(scored) == 3  # header and both reports of Djibo's log, none of Bamako's
    # --observations still wins over the scenario's log.
    res = runner.invoke(app, ["record", str(path), "-n", "4", "-o", "rec2", "--observations",
                              "bamako-2025"])
    assert res.exit_code == 2 and "no observation of the log falls inside" in res.output


@pytest.mark.parametrize(("name", "words"), [
    ("bamako-2024", "no observation log 'bamako-2024': not a packaged log (bamako-2025)"),
    ("logs/missing.csv", "no file"),
])
def test_an_unknown_log_is_a_validation_error_naming_the_field(name, words, tmp_path) -> None:
    path = _case(tmp_path, name)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.problems[0][0] == "observations"
    assert words in err.value.problems[0][1]
    # A served folder lists the file as invalid, naming the field.
    entry, = ScenarioCatalogue(tmp_path).folder_entries()
    assert entry.scenario is None and entry.error.startswith("observations: ")
    # A stored run's scenario is validated without its folder: the log it named is kept as
    # written, so a moved file does not make the run unreadable.
    assert validate_scenario(load_raw(path)).observations == name


def test_the_packaged_scenario_names_the_packaged_log(bamako) -> None:
    assert bamako.observations == "bamako-2025"
    assert list(load_raw("bamako-2025"))[:5] == ["name", "title", "description",
                                                 "observations", "simulation"]


def _reported(answer: dict) -> list[str]:
    return [t["name"] for fig in answer["figures"].values() for t in fig["data"]
            if str(t.get("name", "")).startswith("reported")]


def test_forecasts_draw_the_scenarios_own_log_or_none(tmp_path) -> None:
    """The dashboard's forecast of Djibo draws its own log's reports when it names one (a path
    relative to its file in the server's folder, answered by file name only) and none when it
    names none; the command's forecast says it draws none, in its output and forecast.md."""
    folder = tmp_path / "scenarios"
    _case(folder, "logs/djibo-log.csv")
    shutil.copy(DJIBO, folder / "djibo-2022.yaml")
    settings = WebSettings(store_path=tmp_path / "s.duckdb", scenarios_path=folder)
    query = {"from": "2022-03-10", "days": 10, "replications": 10, "seed": 1}
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        logged = client.get("/api/scenarios/djibo-logged/forecast", params=query).json()
        bare = client.get("/api/scenarios/djibo-2022/forecast", params=query).json()
    assert logged["observations"] == "djibo-log.csv"
    assert _reported(logged)  # the March deliveries and the attack
    assert bare["observations"] is None and not _reported(bare)
    res = runner.invoke(app, ["forecast", str(DJIBO), "--from", "2022-03-10", "-d", "10", "-n",
                              "10", "-o", str(tmp_path / "fc")])
    assert res.exit_code == 0, res.output
    line = f"No reports overlaid: {DJIBO} names no observation log"
    assert line in res.output and line in (tmp_path / "fc" / "forecast.md").read_text()
