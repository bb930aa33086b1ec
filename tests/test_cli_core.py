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


def test_scenarios_show_validate_schema(tmp_path):
    assert "bamako-2025" in runner.invoke(app, ["scenarios"]).output
    shown = runner.invoke(app, ["show", "bamako-2025", "--sources"])
    assert shown.exit_code == 0
    assert "official price order" in shown.output
    ok = runner.invoke(app, ["validate", "bamako-2025"])
    assert ok.exit_code == 0 and "valid" in ok.output
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "-o", str(out)]).exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["$defs"]["Corridor"]["properties"]["fleet"]["unit"] == "tanker"
