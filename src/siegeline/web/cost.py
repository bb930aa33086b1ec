"""What a run would cost, estimated from its compiled parameters before it is accepted.

Replications × days alone does not bound a run: the reference engine simulates every tanker as
its own process (a fleet of 10^9 asks for about a terabyte), and slow corridors lengthen the
cohort ring buffers of the vectorized engine. The estimate compiles a few replications (about
40 ms) and scales them:

* outputs: 8 bytes × replications × days × output columns, held about three times at the peak
  (the engine's arrays, the result's dataset, the wide frame written to the store; measured on
  Bamako, 1,000 × 180: outputs 115 MB, peak growth 356 MB);
* vectorized engine: about six ring buffers of replication × corridor × slot × product;
* reference engine: about 1.2 kB per simulated tanker (measured: 500,000 tankers of one
  replication took 600 MB more than 502), replications one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from siegeline.model.outputs import OUTPUTS
from siegeline.model.parameters import compile_parameters
from siegeline.scenario.loader import ScenarioError
from siegeline.scenario.schema import Scenario

SAMPLED_REPLICATIONS = 16  # enough to see the spread of sampled road times
OUTPUT_COPIES = 3
RING_BUFFERS = 6
BYTES_PER_TANKER = 1_200


@dataclass(frozen=True)
class RunCost:
    replications: int
    days: int
    engine: str
    tankers: int  # the largest fleet of any timeline phase, all corridors and products
    slots: int  # cohort ring-buffer length of the vectorized engine
    memory_bytes: int

    @property
    def replication_days(self) -> int:
        return self.replications * self.days

    def to_dict(self) -> dict[str, object]:
        return {"engine": self.engine, "replications": self.replications, "days": self.days,
                "replication_days": self.replication_days, "tankers": self.tankers,
                "memory_bytes": self.memory_bytes}


def estimate_cost(scenario: Scenario, replications: int, days: int, engine: str) -> RunCost:
    """Memory a run of ``scenario`` would need; ScenarioError if the model refuses it."""
    m = compile_parameters(scenario, min(replications, SAMPLED_REPLICATIONS), days)
    phases = m.phases or (m,)
    tankers = max(int(phase.fleet.sum(axis=(1, 2)).max()) for phase in phases)
    sizes = {"product": len(m.products), "corridor": len(m.corridors), "sector": len(m.sectors)}
    width = sum(math.prod(sizes[d] for d in v.dims) for v in OUTPUTS)
    outputs = 8 * replications * days * width * OUTPUT_COPIES
    if engine == "reference":
        working = BYTES_PER_TANKER * tankers
    else:
        working = 8 * RING_BUFFERS * replications * len(m.corridors) * m.slots * len(m.products)
    return RunCost(replications, days, engine, tankers, m.slots, outputs + working)


@dataclass(frozen=True)
class CostLimits:
    max_run_bytes: int
    max_replication_days: int
    max_reference_replication_days: int
    max_tankers: int
    max_reference_tankers: int


def _gib(n: int) -> str:
    return f"{n / 2**30:,.2f} GiB"


def limit_problems(cost: RunCost, limits: CostLimits) -> list[tuple[str, str]]:
    """(field, message) for every server limit the run exceeds, naming the limit."""
    out: list[tuple[str, str]] = []
    reference = cost.engine == "reference"
    max_rd = (limits.max_reference_replication_days if reference
              else limits.max_replication_days)
    if cost.replication_days > max_rd:
        out.append(("replications", f"{cost.replications:,} replications × {cost.days:,} days = "
                    f"{cost.replication_days:,} replication-days exceeds this server's limit of "
                    f"{max_rd:,} for the {cost.engine} engine"))
    max_tankers = limits.max_reference_tankers if reference else limits.max_tankers
    if cost.tankers > max_tankers:
        why = " (it simulates each tanker on its own)" if reference else ""
        out.append(("engine", f"the fleet holds {cost.tankers:,} tankers; this server allows "
                    f"at most {max_tankers:,} for the {cost.engine} engine{why}"))
    if cost.memory_bytes > limits.max_run_bytes:
        out.append(("replications", f"the run would need about {_gib(cost.memory_bytes)} of "
                    f"memory, more than this server's limit of {_gib(limits.max_run_bytes)} "
                    "per run; use fewer replications or days"))
    return out


def check_cost(scenario: Scenario, replications: int, days: int, engine: str,
               limits: CostLimits) -> RunCost:
    """The run's cost, or ScenarioError (422, loc under body) naming each limit exceeded;
    the model's own refusals (a road too slow to arrive) pass through as they are."""
    cost = estimate_cost(scenario, replications, days, engine)
    problems = limit_problems(cost, limits)
    if problems:
        raise ScenarioError(problems, "body")
    return cost
