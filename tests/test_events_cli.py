"""The `siegeline events` commands end to end on the synthetic sample, with a real DuckDB store."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from acled_sample import SAMPLE_PATH
from siegeline.cli.main import app
from siegeline.events.schema import ACLED_COLUMNS
from siegeline.scenario import load_scenario

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store.duckdb"
    result = runner.invoke(app, ["events", "ingest", str(SAMPLE_PATH), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["events", *args, "--store", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_reingest_does_not_duplicate(db: Path) -> None:
    out = run(db, "ingest", str(SAMPLE_PATH))
    with SAMPLE_PATH.open(encoding="utf-8") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    assert f"0 new, 0 updated, {n} unchanged" in out and f"store now holds {n} events" in out


def test_summary_trend_share_with_charts(db: Path, tmp_path: Path) -> None:
    assert "Movers" in run(db, "summary", "--by", "admin1", "--actor", "JNIM")
    run(
        db,
        "trend",
        "--period",
        "half",
        "--actor",
        "JNIM",
        "--png",
        str(tmp_path / "t.png"),
        "--csv",
        str(tmp_path / "t.csv"),
    )
    run(db, "share", "--actor", "JNIM", "--regions", "Kayes,Koulikoro,Sikasso",
        "--png", str(tmp_path / "s.png"))
    assert (tmp_path / "t.png").read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC
    with (tmp_path / "t.csv").open() as fh:
        assert [r["half"] for r in csv.DictReader(fh)] == [
            "2024-H1",
            "2024-H2",
            "2025-H1",
            "2025-H2",
        ]


def test_export_writes_acled_layout(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "jnim.csv"
    run(db, "export", "-o", str(out), "--actor", "JNIM", "--start", "2025-01-01")
    with SAMPLE_PATH.open(encoding="utf-8") as fh:
        src = {r["event_id_cnty"]: r for r in csv.DictReader(fh)}
    with out.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames) == ACLED_COLUMNS
    expected = {
        k
        for k, r in src.items()
        if r["event_date"] >= "2025-01-01" and ("JNIM:" in r["actor1"] or "JNIM:" in r["actor2"])
    }
    assert {r["event_id_cnty"] for r in rows} == expected
    row = rows[0]
    assert row == src[row["event_id_cnty"]]  # the export round-trips the ACLED fields


def test_exposure_calibrate_validate_backtest(db: Path, tmp_path: Path) -> None:
    run(db, "exposure", "--png", str(tmp_path / "map.png"), "--csv", str(tmp_path / "e.csv"))
    assert (tmp_path / "map.png").read_bytes()[:8] == PNG_MAGIC
    out = tmp_path / "calibrated.yaml"
    run(db, "calibrate", "bamako-2025", "-o", str(out), "--groups-per-day", "5")
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    calibrated = load_scenario(out)
    data = yaml.safe_load(out.read_text())
    seg = calibrated.segment_between("kayes", "kita")
    assert seg.hazard_per_100km.low < seg.hazard_per_100km.high
    assert "segments.kayes-kita.hazard_per_100km" in data["sources"]
    # Segments outside the data's coverage (Senegal) keep their hazard.
    assert calibrated.segment_between("dakar", "tambacounda").hazard_per_100km == 0.0
    growth = calibrated.adversary.growth_per_year
    assert 1.5 < growth.low < growth.high < 2.6  # the sample doubles year on year
    # The e.csv counts per segment agree with the hazard notes' event counts.
    with (tmp_path / "e.csv").open() as fh:
        totals = {r["segment"]: float(r["total"]) for r in csv.DictReader(fh)}
    note = data["sources"]["segments.kayes-kita.hazard_per_100km"]["note"]
    assert f"{totals['kayes-kita']:g} events within buffer" in note
    out_bt = run(db, "backtest", "--holdout", "2", "--png", str(tmp_path / "bt.png"))
    assert "skill" in out_bt and "poisson-last" in out_bt
    assert (tmp_path / "bt.png").read_bytes()[:8] == PNG_MAGIC


def test_user_errors_are_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    result = runner.invoke(
        app, ["events", "ingest", str(tmp_path / "nope.csv"), "--store", str(db)]
    )
    assert result.exit_code == 2 and "no such file" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("event_id_cnty,event_date\nX,2025-01-01\n")
    result = runner.invoke(app, ["events", "ingest", str(bad), "--store", str(db)])
    assert result.exit_code == 2 and "missing ACLED columns" in result.output
    result = runner.invoke(app, ["events", "summary", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "events ingest" in result.output
    assert "Traceback" not in result.output


def test_rejected_rows_set_the_exit_status_and_strict_stores_nothing(tmp_path: Path) -> None:
    """With a bad row the good ones are stored and the exit status is 1; with --strict nothing
    is stored and the exit status is also 1 (the issue's contract), the bad rows listed by line
    and counted by reason."""
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:5]
    rows[1]["event_date"] = "2099-01-01"
    rows[1]["year"] = "2099"
    rows[2]["sub_event_type"] = "Peaceful protest"  # not a sub-event type of its event type
    rows[3]["event_date"] = "2098-01-01"
    rows[3]["year"] = "2098"
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ACLED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    strict = runner.invoke(app, ["events", "ingest", str(path), "--strict",
                                 "--store", str(tmp_path / "strict.duckdb")])
    assert strict.exit_code == 1 and "nothing stored" in strict.output
    assert "line 3" in strict.output and "in the future" in strict.output
    assert ("rejected 3 rows by reason: date in the future 2, unknown sub_event_type 1"
            in strict.output)
    assert not (tmp_path / "strict.duckdb").exists()
    lenient = runner.invoke(app, ["events", "ingest", str(path),
                                  "--store", str(tmp_path / "lenient.duckdb")])
    assert lenient.exit_code == 1 and "2 new" in lenient.output and "3 rejected" in lenient.output
    assert "date in the future 2" in lenient.output


def test_summary_by_actor_groups_by_first_actor_and_an_unknown_actor_is_an_error(db: Path) -> None:
    """Without --actor, --by actor counts events per primary actor (short names); an actor that
    matches no event is an error naming the frequent ones, not a table of 'others'."""
    out = run(db, "summary", "--by", "actor", "--actor", "")
    assert "JNIM" in out and "others" not in out
    result = runner.invoke(app, ["events", "summary", "--by", "actor", "--actor", "NOSUCH",
                                 "--store", str(db)])
    assert result.exit_code == 2 and "no event matches actor 'NOSUCH'" in result.output
    assert "JNIM" in result.output


def test_movers_skip_a_partial_last_period(tmp_path: Path) -> None:
    """Data ending on 20 November: November is partial, so movers compare September with
    October and say so, instead of a drop that is only the missing days."""
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as fh:
        template = next(csv.DictReader(fh))
    dates = ["2025-09-05", "2025-09-20", "2025-10-02", "2025-10-09", "2025-10-15", "2025-11-20"]
    rows = [{**template, "event_id_cnty": f"T{i}", "event_date": d, "year": d[:4],
             "timestamp": "1764547200"} for i, d in enumerate(dates)]
    path = tmp_path / "partial.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ACLED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    db = tmp_path / "p.duckdb"
    assert runner.invoke(app, ["events", "ingest", str(path), "--store", str(db)]).exit_code == 0
    out = run(db, "summary", "--period", "month", "--actor", "")
    assert "2025-11 is partial" in out and "Movers: 2025-09 → 2025-10" in out


def test_summary_and_trend_print_fatalities(db: Path) -> None:
    """--measure fatalities sums the fatalities of the events per group and per period; the
    totals agree with the sample file."""
    with SAMPLE_PATH.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    total = sum(int(r["fatalities"] or 0) for r in rows)
    per_type: dict[str, int] = {}
    for r in rows:
        per_type[r["event_type"]] = per_type.get(r["event_type"], 0) + int(r["fatalities"] or 0)
    out = run(db, "summary", "--measure", "fatalities", "--actor", "")
    assert f"{len(rows)} events, {total} fatalities" in out and "Fatalities by event_type" in out
    top_type, top = max(per_type.items(), key=lambda kv: kv[1])
    assert any(top_type in line and f" {top} " in f" {line} " for line in out.splitlines())
    trend = run(db, "trend", "--period", "year", "--measure", "fatalities", "--actor", "")
    by_year = {y: sum(int(r["fatalities"] or 0) for r in rows if r["event_date"][:4] == y)
               for y in ("2024", "2025")}
    for year, n in by_year.items():
        assert any(line.split()[:2] == [year, str(n)] for line in
                   (ln.strip("│ ").replace("│", " ") for ln in trend.splitlines())), trend


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ACLED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_calibrate_counts_months_over_the_data_range_not_the_filtered_events(
    tmp_path: Path,
) -> None:
    """The data cover all of 2024 (other actors' events on 1 January and 31 December); JNIM's
    events fall on the 15th of each month. All twelve months are complete, though JNIM's first
    and last events are mid-month (it was 10 months, January and December dropped)."""
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as fh:
        template = next(r for r in csv.DictReader(fh) if r["actor1"].startswith("JNIM"))
    rows = [{**template, "event_id_cnty": f"J{m}", "event_date": f"2024-{m:02d}-15",
             "year": "2024", "timestamp": "1735689600"} for m in range(1, 13)]
    rows += [{**template, "event_id_cnty": f"O{i}", "event_date": d, "year": "2024",
              "actor1": "Military Forces of Mali (2021-)", "actor2": "", "timestamp": "1735689600"}
             for i, d in enumerate(["2024-01-01", "2024-12-31"])]
    db = tmp_path / "c.duckdb"
    ingest = runner.invoke(app, ["events", "ingest", str(_write_rows(tmp_path / "c.csv", rows)),
                                 "--store", str(db)])
    assert ingest.exit_code == 0, ingest.output
    out = run(db, "calibrate", "-o", str(tmp_path / "cal.yaml"))
    assert "from 12 months" in out
    out = run(db, "calibrate", "-o", str(tmp_path / "cal.yaml"), "--start", "2024-03-01")
    assert "from 10 months" in out  # --start bounds the range: March to December


def test_share_needs_regions_that_exist_in_the_data(db: Path) -> None:
    """No default regions (they were three Malian ones): --regions is required, and a name
    that no event has is an error listing the data's admin1 names."""
    missing = runner.invoke(app, ["events", "share", "--actor", "JNIM", "--store", str(db)])
    assert missing.exit_code == 2 and "--regions" in missing.output
    typo = runner.invoke(app, ["events", "share", "--actor", "JNIM", "--regions", "Kays",
                               "--store", str(db)])
    assert typo.exit_code == 2 and "no event in admin1 Kays" in typo.output
    assert "Kayes" in typo.output
    out = run(db, "share", "--actor", "JNIM", "--regions", "kayes")
    assert "JNIM events in kayes" in out


def test_hazard_commands_take_their_default_actor_from_the_data(db: Path, tmp_path: Path) -> None:
    """exposure/calibrate/backtest no longer assume JNIM: without --actor they use the data's
    most frequent first actor and say so (JNIM in the sample, the same table as --actor JNIM);
    in data where another actor leads, that one."""
    derived = run(db, "exposure", "--csv", str(tmp_path / "a.csv"))
    assert "actor: JNIM (the most frequent first actor" in derived
    run(db, "exposure", "--actor", "JNIM", "--csv", str(tmp_path / "b.csv"))
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as fh:
        template = next(r for r in csv.DictReader(fh) if r["event_type"] == "Battles")
    rows = [{**template, "event_id_cnty": f"A{i}", "actor1": "Katiba Serma"} for i in range(3)]
    rows.append({**template, "event_id_cnty": "B0"})
    other = tmp_path / "o.duckdb"
    ingest = runner.invoke(app, ["events", "ingest", str(_write_rows(tmp_path / "o.csv", rows)),
                                 "--store", str(other)])
    assert ingest.exit_code == 0, ingest.output
    assert "actor: Katiba Serma (the most frequent" in run(other, "exposure")
