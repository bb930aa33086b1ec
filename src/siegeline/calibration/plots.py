"""Prior against posterior, one panel per calibrated parameter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siegeline.calibration.smc import CalibrationResult


def prior_posterior_figure(result: CalibrationResult, path: Path) -> Path:
    """Histograms of the final generation (weighted) over each parameter's prior range, with
    the prior's density (flat on quantiles: drawn on the parameter's own scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siegeline.calibration.priors import _dist

    g = result.final
    d = result.prior.dim
    cols = min(d, 4)
    rows = -(-d // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False)
    for j, (path_j, r) in enumerate(zip(result.prior.paths, result.prior.ranges, strict=True)):
        ax = axes[j // cols][j % cols]
        grid = np.linspace(r.low, r.high, 200)
        ax.fill_between(grid, _dist(r).pdf(grid), color="0.85", label="prior")
        ax.hist(g.theta[:, j], bins=25, range=(r.low, r.high), weights=g.weights, density=True,
                color="tab:blue", alpha=0.7, label="posterior")
        ax.set_title(path_j, fontsize=8)
        ax.set_xlabel("value (scenario unit)", fontsize=7)
        ax.set_ylabel("density", fontsize=7)
        ax.tick_params(labelsize=7)
    for k in range(d, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Prior and posterior ({len(result.generations)} generations, "
                 f"{g.simulated:,} simulated replications)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def backtest_figure(table, path: Path) -> Path:
    """Mean relative CRPS per origin and method (rows every method scored)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = ("calibrated", "prior", "persistence")
    both = table.dropna(subset=[f"crps_{m}" for m in methods])
    means = both.groupby("origin")[[f"crps_{m}" for m in methods]].mean()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    width = 0.27
    x = np.arange(len(means))
    for k, m in enumerate(methods):
        ax.bar(x + (k - 1) * width, means[f"crps_{m}"], width, label=m)
    ax.set_xticks(x, [str(o) for o in means.index])
    ax.set_xlabel("forecast origin (data up to this date)")
    ax.set_ylabel("mean relative CRPS (lower is better)")
    ax.set_title("Backtest: the month after each origin", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
