"""`siegeline scenarios | show | validate | schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from siegeline.cli.common import (
    console,
    existing_scenario,
    friendly_errors,
    output_option,
    print_table,
    scenario_argument,
)

if TYPE_CHECKING:
    from siegeline.scenario.schema import Scenario


@friendly_errors
def scenarios() -> None:
    """List the scenarios packaged with siegeline."""
    from siegeline.scenario.loader import load_scenario, packaged_scenarios

    table = Table(title="Packaged scenarios")
    for col in ("name", "title", "start", "corridors", "horizon (days)"):
        table.add_column(col)
    for name in packaged_scenarios():
        s = load_scenario(name)
        table.add_row(
            name,
            s.title,
            str(s.simulation.start_date),
            str(len(s.corridors)),
            str(s.simulation.horizon_days),
        )
    print_table(table, whole=("name",))


def _fmt(value: object) -> str:
    from siegeline.scenario.schema import UncertainRange

    if isinstance(value, UncertainRange):
        return f"{value.low:g} – {value.high:g} ({value.distribution})"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


@friendly_errors
def show(
    scenario: str = scenario_argument(),
    sources: bool = typer.Option(False, "--sources", help="List every figure's source."),
    timeline: bool = typer.Option(False, "--timeline",
                                  help="Show only the dated timeline and the campaign's regimes."),
) -> None:
    """Show a scenario: corridors, fleet, policy, demand, its dated timeline, the campaign's
    regimes and (with --sources) each source."""
    from siegeline.scenario.loader import load_scenario

    s = load_scenario(scenario)
    if timeline:
        _print_timeline(s)
        return
    console.print(
        f"[bold]{s.title or s.name}[/]  (start {s.simulation.start_date}, "
        f"{s.simulation.horizon_days} days, {s.simulation.replications} replications)"
    )
    if s.description:
        console.print(s.description, highlight=False)
    post = s.posterior
    console.print(f"Observation log: {s.observations or 'none'}"
                  + (f"; posterior: {len(post.samples)} joint samples of "
                     f"{len(post.parameters)} parameters, data to {post.until}" if post else ""),
                  highlight=False, soft_wrap=True)
    t = Table(title="Corridors")
    for col in ("corridor", "path", "km", "fleet", "share", "policy"):
        t.add_column(col)
    for c in s.corridors:
        km = sum(
            s.segment_between(u, v).length_km for u, v in zip(c.path, c.path[1:], strict=False)
        )
        p = c.policy
        policy = (
            f"convoy every {p.interval_days} d, ≤{p.max_size}, {p.escorts_per_convoy} escorts"
            if p.mode == "convoy"
            else "free running"
        )
        t.add_row(
            c.name,
            " → ".join(c.path),
            f"{km:,.0f}",
            str(sum(c.fleet.values())),
            f"{c.order_share:.2f}",
            policy,
        )
    print_table(t, whole=("corridor",))
    d = Table(title=f"Demand in {s.city.name} (L/day)")
    d.add_column("sector")
    d.add_column("priority")
    for p in s.products:
        d.add_column(p.name)
    for sec in s.city.sectors:
        d.add_row(
            sec.label or sec.name,
            str(sec.priority),
            *[_fmt(sec.demand_litres_per_day.get(p.name, 0.0)) for p in s.products],
        )
    print_table(d, whole=("sector",))
    _print_timeline(s)
    if sources:
        st = Table(title="Sources")
        for col in ("parameter", "confidence", "source", "note"):
            st.add_column(col, overflow="fold")
        for path, ref in s.sources.items():
            st.add_row(path, ref.confidence, ref.source, ref.note)
        print_table(st, whole=("parameter",))


NOTE_WIDTH, SOURCE_WIDTH = 30, 32  # note and source columns of the timeline table (folded)
TIMELINE_COLUMNS = (("#", "right", "crop"), ("date", "left", "crop"), ("day", "right", "crop"),
                    ("what changes", "left", "crop"), ("note", "left", "fold"),
                    ("source", "left", "fold"))


def _print_timeline(s: Scenario) -> None:
    """The timeline (every change on its own line, never cut) and the campaign's regimes."""
    from siegeline.reports.timeline import regime_rows, timeline_rows

    rows = timeline_rows(s)
    if rows:
        widths = (len(str(len(rows))), 10, max(3, len(str(rows[-1].day))),
                  max(len(c) for r in rows for c in r.changes), NOTE_WIDTH, SOURCE_WIDTH)
        t = Table(title=f"Timeline ({len(rows)} dated changes)")
        for (name, justify, overflow), w in zip(TIMELINE_COLUMNS, widths, strict=True):
            t.add_column(name, justify=justify, width=w, overflow=overflow,
                         no_wrap=overflow != "fold")
        for r in rows:
            t.add_row(str(r.number), r.date.isoformat(), str(r.day), "\n".join(r.changes),
                      r.note, r.source)
        # Fixed widths, and the console widened past them when it is narrow (or piped): a
        # parameter path is never cut or folded.
        needed = sum(widths) + 3 * len(widths) + 1  # cell padding and borders
        width = console.width
        console.width = max(width, needed)
        try:
            console.print(t)
        finally:
            console.width = width
    else:
        console.print("Timeline: none (the parameters hold for the whole horizon).")
    regimes = regime_rows(s)
    if regimes:
        rt = Table(title="Campaign regimes")
        for col in ("regime", "intensity ×", "mean duration (days)", ""):
            rt.add_column(col)
        for r in regimes:
            rt.add_row(r["regime"], r["intensity_multiplier"], r["mean_duration_days"], r["role"])
        print_table(rt, whole=("regime",))


@friendly_errors
def validate(
    scenario: str = typer.Argument(..., metavar="SCENARIO", parser=existing_scenario,
                                   help="Scenario file (or packaged name) to check."),
) -> None:
    """Validate a scenario file; prints each problem with its field path."""
    from siegeline.scenario.loader import load_scenario

    s = load_scenario(scenario)
    console.print(
        f"[green]valid[/]: {s.name} ({len(s.nodes)} nodes, {len(s.segments)} segments, "
        f"{len(s.corridors)} corridors)"
    )


@friendly_errors
def schema(
    output: Path | None = output_option(None, "Write to this file (default: print it)."),
) -> None:
    """Print (or write) the JSON Schema of scenario files."""
    from siegeline.scenario.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(text)
