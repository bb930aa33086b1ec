"""Deterministic fuzz corpus: broken scenario documents derived from the packaged bamako-2025
scenario, and broken ACLED event CSV files derived from the packaged synthetic sample.

Nothing here is committed as data: ``scenario_corpus(seed, n)`` and ``events_corpus(seed, n)``
rebuild the same cases from the same seed every time (numpy Generator streams).
Each case carries ``hints``: words of which at least one must appear in the error message (the
mutated field's name, the unknown id, or the kind of problem), so a test can check that the
message names the problem rather than just that something failed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from siegeline.scenario import load_raw

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    """One fuzz input: file bytes, file suffix, and words the error should contain."""

    name: str
    content: bytes
    suffix: str
    hints: tuple[str, ...]
    may_be_valid: bool = False


# ------------------------------------------------------------------ scenario documents
BAD_VALUES: tuple[tuple[str, Any], ...] = (
    ("string", "not-a-number"),
    ("list", [1, "two", None]),
    ("mapping", {"unexpected": 1}),
    ("null", None),
    ("bool", True),
    ("negative", -1),
    ("very-negative", -1e12),
    ("nan", math.nan),
    ("inf", math.inf),
    ("minus-inf", -math.inf),
    ("huge-float", 1e308),
    ("huge-int", 10**40),
    ("zero", 0),
    ("fraction", 0.5),
    ("empty-string", ""),
    ("date-string", "2025-02-30"),
)


def base_document() -> dict[str, Any]:
    doc = load_raw("bamako-2025")
    # The source notes are 85% of the file and plain text; a few keep that section in play
    # while keeping each case cheap to parse.
    doc["sources"] = dict(list(doc["sources"].items())[:4])
    # Likewise the posterior: its 500 rows are alike, three keep it in play.
    if doc.get("posterior"):
        doc["posterior"]["samples"] = doc["posterior"]["samples"][:3]
    # YAML anchors share one list between several places (the depots' initial_fill, the convoy
    # policies' escort ranges): a JSON copy gives every path its own value to break.
    return json.loads(json.dumps(doc))


def leaves(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path in the document (mappings, list items and scalars alike)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from leaves(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from leaves(v, (*prefix, i))


def get_at(doc: Any, path: Path_) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _hint_for(doc: Any, path: Path_) -> tuple[str, ...]:
    """Words an error about ``path`` should contain: the last named key on the path, a list
    item's index, a timeline entry's label, the name or id of each enclosing item
    (cross-reference errors name the corridor or node, e.g. "corridor 'x' passes unknown node
    'y'"), and a removed id itself."""
    names = [str(k) for k in path if isinstance(k, str)]
    words = {names[-1]} if names else set()
    if isinstance(path[-1], int) and names:
        words.add(f"{names[-1]}[{path[-1]}]")
    if path[0] == "timeline" and len(path) > 1:
        # A timeline change is checked on the scenario it produces; the error names the entry
        # ("timeline[3] (2025-10-07): corridors[1](dakar-kayes-diema).policy: ...").
        words.add(f"timeline[{path[1]}]")
    node = doc
    for key in path:
        node = node[key]
        if isinstance(node, dict):
            words.update(repr(node[k]) for k in ("name", "id", "a", "b")
                         if isinstance(node.get(k), str))
        elif isinstance(node, str) and isinstance(key, int):
            words.add(repr(node))
    return tuple(sorted(words))


def _dump(doc: Any, fmt: str) -> bytes:
    if fmt == "json":  # JSON is YAML too, and 20x faster to write than block-style YAML
        return json.dumps(doc, allow_nan=True, ensure_ascii=False, indent=1).encode()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False).encode()


def _set_value(rng: np.random.Generator, doc: dict[str, Any], paths: list[Path_]) -> Case:
    path = paths[rng.integers(len(paths))]
    label, value = BAD_VALUES[rng.integers(len(BAD_VALUES))]
    hints = _hint_for(doc, path)
    parent = get_at(doc, path[:-1])
    parent[path[-1]] = copy.deepcopy(value)
    fmt = "yaml" if rng.random() < 0.15 else "json"
    # Some replacements are legitimately valid (e.g. 0 for a share, a string for a label).
    return Case(f"set-{label}-{'.'.join(map(str, path))}", _dump(doc, fmt), f".{fmt}",
                hints, may_be_valid=True)


