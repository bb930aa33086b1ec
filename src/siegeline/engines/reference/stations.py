"""A day at one filling station, simulated motorist by motorist.

Motorists arrive as a Poisson stream over the opening hours and queue for the station's pumps (a
:class:`simpy.Resource`); each fill takes an exponential time. A motorist who finds a queue whose
expected wait exceeds ``max_wait_hours`` balks. Everyone who joined is served, even after closing.
The vectorized engine uses the exact expectation of this model (city/queueing.py); this
simulation is the independent check.
"""

from __future__ import annotations

import numpy as np
import simpy


def station_day_wait(
    rng: np.random.Generator,
    arrivals_per_hour: float,
    pumps: int,
    service_per_hour: float,
    opening_hours: float,
    max_wait_hours: float,
) -> float:
    """Mean wait (h) before a pump of the motorists who joined the queue that day."""
    # A Poisson stream over the day: a Poisson count of uniformly scattered arrival times.
    count = rng.poisson(arrivals_per_hour * opening_hours)
    arrivals = np.sort(rng.uniform(0.0, opening_hours, count)).tolist()
    fills = rng.exponential(1.0 / service_per_hour, count).tolist()
    env = simpy.Environment()
    station = simpy.Resource(env, capacity=pumps)
    drain_per_hour = pumps * service_per_hour
    waits: list[float] = []

    def motorist(fill_hours: float) -> None:
        # Callbacks rather than one process per motorist: the same queue, half the cost.
        arrived = env.now
        turn = station.request()

        def at_pump(_: simpy.Event) -> None:
            waits.append(env.now - arrived)
            env.timeout(fill_hours).callbacks.append(lambda _: station.release(turn))

        turn.callbacks.append(at_pump)

    def stream():
        for at, fill in zip(arrivals, fills, strict=True):
            yield env.timeout(at - env.now)
            queue_ahead = len(station.queue) + 1 if station.count >= pumps else 0
            if queue_ahead / drain_per_hour <= max_wait_hours:  # else balks
                motorist(fill)

    env.process(stream())
    env.run()
    return float(np.mean(waits)) if waits else 0.0
