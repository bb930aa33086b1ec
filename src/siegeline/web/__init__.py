"""Web dashboard and HTTP API (FastAPI): `siegeline serve`.

``WebSettings`` and ``create_app`` are imported on first use, so that the command line (which
imports ``siegeline.web.security``) does not load FastAPI for every command."""

from typing import Any

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from siegeline.web import app

        return getattr(app, name)
    raise AttributeError(f"module 'siegeline.web' has no attribute {name!r}")
