"""The embedded results store: one DuckDB file holding every saved run.

Table ``runs`` has one row per run (metadata, the scenario as JSON, its content hash); table
``run_daily`` one row per (run, replication, day) with a column per output series; table
``run_samples`` the per-replication parameter samples as JSON. Each save is one transaction, so an
interrupted save leaves no partial run behind.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from siegeline.results.locking import connect_duckdb
from siegeline.results.result import SimulationResult, samples_json

DEFAULT_STORE = Path("siegeline-runs") / "siegeline.duckdb"


def default_store_path() -> Path:
    return Path(os.environ.get("SIEGELINE_STORE", DEFAULT_STORE))


def new_run_id() -> str:
    """Sortable by time, unguessable: date-time prefix and 64 random bits."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(8)


class RunNotFound(KeyError):
    def __str__(self) -> str:
        return f"no stored run {self.args[0]!r}"


class ResultStore:
    """Save, list and load simulation runs in a DuckDB file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the database, retrying while another process holds its write lock."""
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(f"no results store at {self.path}")
        con = connect_duckdb(self.path, read_only=read_only)
        try:
            if not read_only:
                self._ensure_schema(con)
            yield con
        finally:
            con.close()

    @staticmethod
    def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            """CREATE TABLE IF NOT EXISTS runs (
                run_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario_name VARCHAR,
                scenario_hash VARCHAR, engine VARCHAR, seed BIGINT, replications INTEGER,
                days INTEGER, version VARCHAR, label VARCHAR, metadata JSON, scenario JSON)"""
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS run_samples (run_id VARCHAR PRIMARY KEY, samples JSON)"
        )

    def save(self, result: SimulationResult, scenario_json: str, label: str = "") -> str:
        """Store a run; returns its run id (kept if the result already has one)."""
        run_id = result.metadata.get("run_id") or new_run_id()
        result.metadata["run_id"] = run_id
        result.dataset.attrs["run_id"] = run_id
        if "currency" not in result.metadata:  # engines leave it out; the scenario has it
            currency = json.loads(scenario_json).get("currency") if scenario_json else None
            if currency:
                result.set_currency(str(currency))
        meta = result.metadata
        frame = result.to_wide_frame()
        frame.insert(0, "run_id", run_id)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("incoming", frame)
                exists = con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name='run_daily'"
                ).fetchone()[0]
                if not exists:
                    con.execute("CREATE TABLE run_daily AS SELECT * FROM incoming LIMIT 0")
                self._add_missing_columns(con, frame)
                cols = ", ".join(f'"{c}"' for c in frame.columns)
                con.execute(f"INSERT INTO run_daily ({cols}) SELECT {cols} FROM incoming")
                con.unregister("incoming")
                con.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None),
                     meta.get("scenario_name"), meta.get("scenario_hash"), meta.get("engine"),
                     int(meta.get("seed", 0)), result.replications, result.days,
                     meta.get("version"), label, json.dumps(meta, default=str), scenario_json],
                )
                con.execute("INSERT INTO run_samples VALUES (?, ?)",
                            [run_id, samples_json(result.samples)])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return run_id

    @staticmethod
    def _add_missing_columns(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
        have = {r[0] for r in con.execute("DESCRIBE run_daily").fetchall()}
        for col in frame.columns:
            if col not in have:
                kind = "DOUBLE" if frame[col].dtype.kind == "f" else (
                    "BOOLEAN" if frame[col].dtype.kind == "b" else "BIGINT")
                con.execute(f'ALTER TABLE run_daily ADD COLUMN "{col}" {kind}')

    def list_runs(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=["run_id", "created", "scenario_name", "engine", "seed",
                                         "replications", "days", "label"])
        with self.connect(read_only=True) as con:
            return con.execute(
                "SELECT run_id, created, scenario_name, engine, seed, replications, days, label "
                "FROM runs ORDER BY created DESC, run_id DESC"
            ).df()

    def resolve(self, run_id: str) -> str:
        """Full run id from an id, a unique prefix, or 'latest'."""
        runs = self.list_runs()
        if run_id == "latest":
            if runs.empty:
                raise RunNotFound(run_id)
            return str(runs.iloc[0]["run_id"])
        matches = [r for r in runs["run_id"] if r == run_id or r.startswith(run_id)]
        if len(matches) != 1:
            raise RunNotFound(run_id)
        return matches[0]

    def run_record(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve(run_id)
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT metadata, scenario FROM runs WHERE run_id = ?",
                              [run_id]).fetchone()
        return {"run_id": run_id, "metadata": json.loads(row[0]), "scenario": json.loads(row[1])}

    def load(self, run_id: str) -> SimulationResult:
        run_id = self.resolve(run_id)
        with self.connect(read_only=True) as con:
            meta_json, = con.execute("SELECT metadata FROM runs WHERE run_id = ?",
                                     [run_id]).fetchone()
            frame = con.execute(
                "SELECT * EXCLUDE (run_id) FROM run_daily WHERE run_id = ? "
                "ORDER BY replication, day", [run_id]).df()
            samples_row = con.execute("SELECT samples FROM run_samples WHERE run_id = ?",
                                      [run_id]).fetchone()
        samples = (pd.read_json(io.StringIO(samples_row[0]), orient="split", precise_float=True)
                   if samples_row else None)
        return SimulationResult.from_wide_frame(frame, json.loads(meta_json), samples)
