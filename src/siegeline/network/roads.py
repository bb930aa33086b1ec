"""Corridor networks from road data, and the network file the planning commands read.

* :func:`import_roads` builds a network from GeoJSON road ``LineString`` features (an
  OpenStreetMap export, a national road dataset): the towns are the nodes (each line end snapped
  to the nearest named place within a tolerance, else merged with the line ends near it), each
  road a segment whose length is measured along its geometry on the WGS84 ellipsoid, with its
  road class, its one-way flag and its geometry kept.
* The network file is GeoJSON: ``Point`` features for the nodes (``id``, ``name``, ``kind``)
  and ``LineString`` features for the segments (``id``, ``a``, ``b``, ``length_km``,
  ``capacity_tankers_per_day``, ``road_class``, ``oneway`` ...), and optionally a top-level
  ``planning`` object (``intensity``, ``destroy_share``, ``demand_tankers_per_day``).
  :func:`write_network` writes it; :func:`read_network` reads it, a CSV edge list, or raw road
  lines (imported with the defaults).

A graph with a one-way segment is a ``MultiDiGraph`` whose two-way segments are two opposite
arcs sharing the segment's ``id``; otherwise a ``MultiGraph``. Parallel roads stay separate.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

# WGS84
_A = 6_378_137.0
_F = 1 / 298.257223563
_B = _A * (1 - _F)
_R_KM = 6371.0088  # mean Earth radius, for the snapping grid only

DEFAULT_CAPACITY = 200.0  # tanker/day: the scenario schema's default segment capacity
CLASS_KEYS = ("road_class", "highway", "fclass", "class", "type")
NODE_NUMBERS = ("capacity_tankers_per_day", "interdiction_cost", "supply_tankers_per_day")
PLANNING_KEYS = ("intensity", "destroy_share", "demand_tankers_per_day")
_TRUE = {"yes", "true", "1", "y", "t"}
_REVERSED = {"-1", "reverse"}


def _vincenty_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance (m) on WGS84 between point arrays, Vincenty's inverse formula (converges
    for all but nearly antipodal points, which consecutive vertices of a road never are)."""
    l_diff = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    u1 = np.arctan((1 - _F) * np.tan(np.radians(lat1)))
    u2 = np.arctan((1 - _F) * np.tan(np.radians(lat2)))
    su1, cu1, su2, cu2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    lam = l_diff.copy()
    for _ in range(200):
        sl, cl = np.sin(lam), np.cos(lam)
        s_sig = np.hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl)
        c_sig = su1 * su2 + cu1 * cu2 * cl
        sig = np.arctan2(s_sig, c_sig)
        with np.errstate(invalid="ignore", divide="ignore"):
            s_alpha = np.where(s_sig > 0, cu1 * cu2 * sl / s_sig, 0.0)
            c2_alpha = 1 - s_alpha**2
            c2_sm = np.where(c2_alpha > 0, c_sig - 2 * su1 * su2 / c2_alpha, 0.0)
        c = _F / 16 * c2_alpha * (4 + _F * (4 - 3 * c2_alpha))
        prev = lam
        lam = l_diff + (1 - c) * _F * s_alpha * (
            sig + c * s_sig * (c2_sm + c * c_sig * (-1 + 2 * c2_sm**2))
        )
        if np.all(np.abs(lam - prev) < 1e-12):
            break
    u_sq = c2_alpha * (_A**2 - _B**2) / _B**2
    a_coef = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    b_coef = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sig = b_coef * s_sig * (c2_sm + b_coef / 4 * (
        c_sig * (-1 + 2 * c2_sm**2) - b_coef / 6 * c2_sm * (-3 + 4 * s_sig**2) * (-3 + 4 * c2_sm**2)
    ))
    return np.where(s_sig > 0, _B * a_coef * (sig - d_sig), 0.0)


def geodesic_length_km(coords: Iterable[Iterable[float]]) -> float:
    """Length (km) of a line of ``[lon, lat]`` points along the WGS84 ellipsoid: pyproj's
    ``Geod.line_length`` where pyproj is installed, else Vincenty's formula (they agree to well
    under a metre per vertex)."""
    pts = np.asarray([tuple(p)[:2] for p in coords], dtype=float)
    if len(pts) < 2:
        return 0.0
    try:
        from pyproj import Geod
    except ImportError:
        return float(_vincenty_m(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1]).sum()) / 1e3
    return float(Geod(ellps="WGS84").line_length(pts[:, 0], pts[:, 1])) / 1e3


