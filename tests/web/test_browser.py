"""Pages in headless Chromium (Debian's ``chromium`` driven by playwright): what a person sees.

No network but 127.0.0.1: every other request (YASGUI's CDN included) is aborted,
so the pages are checked as they render offline. Chromium is never downloaded:
the Debian package is required, and its absence fails the tests with the fix.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route, expect, sync_playwright

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server
pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DIALOGS: dict[int, list[str]] = {}  # alert()/confirm() messages seen by each page


def chromium_path() -> str:
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "headless Chromium is needed for the page tests: install Debian's packages with "
        "`apt-get install -y chromium fonts-noto-cjk` (the browser is never downloaded)",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


@pytest.fixture()
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    tab = context.new_page()
    origin = live_server.url

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
    yield tab
    context.close()


def test_home_page(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("pilotkg")
    expect(page.locator("ul.counts")).to_contain_text("AI pilot zone")
    china = page.locator("svg.china-map")
    expect(china).to_be_visible()
    expect(china.locator('[data-province="guangdong"]')).to_contain_text("广东")
    assert china.locator('[data-province="guangdong"] a.marker').count() >= 2
    box = china.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 400
    expect(page.locator("svg.timeline-chart")).to_be_visible()
    expect(page.locator("svg.timeline-chart")).to_contain_text("2019")
    # The search box: Chinese text finds the English-labelled zone.
    page.locator("section.intro input[type=search]").fill("深圳")
    page.locator("section.intro input[type=search]").press("Enter")
    expect(page.locator("ol.hits")).to_contain_text(
        "Shenzhen AI Innovation and Application Pilot Zone"
    )


def test_entity_page(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/id/zone/shenzhen")
    expect(page.locator("h1")).to_have_text("Shenzhen AI Innovation and Application Pilot Zone")
    expect(page.locator(".other-label")).to_have_text("深圳人工智能创新应用先导区")
    expect(page.locator(".canonical")).to_contain_text("https://w3id.org/pilotkg/id/zone/shenzhen")
    page.get_by_role("link", name="Shenzhen", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Shenzhen")
    expect(page.locator("section", has_text="Linked from")).to_contain_text(
        "Shenzhen AI Innovation and Application Pilot Zone"
    )
    page.get_by_role("link", name="中文").click()
    expect(page.locator("h1")).to_have_text("深圳市")


def test_query_page_runs_a_query_offline(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/sparql")
    expect(page.locator("#plain textarea")).to_be_visible()
    page.locator("#plain textarea").fill(
        "PREFIX pilot: <https://w3id.org/pilotkg/ontology#>\n"
        "SELECT ?zone WHERE { ?zone a pilot:PilotZone } ORDER BY ?zone"
    )
    page.locator("#run").click()
    table = page.locator("table.results")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table).to_contain_text("Shenzhen AI Innovation and Application Pilot Zone")
    expect(page.locator("p.count")).to_have_text("4 rows")
    # An example from the canned queries runs too.
    page.get_by_role("link", name="Pilot zones by programme and batch").click()
    expect(page.locator("table.results")).to_contain_text("Pudong")


def test_hostile_literals_do_not_run(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/id/org/xss-test")
    expect(page.locator("h1")).to_contain_text("<script>window.__xss = 1;")
    page.goto(live_server.url + "/id/org/xss-test?lang=zh")
    expect(page.locator("h1")).to_contain_text("<img src=x")
    page.goto(live_server.url + "/id/source/xss-test")
    assert page.evaluate("window.__xss === undefined")
    assert DIALOGS[id(page)] == []
