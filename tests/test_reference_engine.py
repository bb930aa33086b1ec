"""The reference engine's mechanics, checked against textbook queueing results, the compiled model
tables, exact bookkeeping identities, its own event traces and the behaviours every engine must
show (peacetime is normal, the timeline takes effect on its day, depots hold no more than their
capacity, convoys leave early once assembled)."""

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
from siegeline.scenario import Scenario, load_scenario
from siegeline.scenario.loader import apply_overrides, load_raw, validate_scenario

PEACE = ["adversary.intensity=0", "adversary.bans=[]"]


def steady(*edits: str, timeline: list | None = None) -> Scenario:
    """The default network, fleets and city under one steady policy, whatever the default's own
    timeline does: every corridor a convoy every 3 days of at most 120 tankers asking for 2
    escort units (no size scaling, leaving short-handed), a pool of 12 units, unlimited
    unloading, no campaign; then ``edits`` (``--set`` syntax) and ``timeline``."""
    data = load_raw("bamako-2025")
    data["timeline"] = []
    data["adversary"].pop("campaign", None)
    data.pop("posterior", None)  # it calibrates the campaign removed here
    data["escorts"]["pool_size"] = 12
    data["city"]["unloading_capacity_tankers_per_day"] = None
    for corridor in data["corridors"]:
        corridor["policy"] = {"mode": "convoy", "interval_days": 3, "max_size": 120,
                              "escorts_per_convoy": 2, "wait_for_escorts": False}
    data = apply_overrides(data, list(edits))
    data["timeline"] = timeline or []  # after the edits, which would drop entries they cover
    return validate_scenario(data, "test")


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


def conservation_gap(out: dict[str, np.ndarray]) -> np.ndarray:
    """(R, T, P) cumulative loaded - (delivered + destroyed + returned) - in transit - at the
    gate, at the end of each day."""
    flows = (out["loaded_litres"] - out["delivered_litres"] - out["destroyed_litres"]
             - out["returned_litres"])
    return np.cumsum(flows, axis=1) - out["in_transit_litres"] - out["gate_litres"]


def test_fuel_is_conserved_exactly(default_run):
    _, out, _ = default_run
    assert np.all(conservation_gap(out) == 0)
    assert out["delivered_litres"].sum() > 0 and out["destroyed_litres"].sum() > 0
    assert out["returned_litres"].sum() > 0  # the checkpoint at Didieni turned some back


def _crowded_gate(*edits: str) -> tuple:
    """Peacetime with importers who want more cover than the depots hold."""
    sc = steady(*PEACE, "city.order_target_cover_days=25", *edits)
    params = compile_parameters(sc, 2, 40, seed=8)
    return params, simulate_reference(params)


def _after_unloading(params, out: dict[str, np.ndarray]) -> np.ndarray:
    """(R, T, P) depot stock just after each morning's unloading."""
    morning = np.concatenate([params.initial_stock[:, None], out["stock_litres"][:, :-1]], 1)
    return morning + out["delivered_litres"]


def test_fuel_waits_at_the_gate_for_the_unloading_bays():
    params, out = _crowded_gate("city.unloading_capacity_tankers_per_day=60")
    unloaded = (out["delivered_litres"] / params.tanker_litres).sum(axis=2)
    assert unloaded.max() == 60  # the unloading capacity, tankers a day, is reached
    assert np.all(unloaded[out["gate_litres"].sum(axis=2) > 0] == 60)
    # products unload in dispatch priority order: a later product gets bays only when an
    # earlier one has nothing waiting or no room
    order = params.product_order
    room = _after_unloading(params, out) + params.tanker_litres <= params.depot_capacity
    for i, first in enumerate(order):
        blocked = (out["gate_litres"][..., first] > 0) & room[..., first]
        for later in order[i + 1:]:
            assert not np.any(blocked & (out["delivered_litres"][..., later] > 0))
    assert (out["delivered_litres"][..., order[0]] == 60 * params.tanker_litres[order[0]]
            ).mean() > 0.5  # the first product takes the bays most days
    assert np.all(conservation_gap(out) == 0)


def test_depots_never_overfill_and_the_rest_waits_at_the_gate():
    params, out = _crowded_gate()
    litres = params.tanker_litres
    after_unloading = _after_unloading(params, out)
    assert np.all(after_unloading <= params.depot_capacity + 1e-6)
    waiting = out["gate_litres"] > 0
    assert waiting.any()
    assert np.all(after_unloading[waiting] + np.broadcast_to(litres, waiting.shape)[waiting]
                  > np.broadcast_to(params.depot_capacity, waiting.shape)[waiting])
    assert np.all(conservation_gap(out) == 0)
    # the corridors' deliveries reach the gate; the depots take them from it
    assert np.array_equal(out["delivered_by_corridor_litres"].sum(axis=2),
                          out["delivered_litres"].sum(axis=2) + np.diff(
                              out["gate_litres"].sum(axis=2), axis=1, prepend=0))


