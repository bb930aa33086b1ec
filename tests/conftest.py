import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from siegeline.scenario import load_scenario

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def bamako():
    return load_scenario("bamako-2025")


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Every test writes its runs to its own store, never to the working directory."""
    monkeypatch.setenv("SIEGELINE_STORE", str(tmp_path / "store.duckdb"))


@pytest.fixture()
def live_server() -> Iterator[Callable[..., str]]:
    """A function that serves an ASGI app with a real uvicorn on a free 127.0.0.1 port and returns
    its base URL; every server it started is stopped after the test."""
    import uvicorn

    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        running.append((srv, thread))
        deadline = time.monotonic() + 20
        while not srv.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for srv, thread in running:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def chromium_page():
    """A 1400x1000 page of Debian's headless Chromium, driven by Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()
