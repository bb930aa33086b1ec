"""The model's processes one at a time (NumPy engine) and the behaviours every engine must show:
peacetime is normal, the timeline takes effect on its day, depots hold no more than their
capacity, stockouts mean unserved demand, disruption clears with hysteresis.

Process tests build a ``DayState`` by hand and check one process against its closed form, so that
each plausible bug (cargo a day late, order shares not normalised, escorts not scaled, a regime
that never switches, a goods index formula changed...) fails a test of its own.
"""

import dataclasses
import importlib.util

import numpy as np
import pytest

from siegeline.engines import simulate, vectorized
from siegeline.engines.state import build_tables, initial_state
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario
from siegeline.scenario.loader import ScenarioError, apply_overrides, load_raw, validate_scenario

# The end-to-end behaviours (through ``simulate``) hold on both backends of the vectorized engine.
BACKENDS = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed"))]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


PEACE = ["adversary.intensity=0", "adversary.bans=[]"]


def _today(m):
    """Zeroed output views of one day (replication first)."""
    R, C, P = m.shape
    return {name: buf[0] for name, buf in allocate_outputs(
        1, R, {"product": P, "corridor": C, "sector": len(m.sectors)}).items()}


def _scenario(**edits):
    """The default scenario without its timeline, with fields replaced (``a__b=v`` sets a.b)."""
    data = load_raw("bamako-2025")
    data["timeline"] = []
    for path, value in edits.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return validate_scenario(data, "test")


# -- arrivals: the gate, customs and the depots ---------------------------------------------------

def test_cargo_arrives_on_the_day_its_leg_ends(bamako):
    """A cohort dispatched on day d reaches the gate on day d + L (not a day early or late)."""
    m = compile_parameters(bamako, 3, 40, seed=1)
    tab, s = build_tables(m), initial_state(m)
    s.cohort[:] = 0
    s.transit[:] = 0
    d, c = 4, 2
    s.cohort[d % m.slots, :, c, 0] = 7
    s.transit[:, c, 0] = 7
    leg = m.leg_days[:, c]
    for t in range(d + 1, d + int(leg.max()) + 1):
        out = _today(m)
        vectorized.arrivals(m, tab, s, t, None, out)
        expect = np.where(leg == t - d, 7 * m.tanker_litres[0], 0.0)
        assert np.array_equal(out["delivered_by_corridor_litres"][:, c], expect)


def test_depots_take_only_what_fits_and_customs_clear_the_rest_waits(bamako):
    m = compile_parameters(bamako, 2, 10, seed=1)
    m = dataclasses.replace(m, unloading_capacity=np.array([5.0, 1e9]))
    tab, s = build_tables(m), initial_state(m)
    litres = m.tanker_litres
    s.stock[:] = m.depot_capacity - 2.5 * litres  # room for two tankers of each product
    s.gate[:] = 4
    s.cohort[:] = 0  # nothing else arrives today
    out = _today(m)
    vectorized.arrivals(m, tab, s, 1, None, out)
    unloaded = out["delivered_litres"] / litres
    # Replication 1: no customs limit, the tanks take two of each. Replication 0: five tankers in
    # all, in the products' dispatch-weight order.
    assert np.array_equal(unloaded[1], [2, 2, 2])
    assert unloaded[0].sum() == 5
    assert np.array_equal(unloaded[0][m.product_order], [2, 2, 1])
    assert (s.stock <= m.depot_capacity).all()
    assert np.array_equal(out["gate_litres"], (4 - unloaded) * litres)


def test_depots_never_exceed_capacity_in_a_run(backend):
    s = _scenario(city__unloading_capacity_tankers_per_day=20.0)
    r = simulate(s, replications=30, days=60, seed=2, backend=backend)
    ds = r.dataset
    cap = compile_parameters(s, 1, 1, 0).depot_capacity
    assert (ds["stock_litres"].values <= cap + 1e-6).all()
    tankers = ds["delivered_litres"].values / np.array([p.tanker_capacity_litres
                                                         for p in s.products])
    assert (tankers.sum(-1) <= 20 + 1e-9).all()
    assert ds["gate_litres"].values.max() > 0  # the cap binds: fuel waits


# -- orders and dispatch --------------------------------------------------------------------------

