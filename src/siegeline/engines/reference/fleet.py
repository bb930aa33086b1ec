"""Tankers and the groups they travel in (a convoy, or a single free-running tanker).

A tanker is a process that waits in its corridor's yard, rides with a group, and ends when burned.
A group is a process that drives the corridor's route in continuous time: customs waits and
checkpoints at nodes (``Group.checkpoints``), segments crossed at their speed while the adversary
may strike (``Group.attacks``), the city's gate, the empty return, and the port gate. The city's
gate and the ports take arrivals in at the next morning, the daily rhythm in which the model's
decisions are made: the loads join the gate queue that morning (``ReferenceModel.arrivals`` then
unloads them into the depots) and the tankers, drivers and escorts rejoin the port's pools
(``returns``).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import simpy

from siegeline.engines.reference.routes import Leg, Stop

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel
    from siegeline.engines.reference.ports import Port

HOME, DESTROYED, TURNED_BACK = "home", "destroyed", "turned back"
Process = Generator[simpy.Event, Any, None]


class Tanker:
    """One tanker with its driver, its product and whether it carries a load."""

    def __init__(self, model: ReferenceModel, port: Port, product: int) -> None:
        self.model = model
        self.port = port
        self.product = product
        self.loaded = False
        self.dispatched: simpy.Event | None = None
        self.fate: simpy.Event | None = None

    def start(self, riding: bool = False) -> None:
        self.model.env.process(self.life(riding))

    def life(self, riding: bool) -> Process:
        """Process: waits in the yard for a group, rides until its fate (home, burned, turned
        back), then waits for the port's morning gate to return (``Port.returns``)."""
        env, clock = self.model.env, self.model.clock
        while True:
            if not riding:
                self.dispatched = env.event()
                yield self.port.yard[self.product].put(self)
                yield self.dispatched  # a group has taken it
            riding = False
            outcome, elapsed = yield self.fate
            if outcome == DESTROYED:
                return
            if outcome == TURNED_BACK:
                yield env.timeout(elapsed)  # back the way it came, still loaded
            yield from clock.wait_until(clock.gate_day(env.now))
            self.port.returns(self, on_road=outcome == HOME)


class Group:
    """Tankers leaving a port together, with their escorts, on one round trip."""

    def __init__(self, model: ReferenceModel, port: Port, tankers: Iterable[Tanker],
                 escorts: int, departure: float) -> None:
        self.model = model
        self.port = port
        self.corridor = port.index
        self.tankers = list(tankers)
        self.escorts = escorts
        self.departure = departure
        self.route = model.routes[self.corridor]  # the road as it is on the day it leaves
        self.id = model.new_group(self)
        for tanker in self.tankers:
            tanker.fate = model.env.event()
        counts = [0] * len(model.litres)
        for tanker in self.tankers:
            counts[tanker.product] += 1
        self.trace: dict[str, Any] = {
            "convoy": self.id, "corridor": port.name, "mode": port.mode,
            "warm_start": departure < 0, "departure_day": int(math.floor(departure)),
            "tankers": len(self.tankers), "escorts": escorts, "arrival_time": math.nan,
            "unload_day": -1, "home_day": -1, "destroyed": 0, "turned_back": 0,
            "drivers_kidnapped": 0, "attacks": 0,
            **{f"tankers_{p}": n for p, n in zip(model.products, counts, strict=True)},
        }

    @property
    def size(self) -> int:
        return len(self.tankers)

    def start(self) -> None:
        self.model.env.process(self.journey())

    def journey(self) -> Process:
        """Process: drives to the city, waits for the morning gate and hands over its loads
        (``City.reach_gate``), drives back and at the port's morning gate returns its escorts;
        records the trip's trace row."""
        env, clock, route = self.model.env, self.model.clock, self.route
        total, gate = route.duration, self.port.gate_days
        unload_day = self.departure + gate
        if env.now < self.departure + total:
            yield from self.drive(route.stages, env.now - self.departure, loaded=True)
            self.trace["arrival_time"] = env.now
        if not self.size and not self.escorts:  # burned or turned back to the last tanker
            self.model.trace_convoy(self)
            return
        if unload_day >= env.now:
            yield from clock.wait_until(unload_day)  # the city's gate opens in the morning
            self.model.city.reach_gate(self)
            self.trace["unload_day"] = clock.day
        if self.size or self.escorts:
            if env.now < unload_day + total:
                yield from self.drive(route.homeward(), env.now - unload_day, loaded=False)
            for tanker in self.tankers:
                tanker.fate.succeed((HOME, 0.0))
            yield from clock.wait_until(unload_day + gate)
            self.port.release_escorts(self.escorts)
        self.trace["home_day"] = clock.day
        self.model.trace_convoy(self)

    def drive(self, stages: tuple[Stop | Leg, ...], elapsed: float, loaded: bool) -> Process:
        """Follow ``stages`` from ``elapsed`` days into them (warm-started groups are mid-way)."""
        env = self.model.env
        for stage in stages:
            duration = stage.duration
            if elapsed > 0 and elapsed >= duration:
                elapsed -= duration
                continue
            left, elapsed = duration - elapsed, 0.0
            if isinstance(stage, Stop):
                yield env.timeout(left)
                if loaded and stage.turnback_probability > 0:
                    self.checkpoints(stage)
            else:
                yield from self.attacks(stage, left, loaded)
            if not self.size and not self.escorts:
                return

    def attacks(self, leg: Leg, duration: float, loaded: bool) -> Process:
        """Drive ``duration`` days along ``leg`` exposed to attack. The adversary's rate is fixed
        within a day, so the crossing is cut at midnights and the threshold is consumed piece by
        piece; each piece waits for its day's morning, when that day's intensity, hazards and the
        adversary's adaptation are set."""
        env, adversary, clock = self.model.env, self.model.adversary, self.model.clock
        if not adversary.may_strike(leg):
            yield env.timeout(duration)
            return
        threshold = self.model.road_rng.exponential()
        while duration > 1e-12:
            day = math.floor(env.now + 1e-12)
            yield from clock.wait_until(day)  # same time, after the morning's settings
            piece = min(duration, day + 1 - env.now)
            hazard = adversary.rate(self, leg, loaded) * piece
            if hazard <= threshold:
                threshold -= hazard
                yield env.timeout(piece)
                duration -= piece
                continue
            strike = piece * threshold / hazard
            yield env.timeout(strike)
            adversary.strike(self, leg, loaded)
            yield env.timeout(duration - strike)  # at most one attack per crossing
            return

    def checkpoints(self, stop: Stop) -> None:
        """Each loaded tanker is turned back with the checkpoint's probability; it drives back to
        the port with its load."""
        rng = self.model.road_rng
        for tanker in list(self.tankers):
            if tanker.loaded and rng.random() < stop.turnback_probability:
                self.tankers.remove(tanker)
                self.trace["turned_back"] += 1
                self.model.turned_back(tanker)
                tanker.fate.succeed((TURNED_BACK, self.model.env.now - self.departure))

    def lose(self, tanker: Tanker, loaded: bool, driver_taken: bool) -> None:
        """``tanker`` burned in an attack; its crew is taken or walks back to the port."""
        self.tankers.remove(tanker)
        self.trace["destroyed"] += 1
        self.trace["drivers_kidnapped"] += driver_taken
        self.model.destroyed(tanker, loaded)
        if not driver_taken:
            self.port.drivers.put(1)
        tanker.fate.succeed((DESTROYED, 0.0))
