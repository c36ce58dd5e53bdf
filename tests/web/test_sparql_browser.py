"""The query page in headless Chromium, offline (so the plain form, not YASGUI): a query with a
syntax error, submitted from the page, comes back in its box with the message beside it and
the cursor on the mistake."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from support.paths import TESTS
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # live_server; page, open_tab
pytestmark = pytest.mark.browser

AXE = TESTS / "js" / "node_modules" / "axe-core" / "axe.min.js"


def test_a_syntax_error_is_shown_beside_the_kept_query(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/sparql?lang=en")
    box = page.locator("#plain textarea")
    box.fill("SELEC * WHERE {}")
    page.locator("#run").click()
    problem = page.locator("#query-problem")
    expect(problem).to_be_visible()
    expect(problem.locator("h2")).to_have_text("Syntax error at line 1, column 1")
    expect(problem).to_contain_text("expected SELECT, CONSTRUCT, ASK or DESCRIBE")
    expect(problem.locator("mark")).to_have_text("SELEC")
    expect(box).to_have_value("SELEC * WHERE {}")
    expect(box).to_be_focused()
    assert box.evaluate("b => [b.selectionStart, b.selectionEnd]") == [0, 5]
    # The message sits right above the box it describes.
    above, under = problem.bounding_box(), box.bounding_box()
    assert above is not None and under is not None
    assert 0 <= under["y"] - (above["y"] + above["height"]) < 40
    # Corrected in place, the same box runs.
    box.fill("SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    page.locator("#run").click()
    expect(page.locator("table.results tbody tr")).to_have_count(3)
    expect(page.locator("#query-problem")).to_have_count(0)


def test_a_result_too_large_keeps_the_query_in_chinese(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/sparql?lang=zh")
    box = page.locator("#plain textarea")
    box.fill("SELECT * WHERE { ?s ?p ?o }")  # more rows than max_result_rows (300)
    page.locator("#run").click()
    expect(page.locator("#query-problem h2")).to_have_text("查询未能得到结果（HTTP 422）")
    expect(page.locator("#query-problem")).to_contain_text("max_result_rows")
    expect(box).to_have_value("SELECT * WHERE { ?s ?p ?o }")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_with_an_error_is_accessible_and_fits(
    open_tab: Callable[..., AbstractContextManager[Page]], live_server: LiveServer, width: int
) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `npm ci --ignore-scripts` in tests/js")
    query = "SELECT ?zone WHERE {\n  ?zone a pilot:PilotZone ; rdfs:label “深圳” .\n}"
    with open_tab(live_server.url, width=width, init_scripts=[AXE]) as tab:
        tab.goto(f"{live_server.url}/sparql?lang=zh&query={quote(query)}")
        expect(tab.locator("#query-problem h2")).to_have_text("语法错误：第 2 行，第 40 列")
        found = tab.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                .filter(v => v.impact === "serious" || v.impact === "critical").map(v => v.id)"""
        )
        assert found == []
        assert tab.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
