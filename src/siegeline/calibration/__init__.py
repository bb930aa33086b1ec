"""Calibration: condition a scenario's uncertain parameters on an observation log.

ABC-SMC (approximate Bayesian computation by sequential Monte Carlo) over the scenario's
ranges taken as priors, with each generation's particles simulated in a few batched runs of the
vectorized engine (optionally on a Dask cluster), pyabc's kernel density transitions and
weighted statistics, and a discrepancy built from the observation model of
:mod:`siegeline.observations.record`. The result is a scenario whose ``posterior`` holds joint
samples, so ``siegeline run`` samples from the posterior.
"""

from siegeline.calibration.observation_model import Discrepancy, observed_targets
from siegeline.calibration.priors import Prior, calibration_prior
from siegeline.calibration.smc import CalibrationResult, CalibrationSettings, calibrate

__all__ = ["CalibrationResult", "CalibrationSettings", "Discrepancy", "Prior", "calibrate",
           "calibration_prior", "observed_targets"]
