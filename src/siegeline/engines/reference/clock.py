"""The daily rhythm: gates open and orders are placed each morning (whole days)."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy


class Clock:
    """Day ``d`` is the time interval [d, d+1); its morning is at time ``d``."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.day = -1  # the last morning that has come
        self.morning = env.event()

    def open(self, day: int) -> None:
        """Morning of ``day``: wake everyone waiting at a gate."""
        self.day = day
        event, self.morning = self.morning, self.env.event()
        event.succeed(day)

    def gate_day(self, time: float) -> int:
        """The first morning at or after ``time`` that has not come yet."""
        return max(math.ceil(time - 1e-7), self.day + 1)

    def wait_until(self, day: float) -> Generator[simpy.Event, Any, None]:
        while self.day < day:
            yield self.morning