def test_importers_order_up_to_target_plus_lead_time_demand(bamako):
    """The base-stock quantity, split by normalised order shares (shares given as 2:1:1:...)."""
    data = bamako.model_dump(mode="json")
    data["timeline"] = []
    for i, cor in enumerate(data["corridors"]):
        cor["order_share"] = 2.0 if i == 0 else 1.0
        cor["policy"]["mode"] = "free"
    m = compile_parameters(validate_scenario(data, "test"), 2, 10, seed=1)
    assert m.order_share.sum() == pytest.approx(1.0)
    assert m.order_share[0] == pytest.approx(2 * m.order_share[1])
    tab, s = build_tables(m), initial_state(m)
    s.transit[:] = 0
    s.gate[:] = 0
    s.stock[:] = 0
    s.idle[:] = 10**6
    m = dataclasses.replace(m, port_capacity=np.full(m.port_capacity.shape, 1e9))
    ready = vectorized._tankers_ready(m, tab, s, 0)
    order = (m.order_target_cover_days + m.lead_time_days)[:, None] * tab.normal_demand
    tankers = np.ceil(order / m.tanker_litres)
    assert np.array_equal(ready, np.ceil(tankers[:, None, :] * m.order_share[None, :, None]))


def test_a_convoy_leaves_once_assembled_or_when_its_interval_is_up(bamako):
    data = bamako.model_dump(mode="json")
    data["timeline"] = []
    for cor in data["corridors"]:
        cor["policy"].update(mode="convoy", interval_days=10, min_size=50)
    m = compile_parameters(validate_scenario(data, "test"), 1, 20, seed=1)
    tab, s = build_tables(m), initial_state(m)
    s.stock[:] = 0  # a large order: every corridor has tankers ready
    s.since[:] = 1.0
    ready = vectorized._tankers_ready(m, tab, s, 0)
    loading = np.floor(m.port_capacity[0] * 1.0).sum(axis=1)
    assembled = loading >= 50
    assert np.array_equal(ready[0].sum(axis=1) > 0, assembled)  # early only when assembled
    s.since[:] = 10.0
    assert (vectorized._tankers_ready(m, tab, s, 0)[0].sum(axis=1) > 0).all()  # interval up


def test_escorts_scale_with_convoy_size(bamako):
    m = compile_parameters(bamako, 1, 5, seed=1)
    C = m.shape[1]
    m = dataclasses.replace(m, escorts_per_convoy=np.full((1, C), 2),
                            escorts_per_100=np.full((1, C), 3.0))
    s = initial_state(m)
    s.escorts_free[:] = 1000
    go = np.zeros((1, C, m.shape[2]), dtype=np.int64)
    go[0, :, 0] = [0, 1, 100, 101, 250, 345]
    assigned = vectorized._escort_convoys(m, s, go)
    expect = np.where(go[0, :, 0] > 0, 2 + np.ceil(3 * go[0, :, 0] / 100), 0)
    assert np.array_equal(assigned[0], expect * m.convoy)


def test_willing_drivers_are_shared_by_dispatch_weight(bamako):
    m = compile_parameters(bamako, 1, 5, seed=1)
    P = m.shape[2]
    weights = np.array([[3.0, 1.0, 0.0]])[:, :P]
    m = dataclasses.replace(m, dispatch_weight=weights, product_order=np.array([0, 1, 2][:P]))
    ready = np.array([[[40, 40, 40]]])[:, :, :P]
    go = vectorized._allot(m, ready[:, :1].repeat(m.shape[1], 1), np.full((1, m.shape[1]), 40))
    # 40 places: weight x ready is 120:40:0, so 30 diesel and 10 gasoline; no HFO.
    assert go[0, 0].tolist()[:3] == [30, 10, 0][:P]
    go = vectorized._allot(m, ready.repeat(m.shape[1], 1), np.full((1, m.shape[1]), 90))
    assert go[0, 0].sum() == 90 and (go <= ready).all()


# -- the campaign ---------------------------------------------------------------------------------

def _campaign_scenario(hold="free", **timeline):
    data = load_raw("bamako-2025")
    data.pop("posterior", None)  # it calibrates the lull this campaign replaces
    data["adversary"]["campaign"] = {
        "regimes": [{"name": "active", "mean_duration_days": 20.0},
                    {"name": "lull", "intensity_multiplier": 0.0, "mean_duration_days": 5.0}],
        "hold": hold}
    data["timeline"] = timeline.get("entries", [])
    return validate_scenario(data, "test")


