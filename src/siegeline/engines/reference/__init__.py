"""The reference engine: the same model as the vectorized engine, at event level with SimPy.

Tankers and convoys are processes moving segment by segment in continuous time, escorts a finite
pool, depots containers with priority withdrawals, stations a queue of motorists at the pumps,
and the adversary's attacks events on segments. Slow and readable; the agreement tests compare
its output distributions with the vectorized engine's.
"""

from siegeline.engines.reference.engine import ReferenceModel, simulate_reference
from siegeline.engines.reference.traces import ReferenceTraces, record_traces

__all__ = ["ReferenceModel", "ReferenceTraces", "record_traces", "simulate_reference"]
