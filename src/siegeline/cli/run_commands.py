"""`siegeline run | runs | plot`."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from siegeline.cli.common import UserError, console, friendly_errors
from siegeline.engines import simulate
from siegeline.engines.reference.traces import record_traces
from siegeline.results import NEVER, ResultStore, RunNotFound, SimulationResult
from siegeline.results.plots import standard_charts
from siegeline.scenario.loader import load_raw, load_scenario, timeline_overridden

STORE_OPTION = typer.Option(None, "--store", help="Results store (default "
                            "./siegeline-runs/siegeline.duckdb or $SIEGELINE_STORE).")


def _band(values: np.ndarray, fmt: str = "{:,.1f}") -> str:
    lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95])
    return f"{fmt.format(med)}  [{fmt.format(lo)} – {fmt.format(hi)}]"


def print_summary(result: SimulationResult) -> None:
    """The run's headline figures: median and 90% band over replications."""
    ds = result.dataset
    days = result.days
    checkpoints = [d for d in (30, 60, 90, 180) if d < days] + [days]
    t = Table(title=f"{result.metadata.get('scenario_name')}: {result.replications} replications "
                    f"× {days} days (median [5% – 95%])", show_lines=False)
    t.add_column("indicator")
    for d in checkpoints:
        t.add_column(f"day {d}", justify="right")
    for prod in ds["product"].values:
        t.add_row(f"days of cover: {prod}", *[
            _band(ds["cover_days"].sel(product=prod).values[:, d - 1]) for d in checkpoints])
    p_any = result.stockout_probability()
    t.add_row("P(stockout by day), any product", *[f"{p_any.iloc[d - 1]:.0%}"
                                                   for d in checkpoints])
    t.add_row("stations open", *[_band(ds["stations_open"].values[:, d - 1], "{:,.0f}")
                                 for d in checkpoints])
    t.add_row("queue wait (h)", *[_band(ds["queue_wait_hours"].values[:, d - 1])
                                  for d in checkpoints])
    for prod in ("gasoline", "diesel"):
        if prod in ds["product"].values:
            t.add_row(f"informal price {prod} (FCFA/L)", *[
                _band(ds["informal_price"].sel(product=prod).values[:, d - 1], "{:,.0f}")
                for d in checkpoints])
    t.add_row("electricity (h/day)", *[_band(ds["electricity_hours"].values[:, d - 1])
                                       for d in checkpoints])
    lost = ds["tankers_lost"].sum("corridor").values.cumsum(axis=1)
    t.add_row("tankers lost to date", *[_band(lost[:, d - 1], "{:,.0f}") for d in checkpoints])
    delivered = ds["delivered_litres"].sum("product").values.cumsum(axis=1) / 1e6
    t.add_row("delivered to date (million L)", *[_band(delivered[:, d - 1], "{:,.0f}")
                                                 for d in checkpoints])
    console.print(t)
    for prod in [None, *map(str, ds["product"].values)]:
        first = result.first_stockout_day(prod)
        ran_out = first != NEVER
        what = prod or "any product"
        if ran_out.any():
            days_out = first[ran_out]
            console.print(f"First stockout ({what}): {ran_out.mean():.0%} of replications; "
                          f"median day {np.median(days_out):.0f} "
                          f"[5%–95%: {np.quantile(days_out, 0.05):.0f}–"
                          f"{np.quantile(days_out, 0.95):.0f}]")
        else:
            console.print(f"First stockout ({what}): no replication ran out.")
    totals = result.totals()
    console.print(f"Losses over the horizon: {_band(totals['tankers_lost'].values, '{:,.0f}')} "
                  f"tankers, {_band(totals['destroyed_litres'].values / 1e6)} million L burned, "
                  f"{_band(totals['attacks'].values, '{:,.0f}')} attacks, "
                  f"{_band(totals['drivers_kidnapped'].values, '{:,.0f}')} drivers kidnapped or "
                  "killed.")