def test_regimes_last_as_long_as_their_mean_duration():
    m = compile_parameters(_campaign_scenario(), 4000, 200, seed=3)
    s = initial_state(m)
    rng = np.random.default_rng(5)
    regimes = np.empty((200, 4000), dtype=np.int64)
    for t in range(200):
        out = _today(m)
        vectorized.campaign(m, None, s, t, rng, out)
        regimes[t] = s.regime
        lull = s.regime == 1
        assert np.array_equal(out["attack_intensity"][lull], np.zeros(lull.sum()))
    # Stationary share of the lull: 5 / (20 + 5); daily leaving probability 1 - exp(-1/d).
    assert regimes[100:].mean() == pytest.approx(0.2, abs=0.02)
    left_active = ((regimes[:-1] == 0) & (regimes[1:] == 1)).sum() / (regimes[:-1] == 0).sum()
    assert left_active == pytest.approx(-np.expm1(-1 / 20), rel=0.08)


def test_a_held_regime_stops_attacks_from_its_date(backend):
    s = _campaign_scenario(entries=[{"day": 25, "set": {"adversary.campaign.hold": "lull"}},
                                    {"day": 50, "set": {"adversary.campaign.hold": "free"}}])
    ds = simulate(s, replications=50, days=70, seed=4, backend=backend).dataset
    assert int(ds["attacks"].isel(day=slice(25, 50)).sum()) == 0
    assert (ds["attack_intensity"].isel(day=slice(25, 50)).values == 0).all()
    assert int(ds["attacks"].isel(day=slice(0, 25)).sum()) > 0


def _ban_regime_scenario(enforcement):
    """A total, lasting ban, no attacks, and the campaign held in a lull from day 20 that
    enforces ``enforcement`` of the ban."""
    data = load_raw("bamako-2025")
    data.pop("posterior", None)
    data["adversary"]["intensity"] = 0.0
    data["adversary"]["bans"] = [{"corridors": "all", "start_day": 0, "compliance": 1.0}]
    data["adversary"]["campaign"] = {
        "regimes": [{"name": "active"},
                    {"name": "lull", "intensity_multiplier": 0.0,
                     "ban_enforcement": enforcement}],
        "hold": "active"}
    data["timeline"] = [{"day": 20, "set": {"adversary.campaign.hold": "lull"}}]
    return validate_scenario(data, "test")


def test_drivers_refuse_a_ban_as_far_as_todays_regime_enforces_it(bamako):
    m = compile_parameters(bamako, 4000, 5, seed=1)
    m = dataclasses.replace(
        m, regime_ban_enforcement=np.tile([1.0, 0.25, 1.0][:len(m.regime_names)],
                                          (4000, 1)),
        ban_refusal=np.full_like(m.ban_refusal, 0.8), fear_sensitivity=np.zeros(4000),
        convoy_max_size=np.full_like(m.convoy_max_size, 10**6))
    s = initial_state(m)
    s.regime[:] = np.arange(4000) % 2  # half active, half in the lull
    s.drivers[:] = 10**6
    ready = np.zeros((4000, m.shape[1], m.shape[2]), dtype=np.int64)
    ready[:, :, 0] = 50
    go = vectorized._per_corridor(vectorized._drivers_willing(m, s, 0, np.random.default_rng(2),
                                                              ready))
    # Willing share: willingness_max x (1 - refusal x enforcement).
    for regime, enforced in ((0, 1.0), (1, 0.25)):
        rows = s.regime == regime
        expected = m.willingness_max[rows, None] * (1.0 - 0.8 * enforced) * 50
        assert go[rows].mean() == pytest.approx(expected.mean(), rel=0.02)


@pytest.mark.parametrize("engine", [*BACKENDS, "reference"])
def test_a_lull_that_does_not_enforce_the_ban_lets_drivers_go(engine):
    kind, backend = ("reference", "numpy") if engine == "reference" else ("vectorized", engine)
    reps = 2 if kind == "reference" else 20
    loaded = {}
    for enforcement in (1.0, 0.0):
        ds = simulate(_ban_regime_scenario(enforcement), engine=kind, backend=backend,
                      replications=reps, days=30, seed=3).dataset
        loaded[enforcement] = ds["tankers_dispatched"].sum("corridor").values
    assert (loaded[1.0] == 0).all()  # obeyed throughout while enforced
    assert (loaded[0.0][:, :20] == 0).all() and (loaded[0.0][:, 20:].sum(axis=1) > 0).all()


