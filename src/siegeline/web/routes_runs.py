"""/api/runs: start runs in the background, follow their progress, list stored runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import Field, StrictInt

from siegeline.results.store import RunNotFound
from siegeline.web.errors import StoreFull, error_responses
from siegeline.web.jobs import ENDED_BADLY
from siegeline.web.models import Progress, RunList, RunStarted
from siegeline.web.routes_scenarios import (
    RunSize,
    ScenarioName,
    check_run_size,
    resolve_changes,
)

ENDED = ("done", *ENDED_BADLY)

router = APIRouter(prefix="/api/runs", tags=["runs"],
                   responses=error_responses(404, 409, 422, 429, 507))
STREAM_INTERVAL_S = 0.25


class RunRequest(RunSize):
    scenario: ScenarioName = "bamako-2025"
    seed: StrictInt | None = Field(None, ge=0, le=2**63 - 1)
    label: str = Field("", max_length=200)


@router.post("", status_code=202, response_model=RunStarted)
def start_run(body: RunRequest, request: Request) -> Any:
    """Validate and queue a run; returns its run id at once (poll its progress)."""
    scenario, overrides = resolve_changes(request.app.state.catalogue, body.scenario, body,
                                          in_body=True)
    settings = request.app.state.settings
    cost = check_run_size(scenario, body, settings)
    used = request.app.state.store.size_bytes()
    if used >= settings.max_store_bytes:
        raise StoreFull(f"the results store holds {used / 2**30:,.2f} GiB, this server's limit "
                        f"is {settings.max_store_bytes / 2**30:,.2f} GiB: delete old runs (or "
                        "start the server with a larger --max-store-gb or another --store)")
    reps, days = cost.replications, cost.days
    job = request.app.state.jobs.submit(scenario, replications=reps, days=days, seed=body.seed,
                                        engine=body.engine, label=body.label, overrides=overrides)
    return {**job.to_dict(), "progress_url": f"/api/runs/{job.run_id}/progress",
            "stream_url": f"/api/runs/{job.run_id}/stream"}


@router.get("", response_model=RunList)
def list_runs(request: Request) -> dict[str, Any]:
    """Stored runs (newest first), runs still queued or running (``active``) and the latest
    runs that failed, were cancelled or were interrupted by a server stop (``ended``)."""
    jobs = request.app.state.jobs
    return {"runs": request.app.state.store.run_records(),
            "active": [j.to_dict() for j in jobs.active_jobs()],
            "ended": jobs.ended_badly()}


def job_or_stored(request: Request, run_id: str) -> dict[str, Any]:
    """Progress of a job this server or an earlier one ran (the journal), else of a stored
    run (complete); 404 otherwise."""
    state = request.app.state.jobs.status(run_id)
    if state is not None and state["status"] != "done":
        return state
    record = request.app.state.store.record(run_id)
    meta = record["metadata"]
    days = int(meta.get("days", 0))
    return {"run_id": record["run_id"], "status": "done", "scenario": meta.get("scenario_name"),
            "replications": int(meta.get("replications", 0)), "days": days, "days_done": days,
            "fraction": 1.0, "error": None}


@router.get("/{run_id}/progress", response_model=Progress)
def progress(run_id: str, request: Request) -> dict[str, Any]:
    """State (queued, running, saving, done, failed, cancelled, interrupted) and days
    simulated so far."""
    return job_or_stored(request, run_id)


@router.delete("/{run_id}", response_model=Progress)
def cancel(run_id: str, request: Request) -> dict[str, Any]:
    """Cancel a queued or running run (its process is killed; nothing is stored); 409 when
    the run has already ended."""
    return request.app.state.jobs.cancel(run_id)


@router.get("/{run_id}/stream", response_class=StreamingResponse, responses={200: {
    "description": "server-sent events, each `data:` a progress object as /progress gives",
    "content": {"text/event-stream": {}}}})
async def stream(run_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: one progress message every 0.25 s until the run ends."""
    first = job_or_stored(request, run_id)  # 404 before the stream starts

    async def events() -> AsyncIterator[str]:
        state = first
        while True:
            yield f"data: {json.dumps(state)}\n\n"
            if state["status"] in ENDED or await request.is_disconnected():
                return
            await asyncio.sleep(STREAM_INTERVAL_S)
            try:
                state = await asyncio.to_thread(job_or_stored, request, run_id)
            except RunNotFound:
                return

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
