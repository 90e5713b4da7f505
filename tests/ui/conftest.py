"""Browser fixtures: Debian's Chromium driven headless by Playwright, one mockflow per session.

Every test here is marked ``ui`` and skipped, with the reason, when the browser, Playwright or
the MLflow UI build (the full ``mlflow`` package) is missing. ``make ui-test`` installs them. In CI
(``CI=true``) a missing piece fails the run instead: a suite that skips everything proves nothing.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mockflow.server import MockflowServer
from mockflow.ui import ui_build_dir

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The UI starts in its GenAI view; mockflow's world is model training.
ML = "?workflowType=machine_learning"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("MOCKFLOW_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (make ui-test installs it)"
    if chromium_path() is None:
        return "Chromium is not installed (make ui-test installs Debian's chromium)"
    if ui_build_dir() is None:
        return "the MLflow UI build is missing (pip install 'mockflow-server[ui]')"
    return None


@pytest.hookimpl(
    trylast=True
)  # after -m has deselected: `make test` (-m "not ui") never fails here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = _missing()
    if reason is None:
        return
    ui_items = [item for item in items if here in Path(item.fspath).parents]
    if ui_items and os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"CI=true and the browser tests cannot run: {reason}")
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def ui_server() -> Iterator[MockflowServer]:
    """The default seeded world, auth off: the UI just works."""
    with MockflowServer(port=0, world="default", auth=False) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class UiPage:
    """A browser tab that records every failed request it makes."""

    page: Any
    base: str
    failures: list[str] = field(default_factory=list)
    in_flight: set[Any] = field(default_factory=set)

    def open(self, route: str) -> None:
        self.page.goto(self.base + route)

    def settle(self, *, quiet: float = 1.0, limit: float = 20.0) -> None:
        """Wait until no request has been in flight for ``quiet`` seconds (at most ``limit``)."""
        deadline = time.monotonic() + limit
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if self.in_flight:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return

    def dismiss_dialogs(self) -> None:
        """Close what MLflow announces on a first visit (e.g. its new model registry UI)."""
        dialog = self.page.get_by_role("dialog")
        if dialog.count() and dialog.first.is_visible():
            self.page.keyboard.press("Escape")
            dialog.first.wait_for(state="hidden", timeout=5000)
            self.page.wait_for_timeout(500)  # the grey mask fades out after the dialog

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def new_tab(browser: Any, base: str) -> UiPage:
    """A fresh browser context and tab on ``base`` that records failed requests."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    # MLflow's AI assistant panel opens itself on a first visit from localhost, over a third of
    # the page; mark it as already shown, as a returning user's browser would.
    context.add_init_script(
        'localStorage.setItem("mlflow.assistant.fab.autoOpenedOnFirstLoad_v1", "true");'
    )
    page = context.new_page()
    tab = UiPage(page, base)

    def finished(req: Any) -> None:
        tab.in_flight.discard(req)

    page.on("request", lambda req: tab.in_flight.add(req))
    page.on("requestfinished", finished)
    page.on(
        "requestfailed",
        lambda req: (finished(req), tab.failures.append(f"{req.method} {req.url}: {req.failure}")),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400 and tab.failures.append(f"{r.request.method} {r.url} -> {r.status}")
        ),
    )
    return tab


@pytest.fixture
def tabs(browser: Any) -> Iterator[Any]:
    """Open tabs on any server: ``tabs(base_url)``; each is closed after the test."""
    opened: list[UiPage] = []

    def open_tab(base: str) -> UiPage:
        opened.append(new_tab(browser, base))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.page.context.close()


@pytest.fixture
def ui(browser: Any, ui_server: MockflowServer) -> Iterator[UiPage]:
    tab = new_tab(browser, ui_server.prefixed_url + "/")
    yield tab
    tab.page.context.close()


@pytest.fixture(scope="session")
def client(ui_server: MockflowServer) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=ui_server.prefixed_url, registry_uri=ui_server.prefixed_url)
