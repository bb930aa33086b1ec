"""The reference engine's mechanics, checked against textbook queueing results, the compiled model
tables, exact bookkeeping identities and its own event traces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.engines.reference import ReferenceTraces, simulate_reference
from siegeline.engines.reference.routes import build_routes
from siegeline.engines.reference.stations import station_day_wait
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario


def erlang_c_wait(arrivals: float, service: float, servers: int) -> float:
    """Textbook M/M/c mean wait in queue: Erlang C probability of waiting / (c mu - lambda)."""
    a = arrivals / service
    tail = a**servers / math.factorial(servers) * servers / (servers - a)
    p_wait = tail / (sum(a**k / math.factorial(k) for k in range(servers)) + tail)
    return p_wait / (servers * service - arrivals)


@pytest.mark.parametrize("load", [0.6, 0.85])
def test_station_queue_matches_erlang_c_on_a_long_day(load):
    rng = np.random.default_rng(5)
    servers, service = 4, 12.0
    arrivals = load * servers * service
    waits = [station_day_wait(rng, arrivals, servers, service, 1500.0, 1e9) for _ in range(2)]
    expected = erlang_c_wait(arrivals, service, servers)
    assert np.mean(waits) == pytest.approx(expected, rel=0.05)


def test_saturated_station_backlog_grows_linearly():
    """Twice the pump capacity: the wait grows from 0 to (lambda - c mu) H / (c mu) over the day,
    so the mean is half of that (the fluid limit)."""
    rng = np.random.default_rng(6)
    servers, service, hours = 4, 12.0, 14.0
    arrivals = 2 * servers * service
    waits = [station_day_wait(rng, arrivals, servers, service, hours, 1e9) for _ in range(20)]
    fluid = (arrivals - servers * service) * hours / (2 * servers * service)
    assert np.mean(waits) == pytest.approx(fluid, rel=0.05)


def test_motorists_balk_at_the_longest_acceptable_wait():
    rng = np.random.default_rng(7)
    wait = station_day_wait(rng, 500.0, 4, 12.0, 14.0, 2.0)
    assert 1.5 < wait <= 2.0 + 0.1


@pytest.fixture(scope="module")
def default_run():
    params = compile_parameters(load_scenario("bamako-2025"), 3, 40, seed=3)
    traces = ReferenceTraces()
    return params, simulate_reference(params, traces=traces), traces


def test_routes_reproduce_the_compiled_trip_tables(default_run):
    """Itineraries built from segments and nodes give the trip lengths (whole days, gate to
    gate) and hazard masses that compile_parameters derived along another path."""
    params, _, _ = default_run
    for r in range(params.replications):
        routes = build_routes(params, r)
        days = [max(1, math.ceil(route.duration - 1e-9)) for route in routes]
        assert days == list(params.leg_days[r])
        hazard = [route.hazard_km for route in routes]
        assert hazard == pytest.approx(params.exposure_loaded[r].sum(axis=1), rel=1e-9)


def test_fuel_is_conserved_exactly(default_run):
    _, out, _ = default_run
    gap = (out["loaded_litres"].sum(axis=1) - out["delivered_litres"].sum(axis=1)
           - out["destroyed_litres"].sum(axis=1) - out["returned_litres"].sum(axis=1)
           - out["in_transit_litres"][:, -1])
    assert np.all(gap == 0)
    assert out["delivered_litres"].sum() > 0 and out["destroyed_litres"].sum() > 0


def test_traces_add_up_to_the_daily_outputs(default_run):
    params, out, traces = default_run
    attacks, convoys = traces.attacks(), traces.convoys()
    in_horizon = attacks[attacks["day"] < params.days]
    assert len(in_horizon) == out["attacks"].sum()
    assert in_horizon["tankers_destroyed"].sum() == out["tankers_lost"].sum()
    assert in_horizon["drivers_kidnapped"].sum() == out["drivers_kidnapped"].sum()
    assert in_horizon["litres_destroyed"].sum() == out["destroyed_litres"].sum()
    dispatched = convoys[~convoys["warm_start"]]
    assert dispatched["tankers"].sum() == out["tankers_dispatched"].sum()
    by_product = [dispatched[f"tankers_{p}"].sum() for p in params.products]
    assert sum(by_product) == dispatched["tankers"].sum()
    # a convoy's own tally of losses matches the attacks that name it
    per_convoy = attacks.groupby(["replication", "convoy"])["tankers_destroyed"].sum()
    tally = convoys.set_index(["replication", "convoy"])["destroyed"]
    assert (tally.loc[per_convoy.index] == per_convoy).all()
    assert (convoys["escorts"] <= params.escort_pool.max()).all()


def test_escort_policy_holds_convoys_or_sends_them_short():
    base = ["escorts.pool_size=3", "adversary.intensity=0"]
    wait = load_scenario("bamako-2025", base + [f"corridors.{i}.policy.wait_for_escorts=true"
                                                for i in range(6)])
    go = load_scenario("bamako-2025", base)
    frames = {}
    for name, sc in (("wait", wait), ("go", go)):
        traces = ReferenceTraces()
        out = simulate_reference(compile_parameters(sc, 1, 30, seed=4), traces=traces)
        assert out["escorts_busy"].max() <= 3
        frames[name] = traces.convoys().query("not warm_start")
    assert (frames["wait"]["escorts"] == 2).all()  # never leaves under-escorted
    assert (frames["go"]["escorts"] < 2).any()  # leaves with what is there
    # held convoys leave later, so fewer convoys leave in the same time
    assert len(frames["wait"]) < len(frames["go"])


def test_same_seed_same_numbers_whatever_the_workers(default_run):
    params, out, _ = default_run
    again = simulate_reference(params, workers=2)
    for name in out:
        np.testing.assert_array_equal(out[name], again[name], err_msg=name)


def test_cli_writes_traces(tmp_path):
    result = CliRunner().invoke(app, ["run", "--engine", "reference", "-n", "2", "-d", "20",
                                      "--no-store", "--traces", str(tmp_path)])
    assert result.exit_code == 0, result.output
    convoys = pd.read_csv(tmp_path / "convoys.csv")
    attacks = pd.read_parquet(tmp_path / "attacks.parquet")
    assert set(convoys["replication"]) == {0, 1}
    assert {"corridor", "departure_day", "escorts", "destroyed"} <= set(convoys.columns)
    assert {"segment", "time", "group_size", "tankers_destroyed"} <= set(attacks.columns)
    bad = CliRunner().invoke(app, ["run", "-n", "1", "-d", "2", "--no-store", "--traces",
                                   str(tmp_path)])
    assert bad.exit_code == 2 and "--engine reference" in bad.output
