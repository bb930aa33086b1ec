"""A corridor's port side: the yard where tankers wait, the drivers, and the daily dispatch.

Each morning importers order (``ReferenceModel.orders_and_dispatch``) and each corridor sends its
share: the port loads up to its daily capacity (a convoy corridor accumulates loads between
departures); a convoy leaves when its interval is up, when it has assembled its minimum size, or
when it was held for escorts; each asked driver decides once whether to go (fear of recent losses,
reassurance from the escorts the convoy will ask for, a declared ban); the places a convoy has are
shared out among the products by dispatch weight; a convoy asks for escorts in proportion to its
size. Every number comes from the timeline phase of the day.
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


def allot(ready: np.ndarray, places: int, weight: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Share ``places`` among the products' ready tankers in proportion to weight x ready
    (rounded down), the places left over going to the products in ``order`` as far as they
    have tankers ready (the vectorized engine's ``_allot``)."""
    weighted = ready * weight
    total = weighted.sum()
    share = weighted / total if total > 0 else np.zeros(len(ready))
    go = np.minimum(np.floor(places * share + 1e-9).astype(np.int64), ready)
    left = places - int(go.sum())
    for p in order:
        extra = min(left, int(ready[p] - go[p]))
        go[p] += extra
        left -= extra
    return go


class Port:
    """Departure yard of one corridor (corridors sharing a port split its loading capacity)."""

    def __init__(self, model: ReferenceModel, index: int, route: Route,
                 values: dict[str, Any]) -> None:
        env = model.env
        self.model = model
        self.index = index
        self.name = route.corridor
        # Depot and port gates open at whole days: a trip takes whole days, gate to gate.
        self.gate_days = max(1, math.ceil(route.duration - 1e-9))
        self.yard = [simpy.FilterStore(env) for _ in model.products]
        self.drivers = simpy.Container(env, capacity=float("inf"),
                                       init=int(values["drivers"][index]))
        self.convoy = bool(values["convoy"][index])
        self.mode = "convoy" if self.convoy else "free"
        self.wait_for_escorts = bool(values["wait_for_escorts"][index])
        self.fear = 0.0
        self.losses_today = 0  # tankers burned and drivers taken today (feeds the fear index)
        # Days of port loading since the last departure: a convoy corridor has had a whole
        # interval to assemble its first convoy.
        self.since = float(values["convoy_interval"][index]) if self.convoy else 1.0
        self.pending = False  # a convoy held back for escorts leaves as soon as it can

    def returns(self, tanker: Tanker, on_road: bool) -> None:
        """A tanker back through the port gate: its driver rejoins the pool."""
        self.drivers.put(1)
        if on_road:
            self.model.traffic[self.index] -= 1

    def release_escorts(self, units: int) -> None:
        self.model.escorts.release(units)
        self.model.escorts_out[self.index] -= units

    def remember_losses(self) -> None:
        """End of day: the drivers' fear index decays and takes in today's losses."""
        self.fear = self.fear * self.model.p["fear_decay"] + self.losses_today
        self.losses_today = 0

    def planned_escorts(self, tankers: int) -> int:
        """Escort units a convoy of ``tankers`` asks for (none on a free-running corridor)."""
        if not self.convoy:
            return 0
        p, c = self.model.p, self.index
        return int(p["escorts_per_convoy"][c]
                   + math.ceil(p["escorts_per_100"][c] * tankers / 100.0 - 1e-9))

    def ready(self, want: np.ndarray) -> np.ndarray:
        """(P,) tankers that would leave today: the corridor's share of the order, as far as idle
        tankers and the port's loading since the last departure allow; a convoy only once its
        interval is up, its minimum size assembled or it waits for escorts."""
        p, c = self.model.p, self.index
        idle = np.array([len(yard.items) for yard in self.yard])
        loading = np.floor(p["port_capacity"][c] * self.since)
        ready = np.minimum(np.minimum(want, idle), loading).astype(np.int64)
        departing = (not self.convoy or self.since >= p["convoy_interval"][c] or self.pending
                     or ready.sum() >= p["convoy_min_size"][c])
        return ready if departing else np.zeros_like(ready)

    def drivers_willing(self, day: int, candidates: int) -> int:
        """Drivers of the ``candidates`` tankers who agree to go, one decision each, up to the
        drivers at the port and the convoy's maximum size."""
        p, c = self.model.p, self.index
        # Drivers count the escorts asked for that the pool can give.
        escorts = min(self.planned_escorts(candidates), max(self.model.escorts.free, 0))
        # A ban is refused as far as today's campaign regime enforces it.
        enforced = p["regime_ban_enforcement"][self.model.adversary.regime]
        refusal = p["ban_refusal"][c, day] * enforced * math.exp(-p["escort_defiance"] * escorts)
        accept = (p["willingness_max"]
                  * math.exp(-p["fear_sensitivity"] * self.fear
                             / (1.0 + p["escort_reassurance"] * escorts))
                  * (1.0 - refusal))
        rng = self.model.port_rng
        willing = sum(rng.random() < accept for _ in range(candidates)) if accept > 0 else 0
        limit = int(self.drivers.level)
        if self.convoy:
            limit = min(limit, int(p["convoy_max_size"][c]))
        return min(willing, limit)

    def dispatch(self, day: int, want: np.ndarray) -> None:
        """This morning's departures, given the tankers (P,) importers want from this corridor."""
        model, p = self.model, self.model.p
        ready = self.ready(want)
        places = self.drivers_willing(day, int(ready.sum()))
        go = allot(ready, places, p["dispatch_weight"], model.params.product_order)
        total = int(go.sum())
        escorts = 0
        self.pending = False
        if self.convoy and total > 0:
            assigned = model.escorts.assign(self.planned_escorts(total), self.wait_for_escorts)
            if assigned is None:
                self.pending, total = True, 0
            else:
                escorts = assigned
        self.since = (1.0 if total > 0 or not self.convoy
                      else min(self.since + 1.0, 2.0 * p["convoy_interval"][self.index]))
        if total == 0:
            return
        going = [self.take(tk) for q, n in enumerate(go) for tk in self.yard[q].items[:n]]
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
