"""Background simulation runs: each in its own process (``web.worker``), at most ``workers`` at
once, a bounded number waiting, every state change written to the job journal.

A job's id is the run id it will be stored under (``new_run_id()``: time prefix and 64 random
bits), so a client polls ``/api/runs/{id}/progress`` and then reads ``/api/runs/{id}/...``.
States: queued → running → saving → done, or failed (an error, or the memory guard),
cancelled (``DELETE /api/runs/{id}``), interrupted (the server stopped before the run ended;
found again in the journal when it restarts).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from siegeline.results.store import new_run_id
from siegeline.scenario.schema import Scenario
from siegeline.web import worker
from siegeline.web.journal import UNFINISHED, JobJournal, journal_path
from siegeline.web.store_access import StoreAccess

log = logging.getLogger(__name__)
JobState = Literal["queued", "running", "saving", "done", "failed", "cancelled", "interrupted"]
ENDED_BADLY = ("failed", "cancelled", "interrupted")
KEEP_FINISHED = 200  # finished jobs remembered in memory for progress queries
POLL_S = 0.1
CANCEL_WAIT_S = 5.0


class QueueFull(RuntimeError):
    """More runs are waiting than the server accepts."""


class NotCancellable(RuntimeError):
    """The run has already ended."""


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
    cancel_requested: bool = False

    @property
    def active(self) -> bool:
        return self.state in UNFINISHED

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "status": self.state, "scenario": self.scenario_name,
            "replications": self.replications, "days": self.days, "seed": self.seed,
            "engine": self.engine, "label": self.label, "overrides": self.overrides,
            "days_done": self.days_done, "fraction": self.days_done / max(self.days, 1),
            "error": self.error, "created": self.created, "finished": self.finished,
        }


def journal_view(row: dict[str, Any]) -> dict[str, Any]:
    """A journal row in the shape of ``Job.to_dict()``."""
    return {**row, "fraction": (row["days_done"] or 0) / max(row["days"] or 1, 1)}


class JobManager:
    def __init__(self, store: StoreAccess, workers: int = 1, max_active: int = 8,
                 memory_limit_bytes: int | None = None) -> None:
        self.store = store
        self.max_active = max_active
        self.memory_limit_bytes = memory_limit_bytes
        self.journal = JobJournal(journal_path(store.path))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siegeline-run")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._context = worker.context()
        self._stopping = False
        self._recover()

    def _recover(self) -> None:
        """Runs a previous server left queued or running: done if the store has them (saved just
        before the server died), else interrupted."""
        stored = set(self.store.list_runs()["run_id"])
        for row in self.journal.recent(UNFINISHED, limit=10_000):
            if row["run_id"] in stored:
                row.update(status="done", days_done=row["days"])
            else:
                row.update(status="interrupted", finished=_now(),
                           error=f"the server stopped while the run was {row['status']}; "
                                 "start it again")
            self.journal.write(row)

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
        self.journal.write(job.to_dict())
        self._pool.submit(self._run, job, scenario)
        return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def status(self, run_id: str) -> dict[str, Any] | None:
        """A job of this server or of the journal (an earlier server's), None if unknown."""
        job = self.get(run_id)
        if job is not None:
            return job.to_dict()
        row = self.journal.get(run_id)
        return journal_view(row) if row else None

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.active]

    def ended_badly(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest failed, cancelled and interrupted runs (they are not in the store)."""
        return [journal_view(r) for r in self.journal.recent(ENDED_BADLY, limit)]

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Cancel a queued run at once, a running one within ``POLL_S``; NotCancellable when it
        has ended."""
        job = self.get(run_id)
        if job is None or not job.active:
            state = job.state if job else (self.status(run_id) or {}).get("status")
            raise NotCancellable(f"run {run_id} is {state}; only queued or running runs can be "
                                 "cancelled")
        job.cancel_requested = True
        if job.state == "queued":
            self._finish(job, "cancelled", "cancelled before it started")
        deadline = time.monotonic() + CANCEL_WAIT_S
        while job.active and time.monotonic() < deadline:
            time.sleep(POLL_S / 2)
        return job.to_dict()

    def _set(self, job: Job, state: JobState) -> None:
        job.state = state
        self.journal.write(job.to_dict())

    def _finish(self, job: Job, state: JobState, error: str | None = None) -> None:
        job.error = error
        job.finished = _now()
        self._set(job, state)

    def _run(self, job: Job, scenario: Scenario) -> None:
        if job.state != "queued":  # cancelled while waiting
            return
        try:
            self._supervise(job, scenario)
        except Exception as exc:  # the job reports it; the server keeps serving
            log.exception("run %s failed", job.run_id)
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
        if job.state == "done":
            self.store.invalidate()
            self.store.preload()

    def _supervise(self, job: Job, scenario: Scenario) -> None:
        """Start the run's process and follow it: progress, cancellation, the memory guard."""
        receive, send = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=worker.run_in_child, name=f"siegeline-run-{job.run_id}",
            args=(job.to_dict(), scenario, self.store.path, os.getpid(), send), daemon=True)
        self._set(job, "running")
        proc.start()
        send.close()
        outcome: tuple[JobState, str | None] | None = None
        while outcome is None:
            if receive.poll(POLL_S):
                outcome = self._message(job, receive, proc)
            elif job.cancel_requested:
                outcome = (("interrupted", "the server stopped while the run was running")
                           if self._stopping else ("cancelled", "cancelled while running"))
            elif self._over_memory(proc.pid):
                outcome = ("failed", f"the run used more than {self._gib()} of memory (this "
                                     "server's limit per run); use fewer replications or days")
        if proc.is_alive() and outcome[0] != "done":
            proc.kill()
        proc.join()
        receive.close()
        if outcome[0] == "done":
            job.days_done = job.days
        self._finish(job, *outcome)

    @staticmethod
    def _message(job: Job, receive: Any, proc: Any) -> tuple[JobState, str | None] | None:
        """Apply one message of the run's process; its outcome when the run has ended."""
        try:
            kind, value = receive.recv()
        except EOFError:  # the process died without a word (killed, out of memory)
            proc.join(5)
            return "failed", f"the run's process ended unexpectedly (exit code {proc.exitcode})"
        if kind == "running":
            job.days_done = int(value)
        elif kind == "saving":
            job.state = "saving"
        else:
            return kind, value
        return None

    def _over_memory(self, pid: int | None) -> bool:
        if self.memory_limit_bytes is None or pid is None:
            return False
        used = worker.resident_bytes(pid)
        return used is not None and used > self.memory_limit_bytes

    def _gib(self) -> str:
        return f"{(self.memory_limit_bytes or 0) / 2**30:,.2f} GiB"

    def shutdown(self) -> None:
        """Stop: running runs end as interrupted, waiting ones too."""
        self._stopping = True
        for job in self.active_jobs():
            job.cancel_requested = True
            if job.state == "queued":
                self._finish(job, "interrupted", "the server stopped before the run started")
        self._pool.shutdown(wait=True, cancel_futures=True)
