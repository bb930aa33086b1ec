import json

import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    """Rich wraps tables at the terminal width; give the tests room to see whole cells."""
    from siegeline.cli.common import console

    monkeypatch.setattr(console, "width", 250)


def test_run_prints_summary_and_stores(tmp_path):
    store = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["run", "-n", "40", "-d", "45", "--seed", "3", "--store", str(store),
                              "--set", "escorts.pool_size=20", "--plots", str(tmp_path / "png"),
                              "--parquet", str(tmp_path / "r.parquet")])
    assert res.exit_code == 0, res.output
    assert "days of cover" in res.output and "P(stockout by day)" in res.output
    assert "Saved run" in res.output
    assert (tmp_path / "r.parquet").exists()
    pngs = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert "cover_days.png" in pngs and "p_stockout.png" in pngs
    listed = runner.invoke(app, ["runs", "--store", str(store)])
    assert "bamako-2025" in listed.output
    summary = runner.invoke(app, ["summary", "latest", "--store", str(store), "--json"])
    rows = json.loads(summary.output)
    assert any(r["indicator"] == "cover_days" for r in rows)
    plot = runner.invoke(app, ["plot", "latest", "--store", str(store), "-o", str(tmp_path / "p")])
    assert plot.exit_code == 0 and "Wrote" in plot.output


def test_bad_input_gives_one_clear_error_not_a_traceback(tmp_path):
    res = runner.invoke(app, ["run", "-n", "5", "--set", "adversary.intensity=-3", "--no-store"])
    assert res.exit_code == 2
    assert "adversary" in res.output and "greater than or equal to 0" in res.output
    assert "Traceback" not in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsimulation: {start_date: 2025-09-03}\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "products" in res.output and "Field required" in res.output
    res = runner.invoke(app, ["run", "nowhere.yaml", "--no-store"])
    assert res.exit_code == 2 and "no scenario file" in res.output
    res = runner.invoke(app, ["summary", "zzz", "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 2 and "no stored run 'zzz'" in res.output


TIMELINE = [  # listed out of order: the table shows them in the order they take effect
    {"day": 30, "set": {"escorts.pool_size": 20,
                        "city.rationing": [{"below_cover_days": 3, "caps": {"private": 0.5}}]},
     "note": "reinforcements", "source": "estimate"},
    {"date": "2025-09-14",
     "set": {"adversary.intensity": {"low": 0.3, "high": 0.5},
             "corridors.dakar-kayes-diema.policy.escorts_per_convoy": 4,
             "adversary.campaign.hold": "surge"},
     "note": "40 of 80+ tankers burned; more escorts", "source": "data/blockade-2025-timeline.csv"},
]
CAMPAIGN = {"regimes": [{"name": "active"},
                        {"name": "surge", "intensity_multiplier": 2.5, "mean_duration_days": 9}]}


def _timeline_scenario(tmp_path):
    import yaml

    from siegeline.scenario import load_raw

    data = load_raw("bamako-2025")
    data["timeline"] = TIMELINE
    data.pop("posterior", None)  # it calibrates the lull replaced here
    data["adversary"]["campaign"] = CAMPAIGN
    path = tmp_path / "timeline.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _timeline_lines(output: str) -> list[list[str]]:
    """Cells of each body row of the Timeline table."""
    block = output.split("Timeline (")[1].split("└")[0]
    return [[c.strip() for c in line.split("│")[1:-1]] for line in block.splitlines()
            if line.startswith("│")]


@pytest.mark.parametrize("width", [80, 250])  # 80: what Rich assumes when piped
def test_show_prints_the_timeline_whole(tmp_path, monkeypatch, width):
    from siegeline.cli.common import console

    monkeypatch.setattr(console, "width", width)
    path = _timeline_scenario(tmp_path)
    only = runner.invoke(app, ["show", str(path), "--timeline"])
    assert only.exit_code == 0, only.output
    assert "Corridors" not in only.output  # --timeline shows only the timeline and regimes
    rows = _timeline_lines(only.output)
    # One line per change, each whole on its line, in the order the changes take effect.
    assert [r[3] for r in rows if r[3]] == [
        "adversary.intensity = 0.3 – 0.5 (uniform)",
        "corridors.dakar-kayes-diema.policy.escorts_per_convoy = 4",
        "adversary.campaign.hold = surge",
        "escorts.pool_size = 20",
        "city.rationing:",  # a structured value: one line per item, indented
        '- below_cover_days = 3, caps = {"private": 0.5}']
    firsts = [r for r in rows if r[0]]
    assert [r[:3] for r in firsts] == [["1", "2025-09-14", "11"], ["2", "2025-10-03", "30"]]
    assert "data/blockade-2025-timeline.csv" in only.output
    regimes = only.output.split("Campaign regimes")[1]
    assert "surge" in regimes and "2.5" in regimes and "never leaves" in regimes
    assert "held from 2025-09-14" in regimes and "initial" in regimes
    full = runner.invoke(app, ["show", str(path)])
    assert "Corridors" in full.output and _timeline_lines(full.output) == rows
    plain = runner.invoke(app, ["show", "bamako-2025", "--timeline"])
    assert plain.exit_code == 0


def test_scenarios_show_validate_schema(tmp_path):
    assert "bamako-2025" in runner.invoke(app, ["scenarios"]).output
    shown = runner.invoke(app, ["show", "bamako-2025", "--sources"])
    assert shown.exit_code == 0
    assert "official price order" in shown.output
    assert ("Observation log: bamako-2025; posterior: 500 joint samples of 10 parameters, "
            "data to 2025-11-30") in shown.output
    ok = runner.invoke(app, ["validate", "bamako-2025"])
    assert ok.exit_code == 0 and "valid" in ok.output
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "-o", str(out)]).exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["$defs"]["Corridor"]["properties"]["fleet"]["unit"] == "tanker"
