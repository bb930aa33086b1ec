"""The corridor network: a NetworkX graph built from a scenario, and segment geometry."""

from siegeline.network.geometry import segment_lines, to_projected
from siegeline.network.graph import build_graph, corridor_segments, ports_to_city_graph

__all__ = [
    "build_graph",
    "corridor_segments",
    "ports_to_city_graph",
    "segment_lines",
    "to_projected",
]
