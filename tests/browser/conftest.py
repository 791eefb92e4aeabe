"""Playwright (pytest-playwright's fixtures) driving Debian's chromium against live_server.

Playwright's sync API runs an event loop in the test's thread, so Django's async-safety check
must be off while it runs (DJANGO_ALLOW_ASYNC_UNSAFE). Both are confined to this folder: the
Playwright driver lives per module here (pytest-playwright's own is per session), so neither
the loop nor the variable reaches the rest of the run (the deploy check, rightly, refuses the
variable). Screenshots go to var/test-artefacts/ (gitignored)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts"


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Generator[None, None, None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="module")
def browser_context_args() -> dict:
    """A desktop window (the pages are also checked at phone width by their CSS, not here)."""
    return {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def playwright(_orm_beside_playwright) -> Generator[Playwright, None, None]:
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args: dict, browser_type: BrowserType) -> Callable[..., Browser]:
    def launch(**kwargs: object) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Browser]) -> Generator[Browser, None, None]:
    started = launch_browser()
    yield started
    started.close()


@pytest.fixture
def shot(page):
    """Save a full-page screenshot under var/test-artefacts/<name>.png."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTEFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
