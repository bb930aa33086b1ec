"""/api/plan: the planning solvers (max-flow interdiction with its loss curve, escort placement,
risk-aware routing) on one of the server's scenarios, with a table of segments, a map and the
loss curve as Plotly figures for the dashboard.

Solves are bounded: corridor-scale scenarios only (at most ``MAX_SEGMENTS`` segments), budgets
and escorts up to 10, a HiGHS time limit per solve, brute-force re-checks only up to
``BRUTE_FORCE_LIMIT`` candidate plans, and one solve at a time per process (more answer 429).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import networkx as nx
from fastapi import APIRouter, HTTPException, Query, Request
from shapely.geometry import LineString

from siegeline.network.geometry import segment_points
from siegeline.planning import (
    LossCurve,
    PlanResult,
    escort_placement,
    max_flow_interdiction,
    planning_graph,
    risk_aware_routing,
    stochastic_interdiction,
)
from siegeline.planning.stochastic import scenario_successes
from siegeline.reports.figures import FONT, Figure
from siegeline.reports.maps import NODE_STYLE, network_map
from siegeline.scenario.schema import Scenario
from siegeline.web.catalogue import UnknownScenario
from siegeline.web.errors import error_responses

router = APIRouter(prefix="/api/plan", tags=["planning"],
                   responses=error_responses(404, 422, 429, 503))

MAX_BUDGET = 10
MAX_ESCORTS = 10
MAX_SEGMENTS = 100
TIME_LIMIT_S = 20.0
BRUTE_FORCE_LIMIT = 1000  # about 1 s of NetworkX max flows on the Bamako network
# One solve at a time: solves are CPU-bound, and the HiGHS wrapper silences the solver's banner
# by pointing file descriptor 1 at /dev/null for a moment, which is not safe across threads.
_SOLVER = threading.Lock()

HazardLevel = Literal["central", "low", "high"]
ScenarioQuery = Query("bamako-2025", max_length=100, description="Scenario name (GET "
                                                                 "/api/scenarios).")
HazardQuery = Query("central", description="Hazard of each segment: central value or an end "
                                           "of its uncertainty range.")
BudgetQuery = Query(2, ge=0, le=MAX_BUDGET, description="Segments the adversary can cut.")
# Stochastic interdiction on the dashboard: about 0.5 s a budget on the Bamako network.
WEB_SAA = {"samples": 300, "batches": 2, "evaluation_samples": 1000, "seed": 1}

COLOURS = {"attacked": "#d62728", "defended": "#1a7f37", "flow": "#1f5fa8", "unused": "#b8b8b8"}
MIDPOINT_SYMBOLS = {"attacked": "x", "defended": "diamond"}
LEGEND = {"attacked": "attacked (cut)", "defended": "escorted (cannot be cut)",
          "flow": "flow (width ∝ tanker/day)", "unused": "no flow"}


def _query_error(field: str, msg: str, status: int = 422) -> HTTPException:
    return HTTPException(status, [{"loc": ["query", field], "msg": msg, "type": "value_error"}])


def _scenario(request: Request, name: str) -> Scenario:
    """A corridor-scale scenario of this server; else 422 naming the ``scenario`` query field."""
    try:
        scenario = request.app.state.catalogue.load(name)
    except UnknownScenario as exc:
        raise _query_error("scenario", str(exc)) from None
    if len(scenario.segments) > MAX_SEGMENTS:
        raise _query_error("scenario", f"{len(scenario.segments)} segments: the dashboard plans "
                                       f"corridor-scale networks only (at most {MAX_SEGMENTS}); "
                                       "use `siegeline plan` for larger ones")
    return scenario


@contextmanager
def _solver_slot() -> Iterator[None]:
    if not _SOLVER.acquire(blocking=False):
        raise HTTPException(429, "a planning solve is already running; try again in a moment")
    try:
        yield
    finally:
        _SOLVER.release()


def _solve(fn: Callable[..., PlanResult], *args: Any, **kwargs: Any) -> PlanResult:
    """Run one solver; its input errors become 422, a solve without any plan 503."""
    try:
        result = fn(*args, **kwargs)
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["query"], "msg": str(exc),
                                   "type": "value_error"}]) from None
    except RuntimeError as exc:
        raise HTTPException(503, f"{exc} within the {TIME_LIMIT_S:g} s time limit") from None
    if not math.isfinite(result.objective):
        raise HTTPException(503, f"{result.problem}: no plan found within the "
                                 f"{TIME_LIMIT_S:g} s time limit ({result.status})")
    return result


def _segment_rows(scenario: Scenario, g: nx.Graph, result: PlanResult) -> list[dict[str, Any]]:
    """One row per segment: its ends, length, capacity, flow, and whether attacked/defended."""
    names = {n.id: n.name for n in scenario.nodes}
    segments = {s.id: s for s in scenario.segments}
    attacked, defended = set(result.attack), set(result.defence)
    seg_loss = result.details.get("segment_loss", {})
    rows = []
    for _, _, d in g.edges(data=True):
        seg = segments[d["id"]]
        rows.append({
            "segment": seg.id, "from": names[seg.a], "to": names[seg.b],
            "length_km": d["length_km"], "capacity_tankers_per_day": d["capacity_tankers_per_day"],
            "loss_per_tanker": d["loss_per_tanker"],
            "flow": float(result.flows.get(d["id"], 0.0)),
            "expected_loss": seg_loss.get(d["id"]),
            "attacked": d["id"] in attacked, "defended": d["id"] in defended,
        })
    return rows


def plan_map(scenario: Scenario, rows: list[dict[str, Any]], title: str) -> Figure:
    """The dashboard's network map with the plan on it: attacked segments red (with a cross at
    the middle), escorted segments green, line width proportional to the flow."""
    base = network_map(scenario, None, "risk", title)
    seg_ids = {s.id for s in scenario.segments}
    background = [t for t in base["data"] if t.get("name") not in seg_ids | set(NODE_STYLE)
                  and not t.get("marker", {}).get("showscale")]
    nodes = [t for t in base["data"] if t.get("name") in NODE_STYLE]
    roads = {k: LineString(v) for k, v in segment_points(scenario).items()}
    top = max([r["flow"] for r in rows] + [1e-9])
    lines: list[dict[str, Any]] = []
    highlights: list[dict[str, Any]] = []
    marks: dict[str, list[tuple[float, float, str, str]]] = {}
    shown: set[str] = set()
    for r in rows:
        kind = ("attacked" if r["attacked"] else "defended" if r["defended"]
                else "flow" if r["flow"] > 1e-9 else "unused")
        width = 2 + 8 * r["flow"] / top
        if kind in ("attacked", "defended"):
            width = max(width, 5)
        road = roads[r["segment"]]
        xs, ys = (list(v) for v in road.xy)
        hover = (f"<b>{r['from']} – {r['to']}</b> ({r['segment']})<br>{r['length_km']:,.0f} km, "
                 f"capacity {r['capacity_tankers_per_day']:,.0f} tanker/day<br>"
                 f"flow {r['flow']:,.1f} tanker/day" + (f"<br>{LEGEND[kind]}"
                                                        if kind in ("attacked", "defended")
                                                        else ""))
        lines.append({"x": xs, "y": ys, "type": "scatter", "mode": "lines",
                      "name": LEGEND[kind], "legendgroup": kind, "showlegend": kind not in shown,
                      "line": {"color": COLOURS[kind], "width": width},
                      "text": [hover] * len(xs), "hoverinfo": "text", "meta": r["segment"]})
        shown.add(kind)
        if kind in MIDPOINT_SYMBOLS:
            middle = road.interpolate(0.5, normalized=True)
            marks.setdefault(kind, []).append((middle.x, middle.y, hover, r["segment"]))
    # A symbol at the middle of each attacked or escorted segment, drawn over the places: a
    # short segment next to the city would otherwise be hidden under its star and name.
    for kind, found in marks.items():
        xs, ys, texts, ids = zip(*found, strict=True)
        highlights.append({"x": list(xs), "y": list(ys), "type": "scatter", "mode": "markers",
                           "name": kind, "legendgroup": kind, "showlegend": False,
                           "marker": {"symbol": MIDPOINT_SYMBOLS[kind], "size": 13,
                                      "color": COLOURS[kind],
                                      "line": {"color": "white", "width": 1.5}},
                           "text": list(texts), "hoverinfo": "text", "meta": list(ids)})
    # The legend goes under the map: in its corner it would hide the coastal ports.
    layout = {**base["layout"], "margin": {**base["layout"]["margin"], "b": 60},
              "legend": {"orientation": "h", "x": 0, "y": -0.01, "yanchor": "top"}}
    return {"data": background + lines + nodes + highlights, "layout": layout}


def loss_curve_figure(curve: LossCurve, demand: float, city: str) -> Figure:
    """Max flow reaching the city against the adversary's budget, with the city's demand."""
    frame = curve.to_frame()
    budgets = [float(b) for b in frame["budget"]]
    hover = [f"budget {b:g}: {f:,.0f} tanker/day ({100 * s:.0f}% lost)<br>cut: {a or '-'}"
             for b, f, s, a in zip(budgets, frame["max_flow"], frame["loss_share"],
                                   frame["attack"], strict=True)]
    return {
        "data": [
            {"x": budgets, "y": [float(v) for v in frame["max_flow"]], "type": "scatter",
             "mode": "lines+markers", "name": f"max flow to {city}",
             "line": {"color": COLOURS["flow"], "width": 2.5}, "marker": {"size": 8},
             "text": hover, "hoverinfo": "text"},
            {"x": [budgets[0], budgets[-1]], "y": [demand, demand], "type": "scatter",
             "mode": "lines", "name": f"normal demand ({demand:,.1f} tanker/day)",
             "line": {"color": COLOURS["attacked"], "dash": "dash", "width": 1.5},
             "hoverinfo": "name"},
        ],
        "layout": {
            "title": {"text": f"Loss curve: tankers/day that can still reach {city}",
                      "x": 0.01, "xanchor": "left", "font": {"size": 15}},
            "font": FONT, "paper_bgcolor": "white", "plot_bgcolor": "white",
            "margin": {"l": 60, "r": 20, "t": 45, "b": 80}, "hovermode": "closest",
            "xaxis": {"title": {"text": "adversary budget (segments cut)"}, "dtick": 1,
                      "gridcolor": "#e6e6e6", "zeroline": False},
            "yaxis": {"title": {"text": "max flow (tanker/day)"}, "rangemode": "tozero",
                      "gridcolor": "#e6e6e6", "zeroline": False},
            "legend": {"orientation": "h", "y": -0.3, "x": 0},
        },
    }


def _payload(name: str, scenario: Scenario, g: nx.Graph, result: PlanResult,
             title: str) -> dict[str, Any]:
    rows = _segment_rows(scenario, g, result)
    return {**result.to_dict(), "scenario": name, "optimal": result.optimal,
            "time_limit_s": TIME_LIMIT_S, "brute_force_limit": BRUTE_FORCE_LIMIT,
            "demand_tankers_per_day": g.graph["demand_tankers_per_day"], "segments": rows,
            "map": plan_map(scenario, rows, title)}


SuccessModel = Literal["certain", "hazard"]
SuccessQuery = Query("certain", description="certain: every cut succeeds (Wood 1993); hazard: "
                     "an attack succeeds with the attack model's chance of one crossing and "
                     "the adversary minimises the expected flow (stochastic interdiction over "
                     f"{WEB_SAA['batches']} x {WEB_SAA['samples']} sampled scenarios, judged on "
                     f"{WEB_SAA['evaluation_samples']}).")


def _interdiction_solver(sc: Scenario, g: nx.Graph, success: SuccessModel):
    """The solver of one budget: Wood's MILP, or stochastic interdiction drawing the
    scenario's hazards, intensity and capacities."""
    if success == "certain":
        return lambda b, limit: _solve(max_flow_interdiction, g, b, time_limit=TIME_LIMIT_S,
                                       brute_force_limit=limit)

    def draw(n: int, seed: int):
        return scenario_successes(sc, g, n, seed)

    return lambda b, limit: _solve(stochastic_interdiction, g, b, draw=draw, check=limit > 0,
                                   time_limit=TIME_LIMIT_S, brute_force_limit=limit, **WEB_SAA)


