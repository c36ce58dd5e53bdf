"""The browsed tables (/zones, /bases, /policies, /organisations) on a real server over the
project's own data: facets narrow the rows and count them, columns sort, the same view comes as
CSV, JSON and the SPARQL query that makes it, and bad parameters get one line each.

The expected rows were read by hand from data/:

* In Guangdong (region:guangdong, pilot:ProvincialLevel in regions.ttl) are 4 zones: MIIT's
  zone:shenzhen (batch 1, approved 2019-10-14) and zone:guangzhou (batch 2, announced
  2021-02-19) in zones.ttl, MOST's zone:most-shenzhen (approved 2019-10-17) and
  zone:most-guangzhou (approved 2020-09-03) in most-zones.ttl; each is pilot:locatedIn
  region:shenzhen or region:guangzhou, both pilot:partOf region:guangdong. So in Guangdong the
  programmes count 2 and 2, batches 1 and 2 one zone each, and the years 2019: 2, 2020: 1,
  2021: 1.
* Of all 29 zones MIIT has 11 (3 + 5 + 3 in its three batches) and MOST 18.
* The latest zones by year are zone:nanjing and zone:wuhan (approved 2022-09); zone:changsha
  states no date at all, so it has no year and comes last whichever way the years run.
* In Guangdong are 2 bases (bases.ttl): base:healthcare-guangzhou (Guangzhou) and
  base:consumption-mobile-terminal (Dongguan).
"""

from __future__ import annotations

import csv
import doctest
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from pilotkg.web import browse_params
from pilotkg.web.collation import sort_key
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "support.browser"]  # real_server; open_tab, screenshots

ZONE = "https://w3id.org/pilotkg/id/zone/"
GUANGDONG_ZONES = {ZONE + s for s in ("shenzhen", "guangzhou", "most-shenzhen", "most-guangzhou")}
MIIT = "programme:miit-ai-innovation-application-pilot-zones"
MOST = "programme:most-ai-innovation-development-pilot-zones"


def _get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=30)


