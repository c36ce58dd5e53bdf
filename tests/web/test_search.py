"""The search at /search on a real server over the project's own data: names in both languages,
alternative names, document numbers, short names and places, folded, ranked and paged, as
HTML and as JSON.

Counted by hand in data/: the documents numbered 国发 are two, both in data/policies.ttl, the AI+
Opinions (国发〔2025〕11号) and the New Generation AI Development Plan (国发〔2017〕35号);
letters.ttl and plans.ttl number none so. The mobile-terminal base (data/bases.ttl) is the one
built by Dongguan and Shenzhen: its label names no city, only pilot:locatedIn does.
"""

from __future__ import annotations

import doctest
import importlib
import re
from html import unescape
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from pilotkg.namespaces import ORG, RDF
from pilotkg.sources import Sources
from pilotkg.web.search import fold, read_short_names
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: real_server

ID = "https://w3id.org/pilotkg/id/"
AI_PLUS = ID + "policy/ai-plus-opinions"
AI_PLAN = ID + "policy/new-generation-ai-development-plan"
MOBILE_BASE = ID + "base/consumption-mobile-terminal"


def _json(server: LiveServer, q: str, **params: str) -> dict[str, Any]:
    response = httpx.get(
        server.url + "/search",
        params={"q": q, **params},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _iris(found: dict[str, Any]) -> list[str]:
    return [hit["iri"] for hit in found["results"]]


def _text(page: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page)))


@pytest.mark.parametrize(
    "number", ["国发〔2025〕11号", "国发[2025]11号", "国发（2025）11号", "国发〔２０２５〕１１号"]
)
def test_a_document_number_finds_its_policy(real_server: LiveServer, number: str) -> None:
    found = _json(real_server, number)
    assert _iris(found) == [AI_PLUS]
    hit = found["results"][0]
    assert hit["field"] == "documentNumber" and hit["matched"] == "国发〔2025〕11号"
    assert hit["path"] == "/id/policy/ai-plus-opinions"


def test_the_start_of_a_number_finds_every_document_so_numbered(real_server: LiveServer) -> None:
    found = _json(real_server, "国发")
    assert found["total"] == 2
    assert sorted(_iris(found)) == sorted([AI_PLUS, AI_PLAN])
    assert {hit["matched"] for hit in found["results"]} == {"国发〔2025〕11号", "国发〔2017〕35号"}


@pytest.mark.parametrize(
    ("text", "organisation"),
    [
        ("工信部", "miit"),
        ("MIIT", "miit"),
        ("miit", "miit"),
        ("Ministry of Industry and Information Technology", "miit"),
        ("科技部", "most"),
        ("MOST", "most"),
        ("发改委", "ndrc"),
        ("NDRC", "ndrc"),
    ],
)
def test_short_names_find_their_organisation_first(
    real_server: LiveServer, text: str, organisation: str
) -> None:
    assert _iris(_json(real_server, text))[0] == f"{ID}org/{organisation}"


def test_a_short_name_also_finds_what_is_called_after_the_full_name(
    real_server: LiveServer,
) -> None:
    # MIIT's letter to Shenzhen is labelled 工业和信息化部支持深圳建设先导区的复函 and, in English,
    # "MIIT reply letter …": 工信部 is written in neither.
    assert ID + "policy/miit-letter-shenzhen-zone" in _iris(_json(real_server, "工信部"))


def test_alternative_names_are_searched(real_server: LiveServer) -> None:
    found = _json(real_server, "智能空管")  # skos:altLabel of air traffic management
    assert _iris(found) == [ID + "sector/air-traffic-management"]
    assert found["results"][0]["field"] == "altLabel"


@pytest.mark.parametrize("text", ["Shenzhen", "深圳", "shenzhen"])
def test_a_city_finds_what_is_in_it(real_server: LiveServer, text: str) -> None:
    iris = _iris(_json(real_server, text))
    assert iris[0] == ID + "region/shenzhen"  # the city itself first, then what is in it
    assert {ID + "zone/shenzhen", ID + "zone/most-shenzhen", MOBILE_BASE} <= set(iris[:5])
    base = next(h for h in _json(real_server, text)["results"] if h["iri"] == MOBILE_BASE)
    assert base["field"] == "place"


def test_the_page_says_how_a_hit_was_found(real_server: LiveServer) -> None:
    en = httpx.get(real_server.url + "/search", params={"q": "深圳", "lang": "en"}, timeout=10)
    assert en.status_code == 200 and en.headers["content-type"].startswith("text/html")
    text = _text(en.text)
    assert (
        "National AI Application Pilot Test Base (Consumption Field, Mobile Terminal Direction)"
        in text
    )
    assert "in 深圳市" in text
    number = httpx.get(real_server.url + "/search", params={"q": "国发", "lang": "zh"}, timeout=10)
    assert "文号 国发〔2025〕11号" in _text(number.text)
    assert "“国发”的结果共 2 条，当前显示第 1–2 条" in _text(number.text)


