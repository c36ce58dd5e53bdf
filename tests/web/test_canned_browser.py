"""A canned query run from its form in headless Chromium, offline: a value picked from the
select, the form submitted, the table read; on a phone the table scrolls inside its box.

The fixture data (``tests/data/web/data``) has four zones, all of MIIT's programme, and in
Guangdong only zone:shenzhen and base:healthcare-guangzhou (see test_canned_forms.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # live_server; page, open_tab
pytestmark = pytest.mark.browser

MIIT = "National AI Innovation and Application Pilot Zones (MIIT)"


def test_a_value_picked_from_the_select_runs_the_query(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    page.goto(live_server.url + "/queries/zones?lang=en")
    expect(page.locator("h1")).to_have_text("Pilot zones by programme and batch")
    page.locator("#param-programme").select_option(label=MIIT)
    page.get_by_role("button", name="Run").click()
    page.wait_for_url("**programme=programme%3Amiit-ai-innovation-application-pilot-zones**")
    table = page.locator("table.results")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("thead th").first).to_have_text("Pilot zone")
    expect(table).to_contain_text("Shenzhen AI Innovation and Application Pilot Zone")
    expect(page.locator("#param-programme option:checked")).to_have_text(MIIT)
    page.screenshot(path=screenshots / "canned-zones-picked-en-1280.png", full_page=True)
    # Another programme: MOST's, which has no zone in the fixture.
    page.locator("#param-programme").select_option(
        label="National New Generation AI Innovation and Development Pilot Zones (MOST)"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.locator("p.count")).to_have_text("0 rows")


def test_a_required_value_comes_filled_in_and_a_region_is_picked_in_chinese(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    page.goto(live_server.url + "/queries/region-contents?lang=zh")
    expect(page.locator("p.message.note")).to_contain_text("此查询需要填写“地区”")
    picker = page.locator("#param-region")
    expect(picker.locator("option:checked")).to_have_text("广东省")
    picker.select_option(label="山东省")
    page.get_by_role("button", name="运行").click()
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(2)  # zone:jinan-qingdao, once for each of its two cities
    expect(rows.first).to_contain_text("济南-青岛人工智能创新应用先导区")
    page.screenshot(path=screenshots / "canned-region-picked-zh-1280.png", full_page=True)


def test_on_a_phone_the_table_scrolls_inside_its_box(
    open_tab: Callable[..., AbstractContextManager[Page]],
    live_server: LiveServer,
    screenshots: Path,
) -> None:
    with open_tab(live_server.url, width=390, height=844) as tab:
        tab.goto(live_server.url + "/queries/zones?lang=en")
        box = tab.locator(".results-box")
        expect(box).to_be_visible()
        widths = tab.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"the page itself scrolls sideways: {widths}"
        inner = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert inner[0] > inner[1], "the wide table scrolls within its box"
        form = tab.locator("form.params").bounding_box()
        assert form is not None and form["x"] + form["width"] <= 390
        tab.screenshot(path=screenshots / "canned-zones-en-390.png", full_page=True)
