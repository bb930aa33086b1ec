"""Response models of the server's own answers (runs, progress, validation, health), so the
OpenAPI schema describes them field by field. Results (figures, summaries) stay free-form JSON:
they are Plotly figures and tables whose columns follow the scenario."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["queued", "running", "saving", "done", "failed", "cancelled", "interrupted"]


class Progress(BaseModel):
    run_id: str
    status: Status
    scenario: str | None = Field(None, description="Packaged scenario name.")
    replications: int
    days: int
    days_done: int = Field(description="Days of the horizon simulated so far.")
    fraction: float = Field(ge=0, le=1)
    error: str | None = Field(None, description="Why the run failed, was cancelled or "
                                                "interrupted.")
    seed: int | None = None
    engine: str | None = None
    label: str | None = None
    overrides: list[str] | None = Field(None, description="The path=value changes applied.")
    created: str | None = None
    finished: str | None = None


class RunStarted(Progress):
    progress_url: str
    stream_url: str


class StoredRun(BaseModel):
    run_id: str
    created: str
    scenario_name: str | None
    engine: str | None
    seed: int | None
    replications: int
    days: int
    label: str | None


class RunList(BaseModel):
    runs: list[StoredRun] = Field(description="Stored runs, newest first.")
    active: list[Progress] = Field(description="Runs queued or running on this server.")
    ended: list[Progress] = Field(description="The latest failed, cancelled and interrupted "
                                              "runs (they have no data).")


class RunCostModel(BaseModel):
    engine: str
    replications: int
    days: int
    replication_days: int
    tankers: int
    memory_bytes: int = Field(description="Estimated peak memory of the run.")


class Validation(BaseModel):
    valid: Literal[True]
    name: str
    scenario_hash: str
    overrides: list[str] | None = None
    cost: RunCostModel


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    store: str = Field(description="The results store's file name.")
    limits: dict[str, int | float | str | None]