@router.get("/interdiction")
def interdiction(request: Request, scenario: str = ScenarioQuery, budget: int = BudgetQuery,
                 hazard_level: HazardLevel = HazardQuery,
                 success: SuccessModel = SuccessQuery) -> dict[str, Any]:
    """Max-flow interdiction (Wood 1993): the segments an adversary cutting ``budget`` segments
    would choose, the tankers/day still able to reach the city, and the loss curve over
    budgets 0..``budget`` (each point re-checked with NetworkX; the chosen budget also by brute
    force when it has at most ``BRUTE_FORCE_LIMIT`` affordable attacks). With ``success=hazard``
    the stochastic model (Cormican, Morton & Wood 1998): expected tankers/day, with the 95 %
    interval and quantiles in ``details``."""
    sc = _scenario(request, scenario)
    g = planning_graph(sc, hazard_level=hazard_level)
    solve = _interdiction_solver(sc, g, success)
    with _solver_slot():
        points = [solve(b, 0) for b in range(budget)]
        result = solve(budget, BRUTE_FORCE_LIMIT)
    curve = LossCurve((*points, result))
    city = sc.city.name
    expected = "an expected " if success == "hazard" else ""
    title = (f"Budget {budget}: {expected}{result.objective:,.0f} of {result.baseline:,.0f} "
             f"tanker/day can still reach {city}")
    frame = curve.to_frame()
    return {
        **_payload(scenario, sc, g, result, title),
        "loss": (result.baseline or 0.0) - result.objective,
        "curve": [{"budget": int(row.budget), "max_flow": row.max_flow, "loss": row.loss,
                   "loss_share": row.loss_share, "attack": list(r.attack), "status": row.status,
                   "check_ok": row.check_ok}
                  for row, r in zip(frame.itertuples(), curve.results, strict=True)],
        "curve_figure": loss_curve_figure(curve, g.graph["demand_tankers_per_day"], city),
    }


