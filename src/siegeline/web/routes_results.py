"""Results of stored runs: record, summary, fan-chart quantiles, stockout probability, charts,
map, downloads, and the comparison of two runs. ``run_id`` may be a unique prefix or 'latest'."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from siegeline.model.outputs import OUTPUTS
from siegeline.reports.figures import (
    Figure,
    add_queue_cap,
    add_timeline_markers,
    comparison_fan_chart,
    comparison_stockout_chart,
    comparison_table,
    fan_chart,
    fan_quantiles,
    stockout_chart,
    stockout_curves,
    weekly_convoys_chart,
)
from siegeline.reports.maps import corridor_flows, network_map
from siegeline.reports.timeline import regime_rows, timeline_rows
from siegeline.results.result import SimulationResult
from siegeline.scenario.loader import validate_scenario
from siegeline.scenario.schema import Scenario
from siegeline.web.errors import error_responses
from siegeline.web.models import (
    Comparison,
    PlotlyFigure,
    Quantiles,
    RunRecord,
    Stockout,
    Summary,
)
from siegeline.web.store_access import StoreAccess

router = APIRouter(tags=["results"], responses=error_responses(404, 409, 422))
CSV_CHUNK_ROWS = 50_000
T = TypeVar("T")
OutputName = Literal[tuple(v.name for v in OUTPUTS)]  # type: ignore[valid-type]
Chart = Literal["cover_days", "stations_open", "queue_wait_hours", "informal_price",
                "electricity_hours", "delivered_litres", "gate_litres", "attack_intensity",
                "escort_pool", "convoys_weekly", "stockout"]
_RUN_EXAMPLES = {"latest": {"summary": "the newest stored run", "value": "latest"}}
RunId = Annotated[str, Path(description="A run id, a unique prefix of one, or 'latest'.",
                            openapi_examples=_RUN_EXAMPLES)]
RunQuery = Annotated[str, Query(max_length=64, description="A run id, a unique prefix, or "
                                "'latest'.", openapi_examples=_RUN_EXAMPLES)]


def _clean(value: Any) -> Any:
    """JSON has no NaN: missing numbers become null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _load(request: Request, run_id: str) -> SimulationResult:
    return request.app.state.store.load(run_id)


def _legend(request: Request, result: SimulationResult) -> str:
    """Name of a run in legends: its label, else the end of its random id part."""
    return request.app.state.store.label(str(result.run_id)) or f"…{str(result.run_id)[-8:]}"


def _cached(request: Request, run_ids: tuple[str, ...], key: tuple[Any, ...],
            compute: Callable[[], T]) -> T:
    return request.app.state.store.answer(run_ids, key, compute)


def _encoded(store: StoreAccess, run_ids: tuple[str, ...], key: tuple[Any, ...],
             model: type[BaseModel], compute: Callable[[], dict[str, Any]]) -> bytes:
    """The answer checked against its response model and encoded once: later requests get the
    same bytes without re-encoding (under load, encoding large answers again and again in
    Python, holding the GIL, made the latency's tail)."""
    def encode() -> bytes:
        return model.model_validate(compute()).model_dump_json().encode()

    return store.answer(run_ids, key, encode)


def _json(request: Request, run_ids: tuple[str, ...], key: tuple[Any, ...],
          model: type[BaseModel], compute: Callable[[], dict[str, Any]]) -> Response:
    return _respond(_encoded(request.app.state.store, run_ids, key, model, compute))


