"""ABC-SMC over a scenario's priors, one generation at a time, resumable.

Generation 0 draws the population from the prior. Generation t keeps particles whose distance
is at most ε_t, the weighted median of generation t-1's distances, proposing from a
multivariate normal kernel density estimate of generation t-1 (pyabc's
``MultivariateNormalTransition``, Silverman's bandwidth) in the prior's unit cube, and weighs
them by prior / proposal density (Beaumont et al. 2009, Biometrika 96:983). Proposals are
simulated in batches sized by the last acceptance rate. It stops when the budget of simulated
replications is spent, when the acceptance rate falls below ``min_acceptance``, when ε stops
falling, when the weights degenerate (effective sample size below ``min_ess`` of the
population) twice running, or after ``max_generations``. A generation whose weights degenerate
is drawn once more from a defensive mixture (Hesterberg 1995, Technometrics 37:185): a share
``defensive`` of the proposals from the prior, the rest from the kernel, so no weight exceeds
``1 / defensive`` times the prior's; if that one degenerates too, it is dropped.

Every completed generation is written to the state folder; a run started again with the same
scenario, log, date, parameters, population and seed resumes after the last completed one, and
gives the numbers an uninterrupted run would (a larger budget may be given to go further).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siegeline.calibration.observation_model import Discrepancy, observed_targets
from siegeline.calibration.priors import Prior, calibration_prior
from siegeline.calibration.screening import screen
from siegeline.calibration.simulator import Executor, SummaryModel, n_chunks, summary_names
from siegeline.engines import simulate
from siegeline.observations.record import RecordContext, Target
from siegeline.scenario.loader import ScenarioError, validate_scenario
from siegeline.scenario.schema import Scenario

# A redrawn generation's chunks are numbered from here, so its simulations' seeds differ from
# those of its first attempt.
REDRAWN_CHUNKS = 1_000_000
# Called with (simulated so far, budget, generation, epsilon or None, accepted in generation).
Progress = Callable[[int, int, int, float | None, int], None]


@dataclass(frozen=True)
class CalibrationSettings:
    population: int = 500
    budget: int = 20_000
    seed: int = 0
    params: tuple[str, ...] = ()
    quantile: float = 0.5  # ε_t is this weighted quantile of the previous distances
    min_acceptance: float = 0.02
    min_ess: float = 0.1  # share of the population
    defensive: float = 0.1  # prior share of the proposals when a degenerate generation is redrawn
    max_generations: int = 12
    national_share: float = 1.0
    max_params: int = 10  # calibrated at most (screened from the prior when params is empty)

    def __post_init__(self) -> None:
        problems = []
        if self.population < 20:
            problems.append(("--population", "must be at least 20"))
        if self.budget < 2 * self.population:
            problems.append(("--budget", f"must be at least twice the population "
                             f"({2 * self.population}): generation 0 alone simulates it"))
        if not 0 < self.quantile < 1:
            problems.append(("quantile", "must lie in (0, 1)"))
        if not 0 < self.defensive < 1:
            problems.append(("defensive", "must lie in (0, 1)"))
        if problems:
            raise ScenarioError(problems, "calibrate")


@dataclass
class Generation:
    u: np.ndarray  # (N, d) particles as prior quantiles (the unit cube)
    theta: np.ndarray  # (N, d) the same in parameter units
    weights: np.ndarray  # (N,) normalised
    distances: np.ndarray  # (N,)
    summaries: np.ndarray  # (N, K)
    epsilon: float
    simulated: int  # replications simulated up to and including this generation
    proposed: int  # replications simulated in this generation

    @property
    def ess(self) -> float:
        return float(1.0 / np.sum(self.weights**2))

    def save(self, path: Path) -> None:
        np.savez(path, u=self.u, theta=self.theta, weights=self.weights,
                 distances=self.distances, summaries=self.summaries, epsilon=self.epsilon,
                 simulated=self.simulated, proposed=self.proposed)

    def columns(self, idx: Sequence[int]) -> Generation:
        return Generation(self.u[:, idx], self.theta[:, idx], self.weights, self.distances,
                          self.summaries, self.epsilon, self.simulated, self.proposed)

    @classmethod
    def load(cls, path: Path) -> Generation:
        with np.load(path) as z:
            return cls(z["u"], z["theta"], z["weights"], z["distances"], z["summaries"],
                       float(z["epsilon"]), int(z["simulated"]), int(z["proposed"]))


@dataclass
class CalibrationResult:
    prior: Prior
    targets: list[Target]
    generations: list[Generation]
    discrepancy: Discrepancy
    posterior: np.ndarray  # (M, d) equally weighted joint samples
    stopped: str
    screening: pd.DataFrame | None = None  # None when the parameters were named
    resumed_from: int | None = None
    simulated: int = 0  # replications simulated in this call (a dropped generation included)
    warnings: list[str] = field(default_factory=list)

    @property
    def final(self) -> Generation:
        return self.generations[-1]

    def history(self) -> pd.DataFrame:
        """One row per generation: ε, simulated replications, acceptance rate, ESS."""
        rows = [{"generation": t, "epsilon": g.epsilon, "simulated": g.simulated,
                 "proposed": g.proposed, "acceptance_rate": len(g.weights) / g.proposed,
                 "ess": g.ess, "median_distance": float(np.median(g.distances))}
                for t, g in enumerate(self.generations)]
        return pd.DataFrame(rows)

    def parameters(self) -> pd.DataFrame:
        """Prior range and posterior quantiles per parameter, and whether it sits on a bound."""
        g = self.final
        rows = []
        for j, (path, r) in enumerate(zip(self.prior.paths, self.prior.ranges, strict=True)):
            q = _weighted_quantiles(g.theta[:, j], g.weights, (0.05, 0.5, 0.95))
            rows.append({"parameter": path, "prior_low": r.low, "prior_high": r.high,
                         "post_p05": q[0], "post_median": q[1], "post_p95": q[2],
                         "shrinkage": 1.0 - (q[2] - q[0]) / (0.9 * (r.high - r.low)),
                         "on_bound": _on_bound(g.u[:, j], g.weights)})
        return pd.DataFrame(rows)


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> list[float]:
    from pyabc.weighted_statistics import weighted_quantile

    return [float(weighted_quantile(x, w, alpha=q)) for q in qs]


def _on_bound(u: np.ndarray, w: np.ndarray) -> str:
    """'low'/'high' when five times the prior's mass (5%) sits in the outer 5% of the range."""
    if w[u < 0.05].sum() > 0.25:
        return "low"
    if w[u > 0.95].sum() > 0.25:
        return "high"
    return ""


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _State:
    """The calibration's folder: its config and one file per completed generation."""

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        self.folder = folder
        self.config = config

    def open(self) -> list[Generation]:
        cfg_path = self.folder / "config.json"
        if cfg_path.exists():
            old = json.loads(cfg_path.read_text())
            if old.get("key") != self.config["key"]:
                raise ScenarioError([(str(self.folder), (
                    "holds a calibration with another scenario, log, date, parameters, "
                    "population or seed; remove it or choose another output"))], "calibrate")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            cfg_path.write_text(json.dumps(self.config, indent=1, default=str))
        gens = []
        while (path := self.folder / f"generation-{len(gens):02d}.npz").exists():
            gens.append(Generation.load(path))
        return gens

    def save(self, t: int, g: Generation, disc: Discrepancy | None = None) -> None:
        g.save(self.folder / f"generation-{t:02d}.npz")
        if disc is not None:
            np.savez(self.folder / "discrepancy.npz", low=disc.low, high=disc.high,
                     scale=disc.scale, weight=disc.weight)

    def selection(self) -> list[int] | None:
        path = self.folder / "selection.json"
        return json.loads(path.read_text()) if path.exists() else None

    def save_selection(self, columns: list[int]) -> None:
        (self.folder / "selection.json").write_text(json.dumps(columns))

    def discrepancy(self) -> Discrepancy:
        with np.load(self.folder / "discrepancy.npz") as z:
            return Discrepancy(z["low"], z["high"], z["scale"], z["weight"])


