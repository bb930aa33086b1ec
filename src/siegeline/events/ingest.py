"""Read ACLED exports and UCDP GED CSV files into normalised event records.

Every rejected row is reported with its line number in the file; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import shapely

from siegeline.events.schema import (
    ACLED_COLUMNS,
    ACLED_MULTI_VALUE,
    ACLED_SUB_EVENT_TYPES,
    EVENT_COLUMNS,
    INTER_CODES,
    UCDP_DATE_PREC,
    UCDP_DEATH_COLUMNS,
    UCDP_GED_COLUMNS,
    UCDP_VIOLENCE,
    UCDP_WHERE_PREC,
)
from siegeline.network.outlines import country_geometry

Dataset = Literal["acled", "ucdp"]
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%Y-%m-%d %H:%M:%S.%f")


class IngestError(ValueError):
    """A file that cannot be read at all (wrong format, missing columns)."""


class RowRejected(ValueError):
    """A row that breaks a rule; ``reason`` names the rule (rejections are counted by it)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str
    reason: str = "other"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedEvents:
    dataset: Dataset
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0

    def to_arrow(self) -> pa.Table:
        return records_to_arrow(self.records)


_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
}
ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[t]) for name, t in EVENT_COLUMNS.items()])


def records_to_arrow(records: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [r.get(name) for r in records] for name in EVENT_COLUMNS}
    return pa.table(columns, schema=ARROW_SCHEMA)


def parse_date(text: str) -> dt.date:
    """ISO dates (2025-05-16) and ACLED's day-month-year form (16 May 2025)."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowRejected("unreadable date",
                      f"unreadable date {text!r} (expected 2025-05-16 or 16 May 2025)")


# ACLED's codebook: the six event types.
ACLED_EVENT_TYPES = frozenset(ACLED_SUB_EVENT_TYPES)
ACTOR_TYPES = frozenset(label for label in INTER_CODES.values() if label)
# The first days the datasets cover (ACLED from 1997, UCDP GED from 1989).
FIRST_DAY = {"acled": dt.date(1997, 1, 1), "ucdp": dt.date(1989, 1, 1)}


def check_event_date(date: dt.date, dataset: str) -> dt.date:
    """Refuse a date no event can have: after today (a typo such as 2031 or 2099) or before
    the dataset's coverage starts."""
    if date > dt.date.today():
        raise RowRejected("date in the future", f"event date {date.isoformat()} is in the future")
    if date < FIRST_DAY[dataset]:
        raise RowRejected("date before coverage",
                          f"event date {date.isoformat()} is before {dataset.upper()}'s coverage "
                          f"starts ({FIRST_DAY[dataset].isoformat()})")
    return date


def check_date_recorded(date: dt.date, timestamp: int | None) -> None:
    """Refuse an event dated after the row was recorded (ACLED's ``timestamp``, Unix seconds).
    A day of slack allows for local dates east of UTC."""
    if timestamp is None:
        return
    recorded = dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
    if date > recorded + dt.timedelta(days=1):
        raise RowRejected("date after timestamp",
                          f"event date {date.isoformat()} is after the row was recorded "
                          f"(timestamp {timestamp} = {recorded.isoformat()})")


def actor_type(value: str) -> str:
    """An inter1/inter2 value as ACLED's text label; the old numeric codes are translated."""
    value = value.strip()
    if value.isdigit():
        code = int(value)
        if code not in INTER_CODES:
            raise RowRejected("unknown actor type", f"unknown actor-type code {value!r} "
                              "(known: 0-8)")
        return INTER_CODES[code]
    if value and value not in ACTOR_TYPES:
        raise RowRejected("unknown actor type", f"actor type {value!r} is not in ACLED's "
                          f"codebook ({', '.join(sorted(ACTOR_TYPES))})")
    return value


def interaction_label(value: str) -> str:
    """ACLED's interaction as text; old two-digit codes (e.g. 27, 20) become 'A-B' / 'A only'."""
    value = value.strip()
    if not value.isdigit():
        return value
    code = int(value)
    first, second = divmod(code, 10)
    if first not in INTER_CODES or first == 0 or code >= 90:
        raise RowRejected("unknown interaction", f"unknown interaction code {value!r}")
    if second == 0:
        return f"{INTER_CODES[first]} only"
    return f"{INTER_CODES[first]}-{INTER_CODES[second]}"


