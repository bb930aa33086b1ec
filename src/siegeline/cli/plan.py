"""`siegeline plan interdict | shortest-path | escorts | route | robust-route | policy`.

The options follow the CLI's vocabulary (README): the scenario is positional, `-s` is the seed,
`--json` prints the result on stdout and `-o` writes it. NetworkX, HiGHS and the engines are
imported inside the commands, so `siegeline plan ... --help` stays fast.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from siegeline.cli.common import (
    DEFAULT_SCENARIO,
    UserError,
    choice_option,
    console,
    days_option,
    err_console,
    existing_scenario,
    friendly_errors,
    output_option,
    print_table,
    scenario_argument,
    seed_option,
    set_option,
)
from siegeline.cli.run_commands import strict_json

if TYPE_CHECKING:
    import networkx as nx

    from siegeline.planning import PlanResult
    from siegeline.planning.policy_search import PolicyDimension, PolicySearchResult
    from siegeline.planning.results import LossCurve

plan_app = typer.Typer(
    help="Plan against the adversary: interdiction, escort placement, risk-aware routing.",
    no_args_is_help=True,
)

HAZARD_LEVELS = ("central", "low", "high")
LENGTHS = ("km", "risk")
CANDIDATES = ("all", "hazardous")
# The names of siegeline.planning.policy_search.OBJECTIVES, copied: that module imports the
# engines, and the help must not.
OBJECTIVES = ("p_no_stockout", "served", "delivered", "losses", "days_supplied")
ESCORT_OBJECTIVES = ("flow", "loss")
SUCCESS_MODELS = ("certain", "hazard")

ScenarioArg = typer.Argument(
    None, metavar="SCENARIO", parser=existing_scenario, show_default=False,
    help=f"Packaged scenario name or YAML/JSON file (default {DEFAULT_SCENARIO}); "
    "not with --network.",
)
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
HazardOpt = choice_option("central", "--hazard-level", kind="hazard level",
                          choices=HAZARD_LEVELS, help="Which of the scenario's hazards to use.")
IntensityOpt = typer.Option(
    None, "--intensity", help="Adversary intensity (default: day 0; a network file's, else 1)."
)
CostOpt = typer.Option(
    None, "--cost", help="Interdiction cost of a segment, SEGMENT=COST (repeatable; default 1)."
)
MapOpt = typer.Option(None, "--map", help="Write a PNG map of the result here.")
JsonOpt = typer.Option(False, "--json", help="Print the full result as JSON on stdout instead "
                       "of the tables (null where a value is not finite).")
OutputOpt = output_option(None, "Write the full result as JSON to this file.")
TimeOpt = typer.Option(60.0, "--time-limit", help="HiGHS time limit per solve (s).", min=0.1)
BudgetHelp = "Adversary budget (interdiction cost it may spend)."


@dataclass(frozen=True)
class Report:
    """Where a command's output goes: tables on stdout, or (--json) one JSON document on stdout
    with the notes on stderr; -o also writes the JSON to a file."""

    as_json: bool
    output: Path | None

    @property
    def notes(self) -> Console:
        return err_console if self.as_json else console

    def show(self, renderable: Any, whole: Iterable[str] = ()) -> None:
        """A table or line of the human-readable view (none with --json)."""
        if self.as_json:
            return
        if isinstance(renderable, Table):
            print_table(renderable, whole)
        else:
            console.print(renderable)

    def note(self, text: str) -> None:
        self.notes.print(f"[yellow]note:[/] {text}")

    def finish(self, payload: dict[str, Any]) -> None:
        text = json.dumps(strict_json(payload), indent=2, allow_nan=False)
        if self.output is not None:
            self.output.write_text(text + "\n", encoding="utf-8")
            self.notes.print(f"result written to {self.output}")
        if self.as_json:
            typer.echo(text)


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
    """What to plan on: a scenario or a network file, and the terminals given on the command
    line."""

    scenario: str | None
    network: Path | None
    sources: list[str] | None
    sinks: list[str] | None

    def terminals(self) -> dict[str, Any]:
        """Keyword arguments for the solvers (None: the graph's defaults)."""
        return {"sources": self.sources or None, "sink": self.sinks or None}


def _network_graph(where: Where, intensity: float | None, costs: list[str] | None) -> nx.Graph:
    from siegeline.network.roads import read_network
    from siegeline.planning import network_planning_graph

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


def _graph(where: Where, hazard: str, intensity: float | None,
           costs: list[str] | None) -> nx.Graph:
    if where.network is not None:
        if where.scenario is not None:
            raise UserError("give a scenario or --network, not both")
        return _network_graph(where, intensity, costs)
    from siegeline.planning import planning_graph
    from siegeline.scenario.loader import load_scenario

    s = load_scenario(where.scenario or DEFAULT_SCENARIO)
    try:
        return planning_graph(s, interdiction_costs=_parse_costs(costs), hazard_level=hazard,
                              intensity=intensity)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _solve(label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        with err_console.status(label):  # on stderr: stdout may be the JSON
            return fn(*args, **kwargs)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:,.6g}"
    return str(value)


def _table(title: str, columns: Iterable[str], right: Iterable[str] = (),
           **kwargs: Any) -> Table:
    """A table whose cells wrap or fold at a narrow terminal, never end in '…' (figures are
    read, names copied)."""
    t = Table(title=title, **kwargs)
    right = set(right)
    for col in columns:
        t.add_column(col, justify="right" if col in right else "left", overflow="fold")
    return t


def _summary(result: PlanResult) -> Table:
    t = _table(result.problem, ("field", "value"), show_header=False)
    t.columns[0].style = "bold"
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
    return t


def _segments(g: nx.Graph, result: PlanResult) -> Table:
    """The segments that carry flow, are attacked or are defended."""
    from siegeline.planning.graphs import edge_label, edge_records

    t = _table("Segments", ("segment", "km", "capacity (tanker/day)", "flow", "attacked",
                            "defended"), right=("km", "flow"))
    attacked, defended = set(result.attack), set(result.defence)
    shown = set()
    for u, v, key, d in edge_records(g):
        label = edge_label(g, u, v, key)
        flow = result.flows.get(label, 0.0)
        if label in shown or (flow <= 1e-9 and label not in attacked | defended):
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
    return t


def _show_plan(report: Report, g: nx.Graph, result: PlanResult) -> None:
    report.show(_summary(result), whole=("field",))
    report.show(_segments(g, result), whole=("segment",))


def _write_map(report: Report, g: nx.Graph, result: PlanResult, path: Path | None) -> None:
    if path is None:
        return
    from siegeline.planning.plots import plot_plan_map

    try:
        report.notes.print(f"map written to {plot_plan_map(g, result, path)}")
    except ValueError as exc:
        raise UserError(str(exc)) from None


@plan_app.command("interdict")
@friendly_errors
def interdict(
    scenario: str | None = ScenarioArg,
    network: Path = NetworkOpt,
    sources: list[str] = SourceOpt,
    sinks: list[str] = SinkOpt,
    budget: float = typer.Option(2.0, "--budget", "-b", help=BudgetHelp, min=0),
    curve: bool = typer.Option(False, "--curve", help="Solve every budget 0..--max-budget."),
    max_budget: int = typer.Option(6, "--max-budget", help="Largest budget of the curve.", min=0),
    curve_png: Path = typer.Option(None, "--curve-png", help="Write the loss curve as PNG."),
    hazard_level: str = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    success: str = choice_option(
        "certain", "--success", kind="success model", choices=SUCCESS_MODELS,
        help="certain: every cut succeeds (Wood 1993); hazard: an attack on a segment succeeds "
        "with the attack model's chance of one crossing, 1 - exp(-hazard x intensity x km / "
        "100), and the adversary minimises the expected max flow (stochastic interdiction, "
        "solved by sample average)."),
    samples: int = typer.Option(1000, "--samples", "-N", min=1, max=20_000,
                                help="hazard: scenarios per sample-average MILP."),
    seed: int = seed_option(1, help="hazard: seed of the first batch's scenarios."),
    batches: int = typer.Option(5, "--batches", min=1, max=50,
                                help="hazard: independent sample-average MILPs (their optima "
                                "give the lower-bound estimate; the best plan is kept)."),
    eval_samples: int = typer.Option(2000, "--eval-samples", min=10, max=200_000,
                                     help="hazard: scenarios each candidate plan is judged on."),
    eval_seed: int = typer.Option(None, "--eval-seed", min=0,
                                  help="hazard: seed of the judging scenarios (default: seed + "
                                  "batches)."),
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    as_json: bool = JsonOpt,
    output: Path | None = OutputOpt,
) -> None:
    """Max-flow interdiction (Wood 1993): the segments an adversary with a budget would cut to
    minimise the tankers/day that can reach the city from all ports. With --success hazard,
    stochastic interdiction (Cormican, Morton & Wood 1998): attacks succeed only with the
    attack model's chance, and the adversary minimises the expected flow."""
    from siegeline.planning import interdiction_curve, max_flow_interdiction

    report = Report(as_json, output)
    where = Where(scenario, network, sources, sinks)
    g = _graph(where, hazard_level, intensity, cost)
    if success == "hazard":
        if curve:
            raise UserError("--curve is the deterministic loss curve; with --success hazard "
                            "solve one budget at a time")
        saa = {"samples": samples, "seed": seed, "batches": batches,
               "evaluation_samples": eval_samples, "eval_seed": eval_seed}
        result = _stochastic_interdiction(where, g, budget, saa, intensity, time_limit)
        _show_plan(report, g, result)
        report.show(_stochastic_table(result), whole=("figure",))
        _write_map(report, g, result, map_path)
        report.finish(result.to_dict())
        return
    if curve:
        budgets = list(range(max_budget + 1))
        lc = _solve(f"Solving {len(budgets)} interdiction MILPs…", interdiction_curve, g,
                    budgets, time_limit=time_limit, **where.terminals())
        report.show(_loss_curve_table(lc), whole=("attack",))
        if curve_png is not None:
            from siegeline.planning.plots import plot_loss_curve

            report.notes.print(f"loss curve written to {plot_loss_curve(lc, curve_png)}")
        report.finish(lc.to_dict())
        return
    result = _solve("Solving the interdiction MILP…", max_flow_interdiction, g, budget,
                    time_limit=time_limit, **where.terminals())
    _show_plan(report, g, result)
    _write_map(report, g, result, map_path)
    report.finish(result.to_dict())


def _stochastic_interdiction(where: Where, g: nx.Graph, budget: float, saa: dict[str, Any],
                             intensity: float | None, time_limit: float) -> PlanResult:
    """Stochastic interdiction; on a scenario its hazards, capacities and (unless --intensity
    fixes it) intensity are drawn from their ranges, on a network file the graph's success
    chances are used as they are."""
    from siegeline.planning.stochastic import scenario_successes, stochastic_interdiction

    draw = None
    if where.network is None:
        from siegeline.scenario.loader import load_scenario

        sc = load_scenario(where.scenario or DEFAULT_SCENARIO)

        def draw(n: int, seed: int) -> Any:
            return scenario_successes(sc, g, n, seed, intensity)
    return _solve(f"Solving {saa['batches']} sample-average MILPs…", stochastic_interdiction,
                  g, budget, draw=draw, time_limit=time_limit, **saa, **where.terminals())


def _stochastic_table(result: PlanResult) -> Table:
    d = result.details
    t = _table("Expected max flow (tanker/day) over the judging scenarios",
               ("figure", "value"), show_header=False)

    def interval(x: dict[str, Any]) -> str:
        low, high = x["ci95"]
        return f"{x['estimate']:,.2f} (95 % interval {low:,.2f} – {high:,.2f})"

    det = d["deterministic"]
    det_expected = interval({"estimate": det["expected_max_flow"], "ci95": det["ci95"]})
    q = d["quantiles"]
    rows = [
        ("this plan", interval(d["expected_max_flow"])),
        ("no attack", interval(d["no_attack"])),
        ("expected loss (paired)", interval(d["expected_loss"])),
        ("lower bound (batches' optima)", interval(d["lower_bound"])),
        ("max flow 5 % / median / 95 %", f"{q['p05']:,.1f} / {q['p50']:,.1f} / "
                                         f"{q['p95']:,.1f}; worst {d['worst']:,.1f}"),
        ("share of scenarios it lowers the flow", f"{100 * d['share_reduced']:.2f} %"),
        ("certain-success plan (Wood)", f"{', '.join(det['attack']) or '-'}: "
                                        f"{det['max_flow']:,.1f} if every cut held, "
                                        f"expected {det_expected}"),
        ("its expected loss (paired)", interval(det["expected_loss"])),
        ("it leaves more than this plan by", interval(det["minus_this_plan"])),
    ]
    for row in rows:
        t.add_row(*row)
    return t


def _loss_curve_table(lc: LossCurve) -> Table:
    t = _table("Loss curve: max flow to the city against the adversary's budget",
               ("budget", "max flow (tanker/day)", "lost", "lost %", "attack", "check"))
    for row in lc.to_frame().itertuples():
        t.add_row(
            f"{row.budget:g}",
            f"{row.max_flow:,.1f}",
            f"{row.loss:,.1f}",
            f"{100 * row.loss_share:.0f}",
            row.attack or "-",
            "ok" if row.check_ok else "[red]MISMATCH[/]",
        )
    return t


@plan_app.command("shortest-path")
@friendly_errors
def shortest_path(
    scenario: str | None = ScenarioArg,
    network: Path = NetworkOpt,
    sources: list[str] = SourceOpt,
    sinks: list[str] = SinkOpt,
    budget: float = typer.Option(1.0, "--budget", "-b", help=BudgetHelp, min=0),
    length: str = choice_option("km", "--length", kind="length", choices=LENGTHS,
                                help="What the route's length counts: km, or risk."),
    delay: float = typer.Option(
        None,
        "--delay",
        help="What an interdiction adds to a segment's length (km or risk); default: closure.",
        min=0,
    ),
    hazard_level: str = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    as_json: bool = JsonOpt,
    output: Path | None = OutputOpt,
) -> None:
    """Shortest-path interdiction (Israeli & Wood 2002): the attack that makes the defender's
    best route from any port to the city as long (or as risky) as possible."""
    from siegeline.planning import shortest_path_interdiction

    report = Report(as_json, output)
    where = Where(scenario, network, sources, sinks)
    g = _graph(where, hazard_level, intensity, cost)
    weight = "length_km" if length == "km" else "risk"
    result = _solve("Solving the interdiction MILP…", shortest_path_interdiction, g, budget,
                    weight=weight, delay=delay, time_limit=time_limit, **where.terminals())
    report.show(_summary(result), whole=("field",))
    d = result.details
    report.show(f"best route before the attack: {' → '.join(d['baseline_route'])}")
    after = " → ".join(d["route"]) if d["route"] else "[red]none: the city is cut off[/]"
    report.show(f"best route after the attack:  {after}")
    if "survival" in d:
        report.show(f"survival of one crossing: {d['baseline_survival']:.4f} before, "
                    f"{d['survival']:.4f} after the attack")
    _write_map(report, g, result, map_path)
    report.finish(result.to_dict())


@plan_app.command("escorts")
@friendly_errors
def escorts(
    scenario: str | None = ScenarioArg,
    network: Path = NetworkOpt,
    sources: list[str] = SourceOpt,
    sinks: list[str] = SinkOpt,
    k: int = typer.Option(2, "--escorts", "-k", min=0,
                          help="Segments made immune (--objective flow), or escort units in "
                          "the pool (loss)."),
    budget: float = typer.Option(2.0, "--budget", "-b", help=BudgetHelp, min=0),
    candidates: str = choice_option("all", "--candidates", kind="candidate set",
                                    choices=CANDIDATES, help="Segments that may be protected: "
                                    "all, or those with a hazard."),
    hazard_level: str = HazardOpt,
    intensity: float = IntensityOpt,
    cost: list[str] = CostOpt,
    time_limit: float = typer.Option(300.0, "--time-limit", help="Overall limit (s).", min=1),
    curve: bool = typer.Option(
        False, "--curve", help="Also solve 0..k escorts: how many before they pay."
    ),
    objective: str = choice_option(
        "flow", "--objective", kind="objective", choices=ESCORT_OBJECTIVES,
        help="flow: k segments made immune, most tankers/day against the best cut (Brown et "
        "al.); loss: k escort units over the corridors' convoys, fewest tankers lost per day "
        "under the simulator's attack model."),
    apply: bool = typer.Option(
        False, "--apply", help="Write the loss plan as a scenario to -o (YAML) that "
        "`siegeline run` evaluates (implies --objective loss)."),
    samples: int = typer.Option(0, "--samples", "-N", min=0, max=20_000,
                                help="loss: average over this many draws of the uncertain "
                                "ranges (0: their central values)."),
    pilot_reps: int = typer.Option(
        300, "--pilot", min=0, max=100_000, help="loss: plan at the traffic a run of the "
        "scenario without escorts leaves (this many replications over -d days), with the "
        "drivers' and the adversary's answers to escorts; 0: at the order shares of demand, "
        "without answers."),
    seed: int = seed_option(1, help="loss: seed of the draws (--samples), of the --pilot "
                            "and of --simulate."),
    simulate_reps: int = typer.Option(
        0, "--simulate", min=0, max=100_000, help="loss: check the plan in the simulator with "
        "this many paired replications (the plan against no escorts, same seed)."),
    days: int | None = days_option("loss, --pilot, --simulate: days simulated (default 60)."),
    chart: Path | None = typer.Option(
        None, "--chart", help="loss, --simulate: write a PNG of the tankers lost per day "
        "and saved, predicted against simulated, here."),
    overrides: list[str] = set_option("loss, --pilot, --simulate: override a field of the "
                                      "runs, path=value (repeatable)."),
    map_path: Path = MapOpt,
    as_json: bool = JsonOpt,
    output: Path | None = output_option(None, "Write the full result as JSON to this file "
                                        "(with --apply: the plan as a scenario, YAML)."),
) -> None:
    """Escort placement. --objective flow (default): defender-attacker-defender (Brown et al.
    2006), where k escorts keep the most tankers/day reaching the city against the adversary's
    best reply. --objective loss: where k escort units lower the expected losses most."""
    if apply or objective == "loss":
        if network is not None:
            raise UserError("--objective loss plans a scenario's corridors, not a --network")
        if apply and output is None:
            raise UserError("--apply writes the plan as a scenario: give -o FILE.yaml")
        if chart is not None and not simulate_reps:
            raise UserError("--chart draws the --simulate check: give --simulate REPS")
        if samples and pilot_reps:
            raise UserError("--samples draws the ranges at fixed flows: give it with --pilot 0 "
                            "(a pilot run draws its own)")
        _escort_loss(scenario, k, samples, seed, apply, as_json, output,
                     (simulate_reps, days or 60, overrides), pilot_reps, chart)
        return
    from siegeline.planning import escort_placement
    from siegeline.planning.graphs import edge_label, edge_records

    report = Report(as_json, output)
    where = Where(scenario, network, sources, sinks)
    g = _graph(where, hazard_level, intensity, cost)
    cand = None
    if candidates == "hazardous":
        cand = sorted({edge_label(g, u, v, key) for u, v, key, d in edge_records(g)
                       if d["hazard_per_100km"] > 0})
    result = _solve("Solving the defender-attacker-defender decomposition…", escort_placement,
                    g, k, budget, candidates=cand, time_limit=time_limit, **where.terminals())
    report.show(_summary(result), whole=("field",))
    d = result.details
    report.show(
        f"no attack: {d['no_attack_flow']:,.1f} tanker/day; best attack without escorts "
        f"({', '.join(d['attack_without_defence']) or '-'}): {result.baseline:,.1f}; "
        f"with escorts on {', '.join(result.defence) or '-'}: {result.objective:,.1f} "
        f"(attacker's best reply: {', '.join(result.attack) or '-'}); "
        f"{d['iterations']} iterations, {d['attack_plans']} attack plans"
    )
    for line in _escort_notes(result):
        report.note(line)
    payload = result.to_dict()
    if curve:
        rows = _escort_curve(g, k, budget, cand, time_limit, where)
        report.show(_escort_curve_table(rows, budget),
                    whole=("defence", "attacker's reply"))
        payload["curve"] = rows
    report.show(_segments(g, result), whole=("segment",))
    _write_map(report, g, result, map_path)
    report.finish(payload)


def _escort_loss(scenario: str | None, pool: int, samples: int, seed: int, apply: bool,
                 as_json: bool, output: Path | None, check: tuple[int, int, list[str]],
                 pilot_reps: int, chart: Path | None) -> None:
    """The expected-loss escort allocation; with ``apply`` the plan written as a scenario;
    ``check`` = (replications, days, --set) of the paired simulation (none if 0 replications)
    and of the pilot (``pilot_reps`` replications; none if 0)."""
    import yaml

    from siegeline.planning.escort_loss import (
        apply_escort_plan,
        escort_allocation,
        escort_pilot,
        simulate_escort_plan,
    )
    from siegeline.scenario.loader import load_raw, load_scenario, validate_scenario

    name = scenario or DEFAULT_SCENARIO
    sc = load_scenario(name)
    report = Report(as_json, None if apply else output)
    reps, days, assignments = check
    pilot = None
    if pilot_reps:
        pilot = _solve(f"Pilot run without escorts ({pilot_reps} replications, {days} days)…",
                       escort_pilot, load_raw(name), replications=pilot_reps, days=days,
                       seed=seed, assignments=assignments)
    result = _solve("Solving the escort allocation…", escort_allocation, sc, pool,
                    samples=samples, seed=seed, pilot=pilot)
    d = result.details
    basis = (f"pilot of {pilot_reps} replications over {days} days, seed {seed}, with the "
             "drivers' and the adversary's answers" if pilot else
             f"mean of {samples} draws, seed {seed}" if samples else "central values")
    t = _table(f"Escort units per convoy, pool {pool} ({basis})",
               ("corridor", "tanker/day", "with plan", "leg d", "escorts", "units",
                "lost/day without", "lost/day with"),
               right=("tanker/day", "with plan", "leg d", "escorts", "units",
                      "lost/day without", "lost/day with"))
    for r in d["corridors"]:
        t.add_row(r["corridor"], f"{r['flow']:.1f}", f"{r.get('flow_with', r['flow']):.1f}",
                  str(r["leg_days"]), str(r["escorts_per_convoy"]), str(r["units"]),
                  f"{r['loss_without']:.3f}", f"{r['loss_with']:.3f}")
    report.show(t, whole=("corridor",))
    own = ("" if d["scenario_escorts_loss"] is None else
           f"{d['scenario_escorts_loss']:.3f} with the scenario's day-0 escorts, ")
    report.show(f"expected tankers lost per day: {result.baseline:.3f} without escorts, "
                f"{own}{result.objective:.3f} with the plan ({d['units_used']} of {pool} units; "
                f"{result.status}, re-check {'ok' if result.check.ok else 'FAILED'})")
    if apply:
        doc = apply_escort_plan(load_raw(name), result)
        validate_scenario(doc, str(output))
        output.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100),
                          encoding="utf-8")
        report.notes.print(f"plan written to {output}: evaluate it with `siegeline run {output}`")
    payload = result.to_dict()
    if reps:
        sim = _solve(f"Simulating {reps} paired replications…", simulate_escort_plan,
                     load_raw(name), result, replications=reps, days=days, seed=seed,
                     assignments=assignments)
        lo, hi = sim["simulated_90"]
        elo, ehi = sim["prediction_error_90"]
        where = ("at the pilot's traffic with the answers" if pilot else
                 "at the plan's flows")
        report.show(f"loss reduction (tankers/day over {days} days): predicted "
                    f"{sim['predicted']:.3f} {where}; simulated {sim['simulated']:.3f} "
                    f"[90%: {lo:.3f} – {hi:.3f}] ({sim['simulated_lost_without']:.3f} → "
                    f"{sim['simulated_lost_with']:.3f}, {reps} paired replications, seed "
                    f"{seed}); with the answers, from this run without escorts: "
                    f"{sim['predicted_with_responses']:.3f}, minus simulated "
                    f"{sim['prediction_error']:+.3f} [90%: {elo:+.3f} – {ehi:+.3f}]; the loss "
                    "formula at the traffic the runs dispatched, without the adversary's "
                    f"answer: {sim['predicted_at_simulated_traffic']:.3f}")
        payload["simulation"] = sim
        if chart is not None:
            from siegeline.planning.plots import plot_escort_check

            report.notes.print(f"chart written to {plot_escort_check(sim, chart)}")
    report.finish(payload)


