"""Behaviour of the vectorized engine: conservation, limits, monotonicity, reproducibility."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siegeline.engines import simulate, vectorized
from siegeline.engines.state import build_tables, initial_state
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import SHARED_ARRAYS, compile_parameters
from siegeline.scenario import load_scenario
from siegeline.scenario.loader import validate_scenario

FLOWS = ("delivered_litres", "destroyed_litres", "returned_litres")


def conservation_gap(result):
    """loaded - delivered - destroyed - returned - still in transit - waiting at the city's gate,
    per replication/product."""
    ds = result.dataset
    loaded = ds["loaded_litres"].sum("day").values
    out = sum(ds[name].sum("day").values for name in FLOWS)
    last = ds.isel(day=-1)
    return loaded - out - last["in_transit_litres"].values - last["gate_litres"].values


@pytest.mark.parametrize("overrides", [
    [],
    ["corridors.dakar-kayes-kita.policy.mode=free", "corridors.abidjan-zegoua.policy.mode=free",
     "nodes.kita.checkpoint_turnback_probability=0.2", "adversary.intensity=1.0"],
    ["escorts.pool_size=0", "corridors.conakry-kouremale.policy.wait_for_escorts=true"],
])
def test_fuel_is_conserved_exactly_every_day(overrides):
    s = load_scenario("bamako-2025", overrides)
    r = simulate(s, replications=60, days=90, seed=7)
    assert np.all(conservation_gap(r) == 0)
    # And day by day: the running balance equals what is on the road or at the gate.
    ds = r.dataset
    balance = ds["loaded_litres"].values.cumsum(1) - sum(ds[n].values.cumsum(1) for n in FLOWS)
    assert np.array_equal(balance, ds["in_transit_litres"].values + ds["gate_litres"].values)
    assert (ds["stock_litres"].values >= 0).all()
    if "nodes.kita.checkpoint_turnback_probability=0.2" in overrides:
        assert ds["returned_litres"].sum() > 0


@pytest.mark.parametrize("safe_roads", [False, True])
def test_zero_hazard_gives_zero_losses(bamako, safe_roads):
    """No adversary, or no segment with any hazard (then no road is exposed at any age)."""
    if safe_roads:
        data = bamako.model_dump()
        for segment in data["segments"]:
            segment["hazard_per_100km"] = 0.0
        s = validate_scenario(data, "test")
    else:
        s = load_scenario("bamako-2025", ["adversary.intensity=0"])
    r = simulate(s, replications=50, days=60, seed=1)
    assert int(r["tankers_lost"].sum()) == 0
    assert int(r["attacks"].sum()) == 0
    assert float(r["destroyed_litres"].sum()) == 0.0
    assert int(r["drivers_kidnapped"].sum()) == 0
    assert float(r["delivered_litres"].sum()) > 0


def test_total_ban_gives_zero_deliveries():
    s = load_scenario("bamako-2025", ["adversary.bans=[{corridors: all, compliance: 1}]"])
    r = simulate(s, replications=40, days=60, seed=2)
    assert float(r["delivered_litres"].sum()) == 0.0
    assert int(r["tankers_dispatched"].sum()) == 0
    # With nothing arriving, the depots only drain.
    stock = r["stock_litres"].sum("product").values
    assert np.all(np.diff(stock, axis=1) <= 1e-6)


def test_ban_on_some_corridors_only_stops_those():
    s = load_scenario("bamako-2025", [
        "adversary.bans=[{corridors: [conakry-kouremale], start_day: 0, compliance: 1}]"])
    r = simulate(s, replications=30, days=40, seed=3)
    by_corridor = r["delivered_by_corridor_litres"].sum(("replication", "day"))
    assert float(by_corridor.sel(corridor="conakry-kouremale")) == 0.0
    assert float(by_corridor.sel(corridor="abidjan-zegoua")) > 0.0


def _mean_and_se(values):
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def _delivered(overrides, reps=300, days=120):
    s = load_scenario("bamako-2025", overrides)
    r = simulate(s, replications=reps, days=days, seed=11)
    return r["delivered_litres"].sum(("day", "product")).values


def test_more_escorts_never_lower_expected_deliveries():
    means = []
    for pool in (0, 12, 40):
        m, se = _mean_and_se(_delivered([f"escorts.pool_size={pool}"]))
        means.append((m, se))
    for (m_lo, se_lo), (m_hi, se_hi) in zip(means, means[1:], strict=False):
        assert m_hi >= m_lo - 2 * np.hypot(se_lo, se_hi)
    assert means[-1][0] > means[0][0]  # escorts matter in this scenario


def test_lower_hazard_never_lowers_expected_deliveries():
    values = [_delivered([f"adversary.intensity={x}"]) for x in (0.6, 0.3, 0.0)]
    for lo, hi in zip(values, values[1:], strict=False):
        (m_lo, se_lo), (m_hi, se_hi) = _mean_and_se(lo), _mean_and_se(hi)
        assert m_hi >= m_lo - 2 * np.hypot(se_lo, se_hi)
    assert values[-1].mean() > values[0].mean()


def test_same_seed_same_numbers_different_seed_different(bamako):
    a = simulate(bamako, replications=40, days=50, seed=5)
    b = simulate(bamako, replications=40, days=50, seed=5)
    c = simulate(bamako, replications=40, days=50, seed=6)
    for name in a.dataset.data_vars:
        assert np.array_equal(a[name].values, b[name].values), name
    assert not np.array_equal(a["delivered_litres"].values, c["delivered_litres"].values)
    assert a.metadata["scenario_hash"] == b.metadata["scenario_hash"]


def test_parameters_vary_along_the_replication_axis(bamako):
    n = 60
    intensity = np.r_[np.zeros(n // 2), np.full(n // 2, 0.8)]
    r = simulate(bamako, replications=n, days=60, seed=9,
                 overrides={"adversary.intensity": intensity})
    lost = r["tankers_lost"].sum(("day", "corridor")).values
    assert (lost[: n // 2] == 0).all()
    assert (lost[n // 2:] > 0).mean() > 0.9
    assert np.array_equal(r.samples["adversary.intensity"].values, intensity)


def test_overrides_are_validated(bamako):
    from siegeline.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="one value per replication"):
        simulate(bamako, replications=10, days=5, overrides={"adversary.intensity": [1, 2]})
    with pytest.raises(ScenarioError, match="greater than or equal to 0"):
        simulate(bamako, replications=2, days=5, overrides={"adversary.intensity": [1, -2]})
    with pytest.raises(ScenarioError, match="not a numeric parameter"):
        simulate(bamako, replications=2, days=5, overrides={"corridors": [1, 2]})


def test_rationing_serves_priority_sectors_first(bamako):
    r = simulate(bamako, replications=100, days=120, seed=4)
    served = r["served_share"].mean(("replication", "day"))
    assert float(served.sel(sector="essential")) >= float(served.sel(sector="commerce"))
    assert float(served.sel(sector="commerce")) >= float(served.sel(sector="private")) - 0.02
    # Above normal demand only by panic buying, which rationing caps apply to as well.
    panic = np.array([sec.panic_multiplier if isinstance(sec.panic_multiplier, float)
                      else sec.panic_multiplier.high for sec in bamako.city.sectors])
    for phase in bamako.timeline:  # the timeline may raise it
        for path, value in phase.set.items():
            if path.endswith("panic_multiplier"):
                name = path.split(".")[2]
                i = [sec.name for sec in bamako.city.sectors].index(name)
                panic[i] = max(panic[i], value[1] if isinstance(value, list) else value)
    assert (r["served_share"].values <= 1 + panic + 1e-9).all()


def test_scarcity_raises_informal_price_and_cuts_power(bamako):
    calm = simulate(load_scenario("bamako-2025", ["adversary.intensity=0",
                                                  "adversary.bans=[]"]),
                    replications=50, days=90, seed=3)
    siege = simulate(bamako, replications=50, days=90, seed=3)
    price = "informal_price"
    assert float(siege[price].isel(day=slice(30, None)).mean()) > float(
        calm[price].isel(day=slice(30, None)).mean())
    assert float(siege["electricity_hours"].mean()) < float(calm["electricity_hours"].mean())
    official = {p.name: p.official_price for p in bamako.products}
    for prod, p0 in official.items():
        values = siege[price].sel(product=prod).values
        assert values.min() >= p0 - 1e-9
        assert values.max() <= 4.0 * p0 + 1e-6  # cap_multiple


@pytest.mark.parametrize("reps", [3, 4, 6])
def test_replication_slices_only_per_replication_arrays(bamako, reps):
    """With as many replications as products, sectors or corridors, shared arrays stay whole."""
    params = compile_parameters(bamako, reps, 10, 1)
    one = params.replication(1)
    for name in SHARED_ARRAYS:
        assert np.array_equal(one[name], getattr(params, name)), name
    assert np.array_equal(one["fleet"], params.fleet[1])
    assert one["leg_days"].shape == (len(params.corridors),)
    for name, value in vars(params).items():
        if isinstance(value, np.ndarray) and name not in SHARED_ARRAYS:
            assert value.shape[0] == reps, name  # every other array is per replication


def test_day_runs_the_documented_processes_in_order():
    """docs/model.md section 1.3 names each step by its function; the engine runs exactly those."""
    doc = (Path(__file__).parents[1] / "docs" / "model.md").read_text()
    section = doc[doc.index("### 1.3"):doc.index("## 2.")]
    documented = re.findall(r"^\d+\. \*\*[^*]+\*\* \(`(\w+)`\)", section, flags=re.M)
    assert documented == [process.__name__ for process in vectorized.DAY]


def _attack_day(m, seed, t, cohort, ages, hazard_by_age, fuel_by_age, free_cols, transit):
    """Run the ``attacks`` process once on a DayState built by hand: the given cohorts on the
    road, no escorts or fear, and the attack tables replaced by the given ones (at unit
    intensity: the caller's parameters have intensity 1, no growth and no adaptation)."""
    R, C, P = m.shape
    size = cohort.sum(axis=3)
    state = dataclasses.replace(
        initial_state(m), cohort=cohort, size=size, transit=transit,
        escorts_on=np.zeros_like(size), traffic=size.sum(axis=0), fear=np.zeros((R, C)))
    tab = dataclasses.replace(build_tables(m), exposed_ages=ages, hazard_by_age=hazard_by_age,
                              fuel_by_age=fuel_by_age, free_cols=free_cols)
    out = {name: buf[0] for name, buf in allocate_outputs(
        1, R, {"product": P, "corridor": C, "sector": len(m.sectors)}).items()}
    drivers_before = state.drivers.copy()
    out["attack_intensity"][...] = 1.0  # what `campaign` records at unit intensity
    vectorized.attacks(m, tab, state, t, np.random.default_rng(seed), out)
    lost = out["tankers_lost"]
    kidnapped = state.fear - lost  # fear started at zero
    # Crews of destroyed tankers are kidnapped or walk back to the port.
    assert np.array_equal(state.drivers - drivers_before, lost - kidnapped)
    assert (kidnapped >= 0).all() and (kidnapped <= lost).all()
    assert np.array_equal(out["drivers_kidnapped"], kidnapped.sum(axis=1))
    assert np.array_equal(state.traffic, state.size.sum(axis=0))  # kept in step
    return state, lost, out["attacks"], out["destroyed_litres"]


def _unit_intensity(m):
    R = m.shape[0]
    return dataclasses.replace(m, intensity=np.ones(R), growth_per_year=np.ones(R),
                               adaptation=np.zeros(R))


def test_attacks_count_every_cohort_hit_and_book_its_losses(bamako):
    """The attack step against its closed form: cohorts of three ages on one convoy corridor, hit
    independently with probability 1 - exp(-H_a) (size exponent and escorts neutral), so a
    replication can see several attacks in a day; every hit cohort is destroyed whole and only
    the loaded ones burn fuel and leave the road's loaded count."""
    R = 4000
    m = compile_parameters(bamako, R, 10, seed=1)
    _, C, P = m.shape
    m = dataclasses.replace(
        m, size_exponent=np.zeros(R), deterrence=np.zeros(R), destroy_share=np.ones(R),
        protection=np.zeros(R), convoy=np.ones(C, dtype=bool))
    t, ages = 20, np.array([1, 2, 3])
    hazards = np.array([0.3, 1.0, 0.05])
    sizes = np.array([[4, 0, 1], [2, 3, 0], [5, 5, 5]])  # tankers by product, per age
    loaded = np.array([1, 1, 0])  # the third age is driving back empty
    cohort = np.zeros((m.slots, R, C, P), dtype=np.int64)
    for a, n in zip(ages, sizes, strict=True):
        cohort[(t - a) % m.slots, :, 0] = n
    transit = np.zeros((R, C, P), dtype=np.int64)
    transit[:, 0] = sizes[:2].sum(axis=0)
    hazard_by_age = np.zeros((3, R, C))
    hazard_by_age[:, :, 0] = hazards[:, None]
    fuel_by_age = np.broadcast_to(loaded[:, None, None], (3, R, C)).astype(np.int64)
    state, lost, attacks, destroyed = _attack_day(
        _unit_intensity(m), 3, t, cohort, ages, hazard_by_age, fuel_by_age,
        np.array([], dtype=int), transit)
    size, transit = state.size, state.transit

    p_hit = -np.expm1(-hazards)
    assert attacks[:, 1:].sum() == 0 and attacks.max() == 3
    mean, se = _mean_and_se(attacks[:, 0])
    assert abs(mean - p_hit.sum()) < 4 * se
    # Who was hit is read back from the emptied slots.
    hit = np.stack([size[(t - a) % m.slots, :, 0] == 0 for a in ages], axis=1)  # (R, A)
    assert np.array_equal(attacks[:, 0], hit.sum(axis=1))
    assert np.array_equal(lost[:, 0], hit @ sizes.sum(axis=1))
    assert np.array_equal(destroyed, (hit @ (sizes * loaded[:, None])) * m.tanker_litres)
    assert np.array_equal(transit[:, 0], (~hit) @ (sizes * loaded[:, None]))
    assert np.abs(hit.mean(axis=0) - p_hit).max() < 0.03


def test_free_running_tankers_are_attacked_one_by_one(bamako):
    """On a free-running corridor each tanker is hit independently: attacks ~ Binomial(n, p)
    per age, and with every hit tanker destroyed, losses equal attacks."""
    R = 4000
    m = compile_parameters(bamako, R, 10, seed=1)
    _, C, P = m.shape
    convoy = np.ones(C, dtype=bool)
    convoy[2] = False
    m = dataclasses.replace(m, destroy_share=np.ones(R), protection=np.zeros(R), convoy=convoy)
    t, ages, n = 5, np.array([1, 2]), np.array([[6, 0, 2], [0, 3, 0]])
    cohort = np.zeros((m.slots, R, C, P), dtype=np.int64)
    for a, counts in zip(ages, n, strict=True):
        cohort[(t - a) % m.slots, :, 2] = counts
    transit = np.zeros((R, C, P), dtype=np.int64)
    transit[:, 2] = n.sum(axis=0)
    hazard_by_age = np.zeros((2, R, C))
    hazard_by_age[:, :, 2] = 0.2
    state, lost, attacks, destroyed = _attack_day(
        _unit_intensity(m), 4, t, cohort, ages, hazard_by_age,
        np.ones((2, R, C), dtype=np.int64), np.array([2]), transit.copy())
    burned = destroyed / m.tanker_litres  # whole tankers times litres: exact
    p = -np.expm1(-0.2)
    mean, se = _mean_and_se(attacks[:, 2])
    assert abs(mean - n.sum() * p) < 4 * se
    assert np.array_equal(lost, attacks) and attacks.max() > 1
    assert np.array_equal(burned.sum(axis=1), lost[:, 2])
    assert np.array_equal(state.transit[:, 2] + burned, transit[:, 2])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mix_of_policies_and_hazards_conserves_fuel(bamako, data):
    """Property test over the engine's branches: convoy or free-running per corridor, segments
    with or without hazard, no escorts or many, waiting for escorts, checkpoints, 1-5
    replications and 1-40 days. Fuel is conserved exactly and nothing goes negative."""
    scenario = bamako.model_dump()
    scenario["timeline"] = []  # the policies below hold for the whole run
    scenario.pop("posterior", None)  # the draws below fix some of its parameters
    for corridor in scenario["corridors"]:
        corridor["policy"]["mode"] = data.draw(st.sampled_from(["convoy", "free"]))
        corridor["policy"]["wait_for_escorts"] = data.draw(st.booleans())
    for segment in scenario["segments"]:
        segment["hazard_per_100km"] = data.draw(st.sampled_from([0.0, 0.02, 0.3]))
    scenario["escorts"]["pool_size"] = data.draw(st.integers(0, 40))
    scenario["adversary"]["intensity"] = data.draw(st.sampled_from([0.0, 0.5, 2.0]))
    for node in scenario["nodes"]:
        if node["id"] == "didieni":
            node["checkpoint_turnback_probability"] = data.draw(st.sampled_from([0.0, 0.3]))
    s = validate_scenario(scenario, "test")
    reps, days = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 40))
    r = simulate(s, replications=reps, days=days, seed=data.draw(st.integers(0, 2**31)))
    ds = r.dataset
    assert np.all(conservation_gap(r) == 0)
    for name in ("stock_litres", "tankers_lost", "attacks", "tankers_in_transit", "escorts_busy"):
        assert (ds[name].values >= 0).all(), name
    assert (ds["escorts_busy"].values <= scenario["escorts"]["pool_size"]).all()
    if scenario["adversary"]["intensity"] == 0 or not any(
            seg["hazard_per_100km"] for seg in scenario["segments"]):
        assert int(ds["attacks"].sum()) == 0


