"""Segment geometry in lon/lat and in a metric projection for buffer distances."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString

from siegeline.scenario.schema import Scenario

# Lambert azimuthal equal-area centred on Mali: distances within a few km over West Africa.
_LAT0 = math.radians(14.0)
_LON0 = math.radians(-6.0)
_R = 6_371_008.8


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 degrees to metres (Lambert azimuthal equal-area, centre 14N 6W); arrays in,
    arrays out."""
    lam, phi = np.radians(lon), np.radians(lat)
    k = np.sqrt(
        2.0
        / (1.0 + math.sin(_LAT0) * np.sin(phi)
           + math.cos(_LAT0) * np.cos(phi) * np.cos(lam - _LON0))
    )
    x = _R * k * np.cos(phi) * np.sin(lam - _LON0)
    y = _R * k * (math.cos(_LAT0) * np.sin(phi)
                  - math.sin(_LAT0) * np.cos(phi) * np.cos(lam - _LON0))
    return x, y


def to_projected(lon: float, lat: float) -> tuple[float, float]:
    """One point in metres (see :func:`project`)."""
    x, y = project(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return float(x), float(y)


def _project_coords(coords: np.ndarray) -> np.ndarray:
    x, y = project(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def segment_lines(scenario: Scenario, projected: bool = False) -> dict[str, LineString]:
    """Straight-line geometry of each segment (lon/lat, or metres when ``projected``)."""
    nodes = {n.id: n for n in scenario.nodes}
    lines = {}
    for s in scenario.segments:
        line = LineString([(nodes[s.a].lon, nodes[s.a].lat), (nodes[s.b].lon, nodes[s.b].lat)])
        lines[s.id] = shapely.transform(line, _project_coords) if projected else line
    return lines