def graph_from_segments(
    nodes: Iterable[Mapping[str, Any]], segments: Iterable[Mapping[str, Any]], name: str = ""
) -> nx.MultiGraph:
    """A ``MultiGraph``, or a ``MultiDiGraph`` when some segment is one-way (two-way ones then
    give two opposite arcs sharing their id). ``nodes`` need ``id``; ``segments`` need ``id``,
    ``a`` and ``b``; every other key becomes an attribute."""
    segments = list(segments)
    directed = any(bool(s.get("oneway", False)) for s in segments)
    g = nx.MultiDiGraph(name=name) if directed else nx.MultiGraph(name=name)
    for n in nodes:
        g.add_node(n["id"], **{k: v for k, v in n.items() if k != "id"})
    seen: set[str] = set()
    for s in segments:
        if s["id"] in seen:
            raise ValueError(f"segment ids must be unique: {s['id']}")
        seen.add(s["id"])
        one_way = bool(s.get("oneway", False))
        attrs = {k: v for k, v in s.items() if k not in ("a", "b")} | {"oneway": one_way}
        ways = [(s["a"], s["b"])]
        if directed and not one_way:
            ways.append((s["b"], s["a"]))
        for u, v in ways:
            g.add_edge(u, v, key=s["id"], **attrs)
    return g


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE if not isinstance(value, bool) else value


def feature_lines(feature: Mapping) -> list[list[list[float]]]:
    """The coordinate lists of a LineString or MultiLineString feature (none for others)."""
    geom = feature.get("geometry") or {}
    if geom.get("type") == "LineString":
        return [geom["coordinates"]]
    if geom.get("type") == "MultiLineString":
        return list(geom["coordinates"])
    return []


def _collection(source: Mapping | str | Path) -> Mapping:
    data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text("utf-8"))
    if data.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    return data


def geojson_features(source: Mapping | str | Path | None) -> list[Mapping]:
    """The features of a GeoJSON FeatureCollection given as a mapping or a file path."""
    return [] if source is None else list(_collection(source).get("features", []))


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text.strip())
    return "-".join(part for part in out.split("-") if part) or "node"


class _Snapper:
    """Maps line ends to nodes: the nearest named place within the tolerance, else a junction
    node merged with every earlier end within the tolerance."""

    def __init__(self, places: list[Mapping], tolerance_km: float):
        self.tol = tolerance_km
        self.cell = max(1.01 * tolerance_km, 1e-9)
        self.nodes: list[dict] = []
        self.grid: dict[tuple[int, int, int], list[int]] = {}
        ids: set[str] = set()
        for p in places:
            props = p.get("properties") or {}
            geom = p.get("geometry") or {}
            if geom.get("type") != "Point" or not (props.get("name") or props.get("id")):
                continue
            lon, lat = geom["coordinates"][:2]
            node_id = str(props.get("id") or _slug(str(props["name"])))
            while node_id in ids:
                node_id += "-2"
            ids.add(node_id)
            node = {"id": node_id, "name": str(props.get("name") or node_id),
                    "kind": str(props.get("kind") or "town"), "lon": float(lon), "lat": float(lat)}
            for key in NODE_NUMBERS:  # e.g. a border post's clearance capacity
                if props.get(key) is not None:
                    node[key] = float(props[key])
            self._add(node)
        self.n_places = len(self.nodes)

    def _add(self, node: dict) -> str:
        self.nodes.append(node)
        self.grid.setdefault(self._cell(node["lon"], node["lat"]), []).append(len(self.nodes) - 1)
        return node["id"]

    def _cell(self, lon: float, lat: float) -> tuple[int, int, int]:
        """Cube of a 3-D grid over the sphere, as wide as the tolerance (with 1 % to spare: a
        chord is never longer than the arc, which is within 0.5 % of the ellipsoid's geodesic),
        so that every node within the tolerance lies in one of the 27 cubes around a point."""
        lam, phi = math.radians(lon), math.radians(lat)
        xyz = _R_KM * np.array([math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam),
                                math.sin(phi)])
        i, j, k = (int(c) for c in np.floor(xyz / self.cell))
        return i, j, k

    def snap(self, lon: float, lat: float) -> str:
        i, j, k = self._cell(lon, lat)
        near = [n for di in (-1, 0, 1) for dj in (-1, 0, 1) for dk in (-1, 0, 1)
                for n in self.grid.get((i + di, j + dj, k + dk), ())]
        if near:
            lons = np.array([self.nodes[n]["lon"] for n in near])
            lats = np.array([self.nodes[n]["lat"] for n in near])
            d = _vincenty_m(lons, lats, np.full(len(near), lon), np.full(len(near), lat)) / 1e3
            for wanted in (True, False):  # a named place first, else a junction
                pick = [(x, n) for x, n in zip(d, near, strict=True)
                        if x <= self.tol and (n < self.n_places) == wanted]
                if pick:
                    return self.nodes[min(pick)[1]]["id"]
        count = len(self.nodes) - self.n_places
        return self._add({"id": f"j{count}", "name": f"junction {count}", "kind": "junction",
                          "lon": float(lon), "lat": float(lat)})


