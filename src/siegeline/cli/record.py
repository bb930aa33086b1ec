"""`siegeline record`: hold a run against the sourced record of what was reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from siegeline.cli.common import UserError, console, friendly_errors
from siegeline.engines import simulate
from siegeline.observations.log import ObservationLogError, load_log
from siegeline.observations.plots import record_figures
from siegeline.observations.record import Record, RecordContext, compare
from siegeline.results import ResultStore, RunNotFound, SimulationResult
from siegeline.scenario.loader import load_scenario, packaged_scenarios
from siegeline.scenario.schema import Scenario

TABLE_FIELDS = ("kind", "lines", "start", "end", "observed", "obs_low", "obs_high", "censoring",
                "model_median", "model_p25", "model_p75", "model_p05", "model_p95", "in_50",
                "in_90", "confidence", "observable")


def _is_scenario(source: str) -> bool:
    return source in packaged_scenarios() or Path(source).is_file()


def _stored(run_id: str, store: Path | None) -> tuple[SimulationResult, Scenario | None]:
    st = ResultStore(store)
    try:
        result = st.load(run_id)
        record = st.run_record(run_id)
    except RunNotFound:
        raise UserError(f"{run_id!r} is neither a scenario (packaged: "
                        f"{', '.join(packaged_scenarios())}; or a YAML/JSON file) nor a stored "
                        f"run in {st.path}") from None
    try:
        return result, Scenario.model_validate(record["scenario"])
    except ValueError:  # stored under an older schema: compare without scenario details
        console.print("[yellow]The stored scenario no longer validates; stations and convoy "
                      "corridors fall back to defaults.[/]")
        return result, None


def _markdown(frame: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_tables(record: Record, out: Path, title: str) -> list[Path]:
    """record.csv (every scored observation), record.md (coverage, observations, left out)."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "record.csv", out / "record.md"
    record.table.to_csv(csv_path, index=False)
    md = [f"# {title}", "", "## Band coverage", "", _markdown(record.coverage()), "",
          "## Observations", "", _markdown(record.table[list(TABLE_FIELDS)]), "",
          "## Left out", "", _markdown(record.skipped), ""]
    md_path.write_text("\n".join(md), encoding="utf-8")
    return [csv_path, md_path]


def print_coverage(record: Record, title: str) -> None:
    t = Table(title=title)
    t.add_column("kind", no_wrap=True)
    t.add_column("scored", justify="right")
    t.add_column("in 50% band", justify="right")
    t.add_column("in 90% band", justify="right")
    for row in record.coverage().itertuples():
        t.add_row(str(row.kind), str(row.scored), f"{row.in_50:.0%}", f"{row.in_90:.0%}")
    console.print(t)
    console.print(f"{len(record.table)} observations scored; {len(record.skipped)} log rows "
                  "left out (reasons in record.md).")


@friendly_errors
def record(
    source: str = typer.Argument("bamako-2025", metavar="RUN_OR_SCENARIO",
                                 help="Packaged scenario name, YAML/JSON file, or a stored run "
                                 "id (unique prefix, or 'latest')."),
    observations: str = typer.Option("bamako-2025", "--observations", help="Observation log: "
                                     "a CSV file or a packaged log name."),
    out: Path = typer.Option(Path("siegeline-record"), "--out", "-o",
                             help="Folder for the PNGs, record.csv and record.md."),
    reps: int | None = typer.Option(None, "--replications", "--reps", "-n", min=1,
                                    max=1_000_000, help="Replications (default: the "
                                    "scenario's)."),
    days: int | None = typer.Option(None, "--days", "-d", min=1, max=3650,
                                    help="Horizon in days (default: the scenario's)."),
    seed: int | None = typer.Option(None, "--seed", "-s", min=0, help="Root random seed."),
    national_share: float = typer.Option(1.0, "--national-share", min=0.0, help="Share of "
                                         "national imports that the model's demand stands for."),
    store: Path | None = typer.Option(None, "--store", help="Results store to load a run from "
                                      "(default ./siegeline-runs/siegeline.duckdb or "
                                      "$SIEGELINE_STORE)."),
) -> None:
    """Compare a run with the observation log: band coverage per kind, one PNG per kind."""
    try:
        log = load_log(observations)
    except ObservationLogError as exc:
        raise UserError(str(exc)) from None
    if _is_scenario(source):
        scenario = load_scenario(source)
        result = simulate(scenario, replications=reps, days=days, seed=seed)
    elif reps or days or seed is not None:
        raise UserError("--replications, --days and --seed apply to a scenario, not to a "
                        "stored run")
    else:
        result, scenario = _stored(source, store)
    ctx = (RecordContext.from_scenario(scenario, national_share) if scenario is not None
           else RecordContext(national_share=national_share))
    rec = compare(result, log, ctx)
    if rec.table.empty:
        raise UserError("no observation of the log falls inside the simulated days")
    title = (f"{result.metadata.get('scenario_name')} ({result.replications} replications × "
             f"{result.days} days) vs {Path(log.attrs['source']).name}")
    for path in [*write_tables(rec, out, title), *record_figures(result, rec, out)]:
        console.print(f"Wrote {path}", soft_wrap=True)
    print_coverage(rec, title)

