"""Stochastic max-flow interdiction (Cormican, Morton & Wood 1998).

An interdiction attempt on segment ``e`` succeeds with probability ``p_e``, independently of
the others; the adversary chooses which segments to attempt, within its budget, so that the
*expected* max flow is least. Solved by sample average approximation (SAA): ``S`` scenarios of
success indicators ``xi^s_e ~ Bernoulli(p_e)`` (for a scenario with uncertain ranges, drawn
with sampled hazards, intensity and capacities too), one shared first-stage ``x``, and Wood's
min-cut dual per scenario in which an arc's cut term is present only where ``xi^s_e = 1``:

    min  sum_s w_s sum_a u^s_a beta^s_a
    s.t. alpha^s_i - alpha^s_j + beta^s_a + xi^s_e(a) x_e(a) >= 0    every arc a, scenario s
         alpha^s_source = 0,  alpha^s_sink = 1
         sum_e r_e x_e <= B,   x_e in {0, 1},   0 <= alpha, beta <= 1

For a fixed ``x`` each scenario's block is the min-cut LP of the network less the segments
whose attack succeeded there, so its optimum is that scenario's max flow. Identical scenarios
are merged (their weights add up); a scenario in which no attack can succeed is a constant, its
max flow. With ``p_e = 1`` everywhere this is Wood's deterministic model.

SAA practice (Mak, Morton & Wood 1999): ``batches`` independent samples give as many SAA optima
and candidate plans. The optima's mean estimates a lower bound on the true optimal expected flow
(``E[SAA optimum] <= optimum`` for a minimisation); each candidate is judged on an independent
evaluation sample (an unbiased estimate of its expected flow, an upper bound on the optimum) and
the best is reported, with the spread (quantiles) of its max flow over that sample.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import maximum_flow

from siegeline.model.parameters import ParameterSource, parameter_stream
from siegeline.planning import _highs
from siegeline.planning.graphs import (
    ARC,
    CAPACITY,
    SINK,
    SOURCE,
    ArcNetwork,
    arc_network,
    nx_digraph,
)
from siegeline.planning.maxflow import (
    COST,
    affordable_attacks,
    count_attack_candidates,
    interdiction_network,
    max_flow_interdiction,
    segment_flows,
)
from siegeline.planning.results import Check, PlanResult
from siegeline.scenario.schema import Scenario

SUCCESS = "success_probability"
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class SuccessSample:
    """Weighted scenarios over a network's segments (``labels``, in the order of its
    :class:`~siegeline.planning.graphs.ArcNetwork`): ``success[s, e]`` whether an attack on
    segment ``e`` succeeds in scenario ``s``, ``capacity[s, e]`` the segment's capacity there
    (``None``: the graph's), ``weight[s]`` the scenario's probability. ``exact`` marks the full
    distribution (every outcome once, weighted by its probability) rather than a sample."""

    labels: tuple[str, ...]
    success: np.ndarray
    capacity: np.ndarray | None
    weight: np.ndarray
    exact: bool = False

    def __post_init__(self) -> None:
        n, e = self.success.shape
        if e != len(self.labels) or self.weight.shape != (n,) or n == 0:
            raise ValueError("success needs one row per scenario and one column per segment")
        if self.capacity is not None and self.capacity.shape != (n, e):
            raise ValueError("capacity needs the shape of success")
        if np.any(self.weight < 0) or not math.isclose(self.weight.sum(), 1.0, abs_tol=1e-9):
            raise ValueError("scenario weights must be >= 0 and add up to 1")

    @property
    def size(self) -> int:
        return len(self.weight)


def success_probabilities(net: ArcNetwork, success: str = SUCCESS) -> np.ndarray:
    """``p_e`` of every segment from the edge attribute ``success`` (a node capacity, which no
    attack model covers, reads 0: it cannot be closed)."""
    p = net.segment_values(success)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"success probabilities ({success!r}) must lie in [0, 1]")
    return p


def sample_successes(
    g: nx.Graph,
    n: int,
    seed: int,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    success: str = SUCCESS,
) -> SuccessSample:
    """``n`` equally likely scenarios of independent successes ``xi_e ~ Bernoulli(p_e)`` at the
    graph's capacities."""
    if n < 1:
        raise ValueError("need at least one sample")
    net = arc_network(g, sources, sink, capacity)
    p = success_probabilities(net, success)
    draws = np.random.default_rng(seed).random((n, len(p))) < p
    return SuccessSample(tuple(net.labels), draws, None, np.full(n, 1.0 / n))


def success_outcomes(
    g: nx.Graph,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    success: str = SUCCESS,
    max_uncertain: int = 16,
) -> SuccessSample:
    """The exact distribution of the successes: every combination over the segments whose
    ``p_e`` lies strictly between 0 and 1 (the others always or never succeed), weighted by
    its probability. For small networks (at most ``max_uncertain`` such segments)."""
    net = arc_network(g, sources, sink, capacity)
    p = success_probabilities(net, success)
    uncertain = np.flatnonzero((p > 0) & (p < 1))
    if len(uncertain) > max_uncertain:
        raise ValueError(f"{len(uncertain)} uncertain segments: 2^{len(uncertain)} outcomes")
    rows = np.array(list(itertools.product((False, True), repeat=len(uncertain))), dtype=bool)
    rows = rows.reshape(2 ** len(uncertain), len(uncertain))
    succ = np.tile(p >= 1, (len(rows), 1))
    succ[:, uncertain] = rows
    pu = p[uncertain]
    weight = np.prod(np.where(rows, pu, 1 - pu), axis=1)
    return SuccessSample(tuple(net.labels), succ, None, weight, exact=True)


def scenario_successes(scenario: Scenario, g: nx.Graph, n: int, seed: int,
                       intensity: float | None = None) -> SuccessSample:
    """``n`` draws for a scenario's planning graph: each segment's hazard, its capacity and the
    day-0 adversary intensity from the scenario's uncertain ranges by the engine's parameter
    streams (draw ``i`` of seed ``s`` is replication ``i`` of ``siegeline run --seed s``), then
    the success of an attack on the segment with the simulator's attack probability of one
    crossing at those values, ``1 - exp(-hazard * intensity * km / 100)``. Capacities are
    rounded to 1/100 tanker/day (exact integer max flows). ``intensity`` fixes the adversary's
    intensity instead of drawing it."""
    if n < 1:
        raise ValueError("need at least one sample")
    net = arc_network(g)
    params = ParameterSource(scenario, n, seed)
    lam = params.get("adversary.intensity") if intensity is None else np.full(n, intensity)
    column = {lab: e for e, lab in enumerate(net.labels)}
    p = np.tile(success_probabilities(net), (n, 1))
    caps = np.tile(_segment_capacities(net, CAPACITY), (n, 1))
    for i, seg in enumerate(scenario.segments):
        e = column[seg.id]
        hazard = params.get(f"segments.{i}.hazard_per_100km")
        p[:, e] = 1.0 - np.exp(-hazard * lam * seg.length_km / 100.0)
        caps[:, e] = np.round(params.get(f"segments.{i}.capacity_tankers_per_day"), 2)
    draws = parameter_stream(seed, "planning.interdiction_success").random(p.shape) < p
    return SuccessSample(tuple(net.labels), draws, caps, np.full(n, 1.0 / n))


def _segment_capacities(net: ArcNetwork, capacity: str) -> np.ndarray:
    """One capacity per segment (a segment's largest arc; arcs of two-way segments agree)."""
    arc_caps = net.arc_values(capacity, terminal=math.inf)
    out = np.zeros(len(net.labels))
    for a, e in enumerate(net.owner):
        if e >= 0:
            out[e] = max(out[e], arc_caps[a])
    return out


class _FlowOracle:
    """Max flows of one network under changing capacities and removed segments (a removed
    arc gets capacity 0). Capacities on a grid of 1/``GRID`` tanker/day (whole numbers, the
    scenario draws) go to SciPy's integer max flow in those units, exact and faster (the CLI's
    default run on the Bamako network: 18 s with NetworkX, 7 s); others to NetworkX's, on one
    digraph whose capacities are rewritten per call."""

    GRID = 100

    def __init__(self, net: ArcNetwork, capacity: str) -> None:
        self.net = net
        self.base = net.arc_values(capacity, terminal=math.inf)
        self.d = nx_digraph(net, (), {"capacity": self.base})
        # arc -> the digraph edge carrying its capacity (a parallel arc's first half)
        self.edge = {a: (u, v) for u, v, a in self.d.edges(data="arc") if u != (ARC, a)}
        self.cut = [np.flatnonzero(self.net.owner == e) for e in range(len(net.labels))]
        self.shape = (len(net.nodes), len(net.nodes))
        self.ends = (net.index[SOURCE], net.index[SINK])

    def arc_capacities(self, segment_caps: np.ndarray | None) -> np.ndarray:
        if segment_caps is None:
            return self.base
        caps = self.base.copy()
        owned = self.net.owner >= 0
        caps[owned] = segment_caps[self.net.owner[owned]]
        return caps

    def value(self, arc_caps: np.ndarray, removed: Iterable[int]) -> float:
        caps = arc_caps.copy()
        for e in removed:
            caps[self.cut[e]] = 0.0
        finite = np.isfinite(caps)
        units = np.rint(caps[finite] * self.GRID)
        total = units.sum() + 1  # more than any cut: stands for an unbounded arc
        if np.allclose(units, caps[finite] * self.GRID, rtol=0, atol=1e-6) and total < 2**31:
            ints = np.where(finite, 0, total).astype(np.int64)
            ints[finite] = units
            m = sp.csr_matrix((ints.astype(np.int32), (self.net.tail, self.net.head)),
                              shape=self.shape)  # parallel arcs' capacities add up
            return float(maximum_flow(m, *self.ends).flow_value) / self.GRID
        return self._networkx(caps)

    def _networkx(self, caps: np.ndarray) -> float:
        for a, (u, v) in self.edge.items():
            data = self.d.edges[u, v]
            if math.isfinite(caps[a]):
                data["capacity"] = float(caps[a])
            else:  # NetworkX reads a missing capacity as unbounded
                data.pop("capacity", None)
        return float(nx.maximum_flow_value(self.d, SOURCE, SINK))


class _Scenarios:
    """A sample reduced for one model: successes only where an attack may be made, identical
    scenarios merged, and those in which no attack can succeed folded into a constant."""

    def __init__(self, oracle: _FlowOracle, sample: SuccessSample, attackable: np.ndarray):
        self.oracle, self.sample = oracle, sample
        active = sample.success & attackable[None, :]
        caps = sample.capacity
        hit = active.any(axis=1)
        self.constant = 0.0
        for s in np.flatnonzero(~hit) if caps is not None else []:
            self.constant += sample.weight[s] * oracle.value(oracle.arc_capacities(caps[s]), ())
        if caps is None and (~hit).any():
            self.constant = float(sample.weight[~hit].sum()) * oracle.value(oracle.base, ())
        keys: dict[bytes, int] = {}
        rows, weights, cap_rows = [], [], []
        for s in np.flatnonzero(hit):
            key = active[s].tobytes() + (b"" if caps is None else caps[s].tobytes())
            if key not in keys:
                keys[key] = len(rows)
                rows.append(active[s])
                weights.append(0.0)
                cap_rows.append(None if caps is None else caps[s])
            weights[keys[key]] += float(sample.weight[s])
        self.active = np.array(rows, dtype=bool).reshape(-1, active.shape[1])
        self.weight = np.array(weights)
        self.arc_caps = [oracle.arc_capacities(c) for c in cap_rows]
        self._cache: dict[tuple, float] = {}

    def flow(self, k: int, removed: tuple[int, ...]) -> float:
        key = (removed, k if self.sample.capacity is not None else -1)
        if key not in self._cache:
            self._cache[key] = self.oracle.value(self.arc_caps[k], removed)
        return self._cache[key]

    def expected(self, attack: Sequence[int]) -> float:
        """The sample's expected max flow under an attack (segment indices), one max flow per
        scenario it touches."""
        out = self.constant
        for k in range(len(self.weight)):
            removed = tuple(e for e in attack if self.active[k, e])
            out += self.weight[k] * self.flow(k, removed)
        return float(out)


def _saa_model(net: ArcNetwork, scen: _Scenarios, budget: float, costs: np.ndarray,
               attackable: np.ndarray):
    """The deterministic equivalent over the reduced scenarios (columns: x, then per scenario
    alpha and beta)."""
    n, n_arc, n_edge, n_s = len(net.nodes), net.n_arcs, len(net.labels), len(scen.weight)
    block = n + n_arc
    arc = np.arange(n_arc)
    owned = net.owner >= 0
    rows, cols, vals = [], [], []
    c = [np.zeros(n_edge)]
    lo, hi = [np.zeros(n_edge)], [attackable.astype(float)]
    for k in range(n_s):
        r0, c0 = k * n_arc, n_edge + k * block
        rows += [r0 + arc] * 3
        cols += [c0 + net.tail, c0 + net.head, c0 + n + arc]
        vals += [np.ones(n_arc), -np.ones(n_arc), np.ones(n_arc)]
        cut = owned.copy()
        cut[owned] = scen.active[k, net.owner[owned]]
        rows.append(r0 + arc[cut])
        cols.append(net.owner[cut])
        vals.append(np.ones(cut.sum()))
        caps = scen.arc_caps[k]
        finite = np.isfinite(caps)
        alpha_lo, alpha_hi = np.zeros(n), np.ones(n)
        alpha_hi[net.index[SOURCE]] = 0.0
        alpha_lo[net.index[SINK]] = 1.0
        c += [np.zeros(n), scen.weight[k] * np.where(finite, caps, 0.0)]
        lo += [alpha_lo, np.zeros(n_arc)]
        hi += [alpha_hi, finite.astype(float)]  # an unbounded arc cannot be paid for
    rows.append(np.full(n_edge, n_s * n_arc))
    cols.append(np.arange(n_edge))
    vals.append(costs)
    a = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_s * n_arc + 1, n_edge + n_s * block))
    row_lo = np.concatenate([np.zeros(n_s * n_arc), [-np.inf]])
    row_hi = np.concatenate([np.full(n_s * n_arc, np.inf), [float(budget)]])
    integer = np.zeros(a.shape[1], dtype=bool)
    integer[:n_edge] = True
    return (np.concatenate(c), a, row_lo, row_hi, np.concatenate(lo), np.concatenate(hi),
            integer)


