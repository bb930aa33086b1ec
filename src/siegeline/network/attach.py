"""Real road geometry for a scenario's segments (``siegeline network attach``).

The road lines (GeoJSON, e.g. an OpenStreetMap export) are imported as a network whose places
are the scenario's nodes (:func:`siegeline.network.roads.import_roads`), after two cuts that
road data needs: a line is cut where it passes a scenario town (a road runs through a town
rather than ending in it) and at every inner vertex it shares with another line (OpenStreetMap
ways cross at shared nodes without ending there). Each scenario segment is then matched to the
shortest road path (NetworkX, by geodesic length) between its two towns; its geometry runs from
``a`` to ``b``.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, Point

from siegeline.network.geometry import network_centre, project
from siegeline.network.roads import (
    feature_lines,
    geodesic_length_km,
    geojson_features,
    import_roads,
)
from siegeline.scenario.schema import GEOMETRY_END_TOLERANCE_KM, Scenario, great_circle_km

DIGITS = 6  # decimals of the written coordinates (~0.1 m)


@dataclass
class Match:
    """One scenario segment and the road found for it (``geometry`` None when none was)."""

    segment: str
    straight_km: float  # geodesic between its towns
    geometry: list[list[float]] | None = None
    length_km: float | None = None  # along the road
    via: list[str] = field(default_factory=list)  # other scenario towns the road passes
    problem: str = ""


def scenario_places(scenario: Scenario) -> list[dict]:
    """The scenario's nodes as named GeoJSON points (the places road ends snap to)."""
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [n.lon, n.lat]},
             "properties": {"id": n.id, "name": n.name, "kind": n.kind}}
            for n in scenario.nodes]


def _key(point: list[float]) -> tuple[float, float]:
    return round(float(point[0]), 7), round(float(point[1]), 7)


def _cut(coords: list[list[float]], cuts: list[tuple[int, float]]) -> list[list[list[float]]]:
    """The line cut at points ``(i, t)``: ``t`` of the way from vertex ``i`` to ``i + 1``."""
    at: dict[int, list[float]] = {}
    for i, t in cuts:
        at.setdefault(i, []).append(t)
    pieces, current = [], [coords[0]]
    for i in range(len(coords) - 1):
        for t in sorted(at.get(i, ())):
            p0, p1 = np.asarray(coords[i], dtype=float), np.asarray(coords[i + 1], dtype=float)
            point = (p0 + t * (p1 - p0)).tolist()
            if point != current[-1]:
                current.append(point)
            if len(current) >= 2:
                pieces.append(current)
            current = [point]
        if coords[i + 1] != current[-1]:
            current.append(coords[i + 1])
    if len(current) >= 2:
        pieces.append(current)
    return pieces


def _cuts_at_places(coords: list[list[float]], places_xy: np.ndarray, centre: tuple[float, float],
                    tolerance_km: float) -> list[tuple[int, float]]:
    """Where the line passes within the tolerance of a place, away from its ends: the line's
    point nearest the place."""
    x, y = project(np.array([p[0] for p in coords]), np.array([p[1] for p in coords]), centre)
    line = LineString(np.column_stack([x, y]))
    near = places_xy[shapely.distance(shapely.points(places_xy), line) <= tolerance_km * 1e3]
    seg_len = np.hypot(np.diff(x), np.diff(y))
    starts = np.concatenate([[0.0], np.cumsum(seg_len)])
    cuts = []
    for px, py in near:
        d = line.project(Point(px, py))
        if min(d, line.length - d) <= tolerance_km * 1e3:
            continue  # the end itself snaps to the place
        i = int(min(np.searchsorted(starts, d, side="right") - 1, len(seg_len) - 1))
        cuts.append((i, float((d - starts[i]) / seg_len[i]) if seg_len[i] else 0.0))
    return cuts