def test_free_running_hits_follow_independent_binomials():
    """``_free_hits`` (one uniform per cohort, first-hit inversion) has the joint law of
    independent Binomial(n_p, p) per product: chi-square on the joint counts of a small cohort,
    and the means and variances of a large one."""
    from scipy import stats

    def free_hits(rng, tankers, p):
        cells, hits = vectorized._free_hits(rng, tankers.sum(axis=1), p, lambda i: tankers[i])
        out = np.zeros_like(tankers)
        out[cells] = hits
        return out

    rng = np.random.default_rng(12)
    counts, p, N = np.array([2, 1, 2]), 0.3, 60_000
    hits = free_hits(rng, np.broadcast_to(counts, (N, 3)).copy(), np.full(N, p))
    joint = {}
    for row in map(tuple, hits):
        joint[row] = joint.get(row, 0) + 1
    cells = [(a, b, c) for a in range(3) for b in range(2) for c in range(3)]
    expected = np.array([stats.binom.pmf(a, 2, p) * stats.binom.pmf(b, 1, p)
                         * stats.binom.pmf(c, 2, p) for a, b, c in cells]) * N
    observed = np.array([joint.get(cell, 0) for cell in cells])
    assert observed.sum() == N
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    big = np.array([40, 10, 5])
    hits = free_hits(rng, np.broadcast_to(big, (N, 3)).copy(), np.full(N, 0.02))
    assert np.allclose(hits.mean(axis=0), big * 0.02, rtol=0.05)
    assert np.allclose(hits.var(axis=0), big * 0.02 * 0.98, rtol=0.08)
    assert (hits <= big).all() and (hits >= 0).all()
