"""The reference (SimPy) and vectorized engines agree on three scenarios, replication by
replication.

Paired design (siegeline/engines/reference/agreement.py): both engines run on the same sampled
parameters (one seed); the vectorized engine runs each draw COPIES times and its mean is paired
with the reference replication of that draw. For each scenario and each of nine per-replication
outputs (totals delivered, destroyed, tankers lost, attacks, first stockout day, stock at
mid-horizon, mean queue wait, mean and final informal price) the paired t interval of the mean
difference must reach into the output's absolute tolerance, and a two-sample KS test must not
reject. 54 tests, each at alpha = 1% / 54 (Bonferroni): family-wise false-alarm rate at most 1%.

Power, measured over 24 independent seeds per scenario with benchmarks/bench_agreement_power.py
(docs/performance.md, "Power of the agreement tests"): with 48 pairs a vectorized engine whose
tankers lost are 15% too high (counted x1.15) is flagged in 22 of 24 seeds; one whose attacks
destroy 15% too much (destroy_share x1.15, +10-11% tankers lost after the drivers' fear
feedback) in 12 of 24 (22 of 24 with 64 pairs); without a bug, in 0 of 24.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siegeline.engines import simulate
from siegeline.engines.reference import simulate_reference
from siegeline.engines.reference.agreement import (
    ABS_TOLERANCE,
    AGREEMENT_SCENARIOS,
    copy_means,
    headline_outputs,
    ks_test,
    paired_compare,
    per_test_alpha,
    tiled_parameters,
    unpaired_fields,
)
from siegeline.engines.vectorized import simulate_vectorized
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario

DAYS, COPIES, SEED = 60, 16, 11
# Reference replications per scenario: the power for tankers lost comes from the two scenarios
# with an adversary; without one, the outputs that remain are less noisy.
REPS = {"default": 64, "no-adversary": 24, "heavy-blockade": 64}
ALPHA = per_test_alpha(2 * len(AGREEMENT_SCENARIOS) * len(ABS_TOLERANCE))


@pytest.fixture(scope="module", params=list(AGREEMENT_SCENARIOS))
def engines(request):
    """Per output: the vectorized engine's copies, their means per draw, and the reference."""
    sc = load_scenario("bamako-2025", AGREEMENT_SCENARIOS[request.param])
    params = compile_parameters(sc, REPS[request.param], DAYS, seed=SEED)
    tiled = tiled_parameters(params, COPIES)
    assert not unpaired_fields(params, tiled, COPIES)
    vec = headline_outputs(simulate_vectorized(tiled), params.products)
    ref = headline_outputs(simulate_reference(params, workers=2), params.products)
    return request.param, vec, copy_means(vec, COPIES), ref


def test_paired_means_agree(engines):
    scenario, _, vec, ref = engines
    results = [paired_compare(name, vec[name], ref[name], ALPHA, ABS_TOLERANCE[name])
               for name in ABS_TOLERANCE]
    failures = [f"{scenario} {c.describe()}" for c in results if not c.agree]
    assert not failures, "\n".join(failures)


def test_output_distributions_agree(engines):
    scenario, vec, _, ref = engines
    failures = []
    for name in ABS_TOLERANCE:
        statistic, p = ks_test(vec[name], ref[name])
        if p < ALPHA:
            failures.append(f"{scenario} {name}: KS D={statistic:.3f} p={p:.2g}")
    assert not failures, "\n".join(failures)


def test_the_scenarios_differ_where_they_should(engines):
    """Guards against a vacuous comparison: the scenarios exercise what they are named for."""
    scenario, vec, _, ref = engines
    if scenario == "no-adversary":
        assert vec["total_destroyed_ML"].max() == 0 and ref["total_destroyed_ML"].max() == 0
    else:
        assert ref["total_destroyed_ML"].mean() > 0.5 and vec["total_destroyed_ML"].mean() > 0.5
    if scenario == "heavy-blockade":  # about 120 tankers lost in 60 days
        assert ref["tankers_lost"].mean() > 100 and vec["tankers_lost"].mean() > 100


def test_both_engines_sample_the_same_parameters():
    """The pairing rests on this: one seed, the same draws in both engines and in the tiling."""
    sc = load_scenario("bamako-2025")
    a = simulate(sc, engine="vectorized", replications=3, days=2, seed=5)
    b = simulate(sc, engine="reference", replications=3, days=2, seed=5)
    assert a.samples.shape == (3, len(a.samples.columns)) and len(a.samples.columns) > 10
    pd.testing.assert_frame_equal(a.samples, b.samples)
    params = compile_parameters(sc, 3, 2, seed=5)
    assert unpaired_fields(params, tiled_parameters(params, 4), 4) == []
    other = compile_parameters(sc, 12, 2, seed=6)  # other draws: the check must notice
    assert "destroy_share" in unpaired_fields(params, other, 4)


def test_paired_compare_flags_a_shift_and_tolerates_pinned_outputs():
    rng = np.random.default_rng(0)
    draws = rng.uniform(100, 300, 40)  # between-draw spread the pairing removes
    reference = draws + rng.normal(0, 10, 40)
    unbiased = paired_compare("x", draws + rng.normal(0, 10, 40), reference, ALPHA, 0.5)
    biased = paired_compare("x", 1.15 * draws + rng.normal(0, 10, 40), reference, ALPHA, 0.5)
    assert unbiased.agree and not biased.agree
    assert biased.relative_bias - biased.relative_half_width > 0.05
    cap = np.full(40, 3100.0)  # every replication at the price cap, in both engines
    assert paired_compare("price", cap, cap, ALPHA, 10.0).agree
    assert paired_compare("price", cap + 1e-9, cap, ALPHA, 10.0).agree  # rounding, zero spread
    assert not paired_compare("price", cap + 50.0, cap, ALPHA, 10.0).agree
    empty = np.zeros(40)  # nothing to compare: no reference mean for the relative bias
    assert np.isnan(paired_compare("lost", empty, empty, ALPHA, 0.5).relative_bias)
