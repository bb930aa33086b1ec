"""Opening the DuckDB store when other processes use it too.

DuckDB lets one process at a time hold a file open for writing (and none may read it then), so a
second writer gets a lock error at once. Every store operation is short, so waiting and retrying
with a little jitter serialises writers without losing any of their data.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 30.0


class StoreBusy(PermissionError):
    """The store stayed locked by another process for longer than the wait allowed."""


def connect_duckdb(path: str | os.PathLike[str], read_only: bool = False,
                   wait: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retrying for up to ``wait`` seconds while the file is locked."""
    start = time.monotonic()
    deadline = start + wait
    while True:
        try:
            return duckdb.connect(str(Path(path)), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc).lower()
            # A process creating the file has not written its header yet: retry briefly (a file
            # that stays invalid is a real error).
            creating = ("not a valid duckdb database" in message
                        and time.monotonic() - start < 2.0)
            if not creating and "lock" not in message:
                raise
            if not creating and time.monotonic() > deadline:
                raise StoreBusy(f"the store {path} has been locked by another process for "
                                f"more than {wait:.0f} s; try again when it has finished") from None
            time.sleep(0.02 + random.random() * 0.08)
