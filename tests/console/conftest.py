"""Console fixtures: a browser-like HTTP session with cookies and CSRF, and Debian's Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import RunningServer, engine_env, missing_component, start_server
from tests.ledger.conftest import pull_event

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("SEALTRAIL_CHROMIUM", "/usr/bin/chromium")
# As the machine notes say: no sandbox (root), no GPU, and no calls home.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Console:
    """One browser's session with the console over HTTP: cookies kept, no redirects followed."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def csrf(self) -> str:
        """The token of the forms, as the sign-in page hands it out."""
        page = self.get("/signin")
        found = _CSRF_FIELD.search(page.text)
        assert found, page.text
        return found.group(1)

    def post(self, path: str, **form: str) -> httpx.Response:
        return self.http.post(path, data=form)

    def sign_in(self, key: str) -> httpx.Response:
        response = self.post("/signin", key=key, csrf=self.csrf())
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def console(server: RunningServer) -> Iterator[Console]:
    """A browser session on a fresh server of the test's own."""
    with Console(server) as session:
        yield session


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server for a module's tests that need no state of their own (it starts in ~3 s), on
    each engine."""
    running = start_server(tmp_path_factory.mktemp("console") / "data", env=engine_env(request))
    yield running
    running.stop()


@pytest.fixture
def visitor(shared_server: RunningServer) -> Iterator[Console]:
    """A new browser session (no cookies) on the module's shared server."""
    with Console(shared_server) as session:
        yield session


def append(server: RunningServer, *events: dict[str, Any]) -> list[int]:
    """Append ``events`` over the API as a writer would; their sequence numbers."""
    with server.client(server.admin_key) as admin:
        responses = [admin.post("/v1/events", json=event) for event in events]
    for response in responses:
        response.raise_for_status()
    return [int(response.json()["seq"]) for response in responses]


def pulls(count: int, *, actor: str = "dicom-processor", start: int = 0) -> list[dict[str, Any]]:
    return [pull_event(i, actor=actor) for i in range(start, start + count)]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright; skipped (failed under CI=true) when either is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_component("playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        missing_component(f"no Chromium at {CHROMIUM}: run scripts/install-test-deps")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the test's server."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page under test-artifacts/console/ for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
