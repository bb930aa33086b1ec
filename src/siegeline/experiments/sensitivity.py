"""Global sensitivity analysis with SALib: Sobol indices (Saltelli design) and Morris screening.

The whole design is evaluated by the vectorized engine with parameters varying along the
replication axis (a few chunked calls). Each design point is one stochastic replication (or the
mean of ``reps``), so the indices include the model's own noise: a parameter's share is measured
against the total variance, noise included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from siegeline.experiments.designs import ParamRange, check_ranges
from siegeline.experiments.evaluate import check_metrics, evaluate_design
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


def problem_of(ranges: Sequence[ParamRange]) -> dict:
    return {"num_vars": len(ranges), "names": [r.path for r in ranges],
            "bounds": [[r.low, r.high] for r in ranges]}


def design_of(method: str, problem: dict, n: int, seed: int) -> np.ndarray:
    """Sample rows: Sobol gives n·(D+2) rows (n rounded up to a power of two), Morris n·(D+1)."""
    if method == "sobol":
        base = 1 << max(0, int(np.ceil(np.log2(max(n, 1)))))
        return sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    if method == "morris":
        return morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    raise ScenarioError([("--method", f"choose from {', '.join(METHODS)}")], "sensitivity")


def analyze(method: str, problem: dict, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """Indices for one output, one row per parameter, with 95% confidence half-widths."""
    if not np.all(np.isfinite(y)):
        raise ValueError("model outputs contain non-finite values")
    if method == "sobol":
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        si = morris_analyze.analyze(problem, x, y, num_levels=MORRIS_LEVELS, seed=seed)
        cols = ["mu_star", "mu_star_conf", "sigma", "mu"]
    frame = pd.DataFrame({c: np.asarray(si[c], dtype=float) for c in cols})
    frame.insert(0, "parameter", problem["names"])
    return frame


@dataclass
class SensitivityResult:
    method: str
    problem: dict
    samples: np.ndarray  # (rows, D) design
    outputs: pd.DataFrame  # one column per metric, one row per design row
    indices: pd.DataFrame = field(default_factory=pd.DataFrame)  # metric, parameter, indices

    @property
    def engine_rows(self) -> int:
        return len(self.samples)


def run_sensitivity(
    scenario: Scenario,
    ranges: Sequence[ParamRange],
    metrics: Sequence[str],
    *,
    method: str = "sobol",
    n: int = 256,
    reps: int = 1,
    days: int | None = None,
    seed: int = 0,
    chunk_points: int = 5000,
    backend: str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Sample the design, evaluate it with the engine, analyse each metric.

    ``reps`` > 1 averages that many replications per design point (less noise in the indices).
    """
    check_ranges(scenario, ranges)
    metrics = check_metrics(metrics)
    problem = problem_of(ranges)
    x = design_of(method, problem, n, seed)
    design = pd.DataFrame(x, columns=problem["names"])
    raw = evaluate_design(scenario, design, metrics, reps=reps, days=days, seed=seed,
                          chunk_points=max(1, chunk_points // reps), backend=backend,
                          progress=progress)
    outputs = raw.groupby("point")[metrics].mean().sort_index()
    parts = []
    for name in metrics:
        y = outputs[name].to_numpy()
        if np.ptp(y) == 0:  # constant output: no variance to apportion
            continue
        frame = analyze(method, problem, x, y, seed)
        frame.insert(0, "metric", name)
        parts.append(frame)
    indices = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return SensitivityResult(method, problem, x, outputs.reset_index(drop=True), indices)


def sensitivity_chart(result: SensitivityResult, metric: str, path: str | Path) -> Path:
    """Horizontal bar chart of one metric's indices with 95% confidence intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = result.indices[result.indices["metric"] == metric]
    if frame.empty:
        raise ValueError(f"no indices for {metric!r} (its output did not vary)")
    main, total = (("S1", "ST") if result.method == "sobol" else ("mu_star", "sigma"))
    frame = frame.sort_values(total if result.method == "sobol" else main)  # Morris ranks by mu*
    pos = np.arange(len(frame))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.35 * len(frame)))
    ax.barh(pos - 0.2, frame[main], height=0.4, xerr=frame[f"{main}_conf"], capsize=2,
            label="first order S1" if main == "S1" else "mu* (mean |elementary effect|)")
    if result.method == "sobol":
        ax.barh(pos + 0.2, frame[total], height=0.4, xerr=frame[f"{total}_conf"], capsize=2,
                label="total ST")
    else:
        ax.barh(pos + 0.2, frame[total], height=0.4, label="sigma (interactions/non-linearity)")
    ax.set_yticks(pos, frame["parameter"])
    ax.set_xlabel("index (bars: 95% confidence interval)")
    ax.set_title(f"{result.method.capitalize()} sensitivity of {metric} "
                 f"({result.engine_rows:,} model runs)")
    ax.axvline(0, color="black", lw=0.5)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
