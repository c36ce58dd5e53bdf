"""What a journalist or researcher must see, read from the pages Chromium renders on the release
of the project's own data, on a desktop (1280 px) and a phone (390 px), in English and Chinese:
the infobox of a known zone, base and policy with its labels and dates on screen; Guangdong's
zones and bases, and the same names in the canned query its page links to; a document number
and a place typed into the header's search box; a footnote that leads to its source's words; the
language a reader picks staying picked; and no English word in the Chinese interface.

Every expected value was checked by hand against the data: data/zones.ttl (zone:shenzhen: MIIT's
programme, batch 1, located in region:shenzhen, designated by organisation:miit under
policy:miit-letter-shenzhen-zone, approved 2019-10-14, cited to source:workercn-2019-10-19),
data/letters.ttl (that letter's labels), data/bases.ttl (base:healthcare-beijing: operated by
organisation:beijing-medical-health-llm-company, led by organisation:china-unicom, launched
2025-09-10; base:consumption-mobile-terminal located in Dongguan and Shenzhen),
data/policies.ttl (policy:ai-plus-opinions: 国发〔2025〕11号, issued by the State Council,
adopted 2025-07-31, signed 2025-08-21, published 2025-08-26), data/organisations.ttl and
data/programmes.ttl (their labels), and data/regions.ttl, data/zones.ttl, data/most-zones.ttl,
data/bases.ttl for Guangdong (Shenzhen, Guangzhou and Dongguan are its cities that host zones or
bases: two MIIT zones, two MOST zones, the Guangzhou healthcare base, the consumption base).

Each page's screenshot is left in ``$PILOTKG_ARTEFACTS/screenshots/`` as ``reader-….png``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support.interface_words import (
    NOT_INTERFACE,
    english_words,
    names_without_chinese,
    select_rows,
)
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # real_server; open_tab, screenshots
pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
OpenTab = Callable[..., AbstractContextManager[Page]]


@pytest.fixture(scope="module")
def reader(open_tab: OpenTab, real_server: LiveServer) -> Iterator[Callable[[int], Page]]:
    """One tab per width on the real data's server, opened on first use (every page it opens
    names its language, so its cookie decides nothing; the switch's test has a tab of its own)."""
    tabs: dict[int, Page] = {}
    with ExitStack() as stack:

        def tab(width: int) -> Page:
            if width not in tabs:
                tabs[width] = stack.enter_context(
                    open_tab(real_server.url, width=width, height=900)
                )
            return tabs[width]

        yield tab


