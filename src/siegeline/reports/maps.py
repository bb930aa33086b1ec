"""The corridor network over the country outlines, as a Plotly figure dict.

Plain cartesian traces (longitude, latitude) rather than Plotly's geo maps: a geo map fetches its
base layers from a CDN, and the dashboard and reports must work offline. The y axis is scaled by
1/cos(latitude) so shapes look as on an equirectangular map centred on the network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from plotly.colors import sample_colorscale
from shapely.geometry import MultiPoint, Polygon, box
from shapely.ops import polylabel

from siegeline.network.geometry import segment_points
from siegeline.network.outlines import extent_of, outlines_for_extent
from siegeline.reports.figures import FONT, Figure
from siegeline.results.result import SimulationResult
from siegeline.scenario.schema import Scenario, central_value

ColourBy = Literal["risk", "flow"]
RISK_SCALE = "YlOrRd"
FLOW_SCALE = "Blues"
NODE_STYLE = {  # kind -> (marker symbol, size, colour)
    "port": ("square", 11, "#1f5fa8"),
    "city": ("star", 18, "#b30000"),
    "border": ("diamond", 8, "#555555"),
    "staging": ("triangle-up", 8, "#555555"),
    "town": ("circle", 5, "#777777"),
}


def map_ranges(points: Sequence[tuple[float, float]], pad: float = 1.5
               ) -> tuple[list[float], list[float]]:
    """The map's longitude and latitude ranges: the points' extent and ``pad`` degrees."""
    west, south, east, north = extent_of(points)
    return [west - pad, east + pad], [south - pad, north + pad]


def country_outlines(x_range: Sequence[float], y_range: Sequence[float]
                     ) -> list[tuple[str, Polygon, list[float | None], list[float | None]]]:
    """(name, largest polygon, lons, lats) of every country on or near a map with these ranges
    (the packaged Natural Earth outlines of the whole world); rings are separated by None so
    one trace draws a whole country. The margin covers what the fixed aspect ratio adds to the
    ranges."""
    margin = max(5.0, x_range[1] - x_range[0], y_range[1] - y_range[0])
    bbox = (x_range[0], y_range[0], x_range[1], y_range[1])
    return [(c.name, c.largest_polygon(), *c.rings()) for c in outlines_for_extent(bbox, margin)]


LABELLED_KINDS = ("port", "city")
MIN_LABEL_AREA = 0.5  # square degrees of a country visible on the map before it is named


LABEL_CLEARANCE_DEG = 1.2  # keep country names this far from the named places


def country_label_point(polygon: Polygon, x_range: list[float], y_range: list[float],
                        avoid: Sequence[tuple[float, float]] = ()) -> tuple[float, float] | None:
    """Where to write a country's name: the point of its visible part, away from the places in
    ``avoid`` (their names are written too), farthest from that part's edge (not the mean of
    its vertices: Senegal's lies in the Gambia, which Senegal surrounds); None when too little
    of it is on the map."""
    visible = polygon.intersection(box(x_range[0], y_range[0], x_range[1], y_range[1]))
    if visible.area < MIN_LABEL_AREA:
        return None
    if avoid:
        clear = visible.difference(MultiPoint(list(avoid)).buffer(LABEL_CLEARANCE_DEG))
        if clear.area >= MIN_LABEL_AREA / 4:
            visible = clear
    if visible.geom_type != "Polygon":
        visible = max(visible.geoms, key=lambda g: g.area)
    point = polylabel(visible, tolerance=0.01)
    return point.x, point.y


def attack_probability(scenario: Scenario, segment_id: str) -> float:
    """P(a tanker group is attacked crossing the segment) at the central adversary intensity:
    1 - exp(-hazard * intensity * km / 100)."""
    seg = next(s for s in scenario.segments if s.id == segment_id)
    rate = central_value(seg.hazard_per_100km) * central_value(scenario.adversary.intensity)
    return 1.0 - math.exp(-rate * seg.length_km / 100.0)


def corridor_flows(result: SimulationResult) -> dict[str, float]:
    """Mean over replications of the fuel each corridor delivered over the horizon (litres)."""
    da = result.dataset["delivered_by_corridor_litres"].sum("day").mean("replication")
    return {str(c): float(v) for c, v in zip(da["corridor"].values, da.values, strict=True)}


def segment_flows(scenario: Scenario, flows: Mapping[str, float]) -> dict[str, float]:
    """Fuel carried by each segment: the sum of the flows of the corridors that use it."""
    out = {s.id: 0.0 for s in scenario.segments}
    for cor in scenario.corridors:
        for u, v in zip(cor.path, cor.path[1:], strict=False):
            out[scenario.segment_between(u, v).id] += flows.get(cor.name, 0.0)
    return out


def network_map(scenario: Scenario, flows: Mapping[str, float] | None = None,
                colour_by: ColourBy = "risk", title: str = "") -> Figure:
    """Segments coloured by attack risk, or by delivered flow when ``flows`` (litres per
    corridor) are given and ``colour_by == "flow"``; ports, borders and the city on top."""
    if colour_by == "flow" and flows is None:
        raise ValueError("colouring by flow needs the corridor flows of a run")
    nodes = {n.id: n for n in scenario.nodes}
    roads = segment_points(scenario)
    x_range, y_range = map_ranges([(n.lon, n.lat) for n in scenario.nodes]
                                  + [p for points in roads.values() for p in points])
    mid_lat = 0.5 * (y_range[0] + y_range[1])
    named = [(n.lon, n.lat) for n in scenario.nodes if n.kind in LABELLED_KINDS]
    traces: list[dict[str, Any]] = []
    for name, polygon, xs, ys in country_outlines(x_range, y_range):
        traces.append({"x": xs, "y": ys, "type": "scatter", "mode": "lines", "name": name,
                       "line": {"color": "#9a9a9a", "width": 0.8}, "fill": "toself",
                       "fillcolor": "#f4f1ea", "hoverinfo": "skip", "showlegend": False})
        label = country_label_point(polygon, x_range, y_range, named)
        if label is not None:
            traces.append({"x": [label[0]], "y": [label[1]], "type": "scatter", "mode": "text",
                           "text": [name.upper()], "hoverinfo": "skip", "showlegend": False,
                           "textfont": {"color": "#a0a0a0", "size": 10}})
    if colour_by == "flow":
        values = {k: v / 1e6 for k, v in segment_flows(scenario, flows or {}).items()}
        scale, bar_title, fmt = FLOW_SCALE, "delivered<br>(million L)", "{:,.1f} million L"
    else:
        values = {s.id: 100 * attack_probability(scenario, s.id) for s in scenario.segments}
        scale, bar_title, fmt = RISK_SCALE, "P(attack)<br>per crossing (%)", "{:.1f}%"
    top = max(values.values()) or 1.0
    # Drop the palest 15% of the scale so low values stay visible on the land colour.
    stops = sample_colorscale(scale, [0.15 + 0.085 * i for i in range(11)])
    scale = [[i / 10, c] for i, c in enumerate(stops)]
    colours = sample_colorscale(scale, [v / top for v in values.values()])
    for (seg_id, value), colour in zip(values.items(), colours, strict=True):
        seg = next(s for s in scenario.segments if s.id == seg_id)
        a, b = nodes[seg.a], nodes[seg.b]
        width = 2 + 7 * value / top if colour_by == "flow" else 4
        hover = (f"<b>{a.name} – {b.name}</b><br>{seg.length_km:,.0f} km<br>"
                 f"{'flow' if colour_by == 'flow' else 'risk'}: {fmt.format(value)}")
        xs, ys = (list(v) for v in zip(*roads[seg_id], strict=True))
        traces.append({"x": xs, "y": ys, "type": "scatter",
                       "mode": "lines", "line": {"color": colour, "width": width},
                       "name": seg_id, "text": [hover] * len(xs), "hoverinfo": "text",
                       "showlegend": False})
    traces.append({"x": [None], "y": [None], "type": "scatter", "mode": "markers",
                   "hoverinfo": "skip", "showlegend": False,
                   "marker": {"color": [0, top], "colorscale": scale, "showscale": True,
                              "cmin": 0, "cmax": top,
                              "colorbar": {"title": {"text": bar_title}, "thickness": 12,
                                           "len": 0.6}}})
    for kind, (symbol, size, colour) in NODE_STYLE.items():
        group = [n for n in scenario.nodes if n.kind == kind]
        if not group:
            continue
        labelled = kind in LABELLED_KINDS
        traces.append({
            "x": [n.lon for n in group], "y": [n.lat for n in group], "type": "scatter",
            "mode": "markers+text" if labelled else "markers", "name": kind,
            "text": [n.name for n in group] if labelled else None,
            # The city's name to its right: corridors reach it from the north, west and south.
            "textposition": "middle right" if kind == "city" else "top center",
            "textfont": {"size": 11, "color": "#222"},
            "hovertext": [f"{n.name} ({kind})" for n in group], "hoverinfo": "text",
            "marker": {"symbol": symbol, "size": size, "color": colour,
                       "line": {"color": "white", "width": 1}},
        })
    layout = {
        "title": {"text": title or ("Corridors: " + ("delivered flow" if colour_by == "flow"
                                                     else "attack risk")),
                  "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": FONT, "paper_bgcolor": "white", "plot_bgcolor": "#dfe9f2",
        "margin": {"l": 10, "r": 10, "t": 45, "b": 10}, "hovermode": "closest",
        "showlegend": True, "legend": {"x": 0.01, "y": 0.01, "bgcolor": "rgba(255,255,255,0.8)"},
        "xaxis": {"range": x_range, "visible": False, "constrain": "domain"},
        "yaxis": {"range": y_range, "visible": False, "scaleanchor": "x",
                  "scaleratio": 1.0 / math.cos(math.radians(mid_lat))},
    }
    return {"data": traces, "layout": layout}
