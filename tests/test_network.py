"""The network views of a scenario and the metric projection used for buffer distances."""

import math

import networkx as nx

from siegeline.network import build_graph, corridor_segments, segment_lines, to_projected


def _great_circle_km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_projected_lengths_match_great_circle_within_half_a_percent(bamako):
    nodes = {n.id: n for n in bamako.nodes}
    lines = segment_lines(bamako, projected=True)
    for seg in bamako.segments:
        expected = _great_circle_km(nodes[seg.a], nodes[seg.b])
        assert abs(lines[seg.id].length / 1000 / expected - 1) < 0.005, seg.id
    assert to_projected(-6.0, 14.0) == (0.0, 0.0)  # the projection's centre


def test_graph_and_corridors(bamako):
    g = build_graph(bamako)
    assert g.number_of_nodes() == len(bamako.nodes)
    assert nx.is_connected(g)
    for cor in bamako.corridors:
        segs = corridor_segments(bamako, cor.name)
        assert len(segs) == len(cor.path) - 1
        km = sum(g.edges[u, v]["length_km"] for u, v in zip(cor.path, cor.path[1:], strict=False))
        assert km == sum(bamako.segment_between(u, v).length_km
                         for u, v in zip(cor.path, cor.path[1:], strict=False))
    # Dakar - Bamako by the southern branch is the 1,250-1,400 km the facts table reports.
    dakar = sum(g.edges[u, v]["length_km"] for u, v in nx.utils.pairwise(
        bamako.corridor("dakar-kayes-kita").path))
    assert 1250 <= dakar <= 1400
