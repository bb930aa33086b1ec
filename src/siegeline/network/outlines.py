"""Country outlines of the whole world (Natural Earth 1:110m admin-0, packaged as
``siegeline/data/world-countries.geojson`` by ``tools/build_outlines.py``): the one loader for the
maps, which draw the countries around a network wherever it lies, and for the checks of event
coordinates against their country.

Countries are found by name as Natural Earth, ACLED or UCDP spell it (accents, case and a
parenthesised former name ignored: "Cote d'Ivoire", "Ivory Coast", "DR Congo (Zaire)"), or by
ISO 3166-1 numeric code. A name can cover several outlines: ACLED's "Somalia" includes
Somaliland, its "Cyprus" Northern Cyprus.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import shapely
from shapely.geometry import Polygon, box, shape
from shapely.geometry.base import BaseGeometry

OUTLINES_FILE = "world-countries.geojson"

BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@dataclass(frozen=True)
class Country:
    name: str  # Natural Earth's
    iso_n3: str | None  # ISO 3166-1 numeric, e.g. "466"; None where ISO has none (Kosovo)
    names: frozenset[str]  # normalised name and aliases
    geometry: BaseGeometry  # Polygon or MultiPolygon, lon/lat degrees

    @property
    def polygons(self) -> list[Polygon]:
        return list(getattr(self.geometry, "geoms", [self.geometry]))

    def largest_polygon(self) -> Polygon:
        return max(self.polygons, key=lambda p: p.area)

    def rings(self) -> tuple[list[float | None], list[float | None]]:
        """Longitudes and latitudes of the outer rings, rings separated by None, so that one
        line trace draws the whole country."""
        lons: list[float | None] = []
        lats: list[float | None] = []
        for poly in self.polygons:
            xs, ys = poly.exterior.xy
            lons += [*xs, None]
            lats += [*ys, None]
        return lons, lats


def normalise_name(name: str) -> str:
    """A country name for matching: accents, case, apostrophe style, a parenthesised part and
    extra spaces ignored."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("\u2019", "'")
    text = re.sub(r"\(.*?\)", " ", text)
    return " ".join(text.casefold().split())


@functools.cache
def load_outlines() -> tuple[Country, ...]:
    """Every packaged country outline, in name order."""
    text = (resources.files("siegeline") / "data" / OUTLINES_FILE).read_text(encoding="utf-8")
    out = []
    for feature in json.loads(text)["features"]:
        props = feature["properties"]
        names = frozenset(normalise_name(n) for n in [props["name"], *props.get("aliases", [])])
        out.append(Country(props["name"], props.get("iso_n3"), names, shape(feature["geometry"])))
    return tuple(out)


@functools.cache
def _geometries() -> np.ndarray:
    return np.array([c.geometry for c in load_outlines()], dtype=object)


def find_countries(name: str | None = None, iso_n3: int | str | None = None
                   ) -> list[Country]:
    """The outlines a country name covers (see the module docstring), else those of the ISO
    numeric code; empty when neither is known."""
    key = normalise_name(name or "")
    found = [c for c in load_outlines() if key and key in c.names]
    if not found and iso_n3 is not None and str(iso_n3).strip():
        code = f"{int(iso_n3):03d}"
        found = [c for c in load_outlines() if c.iso_n3 == code]
    return found


@functools.lru_cache(maxsize=512)
def country_geometry(name: str | None = None, iso_n3: int | str | None = None
                     ) -> BaseGeometry | None:
    """The union of :func:`find_countries`' outlines, or None."""
    found = find_countries(name, iso_n3)
    return shapely.union_all([c.geometry for c in found]) if found else None


def extent_of(points: Sequence[tuple[float, float]]) -> BBox:
    """The lon/lat box of (lon, lat) points."""
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def outlines_for_extent(bbox: BBox, margin: float = 0.0) -> list[Country]:
    """The countries that reach into ``bbox`` widened by ``margin`` degrees on every side."""
    west, south, east, north = bbox
    window = box(west - margin, south - margin, east + margin, north + margin)
    hits = shapely.intersects(_geometries(), window)
    return [c for c, hit in zip(load_outlines(), hits, strict=True) if hit]
