"""Fan charts and stockout curves as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from siegeline.results.result import SimulationResult  # noqa: E402

FAN_CHARTS = (
    ("cover_days", "Days of cover in depots"),
    ("stations_open", "Filling stations open"),
    ("queue_wait_hours", "Mean queue wait at an open station (h)"),
    ("informal_price", "Informal fuel price"),  # the unit is the run's (its y label)
    ("electricity_hours", "Hours of electricity per day"),
    ("delivered_litres", "Fuel delivered per day (L)"),
)


def _fan(ax, dates, values: np.ndarray, label: str, color: str) -> None:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(dates, q[0], q[4], color=color, alpha=0.15, linewidth=0)
    ax.fill_between(dates, q[1], q[3], color=color, alpha=0.3, linewidth=0)
    ax.plot(dates, q[2], color=color, linewidth=1.8, label=f"{label} (median, 50%, 90%)")


def _save(fig, path: str | Path) -> Path:
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def fan_chart(result: SimulationResult, name: str, path: str | Path, title: str = "") -> Path:
    """Median, 50% and 90% bands over replications of one output (one fan per coordinate)."""
    ds = result.dataset
    da = ds[name].astype(float)
    dates = ds["date"].values
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    extra = [d for d in da.dims if d not in ("replication", "day")]
    if extra:
        for i, coord in enumerate(da[extra[0]].values):
            _fan(ax, dates, da.sel({extra[0]: coord}).values, str(coord), colors[i % len(colors)])
    else:
        _fan(ax, dates, da.values, name.replace("_", " "), colors[0])
    ax.set_title(title or name.replace("_", " "))
    ax.set_ylabel(ds[name].attrs.get("unit", ""))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.text(0.01, 0.01, f"{result.metadata.get('scenario_name')} · "
             f"{result.replications} replications · seed {result.metadata.get('seed')}",
             fontsize=7, color="grey")
    return _save(fig, path)


def stockout_chart(result: SimulationResult, path: str | Path) -> Path:
    """P(first stockout by day t), per product and for any product."""
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    for prod in result.dataset["product"].values:
        p = result.stockout_probability(str(prod))
        ax.plot(p.index, p.values, label=str(prod))
    p = result.stockout_probability()
    ax.plot(p.index, p.values, color="black", linewidth=2.2, label="any product")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("probability")
    ax.set_title("Probability that depots have run out by each day")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def standard_charts(result: SimulationResult, folder: str | Path) -> list[Path]:
    """Every standard chart of a run, as PNG files in ``folder``."""
    folder = Path(folder)
    paths = [fan_chart(result, name, folder / f"{name}.png", title) for name, title in FAN_CHARTS]
    paths.append(stockout_chart(result, folder / "p_stockout.png"))
    return paths
