"""`siegeline calibrate`: condition a scenario on an observation log (ABC-SMC)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from siegeline.cli.common import (
    UserError,
    console,
    friendly_errors,
    output_option,
    print_table,
    scenario_argument,
    seed_option,
)

if TYPE_CHECKING:
    from siegeline.scenario.schema import Scenario

PPC_REPLICATIONS = 500
LOG_HELP = ("Observation log: a CSV file or a packaged log name (default: the one the "
            "scenario names in its `observations` field).")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--until {value!r} is not a date (YYYY-MM-DD)") from None


@contextmanager
def _dask(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client for --scheduler ADDRESS or a local cluster of --workers processes (None
    when neither is given), closed with its cluster on the way out."""
    if scheduler is None and workers is None:
        yield None
        return
    if scheduler is not None and workers is not None:
        raise UserError("give --scheduler (an existing cluster) or --workers (a local one), "
                        "not both")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _require_pyabc(command: str) -> None:
    import importlib.util

    if importlib.util.find_spec("pyabc") is None:
        raise UserError(f"{command} needs pyabc: pip install -e '.[calibrate]'")


def _observation_log(name: str):
    """The observation log (a file or a packaged name); a bad one is a one-line user error."""
    from siegeline.observations.log import ObservationLogError, load_log

    try:
        return load_log(name)
    except (ObservationLogError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None


def log_name(given: str | None, scenario: Scenario | None) -> str | None:
    """The log a command reads: --observations when given (a file as an absolute path, so a
    scenario written elsewhere still finds it), else the scenario's own; None when neither
    names one."""
    from siegeline.observations.log import PACKAGED

    if given is None:
        return scenario.observations if scenario is not None else None
    return given if given in PACKAGED or given == "none" else str(Path(given).resolve())


def required_log(given: str | None, scenario: Scenario | None, label: str) -> str:
    """:func:`log_name` for a command that cannot go without a log: a one-line error."""
    name = log_name(given, scenario)
    if name is None:
        raise UserError(f"{label} names no observation log: pass --observations LOG")
    return name


@friendly_errors
def calibrate(
    scenario: str = scenario_argument(),
    observations: str | None = typer.Option(None, "--observations", help=LOG_HELP),
    until: str = typer.Option(..., "--until", metavar="DATE", help="Last date of the log used "
                              "(YYYY-MM-DD); later observations are the out-of-sample check."),
    output: Path = output_option(Path("calibrated.yaml"), "Calibrated scenario to write "
                                 "(YAML); state, tables and figures go to <OUTPUT stem>"
                                 ".calibration/."),
    budget: int = typer.Option(20_000, "--budget", "-b", min=40, help="Most replications "
                               "simulated in all (a larger one resumes a finished calibration "
                               "further)."),
    population: int = typer.Option(500, "--population", min=20, help="Particles per "
                                   "generation."),
    param: list[str] = typer.Option([], "--param", "-p", help="Parameter path to calibrate "
                                    "(repeatable; default: the ranges the data inform, "
                                    "screened from the prior, at most 10)."),
    seed: int = seed_option(0),
    scheduler: str | None = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                         help="Dask scheduler to run the simulations on "
                                         "(e.g. tcp://10.0.0.5:8786)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Run the simulations "
                                       "on a local Dask cluster of this many processes."),
    national_share: float = typer.Option(1.0, "--national-share", min=0.0, help="Share of "
                                         "national imports that the model's demand stands for."),
) -> None:
    """Calibrate SCENARIO's uncertain ranges to the observations up to --until (ABC-SMC on the
    vectorized engine); OUTPUT samples the posterior in `siegeline run`."""
    import yaml
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from siegeline.calibration import CalibrationSettings
    from siegeline.calibration import calibrate as run_calibration
    from siegeline.calibration.plots import prior_posterior_figure
    from siegeline.calibration.smc import posterior_scenario
    from siegeline.scenario.loader import load_scenario

    _require_pyabc("calibrate")
    last = _date(until)
    sc = load_scenario(scenario)
    observations = required_log(observations, sc, scenario)
    log = _observation_log(observations)
    settings = CalibrationSettings(population=population, budget=budget, seed=seed,
                                   params=tuple(param), national_share=national_share)
    folder = output.with_name(output.stem + ".calibration")
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:,.0f}/{task.total:,.0f} replications"),
               TimeElapsedColumn())
    try:
        with _dask(scheduler, workers) as client, \
                Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("generation 0 (prior)", total=budget)

            def progress(sim: int, total: int, gen: int, eps: float | None, acc: int) -> None:
                what = ("generation 0 (prior)" if eps is None
                        else f"generation {gen}, ε {eps:.3g}, accepted {acc}/{population}")
                bar.update(task, completed=sim, description=what)

            result = run_calibration(sc, log, last, settings, folder, client, progress)
    except KeyboardInterrupt:
        console.print(f"[yellow]Interrupted.[/] Completed generations are kept in {folder}; "
                      "run the same command again to resume.", soft_wrap=True)
        raise typer.Exit(130) from None
    if result.resumed_from:
        console.print(f"Resumed after generation {result.resumed_from - 1} from {folder}.",
                      soft_wrap=True)
    data = posterior_scenario(sc, result, observations, last, settings)
    data["observations"] = observations  # the calibrated case keeps the log it was fitted to
    output.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    written = [output, *_tables(result, folder),
               prior_posterior_figure(result, folder / "prior-posterior.png"),
               *_predictive_check(data, log, last, folder, national_share, seed)]
    _print_history(result)
    _print_parameters(result)
    for warning in result.warnings:
        console.print(f"[yellow]Warning:[/] {warning}", soft_wrap=True)
    for path in written:
        console.print(f"Wrote {path}", soft_wrap=True)
    console.print(f"Stopped: {result.stopped}. `siegeline run {output}` samples the posterior.",
                  soft_wrap=True)


