"""Observation logs and the comparison of simulations with what was reported."""

from siegeline.observations.log import KINDS, Observation, ObservationLogError, load_log

__all__ = ["KINDS", "Observation", "ObservationLogError", "load_log"]