def test_peacetime_supplies_the_city_in_full():
    """No adversary, no ban, normal times (no timeline): after a month the depots receive what
    the city uses, every station is open, every sector served and no product short."""
    data = apply_overrides(load_raw("bamako-2025"), PEACE)
    data["timeline"] = []
    params = compile_parameters(validate_scenario(data, "peace"), 3, 60, seed=9)
    out = simulate_reference(params)
    demand = params.base_demand.sum(axis=1)  # (R, P) litres a day
    delivered = out["delivered_litres"][:, 30:60].mean(axis=1)
    assert delivered == pytest.approx(demand, rel=0.03)
    assert (out["stations_open"][:, 30:] >= 0.95 * params.station_count).all()
    assert (out["served_share"][:, 30:] >= 0.99).all()
    assert not out["stockout"][:, 30:].any() and out["unserved_litres"][:, 30:].sum() == 0
    assert out["tankers_lost"].sum() == 0
    assert not out["disruption"].any()


def test_peacetime_stays_normal_under_the_states_siege_policies():
    """The default timeline's convoys, escorts and rationing with no adversary: over days
    30-150 the city is still supplied (the median replication-day), as in the NumPy engine;
    only heavy fuel oil (loaded last) runs short, in the days before a 10-day convoy."""
    params = compile_parameters(load_scenario("bamako-2025", PEACE), 3, 150, seed=9)
    out = simulate_reference(params)
    demand = params.base_demand.sum(axis=(1, 2))
    delivered = out["delivered_litres"][:, 30:150].sum(axis=2).mean(axis=1)
    assert np.median(delivered / demand) == pytest.approx(1.0, abs=0.03)
    assert np.median(out["stations_open"][:, 30:]) >= 0.95 * params.station_count
    assert np.median(out["served_share"][:, 30:].min(axis=2)) >= 0.99
    road_fuels = [params.products.index("diesel"), params.products.index("gasoline")]
    assert out["stockout"][:, 30:, road_fuels].any(axis=2).mean() <= 0.01
    assert out["stockout"][:, 30:].any(axis=2).mean() <= 0.06  # 3 replications: HFO, noisy
    assert not out["disruption"].any()


def test_timeline_changes_the_escort_pool_and_holds_the_campaign_on_their_days():
    campaign = {"regimes": [{"name": "active", "mean_duration_days": 30.0},
                            {"name": "lull", "intensity_multiplier": 0.0,
                             "mean_duration_days": 5.0}]}
    sc = steady(f"adversary.campaign={campaign}", timeline=[
        {"day": 10, "set": {"escorts.pool_size": 30}},
        {"day": 20, "set": {"adversary.campaign.hold": "lull"}},
        {"day": 35, "set": {"escorts.pool_size": 3}},
    ])
    params = compile_parameters(sc, 2, 60, seed=10)
    out = simulate_reference(params)
    pool = out["escort_pool"]
    assert (pool[:, :10] == 12).all() and (pool[:, 10:35] == 30).all()
    assert (pool[:, 35:] == 3).all()
    assert out["escorts_busy"][:, 10:35].max() > 12  # the new units go out with convoys
    # units out when the pool shrinks are withheld as they come back: after the longest round
    # trip no more than the new pool is out
    assert (out["escorts_busy"][:, 35 + 2 * params.leg_days.max():] <= 3).all()
    assert (out["attack_intensity"][:, 20:] == 0).all()
    assert out["attacks"][:, 20:].sum() == 0 and out["attacks"][:, :20].sum() > 0


def _departures(min_size: int | None) -> np.ndarray:
    """(T, C) tankers dispatched with 10-day convoy intervals, every driver willing."""
    edits = [*PEACE, "drivers.willingness_max=1.0",
             *[f"corridors.{i}.policy.interval_days=10" for i in range(6)]]
    if min_size is not None:
        edits += [f"corridors.{i}.policy.min_size={min_size}" for i in range(6)]
    params = compile_parameters(steady(*edits), 1, 30, seed=11)
    return simulate_reference(params)["tankers_dispatched"][0]


def test_a_convoy_with_a_minimum_size_leaves_before_its_interval():
    sent = _departures(None)
    for c in range(sent.shape[1]):
        assert np.flatnonzero(sent[:, c]).tolist() == [0, 10, 20]
    sent = _departures(30)
    early = 0
    for c in range(sent.shape[1]):
        days = np.flatnonzero(sent[:, c])
        soon = days[1:][np.diff(days) < 10]
        assert np.all(sent[soon, c] >= 30)  # early only once the minimum is assembled
        early += len(soon)
    assert early > 0


def test_empty_roads_start_with_every_tanker_at_its_port():
    params = compile_parameters(steady("simulation.initial_state=empty_roads"), 1, 12, seed=12)
    out = simulate_reference(params)
    first = int(params.leg_days.min())
    assert out["delivered_by_corridor_litres"][:, :first].sum() == 0  # nothing under way
    assert out["delivered_by_corridor_litres"][:, first].sum() > 0
    # on day 0 the road carries only that day's departures
    assert np.array_equal(out["loaded_litres"][:, 0], out["in_transit_litres"][:, 0])
    assert np.array_equal(out["tankers_in_transit"][:, 0], out["tankers_dispatched"][:, 0].sum(1))
    assert np.all(conservation_gap(out) == 0)


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
    assert (convoys["escorts"] <= max(p.escort_pool.max() for p in params.phases)).all()


def test_escort_policy_holds_convoys_or_sends_them_short():
    base = ["escorts.pool_size=3", "adversary.intensity=0"]
    wait = steady(*base, *[f"corridors.{i}.policy.wait_for_escorts=true" for i in range(6)])
    go = steady(*base)
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
