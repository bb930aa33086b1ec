"""Risk-aware routing: the daily tanker demand allocated over the network at least expected loss.

Each segment costs ``loss_per_tanker + time_weight * travel_days`` per tanker, where
``loss_per_tanker = (1 - exp(-hazard * intensity * km / 100)) * destroy_share`` is the expected
number of tankers destroyed per tanker crossing. Summing these along a route is the first-order
form of the route's loss ``1 - prod(1 - p_e)``; it over-states it by less than ``sum p_e^2 / 2``
(under 0.1 % of a tanker for the scenario's routes). The allocation is the min-cost flow LP

    min  sum_a cost_a f_a
    s.t. flow conservation;  inflow at the city = demand;  outflow of port p <= supply_p;
         0 <= f_a <= capacity_a

solved with HiGHS and re-solved with ``networkx.network_simplex``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict, Unpack

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs, graphs
from siegeline.planning.maxflow import max_flow_after
from siegeline.planning.results import Check, PlanResult

LOSS = "loss_per_tanker"
TIME = "travel_days"
SUPPLY = "supply_tankers_per_day"
_SCALE_FLOW = 10**6  # NetworkX re-check works in integer millionths of a tanker
_SCALE_COST = 10**9


def _supplies(g: nx.Graph, src: list[Hashable], supply: Mapping | None) -> dict:
    out = {}
    for s in src:
        value = (supply or {}).get(s, g.nodes[s].get(SUPPLY, math.inf))
        if value < 0:
            raise ValueError(f"supply of {s!r} must be >= 0")
        out[s] = float(value)
    return out


def _network_simplex_cost(net: graphs.ArcNetwork, demand, caps, unit) -> float:
    """Independent re-solve: NetworkX's network simplex on integer-scaled data (parallel arcs
    through nodes of their own); returns the true (unscaled) cost of its flow."""
    weight = np.array([round(c * _SCALE_COST) for c in unit], dtype=object)
    cap = np.array([round(c * _SCALE_FLOW) if math.isfinite(c) else math.inf for c in caps],
                   dtype=object)
    d = graphs.nx_digraph(net, (), {"weight": weight, "capacity": cap})
    need = round(demand * _SCALE_FLOW)
    d.nodes[graphs.SOURCE]["demand"] = -need
    d.nodes[graphs.SINK]["demand"] = need
    _, flow = nx.network_simplex(d)
    return float(graphs.arc_flows(net, d, flow) @ unit) / _SCALE_FLOW


def _decompose(net: graphs.ArcNetwork, f: np.ndarray) -> list[tuple[list[int], float]]:
    """Split an acyclic flow from SOURCE to SINK into routes of arcs (greedy, largest arc
    first); the terminal arcs are left out of each route."""
    left = {a: float(x) for a, x in enumerate(f) if x > 1e-9}
    out_arcs: dict[int, list[int]] = {}
    for a in left:
        out_arcs.setdefault(int(net.tail[a]), []).append(a)
    source, sink = net.index[graphs.SOURCE], net.index[graphs.SINK]
    routes = []
    for _ in range(10 * len(left) + 10):
        path, node, seen = [], source, {source}
        while node != sink:
            options = [a for a in out_arcs.get(node, []) if left.get(a, 0.0) > 1e-9]
            if not options:
                return routes
            a = max(options, key=left.get)
            node = int(net.head[a])
            if node in seen:  # a cycle: the flow is not acyclic; stop decomposing
                return routes
            seen.add(node)
            path.append(a)
        amount = min(left[a] for a in path)
        for a in path:
            left[a] -= amount
        routes.append(([a for a in path if net.owner[a] >= 0], amount))
    return routes


@dataclass(frozen=True)
class FlowProblem:
    """The routing LP's constraints: ``a_mat @ f == rhs`` (net inflow: -demand at SOURCE,
    +demand at SINK, 0 elsewhere), ``0 <= f <= caps`` (a port's terminal arc at its supply)."""

    net: graphs.ArcNetwork
    caps: np.ndarray
    a_mat: sp.coo_matrix
    rhs: np.ndarray
    demand: float


def flow_problem(
    g: nx.Graph,
    demand: float | None = None,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    supply: Mapping[Hashable, float] | None = None,
    capacity: str = graphs.CAPACITY,
) -> FlowProblem:
    """The flow constraints shared by the routing models, after checking that the network and
    the ports can carry ``demand`` (default: the graph's ``demand_tankers_per_day``)."""
    src, snk = graphs.terminals(g, sources, sink)
    demand = g.graph.get("demand_tankers_per_day") if demand is None else demand
    if demand is None or not (demand >= 0 and math.isfinite(demand)):
        raise ValueError("demand must be a finite number >= 0 (tankers/day)")
    supplies = _supplies(g, src, supply)
    most = max_flow_after(g, (), sources=src, sink=snk, capacity=capacity)
    total_supply = sum(supplies.values())
    if demand > min(most, total_supply) + 1e-9:
        raise ValueError(
            f"demand of {demand:.1f} tankers/day exceeds what the network can carry "
            f"({min(most, total_supply):.1f}: road capacity {most:.1f}, port supply "
            f"{total_supply:.1f})"
        )
    net = graphs.arc_network(g, src, snk, capacity)
    caps = net.arc_values(capacity, terminal=math.inf)
    for k, s in enumerate(src):  # the terminal arc into a port carries at most its supply
        caps[net.n_arcs - len(src) - len(snk) + k] = supplies[s]
    n_arc = net.n_arcs
    rows = np.concatenate([net.head, net.tail])
    cols = np.concatenate([np.arange(n_arc), np.arange(n_arc)])
    vals = np.concatenate([np.ones(n_arc), -np.ones(n_arc)])
    a_mat = sp.coo_matrix((vals, (rows, cols)), shape=(len(net.nodes), n_arc))
    rhs = np.zeros(len(net.nodes))
    rhs[net.index[graphs.SOURCE]], rhs[net.index[graphs.SINK]] = -demand, demand
    return FlowProblem(net, caps, a_mat, rhs, float(demand))


class FlowNetwork(TypedDict, total=False):
    """The keywords of :func:`flow_problem` saying where the flow runs, which the routing
    models pass on to it."""

    sources: Iterable[Hashable] | None
    sink: Hashable | Iterable[Hashable] | None
    supply: Mapping[Hashable, float] | None
    capacity: str


def risk_aware_routing(
    g: nx.Graph,
    demand: float | None = None,
    *,
    loss: str = LOSS,
    time: str = TIME,
    time_weight: float = 1e-4,
    corridors: Mapping[str, list[Hashable]] | None = None,
    order_shares: Mapping[str, float] | None = None,
    time_limit: float = 60.0,
    check: bool = True,
    **network: Unpack[FlowNetwork],
) -> PlanResult:
    """Least-expected-loss allocation of ``demand`` tankers/day from the sources to the sink.

    ``network``: ``sources``, ``sink``, ``supply`` and ``capacity`` as for
    :func:`flow_problem`. ``demand`` defaults to the graph attribute ``demand_tankers_per_day``;
    port supplies to the node attribute ``supply_tankers_per_day`` (unbounded if absent).
    ``time_weight`` (tankers lost per tanker-day, default 1e-4) prices travel time so that among
    equally safe routes the faster is used. The objective is the total cost per day;
    ``details["expected_loss"]`` is the expected tankers lost per day alone. With ``corridors``
    (default: the graph's) the flow is decomposed into routes and compared with
    ``order_shares``.
    """
    if time_weight < 0:
        raise ValueError("time_weight must be >= 0")
    fp = flow_problem(g, demand, **network)
    net, caps, a_mat, rhs, demand = fp.net, fp.caps, fp.a_mat, fp.rhs, fp.demand
    src, snk = net.sources, net.sinks
    losses = net.arc_values(loss, terminal=0.0)
    times = net.arc_values(time, 0.0, terminal=0.0)
    unit = losses + time_weight * times
    n_arc = net.n_arcs
    sol = _highs.solve(unit, a_mat, rhs, rhs, np.zeros(n_arc), caps, time_limit=time_limit)
    if not np.all(np.isfinite(sol.x)):
        raise RuntimeError(f"HiGHS found no allocation (status: {sol.status})")
    f = sol.x
    labels = net.labels
    flows = dict.fromkeys(labels, 0.0)  # tankers crossing (both directions)
    seg_loss = dict.fromkeys(labels, 0.0)
    for a, e in enumerate(net.owner):
        if e >= 0:
            flows[labels[e]] += float(f[a])
            seg_loss[labels[e]] += float(f[a] * losses[a])
    port_arcs = range(n_arc - len(src) - len(snk), n_arc - len(snk))
    result_check = None
    if check:
        nx_cost = _network_simplex_cost(net, demand, caps, unit)
        result_check = Check(
            method="networkx.network_simplex (integer-scaled) cost",
            value=float(nx_cost),
            matches=math.isclose(nx_cost, sol.objective, rel_tol=1e-6, abs_tol=1e-6),
        )
    corridors = g.graph.get("corridors") if corridors is None else corridors
    shares = g.graph.get("order_shares") if order_shares is None else order_shares
    routes = _route_table(g, net, f, losses, demand, corridors or {}, shares or {}, loss)
    return PlanResult.from_solution(
        sol,
        problem="risk-aware routing (min-cost flow)",
        unit="cost/day",
        flows=flows,
        details={
            "demand": float(demand),
            "expected_loss": float(f @ losses),
            "tanker_days": float(f @ times),
            "time_weight": time_weight,
            "segment_loss": seg_loss,
            "port_outflow": {str(s): float(f[a]) for s, a in zip(src, port_arcs, strict=True)},
            "routes": routes,
            "reference_loss": _reference_loss(g, demand, corridors or {}, shares or {}, loss),
        },
        check=result_check,
    )


def _step(g: nx.Graph, u: Hashable, v: Hashable, loss: str) -> Mapping:
    """The edge a route from ``u`` to ``v`` takes: the least lossy of the parallel ones."""
    if not g.has_edge(u, v):
        raise ValueError(f"the route {u} -> {v} has no segment in that direction")
    options = list(g[u][v].values()) if g.is_multigraph() else [g[u][v]]
    return min(options, key=lambda d: float(d[loss]))


def _path_loss(g: nx.Graph, path: list, loss: str) -> float:
    return sum(float(_step(g, u, v, loss)[loss]) for u, v in zip(path, path[1:], strict=False))


def _path_km(g: nx.Graph, path: list, loss: str) -> float | None:
    steps = [_step(g, u, v, loss) for u, v in zip(path, path[1:], strict=False)]
    if not all("length_km" in d for d in steps):
        return None
    return sum(float(d["length_km"]) for d in steps)


def _reference_loss(g, demand, corridors, shares, loss) -> float | None:
    """Expected tankers lost per day if the demand followed the scenario's order shares (each
    corridor over its least lossy parallel segments)."""
    if not corridors or not shares:
        return None
    total = sum(shares.get(name, 0.0) for name in corridors)
    if total <= 0:
        return None
    return sum(
        demand * shares.get(name, 0.0) / total * _path_loss(g, path, loss)
        for name, path in corridors.items()
    )


def _row(name: str, path: list, tankers: float, loss_per_tanker: float, km: float | None,
         segments: list[str]) -> dict:
    return {"route": name, "path": [str(p) for p in path], "segments": segments,
            "tankers_per_day": tankers, "km": km, "loss_per_tanker": loss_per_tanker}


def _route_table(g, net, f, losses, demand, corridors, shares, loss) -> list[dict]:
    """One row per route used by the optimum, plus every named corridor it leaves unused."""
    by_path = {tuple(p): name for name, p in corridors.items()}
    total_share = sum(shares.get(n, 0.0) for n in corridors) or 1.0
    rows: dict[tuple, dict] = {}
    for used, amount in _decompose(net, f):
        path = net.route_nodes(used)
        segments = [net.labels[net.owner[a]] for a in used if not net.node_arc[a]]
        key = tuple(segments)
        if key not in rows:
            name = by_path.get(tuple(path), "other: " + "-".join(map(str, path)))
            if len({tuple(r["path"]) for r in rows.values()} & {tuple(map(str, path))}):
                name += " (" + ", ".join(segments) + ")"  # a parallel road of a listed route
            km_values = [net.arc_data[a].get("length_km") for a in used if not net.node_arc[a]]
            km = None if None in km_values else float(sum(km_values))
            per = float(sum(losses[a] for a in used))
            rows[key] = _row(name, path, 0.0, per, km, segments)
        rows[key]["tankers_per_day"] += amount
    named = {r["route"] for r in rows.values()}
    for name, path in corridors.items():
        if name not in named:
            rows[("corridor", name)] = _row(
                name, path, 0.0, _path_loss(g, path, loss), _path_km(g, path, loss), []
            )
    out = []
    for row in rows.values():
        share = shares.get(row["route"]) if row["route"] in corridors else None
        ref = None if share is None else demand * share / total_share
        out.append(
            {
                **row,
                "share": row["tankers_per_day"] / demand if demand > 0 else 0.0,
                "expected_loss": row["tankers_per_day"] * row["loss_per_tanker"],
                "scenario_share": share,
                "scenario_tankers_per_day": ref,
                "scenario_expected_loss": None if ref is None else ref * row["loss_per_tanker"],
            }
        )
    return sorted(out, key=lambda r: -r["tankers_per_day"])
