"""Tie events to corridor segments: an event counts for the nearest segment within a buffer.

Distances are to each segment's road (its ``geometry`` where the scenario has one, else the
geodesic between its nodes), measured in a projection centred on that segment
(:func:`siegeline.network.geometry.distances_to_segments_km`), so the buffer is in real
kilometres wherever the scenario lies. An event equally
near several segments (at a town where they meet, or beyond it) is shared equally among them:
each of k such segments gets a share 1/k, so every event within the buffer counts once in all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from siegeline.events.analytics import Period, all_periods, period_label
from siegeline.network.geometry import distances_to_segments_km
from siegeline.scenario.schema import Scenario


def distances_km(events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Distance (km) from every event (rows) to every segment (columns)."""
    return pd.DataFrame(
        distances_to_segments_km(scenario, events["longitude"].to_numpy(),
                                 events["latitude"].to_numpy()),
        index=events.index,
    )


# Distances this close (km) are a tie: an event at a node is at distance 0 from every segment
# meeting there, up to rounding in the projection.
TIE_KM = 1e-3


def assign_segments(events: pd.DataFrame, scenario: Scenario, buffer_km: float) -> pd.DataFrame:
    """Events within ``buffer_km`` of a segment, one row per event and nearest segment, with
    columns ``segment``, ``distance_km`` and ``share``: 1, or 1/k for an event equally near k
    segments (so the shares of an event sum to 1 and no event counts twice). Rows keep the
    events' index and order; tied segments follow the scenario's order."""
    if buffer_km <= 0:
        raise ValueError("the buffer distance must be positive")
    if events.empty:
        return events.assign(segment=pd.Series(dtype=str), distance_km=pd.Series(dtype=float),
                             share=pd.Series(dtype=float))
    dist = distances_km(events, scenario)
    nearest_km = dist.min(axis=1)
    tied = dist.le(nearest_km + TIE_KM, axis=0) & (nearest_km <= buffer_km).to_numpy()[:, None]
    rows, cols = np.nonzero(tied.to_numpy())
    shares = 1.0 / tied.sum(axis=1).to_numpy()[rows]
    return events.iloc[rows].assign(
        segment=dist.columns[cols], distance_km=nearest_km.to_numpy()[rows], share=shares
    )


def segment_counts(
    assigned: pd.DataFrame,
    scenario: Scenario,
    period: Period = "month",
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Events per segment (rows, every segment of the scenario) and period (columns), an event
    shared by k segments counting 1/k on each; whole numbers when no event is shared."""
    seg_ids = [s.id for s in scenario.segments]
    if span is None:
        span = (assigned["event_date"].min(), assigned["event_date"].max())
    periods = all_periods(*span, period) if len(assigned) or span[0] is not pd.NaT else []
    labels = period_label(assigned["event_date"], period)
    table = pd.crosstab(assigned["segment"], labels, values=assigned["share"], aggfunc="sum")
    table = table.reindex(index=seg_ids, columns=periods).fillna(0.0).round(6)
    table.index.name, table.columns.name = "segment", period
    table["total"] = table.sum(axis=1)
    whole = bool((table == table.round()).all().all())
    return table.astype(int) if whole else table
