"""`siegeline network import`: a corridor network file from GeoJSON road lines; `network
attach`: those roads' geometry on a scenario's segments; `network export`."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table

from siegeline.cli.common import (
    UserError,
    choice_option,
    console,
    friendly_errors,
    print_table,
    scenario_argument,
)
from siegeline.network.roads import DEFAULT_CAPACITY, import_roads, write_network
from siegeline.planning import scenario_network
from siegeline.scenario.loader import load_raw, load_scenario, validate_scenario
from siegeline.scenario.schema import GEOMETRY_END_TOLERANCE_KM

network_app = typer.Typer(
    help="Corridor networks from road data, for `siegeline plan ... --network FILE`.",
    no_args_is_help=True,
)


def _parse_capacities(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or out.get(name.strip(), 0) <= 0:
            raise UserError(f"--capacity expects ROAD_CLASS=TANKERS_PER_DAY (> 0), got {item!r}")
    return out


@network_app.command("import")
@friendly_errors
def import_command(
    roads: Path = typer.Argument(..., help="GeoJSON FeatureCollection of road LineStrings."),
    output: Path = typer.Option(..., "--output", "-o", help="Network file to write (GeoJSON)."),
    places: Path = typer.Option(
        None, "--places", help="GeoJSON of named Point features (towns; optional 'kind': "
        "port, city, border, town) that line ends snap to."
    ),
    tolerance_km: float = typer.Option(
        2.0, "--tolerance-km", min=0, help="Snap a line end to a place or another end this near."
    ),
    capacity: list[str] = typer.Option(
        None, "--capacity", help="Capacity of a road class, CLASS=TANKERS_PER_DAY (repeatable)."
    ),
    default_capacity: float = typer.Option(
        DEFAULT_CAPACITY, "--default-capacity", min=0.001,
        help="Capacity (tanker/day) of roads with neither a capacity nor a listed class.",
    ),
    contract: bool = typer.Option(
        True, "--contract/--no-contract",
        help="Join the roads through each junction that only they meet into one segment.",
    ),
) -> None:
    """Build a corridor network from road lines: towns as nodes, geodesic lengths along each
    road, road class, one-way flag and geometry kept."""
    try:
        g, notes = import_roads(
            roads,
            places,
            tolerance_km=tolerance_km,
            capacities=_parse_capacities(capacity),
            default_capacity=default_capacity,
            contract=contract,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{roads}: {exc}") from None
    write_network(g, output)
    segments = {d["id"]: d for _, _, d in g.edges(data=True)}
    t = Table(title=f"Network written to {output}", show_header=False)
    t.add_row("nodes", f"{g.number_of_nodes()}")
    t.add_row("segments", f"{len(segments)} ({sum(d['oneway'] for d in segments.values())} "
              "one-way)")
    t.add_row("road km", f"{sum(d['length_km'] for d in segments.values()):,.1f}")
    classes = sorted({d["road_class"] for d in segments.values()})
    t.add_row("road classes", ", ".join(classes))
    t.add_row("directed", "yes" if g.is_directed() else "no")
    console.print(t)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")


@network_app.command("export")
@friendly_errors
def export_command(
    scenario: str = scenario_argument(),
    output: Path = typer.Option(..., "--output", "-o", help="Network file to write (GeoJSON)."),
    hazard_level: str = choice_option("central", "--hazard-level", kind="hazard level",
                                      choices=("central", "low", "high"),
                                      help="Segment hazards: the range's centre or an end."),
) -> None:
    """Write a scenario's network as a network file (segments, ports' supply, the day-0
    intensity, destroy share and demand), to edit (capacities, node capacities, one-way roads)
    and plan on with `siegeline plan ... --network FILE`."""
    g = scenario_network(load_scenario(scenario), hazard_level=hazard_level)
    write_network(g, output)
    console.print(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} segments written to "
                  f"{output}")


@network_app.command("attach")
@friendly_errors
def attach_command(
    scenario: str = scenario_argument(),
    roads: Path = typer.Argument(..., help="GeoJSON FeatureCollection of road LineStrings."),
    output: Path = typer.Option(..., "--output", "-o", help="Scenario file to write (YAML)."),
    tolerance_km: float = typer.Option(
        2.0, "--tolerance-km", min=0, max=GEOMETRY_END_TOLERANCE_KM,
        help="A town lies on a road, and road ends meet, this near."
    ),
    lengths: bool = typer.Option(
        False, "--lengths", help="Also write each matched segment's length measured along the "
        "road into length_km."
    ),
) -> None:
    """Put real roads on a scenario: each segment gets the geometry of the shortest road
    between its two towns (so that maps draw the road and events are tied to it); segments
    with no road between their towns are listed and keep the straight line."""
    from siegeline.network.attach import attach_roads, with_geometry

    sc = load_scenario(scenario)
    try:
        matches = attach_roads(sc, roads, tolerance_km=tolerance_km)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{roads}: {exc}") from None
    doc = with_geometry(load_raw(scenario), matches, lengths=lengths)
    validate_scenario(doc, str(output))
    output.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100,
                                     default_flow_style=None), encoding="utf-8")
    t = Table(title=f"Road geometry for {sc.name}, written to {output}")
    for col in ("segment", "straight km", "road km", "scenario km", "road points", "note"):
        t.add_column(col, justify="right" if "km" in col or "points" in col else "left",
                     overflow="fold")
    lengths_of = {s.id: s.length_km for s in sc.segments}
    for m in matches:
        road = "-" if m.length_km is None else f"{m.length_km:,.1f}"
        t.add_row(m.segment, f"{m.straight_km:,.1f}", road, f"{lengths_of[m.segment]:,.1f}",
                  str(len(m.geometry or [])),
                  m.problem or (f"via {', '.join(m.via)}" if m.via else ""))
    print_table(t, whole=("segment",))
    unmatched = [m for m in matches if m.geometry is None]
    console.print(f"{len(matches) - len(unmatched)} of {len(matches)} segments matched"
                  + (f"; {len(unmatched)} keep the straight line" if unmatched else "")
                  + (" (length_km measured along the road)" if lengths else ""))
    for m in unmatched:
        console.print(f"[yellow]not matched:[/] {m.segment}: {m.problem}", soft_wrap=True)
