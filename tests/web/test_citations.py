"""Statement-level citations on the web, against the real server: ``/queries/statement-sources``
answers with each value's sources and words, and an entity page numbers them.

The fixture release (tests/data/web) cites two statements of the Shenzhen zone as the real
data does: its approval date (one source, MIIT's letter via 中工网) and its batch (two: MIIT's
second-batch notice and the 中国证券报 reprint, each in its own language).
"""

from __future__ import annotations

import re
from html import unescape

import httpx
import pyoxigraph as ox

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server

ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"
LETTER_WORDS = (
    "2019年10月14日,为加快推进人工智能创新发展和应用赋能,支持济南-青岛、深圳打造人工智能"
    "核心产业集聚区,工业和信息化部复函"
)


def test_the_canned_query_answers_each_value_with_its_sources(live_server: LiveServer) -> None:
    response = httpx.get(
        live_server.url + "/queries/statement-sources",
        params={"entity": ID + "zone/shenzhen"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    found = sorted(
        (b["property"]["value"], b["value"]["value"], b["source"]["value"], b["evidence"]["value"])
        for b in response.json()["results"]["bindings"]
    )
    assert found == [
        (PILOT + "approvalDate", "2019-10-14", ID + "source/workercn-2019-10-19", LETTER_WORDS),
        (
            PILOT + "batch",
            "1",
            ID + "source/cabos-2021-02-20",
            "這是繼上海(浦東新區(qū))、深圳、濟(jì)南-青島3個先導(dǎo)區(qū)後,工信部發(fā)布的第二批先導(dǎo)區(qū)名單",
        ),
        (
            PILOT + "batch",
            "1",
            ID + "source/miit-second-batch-notice-2021",
            "the second batch of pilot zones issued by the Ministry of industry and information "
            "technology after Shanghai (Pudong New Area), Shenzhen and Jinan Qingdao",
        ),
    ]
    only = httpx.get(
        live_server.url + "/queries/statement-sources",
        params={"entity": ID + "zone/shenzhen", "property": PILOT + "batch"},
        headers={"Accept": "text/csv"},
        timeout=10,
    )
    assert only.status_code == 200 and len(only.text.strip().splitlines()) == 3  # header + 2


def test_an_entity_page_numbers_each_values_sources_and_quotes_them(
    live_server: LiveServer,
) -> None:
    page = httpx.get(live_server.url + "/id/zone/shenzhen?lang=en", timeout=10).text
    facts = "".join(re.findall(r'<table class="properties facts[^"]*">(.*?)</table>', page, re.S))
    assert facts, "no facts table"
    rows = {
        unescape(re.sub(r"<[^>]+>", " ", th)).split()[0]: td
        for th, td in re.findall(r"<tr><th>(.*?)</th>\s*<td>(.*?)</td></tr>", facts, re.S)
    }
    approval = re.findall(
        r'<sup class="cite"><a href="#source-(\d+)" title="([^"]*)">', rows["approval"]
    )
    assert [(title) for _n, title in approval] == [LETTER_WORDS]
    batch = re.findall(
        r'<sup class="cite">(?:<span[^>]*>,</span>)?<a href="#source-(\d+)"', rows["batch"]
    )
    assert len(batch) == 2 and len(set(batch)) == 2
    assert '<span aria-hidden="true">,</span>' in rows["batch"], "two footnotes read as one number"
    number = approval[0][0]
    item = re.search(rf'<li id="source-{number}">(.*?)</li>', page, re.S)
    assert item is not None
    assert "workercn-2019-10-19" in item.group(1)
    assert re.search(
        r'<blockquote class="evidence" lang="zh">“' + re.escape(LETTER_WORDS), item.group(1)
    )
    assert "approval date" in item.group(1)
    # the sources are numbered as a reader meets them down the table: 1 is the first footnote
    first = re.search(r'<sup class="cite"><a href="#source-(\d+)"', page)
    assert first is not None and first.group(1) == "1"


def test_citation_nodes_are_not_listed_as_links_to_the_entity(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/id/zone/shenzhen", timeout=10).text
    assert "/id/statement/" not in page


def test_an_entitys_rdf_carries_each_citation_whole(live_server: LiveServer) -> None:
    """Not only ``id:statement/… rdf:subject zone:shenzhen``: predicate, object, source and
    evidence too, so that a client that fetches the entity gets its citations."""
    response = httpx.get(
        live_server.url + "/id/zone/shenzhen",
        headers={"Accept": "application/n-triples"},
        timeout=10,
    )
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.N_TRIPLES)
    answer = graph.query(
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX pilot: <https://w3id.org/pilotkg/ontology#> "
        "SELECT ?source ?evidence WHERE { ?st rdf:subject <https://w3id.org/pilotkg/id/zone/shenzhen> ;"
        " rdf:predicate pilot:approvalDate ; rdf:object ?date ; prov:wasDerivedFrom ?source ;"
        " pilot:evidence ?evidence }"
    )
    rows = [(row["source"].value, row["evidence"].value) for row in answer]  # type: ignore[union-attr]
    assert rows == [(ID + "source/workercn-2019-10-19", LETTER_WORDS)]