def _delete(rng: np.random.Generator, doc: dict[str, Any], paths: list[Path_]) -> Case:
    path = paths[rng.integers(len(paths))]
    hints = _hint_for(doc, path)
    parent = get_at(doc, path[:-1])
    if isinstance(parent, list):
        parent.pop(path[-1])
    else:
        del parent[path[-1]]
    # Deleting an optional field or one list item may leave a valid scenario.
    return Case(f"delete-{'.'.join(map(str, path))}", _dump(doc, "json"), ".json",
                hints + ("Field required",), may_be_valid=True)


def _unknown_field(rng: np.random.Generator, doc: dict[str, Any], paths: list[Path_]) -> Case:
    dicts = [p for p in paths if isinstance(get_at(doc, p), dict)] + [()]
    path = dicts[rng.integers(len(dicts))]
    get_at(doc, path)["bogus_field"] = 1
    return Case(f"extra-{'.'.join(map(str, path)) or 'root'}", _dump(doc, "json"), ".json",
                ("bogus_field",))


def _corridor_short(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    cor = doc["corridors"][rng.integers(len(doc["corridors"]))]
    cut = int(rng.integers(2, len(cor["path"])))
    cor["path"] = cor["path"][:cut]
    return Case(f"short-corridor-{cor['name']}-{cut}", _dump(doc, "json"), ".json",
                ("does not reach the city",))


def _unknown_place(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    ghost = f"atlantis-{rng.integers(1000)}"
    where = rng.integers(6)
    if where == 0:
        cor = doc["corridors"][rng.integers(len(doc["corridors"]))]
        cor["path"].insert(int(rng.integers(1, len(cor["path"]))), ghost)
    elif where == 1:
        doc["segments"][rng.integers(len(doc["segments"]))]["b"] = ghost
    elif where == 2:
        doc["city"]["node"] = ghost
    elif where == 3:
        doc["corridors"][rng.integers(len(doc["corridors"]))]["fleet"][ghost] = 10
    elif where == 4:
        doc["city"]["sectors"][rng.integers(len(doc["city"]["sectors"]))][
            "demand_litres_per_day"][ghost] = 1000.0
    else:
        doc["adversary"]["bans"] = [{"corridors": [ghost], "start_day": 0}]
    return Case(f"unknown-place-{where}", _dump(doc, "json"), ".json", (ghost,))


def _disconnect(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    """Remove the segments of one corridor's last hop: the network no longer joins it up."""
    cor = doc["corridors"][rng.integers(len(doc["corridors"]))]
    u, v = cor["path"][-2], cor["path"][-1]
    doc["segments"] = [s for s in doc["segments"] if {s["a"], s["b"]} != {u, v}]
    return Case(f"disconnect-{u}-{v}", _dump(doc, "json"), ".json", ("no segment joins",))


MALFORMED_DATES = ("2025-13-45", "2025-02-30", "yesterday", "03/09/2025", "20250903", "",
                   "2025-09-03T25:00", "9999999-01-01", "2025-9-3x")


def _bad_date(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    text = MALFORMED_DATES[rng.integers(len(MALFORMED_DATES))]
    good = _dump(doc, "json").decode()
    raw = good.replace('"start_date": "2025-09-03"', f'"start_date": {text}')
    assert raw != good
    return Case(f"date-{text!r}", raw.encode(), ".json", ("start_date",))


def _bad_bytes(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    data = bytearray(_dump(doc, "json"))
    kind = rng.integers(4)
    if kind == 0:
        at = int(rng.integers(len(data)))
        data[at:at] = bytes([0xFF, 0xFE, 0xC3])  # invalid UTF-8 sequence
        return Case(f"bad-utf8-{at}", bytes(data), ".json", ("UTF-8",))
    if kind == 1:
        return Case("utf16", _dump(doc, "json").decode().encode("utf-16"), ".json", ("UTF-8",))
    if kind == 2:
        return Case("latin1", _dump(doc, "json").decode().replace("Bamako", "Bamakö")
                    .encode("latin-1", errors="replace"), ".json", ("UTF-8",))
    at = int(rng.integers(len(data)))
    data[at:at] = b"\x00\x07"  # control characters YAML refuses
    return Case(f"control-chars-{at}", bytes(data), ".json", ("YAML", "character"))


def _truncate(rng: np.random.Generator, doc: dict[str, Any], _: list[Path_]) -> Case:
    fmt = "yaml" if rng.random() < 0.2 else "json"
    data = _dump(doc, fmt)
    cut = int(rng.integers(0, len(data)))
    # A cut YAML file is often still a mapping that lacks later fields.
    return Case(f"truncated-{fmt}-{cut}", data[:cut], f".{fmt}",
                ("YAML", "Field required", "mapping", "UTF-8", "line"), may_be_valid=True)


SHAPES: tuple[tuple[str, bytes, tuple[str, ...]], ...] = (
    ("empty", b"", ("mapping",)),
    ("list-document", b"- 1\n- 2\n", ("mapping",)),
    ("scalar-document", b"42\n", ("mapping",)),
    ("recursive-alias", b"a: &x [*x]\nname: x\n", ("a", "recursion", "recursive", "name")),
    ("tabs", b"name:\tx\n\t- bad\n", ("YAML",)),
    ("unclosed-quote", b"name: 'bamako\n", ("YAML",)),
    ("python-tag", b"name: !!python/object:os.system x\n", ("YAML", "constructor", "tag")),
    ("duplicate-anchor-bomb",
     b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
     ("Extra inputs", "a", "Field required")),
)

MUTATORS: tuple[Callable[[np.random.Generator, dict[str, Any], list[Path_]], Case], ...] = (
    _set_value, _set_value, _set_value, _set_value, _delete, _delete, _unknown_field,
    _corridor_short, _unknown_place, _disconnect, _bad_date, _bad_bytes, _truncate,
)


def scenario_corpus(seed: int, n: int) -> list[Case]:
    """``n`` distinct broken scenario files, the same for the same seed."""
    rng = np.random.default_rng(seed)
    base = base_document()
    frozen = json.dumps(base)  # a fresh copy per case: json.loads is faster than deepcopy
    paths = [p for p in leaves(base) if p[0] != "sources" or len(p) <= 2]
    cases = [Case(f"shape-{name}", data, ".yaml", hints) for name, data, hints in SHAPES]
    seen = {c.content for c in cases}
    while len(cases) < n:  # distinct files only: some mutations have few variants
        mutate = MUTATORS[rng.integers(len(MUTATORS))]
        case = mutate(rng, json.loads(frozen), paths)
        if case.content not in seen:
            seen.add(case.content)
            cases.append(case)
    return cases[:n]


# ------------------------------------------------------------------ engine edge cases
ENGINE_EDGES: tuple[tuple[str, list[str]], ...] = (
    ("zero-fleet", [f"corridors.{c}.fleet={{}}" for c in (
        "dakar-kayes-kita", "dakar-kayes-diema", "abidjan-zegoua", "abidjan-tengrela",
        "conakry-kouremale", "nouakchott-nioro")]),
    ("zero-demand-multiplier-tiny", ["city.demand_multiplier=1e-9"]),
    ("no-escorts", ["escorts.pool_size=0"]),
    ("all-free-running", [f"corridors.{c}.policy.mode=free" for c in (
        "dakar-kayes-kita", "dakar-kayes-diema", "abidjan-zegoua", "abidjan-tengrela",
        "conakry-kouremale", "nouakchott-nioro")]),
    ("certain-turnback", ["nodes.kita.checkpoint_turnback_probability=1"]),
    ("empty-depots", ["city.depots.ONAP.initial_fill=0",
                      "city.depots.ex-Mobil (Star Oil).initial_fill=0",
                      "city.depots.San Zou.initial_fill=0"]),
    ("full-depots", ["city.depots.ONAP.initial_fill=1"]),
    ("extreme-hazard", ["adversary.intensity=1e6"]),
    ("no-adversary", ["adversary.intensity=0", "adversary.growth_per_year=1e-9"]),
    ("total-ban", ["adversary.bans=[{corridors: all, start_day: 0, compliance: 1}]"]),
    ("ban-beyond-horizon", ["adversary.bans=[{corridors: all, start_day: 100000}]"]),
    ("no-drivers", ["corridors.dakar-kayes-kita.drivers=0", "drivers.willingness_max=0"]),
    ("one-station", ["stations.count=1", "stations.pumps_per_station=1"]),
    ("no-sector-demand", ["city.sectors.power.demand_litres_per_day={}"]),
    ("huge-convoys", ["corridors.dakar-kayes-kita.policy.max_size=2000",
                      "corridors.dakar-kayes-kita.policy.interval_days=60"]),
    ("no-order-weight-but-one", ["corridors.dakar-kayes-kita.order_share=0"]),
    ("tiny-tankers", ["products.diesel.tanker_capacity_litres=1e-6"]),
    ("zero-panic-cover", ["city.panic_cover_days=0", "city.stockout_unserved_share=0"]),
    ("no-rationing", ["city.rationing=[]"]),
    ("no-fear", ["drivers.fear_sensitivity=0", "drivers.fear_memory_days=1e-6"]),
    ("long-slow-road", ["segments.0.speed_km_per_day=1e-3"]),
)


# ------------------------------------------------------------------ event CSV files
def _sample_csv() -> str:
    folder = resources.files("siegeline.events") / "samples"
    return (folder / "acled_mali_synthetic_2024_2025.csv").read_text(encoding="utf-8")


def csv_sample(rows: int) -> str:
    """The header and first ``rows`` rows of the packaged synthetic ACLED sample."""
    return "\n".join(_sample_csv().splitlines()[: rows + 1]) + "\n"


def _swap_field(rng: np.random.Generator, lines: list[str], column: str, value: str) -> str:
    header = next(csv.reader([lines[0]]))
    idx = header.index(column)
    row_no = int(rng.integers(1, len(lines)))
    row = next(csv.reader([lines[row_no]]))
    row[idx] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(row)
    lines = list(lines)
    lines[row_no] = buf.getvalue()
    return "\n".join(lines) + "\n"


BAD_EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("event_date", "2025-02-30"), ("event_date", "not a date"), ("event_date", ""),
    ("event_date", "31/12/2024"), ("latitude", "NaN"), ("latitude", "95"), ("longitude", "inf"),
    ("latitude", "north"), ("fatalities", "-3"), ("fatalities", "2.5"), ("fatalities", "1e400"),
    ("year", "1999"), ("year", "twenty"), ("event_type", ""), ("actor1", ""),
    ("inter1", "99"), ("interaction", "95"), ("timestamp", "-1"), ("event_id_cnty", ""),
    ("geo_precision", "0"), ("iso", "x"),
)


def _event_case(rng: np.random.Generator, text: str) -> Case:
    lines = text.splitlines()
    header = lines[0].split(",")
    kind = int(rng.integers(5))
    if kind == 0:
        column, value = BAD_EVENT_FIELDS[rng.integers(len(BAD_EVENT_FIELDS))]
        return Case(f"field-{column}-{value!r}", _swap_field(rng, lines, column, value).encode(),
                    ".csv", ("line",), may_be_valid=True)
    if kind == 1:
        drop = header[int(rng.integers(len(header)))]
        kept = [i for i, h in enumerate(header) if h != drop]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for row in csv.reader(lines):
            writer.writerow([row[i] for i in kept])
        return Case(f"missing-column-{drop}", buf.getvalue().encode(), ".csv", (drop, "ACLED"))
    if kind == 2:
        cut = int(rng.integers(1, len(text)))
        return Case(f"truncated-{cut}", text[:cut].encode(), ".csv",
                    ("line", "column", "ACLED", "empty"), may_be_valid=True)
    if kind == 3:
        data = bytearray(text.encode())
        at = int(rng.integers(len(data)))
        data[at:at] = b"\xff\xfe\xc3"
        return Case(f"bad-utf8-{at}", bytes(data), ".csv", ("UTF-8",))
    row = int(rng.integers(1, len(lines)))
    broken = list(lines)
    broken[row] = broken[row] + ',"unterminated'
    return Case(f"ragged-{row}", ("\n".join(broken) + "\n").encode(), ".csv",
                ("line", "fields"), may_be_valid=True)


def events_corpus(seed: int, n: int) -> list[Case]:
    """``n`` distinct broken or partly broken ACLED CSV files, the same for the same seed.

    ``may_be_valid`` marks files where some rows are good: ingest may succeed but must report
    the bad rows by line number; the rest must fail cleanly without touching the store.
    """
    rng = np.random.default_rng(seed)
    text = csv_sample(12)
    cases: list[Case] = [
        Case("empty", b"", ".csv", ("empty",)),
        Case("header-only", text.splitlines()[0].encode() + b"\n", ".csv", ("0",),
             may_be_valid=True),
        Case("not-csv", b"\x89PNG\r\n\x1a\n\x00\x00", ".csv", ("UTF-8", "ACLED")),
        Case("utf16", text.encode("utf-16"), ".csv", ("UTF-8",)),
    ]
    seen = {c.content for c in cases}
    while len(cases) < n:
        case = _event_case(rng, text)
        if case.content not in seen:
            seen.add(case.content)
            cases.append(case)
    return cases[:n]
