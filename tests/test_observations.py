"""Observation log format, observation models and `siegeline record`."""

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.observations import ObservationLogError, load_log
from siegeline.observations.log import COLUMNS, log_path
from siegeline.observations.record import (
    RecordContext,
    choose_event_rows,
    compare,
    interval,
    litres_per_unit,
)
from siegeline.results import SimulationResult

GOOD = ("2025-10-29,,power_hours,Bamako,,,unknown,30,,,hours of electricity per day,"
        "AFP,https://example.org/a,high,")


def write_log(path: Path, rows: list[str]) -> Path:
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_packaged_log_loads_whole_with_typed_columns():
    log = load_log("bamako-2025")
    with open(log_path("bamako-2025"), newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert len(log) == len(raw) == 120
    assert Counter(log["kind"].astype(str)) == Counter(r["kind"] for r in raw)
    assert log["date"].dtype.kind == "M" and log["end_date"].dtype.kind == "M"
    assert log["value"].dtype == np.float64
    assert (log["end_date"].dropna() >= log.loc[log["end_date"].notna(), "date"]).all()
    assert log["confidence"].cat.ordered and list(log["confidence"].cat.categories) == [
        "low", "medium", "high"]


@pytest.mark.parametrize(("bad", "field"), [
    ("2025-13-01,,power_hours,Bamako,,,unknown,3,,,h,AFP,,high,", "date"),
    ("03/09/2025,,power_hours,Bamako,,,unknown,3,,,h,AFP,,high,", "date"),
    ("2025-10-01,,power_hours,Bamako,,,unknown,,9,4,h,AFP,,high,", "high"),
    ("2025-10-01,,rumour,Bamako,,,unknown,3,,,h,AFP,,high,", "kind"),
    ("2025-10-05,2025-10-01,imports,Mali,,,unknown,3,,,L,AFP,,high,", "end_date"),
    ("2025-10-01,,attack,x,95.0,3.0,unknown,3,,,t,AFP,,high,", "latitude"),
    ("2025-10-01,,attack,x,,,unknown,3,,,t,AFP,,certain,", "confidence"),
])
def test_bad_row_names_line_and_field(tmp_path, bad, field):
    path = write_log(tmp_path / "log.csv", [GOOD, GOOD, bad, GOOD])
    with pytest.raises(ObservationLogError) as err:
        load_log(path)
    assert "line 4" in str(err.value) and f"field {field!r}" in str(err.value)


def test_wrong_header_and_unknown_name_are_clear(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("date,kind\n2025-10-01,attack\n", encoding="utf-8")
    with pytest.raises(ObservationLogError, match="line 1"):
        load_log(path)
    with pytest.raises(FileNotFoundError, match="bamako-2025"):
        load_log("bamako-2024")


def test_censoring_conventions_and_unit_conversion():
    nan = float("nan")
    assert interval(100, 100, nan) == (100, float("inf"))  # "at least 100"
    assert interval(10, nan, 10) == (-float("inf"), 10)  # "up to 10"
    assert interval(nan, 1500, 2000) == (1500, 2000)
    assert interval(53, nan, nan) == (53, 53)
    assert litres_per_unit("FCFA per 1.5 L bottle (or more)") == 1.5
    assert litres_per_unit("FCFA per 20 L can (up to, or more)") == 20
    assert litres_per_unit("FCFA per litre (black market)") == 1
    assert litres_per_unit("GNF per 20 L can (up to)") is None
    assert litres_per_unit("% price increase (up to)") is None


def hand_built(reps: int = 101, days: int = 40) -> SimulationResult:
    """Replication r delivers r litres a day, loses r tankers a day and has r hours of power,
    so the quantiles over replications are known exactly."""
    r = np.arange(reps, dtype=float)[:, None] * np.ones((1, days))
    arrays = {
        "delivered_litres": np.stack([r, np.zeros_like(r)], axis=-1),
        "tankers_lost": r[..., None].astype(np.int32),
        "electricity_hours": r,
    }
    return SimulationResult.from_arrays(arrays, products=["diesel", "gasoline"],
                                        corridors=["a"], sectors=["s"],
                                        start_date=dt.date(2025, 10, 1),
                                        metadata={"scenario_name": "hand"})


def test_band_coverage_on_known_quantiles(tmp_path):
    rows = [  # power: daily level; quantiles 5/25/50/75/95
        "2025-10-02,,power_hours,Bamako,,,unknown,30,,,hours of electricity per day,A,,high,",
        "2025-10-03,,power_hours,Bamako,,,unknown,80,,,hours of electricity per day,A,,high,",
        "2025-10-04,,power_hours,Bamako,,,unknown,99,,,hours of electricity per day,A,,high,",
        "2025-10-05,,power_hours,Bamako,,,unknown,20,20,,hours of electricity per day,A,,high,",
        "2025-10-06,,power_hours,Mopti,,,unknown,50,,,hours of electricity per day,A,,high,",
        # imports over 10 days: sums 10 r, quantiles 50/250/500/750/950
        "2025-10-01,2025-10-10,imports,Mali,,,unknown,240,,,litres,A,,medium,",
        "2025-10-01,2025-10-10,imports,Mali,,,unknown,,960,1000,litres,A,,medium,",
        "2025-09-01,2025-09-30,imports,Mali,,,unknown,50,,,litres,A,,medium,",  # not simulated
    ]
    result = hand_built()
    rec = compare(result, load_log(write_log(tmp_path / "log.csv", rows)), RecordContext())
    t = rec.table.set_index("lines")
    power = t.loc[["2", "3", "4", "5"]]
    assert np.allclose(power[["model_p05", "model_p25", "model_median", "model_p75",
                              "model_p95"]].to_numpy(), [5, 25, 50, 75, 95])
    assert list(power["in_50"]) == [True, False, False, True]  # [20, inf) reaches the band
    assert list(power["in_90"]) == [True, True, False, True]
    imports = t.loc[["7", "8"]]
    assert np.allclose(imports["model_p25"], 250) and np.allclose(imports["model_p95"], 950)
    assert list(imports["in_50"]) == [False, False] and list(imports["in_90"]) == [True, False]
    reasons = dict(zip(rec.skipped["line"], rec.skipped["reason"], strict=True))
    assert reasons[6] == "not a Bamako figure with a number"
    assert reasons[9] == "outside the simulated days"


def test_attack_events_deduplicated_by_confidence(tmp_path):
    rows = [
        "2025-10-03,,attack,x,,,C1,80,,,tankers destroyed (claimed),J,,low,",
        "2025-10-03,,attack,x,,,C1,30,30,,tankers burned (more than),B,,high,",
        "2025-10-03,,attack,x,,,C1,45,,,tankers destroyed,R,,medium,",
        "2025-10-03,,attack,x,,,C1,,,,tankers destroyed (count not given),B2,,high,",
        "2025-10-03,,attack,y,,,C2,12,,,tankers burned,R,,medium,",  # same day, other road
        "2025-10-09,,attack,z,,,C1,40,,,tankers in convoy (estimate); several burned,S,,high,",
        "2025-10-01,2025-10-20,attack,all,,,unknown,200,200,,tankers burned (cumulative),U,,"
        "medium,",
    ]
    log = load_log(write_log(tmp_path / "log.csv", rows))
    chosen = choose_event_rows(log[log["end_date"].isna()])
    assert list(chosen["line"]) == [3, 6, 7]
    assert list(chosen["counted"]) == [True, True, False]  # a convoy size is not a loss
    rec = compare(hand_built(), log)
    month = rec.table[rec.table["lines"] == "3,6,7"].iloc[0]
    # 30 or more + 12 + an unknown count: a lower bound of 42
    assert month["obs_low"] == 42 and np.isinf(month["obs_high"])
    assert month["censoring"] == "lower bound"
    assert month["model_median"] == 50 * 31  # tankers_lost summed over October
    cumulative = rec.table[rec.table["lines"] == "8"].iloc[0]
    assert cumulative["obs_low"] == 200 and cumulative["model_median"] == 50 * 20


def test_record_command_writes_files(tmp_path):
    runner = CliRunner()
    out = tmp_path / "rec"
    res = runner.invoke(app, ["record", "bamako-2025", "-n", "6", "-d", "90", "--seed", "2",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert {"record.csv", "record.md", "record-attack.png", "record-imports.png",
            "record-stations_open.png"} <= {p.name for p in out.iterdir()}
    assert "convoy_arrival" in res.output and "in 90% band" in res.output
    table = (out / "record.csv").read_text(encoding="utf-8")
    assert table.count("\nattack,") >= 3
    store = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["run", "-n", "4", "-d", "90", "--store", str(store)]).exit_code == 0
    res = runner.invoke(app, ["record", "latest", "--store", str(store), "-o", str(out / "2")])
    assert res.exit_code == 0, res.output
    assert (out / "2" / "record.md").read_text(encoding="utf-8").startswith("# bamako-2025")
    res = runner.invoke(app, ["record", "nothing-here", "--store", str(store)])
    assert res.exit_code == 2 and "neither a scenario" in res.output
