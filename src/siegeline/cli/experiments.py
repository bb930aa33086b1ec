"""`siegeline sensitivity` and `siegeline sweep`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from siegeline.cli.common import (
    UserError,
    backend_option,
    choice_option,
    console,
    days_option,
    friendly_errors,
    output_option,
    print_table,
    replications_option,
    scenario_argument,
    seed_option,
    set_option,
    store_option,
)

if TYPE_CHECKING:
    from rich.progress import Progress

PARAM_HELP = ("Parameter to vary: path=low:high (e.g. --param adversary.intensity=0.5:2). "
              "Repeatable.")
METRIC_HELP = ("Output to analyse (repeatable), e.g. tankers_lost; an unknown name lists the "
               "choices.")
DEFAULT_METRICS = ["days_in_stockout", "tankers_lost", "delivered_litres"]
DAYS_HELP = "Horizon in days of each model run (default: the scenario's)."
SEED_HELP = "Root random seed of the design and the runs."
METHODS = ("sobol", "morris")  # as siegeline.experiments.sensitivity.METHODS


def _progress(label: str, unit: str) -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(),
                    TextColumn(f"{{task.completed}}/{{task.total}} {unit}"), TimeElapsedColumn(),
                    console=console, transient=True)


@friendly_errors
def sensitivity(
    scenario: str = scenario_argument(),
    param: list[str] = typer.Option(..., "--param", "-p", help=PARAM_HELP),
    metric: list[str] = typer.Option(DEFAULT_METRICS, "--metric", "-m", help=METRIC_HELP),
    method: str = choice_option("sobol", "--method", kind="method", choices=METHODS,
                               help="Sobol indices or Morris screening."),
    samples: int = typer.Option(256, "--samples", "-N", min=2, help="Sobol: base sample N "
                                "(rounded up to a power of 2; N·(D+2) runs). Morris: "
                                "trajectories (N·(D+1) runs)."),
    replications: int = replications_option(1, "Replications averaged per design point."),
    days: int | None = days_option(DAYS_HELP),
    seed: int = seed_option(0, SEED_HELP),
    chunk: int = typer.Option(5000, "--chunk", min=1, help="Engine replications per call "
                              "(bounds memory: about replications × days × 60 numbers)."),
    backend: str = backend_option(),
    set_: list[str] = set_option("Fixed override path=value. Repeatable."),
    output: Path = output_option(Path("siegeline-sensitivity"),
                                 "Folder for the CSV of indices and the PNG charts."),
) -> None:
    """Sobol (or Morris) sensitivity of chosen outputs to scenario parameters."""
    from siegeline.experiments.designs import check_ranges, parse_param
    from siegeline.experiments.evaluate import check_metrics
    from siegeline.experiments.sensitivity import run_sensitivity, sensitivity_chart
    from siegeline.scenario.loader import load_scenario

    reps, out = replications, output
    sc = load_scenario(scenario, set_)
    ranges = [parse_param(p) for p in param]
    check_ranges(sc, ranges)
    metrics = check_metrics(metric)
    with _progress(f"{method} design on {sc.name}", "design points") as bar:
        task = bar.add_task("", total=None)
        result = run_sensitivity(sc, ranges, metrics, method=method, n=samples, reps=reps,
                                 days=days, seed=seed, chunk_points=chunk, backend=backend,
                                 progress=lambda d, t: bar.update(task, completed=d, total=t))
    if result.indices.empty:
        raise UserError("no chosen output varied over the design; nothing to analyse")
    cols = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
            else ["mu_star", "mu_star_conf", "sigma", "mu"])
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{method}-indices.csv"
    result.indices.to_csv(csv, index=False)
    for name, frame in result.indices.groupby("metric", sort=False):
        t = Table(title=f"{method.capitalize()} indices of {name} ({result.engine_rows:,} model "
                        f"runs × {reps} replication(s); ± = 95% CI half-width)")
        t.add_column("parameter")
        for c in cols:
            if not c.endswith("_conf"):
                t.add_column(c, justify="right")
        # Ranked as the method ranks: Sobol by total index, Morris screening by mu*.
        rank = "ST" if method == "sobol" else "mu_star"
        for row in frame.sort_values(rank, ascending=False).itertuples(index=False):
            vals = row._asdict()
            cells = [f"{vals[c]:.3f} ± {vals[c + '_conf']:.3f}" if f"{c}_conf" in cols
                     else f"{vals[c]:.3g}" for c in cols if not c.endswith("_conf")]
            t.add_row(str(vals["parameter"]), *cells)
        print_table(t, whole=("parameter",))
        png = sensitivity_chart(result, str(name), out / f"{method}-{name}.png")
        console.print(f"Wrote {png}", soft_wrap=True)
    dropped = [m for m in metrics if m not in set(result.indices["metric"])]
    if dropped:
        console.print(f"[yellow]No variance, not analysed:[/] {', '.join(dropped)}")
    console.print(f"Wrote {csv}. Each design point is one stochastic replication"
                  f"{' (mean of ' + str(reps) + ')' if reps > 1 else ''}: indices include the "
                  "model's noise.")


@friendly_errors
def sweep(
    scenario: str = scenario_argument(),
    param: list[str] = typer.Option(..., "--param", "-p", help=PARAM_HELP),
    grid: int | None = typer.Option(None, "--grid", min=2, help="Full grid, LEVELS per "
                                    "parameter."),
    samples: int | None = typer.Option(None, "--samples", "-N", min=1,
                                       help="Latin hypercube of N points (default 64)."),
    metric: list[str] = typer.Option(DEFAULT_METRICS, "--metric", "-m", help=METRIC_HELP),
    replications: int = replications_option(20, "Replications per design point."),
    days: int | None = days_option(DAYS_HELP),
    seed: int = seed_option(0, SEED_HELP),
    chunk: int = typer.Option(16, "--chunk", min=1, help="Design points per Dask task."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of a running Dask "
                                         "scheduler (default: start a LocalCluster)."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="LocalCluster worker processes (default: cores)."),
    max_chunks: int | None = typer.Option(None, "--max-chunks", min=1, help="Stop after this "
                                          "many new chunks; rerun the same command to resume."),
    backend: str = backend_option(),
    set_: list[str] = set_option("Fixed override path=value. Repeatable."),
    store: Path | None = store_option(),
) -> None:
    """Run a grid or sampled design on a Dask cluster, storing each finished chunk.

    Rerunning the same command resumes an interrupted sweep without recomputing finished chunks.
    """
    from siegeline.experiments.designs import (
        check_ranges,
        grid_design,
        parse_param,
        sample_design,
    )
    from siegeline.experiments.evaluate import check_metrics
    from siegeline.experiments.sweep import SweepSpec, load_sweep, run_sweep
    from siegeline.results import ResultStore
    from siegeline.scenario.loader import load_scenario

    reps = replications
    sc = load_scenario(scenario, set_)
    ranges = [parse_param(p) for p in param]
    check_ranges(sc, ranges)
    metrics = check_metrics(metric)
    if grid is not None and samples is not None:
        raise UserError("choose either --grid or --samples")
    design = grid_design(ranges, grid) if grid else sample_design(ranges, samples or 64, seed)
    spec = SweepSpec(sc, design, tuple(metrics), reps=reps, days=days, seed=seed,
                     chunk_points=chunk, backend=backend)
    st = ResultStore(store)
    console.print(f"Sweep [bold]{spec.sweep_id}[/]: {len(design)} points × {reps} replications "
                  f"in {spec.n_chunks} chunks.")
    with _progress("sweep", "chunks stored") as bar:
        task = bar.add_task("", total=spec.n_chunks)
        outcome = run_sweep(spec, store=st, scheduler=scheduler, workers=workers,
                            max_chunks=max_chunks,
                            progress=lambda d, t: bar.update(task, completed=d, total=t))
    console.print(f"Computed {len(outcome.computed)} chunk(s), {len(outcome.skipped)} already "
                  f"stored, in {outcome.seconds:.1f} s.")
    if not outcome.complete:
        console.print("[yellow]Sweep not complete:[/] rerun the same command to resume.")
        return
    frame = load_sweep(st, outcome.sweep_id)
    means = frame.groupby(level="point").agg({**{p.path: "first" for p in ranges},
                                              **{m: "mean" for m in metrics}})
    t = Table(title=f"Mean over {reps} replications per point (first {min(len(means), 20)} of "
                    f"{len(means)} points; all in table sweep_results of {st.path})")
    for col in means.columns:
        t.add_column(col, justify="right")
    for row in means.head(20).itertuples(index=False):
        t.add_row(*[f"{v:,.0f}" if abs(v) >= 1e5 else f"{v:,.4g}" for v in row])
    print_table(t)
