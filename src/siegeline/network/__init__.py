"""The corridor network: a NetworkX graph built from a scenario, segment geometry, road data and
country outlines. The names below load on first use, so that importing one submodule (the
outlines, for the events' coordinate check) does not import NetworkX and the scenario schema."""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "build_graph": "siegeline.network.graph",
    "corridor_segments": "siegeline.network.graph",
    "ports_to_city_graph": "siegeline.network.graph",
    "segment_lines": "siegeline.network.geometry",
    "to_projected": "siegeline.network.geometry",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'siegeline.network' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
