"""Simulation results: the uniform result object, plots and the embedded store."""

from siegeline.results.result import NEVER, SimulationResult
from siegeline.results.store import ResultStore, RunNotFound, default_store_path

__all__ = ["NEVER", "ResultStore", "RunNotFound", "SimulationResult", "default_store_path"]