def _propose(kernel: Any, prior: Prior, n: int, seed_parts: list[int],
             defensive: float = 0.0) -> np.ndarray:
    """n draws inside the unit cube (outside it the prior density is 0: redrawn, not
    simulated), from the kernel or, with ``defensive`` > 0, from the mixture of the prior
    (that share) and the kernel. pyabc's kernels draw from NumPy's global stream: seeded
    here, then restored."""
    saved = np.random.get_state()
    np.random.seed(np.random.SeedSequence(seed_parts).generate_state(1)[0])
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*seed_parts, 9])))
    try:
        out: list[np.ndarray] = []
        have = 0
        for _ in range(1000):
            draw = np.atleast_2d(np.array(kernel.rvs(size=max(2 * (n - have), 64)), dtype=float))
            if defensive:  # each draw from the prior with this chance, before the cube's cut
                flat = rng.random(len(draw)) < defensive
                draw[flat] = rng.random((int(flat.sum()), draw.shape[1]))
            draw = draw[prior.inside(draw)]
            out.append(draw)
            have += len(draw)
            if have >= n:
                return np.vstack(out)[:n]
        raise RuntimeError("the kernel almost never proposes inside the prior's ranges")
    finally:
        np.random.set_state(saved)


def importance_weights(kernel: Any, u: np.ndarray, defensive: float = 0.0) -> np.ndarray:
    """Normalised prior / proposal weights of draws ``u`` of ``_propose``: the prior density is
    1 in the cube, the proposal's the kernel's (mixed with the prior's ``defensive`` share).
    The cube's cut scales the proposal by a constant, which normalising removes."""
    columns = [f"p{j}" for j in range(u.shape[1])]
    density = np.asarray(kernel.pdf(pd.DataFrame(u, columns=columns)), dtype=float)
    weights = 1.0 / np.maximum((1.0 - defensive) * density + defensive, 1e-300)
    return weights / weights.sum()


