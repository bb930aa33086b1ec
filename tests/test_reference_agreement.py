"""The reference (SimPy) and vectorized engines agree in distribution on three scenarios.

Independent samples: the vectorized engine runs 400 replications with one seed, the reference
engine 32 with another (parameters are sampled per replication, so the samples are independent).
For each scenario and each of six outputs we require
  * a two-sample Kolmogorov-Smirnov p-value above alpha = 0.001; over the 18 tests that is a
    family-wise false-alarm rate of at most 1.8% (Bonferroni); with 32 against 400 samples it
    flags a location shift of about 0.9 standard deviations;
  * the difference of means inside its 99.9% confidence interval (Welch), which flags a
    shift of about 0.6 standard deviations.
The paired comparison in benchmarks/bench_engines.py measures the remaining differences much
more finely (docs/performance.md).
Horizon 60 days (the first stockout of the default scenario falls within it).
"""

from __future__ import annotations

import pytest

from siegeline.engines.reference import simulate_reference
from siegeline.engines.reference.agreement import (
    AGREEMENT_SCENARIOS,
    compare,
    headline_outputs,
)
from siegeline.engines.vectorized import simulate_vectorized
from siegeline.model.parameters import compile_parameters
from siegeline.scenario import load_scenario

DAYS, REPS_VECTORIZED, REPS_REFERENCE = 60, 400, 32
ALPHA = 0.001


@pytest.fixture(scope="module", params=list(AGREEMENT_SCENARIOS))
def engines(request):
    sc = load_scenario("bamako-2025", AGREEMENT_SCENARIOS[request.param])
    vec = compile_parameters(sc, REPS_VECTORIZED, DAYS, seed=11)
    ref = compile_parameters(sc, REPS_REFERENCE, DAYS, seed=12)
    return (request.param, headline_outputs(simulate_vectorized(vec), vec.products),
            headline_outputs(simulate_reference(ref, workers=2), ref.products))


def test_output_distributions_and_means_agree(engines):
    scenario, vec, ref = engines
    failures = []
    for name in vec:
        c = compare(name, vec[name], ref[name])
        if c.ks_pvalue < ALPHA or not c.means_agree:
            failures.append(f"{scenario} {name}: vectorized mean {c.mean_a:.4g}, reference "
                            f"{c.mean_b:.4g} (99.9% CI half-width {c.ci_half_width:.3g}), "
                            f"KS D={c.ks_statistic:.3f} p={c.ks_pvalue:.2g}")
    assert not failures, "\n".join(failures)


def test_the_scenarios_differ_where_they_should(engines):
    """Guards against a vacuous comparison: the scenarios exercise what they are named for."""
    scenario, vec, ref = engines
    if scenario == "no-adversary":
        assert vec["total_destroyed_ML"].max() == 0 and ref["total_destroyed_ML"].max() == 0
    else:
        assert ref["total_destroyed_ML"].mean() > 0.5 and vec["total_destroyed_ML"].mean() > 0.5
    if scenario == "heavy-blockade":  # the default loses about 60 tankers in 60 days
        assert ref["tankers_lost"].mean() > 100 and vec["tankers_lost"].mean() > 100
