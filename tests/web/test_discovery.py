"""What search engines and dataset catalogues find: a schema.org ``Dataset`` in JSON-LD on the
home page (read as RDF, and in Chromium under the site's Content-Security-Policy), a sitemap
index of every entity page, ``robots.txt``, and a ``<link rel="alternate">`` to each RDF form of
every entity page. Expected values are the fixture release's (tests/data/web/data)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from playwright.sync_api import Page
from protego import Protego
from pyld import jsonld
from starlette.testclient import TestClient

from pilotkg.formats import GRAPH_FORMATS
from pilotkg.namespaces import ID, KIND_CLASSES, RDF
from pilotkg.release import dump_name, read_release
from pilotkg.web import discovery
from pilotkg.web.app import create_app
from support.web import LiveServer, built_source, make_settings

pytest_plugins = ["support.web_fixtures", "support.browser"]  # web_client, live_server; page

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ORIGIN = "http://127.0.0.1:8000"
EVIL = "evil.example"
SCHEMA = "http://schema.org/"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
#: What the block's ``@context`` (https://schema.org/) says that matters here: its vocabulary.
#: The tests read no network, so the loader answers with this and refuses anything else.
SCHEMA_CONTEXT = {"@context": {"@vocab": SCHEMA}}


def client_with(**changes: object) -> TestClient:
    """A client of an app with changed settings, started without its lifespan (no query
    workers): pages, the sitemaps and robots.txt need none."""
    return TestClient(
        create_app(make_settings(**changes)), base_url=ORIGIN, raise_server_exceptions=False
    )


def _offline_loader(url: str, _options: dict[str, Any]) -> dict[str, Any]:
    if url.rstrip("/") != "https://schema.org":
        raise ValueError(f"the test reaches no network: {url}")
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def _json_ld(page: str) -> dict[str, Any]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1, "one Dataset block on the home page"
    document: dict[str, Any] = json.loads(blocks[0])
    return document


def _as_rdf(document: dict[str, Any]) -> ox.Store:
    """The block read as RDF by PyLD (the JSON-LD API's reference implementation)."""
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": _offline_loader}
    )
    store = ox.Store()
    store.load(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return store


def _select(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(f"PREFIX s: <{SCHEMA}> " + query)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: (row[n].value if row[n] is not None else "") for n in names} for row in solutions]


@pytest.fixture(scope="module")
def dataset(web_client: TestClient) -> ox.Store:
    page = web_client.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 200
    return _as_rdf(_json_ld(page.text))


def test_the_dataset_has_what_dataset_search_requires(dataset: ox.Store) -> None:
    """Name and description (Google: 50 to 5,000 characters) in both languages, licence,
    creator, version, coverage in time and space."""
    rows = _select(
        dataset,
        "SELECT ?name ?lang WHERE { ?d a s:Dataset ; s:name ?name BIND(LANG(?name) AS ?lang) }",
    )
    assert {(r["lang"], r["name"]) for r in rows} == {
        ("en", "pilotkg: China's national AI pilot programmes"),
        ("zh", "pilotkg：中国国家人工智能试点项目知识图谱"),
    }
    described = _select(
        dataset,
        "SELECT ?text (LANG(?text) AS ?lang) WHERE { ?d a s:Dataset ; s:description ?text }",
    )
    assert sorted(r["lang"] for r in described) == ["en", "zh"]
    assert all(50 <= len(r["text"]) <= 5000 for r in described if r["lang"] == "en")
    (facts,) = _select(
        dataset,
        """SELECT ?licence ?creator ?version ?when WHERE { ?d a s:Dataset ; s:license ?licence ;
             s:creator [ a s:Organization ; s:name ?creator ] ; s:version ?version ;
             s:temporalCoverage ?when }""",
    )
    # From Pudong's launch (zones.ttl) to the 36Kr article of October 2025 (sources.ttl).
    assert facts == {
        "licence": CC_BY,
        "creator": "pilotkg contributors",
        "version": "0.1.0",
        "when": "2019-05-21/2025-10",
    }
    places = _select(
        dataset,
        """SELECT ?place ?name ?item WHERE { ?d a s:Dataset ; s:spatialCoverage ?place .
             ?place a s:Place ; s:name ?name ; s:sameAs ?item FILTER(LANG(?name) = "en") }""",
    )
    assert places == [
        {
            "place": ID + "region/china",
            "name": "China",
            "item": "http://www.wikidata.org/entity/Q148",
        }
    ]


