"""Background simulation runs: a small thread pool with a bounded number of waiting jobs.

A job's id is the run id it will be stored under (``new_run_id()``: time prefix and 64 random
bits), so a client polls ``/api/runs/{id}/progress`` and then reads ``/api/runs/{id}/...``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from siegeline.engines import simulate
from siegeline.results.store import new_run_id
from siegeline.scenario.schema import Scenario
from siegeline.web.store_access import StoreAccess

log = logging.getLogger(__name__)
JobState = Literal["queued", "running", "saving", "done", "failed"]
KEEP_FINISHED = 200  # finished jobs remembered for progress queries


class QueueFull(RuntimeError):
    """More runs are waiting than the server accepts."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    run_id: str
    scenario_name: str
    replications: int
    days: int
    seed: int | None
    engine: str
    label: str
    overrides: list[str]
    state: JobState = "queued"
    days_done: int = 0
    error: str | None = None
    created: str = field(default_factory=_now)
    finished: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running", "saving")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "status": self.state, "scenario": self.scenario_name,
            "replications": self.replications, "days": self.days, "seed": self.seed,
            "engine": self.engine, "label": self.label, "overrides": self.overrides,
            "days_done": self.days_done, "fraction": self.days_done / max(self.days, 1),
            "error": self.error, "created": self.created, "finished": self.finished,
        }


class JobManager:
    def __init__(self, store: StoreAccess, workers: int = 1, max_active: int = 8) -> None:
        self.store = store
        self.max_active = max_active
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siegeline-run")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, scenario: Scenario, *, replications: int, days: int, seed: int | None,
               engine: str, label: str, overrides: list[str]) -> Job:
        with self._lock:
            active = sum(j.active for j in self._jobs.values())
            if active >= self.max_active:
                raise QueueFull(f"{active} runs are already queued or running "
                                f"(limit {self.max_active}); try again when one finishes")
            job = Job(new_run_id(), scenario.name, replications, days, seed, engine, label,
                      list(overrides))
            self._jobs[job.run_id] = job
            self._forget_old()
        self._pool.submit(self._run, job, scenario)
        return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.active]

    def _run(self, job: Job, scenario: Scenario) -> None:
        job.state = "running"

        def progress(done: int, total: int) -> None:
            job.days_done = done

        try:
            result = simulate(scenario, engine=job.engine, replications=job.replications,
                              days=job.days, seed=job.seed, progress=progress)
            result.metadata["run_id"] = job.run_id
            result.metadata["scenario_overrides"] = json.dumps(job.overrides)
            job.state = "saving"
            self.store.save(result, scenario.model_dump_json(), job.label)
            job.days_done = job.days
            job.state = "done"
        except Exception as exc:  # the job reports it; the server keeps serving
            log.exception("run %s failed", job.run_id)
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        finally:
            job.finished = _now()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
