"""Planning graphs: the adapter from a scenario, a generator of road-like random networks for
benchmarks, and the small helpers every solver shares (terminals, edge labels, arc lists).

Edge attributes written by both builders (the solvers take the attribute names as arguments):

``id``                        segment label used in results
``length_km``                 road length (km)
``capacity_tankers_per_day``  throughput (tanker/day)
``hazard_per_100km``          attack hazard of one vehicle group per 100 km at intensity 1
``risk``                      -log survival of one crossing: hazard * intensity * km / 100
``loss_per_tanker``           expected tankers lost per tanker crossing:
                              (1 - e^-risk) * destroy share
``travel_days``               length / speed (day)
``interdiction_cost``         what cutting the segment costs the adversary (default 1)

Ports carry ``supply_tankers_per_day`` (loading capacity); the scenario graph also carries
``demand_tankers_per_day``, ``corridors`` (name -> node path) and ``order_shares``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Literal

import networkx as nx
import numpy as np
from scipy.spatial import Delaunay

from siegeline.network import build_graph
from siegeline.scenario.schema import Scenario, central_value, lower_bound, upper_bound

SOURCE = "__source__"

HazardLevel = Literal["central", "low", "high"]
_HAZARD = {"central": central_value, "low": lower_bound, "high": upper_bound}


def planning_graph(
    scenario: Scenario,
    *,
    interdiction_costs: Mapping[str, float] | None = None,
    hazards: Mapping[str, float] | None = None,
    hazard_level: HazardLevel = "central",
    intensity: float | None = None,
) -> nx.Graph:
    """Undirected planning graph of a scenario.

    ``hazards`` (segment id -> hazard per 100 km, e.g. from calibration) replaces the scenario's
    hazards, otherwise ``hazard_level`` picks the central value or an end of each uncertain range.
    ``intensity`` defaults to the central adversary intensity of day 0. Graph attributes:
    ``city``, ``ports``, ``intensity``, ``destroy_share``.
    """
    costs = dict(interdiction_costs or {})
    hazards = dict(hazards or {})
    seg_ids = {s.id for s in scenario.segments}
    unknown = sorted((set(costs) | set(hazards)) - seg_ids)
    if unknown:
        raise ValueError(f"unknown segment ids: {', '.join(unknown)}")
    bad = sorted(k for k, v in costs.items() if not (v > 0 and math.isfinite(v)))
    if bad:
        raise ValueError(f"interdiction costs must be positive and finite: {', '.join(bad)}")
    lam = central_value(scenario.adversary.intensity) if intensity is None else float(intensity)
    if lam < 0:
        raise ValueError("intensity must be >= 0")
    share = central_value(scenario.adversary.destroy_share)
    g = build_graph(scenario)
    for s in scenario.segments:
        hz = hazards.get(s.id, _HAZARD[hazard_level](s.hazard_per_100km))
        data = g.edges[s.a, s.b]
        data["hazard_per_100km"] = float(hz)
        data["interdiction_cost"] = float(costs.get(s.id, 1.0))
        _set_risk(data, lam, share)
    for n in scenario.nodes:
        if n.kind == "port":
            g.nodes[n.id]["supply_tankers_per_day"] = sum(
                central_value(v) for v in n.loading_capacity_tankers_per_day.values()
            )
    g.graph.update(
        city=scenario.city.node,
        ports=[n.id for n in scenario.nodes if n.kind == "port"],
        intensity=lam,
        destroy_share=share,
        demand_tankers_per_day=daily_tanker_demand(scenario),
        corridors={c.name: list(c.path) for c in scenario.corridors},
        order_shares={c.name: c.order_share for c in scenario.corridors},
    )
    return g


def daily_tanker_demand(scenario: Scenario) -> float:
    """The city's normal daily demand, all sectors and products, in tanker loads per day
    (central values, demand multiplier included)."""
    load = {p.name: p.tanker_capacity_litres for p in scenario.products}
    scale = central_value(scenario.city.demand_multiplier)
    return sum(
        central_value(litres) * scale / load[product]
        for sector in scenario.city.sectors
        for product, litres in sector.demand_litres_per_day.items()
    )


def _set_risk(data: dict, intensity: float, destroy_share: float) -> None:
    data["risk"] = data["hazard_per_100km"] * intensity * data["length_km"] / 100.0
    data["loss_per_tanker"] = (1.0 - math.exp(-data["risk"])) * destroy_share


def road_like_graph(
    n_nodes: int,
    *,
    seed: int,
    n_ports: int = 4,
    spacing_km: float = 40.0,
    capacity_range: tuple[float, float] = (50.0, 250.0),
    mean_hazard: float = 0.03,
    destroy_share: float = 0.5,
) -> nx.Graph:
    """A planar road-like network: the Delaunay triangulation of ``n_nodes`` uniform random
    points (about ``spacing_km`` apart), ports on the convex hull spread around it, the city at
    the node nearest the centre. Capacities are uniform in ``capacity_range``; hazards are
    exponential with mean ``mean_hazard``; lengths are 1.2 x the straight line (road detour)."""
    if n_nodes < max(4, n_ports + 2):
        raise ValueError("need at least 4 nodes and two more nodes than ports")
    rng = np.random.default_rng(seed)
    side = spacing_km * math.sqrt(n_nodes)
    pts = rng.uniform(0.0, side, size=(n_nodes, 2))
    tri = Delaunay(pts)
    pairs = set()
    for simplex in tri.simplices:
        for i in range(3):
            u, v = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
            pairs.add((u, v))
    g = nx.Graph(name=f"road-like-{n_nodes}-{seed}")
    centre = np.array([side / 2, side / 2])
    city = int(np.argmin(np.linalg.norm(pts - centre, axis=1)))
    hull = tri.convex_hull  # boundary edges; pick ports spread by angle around the centre
    hull_nodes = np.array([i for i in np.unique(hull) if i != city])
    angles = np.arctan2(pts[hull_nodes, 1] - centre[1], pts[hull_nodes, 0] - centre[0])
    order = hull_nodes[np.argsort(angles)]
    ports = list(dict.fromkeys(int(order[int(i * len(order) / n_ports)]) for i in range(n_ports)))
    for i, (x, y) in enumerate(pts):
        kind = "city" if i == city else "port" if i in ports else "town"
        g.add_node(i, kind=kind, x=float(x), y=float(y))
    lo, hi = capacity_range
    for k, (u, v) in enumerate(sorted(pairs)):
        km = 1.2 * float(np.linalg.norm(pts[u] - pts[v]))
        data = {
            "id": f"e{k}",
            "length_km": km,
            "capacity_tankers_per_day": float(np.round(rng.uniform(lo, hi))),
            "hazard_per_100km": float(rng.exponential(mean_hazard)),
            "travel_days": km / 250.0,
            "interdiction_cost": 1.0,
        }
        _set_risk(data, 1.0, destroy_share)
        g.add_edge(u, v, **data)
    g.graph.update(city=city, ports=ports, intensity=1.0, destroy_share=destroy_share)
    return g


def terminals(
    g: nx.Graph, sources: Iterable[Hashable] | None, sink: Hashable | None
) -> tuple[list[Hashable], Hashable]:
    """Sources (default: graph attribute ``ports``, else nodes of kind ``port``) and sink
    (default: graph attribute ``city``), checked against the graph."""
    if sources is None:
        sources = g.graph.get("ports") or [n for n, k in g.nodes(data="kind") if k == "port"]
    src = list(sources)
    snk = g.graph.get("city") if sink is None else sink
    if not src:
        raise ValueError("no source nodes: pass sources or mark nodes with kind='port'")
    if snk is None:
        raise ValueError("no sink node: pass sink or set the graph attribute 'city'")
    missing = [n for n in [*src, snk] if n not in g]
    if missing:
        raise ValueError(f"nodes not in the graph: {', '.join(map(str, missing))}")
    if snk in src:
        raise ValueError("the sink cannot also be a source")
    return src, snk


def edge_label(g: nx.Graph, u: Hashable, v: Hashable) -> str:
    """Segment label: the edge's ``id`` attribute, else ``u-v`` (``u->v`` when directed)."""
    label = g.edges[u, v].get("id")
    if label is not None:
        return str(label)
    return f"{u}->{v}" if g.is_directed() else f"{u}-{v}"