def check_interaction(interaction: str | None, inter1: str | None, inter2: str | None) -> None:
    """Refuse an interaction that is not 'A-B' or 'A only' of ACLED's actor types, or that does
    not pair the row's inter1 and inter2."""
    if not interaction:
        return
    if interaction.endswith(" only"):
        parts = [interaction.removesuffix(" only")]
    else:
        parts = interaction.split("-")
    if len(parts) > 2 or any(p not in ACTOR_TYPES for p in parts):
        raise RowRejected("unknown interaction", f"interaction {interaction!r} is not in ACLED's "
                          "codebook ('<actor type>-<actor type>' or '<actor type> only')")
    actors = [a for a in (inter1, inter2) if a]
    if sorted(parts) != sorted(actors):
        raise RowRejected("interaction does not match inter1/inter2",
                          f"interaction {interaction!r} does not match inter1 {inter1!r} and "
                          f"inter2 {inter2!r}")


def split_multi(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _int(value: str, name: str, *, minimum: int | None = None) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowRejected(f"bad {name}", f"{name} is not a number: {value!r}") from None
    if not number.is_integer():
        raise RowRejected(f"bad {name}", f"{name} must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise RowRejected(f"bad {name}", f"{name} must be >= {minimum}, got {value!r}")
    return int(number)


def _coord(value: str, name: str, bound: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise RowRejected(f"bad {name}", f"{name} is not a number: {value!r}") from None
    if not math.isfinite(number) or abs(number) > bound:
        raise RowRejected(f"bad {name}", f"{name} {value!r} is outside [-{bound:g}, {bound:g}]")
    return number


# Natural Earth 1:110m outlines cut corners of real borders by up to about 20 km, so a point
# counts as inside a country when it lies within this many degrees (~28 km) of its outline.
OUTLINE_TOLERANCE_DEG = 0.25


@functools.lru_cache(maxsize=512)
def widened_outline(country: str | None, iso_n3: int | None = None) -> Any:
    """The country's packaged outline (any country: :mod:`siegeline.network.outlines`, by name
    or ACLED's ISO numeric code), widened by the tolerance and prepared for point tests; None
    when no outline is known."""
    outline = country_geometry(country, iso_n3)
    if outline is None:
        return None
    outline = shapely.buffer(outline, OUTLINE_TOLERANCE_DEG)
    shapely.prepare(outline)
    return outline


def check_in_country(latitude: float, longitude: float, country: str | None,
                     iso_n3: int | None = None) -> None:
    """Refuse a point outside its row's country, naming swapped coordinates as such. Countries
    without a packaged outline are not checked."""
    outline = widened_outline(country, iso_n3)
    if outline is None or shapely.contains_xy(outline, longitude, latitude):
        return
    if shapely.contains_xy(outline, latitude, longitude):
        raise RowRejected("swapped coordinates",
                          f"latitude {latitude:g} and longitude {longitude:g} look swapped "
                          f"(latitude {longitude:g}, longitude {latitude:g} lies in {country})")
    raise RowRejected("outside the country",
                      f"latitude {latitude:g}, longitude {longitude:g} lies outside {country}")


def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


def acled_record(row: Mapping[str, str]) -> dict[str, Any]:
    """One ACLED CSV row as a normalised record; raises ValueError naming the bad field."""
    event_id = row["event_id_cnty"].strip()
    if not event_id:
        raise RowRejected("empty event_id_cnty", "event_id_cnty is empty")
    date = check_event_date(parse_date(row["event_date"]), "acled")
    year = _int(row["year"], "year")
    if year is not None and year != date.year:
        raise RowRejected("year does not match date",
                          f"year {year} does not match event_date {date.isoformat()}")
    rec: dict[str, Any] = {
        "event_uid": f"acled:{event_id}",
        "dataset": "acled",
        "source_id": event_id,
        "event_date": date,
        "year": date.year,
        "time_precision": _int(row["time_precision"], "time_precision", minimum=1),
        "inter1": actor_type(row["inter1"]) or None,
        "inter2": actor_type(row["inter2"]) or None,
        "interaction": interaction_label(row["interaction"]) or None,
        "civilian_targeting": bool(row["civilian_targeting"].strip()),
        "iso": _int(row["iso"], "iso", minimum=0),
        "latitude": _coord(row["latitude"], "latitude", 90),
        "longitude": _coord(row["longitude"], "longitude", 180),
        "geo_precision": _int(row["geo_precision"], "geo_precision", minimum=1),
        "fatalities": _int(row["fatalities"], "fatalities", minimum=0) or 0,
        "timestamp": _int(row["timestamp"], "timestamp", minimum=0),
    }
    for name in (
        "disorder_type",
        "event_type",
        "sub_event_type",
        "actor1",
        "actor2",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "source_scale",
        "notes",
    ):
        rec[name] = _text(row[name])
    for name in ACLED_MULTI_VALUE:
        rec[name] = split_multi(row[name])
    check_event_type(rec["event_type"], rec["sub_event_type"])
    check_interaction(rec["interaction"], rec["inter1"], rec["inter2"])
    check_date_recorded(date, rec["timestamp"])
    if not rec["actor1"]:
        raise RowRejected("empty actor1", "actor1 is empty")
    if not rec["admin1"]:
        raise RowRejected("empty admin1", "admin1 is empty")
    check_in_country(rec["latitude"], rec["longitude"], rec["country"], rec["iso"])
    return rec


def check_event_type(event_type: str | None, sub_event_type: str | None) -> None:
    """Refuse an event type outside ACLED's six, or a sub-event type not of that event type."""
    if not event_type:
        raise RowRejected("unknown event_type", "event_type is empty")
    if event_type not in ACLED_EVENT_TYPES:
        raise RowRejected("unknown event_type",
                          f"event_type {event_type!r} is not in ACLED's codebook "
                          f"({', '.join(sorted(ACLED_EVENT_TYPES))})")
    allowed = ACLED_SUB_EVENT_TYPES[event_type]
    if sub_event_type not in allowed:
        raise RowRejected("unknown sub_event_type",
                          f"sub_event_type {sub_event_type!r} is not one of {event_type!r} in "
                          f"ACLED's codebook ({', '.join(sorted(allowed))})")


def _ucdp_precision(date_prec: int | None) -> int | None:
    # UCDP 1 = exact day, 2-3 = within a week/few days, 4-5 = month or longer; ACLED uses 1-3.
    if date_prec is None:
        return None
    return 1 if date_prec == 1 else (2 if date_prec <= 3 else 3)


def _ucdp_code(row: Mapping[str, str], name: str, allowed: range) -> int | None:
    code = _int(row[name], name)
    if code is not None and code not in allowed:
        raise RowRejected(f"bad {name}", f"{name} must be {allowed.start}-{allowed.stop - 1} "
                          f"(UCDP's codebook), got {row[name]!r}")
    return code


def check_ucdp_deaths(row: Mapping[str, str]) -> int:
    """UCDP's best estimate, refused unless low <= best <= high and the deaths by side (where
    given) add up to it."""
    best = _int(row["best"], "best", minimum=0) or 0
    low = _int(row["low"], "low", minimum=0)
    high = _int(row["high"], "high", minimum=0)
    if (low is not None and low > best) or (high is not None and high < best):
        raise RowRejected("best outside low-high",
                          f"best {best} is outside low {low} - high {high}")
    sides = [_int(row[c], c, minimum=0) for c in UCDP_DEATH_COLUMNS]
    if any(s is not None for s in sides) and sum(s or 0 for s in sides) != best:
        raise RowRejected("deaths do not add up to best",
                          f"deaths by side ({', '.join(str(s or 0) for s in sides)}) do not "
                          f"add up to best {best}")
    return best


def ucdp_record(row: Mapping[str, str]) -> dict[str, Any]:
    """One UCDP GED row as a normalised record (fatalities = UCDP's best estimate)."""
    event_id = row["id"].strip()
    if not event_id:
        raise RowRejected("empty id", "id is empty")
    date = check_event_date(parse_date(row["date_start"].split(" ")[0]), "ucdp")
    if row["date_end"].strip() and parse_date(row["date_end"].split(" ")[0]) < date:
        raise RowRejected("date_end before date_start",
                          f"date_end {row['date_end'].strip()!r} is before date_start")
    violence = _int(row["type_of_violence"], "type_of_violence")
    if violence not in UCDP_VIOLENCE:
        raise RowRejected("unknown type_of_violence", "type_of_violence must be 1, 2 or 3, got "
                          f"{row['type_of_violence']!r}")
    event_type, civilians = UCDP_VIOLENCE[violence]
    best = check_ucdp_deaths(row)
    latitude = _coord(row["latitude"], "latitude", 90)
    longitude = _coord(row["longitude"], "longitude", 180)
    check_in_country(latitude, longitude, _text(row["country"]))
    return {
        "event_uid": f"ucdp:{event_id}",
        "dataset": "ucdp",
        "source_id": event_id,
        "event_date": date,
        "year": date.year,
        "time_precision": _ucdp_precision(_ucdp_code(row, "date_prec", UCDP_DATE_PREC)),
        "disorder_type": "Political violence",
        "event_type": event_type,
        "sub_event_type": None,
        "actor1": _text(row["side_a"]),
        "assoc_actor_1": [],
        "inter1": None,
        "actor2": _text(row["side_b"]),
        "assoc_actor_2": [],
        "inter2": None,
        "interaction": None,
        "civilian_targeting": civilians,
        "iso": None,  # UCDP's country_id is a Gleditsch-Ward code, not ISO 3166
        "region": _text(row["region"]),
        "country": _text(row["country"]),
        "admin1": _text(row["adm_1"].split(" province")[0]),
        "admin2": _text(row["adm_2"]),
        "admin3": None,
        "location": _text(row["where_coordinates"]),
        "latitude": latitude,
        "longitude": longitude,
        "geo_precision": _ucdp_code(row, "where_prec", UCDP_WHERE_PREC),
        "source": split_multi(row["source_office"]),
        "source_scale": None,
        "notes": _text(row["source_headline"]),
        "fatalities": best,
        "tags": [],
        "timestamp": None,
    }


def detect_dataset(header: Iterable[str]) -> Dataset:
    names = set(header)
    if "event_id_cnty" in names:
        return "acled"
    if {"id", "side_a", "date_start"} <= names:
        return "ucdp"
    raise IngestError(
        "not an ACLED export (no event_id_cnty column) "
        "nor a UCDP GED file (no id/side_a/date_start columns)"
    )


def parse_csv_text(text: str, label: str = "input") -> ParsedEvents:
    """Parse an ACLED or UCDP GED CSV document; bad rows go to ``problems`` with line numbers."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    if reader.fieldnames is None:
        raise IngestError(f"{label} is empty")
    header = [h.strip() for h in reader.fieldnames]
    reader.fieldnames = header
    dataset = detect_dataset(header)
    expected = ACLED_COLUMNS if dataset == "acled" else UCDP_GED_COLUMNS
    missing = [c for c in expected if c not in header]
    if missing:
        raise IngestError(f"{label}: missing {dataset.upper()} columns: {', '.join(missing)}")
    convert = acled_record if dataset == "acled" else ucdp_record
    out = ParsedEvents(dataset)
    seen: dict[str, int] = {}
    end_of_previous = reader.line_num
    for row in reader:
        line = end_of_previous + 1
        end_of_previous = reader.line_num
        out.rows_read += 1
        if None in row or any(v is None for v in row.values()):
            out.problems.append(RowProblem(line, f"expected {len(header)} fields",
                                           "wrong field count"))
            continue
        try:
            rec = convert(row)
        except ValueError as exc:
            out.problems.append(_problem(line, exc))
            continue
        uid = rec["event_uid"]
        if uid in seen:
            out.problems.append(RowProblem(
                line, f"duplicate id {rec['source_id']} (also on line {seen[uid]})",
                "duplicate id"))
            continue
        seen[uid] = line
        out.records.append(rec)
    return out


def _problem(line: int, exc: ValueError, prefix: str = "") -> RowProblem:
    return RowProblem(line, prefix + str(exc), getattr(exc, "reason", "other"))


def rejection_counts(problems: Iterable[RowProblem]) -> list[tuple[str, int]]:
    """Rejected rows per reason, most frequent first (ties by name)."""
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.reason] = counts.get(p.reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def parse_csv(path: str | Path) -> ParsedEvents:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path} is not UTF-8 text ({exc.reason})") from None
    return parse_csv_text(text, str(path))


def parse_deleted_csv(path: str | Path) -> list[tuple[str, int | None]]:
    """ACLED's deleted-events list (columns event_id_cnty, deleted_timestamp) from a CSV file."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "event_id_cnty" not in reader.fieldnames:
            raise IngestError(f"{path}: a deletions file needs an event_id_cnty column")
        return [
            (row["event_id_cnty"].strip(), _int(row.get("deleted_timestamp") or "", "ts"))
            for row in reader
            if row["event_id_cnty"].strip()
        ]


def acled_api_records(rows: Iterable[Mapping[str, Any]]) -> ParsedEvents:
    """Normalise rows returned by the ACLED API (JSON values, same field names as the export)."""
    out = ParsedEvents("acled")
    for i, row in enumerate(rows, start=1):
        out.rows_read += 1
        as_text = {c: "" if row.get(c) is None else str(row.get(c)) for c in ACLED_COLUMNS}
        try:
            out.records.append(acled_record(as_text))
        except ValueError as exc:
            out.problems.append(_problem(i, exc, f"API row {row.get('event_id_cnty')}: "))
    return out