def _tables(result, folder: Path) -> list[Path]:
    paths = [folder / "history.csv", folder / "parameters.csv"]
    result.history().to_csv(paths[0], index=False)
    result.parameters().to_csv(paths[1], index=False)
    if result.screening is not None:
        paths.append(folder / "screening.csv")
        result.screening.to_csv(paths[-1], index=False)
    return paths


def _predictive_check(data: dict, log, last: dt.date, folder: Path, national_share: float,
                      seed: int) -> list[Path]:
    """Posterior predictive check against the whole log: record tables and figures, with the
    observations after --until marked out of sample."""
    from siegeline.cli.record import print_coverage, write_tables
    from siegeline.engines import simulate
    from siegeline.observations.plots import record_figures
    from siegeline.observations.record import RecordContext, compare
    from siegeline.scenario.loader import validate_scenario

    cal = validate_scenario(data, "calibrated scenario")
    result = simulate(cal, replications=PPC_REPLICATIONS, seed=seed)
    rec = compare(result, log, RecordContext.from_scenario(cal, national_share))
    rec.table["sample"] = ["in" if end <= last else "out" for end in rec.table["end"]]
    out = folder / "ppc"
    paths = [*write_tables(rec, out, f"Posterior predictive check (data to {last})"),
             *record_figures(result, rec, out)]
    print_coverage(rec, f"Posterior predictive check ({PPC_REPLICATIONS} replications)")
    late = rec.table[rec.table["sample"] == "out"]
    if len(late):
        console.print(f"Out of sample (after {last}): {int(late['in_90'].sum())} of {len(late)} "
                      "observations inside the 90% band.", soft_wrap=True)
    return paths


def _print_history(result) -> None:
    t = Table(title="ABC-SMC generations")
    for col in ("generation", "ε", "simulated", "acceptance", "ESS"):
        t.add_column(col, justify="right")
    for row in result.history().itertuples():
        t.add_row(str(row.generation), f"{row.epsilon:.3g}", f"{row.simulated:,}",
                  f"{row.acceptance_rate:.1%}", f"{row.ess:.0f}")
    print_table(t)


