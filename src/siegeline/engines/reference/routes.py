"""Corridor itineraries of one replication: the nodes and road segments a tanker passes, in order.

The reference engine moves tankers along these in continuous time, so it needs what the compiled
day tables of the vectorized engine summarise: each segment's length, speed and hazard, each
node's customs delay and checkpoint. Values come from the same per-replication samples; a timeline
phase that changes hazards or customs delays has its own routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from siegeline.model.parameters import ModelParameters
from siegeline.scenario.loader import resolve_path


@dataclass(frozen=True)
class Stop:
    """A node passed on the way: customs wait, then a checkpoint that may turn tankers back."""

    node: str
    delay_days: float
    turnback_probability: float

    @property
    def duration(self) -> float:
        return self.delay_days


@dataclass(frozen=True)
class Leg:
    """A road segment crossed at constant speed."""

    segment: str
    km: float
    speed_km_per_day: float
    hazard_per_km: float  # attack hazard per vehicle-km at adversary intensity 1

    @property
    def duration(self) -> float:
        return self.km / self.speed_km_per_day


@dataclass(frozen=True)
class Route:
    """The loaded trip from a corridor's port to the city."""

    corridor: str
    stages: tuple[Stop | Leg, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.stages)

    @property
    def hazard_km(self) -> float:
        """Sum of hazard x km over the route (the adversary's weight for the corridor)."""
        return sum(s.hazard_per_km * s.km for s in self.stages if isinstance(s, Leg))

    def homeward(self) -> tuple[Stop | Leg, ...]:
        """The empty return retraces the road, customs included; checkpoints only stop loads."""
        return tuple(
            Stop(s.node, s.delay_days, 0.0) if isinstance(s, Stop) else s
            for s in reversed(self.stages)
        )


def replication_value(params: ModelParameters, path: str, r: int) -> float:
    """A scenario number as replication ``r`` sampled it (or the fixed value)."""
    if path in params.sampled:
        return float(params.sampled[path][r])
    return float(resolve_path(params.scenario, path))


def build_routes(params: ModelParameters, r: int) -> list[Route]:
    """One route per corridor, in the order of ``params.corridors``."""
    sc = params.scenario
    routes = []
    for name in params.corridors:
        path = sc.corridor(name).path
        stages: list[Stop | Leg] = []
        for i, (u, v) in enumerate(zip(path, path[1:], strict=False)):
            if i > 0 or sc.node(u).kind != "port":
                delay = replication_value(params, f"nodes.{u}.customs_delay_days", r)
                turnback = replication_value(
                    params, f"nodes.{u}.checkpoint_turnback_probability", r)
                if delay > 0 or turnback > 0:
                    stages.append(Stop(u, delay, turnback))
            seg = sc.segment_between(u, v)
            hazard = replication_value(params, f"segments.{seg.id}.hazard_per_100km", r)
            stages.append(Leg(seg.id, seg.length_km, seg.speed_km_per_day, hazard / 100.0))
        routes.append(Route(name, tuple(stages)))
    return routes


def phase_routes(params: ModelParameters, r: int) -> list[list[Route]]:
    """The routes of each phase of ``params`` (a phase that leaves the road as it was shares the
    previous phase's routes: its parameters hold no samples of the road's numbers)."""
    routes: list[list[Route]] = []
    for k, phase in enumerate(params.phases):
        if k and phase.exposure_loaded is params.phases[k - 1].exposure_loaded:
            routes.append(routes[-1])
        else:
            routes.append(build_routes(phase, r))
    return routes
