"""Plotly.js as shipped inside the installed ``plotly`` Python package: served by the dashboard
and inlined in reports, so nothing is fetched from a CDN."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path


def plotly_js_path() -> Path:
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js is missing from the plotly package ({path})")
    return path


@functools.cache
def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")