def _open(tab: Page, server: LiveServer, path: str, lang: str, status: int = 200) -> None:
    """Opens ``path`` in ``lang``; it must answer ``status`` in that language."""
    response = tab.goto(f"{server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
    assert response is not None and response.status == status, path
    expect(tab.locator("html")).to_have_attribute("lang", lang)


def _fits(tab: Page) -> None:
    """The page needs no sideways scrolling."""
    width, window = tab.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"{tab.url} is {width} px wide in a {window} px window"


# --- the infoboxes ------------------------------------------------------------------------

#: Each row of an infobox as the reader sees it: its heading, and each value's rendered text
#: without its footnote numbers, with whether the value lies inside the window's width.
INFOBOX_ROWS = """(box) => [...box.querySelectorAll("tr")].map(row => ({
    heading: row.querySelector("th").innerText.trim(),
    values: [...row.querySelectorAll("td li")].map(li => {
        const box = li.getBoundingClientRect();
        const text = [...li.childNodes]
            .filter(n => !(n.nodeType === 1 && n.matches("sup.cite")))
            .map(n => n.nodeType === 1 ? n.innerText : n.textContent).join("");
        return {text: text.replace(/\\s+/g, " ").trim(),
                onScreen: box.width > 0 && box.height > 0 && box.left >= 0
                          && box.right <= window.innerWidth};
    })
}))"""

ZONE_EN = {
    "Programme": ["National AI Innovation and Application Pilot Zones (MIIT)"],
    "Batch": ["1"],
    "Located in": ["Shenzhen"],
    "Designated by": ["Ministry of Industry and Information Technology"],
    "Designation document": [
        "MIIT reply letter supporting the Shenzhen AI innovation and application pilot zone"
    ],
    "Approval date": ["14 October 2019"],
}
ZONE_ZH = {
    "所属项目": ["国家人工智能创新应用先导区"],
    "批次": ["1"],
    "所在地区": ["深圳市"],
    "批复单位": ["工业和信息化部"],
    "批复文件": ["工业和信息化部支持深圳建设先导区的复函"],
    "批复日期": ["2019年10月14日"],
}
BASE_EN = {
    "Operator": ["Beijing Medical and Health Large Model Co., Ltd."],
    "Lead organisation": ["China Unicom"],
    "Launch date": ["10 September 2025"],
}
BASE_ZH = {
    "运营单位": ["北京医疗健康大模型有限公司"],
    "牵头单位": ["中国联通"],
    "启动日期": ["2025年9月10日"],
}
POLICY_EN = {
    "Document number": ["国发〔2025〕11号"],
    "Issued by": ["State Council of the People's Republic of China"],
    "Adoption date": ["31 July 2025"],
    "Date of document": ["21 August 2025"],
    "Publication date": ["26 August 2025"],
}
POLICY_ZH = {
    "发文字号": ["国发〔2025〕11号"],
    "发文机关": ["国务院"],
    "审议通过日期": ["2025年7月31日"],
    "成文日期": ["2025年8月21日"],
    "发布日期": ["2025年8月26日"],
}
INFOBOXES = [
    ("zone", "/id/zone/shenzhen", "en", ZONE_EN),
    ("zone", "/id/zone/shenzhen", "zh", ZONE_ZH),
    ("base", "/id/base/healthcare-beijing", "en", BASE_EN),
    ("base", "/id/base/healthcare-beijing", "zh", BASE_ZH),
    ("policy", "/id/policy/ai-plus-opinions", "en", POLICY_EN),
    ("policy", "/id/policy/ai-plus-opinions", "zh", POLICY_ZH),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("kind", "path", "lang", "expected"), INFOBOXES, ids=[f"{c[0]}-{c[2]}" for c in INFOBOXES]
)
def test_the_infobox_shows_each_value_under_its_label_on_screen(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    kind: str,
    path: str,
    lang: str,
    expected: dict[str, list[str]],
    width: int,
) -> None:
    tab = reader(width)
    _open(tab, real_server, path, lang)
    box = tab.locator("aside.infobox")
    expect(box).to_be_visible()
    tab.screenshot(path=screenshots / f"reader-{kind}-{lang}-{width}.png", full_page=True)
    rows = {row["heading"]: row["values"] for row in box.evaluate(INFOBOX_ROWS)}
    seen = {heading: [v["text"] for v in rows.get(heading, [])] for heading in expected}
    assert seen == expected, f"{path} at {width} px: the infobox reads {rows}"
    if kind == "zone":  # a zone's questions, in the order people ask them
        assert list(rows)[: len(expected)] == list(expected)
    off = [(h, v["text"]) for h in expected for v in rows[h] if not v["onScreen"]]
    assert off == [], f"{path} at {width} px: values outside the window's width: {off}"
    _fits(tab)


# --- a region and what is in it -------------------------------------------------------------

#: Guangdong's zones and bases by language, from their rdfs:labels (the names a reader sees).
GUANGDONG = {
    "en": {
        "zone": [
            "Guangzhou National AI Innovation and Application Pilot Zone",
            "Guangzhou National New Generation AI Innovation and Development Pilot Zone",
            "Shenzhen AI Innovation and Application Pilot Zone",
            "Shenzhen National New Generation AI Innovation and Development Pilot Zone",
        ],
        "base": [
            "National AI Application Pilot Test Base (Consumption Field, Mobile Terminal Direction)",
            "National AI Application Pilot Test Base (Healthcare Field), Guangzhou",
        ],
    },
    "zh": {
        "zone": [
            "广州国家人工智能创新应用先导区",
            "广州国家新一代人工智能创新发展试验区",
            "深圳人工智能创新应用先导区",
            "深圳国家新一代人工智能创新发展试验区",
        ],
        "base": [
            "国家人工智能应用中试基地(消费领域移动终端方向)",
            "国家人工智能应用中试基地(医疗领域)·广州",
        ],
    },
}
#: The class each kind's rows link to in the canned query's "kind" column.
KIND_TERMS = {"zone": "/ontology/PilotZone", "base": "/ontology/PilotTestBase"}
#: Each result row's first cell (what) and the address its kind cell links to.
RESULT_ROWS = """() => [...document.querySelectorAll("table.results tbody tr")].map(row => [
    row.cells[0].innerText.trim(), row.cells[1].querySelector("a")?.getAttribute("href") || ""])"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_guangdongs_page_lists_its_zones_and_bases_and_its_query_names_the_same(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    lang: str,
    width: int,
) -> None:
    tab = reader(width)
    _open(tab, real_server, "/id/region/guangdong", lang)
    tab.screenshot(path=screenshots / f"reader-region-{lang}-{width}.png", full_page=True)
    for kind, names in GUANGDONG[lang].items():
        heading = tab.locator(f"#in-{kind}")
        expect(heading).to_be_visible()
        expect(heading).to_contain_text(f"({len(names)})")
        listed = tab.locator(f"#in-{kind} + ul.members > li")
        expect(listed.first).to_be_visible()
        assert sorted(listed.all_inner_texts()) == sorted(names), (
            f"Guangdong's {kind}s at {width} px"
        )
    _fits(tab)
    with tab.expect_navigation():
        tab.locator('p.as-query a[href*="/queries/region-contents?"]:not([type])').click()
    assert "/queries/region-contents" in tab.url
    expect(tab.locator("html")).to_have_attribute("lang", lang)
    expect(tab.locator("table.results")).to_be_visible()
    tab.screenshot(path=screenshots / f"reader-region-query-{lang}-{width}.png", full_page=True)
    rows = tab.evaluate(RESULT_ROWS)
    for kind, names in GUANGDONG[lang].items():
        found = sorted({what for what, term in rows if term.startswith(KIND_TERMS[kind])})
        assert found == sorted(names), f"the query lists other {kind}s than the page: {found}"


# --- search from the header -----------------------------------------------------------------

AI_PLUS = {
    "en": "State Council Opinions on Deeply Implementing the AI+ Initiative",
    "zh": "国务院关于深入实施“人工智能+”行动的意见",
}
CONSUMPTION_BASE = "/id/base/consumption-mobile-terminal"


def _search_from_the_header(tab: Page, words: str) -> None:
    """Types ``words`` into the header's search box and submits it with Enter."""
    box = tab.locator("header form.search input[type=search]")
    expect(box).to_be_visible()
    box.click()
    box.press_sequentially(words)
    with tab.expect_navigation():
        box.press("Enter")
    assert "/search?" in tab.url, tab.url
    expect(tab.locator("ol.hits")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_document_number_typed_in_the_header_finds_its_policy_first(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    lang: str,
    width: int,
) -> None:
    tab = reader(width)
    _open(tab, real_server, "/id/zone/shenzhen", lang)
    _search_from_the_header(tab, "国发〔2025〕11号")
    first = tab.locator("ol.hits > li").first.locator("a").first
    expect(first).to_have_text(AI_PLUS[lang])
    expect(first).to_have_attribute("href", f"/id/policy/ai-plus-opinions?lang={lang}")
    expect(first).to_be_in_viewport()
    tab.screenshot(path=screenshots / f"reader-search-number-{lang}-{width}.png", full_page=True)
    _fits(tab)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("lang", "words"), [("zh", "深圳"), ("en", "Shenzhen")])
def test_a_city_typed_in_the_header_finds_the_base_it_shares(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    lang: str,
    words: str,
    width: int,
) -> None:
    tab = reader(width)
    _open(tab, real_server, "/", lang)
    _search_from_the_header(tab, words)
    hit = tab.locator("ol.hits > li", has=tab.locator(f'a[href^="{CONSUMPTION_BASE}?"]'))
    expect(hit).to_have_count(1)
    expect(hit).to_be_visible()
    expect(hit.locator("a").first).to_have_text(GUANGDONG[lang]["base"][0])
    tab.screenshot(path=screenshots / f"reader-search-city-{lang}-{width}.png", full_page=True)
    _fits(tab)


# --- footnotes ------------------------------------------------------------------------------

#: MIIT's words for the Shenzhen zone's approval date, quoted by source:workercn-2019-10-19.
LETTER_WORDS = (
    "2019年10月14日,为加快推进人工智能创新发展和应用赋能,支持济南-青岛、深圳打造人工智能"
    "核心产业集聚区,工业和信息化部复函"
)
APPROVAL = {"en": "Approval date", "zh": "批复日期"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_footnote_number_leads_to_its_source_and_its_words(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    lang: str,
    width: int,
) -> None:
    tab = reader(width)
    _open(tab, real_server, "/id/zone/shenzhen", lang)
    row = tab.locator("aside.infobox tr", has=tab.locator("th", has_text=APPROVAL[lang]))
    footnote = row.locator("sup.cite a")
    expect(footnote).to_have_count(1)
    expect(footnote).to_be_visible()
    target = footnote.get_attribute("href")
    assert target and target.startswith("#source-"), target
    footnote.click()
    tab.wait_for_function("hash => location.hash === hash", arg=target)
    source = tab.locator(f"ol.sources > li{target}")
    expect(source).to_be_in_viewport()
    expect(source.locator('a[href^="/id/source/workercn-2019-10-19?"]')).to_be_visible()
    quote = source.locator("blockquote.evidence", has_text=LETTER_WORDS)
    expect(quote).to_be_visible()
    expect(quote).to_be_in_viewport()
    # the source the reader jumped to is marked, so the eye finds it among the others
    marked = tab.evaluate(
        "() => { const t = document.querySelector(':target');"
        " return [t && t.id, t && getComputedStyle(t).backgroundColor]; }"
    )
    assert marked[0] == target[1:] and marked[1] not in ("", "rgba(0, 0, 0, 0)"), marked
    tab.screenshot(path=screenshots / f"reader-footnote-{lang}-{width}.png")
    _fits(tab)


# --- the language a reader picks ------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_the_language_picked_with_the_switch_stays_picked(
    open_tab: OpenTab, real_server: LiveServer, screenshots: Path, width: int
) -> None:
    with open_tab(real_server.url, width=width, height=900) as tab:  # its own cookie jar
        tab.goto(real_server.url + "/id/zone/shenzhen")
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        tab.locator("header a.lang").click()
        expect(tab.locator("html")).to_have_attribute("lang", "zh")
        expect(tab.locator("h1")).to_have_text("深圳人工智能创新应用先导区")
        # the header's links carry no language: the choice alone keeps the next page Chinese
        zones = tab.locator('header nav a[href$="/zones"]')
        assert "lang=" not in (zones.get_attribute("href") or "")
        with tab.expect_navigation():
            zones.click()
        expect(tab.locator("html")).to_have_attribute("lang", "zh")
        expect(tab.locator("h1")).to_contain_text("试点区")
        tab.screenshot(path=screenshots / f"reader-switch-zh-{width}.png", full_page=True)
        # and so does an address typed by hand
        tab.goto(real_server.url + "/id/region/guangdong")
        expect(tab.locator("html")).to_have_attribute("lang", "zh")
        expect(tab.locator("h1")).to_have_text("广东省")
        # switching back sticks as well
        tab.locator("header a.lang").click()
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        with tab.expect_navigation():
            tab.locator('header nav a[href$="/zones"]').click()
        expect(tab.locator("html")).to_have_attribute("lang", "en")
        expect(tab.locator("h1")).not_to_contain_text("试点区")


# --- no English in the Chinese interface, as rendered -----------------------------------------

#: One page of every kind: name → path (without ``lang``).
PAGE_KINDS = {
    "home": "/",
    "zone": "/id/zone/shenzhen",
    "base": "/id/base/healthcare-beijing",
    "policy": "/id/policy/ai-plus-opinions",
    "region": "/id/region/guangdong",
    "sector": "/id/sector/healthcare",
    "organisation": "/id/org/miit",
    "source": "/id/source/workercn-2019-10-19",
    "event": "/id/event/pudong-zone-launch-2019",
    "target": "/id/target/ai-plus-opinions-2027",
    "measure": "/id/measure/talent",
    "programme": "/id/programme/miit-ai-innovation-application-pilot-zones",
    "person": "/id/person/wang-xinzhe",
    "figure": "/id/figure/jinan-gdp-2018",
    "scheme": "/id/scheme/sectors",
    "zone-list": "/id/zone/",
    "region-list": "/id/region/",
    "browse-zones": "/zones",
    "browse-bases": "/bases",
    "browse-policies": "/policies",
    "browse-organisations": "/organisations",
    "ontology": "/ontology",
    "ontology-term": "/ontology/PilotZone",
    "queries": "/queries/",
    "canned-query": "/queries/zones",
    "canned-region": "/queries/region-contents?region=region:guangdong",
    "sparql": "/sparql",
    "sparql-error": "/sparql?query=SELEC%20%3Fx%20WHERE%20%7B%7D",
    "search": "/search?q=深圳",
    "dumps": "/dumps/",
    "not-found": "/id/zone/no-such-zone",
}
STATUS = {"not-found": 404, "sparql-error": 400}
#: The rendered text of the page less what is not the interface's words (``NOT_INTERFACE``):
#: those elements are taken out of the document, then the body's innerText is what remains.
INTERFACE_TEXT = """(selector) => {
    for (const e of document.body.querySelectorAll(selector)) e.remove();
    return document.body.innerText; }"""


@pytest.fixture(scope="module")
def data_values(real_server: LiveServer) -> list[str]:
    """What a Chinese page may show in Latin letters because it is data: the labels of things
    without a Chinese label, and the Chinese values that hold an English name (a source titled
    "Fresh from China：…", a description citing an English headline). Only values with Chinese
    characters in them: a short Latin one ("pilot") would also blank out chrome it is part of."""
    rows = select_rows(
        real_server,
        "SELECT DISTINCT ?value WHERE { ?s ?p ?value FILTER(isLiteral(?value) "
        '&& REGEX(STR(?value), "[A-Za-z]{3}") && REGEX(STR(?value), "[一-鿿]")) }',
    )
    return names_without_chinese(real_server) + [row["value"] for row in rows]


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_the_chinese_interface_shows_no_english_word_on_a_phone(
    reader: Callable[[int], Page],
    real_server: LiveServer,
    screenshots: Path,
    data_values: list[str],
    kind: str,
) -> None:
    tab = reader(390)
    path = PAGE_KINDS[kind]
    _open(tab, real_server, path, "zh", STATUS.get(kind, 200))
    tab.screenshot(path=screenshots / f"reader-chrome-{kind}-zh-390.png", full_page=True)
    text = tab.evaluate(INTERFACE_TEXT, NOT_INTERFACE)
    assert "搜索" in text, f"{path}: the scan read no header ({text[:200]!r})"
    words = english_words(text, data_values)
    assert words == [], f"{path} in Chinese shows English: {sorted(set(words))}"


def test_the_scan_reads_what_the_browser_renders(reader: Callable[[int], Page]) -> None:
    """The scan sees the text the browser shows, less what it hides and what is marked data."""
    tab = reader(390)
    tab.set_content(
        '<html lang="zh"><body><p>共 3 条 Shown words <span lang="en">Pudong</span> '
        "<code>SELECT</code> <span hidden>hidden</span> "
        '<span translate="no">pilotkg</span> <a type="text/csv" href="#">csv</a> 数据 Jinan</p>'
        "<details><summary>全部</summary>folded</details></body></html>"
    )
    found = english_words(tab.evaluate(INTERFACE_TEXT, NOT_INTERFACE), ["Jinan"])
    assert found == ["Shown", "words"]
