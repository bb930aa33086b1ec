"""A scenario's dated timeline and campaign regimes as rows for people: shared by
`siegeline show`, the HTML report and the dashboard's API, so all three say the same thing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from siegeline.scenario.schema import Scenario, UncertainRange

HOLD = "adversary.campaign.hold"


@dataclass(frozen=True)
class TimelineRow:
    """One timeline entry, numbered 1.. in the order it takes effect (by day, then as listed)."""

    number: int
    date: dt.date
    day: int
    changes: tuple[str, ...]  # "path = value" lines (see change_lines)
    note: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["date"] = self.date.isoformat()
        out["changes"] = list(self.changes)
        return out


def format_value(value: Any) -> str:
    """A parameter value as a person reads it: ``0.15 – 0.3 (uniform)`` for an uncertain range,
    ``12``, ``lull``, compact JSON for anything structured."""
    if isinstance(value, UncertainRange):
        value = value.model_dump()
    if _is_range(value):
        text = f"{format_value(value['low'])} – {format_value(value['high'])}"
        dist = value.get("distribution", "uniform")
        if value.get("mode") is not None:
            dist += f", mode {format_value(value['mode'])}"
        return f"{text} ({dist})"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _is_range(value: Any) -> bool:
    return isinstance(value, dict) and {"low", "high"} <= value.keys()


def change_lines(path: str, value: Any) -> list[str]:
    """``path = value`` on one line; a structured value (a corridor's policy, rationing levels)
    as ``path:`` then one indented line per field or list item, so no line grows unreadable."""
    if isinstance(value, dict) and value and not _is_range(value):
        return [f"{path}:", *(f"  {k} = {format_value(v)}" for k, v in value.items())]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [f"{path}:", *("  - " + ", ".join(f"{k} = {format_value(v)}"
                                                 for k, v in item.items()) for item in value)]
    return [f"{path} = {format_value(value)}"]


def timeline_rows(scenario: Scenario) -> list[TimelineRow]:
    """The scenario's timeline entries in the order they take effect."""
    start = scenario.simulation.start_date
    order = sorted(range(len(scenario.timeline)),
                   key=lambda i: (scenario.timeline[i].start_day(start), i))
    rows = []
    for number, i in enumerate(order, start=1):
        entry = scenario.timeline[i]
        day = entry.start_day(start)
        rows.append(TimelineRow(
            number=number, date=start + dt.timedelta(days=day), day=day,
            changes=tuple(line for path, v in entry.set.items() for line in change_lines(path, v)),
            note=entry.note, source=entry.source))
    return rows


def regime_rows(scenario: Scenario) -> list[dict[str, str]]:
    """The campaign's regimes (name, intensity multiplier, mean duration, role); [] if none."""
    campaign = scenario.adversary.campaign
    if campaign is None:
        return []
    initial = campaign.initial or campaign.regimes[0].name
    start = scenario.simulation.start_date
    held_from = [(e.start_day(start), e.set[HOLD]) for e in scenario.timeline if HOLD in e.set]
    rows = []
    for r in campaign.regimes:
        role = [w for w, on in (("initial", r.name == initial), ("held", r.name == campaign.hold))
                if on]
        role += [f"held from {start + dt.timedelta(days=day)}"
                 for day, name in sorted(held_from) if name == r.name]
        duration = r.mean_duration_days
        rows.append({"regime": r.name,
                     "intensity_multiplier": format_value(r.intensity_multiplier),
                     "mean_duration_days": "never leaves" if duration is None
                     else format_value(duration),
                     "role": ", ".join(role)})
    return rows
