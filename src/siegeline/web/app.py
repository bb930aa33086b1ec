"""The FastAPI application: HTTP API under /api, the dashboard at /, Plotly.js from the installed
plotly package at /vendor/plotly.min.js (no CDN)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import siegeline
from siegeline.reports.assets import plotly_js_path
from siegeline.web.catalogue import ScenarioCatalogue
from siegeline.web.cost import CostLimits
from siegeline.web.errors import BodySizeLimit, error_responses, install_error_handlers
from siegeline.web.jobs import JobManager
from siegeline.web.models import Health
from siegeline.web.security import HostCheck, ResponseDeadline, SecurityHeaders, TokenAuth
from siegeline.web.store_access import StoreAccess

WORKER_BASE_BYTES = 2**30  # a run's process holds ~250 MB of interpreter and libraries


@dataclass(frozen=True)
class WebSettings:
    """Limits and resources of one server. A run is refused before it starts when its
    estimated memory (``web.cost``: about 1.9 kB per replication-day at the peak on Bamako),
    its replication-days (far fewer for the event-level reference engine, about 7 ms per
    replication-day on Bamako) or its fleet exceeds them."""

    store_path: Path | None = None
    scenarios_path: Path | None = None  # a folder of *.yaml scenarios, beside the packaged ones
    max_replications: int = 20_000
    max_days: int = 730
    max_replication_days: int = 2_000_000
    max_reference_replication_days: int = 20_000  # about 2.5 minutes of one core on Bamako
    max_tankers: int = 1_000_000  # Bamako has 3,286; a count this large is a typing error
    max_reference_tankers: int = 100_000  # about 120 MB of simulated tankers
    max_run_bytes: int = 2 * 2**30
    max_worker_bytes: int | None = None  # default: max_run_bytes + WORKER_BASE_BYTES
    max_store_bytes: int = 10 * 2**30  # new runs are refused once the store is this large
    max_body_bytes: int = 1_000_000
    workers: int = 1
    max_active_runs: int = 8
    cached_runs: int = 4
    token: str | None = None  # required on every request when set
    host: str = "127.0.0.1"  # the address served: a Host header may name it (or localhost)
    response_deadline_s: float = 60.0


    def worker_memory_bytes(self) -> int:
        """The memory guard: a run's process is killed above this (its own estimate may be
        wrong), the interpreter and libraries included."""
        return self.max_worker_bytes or self.max_run_bytes + WORKER_BASE_BYTES

    def cost_limits(self) -> CostLimits:
        return CostLimits(self.max_run_bytes, self.max_replication_days,
                          self.max_reference_replication_days, self.max_tankers,
                          self.max_reference_tankers)


def _static_dir() -> Path:
    return Path(str(resources.files("siegeline.web") / "static"))


def create_app(settings: WebSettings | None = None) -> FastAPI:
    from siegeline.web import (
        routes_events,
        routes_forecast,
        routes_planning,
        routes_results,
        routes_runs,
        routes_scenarios,
    )

    settings = settings or WebSettings()
    catalogue = ScenarioCatalogue(settings.scenarios_path)  # ValueError: a clash, no folder
    store = StoreAccess(settings.store_path, cache_size=settings.cached_runs,
                        warm=routes_results.warm_answers)
    jobs = JobManager(store, workers=settings.workers, max_active=settings.max_active_runs,
                      memory_limit_bytes=settings.worker_memory_bytes())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Before the first request is answered: the newest runs and their first answers, and
        # the packaged scenarios' list (validating them takes ~60 ms each).
        await asyncio.to_thread(store.preload)
        await asyncio.to_thread(routes_scenarios.packaged_infos)
        yield
        jobs.shutdown()

    app = FastAPI(
        title="siegeline",
        version=siegeline.__version__,
        description="Simulate and compare the fuel supply of a city whose supply corridors are "
                    "under armed interdiction. Runs execute in the background and are kept in "
                    "the results store.",
        lifespan=lifespan,
        responses=error_responses(400, 401, 413, 504),  # the middleware's answers
        docs_url=None,  # FastAPI's pages load Swagger UI and ReDoc from a CDN; ours is local
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.catalogue = catalogue
    app.state.jobs = jobs
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ResponseDeadline, seconds=settings.response_deadline_s)
    if settings.token:  # added late, so it runs early: no body is read without the token
        app.add_middleware(TokenAuth, token=settings.token)
    else:  # no token: only requests naming this machine (no DNS rebinding)
        app.add_middleware(HostCheck, allowed=frozenset({settings.host}))
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers
    install_error_handlers(app)

    @app.get("/api/health", tags=["server"], response_model=Health)
    def health() -> dict[str, object]:
        """Server version, results store (its file name; no path is shown) and limits."""
        limits = {k: v for k, v in asdict(settings).items()
                  if k not in ("store_path", "scenarios_path", "token", "host")}
        return {"status": "ok", "version": siegeline.__version__, "store": store.path.name,
                "limits": limits}

    for module in (routes_scenarios, routes_forecast, routes_runs, routes_results, routes_events,
                   routes_planning):
        app.include_router(module.router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        """The API reference, drawn from /openapi.json by a local script (works offline)."""
        return FileResponse(_static_dir() / "api-docs.html", media_type="text/html")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(_static_dir() / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")
    _document_limits(app.openapi(), settings)  # built once now rather than by a request
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build_openapi()
        _document_scenarios(schema, catalogue.names())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _document_scenarios(schema: dict[str, Any], names: list[str]) -> None:
    """Scenario names as an enum of the ones this server runs now (a scenario folder's files
    come and go while it runs, so the enum is set again each time the schema is asked for)."""
    fields = [schema["components"]["schemas"]["RunRequest"]["properties"]["scenario"]]
    for methods in schema["paths"].values():
        for op in methods.values():
            fields += [p["schema"] for p in op.get("parameters", [])
                       if p["name"] in ("name", "scenario")]
    for field in fields:
        field["enum"] = names


def _document_limits(schema: dict[str, Any], settings: WebSettings) -> None:
    """The run-size fields of the request models say this server's limits (the models are
    shared by all servers; each server checks its own limits and answers 422 beyond them)."""
    limits = {"replications": settings.max_replications, "days": settings.max_days}
    for model in ("RunRequest", "RunSize"):
        properties = schema["components"]["schemas"].get(model, {}).get("properties", {})
        for field, limit in limits.items():
            for branch in properties.get(field, {}).get("anyOf", []):
                if branch.get("type") == "integer":
                    branch["maximum"] = limit
