"""Durability: a writer killed with SIGKILL in the middle of a save leaves the DuckDB store with
the whole run or none of it, and no partial Parquet file at the destination; concurrent writers
to one store lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from fuzz.corpus import csv_sample
from siegeline.engines import simulate
from siegeline.results import ResultStore, SimulationResult
from siegeline.scenario import load_scenario

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

# A child that builds one large result (400 replications x 365 days, ~146,000 rows) and then
# writes it again and again, announcing each write before and after.
WRITER = textwrap.dedent("""
    import sys
    import xarray as xr
    from siegeline.engines import simulate
    from siegeline.results import ResultStore, SimulationResult
    from siegeline.scenario import load_scenario

    target, mode = sys.argv[1], sys.argv[2]
    scenario = load_scenario("bamako-2025")
    small = simulate(scenario, replications=10, days=365, seed=1)
    ds = xr.concat([small.dataset] * 40, dim="replication")
    ds["replication"] = range(400)
    big = SimulationResult(ds, dict(small.metadata))
    for i in range(1000):
        print("begin", i, flush=True)
        if mode == "store":
            big.metadata.pop("run_id", None)
            ResultStore(target).save(big, scenario.model_dump_json(), label=f"victim-{i}")
        else:
            big.save_parquet(target)
        print("end", i, flush=True)
""")
ROWS = 400 * 365


def kill_mid_write(target, mode: str, delay: float) -> tuple[int, bool]:
    """Run the writer, SIGKILL it ``delay`` s after its first write began; returns the number
    of completed writes and whether the kill landed inside a write."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), mode],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().startswith("begin"), "writer did not start"
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read().split("\n")
    child.wait()
    events = ["begin 0", *[line for line in rest if line]]
    done = sum(line.startswith("end") for line in events)
    return done, events[-1].startswith("begin")


def test_sigkill_during_store_save_leaves_whole_runs_only(tmp_path):
    path = tmp_path / "store.duckdb"
    scenario = load_scenario("bamako-2025")
    keeper = ResultStore(path).save(simulate(scenario, replications=3, days=10, seed=5),
                                    scenario.model_dump_json(), label="keeper")
    interrupted = 0
    completed_total = 0
    for delay in (0.4, 1.6):
        done, mid_write = kill_mid_write(path, "store", delay)
        interrupted += mid_write
        completed_total += done
        with duckdb.connect(str(path), read_only=True) as con:  # opens: not corrupted
            runs = dict(con.execute("SELECT run_id, label FROM runs").fetchall())
            rows = dict(con.execute("SELECT run_id, count(*) FROM run_daily "
                                    "GROUP BY run_id").fetchall())
            samples = {r for (r,) in con.execute("SELECT run_id FROM run_samples").fetchall()}
        assert runs[keeper] == "keeper" and rows[keeper] == 3 * 10
        assert set(rows) == set(runs) == samples  # no rows without a run, or a run without rows
        victims = [r for r, label in runs.items() if label.startswith("victim")]
        assert all(rows[r] == ROWS for r in victims)
        # Completed writes are all there; the interrupted one is there whole or not at all.
        assert completed_total <= len(victims) <= completed_total + interrupted
    assert interrupted >= 1, "no kill landed inside a write; the test proved nothing"
    result = ResultStore(path).load(keeper)
    assert result.replications == 3 and result.days == 10


def test_sigkill_during_parquet_write_leaves_no_partial_file(tmp_path):
    dest = tmp_path / "out" / "run.parquet"
    interrupted = 0
    for delay in (0.2, 0.7):
        done, mid_write = kill_mid_write(dest, "parquet", delay)
        interrupted += mid_write
        if dest.exists():  # a complete earlier write, never a torn one
            assert pq.ParquetFile(dest).metadata.num_rows == ROWS
            assert SimulationResult.load_parquet(dest).replications == 400
        else:
            assert done == 0
        # Unfinished temporary files are hidden and never take the destination's name.
        assert all(p.name.startswith(".") for p in dest.parent.iterdir() if p != dest)
    assert interrupted >= 1


CONCURRENT = textwrap.dedent("""
    import sys
    from siegeline.engines import simulate
    from siegeline.results import ResultStore
    from siegeline.scenario import load_scenario

    path, worker = sys.argv[1], int(sys.argv[2])
    scenario = load_scenario("bamako-2025")
    for k in range(2):
        result = simulate(scenario, replications=20, days=60, seed=100 * worker + k)
        ResultStore(path).save(result, scenario.model_dump_json(), label=f"w{worker}-{k}")
""")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "shared.duckdb"
    workers = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(path), str(w)])
               for w in range(4)]
    assert [w.wait(timeout=180) for w in workers] == [0, 0, 0, 0]
    store = ResultStore(path)
    runs = store.list_runs()
    assert sorted(runs["label"]) == sorted(f"w{w}-{k}" for w in range(4) for k in range(2))
    with duckdb.connect(str(path), read_only=True) as con:
        counts = con.execute("SELECT count(DISTINCT run_id), count(*) FROM run_daily").fetchone()
    assert counts == (8, 8 * 20 * 60)
    # Each stored run is the run its worker simulated.
    scenario = load_scenario("bamako-2025")
    row = runs[runs["label"] == "w2-1"].iloc[0]
    again = simulate(scenario, replications=20, days=60, seed=201)
    pd.testing.assert_frame_equal(store.load(row["run_id"]).to_wide_frame(),
                                  again.to_wide_frame())


def test_concurrent_event_ingests_lose_nothing(tmp_path):
    """Three `siegeline events ingest` processes at once on disjoint files: all events kept."""
    lines = csv_sample(300).splitlines()
    header, rows = lines[0], lines[1:]
    files = []
    for i in range(3):
        f = tmp_path / f"part{i}.csv"
        f.write_text("\n".join([header, *rows[i::3]]) + "\n", encoding="utf-8")
        files.append(f)
    store = tmp_path / "events.duckdb"
    procs = [subprocess.Popen([sys.executable, "-m", "siegeline.cli.main", "events", "ingest",
                               str(f), "--store", str(store)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for f in files]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 300
        assert con.execute("SELECT count(*) FROM event_ingests").fetchone()[0] == 3


def test_a_store_being_created_by_another_process_is_waited_for(tmp_path):
    """A second process can open the file before the first has written DuckDB's header: the
    connection retries briefly instead of failing; a file that stays invalid is still an error."""
    import threading

    from siegeline.results.locking import connect_duckdb

    path = tmp_path / "new.duckdb"
    path.write_bytes(b"\0" * 16)  # what a reader may see while the creator writes
    valid = tmp_path / "valid.duckdb"
    duckdb.connect(str(valid)).close()

    def finish_creating():
        time.sleep(0.3)
        os.replace(valid, path)

    creator = threading.Thread(target=finish_creating)
    creator.start()
    con = connect_duckdb(path)
    creator.join()
    con.execute("CREATE TABLE t (x INT)")
    con.close()

    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 100)
    started = time.monotonic()
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database"):
        connect_duckdb(broken)
    assert time.monotonic() - started < 10  # not the 30 s lock wait
