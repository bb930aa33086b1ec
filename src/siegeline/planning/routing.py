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

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siegeline.planning import _highs
from siegeline.planning.graphs import SOURCE, arcs, edge_values, terminals
from siegeline.planning.maxflow import CAPACITY, max_flow_after
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


def _network_simplex_cost(g, src, snk, demand, supplies, capacity, unit_cost) -> float:
    """Independent re-solve: NetworkX's network simplex on integer-scaled data; returns the
    true (unscaled) cost of its flow."""
    d = nx.DiGraph()
    for (u, v), c, cap in unit_cost:
        d.add_edge(u, v, weight=round(c * _SCALE_COST), capacity=round(cap * _SCALE_FLOW))
    need = round(demand * _SCALE_FLOW)
    for s in src:
        attrs = {"weight": 0}
        if math.isfinite(supplies[s]):
            attrs["capacity"] = round(supplies[s] * _SCALE_FLOW)
        d.add_edge(SOURCE, s, **attrs)
    d.add_node(SOURCE, demand=-need)
    d.add_node(snk, demand=need)
    _, flow = nx.network_simplex(d)
    cost = {(u, v): c for (u, v), c, _ in unit_cost}
    return (
        sum(f * cost[(u, v)] for u, fs in flow.items() if u != SOURCE for v, f in fs.items())
        / _SCALE_FLOW
    )


def _decompose(arc_flow: dict, src: list, snk) -> list[tuple[list, float]]:
    """Split an acyclic source-to-sink flow into paths (greedy, bottleneck first)."""
    out_arcs: dict = {}
    for (u, v), f in arc_flow.items():
        if f > 1e-9:
            out_arcs.setdefault(u, {})[v] = f
    paths = []
    for _ in range(10 * len(arc_flow) + 10):
        start = next((s for s in src if out_arcs.get(s)), None)
        if start is None:
            break
        path, node = [start], start
        while node != snk and out_arcs.get(node):
            node = max(out_arcs[node], key=out_arcs[node].get)
            if node in path:  # a cycle: the flow is not acyclic; stop decomposing
                return paths
            path.append(node)
        if node != snk:
            break
        amount = min(out_arcs[u][v] for u, v in zip(path, path[1:], strict=False))
        for u, v in zip(path, path[1:], strict=False):
            out_arcs[u][v] -= amount
            if out_arcs[u][v] <= 1e-9:
                del out_arcs[u][v]
        paths.append((path, amount))
    return paths


def risk_aware_routing(
    g: nx.Graph,
    demand: float | None = None,
    *,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | None = None,
    supply: Mapping[Hashable, float] | None = None,
    capacity: str = CAPACITY,
    loss: str = LOSS,
    time: str = TIME,
    time_weight: float = 1e-4,
    corridors: Mapping[str, list[Hashable]] | None = None,
    order_shares: Mapping[str, float] | None = None,
    time_limit: float = 60.0,
    check: bool = True,
) -> PlanResult:
    """Least-expected-loss allocation of ``demand`` tankers/day from the sources to the sink.

    ``demand`` defaults to the graph attribute ``demand_tankers_per_day``; port supplies to the
    node attribute ``supply_tankers_per_day`` (unbounded if absent). ``time_weight`` (tankers
    lost per tanker-day, default 1e-4) prices travel time so that among equally safe routes the
    faster is used. The objective is the total cost per day; ``details["expected_loss"]`` is the
    expected tankers lost per day alone. With ``corridors`` (default: the graph's) the flow is
    decomposed into routes and compared with ``order_shares``.
    """
    src, snk = terminals(g, sources, sink)
    demand = g.graph.get("demand_tankers_per_day") if demand is None else demand
    if demand is None or not (demand >= 0 and math.isfinite(demand)):
        raise ValueError("demand must be a finite number >= 0 (tankers/day)")
    if time_weight < 0:
        raise ValueError("time_weight must be >= 0")
    supplies = _supplies(g, src, supply)
    most = max_flow_after(g, (), sources=src, sink=snk, capacity=capacity)
    total_supply = sum(supplies.values())
    if demand > min(most, total_supply) + 1e-9:
        raise ValueError(
            f"demand of {demand:.1f} tankers/day exceeds what the network can carry "
            f"({min(most, total_supply):.1f}: road capacity {most:.1f}, port supply "
            f"{total_supply:.1f})"
        )
    arc_list, owner, labels = arcs(g)
    caps = edge_values(g, capacity)[owner]
    losses = edge_values(g, loss)[owner]
    times = edge_values(g, time, 0.0)[owner]
    unit = losses + time_weight * times
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    n_arc, n_src = len(arc_list), len(src)
    rows, cols, vals = [], [], []
    for a, (u, v) in enumerate(arc_list):
        rows += [index[v], index[u]]
        cols += [a, a]
        vals += [1.0, -1.0]
    for k, s in enumerate(src):  # supply columns feed each port
        rows.append(index[s])
        cols.append(n_arc + k)
        vals.append(1.0)
    a_mat = sp.coo_matrix((vals, (rows, cols)), shape=(len(nodes), n_arc + n_src))
    rhs = np.zeros(len(nodes))
    rhs[index[snk]] = demand
    c = np.concatenate([unit, np.zeros(n_src)])
    lo = np.zeros(n_arc + n_src)
    hi = np.concatenate([caps, [supplies[s] for s in src]])
    sol = _highs.solve(c, a_mat, rhs, rhs, lo, hi, time_limit=time_limit)
    if not np.all(np.isfinite(sol.x)):
        raise RuntimeError(f"HiGHS found no allocation (status: {sol.status})")
    f = sol.x[:n_arc]
    arc_flow = {arc: float(x) for arc, x in zip(arc_list, f, strict=True)}
    flows = dict.fromkeys(labels, 0.0)
    seg_loss = dict.fromkeys(labels, 0.0)
    for a, e in enumerate(owner):
        flows[labels[e]] += float(f[a])
        seg_loss[labels[e]] += float(f[a] * losses[a])
    result_check = None
    if check:
        nx_cost = _network_simplex_cost(
            g, src, snk, demand, supplies, capacity, list(zip(arc_list, unit, caps, strict=True))
        )
        result_check = Check(
            method="networkx.network_simplex (integer-scaled) cost",
            value=float(nx_cost),
            matches=math.isclose(nx_cost, sol.objective, rel_tol=1e-6, abs_tol=1e-6),
        )
    corridors = g.graph.get("corridors") if corridors is None else corridors
    shares = g.graph.get("order_shares") if order_shares is None else order_shares
    routes = _route_table(
        g, arc_flow, src, snk, demand, corridors or {}, shares or {}, loss, capacity
    )
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
            "port_outflow": {str(s): float(x) for s, x in zip(src, sol.x[n_arc:], strict=True)},
            "routes": routes,
            "reference_loss": _reference_loss(g, demand, corridors or {}, shares or {}, loss),
        },
        check=result_check,
    )


