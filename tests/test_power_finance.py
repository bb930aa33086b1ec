"""The power sector buys fuel with its cash (``impacts.power_finance``): its accounts against
their closed form in the NumPy, JAX and SimPy engines, and the behaviour that motivates them: a
utility that loses more sales than the fuel it saves stays dark after a shortage ends, until the
state restores its credit, while one that saves more recovers with the fuel."""

import dataclasses
import importlib.util

import numpy as np
import pytest

from siegeline.engines import simulate, vectorized
from siegeline.engines.state import initial_state
from siegeline.model.parameters import compile_parameters
from siegeline.scenario.loader import ScenarioError, load_raw, validate_scenario

HAS_JAX = importlib.util.find_spec("jax") is not None
ENGINES = ["numpy", pytest.param("jax", marks=pytest.mark.skipif(not HAS_JAX,
                                                                 reason="JAX is not installed")),
           "reference"]


def _finance(m, sales_cover, credit, margin=0.0, bailout=np.inf):
    n = m.replications
    return dataclasses.replace(
        m, power_finance=True, power_sales_cover=np.full(n, sales_cover),
        power_margin=np.full(n, margin), power_credit_days=np.full(n, float(credit)),
        power_bailout_days=np.full(n, float(bailout)))


def test_accounts_follow_their_closed_form(bamako):
    """A normal day's cash pays a normal day's fuel; a short day's lost sales come off the next
    day's cash, credit covers the gap up to its limit, and a utility with no cash and no credit
    buys nothing until the state restores its credit after the bailout delay."""
    m = _finance(compile_parameters(bamako, 1, 5, seed=1), sales_cover=2.0, credit=3.0,
                 margin=0.02, bailout=2)
    s = initial_state(m)
    assert s.power_credit[0] == 3.0 and s.power_sales[0] == 1.0
    budget = vectorized.power_budget(m, s)
    assert budget[0] == pytest.approx(1.02)
    assert vectorized.power_purchase_share(m, s, budget)[0] == 1.0
    hours = m.power_hours_normal * (0.3 + 0.7 * 0.5)
    vectorized.power_accounts(m, s, budget, np.array([0.5]), np.array([hours]))  # half its fuel
    assert s.power_credit[0] == 3.0  # the unspent cash cannot raise credit above its limit
    assert s.power_sales[0] == pytest.approx(0.65)
    budget = vectorized.power_budget(m, s)  # 1.02 - 2 x 0.35 of sales lost
    assert budget[0] == pytest.approx(0.32)
    vectorized.power_accounts(m, s, budget, np.array([1.0]), np.array([19.0]))
    assert s.power_credit[0] == pytest.approx(3.0 + 0.32 - 1.0)
    assert s.power_short_run[0] == 0  # cash and credit paid for its whole need
    # Broke: no credit, hydro-only sales (-0.38 of cash): it can pay for nothing.
    s.power_credit[:], s.power_sales[:] = 0.0, 0.3
    budget = vectorized.power_budget(m, s)
    assert budget[0] < 0 and vectorized.power_purchase_share(m, s, budget)[0] == 0.0
    vectorized.power_accounts(m, s, budget, np.array([0.0]), np.array([5.7]))
    assert s.power_credit[0] == 0.0 and s.power_short_run[0] == 1
    vectorized.power_accounts(m, s, budget, np.array([0.0]), np.array([5.7]))
    assert s.power_credit[0] == 3.0 and s.power_short_run[0] == 0  # bailed out on day 2


@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed")
def test_jax_accounts_match_numpy(bamako):
    import jax.numpy as jnp

    from siegeline.engines.backends import jax_engine

    m = _finance(compile_parameters(bamako, 6, 5, seed=1), sales_cover=1.7, credit=4.0,
                 margin=0.03, bailout=3)
    s = initial_state(m)
    rng = np.random.default_rng(4)
    s.power_credit[:] = rng.uniform(0, 4, 6)
    s.power_sales[:] = rng.uniform(0.3, 1, 6)
    s.power_short_run[:] = [0, 1, 2, 2, 0, 5]
    c = {k: jnp.asarray(getattr(m, k), jnp.float32) for k in (
        "power_margin", "power_sales_cover", "power_credit_days", "power_bailout_days")}
    c["power_hours_normal"] = jnp.float32(m.power_hours_normal)
    state = jax_engine.DayState(*[None] * len(jax_engine.DayState._fields))._replace(
        power_credit=jnp.asarray(s.power_credit, jnp.float32),
        power_sales=jnp.asarray(s.power_sales, jnp.float32),
        power_short_run=jnp.asarray(s.power_short_run, jnp.int32))
    bought, hours = rng.uniform(0, 1, 6), rng.uniform(5.7, 19, 6)
    budget_j = jax_engine.power_budget(c, state)
    share_j = jax_engine.power_purchase_share(state, budget_j)
    after = jax_engine.power_accounts(c, state, budget_j, jnp.asarray(bought, jnp.float32),
                                      jnp.asarray(hours, jnp.float32))
    budget = vectorized.power_budget(m, s)
    share = vectorized.power_purchase_share(m, s, budget)
    vectorized.power_accounts(m, s, budget, bought, hours)
    assert np.allclose(budget_j, budget, atol=1e-5) and np.allclose(share_j, share, atol=1e-5)
    assert np.allclose(after.power_credit, s.power_credit, atol=1e-5)
    assert np.array_equal(after.power_short_run, s.power_short_run)
    assert np.allclose(after.power_sales, s.power_sales, atol=1e-5)


