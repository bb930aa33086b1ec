"""Univariate Hawkes process with an exponential kernel.

Intensity ``lambda(t) = mu + alpha * beta * sum_{t_i < t} exp(-beta (t - t_i))``: ``mu`` is the
background rate (events/day), ``alpha`` the branching ratio (expected offspring per event, < 1
for a stationary process) and ``beta`` the decay rate (1/day). Fitted by maximum likelihood
(Ozaki 1979 recursion), simulated by Ogata's (1981) thinning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

# Branching ratio kept below ~0.98: a trend in the background rate otherwise drives the fit to
# an explosive (non-stationary) process.
_MAX_LOGIT_ALPHA = 3.9


@dataclass(frozen=True)
class HawkesFit:
    mu: float
    alpha: float
    beta: float
    loglik: float
    n_events: int
    horizon: float
    cov: np.ndarray  # covariance of (log mu, logit alpha, log beta)
    excess_at_end: float  # lambda(T) - mu at the end of the data

    @property
    def stationary_rate(self) -> float:
        return self.mu / (1.0 - self.alpha)

    def mean_rate_ahead(self, days: float) -> float:
        return mean_rate_ahead(self.mu, self.alpha, self.beta, self.excess_at_end, days)

    def sample_params(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Parameter draws (mu, alpha, beta) from the Laplace approximation of the likelihood."""
        centre = np.array([math.log(self.mu), _logit(self.alpha), math.log(self.beta)])
        z = rng.multivariate_normal(centre, self.cov, size=n, method="eigh")
        z[:, 1] = np.minimum(z[:, 1], _MAX_LOGIT_ALPHA)
        return np.column_stack([np.exp(z[:, 0]), _expit(z[:, 1]), np.exp(z[:, 2])])


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def excess_intensity(
    times: np.ndarray, alpha: float, beta: float, at: float, weights: np.ndarray | None = None
) -> float:
    """``lambda(at) - mu`` given the events before ``at`` (each counting its weight, default 1)."""
    w = np.ones_like(times) if weights is None else np.asarray(weights, dtype=float)
    past = times < at
    return float(alpha * beta * (w[past] * np.exp(-beta * (at - times[past]))).sum())


def mean_rate_ahead(mu: float, alpha: float, beta: float, excess: float, days: float) -> float:
    """Expected mean intensity over the next ``days`` given the current excess intensity.

    The expected intensity relaxes to ``mu / (1 - alpha)`` at rate ``beta (1 - alpha)``.
    """
    stationary = mu / (1.0 - alpha)
    kappa = beta * (1.0 - alpha)
    start = mu + excess
    return stationary + (start - stationary) * (1.0 - math.exp(-kappa * days)) / (kappa * days)


def loglik(
    mu: float,
    alpha: float,
    beta: float,
    times: np.ndarray,
    horizon: float,
    weights: np.ndarray | None = None,
) -> float:
    """Log-likelihood of event times on [0, horizon]. With ``weights`` each event counts its
    weight (an event shared by k segments counts 1/k on each) in the sum of log-intensities and
    in the excitation it causes: the weighted (pseudo-)likelihood."""
    w = np.ones_like(times) if weights is None else np.asarray(weights, dtype=float)
    a = 0.0
    total = 0.0
    prev = None
    for t, wt in zip(times, w, strict=True):
        if prev is not None:
            a = math.exp(-beta * (t - prev[0])) * (prev[1] + a)
        total += wt * math.log(mu + alpha * beta * a)
        prev = (t, wt)
    decayed = 1.0 - np.exp(-beta * (horizon - times))
    compensator = mu * horizon + alpha * float(np.sum(w * decayed))
    return total - compensator


def fit(
    times: np.ndarray, horizon: float, starts: int = 3, weights: np.ndarray | None = None
) -> HawkesFit:
    """Maximum-likelihood fit on event times in [0, horizon] (days), each event counting its
    weight (default 1)."""
    times = np.asarray(times, dtype=float)
    w = np.ones_like(times) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(times, kind="stable")
    times, w = times[order], w[order]
    if len(times) < 10:
        raise ValueError(f"a Hawkes fit needs at least 10 events, got {len(times)}")
    if times[0] < 0 or times[-1] > horizon:
        raise ValueError("event times must lie within [0, horizon]")

    def negll(z: np.ndarray) -> float:
        mu, alpha, beta = math.exp(z[0]), float(_expit(z[1])), math.exp(z[2])
        return -loglik(mu, alpha, beta, times, horizon, w)

    rate = float(w.sum()) / horizon
    best = None
    for alpha0, beta0 in [(0.3, 1.0), (0.6, 0.2), (0.1, 5.0)][:starts]:
        z0 = np.array([math.log(rate * (1 - alpha0)), _logit(alpha0), math.log(beta0)])
        res = optimize.minimize(
            negll, z0, method="L-BFGS-B", bounds=[(-20, 10), (-8, _MAX_LOGIT_ALPHA), (-8, 6)]
        )
        if best is None or res.fun < best.fun:
            best = res
    z = best.x
    cov = np.linalg.pinv(_hessian(negll, z))
    mu, alpha, beta = math.exp(z[0]), float(_expit(z[1])), math.exp(z[2])
    return HawkesFit(
        mu=mu,
        alpha=alpha,
        beta=beta,
        loglik=-float(best.fun),
        n_events=len(times),
        horizon=horizon,
        cov=cov,
        excess_at_end=excess_intensity(times, alpha, beta, horizon + 1e-12, w),
    )


def _hessian(f, z: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian (for the Laplace approximation)."""
    n = len(z)
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * step, np.eye(n)[j] * step
            h[i, j] = h[j, i] = (
                f(z + e_i + e_j) - f(z + e_i - e_j) - f(z - e_i + e_j) + f(z - e_i - e_j)
            ) / (4 * step * step)
    return h


def simulate(
    mu: float,
    alpha: float,
    beta: float,
    horizon: float,
    rng: np.random.Generator,
    initial_excess: float = 0.0,
) -> np.ndarray:
    """Event times on [0, horizon] by Ogata thinning, starting from an excess intensity left by
    earlier events (0 for a process started empty)."""
    t = 0.0
    excess = initial_excess  # alpha*beta*sum exp(-beta(t - t_i)) at time t
    out = []
    while True:
        bound = mu + excess  # the intensity only decays until the next event
        w = rng.exponential(1.0 / bound)
        t += w
        if t > horizon:
            break
        excess *= math.exp(-beta * w)
        if rng.random() * bound <= mu + excess:
            out.append(t)
            excess += alpha * beta
    return np.array(out)