def _reversed(seg: dict) -> dict:
    return seg | {"a": seg["b"], "b": seg["a"], "geometry": seg["geometry"][::-1]}


def _through(first: dict, second: dict, j: str) -> tuple[dict, dict] | None:
    """``first`` into ``j`` then ``second`` out of it (two-way roads turned as needed; a one-way
    road never), or None when traffic cannot pass ``j`` in this order."""
    if first["b"] != j:
        if first["oneway"]:
            return None
        first = _reversed(first)
    if second["a"] != j:
        if second["oneway"]:
            return None
        second = _reversed(second)
    return first, second


def _joined(first: dict, second: dict) -> dict:
    """One road from two consecutive ones: lengths add, the capacity is the smaller, the hazard
    the length-weighted mean, the interdiction cost the cheaper."""
    km = first["length_km"] + second["length_km"]
    out = {
        "id": f"{first['id']}+{second['id']}", "a": first["a"], "b": second["b"], "length_km": km,
        "capacity_tankers_per_day": min(first["capacity_tankers_per_day"],
                                        second["capacity_tankers_per_day"]),
        "road_class": "/".join(dict.fromkeys(
            [*first["road_class"].split("/"), *second["road_class"].split("/")])),
        "oneway": first["oneway"] or second["oneway"],
        "geometry": first["geometry"] + second["geometry"][1:],
    }
    if "hazard_per_100km" in first or "hazard_per_100km" in second:
        out["hazard_per_100km"] = sum(
            float(x.get("hazard_per_100km", 0.0)) * x["length_km"] for x in (first, second)
        ) / km if km > 0 else 0.0
    costs = [float(x["interdiction_cost"]) for x in (first, second) if "interdiction_cost" in x]
    if costs:
        out["interdiction_cost"] = min(costs)
    if "speed_km_per_day" in first and "speed_km_per_day" in second:
        days = sum(x["length_km"] / float(x["speed_km_per_day"]) for x in (first, second))
        out["speed_km_per_day"] = km / days if days > 0 else float(first["speed_km_per_day"])
    for key in ("name", "ref"):
        values = [str(x[key]) for x in (first, second) if x.get(key)]
        if values:
            out[key] = " / ".join(dict.fromkeys(values))
    return out


def contract_junctions(segments: list[dict], junctions: set[str]) -> list[dict]:
    """Join the two roads meeting at each junction node that nothing else meets, so that the
    nodes left are towns and real crossroads (a chain of OpenStreetMap ways becomes one
    segment). A junction stays where traffic could not pass it (two one-way roads both leading
    in or both out) or where both roads lead to the same node."""
    by_id = {seg["id"]: seg for seg in segments}
    at: dict[str, set[str]] = {}
    for seg in segments:
        for end in (seg["a"], seg["b"]):
            at.setdefault(end, set()).add(seg["id"])
    work = [j for j in junctions if len(at.get(j, ())) == 2]
    while work:
        j = work.pop()
        if len(at.get(j, ())) != 2:
            continue
        s1, s2 = (by_id[x] for x in sorted(at[j]))
        others = {s1["a"], s1["b"], s2["a"], s2["b"]} - {j}
        if len(others) != 2:
            continue
        order = _through(s1, s2, j) or _through(s2, s1, j)
        if order is None:
            continue
        merged = _joined(*order)
        for old in (s1, s2):
            del by_id[old["id"]]
            for end in (old["a"], old["b"]):
                at[end].discard(old["id"])
        by_id[merged["id"]] = merged
        for end in (merged["a"], merged["b"]):
            at[end].add(merged["id"])
            if end in junctions and len(at[end]) == 2:
                work.append(end)
    return list(by_id.values())


