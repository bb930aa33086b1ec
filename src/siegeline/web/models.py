"""Response models of the server's answers (runs, progress, validation, health, and the results
of stored runs: summaries, quantiles, stockout curves, comparisons, figures), so the OpenAPI
schema describes them field by field. A Plotly figure's traces and layout stay free-form
objects: their keys are Plotly's; so does a scenario document (its fields are the scenario
schema's, docs/scenario.md). Numbers a run did not produce (NaN) are null."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["queued", "running", "saving", "done", "failed", "cancelled", "interrupted"]


class Progress(BaseModel):
    run_id: str
    status: Status
    scenario: str | None = Field(None, description="Scenario name.")
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


class SummaryRow(BaseModel):
    indicator: str
    item: str | None = Field(None, description="Product, corridor or sector, if any.")
    day: int
    median: float | None
    p05: float | None
    p95: float | None


class Summary(BaseModel):
    run_id: str
    summary: list[SummaryRow] = Field(description="Median, 5% and 95% over replications at "
                                                  "days 30, 60, 90 and the horizon.")


class Quantiles(BaseModel):
    variable: str
    item: str | None
    unit: str
    description: str
    dates: list[str]
    bands: dict[str, list[float | None]] = Field(
        description="Per quantile ('0.05', '0.25', '0.5', '0.75', '0.95'), one value per day.")


class Stockout(BaseModel):
    dates: list[str]
    curves: dict[str, list[float]] = Field(
        description="P(first stockout on or before each day): 'any product', then each product.")


class RunName(BaseModel):
    run_id: str
    label: str = Field(description="The run's label, else the end of its id.")


class ComparisonRow(BaseModel):
    indicator: str
    item: str | None = None
    day: int
    median_a: float | None
    p05_a: float | None
    p95_a: float | None
    median_b: float | None
    p05_b: float | None
    p95_b: float | None
    median_diff: float | None = Field(description="Median of B minus median of A.")


class StockoutComparison(BaseModel):
    day: list[int]
    a: list[float]
    b: list[float]
    diff: list[float] = Field(description="B − A.")


class Comparison(BaseModel):
    a: RunName
    b: RunName
    table: list[ComparisonRow]
    p_stockout: StockoutComparison


class PlotlyFigure(BaseModel):
    data: list[dict[str, Any]] = Field(description="Plotly traces.")
    layout: dict[str, Any] = Field(description="Plotly layout.")


class TimelineEntry(BaseModel):
    number: int
    date: str
    day: int
    changes: list[str] = Field(description="The `path = value` lines this entry sets.")
    note: str | None = None
    source: str | None = None


class RunRecord(BaseModel):
    run_id: str
    label: str
    metadata: dict[str, Any] = Field(description="Seed, engine, horizon, scenario hash, "
                                                 "overrides applied, version, …")
    timeline: list[TimelineEntry] = Field(description="In the order the changes take effect.")
    regimes: list[dict[str, Any]] = Field(description="The campaign's regimes.")


class ScenarioInfo(BaseModel):
    name: str
    source: Literal["packaged", "folder"] = Field(
        "packaged", description="Packaged with siegeline, or a file of the server's scenario "
                                "folder (`siegeline serve --scenarios DIR`), named by its stem.")
    valid: bool = Field(True, description="False for a folder file that does not validate: it "
                                          "is listed with its first problem and cannot be run.")
    error: str | None = Field(None, description="Why the file is invalid.")
    title: str | None = None
    description: str | None = None
    horizon_days: int | None = None
    replications: int | None = None
    corridors: list[str] = Field(default_factory=list)


class EventsTrend(BaseModel):
    available: bool = Field(description="False while the store holds no events.")
    total: int
    first_date: str | None = None
    last_date: str | None = None
    counts: dict[str, list[int]] | None = Field(None, description="Per event type, one count "
                                                                  "per period.")
    periods: list[str] | None = None
    figure: PlotlyFigure | None = None


class ForecastTable(BaseModel):
    header: list[str]
    rows: list[list[str]] = Field(description="Over the forecast window: totals of weekly "
                                              "series, means of daily ones, P(any stockout).")


class ForecastAnswer(BaseModel):
    scenario: str
    origin: str = Field(description="The forecast origin (ISO date).")
    days: int
    replications: int
    observations: str | None = Field(description="The observation log overlaid, if any.")
    figures: dict[str, PlotlyFigure] = Field(
        description="'forecast-<kind>' per observable kind, then 'forecast-stockout'.")
    horizon: ForecastTable
    stockout: Stockout = Field(description="P(stockout that day) by product after the origin.")