def edges_by_label(g: nx.Graph) -> dict[str, tuple[Hashable, Hashable]]:
    out = {edge_label(g, u, v): (u, v) for u, v in g.edges}
    if len(out) != g.number_of_edges():
        raise ValueError("edge labels (the 'id' attribute) must be unique")
    return out


def arcs(g: nx.Graph) -> tuple[list[tuple[Hashable, Hashable]], list[int], list[str]]:
    """Directed arcs of ``g`` (two per undirected edge), the index of the edge each arc belongs
    to, and the edge labels (one per edge, in ``g.edges`` order)."""
    labels = [edge_label(g, u, v) for u, v in g.edges]
    if len(set(labels)) != len(labels):
        raise ValueError("edge labels (the 'id' attribute) must be unique")
    arc_list: list[tuple[Hashable, Hashable]] = []
    owner: list[int] = []
    for k, (u, v) in enumerate(g.edges):
        arc_list.append((u, v))
        owner.append(k)
        if not g.is_directed():
            arc_list.append((v, u))
            owner.append(k)
    return arc_list, owner, labels


def edge_values(g: nx.Graph, attr: str, default: float | None = None) -> np.ndarray:
    """One float per edge (``g.edges`` order); a clear error if the attribute is missing."""
    out = []
    for u, v, data in g.edges(data=True):
        value = data.get(attr, default)
        if value is None:
            raise ValueError(f"edge {edge_label(g, u, v)} has no attribute {attr!r}")
        out.append(float(value))
    return np.array(out, dtype=float)