def _prune(scen: _Scenarios, attack: list[int], value: float) -> list[int]:
    """Drop attempted segments that do not lower the sample's expected flow (HiGHS may spend
    spare budget on segments whose attack never succeeds, or is never needed)."""
    kept = list(attack)
    for e in attack:
        rest = [x for x in kept if x != e]
        if scen.expected(rest) <= value + 1e-9 * max(1.0, abs(value)):
            kept = rest
    return kept


def saa_interdiction(
    g: nx.Graph,
    budget: float,
    sample: SuccessSample,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    protected: Collection[str] = (),
    time_limit: float = 60.0,
    brute_force_limit: int = 20_000,
    check: bool = True,
) -> PlanResult:
    """The attack within ``budget`` that minimises the expected max flow over ``sample``
    (:class:`SuccessSample`: drawn, or the exact distribution), as one MILP.

    The objective is that expected max flow (tanker/day), ``baseline`` the same with no attack;
    ``flows`` are the max flow's at the graph's capacities should every attempt succeed.
    With ``check``, NetworkX re-solves every scenario's max flow under the attack, and when
    the max flows to enumerate every affordable attack over the sample's scenarios number at
    most ``brute_force_limit`` the sample's optimum is also found by enumeration."""
    net = interdiction_network(g, budget, sources, sink, capacity, protected)
    if tuple(net.labels) != sample.labels:
        raise ValueError("the sample's segments are not the graph's")
    costs = net.segment_values(cost, 1.0)
    if np.any(costs <= 0):
        raise ValueError(f"interdiction costs ({cost!r}) must be > 0")
    attackable = np.array([lab not in set(protected) for lab in net.labels]) & (costs <= budget)
    oracle = _FlowOracle(net, capacity)
    if np.any(oracle.base < 0):
        raise ValueError("capacities must be >= 0")
    scen = _Scenarios(oracle, sample, attackable)
    start = time.perf_counter()
    if len(scen.weight):
        sol = _highs.solve(*_saa_model(net, scen, budget, costs, attackable),
                           time_limit=time_limit)
        if not np.all(np.isfinite(sol.x)):
            raise RuntimeError(f"HiGHS found no interdiction plan (status: {sol.status})")
        chosen = [e for e in range(len(net.labels)) if sol.x[e] > 0.5]
        status, bound, gap, objective = sol.status, sol.bound, sol.gap, sol.objective
    else:  # no attack succeeds in any scenario: nothing to decide
        chosen, status, bound, gap, objective = [], "Optimal", 0.0, 0.0, 0.0
    objective += scen.constant
    bound += scen.constant
    chosen = _prune(scen, chosen, scen.expected(chosen))
    value = scen.expected(chosen)
    baseline = scen.expected([])
    result_check = None
    if check:
        bf = _brute_force(scen, costs, budget, attackable, brute_force_limit)
        result_check = Check(
            method="max flow per scenario (SciPy's maximum_flow; NetworkX off the 1/100 "
                   "grid), the attacked segments removed where their attack succeeds, "
                   "weighted over the sample",
            value=value,
            matches=math.isclose(value, objective, rel_tol=1e-6, abs_tol=1e-6),
            brute_force_value=None if bf is None else bf[0],
            brute_force_candidates=0 if bf is None else bf[1],
        )
    attack = tuple(net.labels[e] for e in chosen)
    kw = {"sources": net.sources, "sink": net.sinks, "capacity": capacity}
    p_all = scen.sample.success[:, chosen].all(axis=1) if chosen else None
    return PlanResult(
        problem=f"stochastic max-flow interdiction (SAA over {sample.size} scenarios)",
        unit="tanker/day",
        status=status,
        objective=float(objective),
        bound=float(bound),
        gap=float(gap),
        time_s=time.perf_counter() - start,
        attack=attack,
        defence=tuple(protected),
        flows=segment_flows(g, attack, **kw)[1],
        baseline=baseline,
        budget=float(budget),
        details={
            "scenarios": sample.size,
            "distinct_scenarios": len(scen.weight),
            "budget_spent": float(costs[chosen].sum()) if chosen else 0.0,
            "share_all_succeed": None if p_all is None else float(sample.weight[p_all].sum()),
            "sources": [str(s) for s in net.sources],
            "sinks": [str(t) for t in net.sinks],
        },
        check=result_check,
    )