# -- the timeline ---------------------------------------------------------------------------------

def test_timeline_changes_take_effect_on_their_day(backend):
    data = load_raw("bamako-2025")
    data["timeline"] = [
        {"date": "2025-09-23", "set": {"escorts.pool_size": 40}, "note": "reinforcement"},
        {"day": 40, "set": {"adversary.intensity": 0.0}},
    ]
    ds = simulate(validate_scenario(data, "test"), replications=40, days=60, seed=5,
                  backend=backend).dataset
    pool = ds["escort_pool"].values
    assert (pool[:, :20] == data["escorts"]["pool_size"]).all() and (pool[:, 20:] == 40).all()
    assert (ds["attack_intensity"].values[:, 40:] == 0).all()
    assert int(ds["attacks"].isel(day=slice(40, None)).sum()) == 0
    assert (ds["escorts_busy"].values <= pool).all()


def test_timeline_errors_name_the_entry():
    data = load_raw("bamako-2025")
    data["timeline"] = [{"date": "2025-10-07", "set": {"corridors.abidjan-zegoua.fleet.diesel": 1}}]
    with pytest.raises(ScenarioError, match=r"timeline\[0\] \(2025-10-07\).*fleets"):
        compile_parameters(validate_scenario(data, "test"), 2, 60, seed=1)
    data["timeline"] = [{"date": "2025-10-07", "set": {"escorts.pool_sise": 1}}]
    with pytest.raises(ScenarioError, match=r"timeline\[0\] \(2025-10-07\): escorts.pool_sise"):
        validate_scenario(data, "test")
    data["timeline"] = [{"date": "2024-10-07", "set": {"escorts.pool_size": 1}}]
    with pytest.raises(ScenarioError, match="outside the horizon"):
        validate_scenario(data, "test")


def test_overrides_and_designs_hold_over_the_timeline():
    """--set and per-replication designs fix their parameters for the whole run: the
    timeline's changes of the same path give way (inside a changed section too); its other
    changes stay."""
    from siegeline.scenario.loader import apply_overrides, timeline_overridden

    data = load_raw("bamako-2025")
    zegoua = next(c for c in data["corridors"] if c["name"] == "abidjan-zegoua")
    policy = {**zegoua["policy"], "interval_days": 5, "max_size": 300}
    data["timeline"] = [{"day": 10, "set": {"escorts.pool_size": 30,
                                            "drivers.fear_memory_days": 9}},
                        {"day": 12, "set": {"corridors.abidjan-zegoua.policy": policy}}]
    s = validate_scenario(data, "test")
    m = compile_parameters(s, 3, 30, seed=1, overrides={"escorts.pool_size": [5, 6, 7],
                                                         "drivers.willingness_max": 0.5})
    assert m.at(0).escort_pool.tolist() == m.at(20).escort_pool.tolist() == [5, 6, 7]
    assert (m.at(20).willingness_max == 0.5).all()
    assert np.allclose(m.at(20).fear_decay, np.exp(-1 / 9))
    sets = ["escorts.pool_size=40", "corridors.abidjan-zegoua.policy.max_size=90"]
    assert timeline_overridden(data, sets) == [p.split("=")[0] for p in sets]
    m = compile_parameters(validate_scenario(apply_overrides(data, sets), "t"), 2, 30, seed=1)
    c = m.corridors.index("abidjan-zegoua")
    assert m.at(20).escort_pool.tolist() == [40, 40]
    assert m.at(20).convoy_max_size[:, c].tolist() == [90, 90]
    assert m.at(20).convoy_interval[:, c].tolist() == [5, 5]


# -- the city -------------------------------------------------------------------------------------

def _city(m, served, demand):
    """Run the city's indicators on a hand-built allocation; returns today's outputs."""
    tab, s = build_tables(m), initial_state(m)
    out = _today(m)
    vectorized._city_indicators(m, tab, s, out, served, demand)
    return out, tab


