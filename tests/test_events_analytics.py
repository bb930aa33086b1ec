"""Analytics checked against figures counted independently from the sample CSV with the plain
csv module, and against small hand-made tables."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from acled_sample import SAMPLE_PATH
from siegeline.events import analytics as an
from siegeline.events import store
from siegeline.events.ingest import parse_csv

JNIM = "JNIM: Group for Support of Islam and Muslims"


@pytest.fixture(scope="module")
def sample_events(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    db = tmp_path_factory.mktemp("store") / "s.duckdb"
    with store.connect(db) as con:
        store.write_events(con, parse_csv(SAMPLE_PATH), "sample")
        return store.load_events(con)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    with Path(SAMPLE_PATH).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _is_jnim(name: str) -> bool:
    # Independent statement of the default rule: any ' and/or ' part starting with 'JNIM:'.
    return any(p.startswith("JNIM:") or p == "JNIM" for p in name.split(" and/or "))


def _half(date: str) -> str:
    return f"{date[:4]}-H{1 if int(date[5:7]) <= 6 else 2}"


def test_actor_rule_is_explicit() -> None:
    rule = an.ActorRule("JNIM")
    assert rule.value_matches(JNIM)
    assert rule.value_matches("jnim: group for support of islam and muslims")
    assert rule.value_matches(f"Islamic State Sahel Province and/or {JNIM}")
    assert not rule.value_matches("JNIMX Brigade")
    assert not rule.value_matches("Katiba Macina")
    assert not an.ActorRule("JNIM", and_or="exclude").value_matches(f"{JNIM} and/or X")
    events = pd.DataFrame(
        {
            "actor1": ["Military Forces of Mali (2021-)", "Dozo Communal Militia (Mali)"],
            "actor2": [JNIM, "Civilians (Mali)"],
            "assoc_actor_1": [[], [JNIM]],
            "assoc_actor_2": [[], []],
        }
    )
    assert an.ActorRule("JNIM").mask(events).tolist() == [True, False]
    assert an.ActorRule("JNIM", include_associated=True).mask(events).tolist() == [True, True]
    only_actor1 = an.ActorRule("JNIM", fields=("actor1",))
    assert only_actor1.mask(events).tolist() == [False, False]


def test_half_year_counts_and_doubling_match_independent_count(
    sample_events: pd.DataFrame, raw_rows: list[dict[str, str]]
) -> None:
    expected = Counter(
        _half(r["event_date"]) for r in raw_rows if _is_jnim(r["actor1"]) or _is_jnim(r["actor2"])
    )
    table = an.counts(sample_events, "half", by="actor", actor=an.ActorRule("JNIM"))
    assert table["JNIM"].to_dict() == dict(expected)
    total = Counter(_half(r["event_date"]) for r in raw_rows)
    assert (table["JNIM"] + table["others"]).to_dict() == dict(total)
    # The sample is built so that H1 activity grows strongly year on year.
    assert 1.6 < expected["2025-H1"] / expected["2024-H1"] < 2.2


def test_south_west_share_matches_independent_count(
    sample_events: pd.DataFrame, raw_rows: list[dict[str, str]]
) -> None:
    regions = {"Kayes", "Koulikoro", "Sikasso"}
    mine = [r for r in raw_rows if _is_jnim(r["actor1"]) or _is_jnim(r["actor2"])]
    share = an.regional_share(sample_events, an.ActorRule("JNIM"), regions, "half")
    for half in ("2024-H1", "2025-H2"):
        n = sum(_half(r["event_date"]) == half for r in mine)
        k = sum(_half(r["event_date"]) == half and r["admin1"] in regions for r in mine)
        assert share.loc[half, "events"] == n and share.loc[half, "in_regions"] == k
        assert share.loc[half, "share_pct"] == pytest.approx(100 * k / n)
    assert share.loc["2024-H1", "share_pct"] < 10 < 15 < share.loc["2025-H2", "share_pct"]


def test_keyword_search_matches_independent_word_scan(
    sample_events: pd.DataFrame, raw_rows: list[dict[str, str]]
) -> None:
    words = ("tanker", "fuel", "citerne", "convoy")
    expected = sum(
        any(tok.startswith(words) for tok in re.split(r"[^a-z]+", r["notes"].lower()))
        for r in raw_rows
    )
    assert len(an.keyword_search(sample_events, list(words))) == expected > 50


def test_periods_movers_on_a_hand_made_table() -> None:
    dates = pd.to_datetime(
        ["2025-01-05", "2025-01-06", "2025-01-12", "2025-03-01", "2025-07-01", "2025-07-02"]
    )
    events = pd.DataFrame(
        {"event_date": dates, "admin1": ["Kayes", "Kayes", "Mopti", "Mopti", "Kayes", "Kayes"]}
    )
    weeks = an.period_label(events["event_date"], "week").tolist()
    # 2025-01-05 is a Sunday (week of Monday 2024-12-30); 2025-01-06 a Monday.
    assert weeks[:3] == ["2024-12-30", "2025-01-06", "2025-01-06"]
    monthly = an.counts(events, "month", by="admin1")
    assert monthly.index.tolist() == [f"2025-0{m}" for m in range(1, 8)]
    assert monthly.loc["2025-02"].tolist() == [0, 0]  # empty month kept as zero
    assert an.counts(events, "half")["events"].tolist() == [4, 2]
    mv = an.movers(an.counts(events, "half", by="admin1"))
    assert mv.set_index("group")["change"].to_dict() == {"Kayes": 0, "Mopti": -2}
    assert mv.iloc[0]["group"] == "Mopti" and mv.iloc[0]["change_pct"] == -100.0


def test_a_period_is_complete_only_when_the_data_reach_its_last_day() -> None:
    from siegeline.events.analytics import period_is_complete

    assert period_is_complete(pd.Timestamp("2025-11-30"), "month")
    assert not period_is_complete(pd.Timestamp("2025-11-20"), "month")
    assert period_is_complete(pd.Timestamp("2025-12-31"), "half")
    assert not period_is_complete(pd.Timestamp("2025-12-30"), "year")
    assert period_is_complete(pd.Timestamp("2025-11-23"), "week")  # a Sunday
