"""Draw the station queue table against simulated station-days (docs/figures/queue-validation.png).

The line is ``siegeline.city.queueing.mean_wait_hours`` for the default station (scenario
bamako-2025, ``stations:``); the points are the reference engine's ``station_day_wait`` averaged
over many simulated days, with bars of +- 2 standard errors.

    python tools/draw_queue_validation.py [--days 200] [--seed 1] [--out PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from siegeline.city.queueing import mean_wait_hours  # noqa: E402
from siegeline.engines.reference.stations import station_day_wait  # noqa: E402
from siegeline.scenario import load_scenario  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures" / "queue-validation.png"


def simulated_waits(loads: np.ndarray, days: int, seed: int, pumps: int, service: float,
                    hours: float, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over ``days`` simulated station-days at each load."""
    rng = np.random.default_rng(seed)
    means, errors = [], []
    for load in loads:
        waits = [station_day_wait(rng, load * pumps * service, pumps, service, hours, cap)
                 for _ in range(days)]
        means.append(np.mean(waits))
        errors.append(np.std(waits, ddof=1) / np.sqrt(days))
    return np.array(means), np.array(errors)


def draw(days: int, seed: int, out: Path) -> None:
    st = load_scenario("bamako-2025").stations
    pumps, service = st.pumps_per_station, st.service_rate_per_pump_per_hour
    hours, cap = st.opening_hours, st.max_wait_hours
    line = np.linspace(0.0, 3.0, 601)
    model = mean_wait_hours(line * pumps * service, service, pumps, hours, cap)
    loads = np.linspace(0.1, 3.0, 30)
    means, errors = simulated_waits(loads, days, seed, pumps, service, hours, cap)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.plot(line, model, color="tab:blue", label="table (transient M/M/c/N expectation)")
        ax.errorbar(loads, means, yerr=2 * errors, fmt="o", ms=3, color="tab:orange", capsize=2,
                    label=f"reference station-days (mean ± 2 SE, {days} days)")
        ax.set_yscale(scale)
        ax.set_xlabel("load λ / (c μ)")
        ax.set_ylabel("mean wait of joiners (h)")
        ax.grid(alpha=0.3)
    axes[1].set_ylim(1e-4, 2 * cap)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Station queue: {pumps} pumps × {service:g}/h, {hours:g} h open, "
                 f"balking beyond {cap:g} h")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200, help="simulated days per load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    draw(args.days, args.seed, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