def _escort_curve(g: nx.Graph, k: int, budget: float, cand: list[str] | None,
                  time_limit: float, where: Where) -> list[dict[str, Any]]:
    """The value of 0, 1, ... k escorts against the same adversary."""
    from siegeline.planning import escort_placement

    rows: list[dict[str, Any]] = []
    for n in range(k + 1):
        r = _solve(f"Solving for {n} escorts…", escort_placement, g, n, budget, candidates=cand,
                   time_limit=time_limit, check=False, **where.terminals())
        base = rows[0]["tankers_per_day"] if rows else r.objective
        rows.append({"escorts": n, "tankers_per_day": r.objective, "gain": r.objective - base,
                     "defence": list(r.defence), "attack": list(r.attack), "status": r.status})
    return rows


def _escort_curve_table(rows: list[dict[str, Any]], budget: float) -> Table:
    t = _table(f"Escorts against budget {budget:g}: tanker/day reaching the sink",
               ("escorts", "tanker/day", "gain", "defence", "attacker's reply", "status"))
    for r in rows:
        t.add_row(str(r["escorts"]), f"{r['tankers_per_day']:,.1f}", f"{r['gain']:+,.1f}",
                  ", ".join(r["defence"]) or "-", ", ".join(r["attack"]) or "-", r["status"])
    return t


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
    scenario: str | None = ScenarioArg,
    network: Path = NetworkOpt,
    sources: list[str] = SourceOpt,
    sinks: list[str] = SinkOpt,
    demand: float = typer.Option(
        None, "--demand", help="Tankers/day to deliver (default: the city's demand).", min=0
    ),
    time_weight: float = typer.Option(
        1e-4, "--time-weight", help="Tankers lost per tanker-day of travel (tie-breaker).", min=0
    ),
    hazard_level: str = HazardOpt,
    intensity: float = IntensityOpt,
    time_limit: float = TimeOpt,
    map_path: Path = MapOpt,
    as_json: bool = JsonOpt,
    output: Path | None = OutputOpt,
) -> None:
    """Risk-aware routing: the daily tankers allocated over the corridors at least expected
    loss (min-cost flow), compared with the scenario's order shares."""
    from siegeline.planning import risk_aware_routing

    report = Report(as_json, output)
    where = Where(scenario, network, sources, sinks)
    g = _graph(where, hazard_level, intensity, None)
    if demand is None and "demand_tankers_per_day" not in g.graph:
        raise UserError("the network file has no demand: pass --demand (tankers/day)")
    result = _solve("Solving the min-cost flow…", risk_aware_routing, g, demand,
                    time_weight=time_weight, time_limit=time_limit, **where.terminals())
    report.show(_summary(result), whole=("field",))
    d = result.details
    report.show(_routes_table(d), whole=("route",))
    ref = d["reference_loss"]
    report.show(
        f"expected tankers lost per day: {d['expected_loss']:.3f} with the risk-aware allocation"
        + ("" if ref is None else f", {ref:.3f} with the scenario's order shares")
    )
    report.show(_route_objective(d, result.objective))
    _write_map(report, g, result, map_path)
    report.finish(result.to_dict())


