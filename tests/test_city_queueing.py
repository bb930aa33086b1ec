"""The station queue model against Erlang C's closed form and a simulated M/M/c queue."""

import math

import numpy as np
import pytest

from siegeline.city.queueing import erlang_c, mean_wait_hours
from siegeline.city.rationing import allocate_by_priority, rationing_caps


def erlang_c_closed_form(lam: float, mu: float, c: int) -> float:
    """Textbook Erlang C: P(wait) = (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a)))."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def simulate_mmc_wait(lam: float, mu: float, c: int, customers: int, seed: int) -> float:
    """Mean wait in a FCFS M/M/c queue by the Kiefer-Wolfowitz workload recursion."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers)
    services = rng.exponential(1 / mu, customers)
    free_at = np.zeros(c)  # time each server next becomes free, relative to now
    waits = np.empty(customers)
    for i in range(customers):
        free_at = np.maximum(free_at - gaps[i], 0.0)
        j = int(np.argmin(free_at))
        waits[i] = free_at[j]
        free_at[j] += services[i]
    return float(waits[customers // 10:].mean())  # drop the warm-up


@pytest.mark.parametrize(("lam", "mu", "c"), [(40.0, 12.0, 4), (10.0, 12.0, 1), (90, 12.0, 8)])
def test_erlang_c_matches_closed_form(lam, mu, c):
    assert erlang_c(np.array(lam / mu), c) == pytest.approx(erlang_c_closed_form(lam, mu, c),
                                                            rel=1e-12)
    expected = erlang_c_closed_form(lam, mu, c) / (c * mu - lam)
    got = mean_wait_hours(np.array(lam), mu, c, opening_hours=14, max_wait_hours=1e9)
    assert got == pytest.approx(expected, rel=1e-12)


def test_steady_state_wait_within_two_percent_of_simulated_mmc():
    lam, mu, c = 40.0, 12.0, 4  # utilisation 0.83
    simulated = simulate_mmc_wait(lam, mu, c, customers=400_000, seed=3)
    model = float(mean_wait_hours(np.array(lam), mu, c, 14.0, 1e9))
    assert model == pytest.approx(simulated, rel=0.02)


def test_saturated_station_wait_grows_and_is_capped():
    waits = mean_wait_hours(np.array([47.0, 60.0, 100.0, 1000.0]), 12.0, 4, 14.0, 10.0)
    assert np.all(np.diff(waits) >= 0)
    assert waits[-1] == 10.0
    # Fluid regime: half of the day's backlog over the service capacity.
    assert waits[1] == pytest.approx((60 - 48) * 14 / (2 * 48))


def test_priority_allocation_serves_in_order_and_pro_rata():
    demand = np.array([[[10.0], [6.0], [4.0], [5.0]]])  # sectors x 1 product
    priority = np.array([1, 2, 2, 3])
    served = allocate_by_priority(demand, np.array([[15.0]]), priority)[0, :, 0]
    assert served.tolist() == pytest.approx([10.0, 3.0, 2.0, 0.0])
    assert served.sum() == pytest.approx(15.0)


def test_rationing_caps_apply_the_most_severe_level():
    thresholds = np.array([7.0, 3.0])
    caps = np.array([[1.0, 0.7], [1.0, 0.4]])
    got = rationing_caps(np.array([[8.0, 5.0, 1.0]]), thresholds, caps)
    assert got[0, 1].tolist() == [1.0, 0.7, 0.4]
    assert got[0, 0].tolist() == [1.0, 1.0, 1.0]
