"""The reference engine: the same model as the vectorized engine, at event level with SimPy.

Tankers and convoys are processes moving segment by segment in continuous time, escorts a finite
pool, the city's gate a queue in front of depots that are containers with priority withdrawals,
stations a queue of motorists at the pumps, and the adversary's attacks events on segments. The
day's model processes carry the vectorized engine's names (engine.py). Slow and readable; the
agreement tests compare its output distributions with the vectorized engine's.
"""

from siegeline.engines.reference.engine import ReferenceModel, simulate_reference
from siegeline.engines.reference.traces import ReferenceTraces, record_traces

__all__ = ["ReferenceModel", "ReferenceTraces", "record_traces", "simulate_reference"]
