"""Headless Chromium for the page tests, a plugin (``pytest_plugins = ["support.browser"]``).

Debian's ``chromium`` driven by playwright: the browser is never downloaded, and its absence
fails the tests with the command that installs it. A tab reaches no network but the server under
test: every other request (YASGUI's CDN included) is aborted, so pages are checked as they render
offline. One copy of these fixtures serves every browser test module; a module takes what it
needs as fixtures (``browser``, ``page``, ``page_dialogs``, ``open_tab``, ``screenshots``) and
imports nothing from here, so that pytest can rewrite this plugin's asserts.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Playwright, Route, sync_playwright

from support.paths import PROJECT
from support.web import LiveServer

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: alert()/confirm() messages seen by each tab, by ``id(tab)``: a page that opens one has run
#: script it should not have.
DIALOGS: dict[int, list[str]] = {}


def chromium_path() -> str:
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "headless Chromium is needed for the page tests: install Debian's packages with "
        "`apt-get install -y chromium fonts-noto-cjk` (the browser is never downloaded)",
        pytrace=False,
    )


class _Chromium:
    """The one Chromium of this process, launched for the first browser test and kept for the
    browser tests that follow it, whichever their module.

    Playwright's sync API cannot run two browsers at once in one thread, and while it runs, its
    event loop counts as running in this thread, so ``asyncio.run`` fails. The browser is
    therefore stopped once the tests leave it behind: at the end of the module whose next test
    (in another module) needs no browser, and at the end of the session."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            self.stop()  # the playwright of a launch that failed
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium_path(),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
        return self._browser

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


_CHROMIUM = _Chromium()


@pytest.fixture(scope="module")
def browser() -> Browser:
    """The process's Chromium, shared with the browser test modules run next to this one."""
    return _CHROMIUM.get()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the module's own teardown: stop the browser when the next test is in another
    module and needs none (a module that uses it keeps it throughout, as before)."""
    needs = getattr(nextitem, "fixturenames", ())  # a test function's fixtures, all the way down
    if nextitem is None or (nextitem.path != item.path and "browser" not in needs):
        _CHROMIUM.stop()


@contextmanager
def offline_tab(
    browser: Browser,
    origin: str,
    *,
    width: int = 1200,
    height: int = 900,
    init_scripts: Sequence[Path] = (),
) -> Iterator[Page]:
    """A tab of a fresh context that reaches ``origin`` only, with its dialogs recorded in
    ``DIALOGS`` and dismissed. ``init_scripts`` run in every document before its own scripts,
    through the browser's debugging protocol, so the page's Content-Security-Policy (which
    allows no inline script) neither blocks them nor has to be turned off for them."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    for script in init_scripts:
        context.add_init_script(path=script)
    tab = context.new_page()

    def only_local(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    tab.route("**/*", only_local)
    tab.set_default_timeout(15_000)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", dismiss)
    tab.evaluate("0")  # a live page before the tests' own navigation
    DIALOGS[id(tab)] = dialogs
    try:
        yield tab
    finally:
        DIALOGS.pop(id(tab), None)
        context.close()


@pytest.fixture(scope="module")
def open_tab(browser: Browser) -> Callable[..., AbstractContextManager[Page]]:
    """``offline_tab`` on this module's browser: ``with open_tab(origin, width=390) as tab:``."""
    return functools.partial(offline_tab, browser)


@pytest.fixture()
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A 1200 × 900 tab on the fixture release's server."""
    with offline_tab(browser, live_server.url) as tab:
        yield tab


@pytest.fixture()
def page_dialogs(page: Page) -> list[str]:
    """The alert()/confirm() messages ``page`` has seen so far (and goes on recording)."""
    return DIALOGS[id(page)]


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder for screenshots a person looks at after the run: ``screenshots/`` under
    ``$PILOTKG_ARTEFACTS``, by default under ``.artefacts/`` in the checkout."""
    folder = Path(os.environ.get("PILOTKG_ARTEFACTS") or PROJECT / ".artefacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
