"""A corridor's port side: the yard where tankers wait, the drivers, and the daily dispatch.

Each morning importers order what keeps the city's target cover in depots and on the road; the
port loads up to its daily capacity (a convoy corridor accumulates loads between departures);
each candidate tanker's driver decides whether to go (fear of recent losses, reassurance from
escorts, a declared ban); a convoy takes at most its size and needs its escorts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from siegeline.engines.reference.fleet import Group, Tanker
from siegeline.engines.reference.routes import Route

if TYPE_CHECKING:
    from siegeline.engines.reference.engine import ReferenceModel


class Port:
    """Departure yard of one corridor (corridors sharing a port split its loading capacity)."""

    def __init__(self, model: ReferenceModel, index: int, route: Route,
                 values: dict[str, Any]) -> None:
        env = model.env
        self.model = model
        self.index = index
        self.name = route.corridor
        self.route = route
        # Depot and port gates open at whole days: a trip takes whole days, gate to gate.
        self.gate_days = max(1, math.ceil(route.duration - 1e-9))
        self.yard = [simpy.FilterStore(env) for _ in model.products]
        self.drivers = simpy.Container(env, capacity=float("inf"),
                                       init=int(values["drivers"][index]))
        self.convoy = bool(values["convoy"][index])
        self.mode = "convoy" if self.convoy else "free"
        self.interval = int(values["convoy_interval"][index])
        self.max_size = int(values["convoy_max_size"][index])
        self.escorts_needed = int(values["escorts_per_convoy"][index]) if self.convoy else 0
        self.wait_for_escorts = bool(values["wait_for_escorts"][index])
        self.loading_capacity = np.asarray(values["port_capacity"][index], dtype=float)
        self.ban_refusal = np.asarray(values["ban_refusal"][index], dtype=float)
        self.willingness_max = float(values["willingness_max"])
        self.fear_sensitivity = float(values["fear_sensitivity"])
        self.fear_decay = float(values["fear_decay"])
        self.reassurance = float(values["escort_reassurance"])
        self.fear = 0.0
        self.losses_today = 0  # tankers burned and drivers taken today (feeds the fear index)
        self.days_loading = 1.0  # days of port capacity accumulated since the last departure
        self.pending = False  # a convoy held back for escorts leaves as soon as it can

    def park(self, tanker: Tanker) -> None:
        self.yard[tanker.product].put(tanker)

    def welcome(self, tanker: Tanker, on_road: bool) -> None:
        """A tanker back through the port gate: its driver rejoins the pool."""
        self.drivers.put(1)
        if on_road:
            self.model.traffic[self.index] -= 1

    def release_escorts(self, units: int) -> None:
        self.model.escorts.release(units)
        self.model.escorts_out[self.index] -= units

    def end_of_day(self) -> None:
        self.fear = self.fear * self.fear_decay + self.losses_today
        self.losses_today = 0

    def willingness(self, day: int) -> float:
        planned = self.escorts_needed
        return (self.willingness_max
                * math.exp(-self.fear_sensitivity * self.fear / (1.0 + self.reassurance * planned))
                * (1.0 - self.ban_refusal[day]))

    def dispatch(self, day: int, wanted: np.ndarray) -> None:
        """This morning's departures, given the tankers importers want from this corridor."""
        model = self.model
        rng = model.port_rng
        departing = not self.convoy or day % self.interval == 0 or self.pending
        willing: list[list[Tanker]] = [[] for _ in self.yard]
        if departing:
            loading = np.floor(self.loading_capacity * self.days_loading)
            accept = self.willingness(day)
            for p, yard in enumerate(self.yard):
                candidates = int(min(wanted[p], len(yard.items), loading[p]))
                willing[p] = [tk for tk in yard.items[:candidates] if rng.random() < accept]
        total = sum(len(w) for w in willing)
        limit = int(self.drivers.level)
        if self.convoy:
            limit = min(limit, self.max_size)
        if total > limit:  # places shared out by product, in proportion
            willing = [w[: math.floor(len(w) * limit / total)] for w in willing]
            total = sum(len(w) for w in willing)
        escorts = 0
        self.pending = False
        if self.convoy and total > 0:
            assigned = model.escorts.assign(self.escorts_needed, self.wait_for_escorts)
            if assigned is None:
                self.pending, willing, total = True, [[] for _ in self.yard], 0
            else:
                escorts = assigned
        self.days_loading = (1.0 if total > 0 or not self.convoy
                             else min(self.days_loading + 1.0, 2.0 * self.interval))
        if total == 0:
            return
        going = [self.take(tk) for w in willing for tk in w]
        self.drivers.get(total)
        model.departed(self, going, escorts, day)
        groups = [Group(model, self, going, escorts, day)] if self.convoy else [
            Group(model, self, [tk], 0, day) for tk in going]
        for group in groups:
            group.start()
        for tanker in going:
            tanker.dispatched.succeed()

    def take(self, tanker: Tanker) -> Tanker:
        self.yard[tanker.product].get(lambda item: item is tanker)
        tanker.loaded = True
        return tanker
