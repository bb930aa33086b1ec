"""Loading scenarios from files or the packaged library, applying ``--set`` overrides, and turning
validation failures into one readable error that names the field path and the rule broken."""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from siegeline.scenario.schema import SCENARIO_FOLDER, Scenario, UncertainRange

MAX_SCENARIO_BYTES = 5_000_000


class _DocumentLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (libyaml when present) that leaves dates as text, so the schema parses
    them and an impossible date is reported with its field path."""


_DocumentLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "scenario") -> None:
        self.problems = problems
        self.source = source
        lines = [f"{path}: {msg}" if path else msg for path, msg in problems]
        super().__init__(f"invalid {source}:\n  " + "\n  ".join(lines))


@functools.lru_cache(maxsize=1)
def _packaged_names() -> tuple[str, ...]:
    folder = resources.files("siegeline.scenario") / "scenarios"
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir()
                        if p.name.endswith(".yaml")))


def packaged_scenarios() -> list[str]:
    """Names of the scenarios shipped with siegeline."""
    return list(_packaged_names())


def _read_text(source: str | Path) -> tuple[str, str]:
    """Return (text, label) for a packaged scenario name or a file path."""
    if isinstance(source, str) and source in packaged_scenarios():
        folder = resources.files("siegeline.scenario") / "scenarios"
        return (folder / f"{source}.yaml").read_text(encoding="utf-8"), source
    path = Path(source)
    if not path.exists():
        known = ", ".join(packaged_scenarios())
        raise ScenarioError(
            [
                (
                    "",
                    f"no scenario file {str(path)!r} and no packaged scenario of that name "
                    f"(packaged: {known})",
                )
            ]
        )
    if path.is_dir():
        raise ScenarioError([("", f"{str(path)!r} is a directory, not a scenario file")])
    if path.stat().st_size > MAX_SCENARIO_BYTES:
        raise ScenarioError([("", f"{str(path)!r} is larger than {MAX_SCENARIO_BYTES} bytes")])
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except UnicodeDecodeError as exc:
        raise ScenarioError([("", f"{str(path)!r} is not UTF-8 text ({exc.reason})")]) from None


def parse_document(text: str, label: str = "scenario") -> dict[str, Any]:
    """Parse YAML (a superset of JSON) into a mapping, with a readable error."""
    try:
        data = yaml.load(text, Loader=_DocumentLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([("", f"not valid YAML/JSON{where}: {problem}")], label) from None
    except (ValueError, RecursionError) as exc:  # PyYAML's constructors, e.g. a bad date
        raise ScenarioError([("", f"not a valid value in the document: {exc}")], label) from None
    if not isinstance(data, dict):
        raise ScenarioError([("", "the document must be a mapping of scenario fields")], label)
    return data


@functools.lru_cache(maxsize=16)
def _packaged_document(name: str) -> dict[str, Any]:
    """Parsed packaged scenarios, kept: they are package data and parsing dominates loading."""
    text, label = _read_text(name)
    return parse_document(text, label)


def _document(source: str | Path) -> tuple[dict[str, Any], str]:
    if isinstance(source, str) and source in packaged_scenarios():
        return copy.deepcopy(_packaged_document(source)), source
    text, label = _read_text(source)
    return parse_document(text, label), label


def load_raw(source: str | Path) -> dict[str, Any]:
    """The scenario document as plain data, before validation."""
    return _document(source)[0]


def _format_loc(loc: tuple[Any, ...], data: Any) -> str:
    """Turn a pydantic location into a dotted path, naming list items by their name/id."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = None
            if isinstance(node, list) and 0 <= item < len(node) and isinstance(node[item], dict):
                label = node[item].get("name") or node[item].get("id")
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
            if label:
                parts[-1] += f"({label})"
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(p for p in parts if not p.startswith("function-after"))