def _brute_force(scen: _Scenarios, costs, budget, attackable, limit) -> tuple[float, int] | None:
    """The sample's optimum over every affordable attack on segments that succeed in some
    scenario (an attempt that never succeeds changes nothing), or None above ``limit`` max
    flows."""
    useful = [e for e in np.flatnonzero(attackable) if scen.active[:, e].any()]
    cost_list = list(costs)
    if count_attack_candidates(cost_list, budget, useful) * max(1, len(scen.weight)) > limit:
        return None
    best, tried = math.inf, 0
    for combo in affordable_attacks(cost_list, budget, useful):
        tried += 1
        best = min(best, scen.expected(combo))
    return best, tried


def exact_expected_flow(
    g: nx.Graph,
    attack: Collection[str],
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    success: str = SUCCESS,
) -> float:
    """The exact expected max flow under an attack at the graph's capacities: its ``2^k``
    outcomes enumerated, each weighted by its probability."""
    net = arc_network(g, sources, sink, capacity)
    p = success_probabilities(net, success)
    index = {lab: e for e, lab in enumerate(net.labels)}
    hit = [index[lab] for lab in attack]
    oracle = _FlowOracle(net, capacity)
    out = 0.0
    for outcome in itertools.product((False, True), repeat=len(hit)):
        w = math.prod(p[e] if ok else 1 - p[e] for e, ok in zip(hit, outcome, strict=True))
        if w > 0:
            out += w * oracle.value(oracle.base, [e for e, ok in zip(hit, outcome,
                                                                     strict=True) if ok])
    return out


