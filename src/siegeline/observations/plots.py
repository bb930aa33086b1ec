"""One PNG per observation kind: the model's bands with the reports drawn over them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from siegeline.observations.record import QUANTILES, Record, Target  # noqa: E402
from siegeline.results.result import SimulationResult  # noqa: E402

TITLES = {
    "imports": "Fuel imported (reported) vs delivered to the depots (model)",
    "convoy_arrival": "Secured convoys arriving",
    "attack": "Tankers destroyed",
    "price_informal": "Informal fuel price in Bamako",
    "power_hours": "Hours of electricity per day in Bamako",
    "stations_open": "Share of Bamako's filling stations open",
    "school_closure": "School closures vs the model's disruption flag",
}
MARKERS = {"high": "o", "medium": "s", "low": "D"}
ARROW = 0.08  # censoring arrows, as a share of the y range


def _scale(unit: str) -> tuple[float, str]:
    return (1e-6, "million L") if unit == "L" else (1.0, unit)


def _fans(ax, result: SimulationResult, targets: list[Target], factor: float) -> None:
    dates = result["date"].values
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seen = {t.observable.name: t.observable for t in targets}
    for i, obs in enumerate(seen.values()):
        q = np.quantile(obs.daily(result), QUANTILES, axis=0) * factor
        c = colors[i % len(colors)]
        ax.fill_between(dates, q[0], q[4], color=c, alpha=0.15, linewidth=0)
        ax.fill_between(dates, q[1], q[3], color=c, alpha=0.3, linewidth=0)
        ax.plot(dates, q[2], color=c, linewidth=1.6, label=f"model: {obs.name} (median, 50%, 90%)")


def _boxes(ax, table: pd.DataFrame, factor: float) -> None:
    """Per window: the 90% band (light), the 50% band (dark) and the median (line)."""
    windows = table.drop_duplicates(["start", "end", "observable"])
    for i, row in enumerate(windows.itertuples()):
        x0 = mdates.date2num(pd.Timestamp(row.start))
        width = (pd.Timestamp(row.end) - pd.Timestamp(row.start)).days + 1
        label = "model: 90% / 50% band, median" if i == 0 else None
        ax.bar(x0, (row.model_p95 - row.model_p05) * factor, width, row.model_p05 * factor,
               align="edge", color="tab:blue", alpha=0.15, edgecolor="tab:blue", linewidth=0.8,
               label=label)
        ax.bar(x0, (row.model_p75 - row.model_p25) * factor, width, row.model_p25 * factor,
               align="edge", color="tab:blue", alpha=0.35)
        ax.hlines(row.model_median * factor, x0, x0 + width, color="tab:blue", linewidth=1.6)


def _observations(ax, table: pd.DataFrame, factor: float) -> None:
    """Points, ranges as bars, censored ends as arrows; a window as a horizontal bar."""
    lo_y, hi_y = ax.get_ylim()
    arrow = ARROW * (hi_y - lo_y)
    labelled: set[str] = set()
    for row in table.itertuples():
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        x = mdates.date2num(start + (end - start) / 2)
        xerr = (end - start).days / 2
        lo, hi = row.obs_low * factor, row.obs_high * factor
        face = "none" if row.confidence == "low" else "black"
        label = f"reported ({row.confidence} confidence)"
        # A range with no stated value gets no marker: its midpoint was never reported.
        fmt = "none" if np.isnan(row.observed) else MARKERS[row.confidence]
        kw = {"fmt": fmt, "color": "black", "mfc": face, "capsize": 3, "elinewidth": 1.5,
              "label": None if label in labelled else label, "zorder": 5}
        labelled.add(label)
        if np.isinf(hi):
            ax.errorbar(x, lo, yerr=arrow, xerr=xerr, lolims=True, **kw)
        elif np.isinf(lo):
            ax.errorbar(x, hi, yerr=arrow, xerr=xerr, uplims=True, **kw)
        else:
            y = (lo + hi) / 2 if np.isnan(row.observed) else row.observed * factor
            ax.errorbar(x, y, yerr=[[y - lo], [hi - y]], xerr=xerr, **kw)


def _caption(fig, table: pd.DataFrame) -> int:
    sources = "; ".join(sorted({s for cell in table["source"] for s in str(cell).split("; ")}))
    lines = textwrap.wrap(f"Sources: {sources}", 190)
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=6, va="bottom", color="0.3")
    return len(lines)


def kind_figure(result: SimulationResult, record: Record, kind: str, path: str | Path) -> Path:
    """The figure of one kind: fans for daily levels, per-window boxes for totals."""
    table = record.table[record.table["kind"] == kind]
    targets = [t for t in record.targets if t.kind == kind]
    factor, unit = _scale(targets[0].observable.unit)
    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    if targets[0].observable.how == "sum":
        _boxes(ax, table, factor)
        ax.xaxis_date()
    else:
        _fans(ax, result, targets, factor)
        last = max(t.end for t in targets) + pd.Timedelta(days=14)
        ax.set_xlim(right=min(mdates.date2num(last), ax.get_xlim()[1]))
    _observations(ax, table, factor)
    ax.set_title(f"{TITLES.get(kind, kind)}: {result.metadata.get('scenario_name')}, "
                 f"{result.replications} replications")
    ax.set_ylabel(unit)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    n_lines = _caption(fig, table)
    fig.tight_layout(rect=(0, 0.02 + 0.022 * n_lines, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def record_figures(result: SimulationResult, record: Record, folder: str | Path) -> list[Path]:
    """``record-<kind>.png`` in ``folder`` for every kind with a scored observation."""
    folder = Path(folder)
    return [kind_figure(result, record, kind, folder / f"record-{kind}.png")
            for kind in record.table["kind"].unique()]