def _print_parameters(result) -> None:
    t = Table(title="Calibrated parameters (posterior 5-95%)")
    t.add_column("parameter", no_wrap=True)
    for col in ("prior", "posterior", "median", "shrinkage", "bound"):
        t.add_column(col, justify="right")
    for row in result.parameters().itertuples():
        t.add_row(row.parameter, f"{row.prior_low:.3g}-{row.prior_high:.3g}",
                  f"{row.post_p05:.3g}-{row.post_p95:.3g}", f"{row.post_median:.3g}",
                  f"{row.shrinkage:.0%}", row.on_bound)
    print_table(t, whole=("parameter",))


DEFAULT_ORIGINS = ("2025-09-30", "2025-10-15", "2025-10-31", "2025-11-15")


@friendly_errors
def backtest(
    scenario: str = scenario_argument(),
    observations: str | None = typer.Option(None, "--observations", help=LOG_HELP),
    origin: list[str] = typer.Option(list(DEFAULT_ORIGINS), "--origin", metavar="DATE",
                                     help="Forecast origin (repeatable): calibrate to the log "
                                     "up to it, forecast the horizon after it."),
    horizon: int = typer.Option(31, "--horizon", min=1, max=365, help="Days forecast after "
                                "each origin (31: a whole month after a month's end)."),
    output: Path = output_option(Path("siegeline-backtest"), "Folder for backtest.csv, "
                                 "backtest.md, the figure and each origin's calibration."),
    budget: int = typer.Option(20_000, "--budget", "-b", min=40, help="Most replications "
                               "simulated per origin's calibration."),
    population: int = typer.Option(500, "--population", min=20, help="Particles per "
                                   "generation."),
    reps: int = typer.Option(500, "--replications", "-n", "--reps", min=10, max=100_000,
                             help="Replications of each forecast."),
    seed: int = seed_option(0),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Run the simulations "
                                       "on a local Dask cluster of this many processes."),
    national_share: float = typer.Option(1.0, "--national-share", min=0.0, help="Share of "
                                         "national imports that the model's demand stands for."),
) -> None:
    """Rolling-origin backtest: calibrated vs prior vs persistence forecasts, scored by CRPS
    and band coverage on the observations after each origin."""
    from siegeline.calibration import CalibrationSettings
    from siegeline.calibration.backtest import backtest as run_backtest
    from siegeline.calibration.plots import backtest_figure
    from siegeline.cli.record import _markdown
    from siegeline.scenario.loader import load_scenario

    _require_pyabc("backtest")
    origins = sorted({_date(o) for o in origin})
    sc = load_scenario(scenario)
    observations = required_log(observations, sc, scenario)
    log = _observation_log(observations)
    settings = CalibrationSettings(population=population, budget=budget, seed=seed,
                                   national_share=national_share)
    output.mkdir(parents=True, exist_ok=True)
    try:
        with _dask(None, workers) as client, console.status("backtest") as status:
            def progress(sim: int, total: int, gen: int, eps: float | None, acc: int) -> None:
                status.update(f"calibrating: generation {gen}, {sim:,}/{total:,} replications")

            result = run_backtest(sc, log, origins, horizon, settings, output, reps, client,
                                  progress)
    except KeyboardInterrupt:
        console.print(f"[yellow]Interrupted.[/] Each origin's completed generations are kept "
                      f"in {output}; run the same command again to resume.", soft_wrap=True)
        raise typer.Exit(130) from None
    summary = result.summary()
    csv_path, md_path = output / "backtest.csv", output / "backtest.md"
    result.table.to_csv(csv_path, index=False)
    md_path.write_text("\n".join([
        f"# Backtest of {sc.name} against {observations} (horizon {horizon} days)", "",
        "## Summary", "", _markdown(summary), "", "## Scored observations", "",
        _markdown(result.table), ""]), encoding="utf-8")
    fig = backtest_figure(result.table, output / "backtest-crps.png")
    t = Table(title=f"Backtest: {len(origins)} origins, {len(result.table)} forecasts scored")
    for col in ("method", "scored", "mean relative CRPS", "in 50%", "in 90%"):
        t.add_column(col, justify="right" if col != "method" else "left")
    for row in summary.itertuples():
        cov = ("", "") if row.method == "persistence" else (f"{row.in_50:.0%}", f"{row.in_90:.0%}")
        t.add_row(row.method, str(row.scored), f"{row.mean_relative_crps:.3f}", *cov)
    print_table(t)
    for path in (csv_path, md_path, fig):
        console.print(f"Wrote {path}", soft_wrap=True)


