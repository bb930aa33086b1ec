"""Segment geometry in lon/lat and in a metric projection for buffer distances."""

from __future__ import annotations

import math

from shapely.geometry import LineString
from shapely.ops import transform

from siegeline.scenario.schema import Scenario

# Lambert azimuthal equal-area centred on Mali: distances within a few km over West Africa.
_LAT0 = math.radians(14.0)
_LON0 = math.radians(-6.0)
_R = 6_371_008.8


def to_projected(lon: float, lat: float) -> tuple[float, float]:
    """Project WGS84 degrees to metres (Lambert azimuthal equal-area, centre 14N 6W)."""
    lam, phi = math.radians(lon), math.radians(lat)
    k = math.sqrt(
        2.0
        / (
            1.0
            + math.sin(_LAT0) * math.sin(phi)
            + math.cos(_LAT0) * math.cos(phi) * math.cos(lam - _LON0)
        )
    )
    x = _R * k * math.cos(phi) * math.sin(lam - _LON0)
    y = (
        _R
        * k
        * (
            math.cos(_LAT0) * math.sin(phi)
            - math.sin(_LAT0) * math.cos(phi) * math.cos(lam - _LON0)
        )
    )
    return x, y


def _project_xy(x, y, z=None):  # shapely.ops.transform calling convention
    import numpy as np

    xs, ys = np.atleast_1d(x), np.atleast_1d(y)
    pts = [to_projected(float(a), float(b)) for a, b in zip(xs, ys, strict=True)]
    return tuple(np.array(v) for v in zip(*pts, strict=True))


def segment_lines(scenario: Scenario, projected: bool = False) -> dict[str, LineString]:
    """Straight-line geometry of each segment (lon/lat, or metres when ``projected``)."""
    nodes = {n.id: n for n in scenario.nodes}
    lines = {}
    for s in scenario.segments:
        line = LineString([(nodes[s.a].lon, nodes[s.a].lat), (nodes[s.b].lon, nodes[s.b].lat)])
        lines[s.id] = transform(_project_xy, line) if projected else line
    return lines
