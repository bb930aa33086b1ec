"""Ingest of ACLED/UCDP CSV into the DuckDB store: parsing rules, line numbers, upserts,
deletions and transactional writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest

from acled_sample import SAMPLE_PATH
from siegeline.events import store
from siegeline.events.ingest import (
    IngestError,
    ParsedEvents,
    parse_csv,
    parse_csv_text,
    rejection_counts,
)
from siegeline.events.schema import ACLED_COLUMNS, UCDP_GED_COLUMNS


def acled_row(**over: str) -> dict[str, str]:
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update(
        event_id_cnty="MLI1",
        event_date="2025-05-16",
        year="2025",
        time_precision="1",
        disorder_type="Political violence",
        event_type="Violence against civilians",
        sub_event_type="Attack",
        actor1="JNIM: Group for Support of Islam and Muslims",
        inter1="Rebel group",
        actor2="Civilians (Mali)",
        inter2="Civilians",
        interaction="Rebel group-Civilians",
        civilian_targeting="Civilian targeting",
        iso="466",
        region="Western Africa",
        country="Mali",
        admin1="Kayes",
        location="Kayes",
        latitude="14.45",
        longitude="-11.44",
        geo_precision="1",
        source="Radio A; Radio B",
        source_scale="Local partner-National",
        notes="Fuel tankers burned.",
        fatalities="2",
        timestamp="1747440000",
    )
    row.update(over)
    return row


def acled_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(ACLED_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def test_sample_has_exact_acled_columns_and_is_labelled_synthetic() -> None:
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert tuple(header) == ACLED_COLUMNS and len(header) == 31
    assert 2000 <= len(rows) <= 10000
    notes, source = header.index("notes"), header.index("source")
    assert all("SYNTHETIC" in r[notes] and "SYNTHETIC" in r[source] for r in rows)
    parsed = parse_csv(SAMPLE_PATH)
    assert parsed.problems == [] and len(parsed.records) == len(rows)


def test_dates_codes_and_multi_values_are_normalised() -> None:
    text = acled_csv(
        [
            acled_row(),
            acled_row(
                event_id_cnty="MLI2",
                event_date="16 May 2025",
                inter1="2",
                inter2="7",
                interaction="27",
                tags="crowd size=no report",
            ),
            acled_row(event_id_cnty="MLI3", inter1="2", inter2="", interaction="20", actor2=""),
        ]
    )
    parsed = parse_csv_text(text)
    assert parsed.problems == []
    a, b, c = parsed.records
    assert a["event_date"] == b["event_date"] == dt.date(2025, 5, 16)
    assert (b["inter1"], b["inter2"], b["interaction"]) == (
        "Rebel group",
        "Civilians",
        "Rebel group-Civilians",
    )
    assert c["interaction"] == "Rebel group only" and c["inter2"] is None
    assert a["source"] == ["Radio A", "Radio B"] and b["tags"] == ["crowd size=no report"]
    assert a["iso"] == 466 and a["civilian_targeting"] is True and a["fatalities"] == 2


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    rows = [
        acled_row(event_id_cnty="MLI1", notes="multi\nline note"),  # lines 2-3
        acled_row(event_id_cnty="MLI2", event_date="31 Feb 2025"),  # line 4
        acled_row(event_id_cnty="MLI3", latitude="95"),  # line 5
        acled_row(event_id_cnty="MLI4", fatalities="-1"),  # line 6
        acled_row(event_id_cnty="MLI5", inter1="12"),  # line 7
        acled_row(event_id_cnty="MLI1"),  # line 8, duplicate of line 2
        acled_row(event_id_cnty="MLI6", year="2024"),  # line 9
    ]
    text = acled_csv(rows) + "MLI7,2025-01-01,2025\n"  # line 10: too few fields
    parsed = parse_csv_text(text)
    got = {p.line: p.message for p in parsed.problems}
    assert sorted(got) == [4, 5, 6, 7, 8, 9, 10]
    assert "date" in got[4] and "latitude" in got[5] and "fatalities" in got[6]
    assert "line 2" in got[8] and "31 fields" in got[10]
    assert [r["source_id"] for r in parsed.records] == ["MLI1"]
    assert parsed.rows_read == 8


def test_missing_columns_and_unknown_format_raise() -> None:
    with pytest.raises(IngestError, match="missing ACLED columns: .*fatalities"):
        parse_csv_text("event_id_cnty,event_date\nX,2025-01-01\n")
    with pytest.raises(IngestError, match="not an ACLED export"):
        parse_csv_text("a,b\n1,2\n")


def test_upsert_updates_instead_of_duplicating_and_applies_deletions(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = parse_csv_text(acled_csv([acled_row(), acled_row(event_id_cnty="MLI2")]))
    with store.connect(db) as con:
        s1 = store.write_events(con, first, "v1")
        assert (s1.inserted, s1.updated) == (2, 0)
        changed = parse_csv_text(
            acled_csv(
                [
                    acled_row(fatalities="9", timestamp="1747540000"),
                    acled_row(event_id_cnty="MLI2"),
                    acled_row(event_id_cnty="MLI3"),
                ]
            )
        )
        s2 = store.write_events(con, changed, "v2", deletions=[("MLI2", 1747490000)])
        assert (s2.inserted, s2.updated, s2.unchanged, s2.deleted) == (1, 1, 1, 1)
        rows = con.execute("SELECT source_id, fatalities FROM events ORDER BY source_id").fetchall()
        assert rows == [("MLI1", 9), ("MLI3", 2)]
        # An older copy of a deleted event is not brought back; a newer revision is.
        again = parse_csv_text(acled_csv([acled_row(event_id_cnty="MLI2")]))
        assert store.write_events(con, again, "v3").skipped_deleted == 1
        newer = parse_csv_text(acled_csv([acled_row(event_id_cnty="MLI2", timestamp="1747500000")]))
        assert store.write_events(con, newer, "v4").inserted == 1
        assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 3
        assert con.execute("SELECT count(*) FROM event_ingests").fetchall()[0][0] == 4


def test_failed_write_leaves_no_half_state(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    good = parse_csv_text(acled_csv([acled_row()]))
    with store.connect(db) as con:
        store.write_events(con, good, "ok")
        bad = ParsedEvents("acled", records=[dict(good.records[0], event_date="not a date")])
        with pytest.raises(Exception):  # noqa: B017 - any conversion error must roll back
            store.write_events(con, bad, "bad", deletions=[("MLI1", None)])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM event_ingests").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM event_deletions").fetchall()[0][0] == 0
    con.close()


def ucdp_row(**over: str) -> dict[str, str]:
    row = dict.fromkeys(UCDP_GED_COLUMNS, "")
    row.update(
        id="512345",
        year="2024",
        type_of_violence="3",
        side_a="JNIM",
        side_b="Civilians",
        source_office="AFP;Reuters",
        source_headline="Attack on village",
        where_prec="1",
        where_coordinates="Diema town",
        adm_1="Kayes region",
        adm_2="Diema cercle",
        latitude="14.54",
        longitude="-9.19",
        country="Mali",
        region="Africa",
        date_prec="1",
        date_start="2024-03-05 00:00:00.000",
        date_end="2024-03-05 00:00:00.000",
        best="7",
        high="9",
        low="5",
    )
    row.update(over)
    return row


def test_ucdp_ged_rows_are_normalised_and_upserted(tmp_path: Path) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(UCDP_GED_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows([ucdp_row(),
                 ucdp_row(id="512346", type_of_violence="1", best="3", low="3", high="4")])
    parsed = parse_csv_text(buf.getvalue())
    assert parsed.dataset == "ucdp" and parsed.problems == []
    rec = parsed.records[0]
    assert rec["event_uid"] == "ucdp:512345" and rec["event_date"] == dt.date(2024, 3, 5)
    assert rec["event_type"] == "Violence against civilians" and rec["civilian_targeting"]
    assert rec["fatalities"] == 7 and rec["source"] == ["AFP", "Reuters"]
    assert parsed.records[1]["event_type"] == "Battles"
    with store.connect(tmp_path / "s.duckdb") as con:
        store.write_events(con, parsed, "ged")
        store.write_events(con, parsed, "ged again")
        assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 2


def test_store_path_defaults_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert store.default_store_path() == tmp_path / "siegeline-runs" / "siegeline.duckdb"
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "x.duckdb"))
    assert store.default_store_path() == tmp_path / "x.duckdb"


@pytest.mark.parametrize(("over", "message"), [
    ({"event_date": "2031-03-02", "year": "2031"}, "in the future"),
    ({"event_date": "2099-01-01", "year": "2099"}, "in the future"),
    ({"event_date": "1950-01-01", "year": "1950"}, "before ACLED's coverage"),
    ({"event_type": "Alien invasion"}, "not in ACLED's codebook"),
    ({"admin1": ""}, "admin1 is empty"),
    ({"latitude": "-11.44", "longitude": "14.45"}, "look swapped"),
    ({"latitude": "5.6", "longitude": "-0.2"}, "lies outside Mali"),  # Accra
    ({"sub_event_type": "Armed clash"}, "is not one of 'Violence against civilians'"),
    ({"sub_event_type": ""}, "sub_event_type None is not one of"),
    ({"inter1": "Alien forces"}, "actor type 'Alien forces' is not in ACLED's codebook"),
    ({"interaction": "State forces-Civilians"}, "does not match inter1 'Rebel group'"),
    ({"interaction": "Rebel group only"}, "does not match inter1"),
    ({"interaction": "Rebel group-Aliens"}, "interaction 'Rebel group-Aliens' is not in"),
    ({"inter1": "2", "inter2": "7", "interaction": "17"}, "does not match inter1"),
    ({"event_date": "2025-05-20"}, "after the row was recorded"),
])
def test_impossible_rows_are_rejected_with_their_line(over, message) -> None:
    """A date no event can have, an event type outside the codebook or an empty admin1 is
    refused with the line it is on; the good rows around it are kept."""
    text = acled_csv([acled_row(event_id_cnty="MLI1"), acled_row(event_id_cnty="MLI2", **over),
                      acled_row(event_id_cnty="MLI3")])
    parsed = parse_csv_text(text, "t.csv")
    assert [r["source_id"] for r in parsed.records] == ["MLI1", "MLI3"]
    assert len(parsed.problems) == 1 and parsed.problems[0].line == 3
    assert message in str(parsed.problems[0])


def test_an_older_copy_never_overwrites_a_newer_version(tmp_path: Path) -> None:
    """Re-ingesting an older export (smaller ``timestamp``) leaves the newer version stored and
    says so; a newer one still replaces it."""
    db = tmp_path / "s.duckdb"
    with store.connect(db) as con:
        store.write_events(con, parse_csv_text(acled_csv([acled_row(
            fatalities="7", timestamp="1747200000", event_date="2025-05-10")])), "new")
        old = store.write_events(con, parse_csv_text(acled_csv([acled_row(
            fatalities="2", timestamp="1747000000", event_date="2025-05-10")])), "old")
        assert (old.skipped_stale, old.updated, old.inserted) == (1, 0, 0)
        assert con.execute("SELECT fatalities FROM events").fetchall() == [(7,)]
        newer = store.write_events(con, parse_csv_text(acled_csv([acled_row(
            fatalities="9", timestamp="1747300000", event_date="2025-05-10")])), "newer")
        assert (newer.skipped_stale, newer.updated) == (0, 1)
        assert con.execute("SELECT fatalities FROM events").fetchall() == [(9,)]


@pytest.mark.parametrize(("lat", "lon", "country", "iso"), [
    ("14.47", "-12.19", "Mali", "466"),  # Diboli, on the Senegal border
    ("11.95", "-8.78", "Mali", "466"),  # Kouremale, on the Guinea border
    ("26.2", "50.6", "Bahrain", "48"),  # too small for the 1:110m outlines: not checked
])
def test_points_on_a_border_or_without_an_outline_are_kept(lat: str, lon: str, country: str,
                                                           iso: str) -> None:
    parsed = parse_csv_text(acled_csv([acled_row(latitude=lat, longitude=lon, country=country,
                                                 iso=iso)]))
    assert not parsed.problems and len(parsed.records) == 1


# (country as ACLED names it, ISO numeric, latitude, longitude of a town in it)
FAR_AWAY = [("Chad", "148", "12.11", "15.04"),  # N'Djamena
            ("Colombia", "170", "4.71", "-74.07"),  # Bogota
            ("Peru", "604", "-12.05", "-77.04"),  # Lima
            ("Ivory Coast", "384", "5.36", "-4.01"),  # Abidjan, ACLED's name for Cote d'Ivoire
            ("Democratic Republic of Congo", "180", "-1.68", "29.22"),  # Goma
            ("Somalia", "706", "9.56", "44.06")]  # Hargeisa: ACLED's Somalia has Somaliland


@pytest.mark.parametrize(("country", "iso", "lat", "lon"), FAR_AWAY)
def test_any_country_is_checked_and_swapped_coordinates_are_named(country, iso, lat,
                                                                   lon) -> None:
    """Coordinates are checked against the country's own outline wherever it lies (the
    packaged outlines used to cover West Africa only): good ones are kept, swapped ones are
    named as such."""
    good = parse_csv_text(acled_csv([acled_row(country=country, iso=iso, latitude=lat,
                                               longitude=lon)]))
    assert not good.problems and len(good.records) == 1
    swapped = parse_csv_text(acled_csv([acled_row(country=country, iso=iso, latitude=lon,
                                                  longitude=lat)]))
    assert not swapped.records and swapped.problems[0].reason == "swapped coordinates"


def test_a_point_in_the_wrong_country_is_refused_by_name_or_iso_code() -> None:
    """Bamako's coordinates under Peru are refused; an unknown spelling of the name falls back
    on ACLED's ISO numeric code."""
    rows = [acled_row(event_id_cnty="A", country="Peru", iso="604"),
            acled_row(event_id_cnty="B", country="Republica del Peru", iso="604")]
    parsed = parse_csv_text(acled_csv(rows))
    assert not parsed.records
    assert [p.reason for p in parsed.problems] == ["outside the country"] * 2