def _routes_table(d: dict[str, Any]) -> Table:
    cols = ("route", "km", "loss/tanker", "optimal tanker/day", "optimal share", "exp. loss/day",
            "scenario share", "scenario exp. loss/day")
    t = _table(f"Routes for {d['demand']:,.1f} tankers/day", cols, right=cols[1:])
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
    return t


INTO_CITY = "into the city (tanker/day)"


@plan_app.command("robust-route")
@friendly_errors
def robust_route(
    scenario: str = scenario_argument(),
    samples: int = typer.Option(500, "--samples", "-N", min=10, max=20_000,
                                help="Draws of the uncertain hazards, intensity, destroy share."),
    alpha: float = typer.Option(0.9, "--alpha", min=0.0, max=0.999,
                                help="The robust plan minimises the mean of the worst 1-alpha."),
    seed: int = seed_option(1, help="Seed of the draws the plans are made on."),
    eval_seed: int = typer.Option(2, "--eval-seed", min=0, help="Seed of the judging draws."),
    demand: float = typer.Option(None, "--demand", min=0, help="Tankers/day (default: demand)."),
    time_weight: float = typer.Option(1e-4, "--time-weight", min=0,
                                      help="Tankers lost per tanker-day of travel."),
    time_limit: float = TimeOpt,
    as_json: bool = JsonOpt,
    output: Path | None = OutputOpt,
) -> None:
    """Routing under uncertainty: the central, expected-value and CVaR-robust allocations of the
    daily tankers, each judged on independent draws of the scenario's uncertain ranges."""
    from siegeline.planning.uncertainty import robust_scenario_routing
    from siegeline.scenario.loader import load_scenario

    report = Report(as_json, output)
    sc = load_scenario(scenario)
    result = _solve(
        f"Solving over {samples} samples…", robust_scenario_routing, sc, samples=samples,
        seed=seed, eval_seed=eval_seed, alpha=alpha, demand=demand, time_weight=time_weight,
        time_limit=time_limit,
    )
    d = result.details
    into_city = {x.id for x in sc.segments if sc.city.node in (x.a, x.b)}
    report.show(_robust_table(d, alpha, seed, eval_seed, into_city), whole=("plan", INTO_CITY))
    flows = [p["flows"] for p in d["plans"]]
    if all(max(abs(f[k] - flows[0][k]) for k in f) < 1e-6 for f in flows[1:]):
        report.note("the three plans send the same flows: no spreading of the tankers over "
                    "other routes lowers the expected loss or its tail here.")
    report.finish(result.to_dict())


