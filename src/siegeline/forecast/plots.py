"""Fan charts of a forecast with the reported values overlaid and the origin marked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from siegeline.forecast.core import SERIES, Forecast
from siegeline.observations.record import RecordContext, Target, targets_for


def _observed(fc: Forecast, log: pd.DataFrame | None, national_share: float
              ) -> dict[str, list[Target]]:
    if log is None:
        return {}
    ctx = RecordContext.from_scenario(fc.scenario, national_share)
    targets, _ = targets_for(log, fc.result, ctx)
    out: dict[str, list[Target]] = {}
    for t in targets:
        out.setdefault(t.kind, []).append(t)
    return out


def _draw_target(ax, t: Target, weekly: bool, scale: float, origin: dt.date) -> None:
    """A window total as its weekly rate across the window; a level at the window's middle;
    censored ends as arrows; reports after the origin hollow (out of sample)."""
    days = (t.end - t.start).days + 1
    factor = (7.0 / days if weekly else 1.0) * scale
    lo, hi = t.low * factor, t.high * factor
    after = t.start.date() > origin
    style = {"color": "black", "mfc": "white" if after else "black", "ms": 5, "lw": 1.2}
    if weekly and days > 1:
        value = (t.value if np.isfinite(t.value) else (lo + hi) / 2 / factor) * factor
        ax.plot([t.start, t.end], [value, value], "-", **{k: style[k] for k in ("color", "lw")})
        ax.plot([t.start + (t.end - t.start) / 2], [value], "o", **style)
        if not np.isfinite(t.high):
            ax.annotate("", (t.end, value * 1.25), (t.end, value),
                        arrowprops={"arrowstyle": "->", "color": "black"})
        return
    mid = t.start + (t.end - t.start) / 2
    top = hi if np.isfinite(hi) else lo * 1.3
    bottom = lo if np.isfinite(lo) else 0.0
    value = t.value * factor if np.isfinite(t.value) else (bottom + top) / 2
    ax.errorbar([mid], [value], yerr=[[max(value - bottom, 0)], [max(top - value, 0)]],
                fmt="o", capsize=3, **style)


def forecast_figures(fc: Forecast, out: Path, log: pd.DataFrame | None = None,
                     national_share: float = 1.0) -> list[Path]:
    """One PNG per series (forecast-<kind>.png) and stockout.png; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    observed = _observed(fc, log, national_share)
    count = fc.scenario.stations.count
    paths = []
    for s in SERIES:
        rows = fc.table[fc.table["kind"] == s.kind]
        if rows.empty:
            continue
        x = pd.to_datetime(rows["date"])
        fig, ax = plt.subplots(figsize=(8, 3.6))
        ax.fill_between(x, rows["p05"], rows["p95"], color="tab:blue", alpha=0.18,
                        label="90% band", step="pre" if s.how == "week" else None)
        ax.fill_between(x, rows["p25"], rows["p75"], color="tab:blue", alpha=0.35,
                        label="50% band", step="pre" if s.how == "week" else None)
        ax.plot(x, rows["p50"], color="tab:blue", lw=1.5, label="median",
                drawstyle="steps-pre" if s.how == "week" else "default")
        scale = {"imports": 1e-6, "stations_open": 1.0 / count}.get(s.kind, 1.0)
        for t in observed.get(s.kind, []):
            if t.end >= x.min() - pd.Timedelta(days=7):
                _draw_target(ax, t, s.how == "week", scale, fc.origin)
        ax.axvline(pd.Timestamp(fc.origin), color="tab:red", ls="--", lw=1)
        ax.annotate("forecast origin", (pd.Timestamp(fc.origin), ax.get_ylim()[1]),
                    xytext=(4, -12), textcoords="offset points", color="tab:red", fontsize=8)
        ax.set_title(f"{s.label}: forecast from {fc.origin} (filled: reported before, hollow: "
                     "after)", fontsize=9)
        ax.set_xlabel("date (weekly totals drawn at the end of each week)"
                      if s.how == "week" else "date")
        ax.set_ylabel(s.unit)
        ax.legend(fontsize=7, loc="upper left")
        fig.autofmt_xdate()
        fig.tight_layout()
        path = out / f"forecast-{s.kind}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for product in fc.stockout.columns:
        ax.plot(pd.to_datetime(fc.stockout.index), fc.stockout[product], label=product)
    ax.set_ylim(0, 1)
    ax.set_xlabel("date")
    ax.set_ylabel("P(stockout that day)")
    ax.set_title(f"Probability of a stockout by product after {fc.origin}", fontsize=9)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    path = out / "stockout.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [*paths, path]