def _json(server: LiveServer, path: str) -> dict[str, Any]:
    response = _get(server, path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def _iris(document: dict[str, Any]) -> list[str]:
    """The rows' entities, in order, from a table's JSON."""
    entity = document["columns"][0]["key"]
    return [row[entity][0]["iri"] for row in document["rows"]]


def _facet(document: dict[str, Any], column: str) -> dict[str, int]:
    facet = next(f for f in document["facets"] if f["column"] == column)
    return {v["value"]: v["count"] for v in facet["values"]}


def _html_rows(page: str) -> list[str]:
    """The IRIs of a table page's rows, in order, read from the first cell's link."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body is not None, "no table body"
    return [
        "https://w3id.org/pilotkg" + path
        for path in re.findall(r'<tr><td class="kind-entity"><a href="(/id/[^"?]+)', body.group(1))
    ]


def _html_facet(page: str, column: str) -> dict[str, int]:
    """A facet as the page shows it: each value's words and the count beside them."""
    section = re.search(
        rf'<section class="browse-facet"[^>]*facet-{column}"(.*?)</section>', page, re.S
    )
    assert section is not None, f"no facet {column}"
    pairs = re.findall(
        r'<a href="[^"]*"[^>]*>([^<]*)</a> <span class="count">(\d+)</span>', section.group(1)
    )
    return {unescape(label): int(count) for label, count in pairs}


def test_a_province_filter_keeps_the_zones_in_that_province(real_server: LiveServer) -> None:
    document = _json(real_server, "/zones.json?province=region:guangdong")
    assert set(_iris(document)) == GUANGDONG_ZONES
    assert document["total"] == 4
    page = _get(real_server, "/zones?province=region:guangdong&lang=en").text
    assert set(_html_rows(page)) == GUANGDONG_ZONES
    assert "Rows 1–4 of 4" in page


def test_filters_on_two_facets_both_hold(real_server: LiveServer) -> None:
    document = _json(real_server, f"/zones.json?province=region:guangdong&programme={MIIT}")
    assert set(_iris(document)) == {ZONE + "shenzhen", ZONE + "guangzhou"}
    both = _json(real_server, "/zones.json?province=region:guangdong&province=region:zhejiang")
    assert both["rows"] == [], "a zone in two provinces at once: there is none"


def test_facet_counts_are_those_of_the_filtered_rows(real_server: LiveServer) -> None:
    everything = _json(real_server, "/zones.json")
    assert everything["total"] == 29
    assert _facet(everything, "programme") == {MOST: 18, MIIT: 11}
    guangdong = _json(real_server, "/zones.json?province=region:guangdong")
    assert _facet(guangdong, "programme") == {MIIT: 2, MOST: 2}
    assert _facet(guangdong, "batch") == {"1": 1, "2": 1}
    assert _facet(guangdong, "year") == {"2019": 2, "2020": 1, "2021": 1}
    assert _facet(guangdong, "province") == {"region:guangdong": 4}
    # and the page shows those counts beside the values' words
    page = _get(real_server, "/zones?province=region:guangdong&lang=en").text
    assert _html_facet(page, "year") == {"2019": 2, "2020": 1, "2021": 1}
    assert _html_facet(page, "programme") == {
        "National AI Innovation and Application Pilot Zones (MIIT)": 2,
        "National New Generation AI Innovation and Development Pilot Zones (MOST)": 2,
    }


def test_a_filter_is_removed_with_one_click_and_the_others_stay(real_server: LiveServer) -> None:
    page = _get(real_server, f"/zones?province=region:guangdong&programme={MIIT}&lang=zh").text
    chip = re.search(r'<span class="chip">省份：<strong>广东省</strong>\s*<a href="([^"]+)"', page)
    assert chip is not None, "no province filter to remove"
    href = unescape(chip.group(1))
    assert "province" not in href and "lang=zh" in href
    document = _json(real_server, href.replace("/zones?", "/zones.json?"))
    assert document["total"] == 11, "the programme filter stays: MIIT's 11 zones"


def test_rows_sort_by_any_column_both_ways(real_server: LiveServer) -> None:
    ascending = _json(real_server, "/zones.json?_sort=year")
    years = [row["year"][0]["value"] if row["year"] else None for row in ascending["rows"]]
    known = [y for y in years if y is not None]
    assert known == sorted(known) and known[0] == "2019"
    assert _iris(ascending)[-1] == ZONE + "changsha", "no year: last"
    descending = _json(real_server, "/zones.json?_sort_desc=year")
    assert _iris(descending)[:2] == [ZONE + "nanjing", ZONE + "wuhan"]
    assert _iris(descending)[-1] == ZONE + "changsha", "no year: last either way"
    by_label = _json(real_server, "/zones.json?lang=en")
    labels = [row["zone"][0]["label"] for row in by_label["rows"]]
    assert labels == sorted(labels)
    backwards = _json(real_server, "/zones.json?_sort_desc=zone&lang=en")
    assert [row["zone"][0]["label"] for row in backwards["rows"]] == labels[::-1]


def _labels(document: dict[str, Any], column: str) -> list[str]:
    return [row[column][0]["label"] if row[column] else "" for row in document["rows"]]


def test_a_chinese_table_runs_in_pinyin_order(real_server: LiveServer) -> None:
    """In pinyin 北京 (bei) comes before 上海 (shang) before 深圳 (shen); in code-point order
    上 (U+4E0A) would come first and 北 (U+5317) after it."""
    document = _json(real_server, "/zones.json?lang=zh")
    labels = _labels(document, "zone")
    assert labels == sorted(labels, key=lambda text: sort_key(text, "zh")), labels
    assert labels != sorted(labels), "code-point order is not pinyin order here"
    wanted = [i for name in ("北京", "上海", "深圳") for i, t in enumerate(labels) if name in t]
    assert wanted == sorted(wanted) and len(wanted) >= 3, labels
    backwards = _json(real_server, "/zones.json?_sort_desc=zone&lang=zh")
    assert _labels(backwards, "zone") == labels[::-1]
    provinces = [
        p
        for p in _labels(_json(real_server, "/zones.json?_sort=province&lang=zh"), "province")
        if p
    ]
    assert provinces == sorted(provinces, key=lambda text: sort_key(text, "zh")), provinces
    assert provinces.index("北京市") < provinces.index("上海市") < provinces.index("浙江省")


def test_the_chinese_sparql_link_gives_the_rows_in_the_same_order(real_server: LiveServer) -> None:
    """The query behind a Chinese table says its order in the text (Jena's ``arq:collation``),
    so that the endpoint answers the rows in the page's order."""
    page = _get(real_server, "/zones?lang=zh").text
    link = re.search(r'<a href="(/sparql\?query=[^"]+)">SPARQL</a>', page)
    assert link is not None, "no link to the query"
    answer = _get(real_server, unescape(link.group(1)), Accept="application/sparql-results+json")
    assert answer.status_code == 200, answer.text
    query = parse_qs(urlsplit(unescape(link.group(1))).query)["query"][0]
    assert 'ORDER BY arq:collation("zh", ?label)' in query
    bindings = answer.json()["results"]["bindings"]
    assert [b["zone"]["value"] for b in bindings] == _html_rows(page)


FOCUS_AREAS = """
PREFIX pilot: <https://w3id.org/pilotkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?value (COUNT(DISTINCT ?zone) AS ?count) (SAMPLE(?label) AS ?name) WHERE {
  ?zone a pilot:PilotZone ; pilot:focusArea ?value .
  ?value rdfs:label ?label FILTER(LANG(?label) = "$lang")
} GROUP BY ?value
"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_facet_keeps_the_values_the_page_lists_first(
    real_server: LiveServer, lang: str
) -> None:
    """The zones' focus areas are more than 30, and those past the 30th all count one zone:
    the 30 shown are the first 30 as the page orders them (count, then label), not the
    first IRIs among the ties."""
    query = FOCUS_AREAS.replace("$lang", lang)
    answer = httpx.get(
        real_server.url + "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    every = [(int(b["count"]["value"]), b["name"]["value"]) for b in answer["results"]["bindings"]]
    assert len(every) > 30
    ranked = sorted(every, key=lambda pair: (-pair[0], sort_key(pair[1], lang)))
    facet = next(
        f
        for f in _json(real_server, f"/zones.json?lang={lang}")["facets"]
        if f["column"] == "focus-area"
    )
    assert facet["more"] is True
    assert [(v["count"], v["label"]) for v in facet["values"]] == ranked[:30]


def test_chinese_facet_values_of_one_count_run_in_pinyin_order(real_server: LiveServer) -> None:
    values = list(_html_facet(_get(real_server, "/zones?lang=zh").text, "province").items())
    assert values == sorted(values, key=lambda v: (-v[1], sort_key(v[0], "zh"))), values
    assert len({count for _, count in values}) < len(values), "some counts are tied"


def test_the_sorted_heading_turns_the_order_round_and_keeps_the_filters(
    real_server: LiveServer,
) -> None:
    page = _get(real_server, "/zones?province=region:guangdong&_sort=year&lang=en").text
    heading = re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)"[^>]*>year', page)
    assert heading is not None, "the year column is not marked as sorted"
    href = unescape(heading.group(1))
    assert "_sort_desc=year" in href and "province=region%3Aguangdong" in href


def test_csv_has_a_byte_order_mark_and_the_same_rows(real_server: LiveServer) -> None:
    path = "/zones.csv?province=region:guangdong&_sort=year&lang=zh"
    response = _get(real_server, path)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["人工智能试点区", "所属项目", "批次"] and rows[0][-1] == "IRI"
    document = _json(real_server, path.replace(".csv", ".json"))
    assert [row[-1] for row in rows[1:]] == _iris(document)
    shenzhen = next(row for row in rows[1:] if row[-1] == ZONE + "shenzhen")
    assert shenzhen[rows[0].index("批复日期")] == "2019-10-14"
    assert shenzhen[rows[0].index("省份")] == "广东省"


def test_json_has_the_rows_of_the_page(real_server: LiveServer) -> None:
    path = "/zones?programme=" + MOST + "&_sort_desc=year&lang=en"
    page = _get(real_server, path).text
    assert _html_rows(page) == _iris(_json(real_server, path.replace("/zones?", "/zones.json?")))


def test_the_sparql_link_gives_the_same_rows(real_server: LiveServer) -> None:
    path = "/zones?province=region:guangdong&_sort=year&lang=en"
    page = _get(real_server, path).text
    link = re.search(r'<a href="(/sparql\?query=[^"]+)">SPARQL</a>', page)
    assert link is not None, "no link to the query"
    answer = _get(real_server, unescape(link.group(1)), Accept="application/sparql-results+json")
    assert answer.status_code == 200, answer.text
    bindings = answer.json()["results"]["bindings"]
    document = _json(real_server, path.replace("/zones?", "/zones.json?"))
    assert [b["zone"]["value"] for b in bindings] == _iris(document)
    for binding, row in zip(bindings, document["rows"], strict=True):
        focus_areas = binding.get("focus_area", {}).get("value", "")  # unbound when none
        assert sorted(focus_areas.split()) == sorted(v["iri"] for v in row["focus-area"])
        assert binding["province"]["value"] == row["province"][0]["iri"]


def test_the_chinese_page_has_chinese_column_names(real_server: LiveServer) -> None:
    page = _get(real_server, "/zones?lang=zh").text
    headings = [
        unescape(re.sub(r"<[^>]+>", "", h)).strip(" ▲▼")
        for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, re.S)
    ]
    assert headings == [
        "人工智能试点区",
        "所属项目",
        "批次",
        "所在地区",
        "省份",
        "年份",
        "批复日期",
        "公布日期",
        "启动日期",
        "重点领域",
    ]
    assert "2019年10月14日" in page, "dates in words, in Chinese"
    shown = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<pre.*?</pre>", "", page, flags=re.S)))
    for english in ("Rows", "This view as", "The query", "Year:", "province", "focus area"):
        assert english not in shown, f"the Chinese page still says {english!r}"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/zones?province=guangdong", "province"),
        ("/zones?province=region:atlantis", "province"),
        ("/zones?batch=first", "batch"),
        ("/zones?year=19", "year"),
        ("/zones?colour=red", "colour"),
        ("/zones?approved=2019", "approved"),
        ("/zones?_sort=colour", "_sort"),
        ("/zones?_sort_desc=colour", "_sort_desc"),
        ("/zones?_sort=year&_sort_desc=year", "_sort"),
        ("/zones.csv?_page=0", "_page"),
        ("/zones.csv?_page=" + "9" * 5000, "_page"),
        ("/policies?province=region:guangdong", "province"),
    ],
)
def test_a_bad_parameter_is_refused_in_one_line_that_names_it(
    real_server: LiveServer, path: str, parameter: str
) -> None:
    response = _get(real_server, path, Accept="text/plain")
    assert response.status_code == 400
    assert len(response.text.strip().splitlines()) == 1, response.text
    assert parameter in response.text


def test_every_table_narrows_to_guangdong(real_server: LiveServer) -> None:
    bases = _json(real_server, "/bases.json?province=region:guangdong")
    base = "https://w3id.org/pilotkg/id/base/"
    assert set(_iris(bases)) == {
        base + "healthcare-guangzhou",
        base + "consumption-mobile-terminal",
    }
    # Organisations located in Guangdong or in one of its cities (data/organisations.ttl).
    organisations = _json(real_server, "/organisations.json?province=region:guangdong")
    org = "https://w3id.org/pilotkg/id/org/"
    assert set(_iris(organisations)) == {
        org + name
        for name in (
            "guangdong-government",
            "cpc-guangdong-committee",
            "guangzhou-industry-it-bureau",
            "shenzhen-government",
            "huawei",
            "tencent",
            "dji",
        )
    }
    # Policies have no province column; they narrow by the region they concern (data/plans.ttl).
    policies = _json(real_server, "/policies.json?region-concerned=region:guangdong")
    assert set(_iris(policies)) == {
        "https://w3id.org/pilotkg/id/policy/guangdong-15th-fyp-proposal"
    }


def test_a_page_past_the_last_says_so(real_server: LiveServer) -> None:
    page = _get(real_server, "/policies?_page=2&lang=en").text
    assert "This page is past the last one" in page
    assert _json(real_server, "/policies.json?_page=2")["rows"] == []


def test_docstring_examples() -> None:
    result = doctest.testmod(browse_params)
    assert result.failed == 0 and result.attempted > 0


# --- in Chromium -------------------------------------------------------------------------


@pytest.mark.browser
def test_clicking_a_facet_value_narrows_the_table_and_its_chip_undoes_it(
    open_tab: Callable[..., AbstractContextManager[Page]], real_server: LiveServer
) -> None:
    with open_tab(real_server.url, width=1280) as tab:
        tab.goto(real_server.url + "/zones?lang=en")
        rows = tab.locator("table.browse-table tbody tr")
        expect(rows).to_have_count(29)
        tab.locator("#facet-province + ul").get_by_role("link", name="Guangdong").click()
        expect(rows).to_have_count(4)
        expect(tab.locator("table.browse-table")).to_contain_text(
            "Shenzhen AI Innovation and Application Pilot Zone"
        )
        tab.get_by_role("link", name="Remove the filter province: Guangdong").click()
        expect(rows).to_have_count(29)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_table_fits_the_screen_or_scrolls_in_its_own_box(
    open_tab: Callable[..., AbstractContextManager[Page]],
    real_server: LiveServer,
    screenshots: Path,
    lang: str,
    width: int,
) -> None:
    with open_tab(real_server.url, width=width, height=900) as tab:
        tab.goto(f"{real_server.url}/zones?lang={lang}")
        page_width = tab.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, f"the page is {page_width} px wide at {width} px"
        box = tab.evaluate(
            "(() => { const b = document.querySelector('.browse-scroll');"
            " return [b.scrollWidth, b.clientWidth]; })()"
        )
        if width == 1280:
            assert box[0] <= box[1], f"the table needs {box[0]} px of {box[1]}"
        else:
            assert box[0] > box[1], "at 390 px the table scrolls inside its box"
        tab.screenshot(path=screenshots / f"browse-zones-{lang}-{width}.png", full_page=True)
