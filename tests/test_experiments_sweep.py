"""Dask sweeps on a real LocalCluster: durable chunks, exactly-once storage, resume after a
client interruption, and recovery from a worker killed mid-sweep."""

import os
import signal

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from siegeline.experiments.designs import grid_design, parse_param, sample_design
from siegeline.experiments.evaluate import chunk_seed, evaluate_points
from siegeline.experiments.sweep import SweepSpec, list_sweeps, load_sweep, run_sweep
from siegeline.results import ResultStore

METRICS = ("tankers_lost", "days_in_stockout", "delivered_litres")


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


@pytest.fixture
def spec(bamako):
    design = grid_design([parse_param("adversary.intensity=0.5:2"),
                          parse_param("escorts.pool_size=2:30")], 4)
    return SweepSpec(bamako, design, METRICS, reps=3, days=40, seed=11, chunk_points=2)


def expected(spec):
    """The sweep computed chunk by chunk in this process, without Dask."""
    parts = [evaluate_points(spec.scenario, spec.chunk_rows(c), spec.metrics, reps=spec.reps,
                             days=spec.days, seed=chunk_seed(spec.seed, c))
             for c in range(spec.n_chunks)]
    return pd.concat(parts).set_index(["point", "rep"]).sort_index()


def stored(store, spec):
    frame = load_sweep(store, spec.sweep_id).reset_index()
    return frame.set_index(["point", "rep"]).sort_index()


def check_complete(store, spec):
    got = stored(store, spec)
    assert not got.index.duplicated().any()  # every replication exactly once
    assert len(got) == len(spec.design) * spec.reps
    pd.testing.assert_frame_equal(got[list(spec.metrics)], expected(spec), check_index_type=False)
    # Design values travel with the results.
    assert np.allclose(got["adversary.intensity"].groupby(level="point").first(),
                       spec.design["adversary.intensity"])
    with store.connect(read_only=True) as con:
        chunks = con.execute("SELECT chunk FROM sweep_chunks WHERE sweep_id = ? ORDER BY chunk",
                             [spec.sweep_id]).fetchall()
    assert [c for (c,) in chunks] == list(range(spec.n_chunks))


def test_sweep_stores_every_chunk_once_with_worker_independent_results(client, spec, tmp_path):
    store = ResultStore(tmp_path / "s.duckdb")
    seen = []
    out = run_sweep(spec, store=store, client=client, progress=lambda d, t: seen.append((d, t)))
    assert out.complete and out.computed == list(range(spec.n_chunks)) and not out.skipped
    assert seen[-1] == (spec.n_chunks, spec.n_chunks)
    check_complete(store, spec)
    # Running it again finds everything stored and computes nothing.
    again = run_sweep(spec, store=store, client=client)
    assert again.computed == [] and again.skipped == list(range(spec.n_chunks))
    assert list_sweeps(store).set_index("sweep_id").loc[spec.sweep_id, "finished"] == 8


def test_interrupted_client_resumes_without_recomputing(client, spec, tmp_path):
    store = ResultStore(tmp_path / "s.duckdb")

    def interrupt(done, total):
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, store=store, client=client, progress=interrupt)
    with store.connect(read_only=True) as con:
        first = dict(con.execute("SELECT chunk, finished FROM sweep_chunks WHERE sweep_id = ?",
                                 [spec.sweep_id]).fetchall())
    assert len(first) == 3
    out = run_sweep(spec, store=store, client=client)
    assert out.complete
    assert sorted(out.skipped) == sorted(first)
    assert set(out.computed).isdisjoint(first)
    check_complete(store, spec)
    with store.connect(read_only=True) as con:
        after = dict(con.execute("SELECT chunk, finished FROM sweep_chunks WHERE sweep_id = ?",
                                 [spec.sweep_id]).fetchall())
    assert all(after[c] == first[c] for c in first)  # finished chunks were not rewritten


