"""`siegeline plan interdict | shortest-path | escorts | route`."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import networkx as nx
import typer
from rich.table import Table

from siegeline.cli.common import UserError, console, friendly_errors
from siegeline.network.roads import read_network
from siegeline.planning import (
    PlanResult,
    escort_placement,
    interdiction_curve,
    max_flow_interdiction,
    network_planning_graph,
    planning_graph,
    risk_aware_routing,
    shortest_path_interdiction,
)
from siegeline.planning.graphs import edge_label, edge_records
from siegeline.scenario.loader import load_scenario

plan_app = typer.Typer(
    help="Plan against the adversary: interdiction, escort placement, risk-aware routing.",
    no_args_is_help=True,
)


class HazardLevel(StrEnum):
    central = "central"
    low = "low"
    high = "high"


class Length(StrEnum):
    km = "km"
    risk = "risk"


class Candidates(StrEnum):
    all = "all"
    hazardous = "hazardous"


ScenarioArg = typer.Argument(
    None, help="Scenario: packaged name or file (same as --scenario).", show_default=False
)
ScenarioOpt = typer.Option("bamako-2025", "--scenario", "-s", help="Packaged name or file.")
NetworkOpt = typer.Option(
    None,
    "--network",
    help="Plan on a network file instead of a scenario: a siegeline network (GeoJSON, from "
    "`siegeline network import`), raw GeoJSON road lines, or a CSV edge list.",
)
SourceOpt = typer.Option(
    None, "--source", help="Source node (repeatable; default: the nodes of kind port)."
)
SinkOpt = typer.Option(None, "--sink", help="Sink node (repeatable; default: the city).")
HazardOpt = typer.Option(HazardLevel.central, "--hazard-level", help="Which hazard to use.")
IntensityOpt = typer.Option(
    None, "--intensity", help="Adversary intensity (default: day 0; a network file's, else 1)."
)
CostOpt = typer.Option(
    None, "--cost", help="Interdiction cost of a segment, SEGMENT=COST (repeatable; default 1)."
)
MapOpt = typer.Option(None, "--map", help="Write a PNG map of the result here.")
JsonOpt = typer.Option(None, "--json", help="Write the full result as JSON here.")
TimeOpt = typer.Option(60.0, "--time-limit", help="HiGHS time limit per solve (s).", min=0.1)


def _parse_costs(items: list[str] | None) -> dict[str, float]:
    costs = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            costs[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UserError(f"--cost expects SEGMENT=NUMBER, got {item!r}")
    return costs


@dataclass(frozen=True)
class Where:
    """What to plan on: a scenario (positional or --scenario) or a network file, and the
    terminals given on the command line."""

    scenario_arg: str | None
    scenario: str
    network: Path | None
    sources: list[str] | None
    sinks: list[str] | None

    def terminals(self) -> dict[str, Any]:
        """Keyword arguments for the solvers (None: the graph's defaults)."""
        return {"sources": self.sources or None, "sink": self.sinks or None}


def _network_graph(where: Where, intensity: float | None, costs: list[str] | None) -> nx.Graph:
    try:
        g = network_planning_graph(
            read_network(where.network),
            interdiction_costs=_parse_costs(costs),
            intensity=intensity,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{where.network}: {exc}") from None
    kinds = dict(g.nodes(data="kind"))
    if not where.sources and "port" not in kinds.values():
        raise UserError("the network marks no node of kind port: pass --source NODE")
    if not where.sinks and "city" not in kinds.values():
        raise UserError("the network marks no node of kind city: pass --sink NODE")
    return g


def _graph(where: Where, hazard: HazardLevel, intensity: float | None, costs: list[str] | None):
    if where.network is not None:
        if where.scenario_arg is not None:
            raise UserError("give a scenario or --network, not both")
        return None, _network_graph(where, intensity, costs)
    s = load_scenario(where.scenario_arg or where.scenario)
    try:
        g = planning_graph(
            s,
            interdiction_costs=_parse_costs(costs),
            hazard_level=hazard.value,
            intensity=intensity,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return s, g


def _solve(label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        with console.status(label):
            return fn(*args, **kwargs)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:,.6g}"
    return str(value)


def _summary(result: PlanResult) -> None:
    t = Table(title=result.problem, show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    for key, value in result.summary().items():
        t.add_row(key, _fmt(value))
    if result.check is not None:
        c = result.check
        t.add_row("NetworkX re-solve", f"{_fmt(c.value)} ({c.method})")
        if c.brute_force_value is not None:
            t.add_row(
                "brute force",
                f"{_fmt(c.brute_force_value)} over {c.brute_force_candidates} candidates",
            )
        elif result.attack or result.defence or result.budget is not None:
            t.add_row("brute force", "not run (too many candidates)")
    console.print(t)


def _segments(g: nx.Graph, result: PlanResult, only_used: bool = True) -> None:
    t = Table(title="Segments")
    for col in ("segment", "km", "capacity (tanker/day)", "flow", "attacked", "defended"):
        t.add_column(col, justify="right" if col in ("km", "flow") else "left")
    attacked, defended = set(result.attack), set(result.defence)
    shown = set()
    for u, v, key, d in edge_records(g):
        label = edge_label(g, u, v, key)
        flow = result.flows.get(label, 0.0)
        if label in shown or (only_used and flow <= 1e-9 and label not in attacked | defended):
            continue
        shown.add(label)
        t.add_row(
            label,
            f"{d['length_km']:,.0f}",
            f"{d['capacity_tankers_per_day']:,.0f}",
            f"{flow:,.2f}",
            "[red]yes[/]" if label in attacked else "",
            "[blue]yes[/]" if label in defended else "",
        )
    console.print(t)


def _outputs(g: nx.Graph, result: PlanResult, map_path: Path | None, json_path: Path | None):
    if map_path is not None:
        from siegeline.planning.plots import plot_plan_map

        try:
            console.print(f"map written to {plot_plan_map(g, result, map_path)}")
        except ValueError as exc:
            raise UserError(str(exc)) from None
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        console.print(f"result written to {json_path}")


@plan_app.command("interdict")
@friendly_errors
def interdict(
    scenario_arg: str = ScenarioArg,
    scenario: str = ScenarioOpt,
    network: Path = NetworkOpt,
    source: list[str] = SourceOpt,
    sink: list[str] = SinkOpt,
    budget: float = typer.Option(2.0, "--budget", "-b", help="Adversary budget.", min=0),
    curve: bool = typer.Option(False, "--curve", help="Solve every budget 0..--max-budget."),
    max_budget: int = typer.Option(6, "--max-budget", help="Largest budget of the curve.", min=0),
    curve_png: Path = typer.Option(None, "--curve-png", help="Write the loss curve as PNG."),
    hazard_level: HazardLevel = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    json_path: Path = JsonOpt,
) -> None:
    """Max-flow interdiction (Wood 1993): the segments an adversary with a budget would cut to
    minimise the tankers/day that can reach the city from all ports."""
    where = Where(scenario_arg, scenario, network, source, sink)
    _, g = _graph(where, hazard_level, intensity, cost)
    if curve:
        budgets = list(range(max_budget + 1))
        lc = _solve(
            f"Solving {len(budgets)} interdiction MILPs…",
            interdiction_curve,
            g,
            budgets,
            time_limit=time_limit,
            **where.terminals(),
        )
        t = Table(title="Loss curve: max flow to the city against the adversary's budget")
        for col in ("budget", "max flow (tanker/day)", "lost", "lost %", "attack", "check"):
            t.add_column(col)
        for row in lc.to_frame().itertuples():
            t.add_row(
                f"{row.budget:g}",
                f"{row.max_flow:,.1f}",
                f"{row.loss:,.1f}",
                f"{100 * row.loss_share:.0f}",
                row.attack or "-",
                "ok" if row.check_ok else "[red]MISMATCH[/]",
            )
        console.print(t)
        if curve_png is not None:
            from siegeline.planning.plots import plot_loss_curve

            console.print(f"loss curve written to {plot_loss_curve(lc, curve_png)}")
        if json_path is not None:
            json_path.write_text(json.dumps(lc.to_dict(), indent=2), encoding="utf-8")
            console.print(f"curve written to {json_path}")
        return
    result = _solve(
        "Solving the interdiction MILP…",
        max_flow_interdiction,
        g,
        budget,
        time_limit=time_limit,
        **where.terminals(),
    )
    _summary(result)
    _segments(g, result)
    _outputs(g, result, map_path, json_path)


@plan_app.command("shortest-path")
@friendly_errors
def shortest_path(
    scenario_arg: str = ScenarioArg,
    scenario: str = ScenarioOpt,
    network: Path = NetworkOpt,
    source: list[str] = SourceOpt,
    sink: list[str] = SinkOpt,
    budget: float = typer.Option(1.0, "--budget", "-b", help="Adversary budget.", min=0),
    length: Length = typer.Option(Length.km, "--length", help="Route length: km or risk."),
    delay: float = typer.Option(
        None,
        "--delay",
        help="What an interdiction adds to a segment's length (km or risk); default: closure.",
        min=0,
    ),
    hazard_level: HazardLevel = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    json_path: Path = JsonOpt,
) -> None:
    """Shortest-path interdiction (Israeli & Wood 2002): the attack that makes the defender's
    best route from any port to the city as long (or as risky) as possible."""
    where = Where(scenario_arg, scenario, network, source, sink)
    _, g = _graph(where, hazard_level, intensity, cost)
    weight = "length_km" if length is Length.km else "risk"
    result = _solve(
        "Solving the interdiction MILP…",
        shortest_path_interdiction,
        g,
        budget,
        weight=weight,
        delay=delay,
        time_limit=time_limit,
        **where.terminals(),
    )
    _summary(result)
    d = result.details
    console.print(f"best route before the attack: {' → '.join(d['baseline_route'])}")
    after = " → ".join(d["route"]) if d["route"] else "[red]none: the city is cut off[/]"
    console.print(f"best route after the attack:  {after}")
    if "survival" in d:
        console.print(
            f"survival of one crossing: {d['baseline_survival']:.4f} before, "
            f"{d['survival']:.4f} after the attack"
        )
    _outputs(g, result, map_path, json_path)


@plan_app.command("escorts")
@friendly_errors
def escorts(
    scenario_arg: str = ScenarioArg,
    scenario: str = ScenarioOpt,
    network: Path = NetworkOpt,
    source: list[str] = SourceOpt,
    sink: list[str] = SinkOpt,
    k: int = typer.Option(2, "--escorts", "-k", help="Segments the defender protects.", min=0),
    budget: float = typer.Option(2.0, "--budget", "-b", help="Adversary budget.", min=0),
    candidates: Candidates = typer.Option(
        Candidates.all, "--candidates", help="Segments that may be protected."
    ),
    hazard_level: HazardLevel = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    time_limit: float = typer.Option(300.0, "--time-limit", help="Overall limit (s).", min=1),
    curve: bool = typer.Option(
        False, "--curve", help="Also solve 0..k escorts: how many before they pay."
    ),
    map_path: Path = MapOpt,
    json_path: Path = JsonOpt,
) -> None:
    """Defender-attacker-defender escort placement (Brown et al. 2006): where k escort units
    keep the most tankers/day reaching the city against the adversary's best reply."""
    where = Where(scenario_arg, scenario, network, source, sink)
    _, g = _graph(where, hazard_level, intensity, cost)
    cand = None
    if candidates is Candidates.hazardous:
        cand = sorted({edge_label(g, u, v, key) for u, v, key, d in edge_records(g)
                       if d["hazard_per_100km"] > 0})
    result = _solve(
        "Solving the defender-attacker-defender decomposition…",
        escort_placement,
        g,
        k,
        budget,
        candidates=cand,
        time_limit=time_limit,
        **where.terminals(),
    )
    _summary(result)
    d = result.details
    console.print(
        f"no attack: {d['no_attack_flow']:,.1f} tanker/day; best attack without escorts "
        f"({', '.join(d['attack_without_defence']) or '-'}): {result.baseline:,.1f}; "
        f"with escorts on {', '.join(result.defence) or '-'}: {result.objective:,.1f} "
        f"(attacker's best reply: {', '.join(result.attack) or '-'}); "
        f"{d['iterations']} iterations, {d['attack_plans']} attack plans"
    )
    for line in _escort_notes(result):
        console.print(f"[yellow]note:[/] {line}")
    if curve:
        _escort_curve(g, k, budget, cand, time_limit, where)
    _segments(g, result)
    _outputs(g, result, map_path, json_path)


def _escort_curve(g: nx.Graph, k: int, budget: float, cand, time_limit: float,
                  where: Where) -> None:
    """The value of 0, 1, ... k escorts against the same adversary."""
    t = Table(title=f"Escorts against budget {budget:g}: tanker/day reaching the sink")
    for col in ("escorts", "tanker/day", "gain", "defence", "attacker's reply", "status"):
        t.add_column(col)
    base = None
    for n in range(k + 1):
        r = _solve(f"Solving for {n} escorts…", escort_placement, g, n, budget, candidates=cand,
                   time_limit=time_limit, check=False, **where.terminals())
        base = r.objective if base is None else base
        t.add_row(str(n), f"{r.objective:,.1f}", f"{r.objective - base:+,.1f}",
                  ", ".join(r.defence) or "-", ", ".join(r.attack) or "-", r.status)
    console.print(t)


def _escort_notes(result: PlanResult) -> list[str]:
    """Say plainly when the escorts change nothing, and why a defended road may carry no flow."""
    notes = []
    k = result.details["escorts"]
    if result.optimal and result.objective <= (result.baseline or 0.0) + 1e-6:
        notes.append(
            f"the escorts gain nothing: against every placement of {k} escort(s) the adversary "
            f"(budget {result.budget:g}) still has an attack as damaging as its best one without "
            f"escorts ({result.baseline:,.1f} tanker/day reach the sink either way; the "
            f"decomposition's bound {result.bound:,.1f} proves it). The defence shown is one of "
            "many equally good ones: add escorts (-k; --curve shows when they start to pay), or "
            "give roads different interdiction costs (--cost) or capacities, for a placement "
            "that matters."
        )
    idle = [s for s in result.defence if result.flows.get(s, 0.0) <= 1e-9]
    if idle:
        notes.append(
            f"{', '.join(idle)} carr{'ies' if len(idle) == 1 else 'y'} no flow after the "
            "attacker's reply (it cuts elsewhere): the escort there only denies the adversary "
            "that cut."
        )
    return notes


def _route_objective(d: dict[str, Any], objective: float) -> str:
    return (
        f"objective {objective:.4f} cost/day = expected tankers lost per day "
        f"{d['expected_loss']:.4f} + time weight {d['time_weight']:g} (tankers lost per "
        f"tanker-day) x {d['tanker_days']:,.1f} tanker-days on the road per day"
    )


@plan_app.command("route")
@friendly_errors
def route(
    scenario_arg: str = ScenarioArg,
    scenario: str = ScenarioOpt,
    network: Path = NetworkOpt,
    source: list[str] = SourceOpt,
    sink: list[str] = SinkOpt,
    demand: float = typer.Option(
        None, "--demand", help="Tankers/day to deliver (default: the city's demand).", min=0
    ),
    time_weight: float = typer.Option(
        1e-4, "--time-weight", help="Tankers lost per tanker-day of travel (tie-breaker).", min=0
    ),
    hazard_level: HazardLevel = HazardOpt,
    intensity: float = IntensityOpt,
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    json_path: Path = JsonOpt,
) -> None:
    """Risk-aware routing: the daily tankers allocated over the corridors at least expected
    loss (min-cost flow), compared with the scenario's order shares."""
    where = Where(scenario_arg, scenario, network, source, sink)
    _, g = _graph(where, hazard_level, intensity, None)
    if demand is None and "demand_tankers_per_day" not in g.graph:
        raise UserError("the network file has no demand: pass --demand (tankers/day)")
    result = _solve(
        "Solving the min-cost flow…",
        risk_aware_routing,
        g,
        demand,
        time_weight=time_weight,
        time_limit=time_limit,
        **where.terminals(),
    )
    _summary(result)
    d = result.details
    t = Table(title=f"Routes for {d['demand']:,.1f} tankers/day")
    cols = (
        "route",
        "km",
        "loss/tanker",
        "optimal tanker/day",
        "optimal share",
        "exp. loss/day",
        "scenario share",
        "scenario exp. loss/day",
    )
    for col in cols:
        t.add_column(col, justify="left" if col == "route" else "right")
    for r in d["routes"]:
        t.add_row(
            r["route"],
            _fmt(r["km"]),
            f"{r['loss_per_tanker']:.4f}",
            f"{r['tankers_per_day']:,.1f}",
            f"{100 * r['share']:.0f} %",
            f"{r['expected_loss']:.3f}",
            "-" if r["scenario_share"] is None else f"{100 * r['scenario_share']:.0f} %",
            "-" if r["scenario_expected_loss"] is None else f"{r['scenario_expected_loss']:.3f}",
        )
    console.print(t)
    ref = d["reference_loss"]
    console.print(
        f"expected tankers lost per day: {d['expected_loss']:.3f} with the risk-aware allocation"
        + ("" if ref is None else f", {ref:.3f} with the scenario's order shares")
    )
    console.print(_route_objective(d, result.objective))
    _outputs(g, result, map_path, json_path)


@plan_app.command("robust-route")
@friendly_errors
def robust_route(
    scenario_arg: str = ScenarioArg,
    scenario: str = ScenarioOpt,
    samples: int = typer.Option(500, "--samples", min=10, max=20_000,
                                help="Draws of the uncertain hazards, intensity, destroy share."),
    alpha: float = typer.Option(0.9, "--alpha", min=0.0, max=0.999,
                                help="The robust plan minimises the mean of the worst 1-alpha."),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of the draws the plans are made on."),
    eval_seed: int = typer.Option(2, "--eval-seed", min=0, help="Seed of the judging draws."),
    demand: float = typer.Option(None, "--demand", min=0, help="Tankers/day (default: demand)."),
    time_weight: float = typer.Option(1e-4, "--time-weight", min=0,
                                      help="Tankers lost per tanker-day of travel."),
    time_limit: float = TimeOpt,
    json_path: Path = JsonOpt,
) -> None:
    """Routing under uncertainty: the central, expected-value and CVaR-robust allocations of the
    daily tankers, each judged on independent draws of the scenario's uncertain ranges."""
    from siegeline.planning.uncertainty import robust_scenario_routing

    sc = load_scenario(scenario_arg or scenario)
    result = _solve(
        f"Solving over {samples} samples…", robust_scenario_routing, sc, samples=samples,
        seed=seed, eval_seed=eval_seed, alpha=alpha, demand=demand, time_weight=time_weight,
        time_limit=time_limit,
    )
    d = result.details
    t = Table(title=f"Expected tankers lost per day over {d['evaluation_samples']} independent "
                    f"draws (seed {eval_seed}); plans made on {d['samples']} (seed {seed})")
    last = "into the city (tanker/day)"
    for col in ("plan", "mean", "5 %", "median", "95 %", "worst", f"CVaR {alpha:g}", last):
        t.add_column(col, justify="left" if col in ("plan", last) else "right")
    into_city = {x.id for x in sc.segments if sc.city.node in (x.a, x.b)}
    for p in d["plans"]:
        used = ", ".join(f"{k} {v:,.1f}" for k, v in p["flows"].items()
                         if v > 1e-6 and k in into_city)
        t.add_row(p["plan"], *(f"{p[k]:.3f}" for k in ("mean", "p05", "p50", "p95", "worst",
                                                       "cvar")), used or "-")
    console.print(t)
    flows = [p["flows"] for p in d["plans"]]
    if all(max(abs(f[k] - flows[0][k]) for k in f) < 1e-6 for f in flows[1:]):
        console.print("[yellow]note:[/] the three plans send the same flows: no spreading of "
                      "the tankers over other routes lowers the expected loss or its tail here.")
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        console.print(f"result written to {json_path}")


@plan_app.command("policy")
@friendly_errors
def policy(
    search: list[str] = typer.Option(
        ..., "--search", help="A decision to search: path=lo:hi, path=lo:hi:step or "
        "path=a,b,c (e.g. corridors.abidjan-zegoua.policy.escorts_per_convoy=0:4). Repeatable."),
    scenario: str = typer.Option("bamako-2025", "--scenario", help="Scenario name or file."),
    objective: str = typer.Option("served", "--objective",
                                  help="served, p_no_stockout, delivered, losses or "
                                       "days_supplied."),
    screen_reps: int = typer.Option(200, "--screen-reps", min=10, max=20_000,
                                    help="Replications per candidate while screening."),
    final_reps: int = typer.Option(1000, "--final-reps", min=10, max=100_000,
                                   help="Replications for the finalists and the baseline."),
    finalists: int = typer.Option(5, "--finalists", min=1, max=50),
    max_candidates: int = typer.Option(64, "--max-candidates", min=1, max=4096),
    days: int | None = typer.Option(None, "--days", min=1, max=3650),
    seed: int | None = typer.Option(None, "--seed", min=0),
    set_: list[str] = typer.Option([], "--set", help="Scenario override path=value."),
    csv: Path | None = typer.Option(None, "--csv", help="Write the screened candidates here."),
) -> None:
    """Simulation-based search over convoy and rationing policy (common random numbers)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from siegeline.planning.policy_search import OBJECTIVES, PolicyDimension, search_policies

    sc = load_scenario(scenario, set_)
    dims = [PolicyDimension.parse(text, sc) for text in search]
    with Progress(TextColumn("[bold]policy search[/]"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("runs", total=None)
        res = search_policies(
            sc, dims, objective, screen_replications=screen_reps,
            final_replications=final_reps, finalists=finalists, max_candidates=max_candidates,
            days=days, seed=seed,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    _, direction, description = OBJECTIVES[objective]
    t = Table(title=f"Best policies for {objective} ({direction}imise {description}); "
                    f"{res.candidates} candidates screened, 95% intervals, paired vs baseline")
    t.add_column("rank")
    for d in dims:
        t.add_column(d.path.replace(".policy.", " ").replace("corridors.", ""))
    for col in ("estimate", "95% interval", "vs baseline", "95% interval"):
        t.add_column(col, justify="right")
    for rank, ev in [("baseline", res.baseline),
                     *[(str(i + 1), ev) for i, ev in enumerate(res.best)]]:
        t.add_row(rank, *[_fmt(ev.policy[d.path]) for d in dims], f"{ev.mean:.4g}",
                  f"{ev.ci_low:.4g} – {ev.ci_high:.4g}",
                  "" if rank == "baseline" else f"{ev.diff_mean:+.4g}",
                  "" if rank == "baseline" else f"{ev.diff_low:+.4g} – {ev.diff_high:+.4g}")
    console.print(t)
    for note in res.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"[dim]{res.seconds:.1f} s; seed {res.seed}; the baseline is the scenario's own "
                  "policy (its central values).[/]")
    if csv:
        res.screened.to_csv(csv, index=False)
        console.print(f"Wrote {csv}")