def brute_force_stochastic_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    success: str = SUCCESS,
    protected: Collection[str] = (),
) -> tuple[float, tuple[str, ...]]:
    """The exact optimum on a small graph: every affordable attack, each with its exact
    expected max flow (:func:`exact_expected_flow`); (value, one optimal attack)."""
    net = arc_network(g, sources, sink, capacity)
    costs = list(net.segment_values(cost, 1.0))
    allowed = [e for e, lab in enumerate(net.labels) if lab not in set(protected)]
    best, best_attack = math.inf, ()
    for combo in affordable_attacks(costs, budget, allowed):
        attack = tuple(net.labels[e] for e in combo)
        value = exact_expected_flow(g, attack, sources=net.sources, sink=net.sinks,
                                    capacity=capacity, success=success)
        if value < best - 1e-12:
            best, best_attack = value, attack
    return best, best_attack


Draw = Callable[[int, int], SuccessSample]


@dataclass(frozen=True)
class _Judged:
    """One plan's max flow in each evaluation scenario."""

    values: np.ndarray
    weight: np.ndarray
    exact: bool

    @property
    def mean(self) -> float:
        if np.all(self.weight == self.weight[0]):  # a sample: its plain mean, no 1/n rounding
            return float(self.values.mean())
        return float(self.weight @ self.values)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        if self.exact:
            return self.mean, self.mean
        var = float(self.weight @ (self.values - self.mean) ** 2)
        half = stats.norm.ppf(0.5 + level / 2) * math.sqrt(var / len(self.values))
        return float(self.mean - half), float(self.mean + half)

    def minus(self, other: _Judged) -> _Judged:
        """Scenario by scenario difference (common random numbers: a paired estimate)."""
        return _Judged(self.values - other.values, self.weight, self.exact)

    def summary(self) -> dict[str, Any]:
        return {"estimate": self.mean, "ci95": list(self.interval())}

    def quantile(self, q: float) -> float:
        order = np.argsort(self.values, kind="stable")
        cum = np.cumsum(self.weight[order])
        return float(self.values[order][min(np.searchsorted(cum, q - 1e-12), len(cum) - 1)])