@friendly_errors
def run(
    scenario: str = typer.Argument("bamako-2025", help="Packaged scenario name or YAML/JSON."),
    reps: int | None = typer.Option(None, "--reps", "-n", min=1, max=1_000_000,
                                    help="Replications (default: the scenario's)."),
    days: int | None = typer.Option(None, "--days", "-d", min=1, max=3650,
                                    help="Horizon in days (default: the scenario's)."),
    seed: int | None = typer.Option(None, "--seed", "-s", min=0, help="Root random seed."),
    set_: list[str] = typer.Option([], "--set", help="Override a field: path=value "
                                   "(e.g. --set escorts.pool_size=30). Repeatable."),
    engine: str = typer.Option("vectorized", "--engine", help="vectorized or reference."),
    backend: str = typer.Option("numpy", "--backend", help="Array backend of the vectorized "
                                "engine: numpy, or jax (GPU when one is visible)."),
    parquet: Path | None = typer.Option(None, "--parquet", help="Also write outputs here."),
    plots: Path | None = typer.Option(None, "--plots", help="Write PNG fan charts here."),
    store: Path | None = STORE_OPTION,
    no_store: bool = typer.Option(False, "--no-store", help="Do not save to the store."),
    label: str = typer.Option("", "--label", help="A note kept with the stored run."),
    traces: Path | None = typer.Option(None, "--traces", help="Reference engine: write "
                                       "per-convoy and per-attack traces (CSV, Parquet) here."),
) -> None:
    """Run a scenario's Monte Carlo replications and print the headline figures."""
    if traces and engine != "reference":
        raise UserError("--traces needs --engine reference (the vectorized engine has no "
                        "per-convoy events)")
    sc = load_scenario(scenario, set_)
    for path in timeline_overridden(load_raw(scenario), set_):
        console.print(f"[yellow]note:[/] --set {path} holds for the whole run: it replaces the "
                      "scenario timeline's changes of it.", markup=True)
    n = reps or sc.simulation.replications
    with Progress(TextColumn("[bold]simulating[/] {task.description}"), BarColumn(),
                  TextColumn("day {task.completed}/{task.total}"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar, \
            (record_traces() if traces else contextlib.nullcontext()) as recorded:
        task = bar.add_task(f"{sc.name}, {n} replications ({engine})",
                            total=days or sc.simulation.horizon_days)
        result = simulate(sc, engine=engine, replications=reps, days=days, seed=seed,
                          backend=backend,
                          progress=lambda done, total: bar.update(task, completed=done))
    print_summary(result)
    console.print(f"[dim]{result.metadata['elapsed_seconds']:.2f} s of simulation "
                  f"({engine} engine, seed {result.metadata['seed']}).[/]")
    if not no_store:
        result.metadata["scenario_overrides"] = json.dumps(set_)  # as the web server keeps them
        st = ResultStore(store)
        run_id = st.save(result, sc.model_dump_json(), label=label)
        console.print(f"Saved run [bold]{run_id}[/] to {st.path}")
    if parquet:
        console.print(f"Wrote {result.save_parquet(parquet)}")
    if plots:
        for p in standard_charts(result, plots):
            console.print(f"Wrote {p}")
    if traces:
        for p in recorded.write(traces):
            console.print(f"Wrote {p}")


@friendly_errors
def runs(store: Path | None = STORE_OPTION) -> None:
    """List stored runs."""
    frame = ResultStore(store).list_runs()
    if frame.empty:
        console.print("No stored runs yet: `siegeline run` stores one.")
        return
    t = Table(title="Stored runs")
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    console.print(t)


def load_stored(run_id: str, store: Path | None) -> SimulationResult:
    try:
        return ResultStore(store).load(run_id)
    except RunNotFound as exc:
        raise UserError(str(exc)) from None


@friendly_errors
def plot(
    run_id: str = typer.Argument("latest", help="Run id (or unique prefix, or 'latest')."),
    out: Path = typer.Option(Path("siegeline-plots"), "--out", "-o", help="Folder for PNGs."),
    store: Path | None = STORE_OPTION,
) -> None:
    """Write PNG fan charts and the stockout-probability curve of a stored run.

    Charts: days of cover, stations open, queue wait, informal price, electricity, deliveries.
    """
    result = load_stored(run_id, store)
    for p in standard_charts(result, out / str(result.run_id)):
        console.print(f"Wrote {p}")


@friendly_errors
def summary(
    run_id: str = typer.Argument("latest", help="Run id (or unique prefix, or 'latest')."),
    store: Path | None = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the summary table as JSON."),
) -> None:
    """Print the headline figures of a stored run."""
    result = load_stored(run_id, store)
    if as_json:
        typer.echo(json.dumps(result.summary().to_dict(orient="records"), default=float))
    else:
        print_summary(result)
