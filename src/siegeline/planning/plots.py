"""PNG maps and charts of planning results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from siegeline.network.outlines import extent_of, outlines_for_extent  # noqa: E402
from siegeline.planning.graphs import edge_label, edge_records  # noqa: E402
from siegeline.planning.results import LossCurve, PlanResult  # noqa: E402


def _countries(x_lim: tuple[float, float], y_lim: tuple[float, float]):
    """(name, polygons) of the countries on a map with these limits (any region)."""
    for country in outlines_for_extent((x_lim[0], y_lim[0], x_lim[1], y_lim[1])):
        yield country.name, country.polygons


def _edge_line(g: nx.Graph, u, v, data: dict) -> tuple[list[float], list[float]]:
    """The road as drawn: its ``geometry`` ([lon, lat] points, from a network file) when it has
    one, else the straight line between its towns."""
    points = data.get("geometry") or [
        (g.nodes[u]["lon"], g.nodes[u]["lat"]), (g.nodes[v]["lon"], g.nodes[v]["lat"])
    ]
    return [float(p[0]) for p in points], [float(p[1]) for p in points]


def plot_plan_map(
    g: nx.Graph, result: PlanResult, path: str | Path, title: str | None = None
) -> Path:
    """Map of a planning result on a scenario graph (nodes need ``lon``/``lat``): segment width
    and colour by flow, attacked segments red, defended segments blue, country outlines."""
    if not all("lon" in d and "lat" in d for _, d in g.nodes(data=True)):
        raise ValueError("the graph has no lon/lat node coordinates to map")
    fig, ax = plt.subplots(figsize=(9, 7.5))
    points = [(d["lon"], d["lat"]) for _, d in g.nodes(data=True)] + [
        p for u, v, _, data in edge_records(g) for p in zip(*_edge_line(g, u, v, data),
                                                             strict=True)]
    west, south, east, north = extent_of(points)
    pad = 1.5
    x_lim, y_lim = (west - pad, east + pad), (south - pad, north + pad)
    for name, polys in _countries(x_lim, y_lim):
        for poly in polys:
            x, y = poly.exterior.xy
            ax.fill(x, y, facecolor="#f3f1ea", edgecolor="#9a9a9a", linewidth=0.7, zorder=0)
        c = (
            polys[0].representative_point()
            if len(polys) == 1
            else max(polys, key=lambda p: p.area).representative_point()
        )
        if x_lim[0] < c.x < x_lim[1] and y_lim[0] < c.y < y_lim[1]:
            ax.text(c.x, c.y, name, color="#9a9a9a", fontsize=8, ha="center", zorder=1)
    top = max([*result.flows.values(), 1e-9])
    cmap = plt.get_cmap("viridis_r")
    attacked, defended = set(result.attack), set(result.defence)
    for u, v, key, data in edge_records(g):
        label = edge_label(g, u, v, key)
        flow = float(result.flows.get(label, 0.0))
        line = _edge_line(g, u, v, data)
        mx, my = line[0][len(line[0]) // 2], line[1][len(line[1]) // 2]
        if label in defended:  # short segments need the marker to be seen
            ax.plot(
                *line, color="#1f5fbf", linewidth=9, alpha=0.35, zorder=2, solid_capstyle="round"
            )
            ax.plot(
                mx,
                my,
                marker="P",
                color="#1f5fbf",
                markersize=13,
                zorder=5,
                markeredgecolor="white",
            )
        color = cmap(0.15 + 0.85 * flow / top) if flow > 1e-9 else "#bbbbbb"
        ax.plot(
            *line, color=color, linewidth=1.5 + 5 * flow / top, zorder=3, solid_capstyle="round"
        )
        if label in attacked:
            ax.plot(*line, color="#d62728", linewidth=2, linestyle=(0, (2, 2)), zorder=4)
            ax.plot(
                mx,
                my,
                marker="X",
                color="#d62728",
                markersize=13,
                zorder=5,
                markeredgecolor="white",
            )
    for n, d in g.nodes(data=True):  # a closed or escorted node capacity (border post, depot)
        for labels, colour, mark in ((defended, "#1f5fbf", "P"), (attacked, "#d62728", "X")):
            if f"node:{n}" in labels:
                ax.plot(d["lon"], d["lat"], marker=mark, color=colour, markersize=16, zorder=8,
                        markeredgecolor="white", linestyle="none")
    for n, d in g.nodes(data=True):
        kind = d.get("kind")
        marker = {"port": "s", "city": "*", "border": "D"}.get(kind, "o")
        size = {"port": 9, "city": 18, "border": 5}.get(kind, 4)
        ax.plot(
            d["lon"],
            d["lat"],
            marker=marker,
            color="black",
            markersize=size,
            zorder=6,
            linestyle="none",
        )
        if kind in ("port", "city"):
            ax.annotate(
                d.get("name", str(n)),
                (d["lon"], d["lat"]),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=9,
                weight="bold",
                zorder=7,
            )
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    handles = [
        Line2D([], [], color=cmap(1.0), linewidth=5, label=f"flow (max {top:,.1f})"),
        Line2D([], [], color="#bbbbbb", linewidth=1.5, label="no flow"),
        Line2D([], [], color="#d62728", marker="X", linestyle=(0, (2, 2)), label="attacked"),
        Line2D([], [], color="#1f5fbf", marker="P", linewidth=9, alpha=0.5, label="defended"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    headline = f"{result.problem}: {result.objective:,.4g} {result.unit}"
    ax.set_title(title or headline, fontsize=11)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def plot_loss_curve(curve: LossCurve, path: str | Path, title: str | None = None) -> Path:
    """Step chart of the max flow left (and share lost) against the adversary's budget."""
    df = curve.to_frame()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.step(df["budget"], df["max_flow"], where="post", color="#1f77b4", linewidth=2)
    ax.plot(df["budget"], df["max_flow"], "o", color="#1f77b4")
    for b, f, attack in zip(df["budget"], df["max_flow"], df["attack"], strict=True):
        if attack:
            ax.annotate(
                attack.replace(", ", "\n"),
                (b, f),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color="#555555",
            )
    ax.set_xlabel("adversary budget (segments cut, cost units)")
    ax.set_ylabel("max flow to the city (tanker/day)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_title(title or "Max-flow interdiction loss curve")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def plot_escort_check(sim: dict, path: str | Path, title: str | None = None) -> Path:
    """The escort plan's check (``simulate_escort_plan``): tankers lost per day without and
    with the plan, simulated and predicted (7-day means), and the tankers saved so far with
    the simulation's paired 90% interval against the prediction."""
    daily = sim["daily"]
    days = np.arange(1, len(daily["simulated_without"]) + 1)

    def smooth(values: list[float]) -> np.ndarray:
        """Centred 7-day mean over the days there are (no zeros padded at the ends)."""
        v = np.asarray(values, dtype=float)
        kernel = np.ones(min(7, len(v)))
        return (np.convolve(v, kernel, mode="same")
                / np.convolve(np.ones_like(v), kernel, mode="same"))

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for key, colour, label in (("without", "#d62728", "without escorts"),
                               ("with", "#1f77b4", "with the plan")):
        top.plot(days, smooth(daily[f"simulated_{key}"]), color=colour, linewidth=2,
                 label=f"{label}: simulated")
        top.plot(days, smooth(daily[f"predicted_{key}"]), color=colour, linestyle="--",
                 label=f"{label}: predicted")
    top.set_ylabel("tankers lost per day (7-day mean)")
    top.set_ylim(bottom=0)
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    lo, hi = np.asarray(daily["saved_simulated_90"], dtype=float).T
    bottom.fill_between(days, lo, hi, color="#2ca02c", alpha=0.25,
                        label="simulated, paired 90% interval")
    bottom.plot(days, daily["saved_simulated"], color="#2ca02c", linewidth=2, label="simulated")
    bottom.plot(days, daily["saved_predicted"], color="black", linestyle="--",
                label="predicted from the run without escorts")
    bottom.set_xlabel("day")
    bottom.set_ylabel("tankers saved so far by the plan")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    fig.suptitle(title or (f"Escort plan against no escorts: {sim['replications']} paired "
                           f"replications, seed {sim['seed']}"))
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out
