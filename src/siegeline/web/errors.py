"""Errors as JSON: scenario problems become FastAPI-style 422 details naming the field at fault;
oversized request bodies are refused with 413 before they are read into memory."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siegeline.reports.figures import FigureError
from siegeline.results.store import RunNotFound
from siegeline.scenario.loader import ScenarioError
from siegeline.web.jobs import NotCancellable, QueueFull


class StoreFull(RuntimeError):
    """The results store has reached the server's size limit."""


class ErrorBody(BaseModel):
    """Every error answer: a message, or FastAPI's list of ``{loc, msg, type}`` (422)."""

    detail: str | list[dict[str, Any]]


ERROR_MEANINGS = {
    400: "the Host header does not name this server (no token configured)",
    401: "missing or wrong token",
    404: "no such scenario or run (an ambiguous run-id prefix too)",
    409: "the run is queued, running, failed, cancelled or interrupted: it has no data (or "
         "cannot be cancelled)",
    413: "request body larger than the server's limit",
    422: "invalid input, or a run beyond the server's limits; `loc` names the field",
    429: "too many runs queued, or a planning solve already running",
    503: "the solver found no plan within its time limit",
    504: "no response within the server's deadline",
    507: "the results store has reached the server's size limit: no new run is accepted",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the error answers a route can give."""
    return {code: {"model": ErrorBody, "description": ERROR_MEANINGS[code]} for code in codes}


def scenario_error_detail(exc: ScenarioError) -> list[dict[str, object]]:
    """One detail per problem; ``loc`` is the field path split on dots, under ``overrides``,
    ``controls`` or ``body`` when the problem is in one of those, else under ``scenario``."""
    root = {"override": "overrides", "controls": "controls", "body": "body"}.get(exc.source,
                                                                               "scenario")
    out = []
    for path, msg in exc.problems:
        parts = [p for p in path.split(".") if p] if path else []
        if parts and parts[0] == root:
            parts = parts[1:]
        out.append({"loc": [root, *parts], "msg": msg, "type": "scenario_error"})
    return out


def _json_safe(value: Any) -> Any:
    """NaN and infinities (echoed back from a request body) as text: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _unfinished(state: dict[str, Any]) -> str:
    if state["status"] in ("queued", "running", "saving"):
        return (f"run {state['run_id']} is {state['status']} (day {state['days_done']} of "
                f"{state['days']}); its data can be read when it is done")
    return f"run {state['run_id']} was {state['status']} and has no data: {state['error']}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = _json_safe(jsonable_encoder(exc.errors()))
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(ScenarioError)
    async def _scenario(_: Request, exc: ScenarioError) -> JSONResponse:
        return JSONResponse({"detail": scenario_error_detail(exc)}, status_code=422)

    @app.exception_handler(FigureError)
    async def _figure(_: Request, exc: FigureError) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["query"], "msg": str(exc),
                                         "type": "value_error"}]}, status_code=422)

    @app.exception_handler(RunNotFound)
    async def _not_found(request: Request, exc: RunNotFound) -> JSONResponse:
        state = request.app.state.jobs.status(str(exc.args[0]))
        if state is not None and state["status"] != "done":  # known, but has no data (yet)
            return JSONResponse({"detail": _unfinished(state), "status": state["status"],
                                 "error": state["error"]}, status_code=409)
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(NotCancellable)
    async def _ended(_: Request, exc: NotCancellable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(StoreFull)
    async def _full(_: Request, exc: StoreFull) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=507)

    @app.exception_handler(QueueFull)
    async def _busy(_: Request, exc: QueueFull) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429)


class BodySizeLimit:
    """ASGI middleware: 413 for a declared or streamed body larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # An HTTPException passes FastAPI's body parsing unchanged and becomes the
                    # response; any other exception there would turn into a 400.
                    raise HTTPException(413, f"request body larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
