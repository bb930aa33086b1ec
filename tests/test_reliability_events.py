"""Broken event CSV files: clean errors with line numbers, and the events table unchanged."""

from __future__ import annotations

import duckdb
import pytest
import typer
from click.testing import CliRunner

from fuzz.corpus import csv_sample, events_corpus
from siegeline.cli.main import app
from siegeline.events.ingest import IngestError, parse_csv

COMMAND = typer.main.get_command(app)
FINGERPRINT = """SELECT count(*), sum(hash(event_uid, event_date, latitude, longitude, fatalities,
                 event_type, actor1, notes, "timestamp")) FROM events"""


def fingerprint(store) -> tuple:
    """(events, content hash without ingest ids, ingests recorded)."""
    with duckdb.connect(str(store), read_only=True) as con:
        count, digest = con.execute(FINGERPRINT).fetchone()
        ingests = con.execute("SELECT count(*) FROM event_ingests").fetchone()[0]
    return count, digest, ingests


@pytest.fixture()
def seeded_store(tmp_path):
    """A store holding the good rows every corpus file is derived from."""
    good = tmp_path / "good.csv"
    good.write_text(csv_sample(12), encoding="utf-8")
    store = tmp_path / "events.duckdb"
    res = CliRunner().invoke(COMMAND, ["events", "ingest", str(good), "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert fingerprint(store)[0] == 12
    return store


def test_parser_rejects_every_corpus_file_cleanly(tmp_path):
    """400 broken files through the parser: an IngestError naming the problem, or bad rows
    reported by line number; never another exception."""
    cases = events_corpus(20250903, 400)
    assert len({c.content for c in cases}) == len(cases)
    rejected_rows = 0
    for i, case in enumerate(cases):
        path = tmp_path / f"case{i}.csv"
        path.write_bytes(case.content)
        try:
            parsed = parse_csv(path)
        except IngestError as exc:
            assert any(h.lower() in str(exc).lower() for h in case.hints), (case.name, str(exc))
            continue
        assert case.may_be_valid, case.name
        for problem in parsed.problems:
            assert 2 <= problem.line <= 14 and str(problem).startswith("line "), case.name
        rejected_rows += len(parsed.problems)
        if case.name.startswith("field-"):  # the mutated row is rejected, the others kept
            assert len(parsed.problems) == 1 and len(parsed.records) == 11, case.name
    assert rejected_rows > 100


def test_cli_ingest_of_broken_files_leaves_the_store_intact(seeded_store, tmp_path):
    before = fingerprint(seeded_store)
    failed = partial = 0
    for i, case in enumerate(events_corpus(7, 40)):
        path = tmp_path / f"case{i}.csv"
        path.write_bytes(case.content)
        res = CliRunner().invoke(COMMAND, ["events", "ingest", str(path), "--store",
                                           str(seeded_store)])
        assert res.exception is None or isinstance(res.exception, SystemExit), case.name
        assert res.exit_code in (0, 1, 2) and "Traceback" not in res.output, case.name
        after = fingerprint(seeded_store)
        if res.exit_code == 2:
            failed += 1
            assert res.output.startswith("error:"), case.name
            assert any(h.lower() in res.output.lower() for h in case.hints), res.output
            assert after == before, f"{case.name} changed the store"
        else:
            # Good rows are the stored rows again (an upsert); bad ones are listed by line.
            assert after[:2] == before[:2], f"{case.name} changed stored events"
            if " 0 rejected" not in res.output:
                partial += 1
                assert "rejected line " in res.output, res.output
            before = after
    assert failed > 3 and partial > 3