def _respond(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _stored_scenario(record: dict[str, Any]) -> Scenario:
    """The scenario a stored run used; it was validated when the run started, so only the
    schema is applied (not the timeline's phases again)."""
    return Scenario.model_validate(record["scenario"])


def run_record_json(store: StoreAccess, run_id: str) -> bytes:
    def compute() -> dict[str, Any]:
        record = store.record(run_id)
        scenario = _stored_scenario(record)
        return {"run_id": record["run_id"], "label": store.label(run_id),
                "metadata": record["metadata"],
                "timeline": [r.to_dict() for r in timeline_rows(scenario)],
                "regimes": regime_rows(scenario)}

    return _encoded(store, (run_id,), ("run",), RunRecord, compute)


def summary_json(store: StoreAccess, run_id: str) -> bytes:
    def compute() -> dict[str, Any]:
        result = store.load(run_id)
        return {"run_id": result.run_id, "summary": _records(result.summary())}

    return _encoded(store, (run_id,), ("summary",), Summary, compute)


def quantiles_json(store: StoreAccess, run_id: str, variable: str, item: str | None) -> bytes:
    return _encoded(store, (run_id,), ("quantiles", variable, item), Quantiles,
                    lambda: fan_quantiles(store.load(run_id), variable, item))


def stockout_json(store: StoreAccess, run_id: str) -> bytes:
    def compute() -> dict[str, Any]:
        result = store.load(run_id)
        dates = [str(d)[:10] for d in result.dataset["date"].values]
        return {"dates": dates, "curves": stockout_curves(result)}

    return _encoded(store, (run_id,), ("stockout",), Stockout, compute)


def warm_answers(store: StoreAccess, run_id: str) -> None:
    """Compute ahead what is first asked of a run (by the dashboard, and by clients listing
    summaries): its record, summary, stockout curve and days of cover. A stored run never
    changes, so these are the precomputed answers the first requests get."""
    run_record_json(store, run_id)
    summary_json(store, run_id)
    stockout_json(store, run_id)
    quantiles_json(store, run_id, "cover_days", None)


@router.get("/api/runs/{run_id}", response_model=RunRecord)
def get_run(run_id: RunId, request: Request) -> Response:
    """A stored run's metadata and label, its scenario's dated timeline (numbered in the order
    the changes take effect, as the markers on the charts) and campaign regimes (the whole
    scenario is at /scenario)."""
    return _respond(run_record_json(request.app.state.store, run_id))


@router.get("/api/runs/{run_id}/scenario")
def get_run_scenario(run_id: RunId, request: Request) -> dict[str, Any]:
    """The scenario exactly as the run used it (overrides applied), sources included."""
    return request.app.state.store.record(run_id)["scenario"]


@router.get("/api/runs/{run_id}/summary", response_model=Summary)
def get_summary(run_id: RunId, request: Request) -> Response:
    """Headline indicators at days 30, 60, 90 and the horizon: median, 5% and 95%."""
    return _respond(summary_json(request.app.state.store, run_id))


@router.get("/api/runs/{run_id}/quantiles/{variable}", response_model=Quantiles)
def get_quantiles(run_id: RunId, variable: OutputName, request: Request,
                  item: str | None = Query(None, max_length=64)) -> Response:
    """5/25/50/75/95% quantiles over replications per day of one output (and product,
    corridor or sector for outputs that have one: ``item``, default diesel or the first)."""
    return _respond(quantiles_json(request.app.state.store, run_id, variable, item))


@router.get("/api/runs/{run_id}/stockout", response_model=Stockout)
def get_stockout(run_id: RunId, request: Request) -> Response:
    """P(first stockout on or before each day), any product and per product."""
    return _respond(stockout_json(request.app.state.store, run_id))


@router.get("/api/runs/{run_id}/charts/{chart}", response_model=PlotlyFigure)
def get_chart(run_id: RunId, chart: Chart, request: Request,
              item: str | None = Query(None, max_length=64)) -> Response:
    """A Plotly figure (data and layout) of a run: a fan chart, the convoys arriving per week or
    the stockout curve, with the dates of the scenario's timeline marked."""
    def compute() -> Figure:
        result = _load(request, run_id)
        if chart == "stockout":
            figure = stockout_chart(result)
        elif chart == "convoys_weekly":
            figure = weekly_convoys_chart(result)
        else:
            figure = fan_chart(result, chart, item)
        if chart == "queue_wait_hours":
            add_queue_cap(figure, _stored_scenario(request.app.state.store.record(run_id))
                          .stations.max_wait_hours)
        return _with_timeline(figure, request, run_id, result)

    return _json(request, (run_id,), ("chart", chart, item), PlotlyFigure, compute)


def _with_timeline(figure: Figure, request: Request, run_id: str,
                   result: SimulationResult) -> Figure:
    entries = [r.to_dict() for r in timeline_rows(_stored_scenario(
        request.app.state.store.record(run_id)))]
    dates = result.dataset["date"].values
    return add_timeline_markers(figure, entries, (str(dates[0])[:10], str(dates[-1])[:10]))


@router.get("/api/runs/{run_id}/map", response_model=PlotlyFigure)
def get_map(run_id: RunId, request: Request,
            colour_by: Literal["risk", "flow"] = Query("flow")) -> Response:
    """The run's network map, segments coloured by delivered flow or by attack risk."""
    def compute() -> dict[str, Any]:
        record = request.app.state.store.record(run_id)
        scenario = validate_scenario(record["scenario"], "stored scenario")
        flows = corridor_flows(_load(request, run_id)) if colour_by == "flow" else None
        return network_map(scenario, flows, colour_by)

    return _json(request, (run_id,), ("map", colour_by), PlotlyFigure, compute)


def _csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    for start in range(0, len(frame), CSV_CHUNK_ROWS):
        part = frame.iloc[start : start + CSV_CHUNK_ROWS]
        yield part.to_csv(index=False, header=start == 0).encode()


@router.get("/api/runs/{run_id}/download", response_model=None,
            response_class=StreamingResponse, responses={200: {
    "description": "Parquet (format=parquet) or CSV (format=csv, summary.csv) as a download",
    "content": {"application/vnd.apache.parquet": {}, "text/csv": {}}}})
def download(run_id: RunId, request: Request,
             format: Literal["parquet", "csv", "summary.csv"] = Query("parquet"),
             ) -> FileResponse | StreamingResponse:
    """Daily outputs of every replication (Parquet or CSV, one row per replication and day)
    or the summary table as CSV."""
    result = _load(request, run_id)
    name = f"siegeline-{result.run_id}"
    if format == "parquet":
        fd, tmp = tempfile.mkstemp(suffix=".parquet")
        os.close(fd)
        result.save_parquet(tmp)
        return FileResponse(tmp, media_type="application/vnd.apache.parquet",
                            filename=f"{name}.parquet", background=BackgroundTask(os.unlink, tmp))
    frame = result.summary() if format == "summary.csv" else result.to_wide_frame()
    filename = f"{name}-summary.csv" if format == "summary.csv" else f"{name}.csv"
    return StreamingResponse(_csv_chunks(frame), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/api/compare", tags=["compare"], response_model=Comparison)
def compare(request: Request, a: RunQuery,
            b: RunQuery) -> Response:
    """Two runs side by side: summary indicators with B − A of the medians, and P(stockout by
    day) of each with B − A, over the days both runs cover."""
    def compute() -> dict[str, Any]:
        ra, rb = _load(request, a), _load(request, b)
        days = min(ra.days, rb.days)
        pa = ra.stockout_probability().to_numpy()[:days]
        pb = rb.stockout_probability().to_numpy()[:days]
        return {
            "a": {"run_id": ra.run_id, "label": _legend(request, ra)},
            "b": {"run_id": rb.run_id, "label": _legend(request, rb)},
            "table": _records(comparison_table(ra, rb)),
            "p_stockout": {"day": list(range(days)), "a": pa.tolist(), "b": pb.tolist(),
                           "diff": (pb - pa).tolist()},
        }

    return _json(request, (a, b), ("compare",), Comparison, compute)


@router.get("/api/compare/charts/{chart}", tags=["compare"], response_model=PlotlyFigure)
def compare_chart(chart: Chart, request: Request, a: RunQuery,
                  b: RunQuery,
                  item: str | None = Query(None, max_length=64)) -> Response:
    """A Plotly figure of two runs on one chart (A blue, B orange), each named by its label."""
    def compute() -> Figure:
        ra, rb = _load(request, a), _load(request, b)
        labels = (f"A {_legend(request, ra)}", f"B {_legend(request, rb)}")
        if chart == "stockout":
            return comparison_stockout_chart(ra, rb, labels)
        figure = comparison_fan_chart(ra, rb, chart, item, labels)
        if chart == "queue_wait_hours":
            caps = {_stored_scenario(request.app.state.store.record(r)).stations.max_wait_hours
                    for r in (a, b)}
            add_queue_cap(figure, max(caps))
        return figure

    return _json(request, (a, b), ("compare_chart", chart, item), PlotlyFigure, compute)
