"""`siegeline scenarios | show | validate | schema`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from siegeline.cli.common import console, friendly_errors
from siegeline.scenario.loader import load_scenario, packaged_scenarios
from siegeline.scenario.schema import Scenario, UncertainRange


@friendly_errors
def scenarios() -> None:
    """List the scenarios packaged with siegeline."""
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
    console.print(table)


def _fmt(value: object) -> str:
    if isinstance(value, UncertainRange):
        return f"{value.low:g} – {value.high:g} ({value.distribution})"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


@friendly_errors
def show(
    scenario: str = typer.Argument("bamako-2025", help="Packaged name or YAML/JSON file."),
    sources: bool = typer.Option(False, "--sources", help="List every figure's source."),
) -> None:
    """Show a scenario: corridors, fleet, policy, demand and (with --sources) each source."""
    s = load_scenario(scenario)
    console.print(
        f"[bold]{s.title or s.name}[/]  (start {s.simulation.start_date}, "
        f"{s.simulation.horizon_days} days, {s.simulation.replications} replications)"
    )
    if s.description:
        console.print(s.description, highlight=False)
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
    console.print(t)
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
    console.print(d)
    if sources:
        st = Table(title="Sources")
        for col in ("parameter", "confidence", "source", "note"):
            st.add_column(col, overflow="fold")
        for path, ref in s.sources.items():
            st.add_row(path, ref.confidence, ref.source, ref.note)
        console.print(st)


@friendly_errors
def validate(
    file: str = typer.Argument(..., help="Scenario file (or packaged name) to check."),
) -> None:
    """Validate a scenario file; prints each problem with its field path."""
    s = load_scenario(file)
    console.print(
        f"[green]valid[/]: {s.name} ({len(s.nodes)} nodes, {len(s.segments)} segments, "
        f"{len(s.corridors)} corridors)"
    )


@friendly_errors
def schema(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Print (or write) the JSON Schema of scenario files."""
    text = json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(text)