def test_each_dump_is_a_data_download_the_server_serves(
    dataset: ox.Store, web_client: TestClient
) -> None:
    """Absolute addresses under the permanent IRIs (no --base-url), which this server answers
    under /dumps/ with the media type the block gives."""
    rows = _select(
        dataset,
        """SELECT ?url ?format WHERE { ?d a s:Dataset ; s:distribution ?download .
             ?download a s:DataDownload ; s:contentUrl ?url ; s:encodingFormat ?format }""",
    )
    downloads = {r["url"]: r["format"] for r in rows}
    for fmt in GRAPH_FORMATS:
        url = "https://w3id.org/pilotkg/dumps/" + dump_name(fmt)
        assert downloads.pop(url) == fmt.media_type
    assert sorted(downloads) == [
        f"https://w3id.org/pilotkg/dumps/csv/{name}.csv"
        for name in ("bases", "organisations", "policies", "zones")
    ]
    for url, media_type in {r["url"]: r["format"] for r in rows}.items():
        path = url.removeprefix("https://w3id.org/pilotkg")
        served = web_client.get(path, headers={"Accept": media_type})
        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith(media_type), path


def test_the_block_never_reflects_the_host_and_stays_cacheable(web_client: TestClient) -> None:
    page = web_client.get("/", headers={"Accept": BROWSER, "Host": EVIL})
    assert EVIL not in page.text
    assert page.headers["cache-control"].startswith("public")
    based = client_with(base_url="https://kg.example/pilotkg/")
    document = _json_ld(based.get("/", headers={"Accept": BROWSER, "Host": EVIL}).text)
    assert document["url"] == "https://kg.example/pilotkg/"
    assert {d["contentUrl"] for d in document["distribution"]} >= {
        "https://kg.example/pilotkg/dumps/pilotkg.ttl"
    }


# --- sitemaps and robots.txt ---------------------------------------------------------------


def _locs(document: str, tag: str) -> list[str]:
    root = ET.fromstring(document)
    assert root.tag == SITEMAP + tag
    return [loc.text or "" for loc in root.iter(SITEMAP + "loc")]