@pytest.mark.parametrize(("over", "reason"), [
    ({"type_of_violence": "4"}, "unknown type_of_violence"),
    ({"where_prec": "8"}, "bad where_prec"),
    ({"date_prec": "0"}, "bad date_prec"),
    ({"best": "12"}, "best outside low-high"),
    ({"deaths_a": "1", "deaths_civilians": "5"}, "deaths do not add up to best"),
    ({"date_end": "2024-03-01 00:00:00.000"}, "date_end before date_start"),
])
def test_ucdp_rows_outside_the_codebook_are_rejected_with_their_reason(over, reason) -> None:
    """UCDP GED rows are checked against its codebook (violence type, precision codes, deaths
    estimates); a row whose deaths by side add up to best passes."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(UCDP_GED_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows([ucdp_row(deaths_a="2", deaths_civilians="5"), ucdp_row(id="2", **over)])
    parsed = parse_csv_text(buf.getvalue())
    assert [r["source_id"] for r in parsed.records] == ["512345"]
    assert [(p.line, p.reason) for p in parsed.problems] == [(3, reason)]


def test_rejections_are_counted_by_reason() -> None:
    rows = [acled_row(event_id_cnty="A", sub_event_type="Grenade"),
            acled_row(event_id_cnty="B", admin1=""),
            acled_row(event_id_cnty="C", sub_event_type="Mob violence"),
            acled_row(event_id_cnty="D")]
    parsed = parse_csv_text(acled_csv(rows) + "E,2025-01-01\n")
    assert rejection_counts(parsed.problems) == [
        ("unknown sub_event_type", 2), ("empty admin1", 1), ("wrong field count", 1)]


def test_the_sample_generator_is_a_tool_outside_the_package(tmp_path: Path) -> None:
    """The synthetic sample's generator lives in tools/ (a fixture builder, not part of the
    monitor) and still rebuilds the packaged sample byte for byte."""
    import importlib.util
    import subprocess
    import sys

    assert importlib.util.find_spec("siegeline.events.synthetic") is None
    tool = Path(__file__).resolve().parents[1] / "tools" / "make_acled_sample.py"
    out = tmp_path / "sample.csv"
    subprocess.run([sys.executable, str(tool), str(out)], check=True, capture_output=True)
    assert out.read_bytes() == SAMPLE_PATH.read_bytes()
