"""Client of ACLED's API: OAuth password grant, paged reads of /api/acled/read and the deleted
events of /api/deleted/read, with timeouts and retries on 429/5xx.

Credentials come from ``ACLED_USERNAME`` (the myACLED e-mail) and ``ACLED_PASSWORD``;
``ACLED_BASE_URL`` overrides ``https://acleddata.com`` (the tests point it at a local server).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_BASE_URL = "https://acleddata.com"
RETRY_STATUS = {429, 500, 502, 503, 504}


class AcledApiError(RuntimeError):
    """The API refused the request or kept failing after the retries."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    @classmethod
    def from_env(cls) -> Credentials:
        user = os.environ.get("ACLED_USERNAME") or os.environ.get("ACLED_EMAIL")
        password = os.environ.get("ACLED_PASSWORD")
        if not user or not password:
            raise AcledApiError(
                "set ACLED_USERNAME (your myACLED e-mail) and ACLED_PASSWORD to use the ACLED API"
            )
        return cls(user, password)


class AcledClient:
    """Minimal ACLED API client; use as a context manager."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        retries: int = 4,
        backoff_s: float = 1.0,
        page_size: int = 5000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.base_url = (base_url or os.environ.get("ACLED_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.retries = retries
        self.backoff_s = backoff_s
        self.page_size = page_size
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout_s)
        self._token: str | None = None

    def __enter__(self) -> AcledClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise AcledApiError(f"cannot reach {url}: {exc}") from None
            else:
                if resp.status_code not in RETRY_STATUS:
                    return resp
                if attempt == self.retries:
                    raise AcledApiError(
                        f"{url} answered {resp.status_code} after {self.retries + 1} tries"
                    )
                retry_after = resp.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    self._sleep(float(retry_after))
                    continue
            self._sleep(self.backoff_s * 2**attempt)
        raise AssertionError("unreachable")

    def token(self) -> str:
        """Bearer token from the OAuth password grant (cached for this client)."""
        if self._token is None:
            resp = self._request(
                "POST",
                "/oauth/token",
                data={
                    "username": self.credentials.username,
                    "password": self.credentials.password,
                    "grant_type": "password",
                    "client_id": "acled",
                },
            )
            if resp.status_code != 200:
                raise AcledApiError(f"ACLED login failed ({resp.status_code}): {resp.text[:200]}")
            self._token = resp.json()["access_token"]
        return self._token

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            query = {**params, "_format": "json", "limit": self.page_size, "page": page}
            resp = self._request(
                "GET", path, params=query, headers={"Authorization": f"Bearer {self.token()}"}
            )
            if resp.status_code == 401 and page == 1:
                raise AcledApiError("ACLED rejected the token (401); check your account access")
            if resp.status_code != 200:
                raise AcledApiError(f"{path} answered {resp.status_code}: {resp.text[:200]}")
            body = resp.json()
            if body.get("success") is False or body.get("status", 200) != 200:
                raise AcledApiError(f"{path}: {body.get('error') or body.get('messages')}")
            rows = body.get("data", [])
            yield rows
            if len(rows) < self.page_size:
                return
            page += 1

    def events(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Events matching ACLED query filters (e.g. country="Mali",
        event_date="2025-01-01|2025-06-30", event_date_where="BETWEEN", timestamp=...)."""
        for rows in self._pages("/api/acled/read", filters):
            yield from rows

    def deleted(self, **filters: Any) -> list[tuple[str, int | None]]:
        """(event_id_cnty, deleted_timestamp) pairs; filter e.g. deleted_timestamp=..."""
        out = []
        for rows in self._pages("/api/deleted/read", filters):
            for row in rows:
                stamp = row.get("deleted_timestamp")
                out.append((str(row["event_id_cnty"]), int(stamp) if stamp else None))
        return out
