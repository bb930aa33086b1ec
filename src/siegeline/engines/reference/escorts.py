"""The escort pool: a finite number of military units, each busy for a convoy's whole round trip."""

from __future__ import annotations

import simpy


class EscortPool:
    """Escort units waiting at base, as a :class:`simpy.Container`."""

    def __init__(self, env: simpy.Environment, size: int) -> None:
        self.size = int(size)
        self.units = simpy.Container(env, capacity=float("inf"), init=self.size)

    @property
    def busy(self) -> int:
        return self.size - int(round(self.units.level))

    def assign(self, needed: int, wait_for_escorts: bool) -> int | None:
        """Escorts for a convoy leaving now: all it needs, or what is left if the policy lets it
        leave short-handed; ``None`` when it must wait (the policy says wait and too few are in)."""
        available = int(round(self.units.level))
        give = min(needed, available)
        if give < needed and wait_for_escorts:
            return None
        if give > 0:
            self.units.get(give)
        return give

    def release(self, units: int) -> None:
        if units > 0:
            self.units.put(units)