def test_stockout_means_demand_went_unserved(bamako):
    m = compile_parameters(bamako, 2, 5, seed=1)
    base = m.base_demand.copy()
    served = base.copy()
    served[1, :, 1] *= 0.5  # replication 1: half the gasoline demand unserved
    out, tab = _city(m, served, base)
    assert not out["stockout"][0].any()
    assert out["stockout"][1].tolist() == [False, True, False]
    assert np.allclose(out["unserved_litres"][1, 1], 0.5 * tab.normal_demand[1, 1])
    assert np.allclose(out["served_share"][0], 1.0)


def test_stations_electricity_and_goods_index_follow_their_formulas(bamako):
    m = compile_parameters(bamako, 1, 5, seed=1)
    m = dataclasses.replace(m, station_exponent=np.array([2.0]), goods_pass_through=np.array([0.3]))
    base = m.base_demand.copy()
    served = base.copy()
    served[:, :, 1] *= 0.5  # retail gasoline at half its normal supply
    power = m.power_sector
    served[:, power, :] = 0.0  # no fuel reaches the power plants
    out, tab = _city(m, served, base)
    assert out["stations_open_by_product"][0, 1] == pytest.approx(m.station_count * 0.25)
    assert out["stations_open_by_product"][0, 0] == pytest.approx(m.station_count)
    assert out["electricity_hours"][0] == pytest.approx(
        m.power_hours_normal * (1 - m.thermal_share[0]))
    retail = tab.retail_normal[0]
    price = out["informal_price"][0]
    expected = 1 + 0.3 * ((retail * price / m.official_price).sum() / retail.sum() - 1)
    assert out["goods_price_index"][0] == pytest.approx(expected)
    assert price[1] > m.official_price[1] and price[0] == m.official_price[0]


def test_disruption_starts_after_a_run_of_low_days_and_clears_after_recovery(bamako):
    m = compile_parameters(bamako, 1, 5, seed=1)
    m = dataclasses.replace(m, disruption_served_share=0.5, disruption_min_days=3,
                            recovery_served_share=0.8, recovery_min_days=2)
    s = initial_state(m)
    shares = [0.4, 0.4, 0.9, 0.4, 0.4, 0.4, 0.6, 0.9, 0.6, 0.9, 0.9, 0.4]
    flags = []
    for share in shares:
        out = _today(m)
        vectorized._disruption(m, s, out, np.array([share]))
        flags.append(bool(out["disruption"][0]))
    # On after three low days in a row (day 5); 0.6 is neither low nor recovered; off after two
    # recovered days in a row (day 10); a single low day does not restart it.
    assert flags == [False] * 5 + [True] * 5 + [False] * 2


# -- initial state and peacetime ------------------------------------------------------------------

def test_empty_roads_deliver_nothing_before_the_first_leg(backend):
    s = load_scenario("bamako-2025", ["simulation.initial_state=empty_roads"])
    r = simulate(s, replications=20, days=15, seed=1, backend=backend)
    m = compile_parameters(s, 20, 15, seed=1)
    first = m.leg_days.min(axis=1)
    arrived = r.dataset["delivered_by_corridor_litres"].sum("corridor").values
    for rep in range(20):
        assert arrived[rep, : first[rep]].sum() == 0
    assert r.dataset["loaded_litres"].isel(day=0).sum() > 0  # the first departures, not warm


def _peacetime(overrides, backend, timeline=True):
    data = load_raw("bamako-2025")
    if not timeline:
        data["timeline"] = []
    s = validate_scenario(apply_overrides(data, overrides), "peacetime")
    ds = simulate(s, replications=200, days=150, seed=11,
                  backend=backend).dataset.isel(day=slice(30, 150))
    demand = compile_parameters(s, 200, 150, 11).base_demand.sum(axis=(1, 2))
    delivered = ds["delivered_litres"].sum("product").mean("day").values / demand
    assert np.median(delivered) == pytest.approx(1.0, abs=0.03)
    assert float(ds["stations_open"].median()) >= 0.95 * s.stations.count
    assert float(ds["served_share"].min("sector").median()) >= 0.99
    assert float(ds["queue_wait_hours"].median()) < 0.5
    assert float(ds["electricity_hours"].median()) == pytest.approx(s.impacts.power_hours_normal)
    assert not ds["disruption"].values.any()
    return ds