def _path_loss(g: nx.Graph, path: list, loss: str) -> float:
    return sum(float(g.edges[u, v][loss]) for u, v in zip(path, path[1:], strict=False))


def _path_km(g: nx.Graph, path: list) -> float | None:
    steps = list(zip(path, path[1:], strict=False))
    if not all("length_km" in g.edges[u, v] for u, v in steps):
        return None
    return sum(float(g.edges[u, v]["length_km"]) for u, v in steps)


def _reference_loss(g, demand, corridors, shares, loss) -> float | None:
    """Expected tankers lost per day if the demand followed the scenario's order shares."""
    if not corridors or not shares:
        return None
    total = sum(shares.get(name, 0.0) for name in corridors)
    if total <= 0:
        return None
    return sum(
        demand * shares.get(name, 0.0) / total * _path_loss(g, path, loss)
        for name, path in corridors.items()
    )


def _route_table(g, arc_flow, src, snk, demand, corridors, shares, loss, capacity) -> list[dict]:
    """One row per route used by the optimum, plus every named corridor it leaves unused."""
    by_path = {tuple(p): name for name, p in corridors.items()}
    total_share = sum(shares.get(n, 0.0) for n in corridors) or 1.0
    rows: dict[str, dict] = {}
    for path, amount in _decompose(arc_flow, src, snk):
        name = by_path.get(tuple(path), "other: " + "-".join(map(str, path)))
        row = rows.setdefault(
            name, {"route": name, "path": [str(p) for p in path], "tankers_per_day": 0.0}
        )
        row["tankers_per_day"] += amount
    for name, path in corridors.items():
        rows.setdefault(
            name, {"route": name, "path": [str(p) for p in path], "tankers_per_day": 0.0}
        )
    out = []
    for row in rows.values():
        path = row["path"]
        keyed = [next(n for n in g.nodes if str(n) == p) for p in path]
        per_tanker = _path_loss(g, keyed, loss)
        share = shares.get(row["route"]) if row["route"] in corridors else None
        ref = None if share is None else demand * share / total_share
        out.append(
            {
                **row,
                "share": row["tankers_per_day"] / demand if demand > 0 else 0.0,
                "km": _path_km(g, keyed),
                "loss_per_tanker": per_tanker,
                "expected_loss": row["tankers_per_day"] * per_tanker,
                "scenario_share": share,
                "scenario_tankers_per_day": ref,
                "scenario_expected_loss": None if ref is None else ref * per_tanker,
            }
        )
    return sorted(out, key=lambda r: -r["tankers_per_day"])
