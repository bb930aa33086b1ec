"""Counts, trends, movers, regional shares and keyword search over the events table.

Actor matching is an explicit :class:`ActorRule`; see docs/monitor.md for the rule in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from siegeline.events.schema import GROUP_COLUMNS, MEASURES, PERIODS

Period = Literal["week", "month", "quarter", "half", "year"]
Measure = Literal["events", "fatalities"]
JNIM_NAME = "JNIM: Group for Support of Islam and Muslims"


@dataclass(frozen=True)
class ActorRule:
    """Which events count as an actor's.

    An actor field (actor1, actor2 and, with ``include_associated``, the associated actors) is
    split into parts on ``" and/or "``. A part matches when, ignoring case, it equals ``name``, or
    it starts with ``name`` followed by ``":"`` (so ``JNIM`` matches ``JNIM: Group for Support
    of Islam and Muslims``). A combined name ("A and/or B") matches only when ``and_or`` is
    ``"include"``.
    """

    name: str
    fields: tuple[str, ...] = ("actor1", "actor2")
    include_associated: bool = False
    and_or: Literal["include", "exclude"] = "include"

    def part_matches(self, part: str) -> bool:
        part, name = part.strip().casefold(), self.name.strip().casefold()
        return part == name or part.startswith(name + ":")

    def value_matches(self, value: object) -> bool:
        if not isinstance(value, str) or not value:
            return False
        parts = value.split(" and/or ")
        if len(parts) > 1 and self.and_or == "exclude":
            return False
        return any(self.part_matches(p) for p in parts)

    def _any_matches(self, values: object) -> bool:
        return values is not None and any(self.value_matches(v) for v in values)

    def mask(self, events: pd.DataFrame) -> pd.Series:
        """Boolean mask of the events this rule attributes to the actor."""
        hit = pd.Series(False, index=events.index)
        for col in self.fields:
            hit |= events[col].map(self.value_matches).astype(bool)
        if self.include_associated:
            for col in ("assoc_actor_1", "assoc_actor_2"):
                hit |= events[col].map(self._any_matches).astype(bool)
        return hit


def period_label(dates: pd.Series, period: Period) -> pd.Series:
    """Period of each date: weeks start on Monday (labelled by that Monday), halves are H1/H2."""
    dates = pd.to_datetime(dates)
    if period == "week":
        return (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    if period == "month":
        return dates.dt.strftime("%Y-%m")
    if period == "quarter":
        return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)
    if period == "half":
        return dates.dt.year.astype(str) + "-H" + np.where(dates.dt.month <= 6, "1", "2")
    if period == "year":
        return dates.dt.year.astype(str)
    raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")


def all_periods(start: pd.Timestamp, end: pd.Timestamp, period: Period) -> list[str]:
    """Every period label from ``start`` to ``end`` (so empty periods show as zero)."""
    days = pd.Series(pd.date_range(start.normalize(), end.normalize(), freq="D"))
    return list(dict.fromkeys(period_label(days, period)))


def period_is_complete(last_day: pd.Timestamp, period: Period) -> bool:
    """Whether data ending on ``last_day`` covers the whole period that day falls in."""
    days = pd.Series(pd.to_datetime([last_day, last_day + pd.Timedelta(days=1)]))
    first, after = period_label(days, period)
    return first != after


def filter_events(
    events: pd.DataFrame,
    *,
    actor: ActorRule | None = None,
    event_types: Sequence[str] | None = None,
    sub_event_types: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """Subset of events; region names are matched against admin1, ignoring case."""
    keep = pd.Series(True, index=events.index)
    if actor is not None:
        keep &= actor.mask(events)
    if event_types:
        keep &= events["event_type"].isin(event_types)
    if sub_event_types:
        keep &= events["sub_event_type"].isin(sub_event_types)
    if regions:
        wanted = {r.casefold() for r in regions}
        keep &= events["admin1"].fillna("").str.casefold().isin(wanted)
    if start:
        keep &= events["event_date"] >= pd.Timestamp(start)
    if end:
        keep &= events["event_date"] <= pd.Timestamp(end)
    return events[keep]


def counts(
    events: pd.DataFrame,
    period: Period = "month",
    by: str | None = None,
    actor: ActorRule | None = None,
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    measure: Measure = "events",
) -> pd.DataFrame:
    """Event counts (or, with ``measure="fatalities"``, the sum of their fatalities) per period
    (rows) and, with ``by``, per group (columns).

    ``by="actor"`` with ``actor`` splits the events into that actor's and the others'; without
    one it groups them by their primary actor (actor1, the name before any ":"). Every period of
    ``span`` (default: the events' own range) appears, empty ones as zero.
    """
    if by is not None and by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_COLUMNS)}")
    labels = period_label(events["event_date"], period)
    if span is None and len(events):
        span = (events["event_date"].min(), events["event_date"].max())
    index = all_periods(*span, period) if span is not None else []
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    weight = (events["fatalities"].fillna(0) if measure == "fatalities"
              else pd.Series(1, index=events.index))
    if by is None:
        table = weight.groupby(labels).sum().rename(measure).to_frame()
    else:
        if by == "actor" and actor is None:
            groups = primary_actor(events)
        elif by == "actor":
            groups = np.where(actor.mask(events), actor.name, "others")
        else:
            groups = events[by].fillna("(none)")
        table = pd.crosstab(labels, groups, values=weight, aggfunc="sum").fillna(0)
        table.columns.name = by
    table = table.reindex(index, fill_value=0)
    table.index.name = period
    return table.astype(int)


def primary_actor(events: pd.DataFrame) -> pd.Series:
    """Each event's first actor, short name (``JNIM`` for ``JNIM: Group for Support of ...``)."""
    return events["actor1"].fillna("(none)").str.split(":").str[0].str.strip()


def movers(table: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Change between the last two periods of a counts table, per group, largest first."""
    if len(table) < 2:
        raise ValueError("movers need at least two periods")
    prev, last = table.iloc[-2], table.iloc[-1]
    out = pd.DataFrame(
        {
            "group": table.columns.astype(str),
            "previous": prev.to_numpy(),
            "last": last.to_numpy(),
        }
    )
    out["change"] = out["last"] - out["previous"]
    out["change_pct"] = 100.0 * out["change"] / out["previous"].replace(0, np.nan)
    out = (
        out.assign(size=out["change"].abs())
        .sort_values(["size", "group"], ascending=[False, True])
        .drop(columns="size")
        .reset_index(drop=True)
    )
    out.attrs["periods"] = (str(table.index[-2]), str(table.index[-1]))
    return out.head(top) if top else out


def regional_share(
    events: pd.DataFrame, actor: ActorRule, regions: Iterable[str], period: Period = "half"
) -> pd.DataFrame:
    """Per period: the actor's events, those in ``regions`` (admin1), and their share in %."""
    mine = events[actor.mask(events)]
    wanted = {r.casefold() for r in regions}
    inside = mine["admin1"].fillna("").str.casefold().isin(wanted)
    labels = period_label(mine["event_date"], period)
    span = (events["event_date"].min(), events["event_date"].max()) if len(events) else None
    index = all_periods(*span, period) if span else []
    table = pd.DataFrame(
        {
            "events": labels.value_counts().reindex(index, fill_value=0),
            "in_regions": labels[inside].value_counts().reindex(index, fill_value=0),
        }
    )
    table["share_pct"] = np.where(
        table["events"] > 0, 100.0 * table["in_regions"] / table["events"].clip(lower=1), np.nan
    )
    table.index.name = period
    return table


def keyword_search(
    events: pd.DataFrame, keywords: Sequence[str], column: str = "notes"
) -> pd.DataFrame:
    """Events whose notes contain any keyword as a word prefix, ignoring case and accents-free
    plurals (``tanker`` matches "tankers", ``citerne`` matches "citernes")."""
    if not keywords:
        raise ValueError("give at least one keyword")
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + r")", re.I)
    hits = events[column].fillna("").map(lambda text: bool(pattern.search(text)))
    out = events[hits.astype(bool)].copy()
    out["matched"] = out[column].map(
        lambda text: ", ".join(sorted({m.group(0).lower() for m in pattern.finditer(text)}))
    )
    return out
