"""`siegeline record`: hold a run against the sourced record of what was reported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from siegeline.cli.calibrate import LOG_HELP
from siegeline.cli.common import (
    DEFAULT_SCENARIO,
    UserError,
    console,
    days_option,
    friendly_errors,
    output_option,
    print_table,
    replications_option,
    seed_option,
    store_option,
)

if TYPE_CHECKING:
    import pandas as pd

    from siegeline.observations.record import Record
    from siegeline.results import SimulationResult
    from siegeline.scenario.schema import Scenario

TABLE_FIELDS = ("kind", "lines", "start", "end", "observed", "obs_low", "obs_high", "censoring",
                "model_median", "model_p25", "model_p75", "model_p05", "model_p95", "in_50",
                "in_90", "confidence", "observable")


def _is_scenario(source: str) -> bool:
    from siegeline.scenario.loader import packaged_scenarios

    return source in packaged_scenarios() or Path(source).is_file()


def _stored(run_id: str, store: Path | None) -> tuple[SimulationResult, Scenario | None]:
    from siegeline.results import ResultStore, RunNotFound
    from siegeline.scenario.loader import packaged_scenarios
    from siegeline.scenario.schema import Scenario

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
    print_table(t, whole=("kind",))
    console.print(f"{len(record.table)} observations scored; {len(record.skipped)} log rows "
                  "left out (reasons in record.md).")


@friendly_errors
def record(
    source: str = typer.Argument(DEFAULT_SCENARIO, metavar="RUN_OR_SCENARIO",
                                 help="Packaged scenario name, YAML/JSON file, or a stored run "
                                 "id (unique prefix, or 'latest')."),
    observations: str | None = typer.Option(None, "--observations", help=LOG_HELP),
    output: Path = output_option(Path("siegeline-record"),
                                 "Folder for the PNGs, record.csv and record.md."),
    reps: int | None = replications_option(),
    days: int | None = days_option(),
    seed: int | None = seed_option(),
    national_share: float = typer.Option(1.0, "--national-share", min=0.0, help="Share of "
                                         "national imports that the model's demand stands for."),
    store: Path | None = store_option(),
) -> None:
    """Compare a run with the observation log: band coverage per kind, one PNG per kind."""
    from siegeline.cli.calibrate import _observation_log, required_log
    from siegeline.engines import simulate
    from siegeline.observations.plots import record_figures
    from siegeline.observations.record import RecordContext, compare
    from siegeline.scenario.loader import load_scenario

    out = output
    if _is_scenario(source):
        scenario = load_scenario(source)
        log = _observation_log(required_log(observations, scenario, source))
        result = simulate(scenario, replications=reps, days=days, seed=seed)
    elif reps or days or seed is not None:
        raise UserError("--replications, --days and --seed apply to a scenario, not to a "
                        "stored run")
    else:
        result, scenario = _stored(source, store)
        log = _observation_log(required_log(observations, scenario, f"run {source}'s scenario"))
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

