"""Fixtures of the browser tests: a live server on loopback and Debian's chromium.

The browser tests drive the real pages with Playwright and Debian's ``chromium``
(Playwright's own browser builds cannot be downloaded here). Outside CI they are
skipped with the reason when chromium is missing; in CI (``CI=true``) they must run
(``.ci/run`` installs chromium).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(own_site: Any) -> Iterator[str]:
    """Serve the test's own copy of the demo site on a loopback port."""
    import uvicorn

    from giamdinh.server import create_server

    port = _free_port()
    config = uvicorn.Config(
        create_server(own_site.context),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; skipped off CI when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the browser tests must run)")
        pytest.skip(reason)
    return path


@pytest.fixture
def browser_page(chromium_path: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser page (1280×800); screenshots go to ``tmp_path/screenshots``."""
    from playwright.sync_api import sync_playwright

    (tmp_path / "screenshots").mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, accept_downloads=True
        )
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
