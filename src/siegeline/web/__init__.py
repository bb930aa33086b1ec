"""Web dashboard and HTTP API (FastAPI): `siegeline serve`."""

from siegeline.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
