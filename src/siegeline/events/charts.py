"""PNG charts of the monitor (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import cm, colors  # noqa: E402

from siegeline.network.geometry import segment_points  # noqa: E402
from siegeline.network.outlines import extent_of, outlines_for_extent  # noqa: E402
from siegeline.scenario.schema import Scenario  # noqa: E402


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def trend_chart(table: pd.DataFrame, title: str, path: str | Path, top: int = 8) -> Path:
    """Counts per period as lines, one per group (the ``top`` largest groups)."""
    cols = table.sum().sort_values(ascending=False).index[:top]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for col in cols:
        ax.plot(range(len(table)), table[col].to_numpy(), marker="o", ms=3, label=str(col))
    step = max(1, len(table) // 12)
    ax.set_xticks(range(0, len(table), step), table.index[::step], rotation=45, ha="right")
    ax.set_ylabel("events")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(cols) > 1:
        ax.legend(fontsize=8)
    return _save(fig, path)


def share_chart(table: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Bars of the actor's events per period with the regional share (%) on a second axis."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = np.arange(len(table))
    ax.bar(x, table["events"], color="#c9d6e3", label="all events of the actor")
    ax.bar(x, table["in_regions"], color="#4a78a8", label="in the selected regions")
    ax.set_xticks(x, table.index, rotation=45, ha="right")
    ax.set_ylabel("events")
    ax2 = ax.twinx()
    ax2.plot(x, table["share_pct"], color="#b03a2e", marker="o", label="share (%)")
    ax2.set_ylabel("share in regions (%)")
    ax2.set_ylim(0, max(5.0, float(np.nanmax(table["share_pct"].to_numpy(dtype=float))) * 1.3))
    for xi, s in zip(x, table["share_pct"], strict=True):
        if np.isfinite(s):
            ax2.annotate(
                f"{s:.0f}%",
                (xi, s),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
                color="#b03a2e",
            )
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def exposure_map(
    scenario: Scenario,
    totals: pd.Series,
    events: pd.DataFrame,
    title: str,
    path: str | Path,
) -> Path:
    """Country outlines, events as dots, segments coloured by the count of events tied to them."""
    roads = segment_points(scenario)
    west, south, east, north = extent_of([(n.lon, n.lat) for n in scenario.nodes]
                                         + [p for points in roads.values() for p in points])
    x_lim, y_lim = (west - 2, east + 2), (south - 1.5, north + 1.5)
    fig, ax = plt.subplots(figsize=(9, 8))
    for country in outlines_for_extent((x_lim[0], y_lim[0], x_lim[1], y_lim[1])):
        lons, lats = country.rings()
        ax.plot(np.array(lons, dtype=float), np.array(lats, dtype=float), color="#999999",
                lw=0.6)
    if len(events):
        ax.scatter(
            events["longitude"],
            events["latitude"],
            s=3,
            color="#555555",
            alpha=0.25,
            label="events",
        )
    vmax = max(1, int(totals.max())) if len(totals) else 1
    norm = colors.Normalize(0, vmax)
    cmap = matplotlib.colormaps["YlOrRd"]
    for s in scenario.segments:
        count = int(totals.get(s.id, 0))
        ax.plot(
            *zip(*roads[s.id], strict=True),
            color=cmap(norm(count)) if count else "#3b6ea5",
            lw=4 if count else 1.5,
            solid_capstyle="round",
            zorder=3,
        )
    for n in scenario.nodes:
        ax.plot(n.lon, n.lat, "k.", ms=4, zorder=4)
        if n.kind in ("port", "city", "border"):
            ax.annotate(
                n.name, (n.lon, n.lat), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    ax.set_aspect("equal")
    fig.colorbar(
        cm.ScalarMappable(norm=norm, cmap=cmap),
        ax=ax,
        shrink=0.6,
        label="events tied to the segment",
    )
    ax.set_title(title)
    return _save(fig, path)


def backtest_chart(
    monthly: pd.Series, forecasts: dict[str, dict[str, np.ndarray]], path: str | Path
) -> Path:
    """Observed monthly counts with each model's 5-95% forecast interval and median."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    labels = [str(m) for m in monthly.index]
    ax.plot(range(len(labels)), monthly.to_numpy(), "k-o", ms=3, label="observed")
    for i, (name, per_month) in enumerate(forecasts.items()):
        xs = [labels.index(m) + (i - 1.5) * 0.12 for m in per_month]
        q = np.array([np.quantile(s, [0.05, 0.5, 0.95]) for s in per_month.values()])
        ax.errorbar(
            xs,
            q[:, 1],
            yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
            fmt="o",
            ms=3,
            capsize=2,
            label=name,
        )
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
    ax.set_ylabel("events per month")
    ax.set_title("Backtest: one-month-ahead forecasts (median, 5-95%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)
