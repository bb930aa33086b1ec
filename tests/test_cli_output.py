"""What the commands print when piped (CliRunner's output is not a terminal, 80 columns as
Rich assumes): ids and names whole, errors unbroken, strict JSON, one rule for chart folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    store = tmp_path_factory.mktemp("out") / "s.duckdb"
    res = runner.invoke(app, ["run", "-n", "4", "-d", "12", "-s", "1", "--store", str(store),
                              "--label", "a label long enough to need wrapping at eighty"])
    assert res.exit_code == 0, res.output
    run_id = res.output.split("Saved run ")[1].split()[0]
    return store, run_id


def test_piped_run_list_shows_whole_ids_and_names(stored: tuple[Path, str]) -> None:
    store, run_id = stored
    from siegeline.cli.common import console

    assert console.width == 80 and not console.is_terminal  # as `siegeline runs | cat`
    out = runner.invoke(app, ["runs", "--store", str(store)]).output
    row = next(line for line in out.splitlines() if run_id in line)  # the id whole, one line
    assert "bamako-2025" in row and "a label long enough to need wrapping at eighty" in row


def test_summary_json_is_strict_json_with_null(stored: tuple[Path, str]) -> None:
    store, _ = stored
    res = runner.invoke(app, ["summary", "latest", "--store", str(store), "--json"])

    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    rows = json.loads(res.output, parse_constant=refuse)
    p_rows = [r for r in rows if r["indicator"] == "p_stockout_by_day"]
    assert p_rows and all(r["p05"] is None for r in p_rows), p_rows[0]


def test_plot_and_run_plots_write_into_the_folder_given(stored: tuple[Path, str],
                                                        tmp_path: Path) -> None:
    store, run_id = stored
    res = runner.invoke(app, ["plot", run_id, "--store", str(store), "-o", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    from_plot = sorted(p.name for p in (tmp_path / "p").iterdir())
    res = runner.invoke(app, ["run", "-n", "2", "-d", "5", "--no-store",
                              "--plots", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "p_stockout.png" in from_plot
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == from_plot


def test_errors_are_one_unbroken_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "no-such-scenario", "--no-store"])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) <= 2, res.output
    assert "no scenario file 'no-such-scenario'" in lines[-1] and "(packaged:" in lines[-1]


def test_a_mistyped_run_id_names_the_closest_stored_one(stored: tuple[Path, str]) -> None:
    store, run_id = stored
    typo = run_id[:-3] + "zzz"
    for command in ("summary", "plot", "rerun", "report"):
        res = runner.invoke(app, [command, typo, "--store", str(store)])
        assert res.exit_code == 2, (command, res.output)
        assert f"no stored run '{typo}'; did you mean {run_id}?" in res.output, res.output


def test_a_mistyped_scenario_name_names_the_packaged_one() -> None:
    for args in (["run", "bamako-2052", "--no-store"], ["show", "bamako2025"],
                 ["validate", "bamako-2052"], ["events", "calibrate", "bamako-205", "-o", "x"]):
        res = runner.invoke(app, args)
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert res.exit_code == 2 and len(lines) == 1, res.output
        assert "did you mean 'bamako-2025'?" in lines[0], res.output