def calibrate(scenario: Scenario, log: pd.DataFrame, until: dt.date,
              settings: CalibrationSettings, state_dir: Path, client: Any | None = None,
              progress: Progress | None = None) -> CalibrationResult:
    """Condition ``scenario``'s uncertain parameters on ``log`` up to ``until`` (ABC-SMC)."""
    data = scenario.model_dump(mode="json")
    data.pop("posterior", None)  # calibrate from the ranges, not from an earlier posterior
    scenario = validate_scenario(data, "calibration")
    start = scenario.simulation.start_date
    days = (until - start).days + 1
    if days < 1:
        raise ScenarioError([("--until", f"{until} is before the scenario's start {start}")],
                            "calibrate")
    probe = simulate(scenario, replications=1, days=days, seed=settings.seed)
    ctx = RecordContext.from_scenario(scenario, settings.national_share)
    targets = observed_targets(log, probe, ctx, until)
    if not targets:
        raise ScenarioError([("--observations", f"no scored observation between {start} and "
                              f"{until}")], "calibrate")
    full = calibration_prior(scenario, settings.params or None)
    names = summary_names(targets)
    key = _digest(data, log.to_csv(index=False), str(until), full.paths, settings.population,
                  settings.seed, settings.quantile, settings.max_params, names)
    state = _State(state_dir, {"key": key, "until": until, "parameters": full.paths,
                               "population": settings.population, "seed": settings.seed,
                               "targets": names})
    gens = state.open()
    resumed = len(gens) if gens else None
    executor = Executor(SummaryModel(data, tuple(targets), days), client)
    N, budget = settings.population, settings.budget

    def report(sim: int, t: int, eps: float | None, acc: int) -> None:
        if progress:
            progress(sim, budget, t, eps, acc)

    if not gens:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([settings.seed, 5])))
        u = rng.random((N, full.dim))
        theta = full.from_unit(u)
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            report(done[0], 0, None, done[0])

        x = executor.summaries(full.paths, theta, settings.seed, 0, 0, tick)
        disc = Discrepancy.build(targets, x)
        g0 = Generation(u, theta, np.full(N, 1.0 / N), disc.distance(x), x,
                        float("inf"), N, N)
        state.save(0, g0, disc)
        gens = [g0]
    table = None
    if settings.params:
        columns = list(range(full.dim))
    else:
        columns, table = screen(full.paths, names, gens[0].theta, gens[0].summaries,
                                settings.max_params)
        if not columns:
            raise ScenarioError([("--observations", (
                "no parameter moves any observed target more than chance would: nothing to "
                "calibrate (name parameters with --param to force it)"))], "calibrate")
    saved = state.selection()
    if saved is None:
        state.save_selection(columns)
    elif saved != columns:
        raise ScenarioError([(str(state_dir), "was screened differently; remove it")],
                            "calibrate")
    prior = full.subset(columns)
    gens[0] = gens[0].columns(columns)
    disc = state.discrepancy()
    stopped = "budget"
    while True:
        t = len(gens)
        prev = gens[-1]
        if t > settings.max_generations:
            stopped = f"{settings.max_generations} generations"
            break
        if prev.simulated + N > budget:
            stopped = "budget"
            break
        nxt = _generation(t, prev, prior, disc, executor, settings, report)
        if nxt is not None and nxt.ess < settings.min_ess * N:
            first = nxt.ess
            nxt = _generation(t, prev, prior, disc, executor, settings, report,
                              defensive=settings.defensive, spent=nxt.simulated)
            if nxt is not None and nxt.ess < settings.min_ess * N:
                stopped = (f"weights degenerate in generation {t} (effective sample size "
                           f"{first:.0f} of {N}; {nxt.ess:.0f} drawn again with "
                           f"{settings.defensive:.0%} from the prior); generation {t - 1} kept")
                break
        if nxt is None:
            stopped = "budget (the last generation could not be completed)"
            break
        state.save(t, nxt)
        gens.append(nxt)
        rate = N / nxt.proposed
        if rate < settings.min_acceptance:
            stopped = f"acceptance rate {rate:.1%} below {settings.min_acceptance:.0%}"
            break
        if np.isfinite(prev.epsilon) and nxt.epsilon > 0.99 * prev.epsilon:
            stopped = "ε stopped falling"
            break
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([settings.seed, 6])))
    final = gens[-1]
    rows = rng.choice(len(final.weights), size=N, p=final.weights)
    result = CalibrationResult(prior, targets, gens, disc, final.theta[rows], stopped, table,
                               resumed, simulated=executor.simulated)
    for row in result.parameters().itertuples():
        if row.on_bound:
            result.warnings.append(f"the posterior of {row.parameter} piles up at its "
                                   f"{row.on_bound} prior bound: the data would like it "
                                   "outside the range given")
    return result


