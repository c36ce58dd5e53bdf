"""Pages in headless Chromium (Debian's ``chromium`` driven by playwright): what a person sees.

The tabs (``support.browser``) reach no network but 127.0.0.1, so the pages are checked as they
render offline.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # live_server; page, page_dialogs
pytestmark = pytest.mark.browser


def test_home_page(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("pilotkg")
    expect(page.locator("ul.counts")).to_contain_text("AI pilot zone")
    china = page.locator("svg.china-map")
    expect(china).to_be_visible()
    shenzhen = china.locator('g.place[data-place="广东省/深圳市"]')
    expect(shenzhen.locator("text.place-name")).to_have_text("Shenzhen")
    assert shenzhen.locator("a.badge").count() >= 1
    box = china.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 400
    expect(page.locator("svg.timeline-wide")).to_be_visible()
    expect(page.locator("svg.timeline-wide")).to_contain_text("2019")
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


def test_hostile_literals_do_not_run(
    page: Page, page_dialogs: list[str], live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/id/org/xss-test")
    expect(page.locator("h1")).to_contain_text("<script>window.__xss = 1;")
    page.goto(live_server.url + "/id/org/xss-test?lang=zh")
    expect(page.locator("h1")).to_contain_text("<img src=x")
    page.goto(live_server.url + "/id/source/xss-test")
    assert page.evaluate("window.__xss === undefined")
    assert page_dialogs == []
