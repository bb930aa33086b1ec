"""The server's record of every run it was asked for, beside the results store, so that a run
which was queued or running when the server died is found again (``interrupted``) instead of
vanishing. SQLite, one transaction per change: a kill -9 loses at most the change being made.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

UNFINISHED = ("queued", "running", "saving")
COLUMNS = ("run_id", "status", "scenario", "replications", "days", "seed", "engine", "label",
           "overrides", "days_done", "error", "created", "finished")


def journal_path(store_path: Path) -> Path:
    """``runs/siegeline.duckdb`` → ``runs/siegeline.jobs.sqlite``."""
    return store_path.with_name(store_path.stem + ".jobs.sqlite")


class JobJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._execute("CREATE TABLE IF NOT EXISTS jobs (run_id TEXT PRIMARY KEY, status TEXT, "
                      "scenario TEXT, replications INTEGER, days INTEGER, seed INTEGER, "
                      "engine TEXT, label TEXT, overrides TEXT, days_done INTEGER, "
                      "error TEXT, created TEXT, finished TEXT)")

    def _execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """One statement in its own transaction (committed before the connection closes)."""
        with self._lock, closing(sqlite3.connect(self.path, timeout=30)) as con, con:
            return con.execute(sql, params or []).fetchall()

    def write(self, job: dict[str, Any]) -> None:
        """Insert or replace one job (the dict of ``Job.to_dict()``)."""
        row = [json.dumps(job[c]) if c == "overrides" else job[c] for c in COLUMNS]
        self._execute(f"INSERT OR REPLACE INTO jobs VALUES ({', '.join('?' * len(COLUMNS))})",
                      row)

    def get(self, run_id: str) -> dict[str, Any] | None:
        rows = self._execute("SELECT * FROM jobs WHERE run_id = ?", [run_id])
        return self._to_dict(rows[0]) if rows else None

    def recent(self, statuses: tuple[str, ...], limit: int = 50) -> list[dict[str, Any]]:
        """Jobs in these states, newest first."""
        marks = ", ".join("?" * len(statuses))
        rows = self._execute(f"SELECT * FROM jobs WHERE status IN ({marks}) "
                             "ORDER BY created DESC, run_id DESC LIMIT ?", [*statuses, limit])
        return [self._to_dict(r) for r in rows]

    @staticmethod
    def _to_dict(row: tuple[Any, ...]) -> dict[str, Any]:
        out = dict(zip(COLUMNS, row, strict=True))
        out["overrides"] = json.loads(out["overrides"] or "[]")
        return out
