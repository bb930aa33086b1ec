"""The events tables in siegeline's embedded DuckDB store.

Tables: ``events`` (normalised events, key ``event_uid``), ``event_ingests`` (one row per ingest)
and ``event_deletions`` (ACLED deletions applied). Every write runs in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from siegeline.events.ingest import ParsedEvents
from siegeline.events.schema import EVENT_COLUMNS
from siegeline.results.locking import connect_duckdb

STORE_ENV = "SIEGELINE_STORE"


def default_store_path() -> Path:
    """``$SIEGELINE_STORE`` or ``siegeline-runs/siegeline.duckdb`` under the current directory."""
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else Path.cwd() / "siegeline-runs" / "siegeline.duckdb"


_DDL = [
    "CREATE TABLE IF NOT EXISTS events ("
    + ", ".join(f'"{n}" {t}' for n, t in EVENT_COLUMNS.items())
    + ", PRIMARY KEY (event_uid))",
    """CREATE TABLE IF NOT EXISTS event_ingests (
        ingest_id INTEGER PRIMARY KEY, ingested_at TIMESTAMP, label VARCHAR, dataset VARCHAR,
        rows_read INTEGER, inserted INTEGER, updated INTEGER, unchanged INTEGER,
        deleted INTEGER, rejected INTEGER)""",
    """CREATE TABLE IF NOT EXISTS event_deletions (
        event_uid VARCHAR PRIMARY KEY, deleted_timestamp BIGINT, ingest_id INTEGER)""",
]


@contextmanager
def connect(
    path: str | Path | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store (creating file and tables when writable) and close it afterwards."""
    path = Path(path) if path else default_store_path()
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"no event store at {path}; run `siegeline events ingest` first or pass --store"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect_duckdb(path, read_only=read_only)  # waits while another process writes
    try:
        if not read_only:
            for stmt in _DDL:
                con.execute(stmt)
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class IngestSummary:
    ingest_id: int
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    skipped_deleted: int
    skipped_stale: int = 0  # rows older (by timestamp) than the stored version of their event


def _compare_cols() -> str:
    cols = [c for c in EVENT_COLUMNS if c not in ("event_uid", "ingest_id")]
    return " OR ".join(f'e."{c}" IS DISTINCT FROM n."{c}"' for c in cols)


def write_events(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedEvents,
    label: str,
    deletions: list[tuple[str, int | None]] | None = None,
) -> IngestSummary:
    """Upsert ``parsed`` (keyed by ACLED event_id_cnty / UCDP id) and apply ACLED deletions.

    An event listed as deleted is not re-inserted unless its ``timestamp`` is newer than the
    deletion, and a row older (by ``timestamp``) than the stored version of its event does not
    replace it. All of it happens in one transaction: on any error nothing is written.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = con.execute(
            "SELECT coalesce(max(ingest_id), 0) + 1 FROM event_ingests"
        ).fetchall()[0][0]
        incoming = parsed.to_arrow()
        incoming = incoming.set_column(
            incoming.schema.get_field_index("ingest_id"),
            "ingest_id",
            pa.array([ingest_id] * incoming.num_rows, pa.int32()),
        )
        con.register("incoming_raw", incoming)
        con.execute(
            """CREATE TEMP TABLE incoming AS
               SELECT n.* FROM incoming_raw n LEFT JOIN event_deletions d USING (event_uid)
               WHERE d.event_uid IS NULL
                  OR (n."timestamp" IS NOT NULL AND d.deleted_timestamp IS NOT NULL
                      AND n."timestamp" > d.deleted_timestamp)"""
        )
        not_deleted = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        con.execute(  # a stale copy (older timestamp) never overwrites a newer version
            """DELETE FROM incoming WHERE event_uid IN (
                   SELECT n.event_uid FROM incoming n JOIN events e USING (event_uid)
                   WHERE n."timestamp" < e."timestamp")"""
        )
        stale = not_deleted - con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        skipped = incoming.num_rows - not_deleted
        updated = con.execute(
            f"SELECT count(*) FROM incoming n JOIN events e USING (event_uid) "
            f"WHERE {_compare_cols()}"
        ).fetchall()[0][0]
        existing = con.execute(
            "SELECT count(*) FROM incoming n JOIN events e USING (event_uid)"
        ).fetchall()[0][0]
        con.execute("DELETE FROM events WHERE event_uid IN (SELECT event_uid FROM incoming)")
        con.execute("INSERT INTO events SELECT * FROM incoming")
        con.execute("DROP TABLE incoming")
        con.unregister("incoming_raw")
        deleted = 0
        if deletions:
            prefix = "acled:"
            rows = pd.DataFrame(
                {
                    "event_uid": [prefix + d[0] for d in deletions],
                    "deleted_timestamp": pd.array([d[1] for d in deletions], dtype="Int64"),
                }
            ).drop_duplicates("event_uid", keep="last")
            con.register("deleted_raw", rows)
            deleted = con.execute(
                """SELECT count(*) FROM events e JOIN deleted_raw d USING (event_uid)
                   WHERE d.deleted_timestamp IS NULL OR e."timestamp" IS NULL
                      OR e."timestamp" <= d.deleted_timestamp"""
            ).fetchall()[0][0]
            con.execute(
                """DELETE FROM events WHERE event_uid IN (
                   SELECT e.event_uid FROM events e JOIN deleted_raw d USING (event_uid)
                   WHERE d.deleted_timestamp IS NULL OR e."timestamp" IS NULL
                      OR e."timestamp" <= d.deleted_timestamp)"""
            )
            con.execute(
                "INSERT OR REPLACE INTO event_deletions "
                "SELECT event_uid, deleted_timestamp, ? FROM deleted_raw",
                [ingest_id],
            )
            con.unregister("deleted_raw")
        inserted = incoming.num_rows - skipped - stale - existing
        summary = IngestSummary(
            ingest_id=ingest_id,
            rows_read=parsed.rows_read,
            inserted=inserted,
            updated=updated,
            unchanged=existing - updated,
            deleted=deleted,
            rejected=len(parsed.problems),
            skipped_deleted=skipped,
            skipped_stale=stale,
        )
        con.execute(
            "INSERT INTO event_ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ingest_id,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                label,
                parsed.dataset,
                summary.rows_read,
                summary.inserted,
                summary.updated,
                summary.unchanged,
                summary.deleted,
                summary.rejected,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary


def load_events(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset: str | None = None,
    country: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Events as a DataFrame (``event_date`` as datetime64), optionally filtered."""
    clauses, params = [], []
    for col, value, op in (
        ("dataset", dataset, "="),
        ("country", country, "="),
        ("event_date", start, ">="),
        ("event_date", end, "<="),
    ):
        if value is not None:
            clauses.append(f"{col} {op} ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    df = con.execute(f"SELECT * FROM events {where} ORDER BY event_date, event_uid", params).df()
    df["event_date"] = pd.to_datetime(df["event_date"])
    return df


def last_timestamp(con: duckdb.DuckDBPyConnection) -> int | None:
    """Most recent ACLED ``timestamp`` stored: the point an incremental API update starts from."""
    return con.execute("SELECT max(\"timestamp\") FROM events WHERE dataset = 'acled'").fetchall()[
        0
    ][0]
