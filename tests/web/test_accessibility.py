"""Every kind of page, in English and Chinese, on a desktop (1280 px) and a phone (390 px), as
axe-core (the accessibility engine browsers' own audits use) and a keyboard user find it.

The pages are those of the release of the project's own data (``real_server``), where every kind
of entity has a page. axe-core is installed from npm into tests/js (``scripts/test.sh`` runs
``npm ci`` there) and run in Debian's Chromium. Each page's full-length screenshot is left in
``$PILOTKG_ARTEFACTS/screenshots/`` (default ``.artefacts/screenshots/``) for a person to look at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from support.paths import TESTS
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # real_server; open_tab, screenshots
pytestmark = pytest.mark.browser

AXE = TESTS / "js" / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts a page may not have; axe's "minor" and "moderate" ones are advice.
BLOCKING = ("serious", "critical")
WIDTHS = (1280, 390)
LANGS = ("en", "zh")
ZONES = "https://w3id.org/pilotkg/id/programme/miit-ai-innovation-application-pilot-zones"
#: One page of every kind: name → path (without ``lang``).
PAGES = {
    "home": "/",
    "zone-list": "/id/zone/",
    "browse-table": "/zones",
    "zone": "/id/zone/shenzhen",
    "base": "/id/base/energy-power",
    "policy": "/id/policy/ai-plus-opinions",
    "region": "/id/region/guangdong",
    "organisation": "/id/org/miit",
    "event": "/id/event/pudong-zone-launch-2019",
    "source": "/id/source/workercn-2019-10-19",
    "person": "/id/person/wang-xinzhe",
    "figure": "/id/figure/jinan-gdp-2018",
    "ontology": "/ontology",
    "ontology-term": "/ontology/PilotZone",
    "queries": "/queries/",
    "canned-query": f"/queries/zones?programme={ZONES}",
    "sparql": "/sparql",
    "search": "/search?q=深圳",
    "dumps": "/dumps/",
    "not-found": "/id/zone/no-such-zone",
}
STATUS = {"not-found": 404}


@dataclasses.dataclass(frozen=True)
class Audit:
    """What one page, in one language and at one width, showed the tests."""

    url: str
    status: int
    lang: str  # the lang attribute of <html>
    violations: list[dict[str, Any]]  # axe's, serious and critical ones only
    scroll_width: int
    inner_width: int


#: Every page kind in both languages at both widths, as (kind, lang, width).
CASES = [
    pytest.param(kind, lang, width, id=f"{kind}-{lang}-{width}")
    for kind in PAGES
    for lang in LANGS
    for width in WIDTHS
]


@pytest.fixture(scope="module")
def audit(
    open_tab: Callable[..., AbstractContextManager[Page]],
    real_server: LiveServer,
    screenshots: Path,
) -> Iterator[Callable[[str, str, int], Audit]]:
    """Each page audited once (its screenshot saved), whichever test asks first; one tab per width."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is missing ({AXE}): run `npm ci --ignore-scripts` in tests/js "
            "(scripts/test.sh does it)",
            pytrace=False,
        )
    done: dict[tuple[str, str, int], Audit] = {}
    with ExitStack() as stack:
        tabs = {
            width: stack.enter_context(
                open_tab(real_server.url, width=width, height=900, init_scripts=[AXE])
            )
            for width in WIDTHS
        }

        def run(kind: str, lang: str, width: int) -> Audit:
            if (kind, lang, width) not in done:
                path = PAGES[kind]
                url = f"{real_server.url}{path}{'&' if '?' in path else '?'}lang={lang}"
                done[kind, lang, width] = _audit(tabs[width], url)
                tabs[width].screenshot(
                    path=screenshots / f"{kind}-{lang}-{width}.png", full_page=True
                )
            return done[kind, lang, width]

        yield run


def _audit(tab: Page, url: str) -> Audit:
    response = tab.goto(url)
    assert response is not None, url
    found = tab.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(" "))}))"""
    )
    width = tab.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return Audit(
        url=url,
        status=response.status,
        lang=tab.evaluate("document.documentElement.lang"),
        violations=[v for v in found if v["impact"] in BLOCKING],
        scroll_width=width[0],
        inner_width=width[1],
    )


def _described(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]!r}"
        + (f" and {len(v['nodes']) - 1} more" if len(v["nodes"]) > 1 else "")
        + f": {v['help']}"
        for v in violations
    )


@pytest.mark.parametrize(("kind", "lang", "width"), CASES)
def test_axe_finds_no_serious_violation(
    audit: Callable[[str, str, int], Audit], kind: str, lang: str, width: int
) -> None:
    page = audit(kind, lang, width)
    assert page.status == STATUS.get(kind, 200), f"{page.url} answered {page.status}"
    assert page.lang == lang, f"{page.url}: <html lang={page.lang!r}>"
    assert not page.violations, f"{page.url} at {width} px: {_described(page.violations)}"


@pytest.mark.parametrize(("kind", "lang", "width"), CASES)
def test_page_does_not_scroll_sideways(
    audit: Callable[[str, str, int], Audit], kind: str, lang: str, width: int
) -> None:
    page = audit(kind, lang, width)
    assert page.scroll_width <= page.inner_width + 1, (
        f"{page.url} is {page.scroll_width} px wide in a {page.inner_width} px window"
    )


#: What the tests read of the element that has the keyboard's focus.
FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
    const box = e.getBoundingClientRect();
    return {name: e.getAttribute("aria-label") || e.textContent.trim(), tag: e.tagName,
            href: e.getAttribute("href"), top: box.top, height: box.height,
            header: !!e.closest("header"), main: !!e.closest("main"),
            visible: e.matches(":focus-visible"),
            outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth)}; }"""


def test_tabbing_from_the_top_reaches_search_and_navigation_with_a_visible_focus(
    open_tab: Callable[..., AbstractContextManager[Page]], real_server: LiveServer
) -> None:
    with open_tab(real_server.url, width=1280) as tab:
        tab.goto(real_server.url + "/id/zone/shenzhen?lang=en")
        navigation = set(tab.locator("header nav a").all_inner_texts())
        assert {"SPARQL", "Queries", "Dumps", "Ontology"} <= navigation, navigation
        seen: list[dict[str, Any]] = []
        while len(seen) < 40 and not (seen and seen[-1]["main"]):
            tab.keyboard.press("Tab")
            seen.append(tab.evaluate(FOCUSED))
        skip = seen[0]
        assert skip["href"] == "#main" and skip["top"] >= 0 and skip["height"] > 0, (
            f"the first Tab does not show a skip link to the content: {skip}"
        )
        header = [e for e in seen if e["header"]]
        reached = {e["name"] for e in header}
        assert navigation <= reached, f"not reached by Tab: {navigation - reached}"
        assert any(e["tag"] == "INPUT" and e["name"].startswith("Search") for e in header), header
        for element in [skip, *header]:
            assert element["visible"] and element["outline"] != "none", element
            assert element["outlineWidth"] >= 2, f"a focus outline under 2 px: {element}"
        # The skip link skips: after it, the next Tab lands inside <main>.
        tab.reload()
        tab.keyboard.press("Tab")
        tab.keyboard.press("Enter")
        tab.keyboard.press("Tab")
        assert tab.evaluate(FOCUSED)["main"], tab.evaluate("document.activeElement.outerHTML")