def _generation(t: int, prev: Generation, prior: Prior, disc: Discrepancy, executor: Executor,
                settings: CalibrationSettings, report: Callable[..., None],
                defensive: float = 0.0, spent: int | None = None) -> Generation | None:
    """Generation t from generation t-1, or None when the budget ends before N acceptances;
    ``defensive``: the prior's share of the proposals (a redrawn generation, whose first
    attempt left ``spent`` replications simulated)."""
    from pyabc.transition import MultivariateNormalTransition

    N = settings.population
    eps = float(_weighted_quantiles(prev.distances, prev.weights, [settings.quantile])[0])
    kernel = MultivariateNormalTransition()
    columns = [f"p{j}" for j in range(prior.dim)]
    kernel.fit(pd.DataFrame(prev.u, columns=columns), prev.weights)
    simulated = prev.simulated if spent is None else spent
    proposed, chunk, batch = 0, REDRAWN_CHUNKS if defensive else 0, 0
    rate = max(N / prev.proposed * settings.quantile, settings.min_acceptance)
    kept_u: list[np.ndarray] = []
    kept_x: list[np.ndarray] = []
    kept_d: list[np.ndarray] = []
    accepted = 0
    seen = {"simulated": simulated, "accepted": 0}

    def tick(k: int) -> None:
        seen["simulated"] += k
        report(seen["simulated"], t, eps, seen["accepted"])

    while accepted < N:
        room = settings.budget - simulated
        if room <= 0:
            return None
        n = int(min(room, max(250, np.ceil((N - accepted) / rate * 1.2))))
        u = _propose(kernel, prior, n, [settings.seed, 8, t, batch] + ([10] if defensive else []),
                     defensive)
        x = executor.summaries(prior.paths, prior.from_unit(u), settings.seed, t, chunk, tick)
        d = disc.distance(x)
        ok = d <= eps
        kept_u.append(u[ok])
        kept_x.append(x[ok])
        kept_d.append(d[ok])
        accepted += int(ok.sum())
        seen["accepted"] = accepted
        simulated += n
        proposed += n
        chunk += n_chunks(n)
        batch += 1
        rate = max(accepted / proposed, settings.min_acceptance / 2)
    u = np.vstack(kept_u)[:N]
    weights = importance_weights(kernel, u, defensive)
    return Generation(u, prior.from_unit(u), weights, np.concatenate(kept_d)[:N],
                      np.vstack(kept_x)[:N], eps, simulated, proposed)


def posterior_scenario(scenario: Scenario, result: CalibrationResult, observations: str,
                       until: dt.date, settings: CalibrationSettings) -> dict[str, Any]:
    """The scenario with its ``posterior`` (joint samples), ready to write as YAML."""
    data = scenario.model_dump(mode="json")
    g = result.final
    data["posterior"] = {
        "parameters": list(result.prior.paths),
        "samples": [[float(v) for v in row] for row in result.posterior],
        "observations": observations,
        "until": until.isoformat(),
        "method": (f"ABC-SMC, population {settings.population}, {len(result.generations)} "
                   f"generations, {g.simulated} simulated replications, final epsilon "
                   f"{g.epsilon:.3g}, seed {settings.seed}; stopped: {result.stopped}"),
    }
    return data
