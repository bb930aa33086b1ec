"""ACLED API client against a real local HTTP server speaking ACLED's documented protocol
(OAuth password grant, paging with limit/page, deleted endpoint), including 429/5xx retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.events import store
from siegeline.events.acled_api import AcledApiError, AcledClient, Credentials
from siegeline.events.schema import ACLED_COLUMNS

USER, PASSWORD, TOKEN = "analyst@example.org", "s3cret", "tok-123"


def api_event(i: int) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(ACLED_COLUMNS, "")
    row.update(
        event_id_cnty=f"MLI{i}",
        event_date=f"2025-03-{i:02d}",
        year=2025,
        time_precision=1,
        disorder_type="Political violence",
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1="Military Forces of Mali (2021-)",
        inter1="State forces",
        actor2="JNIM: Group for Support of Islam and Muslims",
        inter2="Rebel group",
        interaction="State forces-Rebel group",
        iso=466,
        country="Mali",
        admin1="Mopti",
        latitude="14.4",
        longitude="-4.2",
        geo_precision=1,
        source="SYNTHETIC",
        fatalities=i,
        timestamp=1745000000 + i,
    )
    return row


class FakeAcled:
    """State of the fake API: data, deletions and failures to inject."""

    def __init__(self, n: int = 5) -> None:
        self.data = [api_event(i) for i in range(1, n + 1)]
        self.deleted = [{"event_id_cnty": "MLI2", "deleted_timestamp": 1745000100}]
        self.failures: list[int] = []  # statuses to answer before the next data request
        self.log: list[tuple[str, dict[str, list[str]]]] = []


@pytest.fixture()
def fake() -> Iterator[tuple[FakeAcled, str]]:
    state = FakeAcled()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            state.log.append((self.path, form))
            ok = form == {
                "username": [USER],
                "password": [PASSWORD],
                "grant_type": ["password"],
                "client_id": ["acled"],
            }
            if self.path != "/oauth/token" or not ok:
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 86400,
                    "access_token": TOKEN,
                    "refresh_token": "r",
                },
            )

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            q = parse_qs(url.query)
            state.log.append((url.path, q))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": "unauthorized"})
                return
            if state.failures:
                status = state.failures.pop(0)
                self._json(status, {"error": "busy"}, {"Retry-After": "0"} if status == 429 else {})
                return
            rows = {"/api/acled/read": state.data, "/api/deleted/read": state.deleted}.get(url.path)
            if rows is None or q.get("_format") != ["json"]:
                self._json(404, {"error": "not found"})
                return
            limit, page = int(q["limit"][0]), int(q["page"][0])
            chunk = rows[(page - 1) * limit : page * limit]
            self._json(200, {"status": 200, "success": True, "count": len(chunk), "data": chunk})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client(url: str, **kw: object) -> AcledClient:
    return AcledClient(
        Credentials(USER, PASSWORD),
        base_url=url,
        page_size=2,
        sleep=lambda s: None,
        timeout_s=5,
        **kw,
    )


def test_paging_token_and_deleted(fake: tuple[FakeAcled, str]) -> None:
    state, url = fake
    with client(url) as c:
        rows = list(c.events(country="Mali"))
        deleted = c.deleted()
    assert [r["event_id_cnty"] for r in rows] == [f"MLI{i}" for i in range(1, 6)]
    assert deleted == [("MLI2", 1745000100)]
    pages = [q["page"][0] for path, q in state.log if path == "/api/acled/read"]
    assert pages == ["1", "2", "3"]  # 2 + 2 + 1 rows: the short page ends the loop
    assert sum(path == "/oauth/token" for path, _ in state.log) == 1
    assert all(q.get("country") == ["Mali"] for p, q in state.log if p == "/api/acled/read")


def test_retries_on_429_and_5xx_then_gives_up(fake: tuple[FakeAcled, str]) -> None:
    state, url = fake
    state.failures = [429, 503]
    with client(url, retries=2) as c:
        assert len(list(c.events())) == 5
    state.failures = [502, 502, 502]
    with client(url, retries=2) as c, pytest.raises(AcledApiError, match="502 after 3 tries"):
        list(c.events())


def test_wrong_password_is_a_clear_error(fake: tuple[FakeAcled, str]) -> None:
    _, url = fake
    bad = AcledClient(Credentials(USER, "wrong"), base_url=url, sleep=lambda s: None)
    with bad, pytest.raises(AcledApiError, match="login failed"):
        bad.token()


def test_cli_ingest_from_api_applies_deletions(
    fake: tuple[FakeAcled, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = fake
    monkeypatch.setenv("ACLED_BASE_URL", url)
    monkeypatch.setenv("ACLED_USERNAME", USER)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(
        app, ["events", "ingest", "--api-country", "Mali", "--store", str(db)]
    )
    assert result.exit_code == 0, result.output
    with store.connect(db, read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT source_id FROM events ORDER BY 1").fetchall()]
    assert ids == ["MLI1", "MLI3", "MLI4", "MLI5"]
    monkeypatch.delenv("ACLED_PASSWORD")
    result = CliRunner().invoke(
        app, ["events", "ingest", "--api-country", "Mali", "--store", str(db)]
    )
    assert result.exit_code == 2 and "ACLED_PASSWORD" in result.output
