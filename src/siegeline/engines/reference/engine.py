"""One replication of the model as a SimPy simulation, and the engine's entry point.

A day runs the model's processes under the vectorized engine's names (docs/model.md section 1.3),
as methods of :class:`ReferenceModel`: at the start of the morning ``returns`` (the escort pool's
change; tankers, drivers and escort units due back pass the port gate when it opens) and
``campaign`` (today's attack intensity); the gates open; ``arrivals`` (loads reaching the city's
gate this morning are unloaded into the depots); ``orders_and_dispatch``; then the day passes in
continuous time, and ``attacks`` and ``checkpoints`` happen inside the groups' drive processes
(``Group.attacks``, ``Group.checkpoints`` in fleet.py); at midnight ``adversary_adaptation``,
``recruitment`` and ``city_day`` (``City.city_day``). The campaign comes before the gates rather
than after the dispatch because the road reads its intensity from the first moment of the day;
it draws from its own stream and depends on nothing else of the day, so the place changes no
result.
"""

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
from siegeline.engines.reference.routes import Leg, phase_routes
from siegeline.engines.reference.traces import ReferenceTraces, active_traces
from siegeline.model.outputs import allocate_outputs
from siegeline.model.parameters import ModelParameters

ProgressCallback = Callable[[int, int], None]


def replication_streams(seed: int, r: int) -> list[np.random.Generator]:
    """Independent streams of replication ``r`` for: ports (drivers' decisions), road (attack
    thresholds and checkpoints), the adversary's strikes, stations, the campaign's regimes."""
    children = np.random.SeedSequence([seed, 3, r]).spawn(5)
    return [np.random.Generator(np.random.PCG64(s)) for s in children]