@friendly_errors
def forecast(
    scenario: str = scenario_argument("Packaged scenario name or YAML/JSON file (a calibrated "
                                      "one samples its posterior)."),
    origin: str = typer.Option(..., "--from", metavar="DATE", help="Forecast origin "
                               "(YYYY-MM-DD): the last day of data the scenario was "
                               "conditioned on."),
    days: int = typer.Option(30, "--days", "-d", min=1, max=3650, help="Days forecast after "
                             "the origin."),
    observations: str | None = typer.Option(None, "--observations", help="Observation log "
                                            "overlaid on the charts (a CSV file or packaged "
                                            "name; 'none' for no overlay). Default: the one "
                                            "the scenario names; none if it names none."),
    output: Path = output_option(Path("siegeline-forecast"), "Folder for forecast.csv, "
                                 "forecast.md and the charts."),
    reps: int | None = typer.Option(None, "--replications", "-n", "--reps", min=1,
                                    max=1_000_000, help="Replications (default: the "
                                    "scenario's)."),
    seed: int | None = seed_option(),
    national_share: float = typer.Option(1.0, "--national-share", min=0.0, help="Share of "
                                         "national imports that the model's demand stands for."),
) -> None:
    """Forecast every observable kind from a date: fan charts with the reports overlaid, a
    table, and the probability of a stockout by product."""
    from siegeline.cli.record import _markdown
    from siegeline.forecast import forecast as run_forecast
    from siegeline.forecast.plots import forecast_figures
    from siegeline.scenario.loader import load_scenario

    start = _date(origin)
    sc = load_scenario(scenario)
    observations = log_name(observations, sc)
    log = _observation_log(observations) if observations not in (None, "none") else None
    overlay = (f"Reports of the observation log {observations} overlaid." if log is not None
               else f"No reports overlaid: {scenario} names no observation log (pass "
               "--observations LOG)." if observations is None else "No reports overlaid.")
    with console.status("simulating"):
        fc = run_forecast(sc, start, days, replications=reps, seed=seed)
    output.mkdir(parents=True, exist_ok=True)
    summary = fc.horizon_summary()
    csv_path, md_path = output / "forecast.csv", output / "forecast.md"
    fc.table.to_csv(csv_path, index=False)
    posterior = ("posterior of " + sc.posterior.method if sc.posterior is not None
                 else "prior ranges (not calibrated)")
    md_path.write_text("\n".join([
        f"# Forecast of {sc.name} from {start} for {days} days", "",
        f"{fc.result.replications} replications; parameters from the {posterior}. {overlay}",
        "",
        "## Over the forecast window", "", _markdown(summary), ""]), encoding="utf-8")
    figures = forecast_figures(fc, output, log, national_share)
    t = Table(title=f"Forecast {start} + {days} days ({fc.result.replications} replications)")
    for col in ("what", "statistic", "unit", "median", "50% band", "90% band"):
        t.add_column(col, justify="left" if col in ("what", "statistic", "unit") else "right")
    for row in summary.itertuples():
        if row.kind == "stockout":
            t.add_row(row.what, row.statistic, row.unit, f"{row.p50:.0%}", "", "")
        else:
            t.add_row(row.what, row.statistic, row.unit, f"{row.p50:,.3g}",
                      f"{row.p25:,.3g}-{row.p75:,.3g}", f"{row.p05:,.3g}-{row.p95:,.3g}")
    print_table(t, whole=("what",))
    console.print(overlay, soft_wrap=True)
    for path in (csv_path, md_path, *figures):
        console.print(f"Wrote {path}", soft_wrap=True)