def noded_roads(roads: Mapping | str | Path, scenario: Scenario,
                tolerance_km: float) -> dict[str, Any]:
    """The road lines cut at the scenario's towns and at inner vertices shared between lines
    (see the module docstring), as a FeatureCollection of LineStrings."""
    lines = [(dict(f.get("properties") or {}), [[float(v) for v in p[:2]] for p in coords])
             for f in geojson_features(roads) for coords in feature_lines(f) if len(coords) >= 2]
    counts = Counter(_key(p) for _, coords in lines for p in coords)
    centre = network_centre(scenario)
    places_xy = np.column_stack(project(np.array([n.lon for n in scenario.nodes]),
                                        np.array([n.lat for n in scenario.nodes]), centre))
    out = []
    for props, coords in lines:
        shared = [(i, 0.0) for i in range(1, len(coords) - 1) if counts[_key(coords[i])] > 1]
        cuts = shared + _cuts_at_places(coords, places_xy, centre, tolerance_km)
        for piece in _cut(coords, cuts):
            out.append({"type": "Feature", "properties": props,
                        "geometry": {"type": "LineString", "coordinates": piece}})
    return {"type": "FeatureCollection", "features": out}


def _oriented(points: list[list[float]], start: tuple[float, float]) -> list[list[float]]:
    """``points`` running from the end nearer ``start``."""
    first, last = (great_circle_km(p[0], p[1], *start) for p in (points[0], points[-1]))
    return points if first <= last else points[::-1]


def _path_geometry(g: nx.MultiGraph, path: list[str]) -> tuple[list[list[float]], float]:
    """The road along a node path (the shortest of parallel roads) and its length (km)."""
    coords: list[list[float]] = []
    total = 0.0
    for u, v in zip(path, path[1:], strict=False):
        data = min(g[u][v].values(), key=lambda d: d["length_km"])
        total += data["length_km"]
        part = _oriented(data["geometry"], (g.nodes[u]["lon"], g.nodes[u]["lat"]))
        coords += part if not coords else part[1:]
    return coords, total


def attach_roads(scenario: Scenario, roads: Mapping | str | Path, *,
                 tolerance_km: float = 2.0) -> list[Match]:
    """Each scenario segment matched to the shortest road between its towns (see the module
    docstring); a town snaps to a road within ``tolerance_km``."""
    if not 0 <= tolerance_km <= GEOMETRY_END_TOLERANCE_KM:
        raise ValueError(f"tolerance_km must lie in [0, {GEOMETRY_END_TOLERANCE_KM:g}]")
    places = {"type": "FeatureCollection", "features": scenario_places(scenario)}
    directed, _ = import_roads(noded_roads(roads, scenario, tolerance_km), places,
                               tolerance_km=tolerance_km, contract=False)
    g = nx.MultiGraph(directed)  # a road's course is the same both ways
    nodes = {n.id: n for n in scenario.nodes}
    out = []
    for seg in scenario.segments:
        a, b = nodes[seg.a], nodes[seg.b]
        match = Match(seg.id, geodesic_length_km([(a.lon, a.lat), (b.lon, b.lat)]))
        missing = [n for n in (seg.a, seg.b) if n not in g]
        if missing:
            match.problem = (f"no road passes within {tolerance_km:g} km of "
                             f"{', '.join(missing)}")
        else:
            try:
                path = nx.shortest_path(g, seg.a, seg.b, weight="length_km")
            except nx.NetworkXNoPath:
                match.problem = f"no road joins {seg.a} and {seg.b}"
            else:
                coords, km = _path_geometry(g, path)
                match.geometry = [[round(x, DIGITS) for x in p] for p in coords]
                match.length_km = km
                match.via = [n for n in path[1:-1] if n in nodes]
        out.append(match)
    return out


def with_geometry(raw: dict[str, Any], matches: list[Match], *, lengths: bool = False
                  ) -> dict[str, Any]:
    """A copy of the scenario document with each matched segment's geometry (and, with
    ``lengths``, its measured length) written in."""
    doc = copy.deepcopy(raw)
    found = {m.segment: m for m in matches if m.geometry is not None}
    for seg in doc["segments"]:
        m = found.get(seg["id"])
        if m is None:
            continue
        seg["geometry"] = m.geometry
        if lengths:
            seg["length_km"] = round(float(m.length_km), 3)
    return doc