class ReferenceModel:
    """Replication ``r`` of ``params``; writes its daily outputs into ``out[name]`` (day, ...).

    ``p`` holds the plain values of the timeline phase in force today (``phase_values[k]``, one
    dict per phase, built once), ``routes`` and ``hazard`` (hazard per km by segment) its road."""

    def __init__(self, params: ModelParameters, r: int, out: dict[str, np.ndarray],
                 traces: ReferenceTraces | None = None) -> None:
        self.params = params
        self.r = r
        self.days = params.days
        self.out = out  # this replication's rows: name -> (day, ...)
        self.trace_sink = traces
        self.phase_values = [phase.replication(r) for phase in params.phases]
        self.phase_routes = phase_routes(params, r)
        self.enter_phase(0)
        (self.port_rng, self.road_rng, attack_rng, station_rng,
         campaign_rng) = replication_streams(params.seed, r)
        self.env = simpy.Environment()
        self.clock = Clock(self.env)
        self.products = params.products
        self.litres = [float(x) for x in params.tanker_litres]
        self.adversary = Adversary(self, attack_rng, campaign_rng)
        self.escorts = EscortPool(self.env, int(self.p["escort_pool"]))
        self.city = City(self, station_rng)
        self.ports = [Port(self, c, route, self.p) for c, route in enumerate(self.routes)]
        C = len(self.ports)
        self.traffic = np.zeros(C, dtype=np.int64)  # tankers out of the yard, not yet back
        self.escorts_out = np.zeros(C, dtype=np.int64)
        self.loaded_on_road = np.zeros(len(self.products), dtype=np.int64)
        self.groups = 0
        self.on_road: set[Group] = set()  # groups whose trip has not ended
        fleet = self.p["fleet"]
        riding = (self.warm_start() if params.initial_state == "pre_blockade"
                  else np.zeros(fleet.shape, dtype=np.int64))
        for port in self.ports:
            for p in range(len(self.products)):
                for _ in range(int(fleet[port.index][p]) - riding[port.index][p]):
                    Tanker(self, port, p).start()
        self.horizon = self.env.process(self.run_days())

    def enter_phase(self, day: int) -> None:
        """Today's parameters: those of the timeline phase ``day`` is in."""
        k = int(self.params.phase_of_day[day])
        self.p = self.phase_values[k]
        self.routes = self.phase_routes[k]
        self.hazard = {stage.segment: stage.hazard_per_km for route in self.routes
                       for stage in route.stages if isinstance(stage, Leg)}

    # -- set-up ----------------------------------------------------------------------------------
    def warm_start(self) -> np.ndarray:
        """Pre-blockade traffic on the road at time 0: each corridor carries its order share of
        normal demand, one group per past day of the round trip (fleet and drivers allowing).
        Returns the tankers placed (C, P)."""
        m, p = self.params, self.p
        normal = p["base_demand"].sum(axis=0)
        placed = np.zeros(p["fleet"].shape, dtype=np.int64)
        for port in self.ports:
            c = port.index
            idle = np.asarray(p["fleet"][c], dtype=float)
            usable = np.minimum(idle, np.floor(port.drivers.level * idle / max(idle.sum(), 1)))
            trip = 2 * port.gate_days - 1
            refusal = p["ban_refusal"][c, 0] * p["regime_ban_enforcement"][m.initial_regime]
            daily = np.floor(normal * p["order_share"][c] * (1.0 - refusal) / m.tanker_litres)
            daily = np.minimum(daily, np.floor(usable / max(trip, 1))).astype(np.int64)
            for age in range(1, trip + 1):
                tankers = [Tanker(self, port, q) for q in range(len(daily))
                           for _ in range(daily[q])]
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
            placed[c] = daily * trip
            if placed[c].sum():
                port.drivers.get(int(placed[c].sum()))
        return placed

    # -- the day -----------------------------------------------------------------------------
    def run_days(self) -> Generator[simpy.Event, Any, None]:
        """Process: runs each day's processes in the model's order, waiting for the morning
        gates' returns and arrivals before orders, and for the day's travel before midnight's
        city day; records the end-of-day levels."""
        env = self.env
        for day in range(self.days):
            self.enter_phase(day)
            self.returns(day)
            self.campaign(day)
            self.clock.open(day)
            yield env.timeout(0)  # tankers, escorts and loads pass the morning gates
            self.arrivals(day)
            self.orders_and_dispatch(day)
            yield env.timeout(1)  # the day: travel, attacks, checkpoints
            yield env.timeout(0)  # anything else due at midnight
            self.adversary_adaptation(day)
            self.recruitment(day)
            self.city.city_day(day, self.out)
            self.observe(day)

    def returns(self, day: int) -> None:
        """The escort pool takes today's size; tankers, drivers and escort units due back pass
        the port gate when it opens this morning (``Port.returns``, ``Group.journey``)."""
        self.escorts.resize(int(self.p["escort_pool"]))

    def campaign(self, day: int) -> None:
        """Today's campaign regime and attack intensity, set before the gates open: the road
        reads it from the first moment of the day, and it depends on nothing else of the day."""
        self.adversary.campaign(day)

    def arrivals(self, day: int) -> None:
        """Loads handed to the city's gate this morning are unloaded as far as the unloading
        capacity and the depots allow."""
        self.city.arrivals(day, self.out)

    def orders_and_dispatch(self, day: int) -> None:
        """Importers order up to the target cover plus the lead-time demand, counting depot
        stock, fuel on the road and at the gate; each corridor, in scenario order (the first
        ask for escorts first), sends its share."""
        m, p = self.params, self.p
        litres = m.tanker_litres
        normal = p["base_demand"].sum(axis=0)
        position = self.city.stock() + (self.loaded_on_road + self.city.gate) * litres
        target = (p["order_target_cover_days"] + p["lead_time_days"]) * normal
        tankers = np.ceil(np.maximum(0.0, target - position) / litres)
        for port in self.ports:
            port.dispatch(day, np.ceil(tankers * p["order_share"][port.index]))

    def adversary_adaptation(self, day: int) -> None:
        """Drivers' fear takes in the day's losses (recorded by ``attacks``) and the adversary
        shifts effort towards busy, weakly escorted corridors."""
        for port in self.ports:
            port.remember_losses()
        self.adversary.adversary_adaptation(self.traffic.astype(float),
                                            self.escorts_out.astype(float))

    def recruitment(self, day: int) -> None:
        """New drivers join each corridor at a steady rate: whole drivers as the daily
        fractions add up."""
        rate = float(self.p["recruitment_per_day"])
        recruits = math.floor((day + 1) * rate) - math.floor(day * rate)
        if recruits:
            for port in self.ports:
                port.drivers.put(recruits)

    def observe(self, day: int) -> None:
        """End-of-day levels: depots, gate, fuel and tankers on the road, escort units."""
        out, litres = self.out, self.params.tanker_litres
        out["stock_litres"][day] = self.city.stock()
        out["gate_litres"][day] = self.city.gate * litres
        out["in_transit_litres"][day] = self.loaded_on_road * litres
        out["tankers_in_transit"][day] = self.traffic.sum()
        out["escorts_busy"][day] = self.escorts.busy
        out["escort_pool"][day] = self.escorts.size

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

    def reached_gate(self, tanker: Tanker, corridor: int) -> None:
        self.loaded_on_road[tanker.product] -= 1
        day = self.today()
        if day is not None:
            self.out["delivered_by_corridor_litres"][day, corridor] += self.litres[tanker.product]

    def convoy_arrived(self, corridor: int) -> None:
        day = self.today()
        if day is not None:
            self.out["convoys_arrived"][day, corridor] += 1

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
