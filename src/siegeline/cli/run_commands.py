"""`siegeline run | runs | summary | plot`."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from siegeline.cli.common import (
    ENGINES,
    UserError,
    backend_option,
    choice_option,
    console,
    days_option,
    friendly_errors,
    output_option,
    print_table,
    replications_option,
    run_id_argument,
    run_not_found,
    scenario_argument,
    seed_option,
    set_option,
    store_option,
)

if TYPE_CHECKING:
    import numpy as np

    from siegeline.results import SimulationResult


def _band(values: np.ndarray, fmt: str = "{:,.1f}") -> str:
    import numpy as np

    lo, med, hi = np.quantile(values, [0.05, 0.5, 0.95])
    return f"{fmt.format(med)}  [{fmt.format(lo)} – {fmt.format(hi)}]"


def print_summary(result: SimulationResult) -> None:
    """The run's headline figures: median and 90% band over replications."""
    import numpy as np

    from siegeline.results import NEVER

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
    for prod in ds["product"].values:
        t.add_row(f"informal price {prod} ({result.price_unit})", *[
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
    scenario: str = scenario_argument(),
    replications: int | None = replications_option(),
    days: int | None = days_option(),
    seed: int | None = seed_option(),
    set_: list[str] = set_option(),
    engine: str = choice_option("vectorized", "--engine", kind="engine", choices=ENGINES,
                               help="Engine: vectorized (fast) or reference (event level)."),
    backend: str = backend_option(),
    parquet: Path | None = typer.Option(None, "--parquet", help="Also write outputs here."),
    plots: Path | None = typer.Option(None, "--plots", help="Write the PNG fan charts into "
                                      "this folder (as `plot -o` does)."),
    store: Path | None = store_option(),
    no_store: bool = typer.Option(False, "--no-store", help="Do not save to the store."),
    label: str = typer.Option("", "--label", help="A note kept with the stored run."),
    traces: Path | None = typer.Option(None, "--traces", help="Reference engine: write "
                                       "per-convoy and per-attack traces (CSV, Parquet) here."),
) -> None:
    """Run a scenario's Monte Carlo replications and print the headline figures."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from siegeline.engines import simulate
    from siegeline.engines.reference.traces import record_traces
    from siegeline.results import ResultStore
    from siegeline.scenario.loader import load_raw, load_scenario, timeline_overridden

    if traces and engine != "reference":
        raise UserError("--traces needs --engine reference (the vectorized engine has no "
                        "per-convoy events)")
    sc = load_scenario(scenario, set_)
    for path in timeline_overridden(load_raw(scenario), set_):
        console.print(f"[yellow]note:[/] --set {path} holds for the whole run: it replaces the "
                      "scenario timeline's changes of it.", markup=True)
    n = replications or sc.simulation.replications
    with Progress(TextColumn("[bold]simulating[/] {task.description}"), BarColumn(),
                  TextColumn("day {task.completed}/{task.total}"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar, \
            (record_traces() if traces else contextlib.nullcontext()) as recorded:
        task = bar.add_task(f"{sc.name}, {n} replications ({engine})",
                            total=days or sc.simulation.horizon_days)
        result = simulate(sc, engine=engine, replications=replications, days=days,
                          seed=seed, backend=backend,
                          progress=lambda done, total: bar.update(task, completed=done))
    result.set_currency(sc.currency)
    print_summary(result)
    console.print(f"[dim]{result.metadata['elapsed_seconds']:.2f} s of simulation "
                  f"({engine} engine, seed {result.metadata['seed']}).[/]")
    if not no_store:
        result.metadata["scenario_overrides"] = json.dumps(set_)  # as the web server keeps them
        st = ResultStore(store)
        run_id = st.save(result, sc.model_dump_json(), label=label)
        console.print(f"Saved run [bold]{run_id}[/] to {st.path}", soft_wrap=True)
    if parquet:
        console.print(f"Wrote {result.save_parquet(parquet)}", soft_wrap=True)
    if plots:
        _write_charts(result, plots)
    if traces:
        for p in recorded.write(traces):
            console.print(f"Wrote {p}", soft_wrap=True)


def _write_charts(result: SimulationResult, folder: Path) -> None:
    """The standard charts, written into ``folder`` itself (by `run --plots` and `plot -o`)."""
    from siegeline.results.plots import standard_charts

    for p in standard_charts(result, folder):
        console.print(f"Wrote {p}", soft_wrap=True)


RUN_ID_COLUMNS = ("run_id", "scenario_name")  # values a user copies: never cut


@friendly_errors
def runs(store: Path | None = store_option()) -> None:
    """List stored runs (piped: full ids, never cut)."""
    from siegeline.results import ResultStore

    frame = ResultStore(store).list_runs()
    if frame.empty:
        console.print("No stored runs yet: `siegeline run` stores one.")
        return
    t = Table(title="Stored runs")
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    print_table(t, whole=RUN_ID_COLUMNS)


def load_stored(run_id: str, store: Path | None) -> SimulationResult:
    from siegeline.results import ResultStore, RunNotFound

    try:
        return ResultStore(store).load(run_id)
    except RunNotFound as exc:
        raise run_not_found(exc, store) from None


@friendly_errors
def plot(
    run_id: str = run_id_argument(),
    output: Path | None = output_option(None, "Folder for the PNGs (default "
                                        "siegeline-plots/RUN_ID)."),
    store: Path | None = store_option(),
) -> None:
    """Write PNG fan charts and the stockout-probability curve of a stored run.

    Charts: days of cover, stations open, queue wait, informal price, electricity, deliveries.
    They go into the folder given (as `run --plots DIR` does), by default siegeline-plots/RUN_ID.
    """
    result = load_stored(run_id, store)
    _write_charts(result, output or Path("siegeline-plots") / str(result.run_id))


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, infinity) as None: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if hasattr(value, "item"):  # a NumPy scalar
        return strict_json(value.item())
    return value


@friendly_errors
def summary(
    run_id: str = run_id_argument(),
    store: Path | None = store_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the summary table as JSON "
                                 "(null where a value does not apply)."),
) -> None:
    """Print the headline figures of a stored run."""
    result = load_stored(run_id, store)
    if as_json:
        rows = strict_json(result.summary().to_dict(orient="records"))
        typer.echo(json.dumps(rows, allow_nan=False))
    else:
        print_summary(result)
