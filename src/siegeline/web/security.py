"""Safety of the HTTP server: token authentication, a Host allow-list (against DNS rebinding
of a loopback server without a token), security headers on every response, a response
deadline, and the rule that a server reachable from other machines must have a token.

The token is accepted as ``Authorization: Bearer <token>`` (API clients) or as the
``siegeline_token`` cookie, which ``GET /?token=<token>`` sets once so the dashboard's own
requests carry it.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "siegeline_token"
TOKEN_ENV = "SIEGELINE_TOKEN"
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token, or with a short one."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"the token must have at least {MIN_TOKEN_LENGTH} characters "
                         f"(e.g. {secrets.token_urlsafe(24)})")
    if not is_loopback(host) and not token:
        raise ValueError(f"--host {host} makes the server reachable from other machines; give "
                         f"--token (or ${TOKEN_ENV}) so that only holders of the token get in")


async def _send_json(send: Send, status: int, detail: str,
                     extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *(extra_headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TokenAuth:
    """ASGI middleware: 401 unless the request carries the token (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        cookies = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        cookie = cookies[COOKIE].value if COOKIE in cookies else None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        in_query = query.get("token", [None])[0]
        if self._matches(bearer) or self._matches(cookie):
            await self.app(scope, receive, send)
        elif scope["path"] == "/" and self._matches(in_query):
            # The dashboard link: remember the token in an HttpOnly cookie, then drop it from
            # the address bar.
            cookie_header = (f"{COOKIE}={in_query}; HttpOnly; SameSite=Strict; Path=/").encode()
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", b"/"), (b"set-cookie", cookie_header),
                                    (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
        else:
            await _send_json(send, 401, "missing or wrong token: send 'Authorization: Bearer "
                             "<token>', or open /?token=<token> once in the browser",
                             [(b"www-authenticate", b"Bearer")])


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Plotly injects its own <style> element, hence 'unsafe-inline' for styles (not for scripts).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def host_name(header: str) -> str:
    """The name in a Host header, without port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """ASGI middleware: 400 unless the Host header names this machine (localhost, 127.0.0.1,
    [::1]) or one of ``allowed``. A web page on another site that rebinds its own name to
    127.0.0.1 sends its own name as Host, so it cannot reach a server that has no token."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.allowed = LOCAL_HOSTS | {host_name(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        name = host_name(headers.get(b"host", b"").decode("latin-1"))
        if name not in self.allowed:
            await _send_json(send, 400, f"Host {name!r} is not served here; use "
                             "http://127.0.0.1 or http://localhost (or start the server with "
                             "--host naming this address)")
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: CSP (only this server's own resources, no framing), nosniff,
    X-Frame-Options DENY and no referrer on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


def read_token(value: str | None, file: str | None) -> str | None:
    """The token from ``--token-file`` (first line, the file readable by its owner only is
    advised), else from the option or environment value."""
    if file is not None:
        with open(file, encoding="utf-8") as f:
            token = f.readline().strip()
        if not token:
            raise ValueError(f"the token file {file} is empty")
        return token
    return value


class ResponseDeadline:
    """ASGI middleware: 504 when a handler has not started its response within ``seconds``.

    Long work (simulations) runs as background jobs and streams start at once, so only a stuck
    or runaway request meets the deadline. A handler running in a worker thread cannot be
    interrupted; it finishes in the background while the client already has its answer.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        waiter = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=self.seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not done:
            task.cancel()
            await _send_json(send, 504, f"no response within {self.seconds:g} s")
            return
        await task  # the response has started (or the app finished): let it complete