def test_sweep_survives_a_worker_killed_mid_sweep(client, bamako, tmp_path):
    design = sample_design([parse_param("adversary.intensity=0.5:2"),
                            parse_param("drivers.willingness_max=0.5:1")], 12, seed=5)
    spec = SweepSpec(bamako, design, METRICS, reps=4, days=60, seed=3, chunk_points=2)
    store = ResultStore(tmp_path / "s.duckdb")
    killed = []

    def kill_busy_worker(done, total):
        if done >= 1 and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                # SIGKILL the worker process (the nanny restarts it; its chunk is rerun).
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(busy[0])

    out = run_sweep(spec, store=store, client=client, progress=kill_busy_worker)
    assert killed, "no worker was busy to kill"
    assert out.complete and sorted(out.computed) == list(range(spec.n_chunks))
    check_complete(store, spec)


def test_cli_sweep_resumes_from_the_store(tmp_path):
    from typer.testing import CliRunner

    from siegeline.cli.main import app

    args = ["sweep", "bamako-2025", "--param", "adversary.intensity=0.5:2", "--grid", "4",
            "--reps", "2", "--days", "20", "--chunk", "2", "--workers", "1",
            "--metric", "tankers_lost", "--store", str(tmp_path / "s.duckdb")]
    first = CliRunner().invoke(app, args + ["--max-chunks", "1"])
    assert first.exit_code == 0, first.output
    assert "Computed 1 chunk(s), 0 already stored" in first.output
    assert "rerun the same command to resume" in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "Computed 1 chunk(s), 1 already stored" in second.output
    assert "Mean over 2 replications per point" in second.output
    bad = CliRunner().invoke(app, args[:4] + ["--grid", "2", "--samples", "4"])
    assert bad.exit_code == 2 and "either --grid or --samples" in bad.output


def test_the_backend_is_part_of_a_sweeps_identity(spec, tmp_path, client):
    """A sweep resumed with another backend would mix two random streams in one table: the
    backend changes the sweep's id and is recorded with it, and an unknown one is refused
    before any chunk is submitted."""
    from dataclasses import replace

    from siegeline.scenario import ScenarioError

    on_jax = replace(spec, backend="jax")
    assert on_jax.sweep_id != spec.sweep_id
    store = ResultStore(tmp_path / "s.duckdb")
    run_sweep(replace(on_jax, design=on_jax.design.head(2)), store=store, client=client)
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT backend FROM sweeps").fetchall() == [("jax",)]
    with pytest.raises(ScenarioError, match="unknown backend 'cupy'"):
        run_sweep(replace(spec, backend="cupy"), store=store, client=client)
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sweeps").fetchone()[0] == 1


def test_cli_sweep_runs_on_an_existing_scheduler(client, tmp_path):
    """`--scheduler ADDRESS` connects to a running cluster (here the module's LocalCluster,
    reached over TCP like a remote one) and its workers compute the chunks."""
    from typer.testing import CliRunner

    from siegeline.cli.main import app

    store = tmp_path / "s.duckdb"
    address = client.scheduler.address
    res = CliRunner().invoke(app, [
        "sweep", "bamako-2025", "--param", "escorts.pool_size=2:30", "--grid", "3", "--reps", "2",
        "--days", "15", "--chunk", "1", "--metric", "tankers_lost", "--scheduler", address,
        "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "Computed 3 chunk(s), 0 already stored" in res.output
    worker_pids = set(client.run(os.getpid).values())
    with ResultStore(store).connect(read_only=True) as con:
        ran_on = {w for (w,) in con.execute("SELECT worker FROM sweep_chunks").fetchall()}
    assert {int(w.rsplit(":", 1)[1]) for w in ran_on} <= worker_pids
    assert os.getpid() not in {int(w.rsplit(":", 1)[1]) for w in ran_on}
    # The cluster outlives the command: it was not the CLI's to close.
    assert client.status == "running" and client.scheduler_info()["workers"]
