"""/api/events/trend: conflict-event counts per period from the events table of the store, when
`siegeline events ingest` has filled it; otherwise ``available: false`` and the dashboard hides
the panel."""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Query, Request

from siegeline.reports.figures import events_trend_chart
from siegeline.web.models import EventsTrend

router = APIRouter(prefix="/api/events", tags=["events"])
OTHER = "other types"


def _load_events(request: Request) -> Any:
    """Events as a DataFrame, or None when the store or its events table is absent or empty."""
    from siegeline.events.store import connect, load_events

    store = request.app.state.store
    if not store.path.exists():
        return None
    with store.locked():
        try:
            with connect(store.path, read_only=True) as con:
                frame = load_events(con)
        except duckdb.CatalogException:  # no events table: nothing ingested yet
            return None
    return frame if len(frame) else None


@router.get("/trend", response_model=EventsTrend, response_model_exclude_unset=True)
def trend(request: Request,
          period: Literal["week", "month", "quarter", "half", "year"] = Query("month"),
          top: int = Query(5, ge=1, le=20)) -> dict[str, Any]:
    """Events per period and event type (the ``top`` commonest types, the rest pooled)."""
    from siegeline.events.analytics import counts

    events = _load_events(request)
    if events is None:
        return {"available": False, "total": 0}
    table = counts(events, period, by="event_type")
    order = table.sum().sort_values(ascending=False).index
    kept = table[order[:top]]
    if len(order) > top:
        kept = kept.assign(**{OTHER: table[order[top:]].sum(axis=1)})
    return {
        "available": True,
        "total": int(len(events)),
        "first_date": str(events["event_date"].min().date()),
        "last_date": str(events["event_date"].max().date()),
        "counts": {str(k): [int(v) for v in kept[k].values] for k in kept.columns},
        "periods": [str(p) for p in kept.index],
        "figure": events_trend_chart(kept, f"Conflict events per {period}, by type"),
    }