def _judge(net: ArcNetwork, sample: SuccessSample, attacks: list[tuple[str, ...]],
           capacity: str) -> list[_Judged]:
    """Each attack's max flow in every scenario of ``sample`` (common random numbers): the
    no-attack flows once, then only the scenarios where some attacked segment succeeds."""
    oracle = _FlowOracle(net, capacity)
    caps = sample.capacity
    if caps is None:
        base = np.full(sample.size, oracle.value(oracle.base, ()))
    else:
        base = np.array([oracle.value(oracle.arc_capacities(c), ()) for c in caps])
    index = {lab: e for e, lab in enumerate(net.labels)}
    out, cache = [], {}
    for attack in attacks:
        hit = [index[lab] for lab in attack]
        values = base.copy()
        for s in np.flatnonzero(sample.success[:, hit].any(axis=1)) if hit else []:
            removed = tuple(e for e in hit if sample.success[s, e])
            key = (removed, None if caps is None else s)
            if key not in cache:
                arc_caps = oracle.base if caps is None else oracle.arc_capacities(caps[s])
                cache[key] = oracle.value(arc_caps, removed)
            values[s] = cache[key]
        out.append(_Judged(values, sample.weight, sample.exact))
    return out


def stochastic_interdiction(
    g: nx.Graph,
    budget: float,
    *,
    samples: int = 1000,
    seed: int = 1,
    batches: int = 5,
    evaluation_samples: int = 2000,
    eval_seed: int | None = None,
    draw: Draw | None = None,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    capacity: str = CAPACITY,
    cost: str = COST,
    success: str = SUCCESS,
    protected: Collection[str] = (),
    time_limit: float = 60.0,
    brute_force_limit: int = 20_000,
    check: bool = True,
) -> PlanResult:
    """Stochastic max-flow interdiction by sample average approximation: the attempts within
    ``budget`` that minimise the expected max flow when the attempt on segment ``e`` succeeds
    with probability ``p_e`` (edge attribute ``success``).

    ``draw(n, seed)`` gives ``n`` scenarios (default :func:`sample_successes` on the graph; for
    a scenario with uncertain ranges :func:`scenario_successes`). Batch ``b`` (``0 ..
    batches - 1``) solves the SAA MILP on ``samples`` scenarios of seed ``seed + b``; every
    distinct candidate is judged on ``evaluation_samples`` scenarios of ``eval_seed`` (default
    ``seed + batches``) and the best reported. The objective is its estimated expected max flow;
    ``details`` gives the 95 % interval of that estimate (``expected_max_flow``), the expected
    loss against no attack and the gain over Wood's certain-success plan (``deterministic``),
    both paired over the same scenarios, the lower-bound estimate from the batches' optima,
    the quantiles of the max flow over the evaluation scenarios, and each batch's candidate;
    ``baseline`` is the expected max flow with no attack, ``flows`` the max flow's at the
    graph's capacities should every attempt succeed.
    """
    if batches < 1 or samples < 1 or evaluation_samples < 1:
        raise ValueError("batches, samples and evaluation_samples must be >= 1")
    kw = {"sources": sources, "sink": sink, "capacity": capacity}
    if draw is None:
        def draw(n: int, s: int) -> SuccessSample:
            return sample_successes(g, n, s, success=success, **kw)
    net = arc_network(g, sources, sink, capacity)
    start = time.perf_counter()
    solve = {"cost": cost, "protected": protected, "time_limit": time_limit, **kw}
    runs = [saa_interdiction(g, budget, draw(samples, seed + b), check=False, **solve)
            for b in range(batches)]
    wood = max_flow_interdiction(g, budget, check=False, **solve)  # every attempt succeeds
    candidates = list(dict.fromkeys([(), wood.attack, *(r.attack for r in runs)]))
    eval_seed = seed + batches if eval_seed is None else eval_seed
    evaluation = draw(evaluation_samples, eval_seed)
    judged = dict(zip(candidates, _judge(net, evaluation, candidates, capacity), strict=True))
    best = min(runs, key=lambda r: (judged[r.attack].mean, len(r.attack)))
    j = judged[best.attack]
    chosen = runs.index(best)
    if check:  # the chosen batch's MILP again, re-checked against its own sample
        best = saa_interdiction(g, budget, draw(samples, seed + chosen),
                                brute_force_limit=brute_force_limit, **solve)
    optima = np.array([r.objective for r in runs])
    lb_half = (stats.t.ppf(0.975, batches - 1) * optima.std(ddof=1) / math.sqrt(batches)
               if batches > 1 else math.nan)
    low, high = j.interval()
    return PlanResult(
        problem=f"stochastic max-flow interdiction (SAA: {batches} x {samples} scenarios, "
                f"judged on {evaluation_samples})",
        unit="tanker/day",
        status=best.status if all(r.optimal for r in runs) else "not all batches optimal",
        objective=j.mean,
        bound=float(optima.mean()),
        gap=max(0.0, j.mean - float(optima.mean())),
        time_s=time.perf_counter() - start,
        attack=best.attack,
        defence=tuple(protected),
        flows=segment_flows(g, best.attack, **kw)[1],
        baseline=judged[()].mean,
        budget=float(budget),
        details={
            "expected_max_flow": {"estimate": j.mean, "ci95": [low, high]},
            "lower_bound": {"estimate": float(optima.mean()),
                            "ci95": [float(optima.mean() - lb_half),
                                     float(optima.mean() + lb_half)]},
            "quantiles": {f"p{round(100 * q):02d}": j.quantile(q) for q in QUANTILES},
            "worst": float(j.values.min()),
            "share_reduced": float(j.weight[j.values < judged[()].values - 1e-9].sum()),
            "no_attack": judged[()].summary(),
            "expected_loss": judged[()].minus(j).summary(),
            "deterministic": {"attack": list(wood.attack), "max_flow": wood.objective,
                              "expected_max_flow": judged[wood.attack].mean,
                              "ci95": list(judged[wood.attack].interval()),
                              "expected_loss": judged[()].minus(judged[wood.attack]).summary(),
                              "minus_this_plan": judged[wood.attack].minus(j).summary()},
            "batches": [{"seed": seed + b, "attack": list(r.attack), "in_sample": r.objective,
                         "evaluated": judged[r.attack].mean,
                         "distinct_scenarios": r.details["distinct_scenarios"]}
                        for b, r in enumerate(runs)],
            "chosen_batch": chosen,
            "samples": samples,
            "evaluation_samples": evaluation_samples,
            "eval_seed": eval_seed,
            "sources": [str(s) for s in net.sources],
            "sinks": [str(t) for t in net.sinks],
        },
        check=best.check,
    )
