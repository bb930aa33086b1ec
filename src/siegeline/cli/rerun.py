"""`siegeline rerun RUN_ID`: simulate a stored run again and check it is bit-identical."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from siegeline.cli.common import (
    console,
    friendly_errors,
    print_table,
    run_id_argument,
    run_not_found,
    store_option,
)


def _same(then: object, now: object) -> str:
    return "[green]same[/]" if then == now else "[yellow]changed[/]"


@friendly_errors
def rerun(
    run_id: str = run_id_argument(),
    store: Path | None = store_option(),
    save: bool = typer.Option(False, "--save", help="Also store the rerun as a new run."),
) -> None:
    """Re-simulate a stored run from its record (scenario, seed, sizes, engine) and report
    whether the results are bit-identical. Exit status 1 if they differ."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from siegeline.results import ResultStore, RunNotFound
    from siegeline.results.reproduce import rerun as rerun_run

    st = ResultStore(store)
    try:
        record = st.run_record(run_id)
    except RunNotFound as exc:
        raise run_not_found(exc, store) from None
    meta = record["metadata"]
    with Progress(TextColumn("[bold]re-simulating[/] {task.description}"), BarColumn(),
                  TextColumn("day {task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(record["run_id"], total=int(meta["days"]))
        report = rerun_run(st, record["run_id"],
                           progress=lambda done, total: bar.update(task, completed=done))
    t = Table(title=f"Rerun of {report.run_id}", show_header=True)
    for col in ("", "stored run", "rerun", ""):
        t.add_column(col)
    t.add_row("siegeline version", str(report.stored_version), report.version,
              _same(report.stored_version, report.version))
    t.add_row("scenario hash", str(report.stored_scenario_hash)[:16], report.scenario_hash[:16],
              _same(report.stored_scenario_hash, report.scenario_hash))
    t.add_row("engine, seed", f"{meta.get('engine')}, {meta.get('seed')}",
              f"{report.engine}, {report.seed}", "")
    t.add_row("replications × days", f"{meta.get('replications')} × {meta.get('days')}",
              f"{report.replications} × {report.days}", "")
    t.add_row("results digest", report.stored_digest[:16], report.rerun_digest[:16],
              _same(report.stored_digest, report.rerun_digest))
    print_table(t)
    if report.overrides_from_samples:
        console.print("[yellow]note:[/] the run varied parameters per replication; their values "
                      "were taken from the stored parameter samples.")
    if save and report.result is not None:
        report.result.metadata.pop("run_id", None)
        new_id = st.save(report.result, report.scenario_json,
                         label=f"rerun of {report.run_id}")
        console.print(f"Saved the rerun as [bold]{new_id}[/]")
    if report.identical:
        console.print("[bold green]bit-identical[/]: every output of every replication and day "
                      "matches the stored run.")
        return
    console.print(f"[bold red]not identical[/]: {', '.join(report.differing) or 'digest'} "
                  "differ from the stored run.")
    raise typer.Exit(code=1)