def _robust_table(d: dict[str, Any], alpha: float, seed: int, eval_seed: int,
                  into_city: set[str]) -> Table:
    figures = ("mean", "5 %", "median", "95 %", "worst", f"CVaR {alpha:g}")
    t = _table(f"Expected tankers lost per day over {d['evaluation_samples']} independent "
               f"draws (seed {eval_seed}); plans made on {d['samples']} (seed {seed})",
               ("plan", *figures, INTO_CITY), right=figures)
    for p in d["plans"]:
        used = ", ".join(f"{k} {v:,.1f}" for k, v in p["flows"].items()
                         if v > 1e-6 and k in into_city)
        t.add_row(p["plan"], *(f"{p[k]:.3f}" for k in ("mean", "p05", "p50", "p95", "worst",
                                                       "cvar")), used or "-")
    return t


@plan_app.command("policy")
@friendly_errors
def policy(
    scenario: str = scenario_argument(),
    search: list[str] = typer.Option(
        ..., "--search", help="A decision to search: path=lo:hi, path=lo:hi:step or "
        "path=a,b,c (e.g. corridors.abidjan-zegoua.policy.escorts_per_convoy=0:4). Repeatable."),
    objective: str = choice_option(
        "served", "--objective", kind="objective", choices=OBJECTIVES,
        help="What the search optimises: probability of no stockout, share of demand served, "
        "litres delivered, tankers lost (minimised) or days with no stockout."),
    screen_reps: int = typer.Option(200, "--screen-reps", min=10, max=20_000,
                                    help="Replications per candidate while screening."),
    final_reps: int = typer.Option(1000, "--final-reps", min=10, max=100_000,
                                   help="Replications for the finalists and the baseline."),
    finalists: int = typer.Option(5, "--finalists", min=1, max=50,
                                  help="Best screened candidates re-run with --final-reps."),
    max_candidates: int = typer.Option(
        64, "--max-candidates", min=1, max=4096,
        help="Most candidates screened (a larger grid is sampled at random)."),
    days: int | None = days_option(),
    seed: int | None = seed_option(help="Root random seed (default: the scenario's)."),
    set_: list[str] = set_option(),
    csv: Path | None = typer.Option(None, "--csv", help="Write the screened candidates here."),
    as_json: bool = JsonOpt,
    output: Path | None = OutputOpt,
) -> None:
    """Simulation-based search over convoy and rationing policy (common random numbers)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from siegeline.planning.policy_search import PolicyDimension, search_policies
    from siegeline.scenario.loader import load_scenario

    report = Report(as_json, output)
    sc = load_scenario(scenario, set_)
    dims = [PolicyDimension.parse(text, sc) for text in search]
    with Progress(TextColumn("[bold]policy search[/]"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("runs", total=None)
        res = search_policies(
            sc, dims, objective, screen_replications=screen_reps,
            final_replications=final_reps, finalists=finalists, max_candidates=max_candidates,
            days=days, seed=seed,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    columns = [d.path.replace(".policy.", " ").replace("corridors.", "") for d in dims]
    report.show(_policy_table(res, dims, columns), whole=("rank", *columns))
    for note in res.notes:
        report.note(note)
    report.show(f"[dim]{res.seconds:.1f} s; seed {res.seed}; the baseline is the scenario's own "
                "policy (its central values).[/]")
    if csv:
        res.screened.to_csv(csv, index=False)
        report.notes.print(f"Wrote {csv}")
    report.finish({"objective": res.objective, "direction": res.direction, "seed": res.seed,
                   "candidates": res.candidates, "seconds": res.seconds,
                   "notes": list(res.notes),
                   "policies": res.to_frame().to_dict(orient="records")})


def _policy_table(res: PolicySearchResult, dims: list[PolicyDimension],
                  columns: list[str]) -> Table:
    """The baseline and the finalists, best first, with intervals paired against the baseline."""
    from siegeline.planning.policy_search import OBJECTIVES as DESCRIBED

    _, direction, description = DESCRIBED[res.objective]
    figures = ("estimate", "95% interval", "vs baseline", "95% interval")
    t = _table(f"Best policies for {res.objective} ({direction}imise {description}); "
               f"{res.candidates} candidates screened, 95% intervals, paired vs baseline",
               ("rank", *columns, *figures), right=figures)
    for rank, ev in [("baseline", res.baseline),
                     *[(str(i + 1), ev) for i, ev in enumerate(res.best)]]:
        t.add_row(rank, *[_fmt(ev.policy[d.path]) for d in dims], f"{ev.mean:.4g}",
                  f"{ev.ci_low:.4g} – {ev.ci_high:.4g}",
                  "" if rank == "baseline" else f"{ev.diff_mean:+.4g}",
                  "" if rank == "baseline" else f"{ev.diff_low:+.4g} – {ev.diff_high:+.4g}")
    return t
