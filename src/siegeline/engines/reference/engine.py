"""One replication of the model as a SimPy simulation, and the engine's entry point."""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Generator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import simpy

from siegeline.engines.reference.adversary import Adversary
from siegeline.engines.reference.city import City
from siegeline.engines.reference.clock import Clock
from siegeline.engines.reference.escorts import EscortPool
from siegeline.engines.reference.fleet import Group, Tanker
from siegeline.engines.reference.ports import Port
from siegeline.engines.reference.routes import Leg, build_routes
from siegeline.engines.reference.traces import ReferenceTraces, active_traces
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import ModelParameters

ProgressCallback = Callable[[int, int], None]


def replication_streams(seed: int, r: int) -> list[np.random.Generator]:
    """Independent streams of replication ``r`` for: ports (drivers' decisions), road (attack
    thresholds and checkpoints), the adversary's strikes, stations."""
    children = np.random.SeedSequence([seed, 3, r]).spawn(4)
    return [np.random.Generator(np.random.PCG64(s)) for s in children]


class ReferenceModel:
    """Replication ``r`` of ``params``; writes its daily outputs into ``out[name]`` (day, ...)."""

    def __init__(self, params: ModelParameters, r: int, out: dict[str, np.ndarray],
                 traces: ReferenceTraces | None = None) -> None:
        self.params = params
        self.r = r
        self.days = params.days
        self.out = out  # this replication's rows: name -> (day, ...)
        self.trace_sink = traces
        values = params.replication(r)
        # replication() slices any array whose first axis has R entries; these are per corridor
        # (and would be mis-sliced whenever R equals the number of corridors).
        values.update(convoy=params.convoy, wait_for_escorts=params.wait_for_escorts)
        self.port_rng, self.road_rng, attack_rng, station_rng = replication_streams(params.seed, r)
        self.env = simpy.Environment()
        self.clock = Clock(self.env)
        self.products = params.products
        self.litres = [float(x) for x in params.tanker_litres]
        self.routes = build_routes(params, r)
        self.adversary = Adversary(self, values, attack_rng)
        self.escorts = EscortPool(self.env, int(values["escort_pool"]))
        self.city = City(self, params, values, station_rng)
        self.ports = [Port(self, c, route, values) for c, route in enumerate(self.routes)]
        C = len(self.ports)
        self.traffic = np.zeros(C, dtype=np.int64)  # tankers out of the yard, not yet back
        self.escorts_out = np.zeros(C, dtype=np.int64)
        self.loaded_on_road = np.zeros(len(self.products), dtype=np.int64)
        self.recruitment = float(values["recruitment_per_day"])
        self.target_cover = float(values["order_target_cover_days"])
        self.groups = 0
        self.on_road: set[Group] = set()  # groups whose trip has not ended
        fleet = values["fleet"]
        riding = self.warm_start(values)
        for port in self.ports:
            for p in range(len(self.products)):
                for _ in range(int(fleet[port.index][p]) - riding[port.index][p]):
                    Tanker(self, port, p).start()
        self.horizon = self.env.process(self.run_days())

    # -- set-up ----------------------------------------------------------------------------------
    def warm_start(self, values: dict[str, Any]) -> list[list[int]]:
        """Pre-blockade traffic on the road at time 0: each corridor carries its order share of
        normal demand, one group per past day of the round trip (fleet and drivers allowing).
        Returns the tankers placed, by corridor and product."""
        m = self.params
        normal = self.city.normal
        placed = []
        for port in self.ports:
            c = port.index
            idle = np.asarray(values["fleet"][c], dtype=float)
            usable = np.minimum(idle, np.floor(port.drivers.level * idle / max(idle.sum(), 1)))
            trip = 2 * port.gate_days - 1
            daily = np.floor(normal * m.order_share[c] * (1.0 - port.ban_refusal[0])
                             / m.tanker_litres)
            daily = np.minimum(daily, np.floor(usable / max(trip, 1))).astype(int)
            for age in range(1, trip + 1):
                tankers = [Tanker(self, port, p) for p in range(len(daily))
                           for _ in range(daily[p])]
                if not tankers:
                    continue
                loaded = age <= port.gate_days  # unloads this morning at the latest
                for tk in tankers:
                    tk.loaded = loaded
                self.departed(port, tankers, 0, 0, record=False)
                if loaded:
                    for tk in tankers:
                        self.out["loaded_litres"][0, tk.product] += self.litres[tk.product]
                groups = [Group(self, port, tankers, 0, -age)] if port.convoy else [
                    Group(self, port, [tk], 0, -age) for tk in tankers]
                for group in groups:
                    group.start()
                for tk in tankers:
                    tk.start(riding=True)
            port.drivers.get(int(daily.sum() * trip)) if daily.sum() else None
            placed.append([int(n) * trip for n in daily])
        return placed

    # -- the day -----------------------------------------------------------------------------
    def run_days(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for day in range(self.days):
            self.clock.open(day)
            yield env.timeout(0)  # returns and unloading at the gates come before orders
            self.dispatch(day)
            yield env.timeout(1)  # the day: travel, attacks, checkpoints
            yield env.timeout(0)  # anything else due at midnight
            self.evening(day)

    def dispatch(self, day: int) -> None:
        m = self.params
        normal = self.city.normal
        in_transit = self.loaded_on_road * m.tanker_litres
        order = np.maximum(0.0, self.target_cover * normal - self.city.stock() - in_transit)
        tankers = np.ceil(order / m.tanker_litres)
        for port in self.ports:  # corridors in scenario order: the first ask escorts first
            port.dispatch(day, np.ceil(tankers * m.order_share[port.index]))

    def evening(self, day: int) -> None:
        for port in self.ports:
            port.end_of_day()
        self.adversary.adapt(self.traffic.astype(float), self.escorts_out.astype(float))
        # Recruitment at a steady rate: whole drivers as the daily fractions add up.
        recruits = math.floor((day + 1) * self.recruitment) - math.floor(day * self.recruitment)
        for port in self.ports:
            if recruits:
                port.drivers.put(recruits)
        self.city.evening(day, self.out)
        out = self.out
        out["stock_litres"][day] = self.city.stock()
        out["in_transit_litres"][day] = self.loaded_on_road * self.params.tanker_litres
        out["tankers_in_transit"][day] = self.traffic.sum()
        out["escorts_busy"][day] = self.escorts.busy

    def run(self) -> None:
        self.env.run(until=self.horizon)
        for group in list(self.on_road):  # trips still under way at the horizon
            self.trace_convoy(group)

    # -- bookkeeping called by the processes ------------------------------------------------------
    def today(self) -> int | None:
        day = math.floor(self.env.now + 1e-12)
        return day if 0 <= day < self.days else None

    def new_group(self, group: Group) -> int:
        self.groups += 1
        self.on_road.add(group)
        return self.groups

    def departed(self, port: Port, tankers: list[Tanker], escorts: int, day: int,
                 record: bool = True) -> None:
        self.traffic[port.index] += len(tankers)
        self.escorts_out[port.index] += escorts
        for tk in tankers:
            if tk.loaded:
                self.loaded_on_road[tk.product] += 1
                if record:
                    self.out["loaded_litres"][day, tk.product] += self.litres[tk.product]
        if record:
            self.out["tankers_dispatched"][day, port.index] = len(tankers)

    def unloaded(self, tanker: Tanker, corridor: int) -> None:
        self.loaded_on_road[tanker.product] -= 1
        day = self.today()
        if day is not None:
            litres = self.litres[tanker.product]
            self.out["delivered_litres"][day, tanker.product] += litres
            self.out["delivered_by_corridor_litres"][day, corridor] += litres

    def destroyed(self, tanker: Tanker, loaded: bool) -> None:
        self.traffic[tanker.port.index] -= 1
        if loaded:
            self.loaded_on_road[tanker.product] -= 1
            day = self.today()
            if day is not None:
                self.out["destroyed_litres"][day, tanker.product] += self.litres[tanker.product]

    def turned_back(self, tanker: Tanker) -> None:
        tanker.loaded = False  # the load goes back to the port, not to the city
        self.traffic[tanker.port.index] -= 1
        self.loaded_on_road[tanker.product] -= 1
        day = self.today()
        if day is not None:
            self.out["returned_litres"][day, tanker.product] += self.litres[tanker.product]

    def record_attack(self, group: Group, destroyed: int, kidnapped: int) -> None:
        group.trace["attacks"] += 1
        group.port.losses_today += destroyed + kidnapped
        day = self.today()
        if day is not None:
            self.out["attacks"][day, group.corridor] += 1
            self.out["tankers_lost"][day, group.corridor] += destroyed
            self.out["drivers_kidnapped"][day] += kidnapped

    def traces_attack(self, *, group: Group, leg: Leg, loaded: bool, size: int, destroyed: int,
                      kidnapped: int, litres: float) -> None:
        if self.trace_sink is None:
            return
        self.trace_sink.attack_rows.append({
            "replication": self.r, "day": math.floor(self.env.now), "time": self.env.now,
            "corridor": group.port.name, "segment": leg.segment, "loaded": loaded,
            "convoy": group.id, "group_size": size, "escorts": group.escorts,
            "tankers_destroyed": destroyed, "drivers_kidnapped": kidnapped,
            "litres_destroyed": litres})

    def trace_convoy(self, group: Group) -> None:
        self.on_road.discard(group)
        if self.trace_sink is not None:
            self.trace_sink.convoy_rows.append({"replication": self.r, **group.trace})


def _run_replications(params: ModelParameters, reps: list[int], with_traces: bool
                      ) -> tuple[list[int], dict[str, np.ndarray], ReferenceTraces | None]:
    """Replications ``reps`` (a worker's share); outputs have one row per replication run."""
    out = allocate_outputs(len(reps), params.days, {"product": len(params.products),
                                                    "corridor": len(params.corridors),
                                                    "sector": len(params.sectors)})
    traces = ReferenceTraces() if with_traces else None
    for i, r in enumerate(reps):
        ReferenceModel(params, r, {name: array[i] for name, array in out.items()}, traces).run()
    return reps, out, traces


def simulate_reference(
    params: ModelParameters,
    progress: ProgressCallback | None = None,
    traces: ReferenceTraces | None = None,
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """Run every replication at event level; returns the same arrays as the vectorized engine.

    Replication ``r`` draws from ``SeedSequence([seed, 3, r])``, so results do not depend on
    ``workers`` (processes sharing the replications). ``traces`` (or an enclosing
    :func:`record_traces` block) collects per-convoy and per-attack records.
    ``progress(done, total)`` reports days of the horizon, pro rata over replications.
    """
    R, T = params.replications, params.days
    out = allocate_outputs(R, T, {"product": len(params.products),
                                  "corridor": len(params.corridors),
                                  "sector": len(params.sectors)})
    sink = traces if traces is not None else active_traces()
    chunks = [list(c) for c in np.array_split(np.arange(R), min(R, max(1, workers) * 4)) if len(c)]
    done = 0

    def collect(reps: list[int], part: dict[str, np.ndarray], part_traces: ReferenceTraces | None
                ) -> None:
        nonlocal done
        for name, array in part.items():
            out[name][reps] = array
        if sink is not None and part_traces is not None:
            sink.convoy_rows.extend(part_traces.convoy_rows)
            sink.attack_rows.extend(part_traces.attack_rows)
        done += len(reps)
        if progress is not None:
            progress(round(done * T / R), T)

    if workers <= 1:
        for reps in chunks:
            collect(*_run_replications(params, [int(r) for r in reps], sink is not None))
        return out
    # Fresh interpreters, not fork: forking a process that has loaded a multithreaded library
    # (JAX, BLAS pools) can deadlock the children.
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("forkserver")) as pool:
        futures = [pool.submit(_run_replications, params, [int(r) for r in reps],
                               sink is not None) for reps in chunks]
        for future in as_completed(futures):
            collect(*future.result())
    return out
