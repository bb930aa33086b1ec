"""The escort pool: a finite number of military units, each busy for a convoy's whole round trip.

A timeline may change the pool's size from a day on: units added join the pool that morning; when
it shrinks, units at base leave at once and the rest are withheld as they come back from convoys.
"""

from __future__ import annotations

import simpy


class EscortPool:
    """Escort units waiting at base, as a :class:`simpy.Container`."""

    def __init__(self, env: simpy.Environment, size: int) -> None:
        self.size = int(size)
        self.units = simpy.Container(env, capacity=float("inf"), init=self.size)
        self.withheld = 0  # units still to leave the pool when they come back (after a cut)

    @property
    def free(self) -> int:
        """Units at base that may be assigned, less those owed to a cut (may be negative)."""
        return int(round(self.units.level)) - self.withheld

    @property
    def busy(self) -> int:
        return self.size - self.free

    def resize(self, size: int) -> None:
        """The pool has ``size`` units from now on."""
        change, self.size = int(size) - self.size, int(size)
        if change > 0:
            repaid = min(change, self.withheld)
            self.withheld -= repaid
            if change > repaid:
                self.units.put(change - repaid)
        elif change < 0:
            leave = min(-change, int(round(self.units.level)))
            if leave:
                self.units.get(leave)
            self.withheld += -change - leave

    def assign(self, needed: int, wait_for_escorts: bool) -> int | None:
        """Escorts for a convoy leaving now: all it needs, or what is left if the policy lets it
        leave short-handed; ``None`` when it must wait (the policy says wait and too few are in)."""
        give = min(needed, max(self.free, 0))
        if give < needed and wait_for_escorts:
            return None
        if give > 0:
            self.units.get(give)
        return give

    def release(self, units: int) -> None:
        """Units back from a convoy rejoin the pool, except those a cut withholds."""
        kept = min(units, self.withheld)
        self.withheld -= kept
        if units > kept:
            self.units.put(units - kept)