def import_roads(
    roads: Mapping | str | Path,
    places: Mapping | str | Path | None = None,
    *,
    tolerance_km: float = 2.0,
    capacities: Mapping[str, float] | None = None,
    default_capacity: float = DEFAULT_CAPACITY,
    contract: bool = True,
) -> tuple[nx.MultiGraph, list[str]]:
    """A corridor network from GeoJSON road lines (see the module docstring); returns the graph
    and notes on the lines left out.

    A line's road class is the first of its properties ``road_class, highway, fclass, class,
    type``; its capacity (tanker/day) its ``capacity_tankers_per_day`` property, else
    ``capacities[road class]``, else ``default_capacity``. ``oneway`` is read OSM's way
    (``yes``/``true``/``1``; ``-1`` runs against the drawing direction). Segment ids are the
    line's ``id`` property (``-2``, ``-3`` ... for the parts of a MultiLineString), else
    ``a-b`` numbered when parallel. Nodes are the named ``Point`` features of ``places`` (and of
    ``roads``) and the junctions found; a line whose two ends snap to one node is left out.
    With ``contract``, roads through a junction that only they meet are joined
    (:func:`contract_junctions`; joined ids read ``first+second``).
    """
    if not tolerance_km >= 0:
        raise ValueError("tolerance_km must be >= 0")
    features = geojson_features(roads)
    snapper = _Snapper(
        [f for f in [*geojson_features(places), *features] if (f.get("geometry") or {}).get("type")
         == "Point"], tolerance_km)
    capacities = dict(capacities or {})
    segments: list[dict] = []
    notes: list[str] = []
    used: set[str] = set()
    for number, feature in enumerate(features):
        props = dict(feature.get("properties") or {})
        for part, coords in enumerate(feature_lines(feature)):
            coords = [[float(x) for x in p[:2]] for p in coords]
            oneway = props.get("oneway")
            if str(oneway).strip().lower() in _REVERSED:
                coords = coords[::-1]
            a, b = snapper.snap(*coords[0]), snapper.snap(*coords[-1])
            label = props.get("id") or props.get("@id") or props.get("osm_id")
            if a == b:
                notes.append(f"line {label or number} left out: both ends snap to {a}")
                continue
            base = str(label) if label else f"{a}-{b}"
            if label and part:
                base = f"{label}-{part + 1}"
            seg_id, k = base, 2
            while seg_id in used:
                seg_id, k = f"{base}-{k}", k + 1
            used.add(seg_id)
            road_class = next((str(props[c]) for c in CLASS_KEYS if props.get(c)), "unknown")
            capacity = props.get("capacity_tankers_per_day", capacities.get(road_class,
                                                                            default_capacity))
            segment = {
                "id": seg_id, "a": a, "b": b, "length_km": geodesic_length_km(coords),
                "capacity_tankers_per_day": float(capacity), "road_class": road_class,
                "oneway": oneway is not None and (_truthy(oneway)
                                                  or str(oneway).strip() in _REVERSED),
                "geometry": coords,
            }
            for key in ("name", "ref", "hazard_per_100km", "speed_km_per_day",
                        "interdiction_cost"):
                if props.get(key) is not None:
                    segment[key] = props[key]
            segments.append(segment)
    if not segments:
        raise ValueError("no road LineString joins two distinct nodes")
    if contract:
        junctions = {n["id"] for n in snapper.nodes if n["kind"] == "junction"}
        segments = contract_junctions(segments, junctions)
    ends = {s["a"] for s in segments} | {s["b"] for s in segments}
    nodes = [n for n in snapper.nodes if n["id"] in ends]
    return graph_from_segments(nodes, segments, name="imported roads"), notes


def _segments_of(g: nx.Graph) -> list[dict]:
    """One record per segment (the first arc of a two-way segment in a directed graph)."""
    out, seen = [], set()
    edges = g.edges(keys=True, data=True) if g.is_multigraph() else (
        (u, v, None, d) for u, v, d in g.edges(data=True))
    for u, v, key, data in edges:
        seg_id = str(data.get("id", key if key is not None else f"{u}-{v}"))
        if seg_id in seen:
            continue
        seen.add(seg_id)
        out.append({"id": seg_id, "a": u, "b": v, **{k: w for k, w in data.items() if k != "id"}})
    return out


