"""Timing of the events pipeline on the synthetic sample (not part of the test suite).

Run: ``python benchmarks/bench_events.py`` (prints seconds per stage).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from siegeline.events import analytics as an
from siegeline.events import backtest as bt
from siegeline.events import calibrate as cal
from siegeline.events import exposure, store
from siegeline.events.ingest import parse_csv
from siegeline.scenario import load_scenario

SAMPLE_PATH = (Path(__file__).resolve().parents[1] / "src" / "siegeline" / "events" / "samples"
               / "acled_mali_synthetic_2024_2025.csv")  # SYNTHETIC (tools/make_acled_sample.py)


def main() -> None:
    timings: dict[str, float] = {}

    def stage(name: str, start: float) -> float:
        now = time.perf_counter()
        timings[name] = now - start
        return now

    t = time.perf_counter()
    parsed = parse_csv(SAMPLE_PATH)
    t = stage("parse csv", t)
    with tempfile.TemporaryDirectory() as tmp, store.connect(Path(tmp) / "b.duckdb") as con:
        store.write_events(con, parsed, "bench")
        t = stage("write store", t)
        store.write_events(con, parsed, "bench again")
        t = stage("re-ingest (upsert)", t)
        events = store.load_events(con)
        t = stage("load events", t)
    matched = an.filter_events(events, actor=an.ActorRule("JNIM"))
    an.counts(matched, "month", by="admin1")
    t = stage("filter + monthly counts", t)
    scenario = load_scenario("bamako-2025")
    assigned = exposure.assign_segments(matched, scenario, 10.0)
    t = stage("exposure (10 km)", t)
    cal.calibrate(assigned, matched, scenario, method="gamma")
    t = stage("calibrate gamma", t)
    cal.calibrate(assigned, matched, scenario, method="hawkes")
    t = stage("calibrate hawkes", t)
    bt.backtest(cal.monthly_series(matched), matched["event_date"], holdout=6)
    stage("backtest 6 months, 4 models", t)
    print(f"{len(parsed.records)} events")
    for name, secs in timings.items():
        print(f"{name:32s} {secs:8.3f} s")


if __name__ == "__main__":
    main()
