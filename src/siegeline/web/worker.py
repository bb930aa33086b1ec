"""One simulation in its own process, so that a run that exhausts memory, or is cancelled, is
killed without taking the server with it. The child simulates, saves the run to the store
itself (the store retries while another process writes) and reports over a pipe:
``("running", days_done)``, ``("saving", None)``, ``("done", None)`` or ``("failed", message)``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from siegeline.scenario.schema import Scenario

PARENT_CHECK_S = 1.0


def context() -> Any:
    """Fresh interpreters (forkserver, not fork: the server runs threads), with the heavy modules
    imported once in the fork server rather than in every run."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["siegeline.engines", "siegeline.results.store"])
    return ctx


def _exit_with_parent(parent: int) -> None:
    """A run whose server was killed is not wanted any more: end it rather than let it finish
    unseen (the restarted server reports it as interrupted)."""
    while True:
        time.sleep(PARENT_CHECK_S)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(3)


def run_in_child(job: dict[str, Any], scenario: Scenario, store_path: Path, parent: int,
                 pipe: Connection) -> None:
    """Simulate and store one run; ``job`` is ``Job.to_dict()``."""
    from siegeline.engines import simulate
    from siegeline.results.store import ResultStore

    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        result = simulate(scenario, engine=job["engine"], replications=job["replications"],
                          days=job["days"], seed=job["seed"],
                          progress=lambda done, total: pipe.send(("running", done)))
        result.metadata["run_id"] = job["run_id"]
        result.metadata["scenario_overrides"] = json.dumps(job["overrides"])
        pipe.send(("saving", None))
        ResultStore(store_path).save(result, scenario.model_dump_json(), job["label"])
        pipe.send(("done", None))
    except BaseException as exc:  # MemoryError included: the parent marks the run failed
        pipe.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def resident_bytes(pid: int) -> int | None:
    """Resident memory of a process (Linux /proc), None where it cannot be read."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")
