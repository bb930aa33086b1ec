"""Simulation results: the uniform result object, plots, the embedded store (opened under
concurrent use by :mod:`siegeline.results.locking`) and the bit-for-bit rerun of a stored run
(:mod:`siegeline.results.reproduce`, behind `siegeline rerun`)."""

from siegeline.results.result import NEVER, SimulationResult
from siegeline.results.store import ResultStore, RunNotFound, default_store_path

__all__ = ["NEVER", "ResultStore", "RunNotFound", "SimulationResult", "default_store_path"]
