"""The observation log: a validated CSV of dated, sourced reports to hold simulations against.

One row per report (several outlets on one event give several rows; see the packaged log's
``.md``). ``load_log`` validates every row before returning anything, so a log either loads
whole or raises one :class:`ObservationLogError` naming the line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from siegeline.scenario.schema import OBSERVATION_LOGS

COLUMNS = ("date", "end_date", "kind", "place", "latitude", "longitude", "corridor", "value",
           "low", "high", "unit", "source", "url", "confidence", "note")
KINDS = ("attack", "convoy_arrival", "imports", "price_informal", "price_official",
         "stations_open", "power_hours", "school_closure", "ban", "escort_policy", "other")
CONFIDENCES = ("low", "medium", "high")  # in increasing order
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PACKAGED = OBSERVATION_LOGS

Kind = Literal["attack", "convoy_arrival", "imports", "price_informal", "price_official",
               "stations_open", "power_hours", "school_closure", "ban", "escort_policy", "other"]


class ObservationLogError(ValueError):
    """A log that cannot be read: the message names the file, the line and the field."""


class Observation(BaseModel):
    """One row of the log. Blank cells are ``None``; numbers are floats."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    end_date: dt.date | None = None
    kind: Kind
    place: str = Field(min_length=1)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    corridor: str = Field(min_length=1)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    source: str = Field(min_length=1)
    url: str = ""
    confidence: Literal["high", "medium", "low"]
    note: str = ""

    @field_validator("date", "end_date", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> object:
        # Only YYYY-MM-DD: pydantic would also take timestamps and other spellings.
        if isinstance(v, str):
            try:
                if ISO_DATE.fullmatch(v):
                    return dt.date.fromisoformat(v)
            except ValueError:
                pass
            raise ValueError(f"{v!r} is not an ISO date (YYYY-MM-DD)")
        return v

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("date")
        if v is not None and start is not None and v < start:
            raise ValueError(f"end_date {v} is before date {start}")
        return v

    @field_validator("longitude")
    @classmethod
    def _both_coordinates(cls, v: float | None, info: ValidationInfo) -> float | None:
        if (v is None) != (info.data.get("latitude") is None) and "latitude" in info.data:
            raise ValueError("latitude and longitude must be given together")
        return v

    @field_validator("low")
    @classmethod
    def _low_not_above_value(cls, v: float | None, info: ValidationInfo) -> float | None:
        value = info.data.get("value")
        if v is not None and value is not None and v > value:
            raise ValueError(f"low {v:g} is above value {value:g}")
        return v

    @field_validator("high")
    @classmethod
    def _high_not_below(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is None:
            return v
        for other in ("low", "value"):
            x = info.data.get(other)
            if x is not None and v < x:
                raise ValueError(f"high {v:g} is below {other} {x:g}")
        return v

    @field_validator("url")
    @classmethod
    def _web_address(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return v


def log_path(path_or_name: str | os.PathLike[str]) -> Path:
    """The file behind a packaged log name (``bamako-2025``) or a path."""
    name = str(path_or_name)
    if name in PACKAGED:
        return Path(str(resources.files("siegeline") / "data" / PACKAGED[name]))
    path = Path(path_or_name)
    if not path.is_file():
        raise FileNotFoundError(f"no observation log {name!r}: not a file, and the packaged "
                                f"logs are {', '.join(PACKAGED)}")
    return path


def _row_error(label: str, line: int, exc: ValidationError) -> ObservationLogError:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "row"
    msg = err["msg"].removeprefix("Value error, ")
    return ObservationLogError(f"{label}, line {line}, field {field!r}: {msg}")


def _read_rows(path: Path) -> list[tuple[int, Observation]]:
    label = str(path)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != COLUMNS:
            raise ObservationLogError(f"{label}, line 1: the header must be {','.join(COLUMNS)}")
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if len(cells) != len(COLUMNS):
                raise ObservationLogError(f"{label}, line {start}: {len(cells)} cells, expected "
                                          f"{len(COLUMNS)}")
            data = {k: (c if c.strip() else None) for k, c in zip(COLUMNS, cells, strict=True)}
            data = {k: v for k, v in data.items() if v is not None}
            try:
                rows.append((start, Observation.model_validate(data)))
            except ValidationError as exc:
                raise _row_error(label, start, exc) from None
            start = reader.line_num + 1
    return rows


def load_log(path_or_name: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an observation log; one row per observation, in file order.

    Columns are the CSV's (dates as ``datetime64``, numbers as ``float64`` with NaN for blanks,
    ``kind`` and ``confidence`` as categoricals, confidence ordered low < medium < high) plus
    ``line``, the row's line in the file. ``attrs["source"]`` is the file read.
    """
    path = log_path(path_or_name)
    rows = _read_rows(path)
    frame = pd.DataFrame([{"line": n, **obs.model_dump()} for n, obs in rows],
                         columns=["line", *COLUMNS])
    for col in ("date", "end_date"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in ("latitude", "longitude", "value", "low", "high"):
        frame[col] = frame[col].astype("float64")
    frame["line"] = frame["line"].astype("int64")
    frame["kind"] = pd.Categorical(frame["kind"], categories=KINDS)
    frame["confidence"] = pd.Categorical(frame["confidence"], categories=CONFIDENCES,
                                         ordered=True)
    for col in ("place", "corridor", "unit", "source", "url", "note"):
        frame[col] = frame[col].astype("string")
    frame.attrs["source"] = str(path)
    return frame