def test_pages_cover_every_hit_once(real_server: LiveServer) -> None:
    first = _json(real_server, "AI")
    per_page, total = first["per_page"], first["total"]
    assert total > 2 * per_page  # "AI" is in hundreds of names
    assert first["pages"] == -(-total // per_page) and first["page"] == 1
    seen: list[str] = []
    for page in range(1, first["pages"] + 1):
        found = _json(real_server, "AI", page=str(page))
        assert found["total"] == total and found["page"] == page
        expected = per_page if page < first["pages"] else total - per_page * (page - 1)
        assert len(found["results"]) == expected
        seen += _iris(found)
    assert len(seen) == total == len(set(seen))
    past = _json(real_server, "AI", page=str(first["pages"] + 1))
    assert past["results"] == [] and past["total"] == total


def test_the_page_counts_its_place_among_all_hits(real_server: LiveServer) -> None:
    total = _json(real_server, "AI")["total"]
    second = httpx.get(
        real_server.url + "/search", params={"q": "AI", "page": "2", "lang": "en"}, timeout=10
    )
    text = _text(second.text)
    assert f"Showing 51–100 of {total} results for “AI”" in text
    assert '<ol class="hits" start="51">' in second.text
    assert 'rel="prev" href="/search?q=AI&amp;lang=en"' in second.text
    assert 'rel="next" href="/search?q=AI&amp;lang=en&amp;page=3"' in second.text
    zh = httpx.get(
        real_server.url + "/search", params={"q": "AI", "page": "2", "lang": "zh"}, timeout=10
    )
    assert f"“AI”的结果共 {total} 条，当前显示第 51–100 条" in _text(zh.text)


def test_the_json_form_for_scripts(real_server: LiveServer) -> None:
    found = _json(real_server, "Shenzhen")
    assert set(found) == {"query", "total", "page", "per_page", "pages", "results"}
    assert found["query"] == "Shenzhen" and found["per_page"] == 50
    assert set(found["results"][0]) == {"iri", "path", "label", "kind", "matched", "field"}
    first = found["results"][0]
    assert (first["iri"], first["path"], first["label"], first["matched"], first["field"]) == (
        ID + "region/shenzhen",
        "/id/region/shenzhen",
        "Shenzhen",
        "Shenzhen",
        "label",
    )
    assert first["kind"]
    assert _json(real_server, "Shenzhen", lang="zh")["results"][0]["label"] == "深圳市"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": "x", "page": "0"}, "The parameter page takes a whole number from 1"),
        ({"q": "x", "page": "two"}, "The parameter page takes a whole number from 1"),
        ({"q": "x", "page": "３"}, "The parameter page takes a whole number from 1"),
        # more digits than Python's int() reads
        ({"q": "x", "page": "9" * 5000}, "The parameter page takes a whole number from 1"),
        ({"q": "x" * 201}, "The parameter q takes at most 200 characters."),
    ],
)
def test_bad_parameters_get_one_line(
    real_server: LiveServer, params: dict[str, str], words: str
) -> None:
    response = httpx.get(real_server.url + "/search", params=params, timeout=10)
    assert response.status_code == 400
    assert words in response.text and "Traceback" not in response.text


def test_docstring_examples() -> None:
    result = doctest.testmod(importlib.import_module("pilotkg.web.search"))
    assert result.failed == 0 and result.attempted > 0


def test_folding() -> None:
    assert fold("ＭＩＩＴ") == fold(" miit ") == "miit"
    assert fold("国发〔2025〕11号") == fold("国发【2025】11号") == fold("国发(2025)11号")
    assert fold("Jinan–Qingdao") == fold("jinan-qingdao")


def test_every_short_name_is_written_in_the_graph(real_sources: Sources) -> None:
    """The table invents nothing: each name is one the graph writes (a source's words or the
    data's own labels), for an organisation the graph describes."""
    store = real_sources.store
    literals = [
        q.object.value
        for q in store.quads_for_pattern(None, None, None)
        if isinstance(q.object, ox.Literal)
    ]
    a, organisation = ox.NamedNode(RDF + "type"), ox.NamedNode(ORG + "Organization")
    table = read_short_names()
    assert table
    for iri, names in table.items():
        assert any(True for _ in store.quads_for_pattern(ox.NamedNode(iri), a, organisation)), iri
        for name in names:
            assert any(name in text for text in literals), f"{name} ({iri}) is written nowhere"
