"""Build ``src/siegeline/data/world-countries.geojson`` from Natural Earth's 1:110m admin-0
countries as the npm package ``world-atlas`` 2.0.2 redistributes them (TopoJSON of Natural
Earth 4.1.0, public domain)::

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_outlines.py /tmp/package/countries-110m.json

The TopoJSON arcs are decoded here (no topojson library needed); coordinates are rounded to
1e-4 degrees. Each feature keeps Natural Earth's ``name``, the ISO 3166-1 numeric code
``iso_n3`` (world-atlas' ``id``; null for Kosovo, N. Cyprus and Somaliland) and ``aliases``:
the names ACLED and UCDP give the country where they differ from Natural Earth's. Two edits
follow the coding of ACLED and UCDP: Crimea is part of Ukraine (Natural Earth 4.1.0 draws it in
Russia; the clip box is the one geopandas used for its ``naturalearth_lowres``), and a region
Natural Earth draws apart but the event datasets code under a country is an alias of it
(Somaliland of Somalia, N. Cyprus of Cyprus, W. Sahara of Morocco for UCDP).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from shapely import affinity, make_valid
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "siegeline" / "data" / "world-countries.geojson"
DIGITS = 4
SOURCE_SHA256 = "2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8"  # 2.0.2's file
CRIMEA = box(32.274, 44.139, 36.65, 46.704)
WORLD = box(-180, -90, 180, 90)
LEFT_OUT = {"Antarctica"}  # its ring circles the pole; no event dataset codes events there

# Natural Earth name -> the other names ACLED and UCDP use for it (accents, case and a
# parenthesised former name, as in UCDP's "DR Congo (Zaire)", are ignored when matching).
ALIASES: dict[str, list[str]] = {
    "Bosnia and Herz.": ["Bosnia and Herzegovina", "Bosnia-Herzegovina"],
    "Central African Rep.": ["Central African Republic"],
    "Congo": ["Republic of Congo", "Republic of the Congo", "Congo-Brazzaville"],
    "Côte d'Ivoire": ["Ivory Coast"],
    "Czechia": ["Czech Republic"],
    "Dem. Rep. Congo": ["Democratic Republic of Congo", "Democratic Republic of the Congo",
                        "DR Congo", "Congo-Kinshasa"],
    "Dominican Rep.": ["Dominican Republic"],
    "Eq. Guinea": ["Equatorial Guinea"],
    "eSwatini": ["Eswatini", "Swaziland", "Kingdom of eSwatini"],
    "Falkland Is.": ["Falkland Islands"],
    "Fr. S. Antarctic Lands": ["French Southern and Antarctic Lands"],
    "Gambia": ["The Gambia"],
    "Macedonia": ["North Macedonia", "Macedonia, FYR"],
    "Myanmar": ["Burma"],
    "N. Cyprus": ["Northern Cyprus", "Cyprus"],
    "Russia": ["Russian Federation"],
    "S. Sudan": ["South Sudan"],
    "Solomon Is.": ["Solomon Islands"],
    "Somaliland": ["Somalia"],
    "Timor-Leste": ["East Timor"],
    "United States of America": ["United States", "USA"],
    "W. Sahara": ["Western Sahara", "Morocco"],
}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs in degrees: delta-encoded integer positions, then the transform."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A closed ring from arc indices (``~i`` is arc ``i`` reversed); each arc after the first
    starts where the previous ended, so its first point is dropped."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def unwrapped(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The ring with longitudes made continuous: world-atlas' rings cross the antimeridian
    (Fiji, Russia) by jumping from 180 to -180; here they run on past 180 instead."""
    out, shift = [points[0]], 0.0
    for (x0, _), (x, y) in zip(points, points[1:], strict=False):
        if x - x0 > 180:
            shift -= 360
        elif x0 - x > 180:
            shift += 360
        out.append((x + shift, y))
    return out


def feature_geometry(obj: dict, arcs: list[list[tuple[float, float]]]):
    """The country as valid (Multi)Polygon within [-180, 180]: parts beyond the antimeridian
    are cut there and moved back by 360 degrees."""
    polygons = obj["arcs"] if obj["type"] == "MultiPolygon" else [obj["arcs"]]
    parts = []
    for poly in polygons:
        rings = [unwrapped(ring(r, arcs)) for r in poly]
        parts.append(make_valid(Polygon(rings[0], rings[1:])))
    geom = unary_union(parts)
    pieces = [geom.intersection(WORLD)] + [
        affinity.translate(geom.intersection(affinity.translate(WORLD, dx)), -dx)
        for dx in (-360, 360)]
    polys = [p for piece in pieces for p in getattr(piece, "geoms", [piece])
             if isinstance(p, Polygon) and not p.is_empty]
    return make_valid(MultiPolygon(polys)) if len(polys) > 1 else polys[0]


def rounded(coords):
    if isinstance(coords[0], (int, float)):
        return [round(float(c), DIGITS) for c in coords]
    return [rounded(c) for c in coords]


def build(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    countries = {}
    for obj in topology["objects"]["countries"]["geometries"]:
        name = obj["properties"]["name"]
        if name in LEFT_OUT:
            continue
        countries[name] = (obj.get("id"), feature_geometry(obj, arcs))
    iso, russia = countries["Russia"]
    crimea = russia.intersection(CRIMEA)
    countries["Russia"] = (iso, russia.difference(CRIMEA))
    iso, ukraine = countries["Ukraine"]
    countries["Ukraine"] = (iso, unary_union([ukraine, crimea]))
    unknown = set(ALIASES) - set(countries)
    if unknown:
        raise SystemExit(f"aliases for names not in the file: {sorted(unknown)}")
    features = []
    for name in sorted(countries):
        iso, geom = countries[name]
        features.append({
            "type": "Feature",
            "properties": {"name": name, "iso_n3": iso, "aliases": ALIASES.get(name, [])},
            "geometry": {**mapping(geom), "coordinates": rounded(mapping(geom)["coordinates"])},
        })
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", type=Path, help="world-atlas' countries-110m.json")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    data = args.topojson.read_bytes()
    if hashlib.sha256(data).hexdigest() != SOURCE_SHA256:
        raise SystemExit(f"{args.topojson} is not world-atlas 2.0.2's countries-110m.json "
                         "(its SHA-256 differs); update SOURCE_SHA256 and ATTRIBUTION.md if "
                         "you mean to build from another release")
    collection = build(json.loads(data))
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"{len(collection['features'])} countries, {len(text) / 1e3:.0f} kB -> {args.output}")


if __name__ == "__main__":
    main()
