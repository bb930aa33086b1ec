"""Experiments over scenario parameters: designs, sensitivity analysis and Dask sweeps."""

from siegeline.experiments.designs import ParamRange, grid_design, parse_param, sample_design
from siegeline.experiments.evaluate import METRICS, evaluate_design

__all__ = ["METRICS", "ParamRange", "evaluate_design", "grid_design", "parse_param",
           "sample_design"]
