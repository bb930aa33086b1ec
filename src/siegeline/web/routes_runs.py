"""/api/runs: start runs in the background, follow their progress, list stored runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from siegeline.engines import available_engines
from siegeline.results.store import RunNotFound
from siegeline.scenario.loader import ScenarioError
from siegeline.web.jobs import Job
from siegeline.web.routes_scenarios import ScenarioChanges, resolve_changes

router = APIRouter(prefix="/api/runs", tags=["runs"])
STREAM_INTERVAL_S = 0.25


class RunRequest(ScenarioChanges):
    scenario: str = Field("bamako-2025", max_length=64, description="Packaged scenario name.")
    replications: int | None = Field(None, ge=1, le=1_000_000,
                                     description="Default: the scenario's (server limit applies).")
    days: int | None = Field(None, ge=1, le=3650,
                             description="Horizon; default: the scenario's (server limit applies).")
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    engine: str = Field("vectorized", max_length=32)
    label: str = Field("", max_length=200)


def _limit_error(field: str, msg: str) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["body", field], "msg": msg,
                                     "type": "limit_exceeded"}]}, status_code=422)


@router.post("", status_code=202)
def start_run(body: RunRequest, request: Request) -> Any:
    """Validate and queue a run; returns its run id at once (poll its progress)."""
    settings = request.app.state.settings
    if body.engine not in available_engines():
        raise ScenarioError([("engine", f"unknown engine {body.engine!r}; available: "
                                        f"{', '.join(available_engines())}")], "body")
    scenario, overrides = resolve_changes(body.scenario, body, in_body=True)
    reps = body.replications or scenario.simulation.replications
    days = body.days or scenario.simulation.horizon_days
    if reps > settings.max_replications:
        return _limit_error("replications", f"at most {settings.max_replications} replications "
                                            "per run on this server")
    if days > settings.max_days:
        return _limit_error("days", f"at most {settings.max_days} days per run on this server")
    if reps * days > settings.max_replication_days:
        return _limit_error("replications", f"{reps} replications × {days} days exceeds this "
                                            f"server's {settings.max_replication_days:,} "
                                            "replication-days per run")
    job = request.app.state.jobs.submit(scenario, replications=reps, days=days, seed=body.seed,
                                        engine=body.engine, label=body.label, overrides=overrides)
    return {**job.to_dict(), "progress_url": f"/api/runs/{job.run_id}/progress",
            "stream_url": f"/api/runs/{job.run_id}/stream"}


@router.get("")
def list_runs(request: Request) -> dict[str, Any]:
    """Stored runs (newest first) and runs still queued or running."""
    frame = request.app.state.store.list_runs()
    frame["created"] = frame["created"].astype(str)
    return {"runs": frame.to_dict(orient="records"),
            "active": [j.to_dict() for j in request.app.state.jobs.active_jobs()]}


def job_or_stored(request: Request, run_id: str) -> dict[str, Any]:
    """Progress of a job this server runs, else of a stored run (complete); 404 otherwise."""
    job: Job | None = request.app.state.jobs.get(run_id)
    if job is not None:
        return job.to_dict()
    record = request.app.state.store.record(run_id)
    meta = record["metadata"]
    days = int(meta.get("days", 0))
    return {"run_id": record["run_id"], "status": "done", "scenario": meta.get("scenario_name"),
            "replications": int(meta.get("replications", 0)), "days": days, "days_done": days,
            "fraction": 1.0, "error": None}


@router.get("/{run_id}/progress")
def progress(run_id: str, request: Request) -> dict[str, Any]:
    """State (queued, running, saving, done, failed) and days simulated so far."""
    return job_or_stored(request, run_id)


@router.get("/{run_id}/stream")
async def stream(run_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: one progress message every 0.25 s until the run ends."""
    first = job_or_stored(request, run_id)  # 404 before the stream starts

    async def events() -> AsyncIterator[str]:
        state = first
        while True:
            yield f"data: {json.dumps(state)}\n\n"
            if state["status"] in ("done", "failed") or await request.is_disconnected():
                return
            await asyncio.sleep(STREAM_INTERVAL_S)
            try:
                state = await asyncio.to_thread(job_or_stored, request, run_id)
            except RunNotFound:
                return

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
