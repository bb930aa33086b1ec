"""Host allow-list, security headers, offline API reference, token from a file, no paths in
answers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from siegeline.cli.main import app as cli_app
from siegeline.web import WebSettings, create_app
from siegeline.web.security import host_name

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture()
def client(tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "store.duckdb"))
    with TestClient(app, base_url="http://localhost") as c:
        yield c


@pytest.mark.parametrize("header,name", [
    ("localhost:8000", "localhost"), ("127.0.0.1", "127.0.0.1"), ("[::1]:8000", "::1"),
    ("::1", "::1"), ("EVIL.example:80", "evil.example"), ("", ""),
])
def test_host_name(header, name):
    assert host_name(header) == name


def test_foreign_host_is_refused_without_a_token(client):
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "", "0.0.0.0"):
        resp = client.get("/api/health", headers={"Host": host})
        assert resp.status_code == 400, host
        assert "not served here" in resp.json()["detail"]
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200, host


def test_configured_host_is_allowed_and_a_token_replaces_the_check(tmp_path):
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb", host="fuel.lan"))
    with TestClient(app, base_url="http://fuel.lan:8000") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
    app = create_app(WebSettings(store_path=tmp_path / "s.duckdb", host="0.0.0.0", token=TOKEN))
    with TestClient(app, base_url="http://evil.example") as c:  # the token is the guard
        assert c.get("/api/health").status_code == 401
        ok = c.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


def test_security_headers_on_every_answer(client):
    for path, status in (("/", 200), ("/api/health", 200), ("/api/runs/nope", 404),
                         ("/static/dashboard.js", 200), ("/docs", 200)):
        resp = client.get(path)
        assert resp.status_code == status, path
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp  # no inline or foreign script
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["referrer-policy"] == "no-referrer"
    refused = client.get("/api/health", headers={"Host": "evil.example"})
    assert refused.headers["x-frame-options"] == "DENY"


def test_health_shows_no_path(client, tmp_path):
    body = client.get("/api/health").text
    assert client.get("/api/health").json()["store"] == "store.duckdb"
    assert str(tmp_path) not in body and "/tmp" not in body


def test_api_reference_is_local(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert refs and all(r.startswith("/") for r in refs), refs
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert not re.search(r"https?://", asset.text.replace("/openapi.json", "")), ref
    assert client.get("/redoc", follow_redirects=False).headers["location"] == "/docs"
    assert client.get("/openapi.json").json()["paths"]


def test_token_from_a_file(tmp_path):
    short = tmp_path / "short"
    short.write_text("tooshort\n")
    res = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--token-file", str(short)])
    assert res.exit_code == 2 and "at least 16 characters" in res.output
    empty = tmp_path / "empty"
    empty.write_text("\n")
    res = CliRunner().invoke(cli_app, ["serve", "--token-file", str(empty)])
    assert res.exit_code == 2 and "empty" in res.output