@router.get("/escorts")
def escorts(request: Request, scenario: str = ScenarioQuery,
            escorts: int = Query(2, ge=0, le=MAX_ESCORTS, description="Segments escorted."),
            budget: int = BudgetQuery,
            hazard_level: HazardLevel = HazardQuery) -> dict[str, Any]:
    """Escort placement (defender-attacker-defender, Brown et al. 2006): the ``escorts``
    segments to protect so that the most tankers/day reach the city after the adversary's best
    reply with ``budget`` cuts; ``baseline`` is the same attack's result without escorts."""
    sc = _scenario(request, scenario)
    g = planning_graph(sc, hazard_level=hazard_level)
    with _solver_slot():
        result = _solve(escort_placement, g, escorts, budget, time_limit=TIME_LIMIT_S,
                        brute_force_limit=BRUTE_FORCE_LIMIT)
    title = (f"{escorts} escorted, budget {budget}: {result.objective:,.0f} tanker/day reach "
             f"{sc.city.name}")
    return _payload(scenario, sc, g, result, title)


@router.get("/route")
def route(request: Request, scenario: str = ScenarioQuery,
          hazard_level: HazardLevel = HazardQuery) -> dict[str, Any]:
    """Risk-aware routing (min-cost flow): the city's daily tankers spread over the roads at
    least expected loss, per route against the scenario's order shares
    (``details.routes``, ``details.expected_loss``, ``details.reference_loss``)."""
    sc = _scenario(request, scenario)
    g = planning_graph(sc, hazard_level=hazard_level)
    with _solver_slot():
        result = _solve(risk_aware_routing, g, time_limit=TIME_LIMIT_S)
    d = result.details
    title = (f"Risk-aware routing of {d['demand']:,.1f} tanker/day: "
             f"{d['expected_loss']:.2f} lost per day")
    return _payload(scenario, sc, g, result, title)
