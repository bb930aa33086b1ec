"""Tie events to corridor segments: an event counts for the nearest segment within a buffer.

Distances are measured in the metric projection of :mod:`siegeline.network.geometry` (Lambert
azimuthal equal-area centred on Mali), so the buffer is in real kilometres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from siegeline.events.analytics import Period, all_periods, period_label
from siegeline.network import segment_lines
from siegeline.network.geometry import project
from siegeline.scenario.schema import Scenario


def project_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Shapely points in the network's metric projection."""
    xy = np.column_stack(project(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
    if len(xy) == 0:
        return np.empty(0, dtype=object)
    return shapely.points(xy[:, 0], xy[:, 1])


def distances_km(events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Distance (km) from every event (rows) to every segment (columns)."""
    points = project_points(events["longitude"].to_numpy(), events["latitude"].to_numpy())
    lines = segment_lines(scenario, projected=True)
    return pd.DataFrame(
        {sid: shapely.distance(points, line) / 1000.0 for sid, line in lines.items()},
        index=events.index,
    )


def assign_segments(events: pd.DataFrame, scenario: Scenario, buffer_km: float) -> pd.DataFrame:
    """Events within ``buffer_km`` of a segment, with columns ``segment`` (the nearest one, so an
    event is never counted twice) and ``distance_km``."""
    if buffer_km <= 0:
        raise ValueError("the buffer distance must be positive")
    if events.empty:
        return events.assign(segment=pd.Series(dtype=str), distance_km=pd.Series(dtype=float))
    dist = distances_km(events, scenario)
    nearest = dist.idxmin(axis=1)
    nearest_km = dist.min(axis=1)
    keep = nearest_km <= buffer_km
    return events[keep].assign(segment=nearest[keep], distance_km=nearest_km[keep])


def segment_counts(
    assigned: pd.DataFrame,
    scenario: Scenario,
    period: Period = "month",
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Counts per segment (rows, every segment of the scenario) and period (columns)."""
    seg_ids = [s.id for s in scenario.segments]
    if span is None:
        span = (assigned["event_date"].min(), assigned["event_date"].max())
    periods = all_periods(*span, period) if len(assigned) or span[0] is not pd.NaT else []
    labels = period_label(assigned["event_date"], period)
    table = pd.crosstab(assigned["segment"], labels)
    table = table.reindex(index=seg_ids, columns=periods, fill_value=0).fillna(0).astype(int)
    table.index.name, table.columns.name = "segment", period
    table["total"] = table.sum(axis=1)
    return table
