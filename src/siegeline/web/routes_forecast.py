"""/api/scenarios/{name}/forecast: a forecast from a date, as ``siegeline forecast`` makes it
(``forecast.core``), with Plotly figures for the dashboard (``reports.forecast``).

It is answered within the request, not as a background job: at the default 200 replications a
forecast of Bamako from 30 November for 30 days (119 days simulated) takes about 0.6 s (measured
on a shared 2-core machine), and the largest one allowed, ``MAX_FORECAST_REPLICATIONS`` for
``MAX_FORECAST_DAYS`` (1,000 × 454 days), about 8 s, well within the response deadline; a job
would add a store for forecasts and a second polling protocol for no gain at these sizes.
Answers are kept for the same question (a forecast is deterministic given its seed, the
scenario's by default); one forecast is computed at a time per server (another answers 429, as
a second planning solve does), so a few clients cannot take every core.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from siegeline.observations.log import PACKAGED
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario
from siegeline.web.catalogue import ScenarioCatalogue
from siegeline.web.cost import check_cost
from siegeline.web.errors import error_responses
from siegeline.web.models import ForecastAnswer
from siegeline.web.routes_scenarios import NameInPath, catalogue_of, check_name

router = APIRouter(prefix="/api/scenarios", tags=["forecast"],
                   responses=error_responses(404, 422, 429))
DEFAULT_REPLICATIONS = 200
CACHED = 8
_RUNNING = threading.Lock()
_ANSWERS: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
MAX_FORECAST_REPLICATIONS = 1_000
MAX_FORECAST_DAYS = 365
LogName = Literal[(*PACKAGED, "none")]  # type: ignore[valid-type]  # never a path


def _query_error(field: str, msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["query", field], "msg": msg, "type": "value_error"}])


@router.get("/{name}/forecast", response_model=ForecastAnswer)
def get_forecast(
    name: NameInPath, request: Request,
    origin: dt.date | None = Query(None, alias="from", description="Forecast origin "
                                   "(YYYY-MM-DD); default: the last date of data of the "
                                   "scenario's posterior."),
    days: int = Query(30, ge=1, le=MAX_FORECAST_DAYS, description="Days after the origin."),
    replications: int = Query(DEFAULT_REPLICATIONS, ge=1, le=MAX_FORECAST_REPLICATIONS,
                              description="Replications (the server's limits apply too)."),
    seed: int | None = Query(None, ge=0, le=2**63 - 1, description="Default: the scenario's."),
    observations: LogName | None = Query(None, description="Packaged observation log "
                                         "overlaid, 'none' for no overlay; default: the log "
                                         "the scenario names (else its posterior's, when "
                                         "packaged; none if neither names one)."),
) -> dict[str, Any]:
    """Fan charts of every observable kind (the model before the origin grey, the forecast
    blue, the reports overlaid, the origin a dashed line), P(stockout that day) by product
    after the origin, and the table over the forecast window."""
    catalogue = catalogue_of(request)
    scenario = catalogue.load(check_name(catalogue, name))
    post = scenario.posterior
    origin = origin or (post.until if post is not None else None)
    if origin is None:
        raise _query_error("from", "give the forecast origin (from=YYYY-MM-DD): the scenario "
                                   "carries no posterior with a last date of data")
    start = scenario.simulation.start_date
    if origin < start:
        raise _query_error("from", f"{origin} is before the scenario's start {start}")
    total = (origin - start).days + days + 1
    settings = request.app.state.settings
    if total > settings.max_days:
        raise _query_error("days", f"a forecast from {origin} for {days} days simulates {total} "
                                   f"days from {start}; this server allows at most "
                                   f"{settings.max_days:,}")
    if replications > settings.max_replications:
        raise _query_error("replications", f"at most {settings.max_replications:,} "
                                           "replications per run on this server")
    try:
        check_cost(scenario, replications, total, "vectorized", settings.cost_limits())
    except ScenarioError as exc:
        raise HTTPException(422, [{"loc": ["query", path], "msg": msg, "type": "value_error"}
                                  for path, msg in exc.problems]) from None
    if observations is None:
        observations = _scenario_log(scenario)
    key = (catalogue, name, catalogue.version(name), origin, days, replications, seed,
           observations)
    if key in _ANSWERS:
        return _ANSWERS[key]
    if not _RUNNING.acquire(blocking=False):
        raise HTTPException(429, "another forecast is being computed; try again when it ends")
    try:
        answer = _forecast(catalogue, name, origin, days, replications, seed, observations)
    finally:
        _RUNNING.release()
    _ANSWERS[key] = answer
    while len(_ANSWERS) > CACHED:
        _ANSWERS.popitem(last=False)
    return answer


def _scenario_log(scenario: Scenario) -> str:
    """The log a scenario names: a packaged name, or a file the loader resolved and checked
    (a scenario of the server's folder names it; a request never gives a path); "none"."""
    if scenario.observations is not None:
        return scenario.observations
    log = scenario.posterior.observations if scenario.posterior is not None else ""
    return log if log in PACKAGED else "none"


def _forecast(catalogue: ScenarioCatalogue, name: str, origin: dt.date, days: int,
              replications: int, seed: int | None, observations: str) -> dict[str, Any]:
    from siegeline.forecast import forecast
    from siegeline.observations.log import ObservationLogError, load_log
    from siegeline.reports.forecast import HORIZON_HEADER, forecast_figures, horizon_rows

    fc = forecast(catalogue.load(name), origin, days, replications=replications, seed=seed)
    try:
        log = load_log(observations) if observations != "none" else None
    except (ObservationLogError, FileNotFoundError) as exc:  # gone or broken since loading
        logging.getLogger(__name__).warning("forecast of %s drawn without reports: %s", name, exc)
        log, observations = None, "none"
    return {
        "scenario": name, "origin": str(origin), "days": days,
        "replications": fc.result.replications,
        # A file is named without its folder: the server's paths are not the client's business.
        "observations": None if observations == "none" else Path(observations).name,
        "figures": forecast_figures(fc, log),
        "horizon": {"header": list(HORIZON_HEADER), "rows": horizon_rows(fc)},
        "stockout": {"dates": [str(d) for d in fc.stockout.index],
                     "curves": {str(p): [float(v) for v in fc.stockout[p]]
                                for p in fc.stockout.columns}},
    }
