"""NetworkX views of a scenario's road network."""

from __future__ import annotations

import networkx as nx

from siegeline.scenario.schema import Scenario, central_value


def build_graph(scenario: Scenario) -> nx.Graph:
    """Undirected graph: nodes carry ``kind, name, lat, lon, country``; edges carry ``id,
    length_km, speed_km_per_day, hazard_per_100km, capacity_tankers_per_day`` (central values)
    and ``travel_days``."""
    g = nx.Graph(name=scenario.name, city=scenario.city.node)
    for n in scenario.nodes:
        g.add_node(
            n.id,
            kind=n.kind,
            name=n.name,
            lat=n.lat,
            lon=n.lon,
            country=n.country,
            customs_delay_days=central_value(n.customs_delay_days),
        )
    for s in scenario.segments:
        g.add_edge(
            s.a,
            s.b,
            id=s.id,
            length_km=s.length_km,
            speed_km_per_day=s.speed_km_per_day,
            hazard_per_100km=central_value(s.hazard_per_100km),
            capacity_tankers_per_day=central_value(s.capacity_tankers_per_day),
            travel_days=s.length_km / s.speed_km_per_day,
        )
    return g


def corridor_segments(scenario: Scenario, corridor: str) -> list[str]:
    """Segment ids of a corridor, in travel order from the port."""
    path = scenario.corridor(corridor).path
    return [scenario.segment_between(u, v).id for u, v in zip(path, path[1:], strict=False)]


def ports_to_city_graph(scenario: Scenario) -> nx.DiGraph:
    """Directed graph of the flow towards the city: each segment in both directions, a super
    source ``"__source__"`` joined to every port with unbounded capacity."""
    g = build_graph(scenario).to_directed()
    source = "__source__"
    g.add_node(source, kind="source")
    for n, data in list(g.nodes(data=True)):
        if data.get("kind") == "port":
            g.add_edge(
                source,
                n,
                id=f"source-{n}",
                capacity_tankers_per_day=float("inf"),
                length_km=0.0,
                hazard_per_100km=0.0,
                travel_days=0.0,
            )
    return g
