"""Fan charts of a forecast with the reported values overlaid and the origin marked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from siegeline.forecast.core import SERIES, Forecast
from siegeline.forecast.observed import ObservedPoint, observed_points


def _draw_point(ax, p: ObservedPoint) -> None:
    """A window's weekly rate as a line across the window with a dot at its middle (an arrow
    at its end when censored above); a level as a dot with its interval (to 1.3 × an "at
    least" value); reports after the origin hollow (out of sample)."""
    style = {"color": "black", "mfc": "white" if p.after else "black", "ms": 5, "lw": 1.2}
    if p.window:
        ax.plot([p.start, p.end], [p.value, p.value], "-", color="black", lw=1.2)
        ax.plot([p.mid], [p.value], "o", **style)
        if p.high is None:
            ax.annotate("", (p.end, p.value * 1.25), (p.end, p.value),
                        arrowprops={"arrowstyle": "->", "color": "black"})
        return
    top = p.high if p.high is not None else p.low * 1.3
    ax.errorbar([p.mid], [p.value], yerr=[[max(p.value - p.low, 0)], [max(top - p.value, 0)]],
                fmt="o", capsize=3, **style)


def forecast_figures(fc: Forecast, out: Path, log: pd.DataFrame | None = None,
                     national_share: float = 1.0) -> list[Path]:
    """One PNG per series (forecast-<kind>.png) and stockout.png; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    observed = observed_points(fc, log, national_share)
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
        for point in observed.get(s.kind, []):
            _draw_point(ax, point)
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