def _sitemap_urls(client: TestClient) -> Iterator[tuple[str, list[str]]]:
    """Each sitemap the index lists, with its URLs."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and index.headers["content-type"] == "application/xml"
    for loc in _locs(index.text, "sitemapindex"):
        part = client.get(loc.removeprefix(ORIGIN))
        assert part.status_code == 200, loc
        yield loc, _locs(part.text, "urlset")


def _entity_paths() -> set[str]:
    """The page of every thing of a kind in the fixture release, read from its dump."""
    typed = {
        t.subject.value
        for t in read_release(built_source() / "dist")
        if t.predicate == ox.NamedNode(RDF + "type")
        and isinstance(t.subject, ox.NamedNode)
        and t.subject.value.startswith(ID)
    }
    return {
        "/id/" + iri[len(ID) :] for iri in typed if iri[len(ID) :].split("/")[0] in KIND_CLASSES
    }


def test_the_sitemaps_list_every_entity_page_and_each_answers(web_client: TestClient) -> None:
    (part,) = list(_sitemap_urls(web_client))
    loc, urls = part
    assert loc == ORIGIN + "/sitemap-1.xml"
    assert all(url.startswith(ORIGIN + "/") for url in urls), "absolute, on the sitemap's host"
    paths = [url.removeprefix(ORIGIN) for url in urls]
    assert len(paths) == len(set(paths))
    entities = _entity_paths()
    assert {"/id/zone/shenzhen", "/id/region/china", "/id/org/xss-test"} <= entities
    assert entities <= set(paths)
    assert not [p for p in paths if p.startswith("/id/statement/")], "citations are footnotes"
    assert {"/", "/ontology", "/id/zone/", "/zones"} <= set(paths)
    for path in paths:
        page = web_client.get(path, headers={"Accept": BROWSER})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_past_fifty_thousand_pages_the_index_lists_several_sitemaps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The protocol's limit, lowered to 7 URLs a file: the index lists as many sitemaps as that
    takes, each within the limit, together every page once; one past the last is a 404 that
    says how many there are."""
    monkeypatch.setattr(discovery, "SITEMAP_URLS", 7)
    client = client_with()
    parts = list(_sitemap_urls(client))
    listed = [url for _loc, urls in parts for url in urls]
    assert len(parts) == -(-len(listed) // 7) > 2
    assert [loc for loc, _urls in parts] == [
        f"{ORIGIN}/sitemap-{n}.xml" for n in range(1, len(parts) + 1)
    ]
    assert all(len(urls) <= 7 for _loc, urls in parts)
    assert len(listed) == len(set(listed)) and _entity_paths() <= {
        url.removeprefix(ORIGIN) for url in listed
    }
    past = client.get(f"/sitemap-{len(parts) + 1}.xml")
    assert past.status_code == 404
    assert past.text.strip() == (
        f"404 Not found: There is no sitemap {len(parts) + 1}: there are {len(parts)}, "
        "listed in /sitemap.xml."
    )
    assert client.get("/sitemap-0.xml").status_code == 404


def test_robots_allow_pages_and_keep_crawlers_off_queries(web_client: TestClient) -> None:
    response = web_client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    robots = Protego.parse(response.text)  # Scrapy's parser, which follows RFC 9309
    allowed = (
        "/",
        "/id/zone/shenzhen",
        "/id/zone/?lang=zh",
        "/zones",
        "/zones.csv",
        "/queries/zones",
        "/sparql",
        "/dumps/pilotkg.ttl",
    )
    for path in allowed:
        assert robots.can_fetch(ORIGIN + path, "Googlebot"), path
    for path in (
        "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
        "/queries/zones?programme=programme:most-ai-innovation-development-pilot-zones",
        "/zones?sort=label",
        "/search?q=shenzhen",
        "/fragments?subject=x",
        "/reconcile",
    ):
        assert not robots.can_fetch(ORIGIN + path, "Googlebot"), path
    assert list(robots.sitemaps) == [ORIGIN + "/sitemap.xml"]


def test_without_a_base_url_the_host_is_used_but_never_shared(web_client: TestClient) -> None:
    """The sitemaps protocol wants absolute URLs on the sitemap's own host: with no --base-url,
    the request's own, in an answer no shared cache keeps; with one, the base URL's."""
    for path in ("/robots.txt", "/sitemap.xml", "/sitemap-1.xml"):
        reflected = web_client.get(path, headers={"Host": EVIL})
        assert f"http://{EVIL}/" in reflected.text, path
        cache = reflected.headers["cache-control"]
        assert "private" in cache and "public" not in cache, path
        assert "Host" in reflected.headers["vary"], path
    based = client_with(base_url="https://kg.example/pilotkg/")
    robots = based.get("/robots.txt", headers={"Host": EVIL})
    assert EVIL not in robots.text and robots.headers["cache-control"].startswith("public")
    lines = robots.text.splitlines()
    assert "Disallow: /pilotkg/sparql?" in lines
    assert "Sitemap: https://kg.example/pilotkg/sitemap.xml" in lines
    urls = _locs(based.get("/sitemap-1.xml", headers={"Host": EVIL}).text, "urlset")
    assert "https://kg.example/pilotkg/id/zone/shenzhen" in urls
    assert not [url for url in urls if EVIL in url]


# --- alternates on entity pages --------------------------------------------------------------


def test_every_entity_page_links_each_rdf_form(web_client: TestClient) -> None:
    """In the page's head, one ``<link rel="alternate" type=…>`` per RDF format, each of which
    answers in that format with the entity's IRI in it."""
    for path in ("/id/zone/shenzhen", "/id/region/china", "/id/base/healthcare-beijing"):
        page = web_client.get(path, headers={"Accept": BROWSER})
        assert page.status_code == 200, path
        head = page.text.split("</head>", 1)[0]
        links = {
            html.unescape(media_type): html.unescape(href)
            for media_type, href in re.findall(
                r'<link rel="alternate" type="([^"]+)" href="([^"]+)">', head
            )
        }
        assert set(links) == {fmt.media_type for fmt in GRAPH_FORMATS}, path
        for media_type, href in links.items():
            answer = web_client.get(href)
            assert answer.status_code == 200, href
            assert answer.headers["content-type"].startswith(media_type), href
            assert path.rsplit("/", 1)[-1] in answer.text, href


# --- in a browser ----------------------------------------------------------------------------

RECORD_VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation', e =>"
    " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.mark.browser
def test_chromium_keeps_the_block_under_the_policy_and_parses_it(
    page: Page, live_server: LiveServer
) -> None:
    """The policy allows no inline script, and a JSON-LD data block is no script that runs:
    Chromium reports no violation, and the block is there for a crawler's parser."""
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(live_server.url + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    parsed = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert parsed["@type"] == "Dataset" and parsed["@context"] == "https://schema.org/"
    assert {d["encodingFormat"] for d in parsed["distribution"]} >= {"text/turtle", "text/csv"}
    assert page.evaluate("window.__violations") == []
    page.goto(live_server.url + "/?lang=zh")
    zh = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert zh["description"][0]["@language"] == "zh"
    assert page.evaluate("window.__violations") == []
