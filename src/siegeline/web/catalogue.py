"""The scenarios a server runs: the packaged ones and, with ``siegeline serve --scenarios DIR``,
every ``*.yaml`` file of one folder, named by its file stem.

A request names a scenario; it never gives a path. A name is looked up in the folder's listing
(a name that is not a file stem there is unknown), so no text of a request is joined to a path.
The folder is listed again on every request that names or lists scenarios: that costs one
``stat`` per file (microseconds for a few dozen files), and a file is parsed and validated again
only when its modification time or size has changed. An edited or added file is thus served at
once, with no watcher thread and no restart; a file that does not validate is listed as invalid
with its first problem and logged once per version, and the other scenarios are unaffected.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siegeline.scenario.loader import (
    MAX_SCENARIO_BYTES,
    ScenarioError,
    apply_overrides,
    did_you_mean,
    load_raw,
    load_scenario,
    packaged_scenarios,
    parse_document,
    validate_scenario,
)
from siegeline.scenario.schema import Scenario

log = logging.getLogger(__name__)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"  # a file stem; no separator, no leading dot
_NAME = re.compile(NAME_PATTERN)


class UnknownScenario(LookupError):
    """No valid scenario of that name on this server; the message lists the choices."""


@dataclass
class Entry:
    """One scenario file of the folder at one version (modification time and size)."""

    name: str
    version: tuple[int, int]
    document: dict[str, Any] | None = None
    scenario: Scenario | None = None
    error: str | None = None


def _first_problem(exc: ScenarioError) -> str:
    path, msg = exc.problems[0] if exc.problems else ("", str(exc))
    return f"{path}: {msg}" if path else msg


def _read(path: Path, name: str, version: tuple[int, int]) -> Entry:
    entry = Entry(name, version)
    if not _NAME.match(name):
        entry.error = f"file name {path.name!r} is not a scenario name (letters, digits, '-', " \
                      "'_', '.'; at most 100 characters)"
        return entry
    if version[1] > MAX_SCENARIO_BYTES:
        entry.error = f"larger than {MAX_SCENARIO_BYTES} bytes"
        return entry
    try:
        entry.document = parse_document(path.read_text(encoding="utf-8"), name)
        entry.scenario = validate_scenario(copy.deepcopy(entry.document), name, path.parent)
    except ScenarioError as exc:
        entry.document, entry.error = None, _first_problem(exc)
    except (OSError, UnicodeDecodeError) as exc:
        entry.error = f"cannot be read: {exc}"
    return entry


@dataclass
class ScenarioCatalogue:
    """Packaged scenarios and those of ``folder`` (None: packaged only)."""

    folder: Path | None = None
    _entries: dict[str, Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.folder is None:
            return
        if not self.folder.is_dir():
            raise ValueError(f"--scenarios {self.folder}: not a folder")
        clashes = sorted(set(self._stems()) & set(packaged_scenarios()))
        if clashes:
            files = ", ".join(f"{c}.yaml" for c in clashes)
            raise ValueError(f"--scenarios {self.folder}: {files} would hide the packaged "
                             "scenario of the same name; rename the file")
        self.refresh()

    __hash__ = object.__hash__  # answers are cached per catalogue and version

    def _stems(self) -> dict[str, Path]:
        assert self.folder is not None
        return {p.stem: p for p in self.folder.glob("*.yaml") if p.is_file()}

    def refresh(self) -> None:
        """List the folder again; re-read the files that changed."""
        if self.folder is None:
            return
        try:
            stems = self._stems()
        except OSError as exc:  # the folder went away: serve the packaged scenarios
            log.warning("scenario folder %s cannot be listed: %s", self.folder, exc)
            stems = {}
        with self._lock:
            for name in set(self._entries) - set(stems):
                del self._entries[name]
            for name, path in stems.items():
                try:
                    st = path.stat()
                except OSError:
                    continue
                version = (st.st_mtime_ns, st.st_size)
                old = self._entries.get(name)
                if old is not None and old.version == version:
                    continue
                entry = _read(path, name, version)
                if name in packaged_scenarios():  # added while the server runs
                    entry.document = entry.scenario = None
                    entry.error = "has the name of a packaged scenario; rename the file"
                if entry.error:
                    log.warning("scenario file %s is invalid: %s", path.name, entry.error)
                self._entries[name] = entry

    def folder_entries(self) -> list[Entry]:
        self.refresh()
        with self._lock:
            return [self._entries[k] for k in sorted(self._entries)]

    def names(self) -> list[str]:
        """Every valid scenario name: the packaged ones, then the folder's."""
        return [*packaged_scenarios(),
                *(e.name for e in self.folder_entries() if e.scenario is not None)]

    def _entry(self, name: str) -> Entry | None:
        """The folder's entry of a checked name; None for a packaged scenario (packaged names
        win over a file of the same name added while the server runs)."""
        if name in packaged_scenarios():
            return None
        with self._lock:
            return self._entries.get(name)

    def check(self, name: str) -> str:
        """``name`` if it is a valid scenario here, else UnknownScenario with a did-you-mean."""
        if name in packaged_scenarios():
            return name
        self.refresh()
        entry = self._entry(name)
        if entry is not None and entry.error:
            raise UnknownScenario(f"scenario {name!r} is invalid: {entry.error}")
        if entry is None:
            names = self.names()
            hint = did_you_mean(name, names) if _NAME.match(name) else ""
            where = "packaged or in the scenario folder" if self.folder else "packaged"
            raise UnknownScenario(f"no scenario {name!r} ({where}: {', '.join(names)}){hint}")
        return name

    def version(self, name: str) -> tuple[int, int] | None:
        """What a cached answer about ``name`` depends on: None for a packaged scenario."""
        entry = self._entry(self.check(name))
        return None if entry is None else entry.version

    def raw(self, name: str) -> dict[str, Any]:
        """The scenario document as plain data (a copy)."""
        entry = self._entry(self.check(name))
        if entry is None:
            return load_raw(name)
        assert entry.document is not None
        return copy.deepcopy(entry.document)

    def load(self, name: str, overrides: list[str] | None = None) -> Scenario:
        """The validated scenario with ``overrides`` applied (the label in errors is its name,
        not the file's path)."""
        entry = self._entry(self.check(name))
        if entry is None:
            return load_scenario(name, overrides)
        assert entry.scenario is not None and entry.document is not None
        if not overrides:
            return entry.scenario  # frozen: shared safely
        assert self.folder is not None
        return validate_scenario(apply_overrides(copy.deepcopy(entry.document), overrides), name,
                                 self.folder)
