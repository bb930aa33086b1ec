"""Simulation engines. ``simulate`` runs a scenario on one of them and returns a
:class:`~siegeline.results.SimulationResult`."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import siegeline
from siegeline.model.continuation import stored_prefix
from siegeline.model.parameters import ModelParameters, compile_parameters
from siegeline.results.result import SimulationResult
from siegeline.scenario.loader import ScenarioError, scenario_hash
from siegeline.scenario.schema import Scenario

ProgressCallback = Callable[[int, int], None]
ENGINES = ("vectorized",)
BACKENDS = ("numpy", "jax")


def check_backend(backend: str) -> str:
    """``backend`` if it is one of BACKENDS, else a ScenarioError naming the choices."""
    if backend not in BACKENDS:
        raise ScenarioError([("backend", f"unknown backend {backend!r}; choose from "
                                         f"{', '.join(BACKENDS)}")], "run")
    return backend


def jax_backend() -> ModuleType:
    """The JAX backend's module, or a ScenarioError naming the install command without JAX."""
    try:
        from siegeline.engines.backends import jax_engine
    except ImportError as err:
        raise ScenarioError([("backend", f"the jax backend needs JAX ({err}): pip install "
                                         "'siegeline[gpu]', or 'jax[cuda12]' for an NVIDIA "
                                         "GPU")], "run") from None
    return jax_engine


def _engine_runner(engine: str, backend: str = "numpy") -> Callable[
        [ModelParameters, ProgressCallback | None], dict[str, Any]]:
    check_backend(backend)
    if backend == "jax":
        if engine != "vectorized":
            raise ScenarioError([("backend", "the jax backend runs the vectorized engine only")],
                                "run")
        return jax_backend().simulate_jax
    if engine == "vectorized":
        from siegeline.engines.vectorized import simulate_vectorized

        return simulate_vectorized
    if engine == "reference":
        try:
            from siegeline.engines.reference import simulate_reference
        except ImportError:
            raise ScenarioError([("engine", "the reference engine is not installed")],
                                "run") from None
        return simulate_reference
    raise ScenarioError([("engine", f"unknown engine {engine!r}; choose from "
                                    f"{', '.join(available_engines())}")], "run")


def available_engines() -> list[str]:
    names = list(ENGINES)
    try:
        import siegeline.engines.reference  # noqa: F401

        names.append("reference")
    except ImportError:
        pass
    return names


def simulate(
    scenario: Scenario,
    *,
    engine: str = "vectorized",
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    backend: str = "numpy",
) -> SimulationResult:
    """Run ``scenario`` and return its result. Same (scenario, seed, engine) → same numbers.

    ``overrides`` maps parameter paths (e.g. ``"adversary.intensity"``) to one value per
    replication, so a whole experimental design runs in one call. ``backend="jax"`` runs the
    vectorized engine on JAX (GPU when one is visible); its random draws differ from NumPy's.
    """
    runner = _engine_runner(engine, backend)
    prefix = stored_prefix(scenario)
    if prefix is not None:  # continue a stored run: same seed and replications by default
        seed = prefix.seed if seed is None else seed
        replications = replications or prefix.replications
    params = compile_parameters(scenario, replications, days, seed, overrides, prefix)
    skip = prefix.days if prefix is not None else 0
    if skip and progress is not None:  # report this run's days, not the stored run's
        report = progress

        def progress(done: int, total: int) -> None:
            report(max(0, done - skip), total - skip)

    started = time.perf_counter()
    arrays = runner(params, progress)
    elapsed = time.perf_counter() - started
    if skip:  # the stored run's days were re-simulated to reach its state; keep this run's
        carried = arrays["in_transit_litres"][:, skip - 1] + arrays["gate_litres"][:, skip - 1]
        arrays = {name: values[:, skip:].copy() for name, values in arrays.items()}
        # As with a warm start, fuel already on the road (or at the gate) counts as loaded on
        # day 0, so loaded = delivered + destroyed + returned + in transit + gate holds.
        arrays["loaded_litres"][:, 0] += carried
    metadata = {
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "engine": engine,
        "backend": backend,
        "seed": params.seed,
        "replications": params.replications,
        "days": params.days - skip,
        "start_date": scenario.simulation.start_date.isoformat(),
        "currency": scenario.currency,
        "version": siegeline.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "elapsed_seconds": round(elapsed, 4),
        "products": json.dumps(params.products),
        "corridors": json.dumps(params.corridors),
        "sectors": json.dumps(params.sectors),
        "overrides": json.dumps(sorted(overrides or {})),
    }
    if prefix is not None:
        metadata["continues"] = prefix.label
    return SimulationResult.from_arrays(
        arrays,
        products=params.products,
        corridors=params.corridors,
        sectors=params.sectors,
        start_date=scenario.simulation.start_date,
        metadata=metadata,
        samples=params.sampled,
    )