def network_to_geojson(g: nx.Graph) -> dict:
    """The network file's content: node points (where they have lon/lat) and segment lines."""
    features = []
    for n, data in g.nodes(data=True):
        props = {"id": n, **{k: v for k, v in data.items() if k not in ("lon", "lat")}}
        geometry = ({"type": "Point", "coordinates": [data["lon"], data["lat"]]}
                    if "lon" in data and "lat" in data else None)
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    for s in _segments_of(g):
        coords = s.pop("geometry", None)
        ends = [g.nodes[s["a"]], g.nodes[s["b"]]]
        if coords is None and all("lon" in d and "lat" in d for d in ends):
            coords = [[d["lon"], d["lat"]] for d in ends]
        geometry = None if coords is None else {"type": "LineString", "coordinates": coords}
        features.append({"type": "Feature", "geometry": geometry, "properties": s})
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    planning = {k: g.graph[k] for k in PLANNING_KEYS if g.graph.get(k) is not None}
    if planning:  # the adversary and demand of the scenario it came from (a foreign member)
        out["planning"] = planning
    return out


def write_network(g: nx.Graph, path: str | Path) -> Path:
    out = Path(path)
    out.write_text(json.dumps(network_to_geojson(g)), encoding="utf-8")
    return out


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


_CSV_ENDS = (("a", "b"), ("from", "to"), ("source", "target"), ("u", "v"))
_CSV_NUMBERS = ("length_km", "capacity_tankers_per_day", "hazard_per_100km", "speed_km_per_day",
                "interdiction_cost", "loss_per_tanker", "travel_days")


def read_edge_list(path: str | Path) -> nx.MultiGraph:
    """A CSV edge list: one row per segment, its ends in columns ``a,b`` (or ``from,to``,
    ``source,target``, ``u,v``); optional ``id``, ``oneway`` and numeric columns
    (``length_km``, ``capacity_tankers_per_day``, ``hazard_per_100km``, ...)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{path}: no rows")
    cols = set(rows[0])
    ends = next((pair for pair in _CSV_ENDS if set(pair) <= cols), None)
    if ends is None:
        raise ValueError(f"{path}: needs end columns a,b (or from,to; source,target; u,v)")
    segments, nodes = [], {}
    for line, row in enumerate(rows, start=2):
        a, b = row[ends[0]].strip(), row[ends[1]].strip()
        if not a or not b or a == b:
            raise ValueError(f"{path}:{line}: a segment needs two distinct ends")
        nodes.setdefault(a, {"id": a})
        nodes.setdefault(b, {"id": b})
        seg = {"id": (row.get("id") or "").strip() or f"{a}-{b}#{line}", "a": a, "b": b}
        for key, value in row.items():
            if key in (*ends, "id") or value is None or value == "":
                continue
            seg[key] = _number(value) if key in _CSV_NUMBERS else value
        seg["oneway"] = _truthy(row.get("oneway", "") or "false")
        segments.append(seg)
    return graph_from_segments(nodes.values(), segments, name=Path(path).stem)


def _is_network_file(features: list[Mapping]) -> bool:
    lines = [f for f in features if (f.get("geometry") or {}).get("type", "").endswith("String")
             or "a" in (f.get("properties") or {})]
    return bool(lines) and all({"a", "b"} <= set(f.get("properties") or {}) for f in lines)


def read_network(path: str | Path, **import_options: Any) -> nx.MultiGraph:
    """A network from a file: a CSV edge list (``.csv``), a network file written by
    :func:`write_network`, or raw GeoJSON road lines (imported by :func:`import_roads` with
    ``import_options``)."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        return read_edge_list(p)
    collection = _collection(p)
    features = list(collection.get("features", []))
    if not _is_network_file(features):
        return import_roads(collection, **import_options)[0]
    nodes, segments = [], []
    for f in features:
        props = dict(f.get("properties") or {})
        geom = f.get("geometry") or {}
        if {"a", "b"} <= set(props):
            if geom.get("type") == "LineString":
                props["geometry"] = geom["coordinates"]
            segments.append(props)
        elif "id" in props:
            if geom.get("type") == "Point":
                props["lon"], props["lat"] = geom["coordinates"][:2]
            nodes.append(props)
    known = {n["id"] for n in nodes}
    nodes += [{"id": x} for s in segments for x in (s["a"], s["b"]) if x not in known]
    g = graph_from_segments(nodes, segments, name=p.stem)
    planning = collection.get("planning") or {}
    g.graph.update({k: float(planning[k]) for k in PLANNING_KEYS if k in planning})
    return g
