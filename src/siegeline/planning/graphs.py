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
``success_probability``       chance that an attack on the segment succeeds (stochastic
                              interdiction): 1 - e^-risk, the attack probability of a crossing

Ports carry ``supply_tankers_per_day`` (loading capacity); the scenario graph also carries
``demand_tankers_per_day``, ``corridors`` (name -> node path) and ``order_shares``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import networkx as nx
import numpy as np
from scipy.spatial import Delaunay

from siegeline.network.roads import graph_from_segments
from siegeline.scenario.schema import Scenario, central_value, lower_bound, upper_bound

SOURCE = "__source__"
SINK = "__sink__"
ARC = "__arc__"
OUT = "__out__"
CAPACITY = "capacity_tankers_per_day"

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
    """Planning graph of a scenario: a ``MultiGraph`` (parallel segments kept), or a
    ``MultiDiGraph`` when some segment is one-way (``oneway: true``: an arc from ``a`` to ``b``;
    every two-way segment is then two opposite arcs sharing its id).

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
    g = _segment_graph(scenario)
    for _, _, data in g.edges(data=True):
        s = data.pop("segment")
        hazard = hazards.get(s.id, _HAZARD[hazard_level](s.hazard_per_100km))
        data["hazard_per_100km"] = float(hazard)
        data["interdiction_cost"] = float(costs.get(s.id, 1.0))
        _set_risk(data, lam, share)
        _set_success(data, lam)
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


def _segment_graph(scenario: Scenario) -> nx.MultiGraph:
    """Nodes and segments with their scenario attributes (each edge keeps its ``segment`` for
    the caller to read and drop)."""
    nodes = [{"id": n.id, "kind": n.kind, "name": n.name, "lat": n.lat, "lon": n.lon,
              "country": n.country, "customs_delay_days": central_value(n.customs_delay_days)}
             for n in scenario.nodes]
    segments = [{"id": s.id, "a": s.a, "b": s.b, "segment": s, "length_km": s.length_km,
                 "speed_km_per_day": s.speed_km_per_day,
                 "capacity_tankers_per_day": central_value(s.capacity_tankers_per_day),
                 "travel_days": s.length_km / s.speed_km_per_day, "oneway": s.oneway}
                | ({"geometry": [list(p) for p in s.geometry]} if s.geometry else {})
                for s in scenario.segments]
    return graph_from_segments(nodes, segments, name=scenario.name)


def network_planning_graph(
    g: nx.Graph,
    *,
    interdiction_costs: Mapping[str, float] | None = None,
    intensity: float | None = None,
    destroy_share: float | None = None,
    speed_km_per_day: float = 300.0,
) -> nx.Graph:
    """A network read from a file (:func:`siegeline.network.roads.read_network`) made ready for
    the planning models: a copy whose segments get ``hazard_per_100km`` (0 where the file has
    none), ``interdiction_cost`` (the file's, else 1, else ``interdiction_costs``), ``risk`` and
    ``loss_per_tanker`` at ``intensity`` and ``destroy_share`` (by default the file's, from the
    scenario it was exported from; a file without them has no adversary model: intensity 1 and
    every attack destroys its tanker), and ``travel_days`` (the file's ``speed_km_per_day``,
    else ``speed_km_per_day``)."""
    intensity = float(g.graph.get("intensity", 1.0) if intensity is None else intensity)
    destroy_share = float(g.graph.get("destroy_share", 1.0) if destroy_share is None
                          else destroy_share)
    if intensity < 0 or not 0 <= destroy_share <= 1:
        raise ValueError("intensity must be >= 0 and destroy_share in [0, 1]")
    costs = dict(interdiction_costs or {})
    out = g.copy()
    labels = set(edges_by_label(out))
    unknown = sorted(set(costs) - labels)
    if unknown:
        raise ValueError(f"unknown segment ids: {', '.join(unknown)}")
    for u, v, key, data in edge_records(out):
        if "length_km" not in data or "capacity_tankers_per_day" not in data:
            raise ValueError(f"segment {_label(out, u, v, key, data)} needs length_km and "
                             "capacity_tankers_per_day")
        data.setdefault("hazard_per_100km", 0.0)
        label = _label(out, u, v, key, data)
        data["interdiction_cost"] = float(costs.get(label, data.get("interdiction_cost", 1.0)))
        speed = float(data.get("speed_km_per_day", speed_km_per_day))
        data.setdefault("travel_days", float(data["length_km"]) / speed)
        if "loss_per_tanker" not in data:
            _set_risk(data, intensity, destroy_share)
        _set_success(data, intensity)
    out.graph.update(intensity=intensity, destroy_share=destroy_share)
    return out


def scenario_network(scenario: Scenario, hazard_level: HazardLevel = "central") -> nx.Graph:
    """A scenario's network as a network file keeps it (:func:`siegeline.network.roads.
    write_network`): nodes, segments with their base attributes (the derived risk, loss and
    travel time left out, so that edits to the file count), the ports' supply, and the day-0
    intensity, destroy share and daily demand."""
    g = planning_graph(scenario, hazard_level=hazard_level)
    for _, _, data in g.edges(data=True):
        for key in ("risk", "loss_per_tanker", "travel_days", "success_probability"):
            data.pop(key, None)
    g.graph = {"name": scenario.name, **{k: g.graph[k] for k in
                                         ("intensity", "destroy_share", "demand_tankers_per_day")}}
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
    data["risk"] = _risk(data, intensity)
    data["loss_per_tanker"] = (1.0 - math.exp(-data["risk"])) * destroy_share


def _risk(data: Mapping, intensity: float) -> float:
    return float(data["hazard_per_100km"]) * intensity * float(data["length_km"]) / 100.0


def _set_success(data: dict, intensity: float) -> None:
    """The chance that an attack on the segment succeeds, for stochastic interdiction: the
    simulator's attack probability of one crossing, ``1 - exp(-risk)``."""
    data.setdefault("success_probability", 1.0 - math.exp(-_risk(data, intensity)))


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
        _set_success(data, 1.0)
        g.add_edge(u, v, **data)
    g.graph.update(city=city, ports=ports, intensity=1.0, destroy_share=destroy_share)
    return g


def _node_list(g: nx.Graph, nodes: object) -> list[Hashable]:
    """One node, or an iterable of nodes (a value that is itself a node of ``g`` is one node)."""
    if nodes is None:
        return []
    if isinstance(nodes, Hashable) and nodes in g:
        return [nodes]
    if isinstance(nodes, str):
        return [nodes]  # not in the graph: reported as missing
    return list(nodes)  # type: ignore[call-overload]


def terminals(
    g: nx.Graph, sources: Iterable[Hashable] | None, sink: Hashable | Iterable[Hashable] | None
) -> tuple[list[Hashable], list[Hashable]]:
    """Sources (default: graph attribute ``ports``, else nodes of kind ``port``) and sinks
    (default: graph attribute ``city``, one node or several, else nodes of kind ``city``),
    checked against the graph."""
    if sources is None:
        sources = g.graph.get("ports") or [n for n, k in g.nodes(data="kind") if k == "port"]
    if sink is None:
        sink = g.graph.get("city") or [n for n, k in g.nodes(data="kind") if k == "city"]
    src = _node_list(g, sources)
    snk = _node_list(g, sink)
    if not src:
        raise ValueError("no source nodes: pass sources or mark nodes with kind='port'")
    if not snk:
        raise ValueError("no sink node: pass sink or mark nodes with kind='city'")
    missing = [n for n in [*src, *snk] if n not in g]
    if missing:
        raise ValueError(f"nodes not in the graph: {', '.join(map(str, missing))}")
    if set(snk) & set(src):
        raise ValueError("a sink cannot also be a source")
    if {SOURCE, SINK} & set(g.nodes):
        raise ValueError(f"node names {SOURCE!r} and {SINK!r} are reserved")
    return src, snk


def edge_records(g: nx.Graph) -> list[tuple[Hashable, Hashable, Hashable, dict]]:
    """Every edge as ``(u, v, key, data)``; ``key`` is None in a graph without parallel edges."""
    if g.is_multigraph():
        return list(g.edges(keys=True, data=True))
    return [(u, v, None, d) for u, v, d in g.edges(data=True)]


def _label(g: nx.Graph, u: Hashable, v: Hashable, key: Hashable, data: Mapping) -> str:
    label = data.get("id")
    if label is not None:
        return str(label)
    base = f"{u}->{v}" if g.is_directed() else f"{u}-{v}"
    return base if key in (None, 0) else f"{base}#{key}"


def edge_label(g: nx.Graph, u: Hashable, v: Hashable, key: Hashable = None) -> str:
    """Segment label: the edge's ``id`` attribute, else ``u-v`` (``u->v`` when directed), with
    ``#key`` for the second and later parallel edges of a multigraph without ids."""
    if g.is_multigraph():
        if key is None:
            keys = list(g[u][v])
            if len(keys) != 1:
                raise ValueError(f"{len(keys)} parallel edges join {u} and {v}: give the key")
            key = keys[0]
        return _label(g, u, v, key, g.edges[u, v, key])
    return _label(g, u, v, None, g.edges[u, v])


@dataclass(frozen=True)
class ArcNetwork:
    """The directed arcs every planning model is written over.

    A *segment* (one label) is what the adversary cuts and the defender protects. An edge of an
    undirected graph is a two-way segment: two arcs. In a directed graph each edge is one arc;
    two opposite arcs sharing an ``id`` form one two-way segment (cut together, at one cost).
    Parallel edges (multigraphs) are separate segments. A super source ``SOURCE`` feeds every
    source and every sink drains into a super sink ``SINK`` over terminal arcs of unbounded
    capacity and zero length, which belong to no segment (``owner`` -1).

    A node with a capacity (e.g. a border post's clearance rate, a depot's unloading rate) is
    split in two halves joined by a *node arc* carrying that capacity: a segment labelled
    ``node:<id>`` (the adversary can close it; its length, loss and time are 0 unless the node
    gives them). ``place`` maps every node index back to the graph's node.
    """

    nodes: list[Hashable]
    index: dict[Hashable, int]
    tail: np.ndarray
    head: np.ndarray
    owner: np.ndarray
    arc_data: list[Mapping | None]
    labels: list[str]
    ends: list[tuple[Hashable, Hashable]]
    sign: np.ndarray
    sources: list[Hashable]
    sinks: list[Hashable]
    node_arc: np.ndarray
    place: list[Hashable]

    @property
    def n_arcs(self) -> int:
        return len(self.arc_data)

    def segment_arcs(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.labels]
        for a, e in enumerate(self.owner):
            if e >= 0:
                out[e].append(a)
        return out

    def arc_values(self, attr: str, default: float | None = None, terminal: float = 0.0):
        """One float per arc from its edge's attribute; ``terminal`` on the terminal arcs."""
        out = np.empty(self.n_arcs)
        for a, data in enumerate(self.arc_data):
            if data is None:
                value = terminal
            elif self.node_arc[a]:
                value = data.get(attr, 0.0 if default is None else default)
            else:
                value = data.get(attr, default)
            if value is None:
                raise ValueError(f"edge {self.labels[self.owner[a]]} has no attribute {attr!r}")
            out[a] = float(value)
        return out

    def segment_values(self, attr: str, default: float | None = None) -> np.ndarray:
        """One float per segment; the arcs of a two-way segment must agree."""
        arc_values = self.arc_values(attr, default)
        out = np.empty(len(self.labels))
        for e, members in enumerate(self.segment_arcs()):
            values = {float(arc_values[a]) for a in members}
            if len(values) != 1:
                raise ValueError(f"the arcs of segment {self.labels[e]} differ in {attr!r}")
            out[e] = values.pop()
        return out

    def route_nodes(self, arcs: list[int]) -> list[Hashable]:
        """The graph's nodes along consecutive arcs (node arcs add no step)."""
        steps = [a for a in arcs if not self.node_arc[a]]
        return [self.place[self.tail[a]] for a in steps] + [self.place[self.head[steps[-1]]]]

    def segment_flows(self, arc_flow: np.ndarray) -> dict[str, float]:
        """Flow on each segment: its arcs' flows, opposite directions netted out."""
        net = np.zeros(len(self.labels))
        for a, e in enumerate(self.owner):
            if e >= 0:
                net[e] += self.sign[a] * arc_flow[a]
        return {lab: float(abs(x)) for lab, x in zip(self.labels, net, strict=True)}


def arc_network(
    g: nx.Graph,
    sources: Iterable[Hashable] | None = None,
    sink: Hashable | Iterable[Hashable] | None = None,
    node_capacity: str = CAPACITY,
) -> ArcNetwork:
    """The arcs of ``g`` with the terminal arcs of its sources and sinks (see
    :class:`ArcNetwork`); nodes with the attribute ``node_capacity`` are split. Checks that
    segment labels are consistent."""
    src, snk = terminals(g, sources, sink)
    split = [n for n, d in g.nodes(data=True) if d.get(node_capacity) is not None]
    nodes = [*g.nodes, *[(OUT, n) for n in split], SOURCE, SINK]
    place = [*g.nodes, *split, SOURCE, SINK]
    index = {n: i for i, n in enumerate(nodes)}
    out_of = {n: (OUT, n) for n in split}  # arcs leave a split node from its second half
    tail, head, owner, sign, arc_data, node_arc = [], [], [], [], [], []
    seg: dict[str, int] = {}
    ends: list[tuple[Hashable, Hashable]] = []
    directions: list[set] = []

    def add(u, v, e, s, data, is_node=False):
        tail.append(index[out_of.get(u, u)])
        head.append(index[v])
        owner.append(e)
        sign.append(s)
        arc_data.append(data)
        node_arc.append(is_node)

    for u, v, key, data in edge_records(g):
        label = _label(g, u, v, key, data)
        if label not in seg:
            seg[label] = len(ends)
            ends.append((u, v))
            directions.append(set())
        e = seg[label]
        a, b = ends[e]
        if not g.is_directed() and directions[e]:
            raise ValueError(f"edge labels (the 'id' attribute) must be unique: {label}")
        if {u, v} != {a, b} or (u, v) in directions[e]:
            raise ValueError(
                f"edges sharing the label {label!r} must be the two directions of one road"
            )
        directions[e].add((u, v))
        add(u, v, e, 1.0 if (u, v) == (a, b) else -1.0, data)
        if not g.is_directed():
            directions[e].add((v, u))
            add(v, u, e, -1.0, data)
    for n in split:
        label = f"node:{n}"
        if label in seg:
            raise ValueError(f"the label {label!r} is reserved for the capacity of node {n}")
        seg[label] = len(ends)
        ends.append((n, n))
        tail.append(index[n])
        head.append(index[(OUT, n)])
        owner.append(seg[label])
        sign.append(1.0)
        arc_data.append(g.nodes[n])
        node_arc.append(True)
    for s in src:
        add(SOURCE, s, -1, 0.0, None)
    for t in snk:
        add(t, SINK, -1, 0.0, None)
    as_int = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    return ArcNetwork(
        nodes=nodes,
        index=index,
        tail=as_int(tail),
        head=as_int(head),
        owner=as_int(owner),
        arc_data=arc_data,
        labels=list(seg),
        ends=ends,
        sign=np.array(sign),
        sources=src,
        sinks=snk,
        node_arc=np.array(node_arc, dtype=bool),
        place=place,
    )


def nx_digraph(
    net: ArcNetwork,
    removed: Collection[str] = (),
    attrs: Mapping[str, np.ndarray] | None = None,
) -> nx.DiGraph:
    """A NetworkX digraph of the arcs (less the segments labelled in ``removed``) for its flow
    and path algorithms, which take at most one arc per ordered pair: a parallel arc goes
    through a node of its own, ``("__arc__", a)``. Each arc carries ``arc`` (its index) and
    the values in ``attrs`` (one per arc; an infinite value is left out, which NetworkX's flow
    algorithms read as unbounded); the second half of a split arc carries 0 for each of them,
    except ``capacity`` (unbounded)."""
    attrs = dict(attrs or {})
    gone = {e for e, lab in enumerate(net.labels) if lab in set(removed)}
    d = nx.DiGraph()
    d.add_nodes_from(net.nodes)
    for a in range(net.n_arcs):
        if net.owner[a] in gone:
            continue
        u, v = net.nodes[net.tail[a]], net.nodes[net.head[a]]
        values = {k: _plain(x[a]) for k, x in attrs.items() if math.isfinite(x[a])}
        if d.has_edge(u, v):
            mid = (ARC, a)
            d.add_edge(u, mid, arc=a, **values)
            d.add_edge(mid, v, arc=a, **{k: 0 for k in attrs if k != "capacity"})
        else:
            d.add_edge(u, v, arc=a, **values)
    return d


def _plain(value: object) -> object:
    """A Python number (NetworkX's integer algorithms must not overflow numpy's int64)."""
    return value.item() if isinstance(value, np.generic) else value


def arc_flows(net: ArcNetwork, d: nx.DiGraph, flow: Mapping) -> np.ndarray:
    """Per-arc flow from a NetworkX flow dict on :func:`nx_digraph`'s graph."""
    out = np.zeros(net.n_arcs)
    for u, nbrs in flow.items():
        for v, f in nbrs.items():
            if not (isinstance(u, tuple) and len(u) == 2 and u[0] == ARC):
                out[d.edges[u, v]["arc"]] += f
    return out


def path_arcs(d: nx.DiGraph, path: list) -> list[int]:
    """The arc indices along a node path of :func:`nx_digraph`'s graph."""
    out = []
    for u, v in zip(path, path[1:], strict=False):
        if not (isinstance(u, tuple) and len(u) == 2 and u[0] == ARC):
            out.append(d.edges[u, v]["arc"])
    return out


def edges_by_label(g: nx.Graph) -> dict[str, tuple[Hashable, Hashable]]:
    """Segment label -> its two end nodes (as first listed)."""
    out: dict[str, tuple[Hashable, Hashable]] = {}
    for u, v, key, data in edge_records(g):
        out.setdefault(_label(g, u, v, key, data), (u, v))
    return out
