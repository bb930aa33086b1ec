"""Planning against an adversary: interdiction, escort placement and risk-aware routing.

NetworkX style: functions over a graph, with the attribute names as arguments. Every solver
returns an immutable :class:`PlanResult` carrying HiGHS' status, objective, bound and gap and an
independent :class:`Check` (NetworkX re-solve; brute force on small networks).
"""

from siegeline.planning.escorts import enumerate_escort_placement, escort_placement
from siegeline.planning.graphs import (
    daily_tanker_demand,
    network_planning_graph,
    planning_graph,
    road_like_graph,
    scenario_network,
)
from siegeline.planning.maxflow import (
    brute_force_max_flow_interdiction,
    interdiction_curve,
    max_flow_after,
    max_flow_interdiction,
)
from siegeline.planning.results import Check, LossCurve, PlanResult
from siegeline.planning.routing import risk_aware_routing
from siegeline.planning.shortest_path import (
    best_route,
    brute_force_shortest_path_interdiction,
    shortest_path_interdiction,
)
from siegeline.planning.stochastic import saa_interdiction, stochastic_interdiction

__all__ = [
    "Check",
    "LossCurve",
    "PlanResult",
    "best_route",
    "brute_force_max_flow_interdiction",
    "brute_force_shortest_path_interdiction",
    "daily_tanker_demand",
    "enumerate_escort_placement",
    "escort_placement",
    "interdiction_curve",
    "max_flow_after",
    "max_flow_interdiction",
    "network_planning_graph",
    "planning_graph",
    "risk_aware_routing",
    "saa_interdiction",
    "road_like_graph",
    "scenario_network",
    "shortest_path_interdiction",
    "stochastic_interdiction",
]