def _meant_as_range(data: Any, loc: tuple[Any, ...]) -> bool:
    """Whether the number-or-range field at ``loc`` was given as a range (a mapping, or the
    [low, high] shorthand): judged on the field's own value, not on a nested error input."""
    node = data
    for key in loc:
        if key in ("float", "constrained-float") or "UncertainRange" in str(key):
            break
        if str(key).startswith(("function-", "union[")):
            continue
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) or (isinstance(node, list | tuple) and len(node) == 2)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The schema model an annotation holds (itself, or inside list[...], X | None, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names the schema allows at ``loc`` (a model's fields; none elsewhere)."""
    model: type[BaseModel] | None = Scenario
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(str(key)) if model is not None else None
        model = _model_in(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def did_you_mean(word: str, choices: list[str]) -> str:
    """'; did you mean `pool_size`?' for the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def validation_problems(exc: ValidationError, data: Any) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        # A number-or-range field reports a failure of each branch; keep the branch the input
        # was meant for (a mapping or [low, high] means a range, anything else a number).
        branch_range = any("UncertainRange" in str(x) for x in err["loc"])
        branch_number = any(x in ("float", "constrained-float") for x in err["loc"])
        is_range = _meant_as_range(data, err["loc"])
        if (branch_range and not is_range) or (branch_number and is_range):
            continue
        loc = tuple(x for x in err["loc"] if not str(x).startswith(("function-", "union[")))
        # The float|range union reports both branches; keep the more specific message.
        loc = tuple(x for x in loc if x not in ("float", "UncertainRange", "constrained-float"))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden" and loc:
            hint = did_you_mean(str(loc[-1]), _known_fields(loc[:-1]))
            msg = f"{msg}: no field {loc[-1]!r} here{hint}"
        problems.append((_format_loc(loc, data), msg))
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def validate_scenario(data: dict[str, Any], label: str = "scenario",
                      folder: Path | None = None) -> Scenario:
    """Validate plain data into a :class:`Scenario`, raising :class:`ScenarioError`; a timeline
    is checked by applying each of its entries (every phase must be a valid scenario). With
    ``folder`` (the scenario file's), the ``observations`` log is resolved against it to an
    absolute path and must exist; without, it is kept as written."""
    context = {SCENARIO_FOLDER: folder} if folder is not None else None
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, data), label) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise ScenarioError([("", str(exc))], label) from None
    if scenario.posterior is not None:
        _check_posterior(scenario, label)
    if scenario.timeline:
        from siegeline.scenario.timeline import timeline_phases  # it builds on this module

        try:
            timeline_phases(scenario)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, label) from None
    return scenario


def _check_posterior(scenario: Scenario, label: str) -> None:
    """Each posterior path is an uncertain range of the scenario and every sample lies inside
    its range (the prior's support); a timeline entry that sets one wins from its date."""
    post = scenario.posterior
    assert post is not None
    problems: list[tuple[str, str]] = []
    for j, path in enumerate(post.parameters):
        where = f"posterior.parameters[{j}]"
        try:
            value = resolve_path(scenario, path)
        except ScenarioError:
            problems.append((where, f"{path!r} is not a parameter of this scenario"))
            continue
        if not isinstance(value, UncertainRange):
            problems.append((where, f"{path!r} is not an uncertain range (a prior)"))
            continue
        column = [row[j] for row in post.samples]
        if min(column) < value.low or max(column) > value.high:
            problems.append((where, f"samples of {path!r} leave its range "
                             f"[{value.low:g}, {value.high:g}]"))
    if problems:
        raise ScenarioError(problems, label)


def _step_into(node: Any, key: str, path: str) -> Any:
    if isinstance(node, dict):
        if key not in node:
            raise ScenarioError([(path, f"no field {key!r} here")], "override")
        return node[key]
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and key in (item.get("name"), item.get("id")):
                return item
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
        names = [str(item.get("name") or item.get("id")) for item in node if isinstance(item, dict)]
        raise ScenarioError([(path, f"no list item named {key!r}{did_you_mean(key, names)}")],
                            "override")
    raise ScenarioError([(path, f"cannot descend into {type(node).__name__}")], "override")


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path; list items are addressed by their name or id.

    A missing final key of a mapping is created, so optional fields with defaults can be set.
    """
    keys = path.split(".")
    if not path or any(not k for k in keys):
        raise ScenarioError([(path, "empty path element")], "override")
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        node = _step_into(node, key, ".".join(keys[: i + 1]))
    last = keys[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list):
        target = _step_into(node, last, path)
        node[node.index(target)] = value
    else:
        raise ScenarioError([(path, "cannot set a field here")], "override")


def apply_overrides(data: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """Apply ``path=value`` strings (values parsed as YAML) to a copy of ``data``.

    An override fixes the parameter for the whole run: timeline entries that change the same
    path are dropped, and one that sets a section containing it (a whole convoy policy, say)
    gets the overridden value inside it."""
    out = copy.deepcopy(data)
    for text in assignments:
        if "=" not in text:
            raise ScenarioError([(text, "expected path=value")], "override")
        path, raw = text.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except (yaml.YAMLError, ValueError):  # e.g. an impossible date: let the schema say so
            value = raw
        path = path.strip()
        release_from_posterior(out, canonical_path(out, path))
        if value is None:
            _drop_sources(out, canonical_path(out, path))
        set_path(out, path, value)
        if not path.startswith("timeline"):
            _override_timeline(out, path, value)
    return out


def _drop_sources(data: dict[str, Any], path: str) -> None:
    """A section switched off (set to null) takes its fields' ``sources`` entries with it."""
    sources = data.get("sources")
    if isinstance(sources, dict):
        for key in [k for k in sources if k == path or k.startswith(path + ".")]:
            del sources[key]


def release_from_posterior(data: dict[str, Any], path: str) -> None:
    """An override fixes its parameter: posterior columns at, under or above ``path`` (in
    canonical form) are dropped (the other columns keep their joint rows), and an empty
    posterior goes."""
    post = data.get("posterior")
    if not isinstance(post, dict) or path == "posterior" or path.startswith("posterior."):
        return
    names = list(post.get("parameters") or [])
    keep = [j for j, p in enumerate(names) if not (
        p == path or p.startswith(path + ".") or path.startswith(p + "."))]
    if len(keep) == len(names):
        return
    if not keep:
        del data["posterior"]
        return
    post["parameters"] = [names[j] for j in keep]
    post["samples"] = [[row[j] for j in keep] for row in post.get("samples") or []]


def canonical_path(data: Any, path: str) -> str:
    """``path`` with list items named by their name or id rather than their index (so
    ``corridors.0.policy`` and ``corridors.dakar-kayes-kita.policy`` compare equal)."""
    node, parts = data, []
    for key in path.split("."):
        if isinstance(node, list):
            item = None
            if key.isdigit() and int(key) < len(node):
                item = node[int(key)]
            else:
                item = next((x for x in node if isinstance(x, dict)
                             and key in (x.get("name"), x.get("id"))), None)
            if isinstance(item, dict) and (item.get("name") or item.get("id")):
                key = str(item.get("name") or item.get("id"))
            node = item
        else:
            node = node.get(key) if isinstance(node, dict) else None
        parts.append(key)
    return ".".join(parts)


def _override_timeline(data: dict[str, Any], path: str, value: Any) -> None:
    """Make the timeline of ``data`` keep ``path`` at ``value`` (see :func:`apply_overrides`)."""
    timeline = data.get("timeline")
    if not isinstance(timeline, list):
        return
    path = canonical_path(data, path)
    for entry in timeline:
        changes = entry.get("set") if isinstance(entry, dict) else None
        if not isinstance(changes, dict):
            continue
        for key in list(changes):
            canonical = canonical_path(data, key)
            if canonical == path or canonical.startswith(path + "."):
                del changes[key]  # the override replaces this change
            elif path.startswith(canonical + ".") and isinstance(changes[key], dict | list):
                set_path(changes[key], path[len(canonical) + 1:], copy.deepcopy(value))
    data["timeline"] = [e for e in timeline if not isinstance(e, dict) or e.get("set") != {}]


def timeline_overridden(data: dict[str, Any], assignments: list[str]) -> list[str]:
    """The ``--set`` paths that the scenario's timeline also changes (they now hold all run)."""
    changed = {canonical_path(data, key) for entry in data.get("timeline") or []
               if isinstance(entry, dict) for key in (entry.get("set") or {})}
    paths = [canonical_path(data, text.split("=", 1)[0].strip())
             for text in assignments if "=" in text]
    return [p for p in paths if any(k == p or k.startswith(p + ".") or p.startswith(k + ".")
                                    for k in changed)]


def load_scenario(
    source: str | Path = "bamako-2025", overrides: list[str] | None = None
) -> Scenario:
    """Load and validate a scenario from a packaged name or a YAML/JSON file."""
    data, label = _document(source)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_scenario(data, label, scenario_folder(source))


def scenario_folder(source: str | Path) -> Path:
    """The folder a scenario's relative paths (its ``observations`` log) are read from."""
    if isinstance(source, str) and source in packaged_scenarios():
        return Path(str(resources.files("siegeline.scenario") / "scenarios"))
    return Path(source).parent


def scenario_hash(scenario: Scenario) -> str:
    """Content hash of a validated scenario (stable across processes)."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def resolve_path(scenario: Scenario, path: str) -> Any:
    """Value at a dotted path of a validated scenario (list items by name or id)."""
    node: Any = scenario
    for key in path.split("."):
        if isinstance(node, list):
            match = [x for x in node if key in (getattr(x, "name", None), getattr(x, "id", None))]
            if not match and key.isdigit() and int(key) < len(node):
                match = [node[int(key)]]
            if not match:
                raise ScenarioError([(path, f"no list item named {key!r}")], "parameter path")
            node = match[0]
        elif isinstance(node, dict):
            if key not in node:
                raise ScenarioError([(path, f"no key {key!r}")], "parameter path")
            node = node[key]
        elif key in getattr(type(node), "model_fields", {}):
            node = getattr(node, key)
        else:
            raise ScenarioError([(path, f"no field {key!r}")], "parameter path")
    return node