def _shortage(sales_cover, bailout=None, subsidy_day=None):
    """Normal times (no adversary, no ban, no timeline) except that customs clear a single
    tanker a day from day 15 to day 45: the depots run dry and the power plants go short, then
    fuel flows again. The utility starts with two days of credit; ``subsidy_day``: the state
    pays it 30 days of its fuel bill that day (a one-day margin, set by the timeline)."""
    data = load_raw("bamako-2025")
    data.pop("posterior", None)
    data["adversary"]["intensity"] = 0.0
    data["adversary"]["bans"] = []
    data["timeline"] = [
        {"day": 15, "set": {"city.unloading_capacity_tankers_per_day": 1}},
        {"day": 45, "set": {"city.unloading_capacity_tankers_per_day": 250}},
    ]
    if subsidy_day is not None:
        data["timeline"] += [
            {"day": subsidy_day, "set": {"impacts.power_finance.margin": 30.0}},
            {"day": subsidy_day + 1, "set": {"impacts.power_finance.margin": 0.0}},
        ]
    data["impacts"]["power_finance"] = {"sales_cover": sales_cover, "margin": 0.0,
                                        "credit_days": 2.0, "bailout_days": bailout}
    return validate_scenario(data, "shortage")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_utility_losing_more_sales_than_fuel_stays_dark_until_bailed_out(engine):
    kind, backend = ("reference", "numpy") if engine == "reference" else ("vectorized", engine)
    reps = 2 if kind == "reference" else 8
    hours = {}
    for label, (cover, bailout, subsidy) in {
            "saves": (1.0, None, None), "trapped": (2.3, None, None),
            "bailed out": (2.3, 20, None), "subsidised": (2.3, None, 80)}.items():
        ds = simulate(_shortage(cover, bailout, subsidy), engine=kind, backend=backend,
                      replications=reps, days=110, seed=2).dataset
        hours[label] = ds["electricity_hours"].values
        served = ds["served_share"].sel(sector="private").values
        assert served[:, 90:].min() > 0.99  # fuel flows again for everyone else
    hydro = 19.0 * 0.3
    for h in hours.values():
        assert h[:, :10].min() == pytest.approx(19.0)  # normal before the shortage
        assert h[:, 35:45].max() < 19.0  # the plants go short
    # Sales lost (1.0 x 0.7 of the bill per lost unit of fuel) < fuel saved: it recovers.
    assert hours["saves"][:, 90:].min() == pytest.approx(19.0)
    # 2.3 x 0.7 = 1.61 of sales lost per unit of fuel saved: broke, it stays on hydro alone.
    assert hours["trapped"][:, 90:].max() == pytest.approx(hydro)
    # Restored credit buys a normal day, whose sales pay for the next: back to normal for good.
    bailed = hours["bailed out"]
    assert bailed[:, 100:].min() == pytest.approx(19.0)
    assert (bailed[:, 45:100] <= hydro + 1e-6).any(axis=1).all()  # dark for a while first
    # A one-day subsidy on day 80 (the timeline) pays for a normal day: normal from then on.
    subsidised = hours["subsidised"]
    assert subsidised[:, 60:80].max() == pytest.approx(hydro)
    assert subsidised[:, 81:].min() == pytest.approx(19.0)


def test_power_finance_needs_a_power_sector():
    data = load_raw("bamako-2025")
    data.pop("posterior", None)
    data["impacts"]["power_sector"] = None
    with pytest.raises(ScenarioError, match="power_finance needs impacts.power_sector"):
        validate_scenario(data, "test")


def test_switching_the_cash_off_drops_its_sources_and_posterior_columns():
    """``--set impacts.power_finance=null`` gives a valid scenario in which the plants take all
    the fuel the allocation gives them: the block's sources and posterior columns go with it."""
    from siegeline.scenario.loader import apply_overrides

    data = apply_overrides(load_raw("bamako-2025"), ["impacts.power_finance=null"])
    scenario = validate_scenario(data, "test")
    assert scenario.impacts.power_finance is None
    assert not any(k.startswith("impacts.power_finance") for k in scenario.sources)
    assert not any(p.startswith("impacts.power_finance") for p in scenario.posterior.parameters)
    assert not compile_parameters(scenario, 2, 5, seed=1).power_finance