def test_peacetime_is_normal(backend):
    """No adversary and no ban: the city is supplied as before the blockade, with no stockout
    on any day of any replication in the steady state of normal times (no timeline)."""
    ds = _peacetime(PEACE, backend, timeline=False)
    assert not ds["stockout"].values.any()
    assert float(ds["electricity_hours"].min()) == pytest.approx(19.0)


def test_peacetime_stays_normal_under_the_states_siege_policies(backend):
    """With the default timeline's convoy, escort and rationing decisions but no adversary, the
    city stays normal: importers who send a convoy every 10 days order for the wait until the
    next one (periodic review), so the depots hold at least the target cover between convoys
    and products almost never run short: at most 0.1% of replication-days, around the switch to
    10-day convoys (ordering for the lead time alone left heavy fuel oil at a median 4.2 days of
    cover, under the target's 5, and short on 2% of replication-days)."""
    ds = _peacetime(PEACE, backend=backend)
    assert float(ds["stockout"].any("product").mean()) <= 1e-3
    cover = ds["cover_days"].isel(day=slice(30, None)).median(["replication", "day"])
    assert float(cover.min()) >= 5.0  # order_target_cover_days is 5-8


def test_orders_count_the_wait_for_the_next_convoy(bamako):
    """The order horizon is the share-weighted leg plus, on convoy corridors, the days until the
    next departure beyond a daily one."""
    m = compile_parameters(bamako, 4, 120, seed=2)
    for phase in (m.phases[0], m.phases[-1]):
        review = np.where(phase.convoy[None, :], phase.convoy_interval - 1, 0)
        expected = ((phase.leg_days + review) * phase.order_share[None, :]).sum(axis=1)
        np.testing.assert_allclose(phase.lead_time_days, expected)
    assert (m.phases[-1].lead_time_days > m.phases[0].lead_time_days).all()  # 10-day convoys


def test_a_run_can_start_from_a_stored_run_at_a_date(tmp_path):
    """Continuing a stored run with the same scenario reproduces its later days exactly; with a
    changed scenario it starts from that state (stocks, fuel on the road) and diverges."""
    from siegeline.results import ResultStore

    store = ResultStore(tmp_path / "runs.duckdb")
    # The default scenario itself, timeline and eroding bans included: the timeline's earlier
    # entries hold from the continued run's day 0, and the bans' days count from the stored
    # run's start, so the same bans go on.
    data = load_raw("bamako-2025")
    stored = validate_scenario(data, "stored")
    first = simulate(stored, replications=12, days=60, seed=9)
    run_id = store.save(first, stored.model_dump_json())
    data["simulation"].update(start_date="2025-10-03", initial_state={
        "run": run_id[:12], "date": "2025-10-02", "store": str(tmp_path / "runs.duckdb")})
    same = simulate(validate_scenario(data, "test"), days=30)
    assert same.metadata["seed"] == 9 and same.replications == 12
    assert str(same.dataset.date.values[0])[:10] == "2025-10-03"
    for name in ("stock_litres", "delivered_litres", "tankers_lost", "informal_price",
                 "stations_open", "attacks", "disruption", "escorts_busy"):
        assert np.array_equal(same.dataset[name].values, first.dataset[name].values[:, 30:]), name
    assert np.all(conservation_gap_of(same) == 0)
    data["escorts"]["pool_size"] = 60
    data["timeline"] = [e for e in data["timeline"] if "escorts.pool_size" not in e["set"]]
    data = apply_overrides(data, ["adversary.intensity=1.0"])  # fixed: its posterior column goes
    changed = simulate(validate_scenario(data, "test"), days=30).dataset
    assert np.array_equal(changed["escort_pool"].values, np.full((12, 30), 60))
    assert not np.array_equal(changed["tankers_lost"].values,
                              first.dataset["tankers_lost"].values[:, 30:])
    data["simulation"]["initial_state"]["date"] = "2026-10-02"
    data["simulation"]["start_date"] = "2026-10-03"
    with pytest.raises(ScenarioError, match="outside it"):
        simulate(validate_scenario(data, "test"), days=30)


def conservation_gap_of(result):
    ds = result.dataset
    flows = sum(ds[n].sum("day").values for n in ("delivered_litres", "destroyed_litres",
                                                  "returned_litres"))
    last = ds.isel(day=-1)
    return (ds["loaded_litres"].sum("day").values - flows - last["in_transit_litres"].values
            - last["gate_litres"].values)
