"""HTTP behaviour of ``pilotkg serve`` through an in-process client (breadth; the real server is tested apart)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from pilotkg.formats import FORMATS, GRAPH_FORMATS, RESULTS_FORMATS, Format
from pilotkg.web.app import create_app
from pilotkg.web.execution import HTML_TABLE_ROWS
from support.web import make_settings

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: web_client

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SELECT = (
    "SELECT ?zone WHERE { ?zone a <https://w3id.org/pilotkg/ontology#PilotZone> } ORDER BY ?zone"
)
CONSTRUCT = "CONSTRUCT WHERE { <https://w3id.org/pilotkg/id/zone/shenzhen> ?p ?o }"
ASK = "ASK { ?s ?p ?o }"
SHENZHEN = "https://w3id.org/pilotkg/id/zone/shenzhen"


def q(text: str) -> str:
    return quote(text, safe="")


# One table: request path, Accept header, and the media type that must come back (or a status).
ACCEPT_TABLE = [
    ("/id/zone/shenzhen", "text/html", "text/html"),
    ("/id/zone/shenzhen", BROWSER, "text/html"),
    ("/id/zone/shenzhen", "*/*", "text/html"),
    ("/id/zone/shenzhen", None, "text/html"),
    ("/id/zone/shenzhen", "text/turtle", "text/turtle"),
    ("/id/zone/shenzhen", "application/x-turtle", "application/x-turtle"),
    ("/id/zone/shenzhen", "application/n-triples", "application/n-triples"),
    ("/id/zone/shenzhen", "application/ld+json", "application/ld+json"),
    ("/id/zone/shenzhen", "application/rdf+xml", "application/rdf+xml"),
    ("/id/zone/shenzhen", "text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    ("/id/zone/shenzhen", "text/*;q=0.9, text/html;q=0.1", "text/turtle"),
    ("/id/zone/shenzhen", "image/png", 406),
    ("/id/zone/shenzhen.ttl", BROWSER, "text/turtle"),
    ("/id/zone/shenzhen.nt", "text/html", "application/n-triples"),
    ("/id/zone/shenzhen.jsonld", None, "application/ld+json"),
    ("/id/zone/shenzhen.rdf", None, "application/rdf+xml"),
    ("/id/zone/shenzhen.html", "text/turtle", "text/html"),
    ("/id/zone/shenzhen.xyz", None, 404),
    ("/id/region/shenzhen", "text/turtle", "text/turtle"),
    ("/ontology", BROWSER, "text/html"),
    ("/ontology", "text/turtle", "text/turtle"),
    ("/ontology.jsonld", None, "application/ld+json"),
    ("/ontology/PilotZone", BROWSER, "text/html"),
    ("/ontology/PilotZone", "application/n-triples", "application/n-triples"),
    ("/ontology/PilotZone.rdf", None, "application/rdf+xml"),
    (f"/sparql?query={q(SELECT)}", None, "application/sparql-results+json"),
    (f"/sparql?query={q(SELECT)}", "*/*", "application/sparql-results+json"),
    (
        f"/sparql?query={q(SELECT)}",
        "application/sparql-results+json",
        "application/sparql-results+json",
    ),
    (f"/sparql?query={q(SELECT)}", "application/json", "application/json"),
    (
        f"/sparql?query={q(SELECT)}",
        "application/sparql-results+xml",
        "application/sparql-results+xml",
    ),
    (f"/sparql?query={q(SELECT)}", "text/csv", "text/csv"),
    (f"/sparql?query={q(SELECT)}", "text/tab-separated-values", "text/tab-separated-values"),
    (f"/sparql?query={q(SELECT)}", BROWSER, "text/html"),
    (f"/sparql?query={q(SELECT)}", "text/turtle", 406),
    (f"/sparql?query={q(SELECT)}&format=csv", "application/sparql-results+json", "text/csv"),
    (
        f"/sparql?query={q(SELECT)}&format=text/tab-separated-values",
        None,
        "text/tab-separated-values",
    ),
    (f"/sparql?query={q(SELECT)}&format=pdf", None, "application/sparql-results+json"),
    (f"/sparql?query={q(ASK)}", "application/sparql-results+xml", "application/sparql-results+xml"),
    (f"/sparql?query={q(ASK)}", None, "application/sparql-results+json"),
    (f"/sparql?query={q(CONSTRUCT)}", None, "text/turtle"),
    (f"/sparql?query={q(CONSTRUCT)}", "application/n-triples", "application/n-triples"),
    (f"/sparql?query={q(CONSTRUCT)}", "application/ld+json", "application/ld+json"),
    (f"/sparql?query={q(CONSTRUCT)}", "application/rdf+xml", "application/rdf+xml"),
    (f"/sparql?query={q(CONSTRUCT)}", BROWSER, "text/html"),
    (f"/sparql?query={q(CONSTRUCT)}", "application/sparql-results+json", "application/ld+json"),
    ("/sparql", BROWSER, "text/html"),
    ("/sparql", "text/turtle", "text/turtle"),
    ("/sparql", "application/ld+json", "application/ld+json"),
    ("/sparql", "*/*", "text/turtle"),
    ("/queries/zones", BROWSER, "text/html"),
    ("/queries/zones", "text/csv", "text/csv"),
    ("/queries/zones", None, "application/sparql-results+json"),
    ("/queries/zones.tsv", BROWSER, "text/tab-separated-values"),
    ("/queries/zones.srx", None, "application/sparql-results+xml"),
    ("/queries/zones?format=csv", None, "text/csv"),
    ("/.well-known/void", None, "text/turtle"),
    ("/.well-known/void", "application/ld+json", "application/ld+json"),
    ("/.well-known/void", "image/png", 406),
    ("/search?q=shenzhen", "application/json", "application/json"),
    ("/search?q=shenzhen", BROWSER, "text/html"),
    ("/map.svg", None, "image/svg+xml"),
    ("/timeline.svg", None, "image/svg+xml"),
    ("/dumps/pilotkg.ttl", None, "text/turtle"),
    ("/dumps/pilotkg.nt.gz", None, "application/gzip"),
]


def result_rows(body: bytes, fmt: Format) -> list[dict[str, str]]:
    """SPARQL results as ``{variable: value}`` rows; CSV through the csv module (pyoxigraph
    does not read CSV results: the format is lossy)."""
    if fmt.name == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    parsed = ox.parse_query_results(body, format=fmt.results_format)
    if isinstance(parsed, ox.QueryBoolean):
        return [{"boolean": str(bool(parsed))}]
    names = [v.value for v in parsed.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in parsed]


def _check_body(media_type: str, body: bytes) -> None:
    """The body really is in the format its media type says."""
    fmt = next((f for f in FORMATS if media_type in f.media_types), None)
    if media_type == "application/json":  # the search's own JSON
        json.loads(body)
        return
    if fmt is None:
        return
    if fmt.rdf_format is not None:
        assert list(ox.parse(body, format=fmt.rdf_format)), "an empty graph"
    else:
        result_rows(body, fmt)


@pytest.mark.parametrize(("path", "accept", "expected"), ACCEPT_TABLE)
def test_accept_table(
    web_client: TestClient, path: str, accept: str | None, expected: str | int
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = web_client.get(path, headers=headers)
    if isinstance(expected, int):
        assert response.status_code == expected, response.text
        assert response.text.strip(), "an error must say what went wrong"
        return
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type == expected
    _check_body(media_type, response.content)


def test_every_advertised_format_is_served(web_client: TestClient) -> None:
    for fmt in GRAPH_FORMATS:
        for path in (
            f"/id/zone/shenzhen.{fmt.extension}",
            f"/sparql?query={q(CONSTRUCT)}&format={fmt.name}",
        ):
            response = web_client.get(path)
            assert response.status_code == 200, (path, response.text)
            triples = list(ox.parse(response.content, format=fmt.rdf_format))
            assert any(t.subject == ox.NamedNode(SHENZHEN) for t in triples), path
    for fmt in RESULTS_FORMATS:
        response = web_client.get(f"/sparql?query={q(SELECT)}", headers={"Accept": fmt.media_type})
        assert response.status_code == 200
        assert len(result_rows(response.content, fmt)) == 4


def test_406_lists_the_offered_types(web_client: TestClient) -> None:
    response = web_client.get("/id/zone/shenzhen", headers={"Accept": "image/png"})
    assert response.status_code == 406
    for media_type in ("text/html", "text/turtle", "application/ld+json", "application/rdf+xml"):
        assert media_type in response.text


# --- SPARQL protocol ---------------------------------------------------------------------


def test_select_by_get_post_form_and_post_body(web_client: TestClient) -> None:
    expected = [
        "https://w3id.org/pilotkg/id/zone/beijing",
        "https://w3id.org/pilotkg/id/zone/jinan-qingdao",
        "https://w3id.org/pilotkg/id/zone/shanghai-pudong",
        SHENZHEN,
    ]
    accept = {"Accept": "application/sparql-results+json"}
    answers = [
        web_client.get(f"/sparql?query={q(SELECT)}", headers=accept),
        web_client.post("/sparql", data={"query": SELECT}, headers=accept),
        web_client.post(
            "/sparql",
            content=SELECT.encode(),
            headers={**accept, "Content-Type": "application/sparql-query"},
        ),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        bindings = response.json()["results"]["bindings"]
        assert [b["zone"]["value"] for b in bindings] == expected


def test_ask(web_client: TestClient) -> None:
    assert web_client.get(f"/sparql?query={q(ASK)}").json() == {"head": {}, "boolean": True}


def test_default_and_named_graph_uris_are_honoured(web_client: TestClient) -> None:
    graph = q("https://example.org/no-such-graph")
    response = web_client.get(f"/sparql?query={q(SELECT)}&default-graph-uri={graph}")
    assert response.json()["results"]["bindings"] == []
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = web_client.post(
        "/sparql", data={"query": named, "named-graph-uri": "https://example.org/g"}
    )
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []
    bad = web_client.get(f"/sparql?query={q(SELECT)}&default-graph-uri=not%20an%20iri")
    assert bad.status_code == 400
    assert "is not an IRI" in bad.text


def test_malformed_query_gives_400_with_position(web_client: TestClient) -> None:
    malformed = "SELECT * WHERE {\n  ?s ?p \n}"
    response = web_client.get(f"/sparql?query={q(malformed)}")
    assert response.status_code == 400
    assert "Malformed query" in response.text
    assert "(line 3, column" in response.text and "\n    }\n" in response.text
    assert "^" in response.text


def test_update_is_refused_with_403(web_client: TestClient) -> None:
    update = (
        "INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }"
    )
    attempts = [
        web_client.post(
            "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
        ),
        web_client.post("/sparql", data={"update": update}),
        web_client.get(f"/sparql?query={q(update)}"),
        web_client.get(f"/sparql?update={q(update)}"),
        web_client.post(
            "/sparql", data={"query": "PREFIX x: <https://example.org/> DELETE WHERE { ?s ?p ?o }"}
        ),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert "read-only" in response.text
    assert web_client.get(f"/sparql?query={q(ASK)}").json()["boolean"] is True


def test_row_limit_stops_with_422(web_client: TestClient) -> None:
    response = web_client.get(f"/sparql?query={q('SELECT * WHERE { ?s ?p ?o }')}")
    assert response.status_code == 422
    assert "more than 300 rows" in response.text and "max_result_rows" in response.text
    limited = web_client.get(f"/sparql?query={q('SELECT * WHERE { ?s ?p ?o } LIMIT 300')}")
    assert limited.status_code == 200
    construct = web_client.get(f"/sparql?query={q('CONSTRUCT WHERE { ?s ?p ?o }')}")
    assert construct.status_code == 422 and "triples" in construct.text


def test_service_outside_the_allowlist_never_reaches_a_worker(web_client: TestClient) -> None:
    site = web_client.app.state.site  # type: ignore[attr-defined]

    class NoWorkers:
        async def run(self, job: object) -> object:
            raise AssertionError(f"a refused query reached a worker: {job}")

    real_pool, site.pool = site.pool, NoWorkers()
    try:
        for target in (
            "<http://10.0.0.1/sparql>",
            "<http://192.168.1.1/sparql>",
            "<http://127.0.0.1:9/sparql>",
            "<http://localhost/sparql>",
            "<http:\\u002F\\u002F10.0.0.1/sparql>",
            "?endpoint",
            "x:sparql",
        ):
            text = f"PREFIX x: <http://10.1.2.3/> SELECT * WHERE {{ SERVICE SILENT {target} {{ ?s ?p ?o }} }}"
            response = web_client.post("/sparql", data={"query": text})
            assert response.status_code == 403, (target, response.text)
            assert "is not allowed" in response.text and "Nothing was sent" in response.text
    finally:
        site.pool = real_pool


def test_query_too_large_gives_413(web_client: TestClient) -> None:
    text = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 100_001
    assert web_client.post("/sparql", data={"query": text}).status_code == 413


def test_unsupported_post_type_gives_415(web_client: TestClient) -> None:
    response = web_client.post(
        "/sparql", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 415


def test_service_description(web_client: TestClient) -> None:
    response = web_client.get("/sparql", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = ox.NamedNode("http://127.0.0.1:8000/sparql")
    assert ox.Triple(endpoint, ox.NamedNode(sd + "endpoint"), endpoint) in {
        q.triple for q in triples
    }
    formats = {
        t.object.value
        for t in (q.triple for q in triples)
        if t.predicate.value == sd + "resultFormat"
    }
    assert "http://www.w3.org/ns/formats/SPARQL_Results_TSV" in formats


def test_query_page_has_a_plain_form_yasgui_and_examples(web_client: TestClient) -> None:
    page = web_client.get("/sparql", headers={"Accept": BROWSER}).text
    assert '<form id="plain"' in page and "<textarea" in page
    assert "yasgui" in page.lower()
    assert "/queries/zones" in page  # the canned queries as examples


def test_html_results_table(web_client: TestClient) -> None:
    page = web_client.get(f"/sparql?query={q(SELECT)}", headers={"Accept": BROWSER}).text
    assert '<table class="results">' in page
    assert "Shenzhen AI Innovation and Application Pilot Zone" in page
    assert "4 rows" in page


def test_html_results_table_says_it_shows_only_the_first_rows() -> None:
    """The fixture's graph holds more triples than the table shows (the tests' row limit, 300,
    is below that: raised here)."""
    every = q("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    app = create_app(make_settings(max_result_rows=100_000))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        page = client.get(f"/sparql?query={every}", headers={"Accept": BROWSER}).text
    counted = re.search(r'<p class="count">(\d+) rows · the first (\d+) are shown here', page)
    assert counted is not None, page[:2000]
    assert int(counted.group(1)) > int(counted.group(2)) == HTML_TABLE_ROWS
    assert page.split('<table class="results">', 1)[1].count("<tr>") == HTML_TABLE_ROWS + 1


# --- Linked Data pages ----------------------------------------------------------------------


def test_entity_page_content(web_client: TestClient) -> None:
    page = web_client.get("/id/zone/shenzhen", headers={"Accept": BROWSER}).text
    assert "<h1" in page and "Shenzhen AI Innovation and Application Pilot Zone" in page
    assert "深圳人工智能创新应用先导区" in page  # the other language
    assert f"<code>{SHENZHEN}</code>" in page  # the canonical IRI
    assert 'href="/id/region/shenzhen?lang=en"' in page  # a property linking to a page
    assert 'href="/ontology/locatedIn?lang=en"' in page  # the property itself links to its term
    assert "<h2>Sources</h2>" in page
    for suffix in ("ttl", "nt", "jsonld", "rdf"):
        assert f'href="/id/zone/shenzhen.{suffix}"' in page


def test_incoming_links_and_wikidata(web_client: TestClient) -> None:
    page = web_client.get("/id/region/shenzhen", headers={"Accept": BROWSER}).text
    assert "Linked from" in page and 'href="/id/zone/shenzhen?lang=en"' in page
    assert "http://www.wikidata.org/entity/Q" in page


def test_labels_follow_the_language(web_client: TestClient) -> None:
    zh = web_client.get("/id/zone/shenzhen?lang=zh", headers={"Accept": BROWSER}).text
    assert '<h1 lang="zh">深圳人工智能创新应用先导区</h1>' in zh
    by_header = web_client.get(
        "/id/zone/shenzhen",
        headers={"Accept": BROWSER, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
    ).text
    assert '<h1 lang="zh">' in by_header


def test_rdf_page_holds_outgoing_and_incoming_triples(web_client: TestClient) -> None:
    body = web_client.get("/id/region/shenzhen.nt").content
    triples = {q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
    region = ox.NamedNode("https://w3id.org/pilotkg/id/region/shenzhen")
    assert any(t.subject == region for t in triples)
    assert (
        ox.Triple(
            ox.NamedNode(SHENZHEN),
            ox.NamedNode("https://w3id.org/pilotkg/ontology#locatedIn"),
            region,
        )
        in triples
    )


def test_ontology_page_lists_terms_with_anchors(web_client: TestClient) -> None:
    page = web_client.get("/ontology", headers={"Accept": BROWSER}).text
    assert 'id="PilotZone"' in page and 'href="/ontology/PilotZone?lang=en"' in page
    assert "/dumps/ontology.html" in page


def test_unknown_iri_gives_404_page_offering_search(web_client: TestClient) -> None:
    response = web_client.get("/id/zone/atlantis", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert 'action="/search"' in response.text and 'value="atlantis"' in response.text
    plain = web_client.get("/id/zone/atlantis")
    assert plain.headers["content-type"].startswith("text/plain")
    assert "https://w3id.org/pilotkg/id/zone/atlantis" in plain.text


def test_kind_listing(web_client: TestClient) -> None:
    page = web_client.get("/id/zone/", headers={"Accept": BROWSER}).text
    assert page.count('href="/id/zone/') >= 4
    assert web_client.get("/id/spaceship/").status_code == 404


def test_literals_are_escaped(web_client: TestClient) -> None:
    for path in ("/id/org/xss-test", "/search?q=test+organisation", "/id/source/xss-test"):
        page = web_client.get(path, headers={"Accept": BROWSER}).text
        assert "<script>window" not in page and "<img src=x" not in page and "<iframe" not in page
        assert 'href="javascript:' not in page
    page = web_client.get("/id/org/xss-test", headers={"Accept": BROWSER}).text
    assert "&lt;script&gt;window.__xss = 1;" in page
    results = web_client.get(
        f"/sparql?query={q('SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }')}",
        headers={"Accept": BROWSER},
    ).text
    assert "&lt;script&gt;" in results and "<script>window" not in results


# --- caching and CORS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/zone/shenzhen",
        "/id/zone/shenzhen.ttl",
        "/ontology",
        "/",
        "/.well-known/void",
        "/dumps/pilotkg.ttl",
    ],
)
def test_conditional_requests_get_304(web_client: TestClient, path: str) -> None:
    first = web_client.get(path)
    assert first.status_code == 200
    assert first.headers["etag"] and first.headers["last-modified"]
    assert first.headers["cache-control"] == "public, max-age=3600"
    if not path.startswith("/dumps/"):
        assert "Accept" in first.headers["vary"]
    again = web_client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = web_client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    changed = web_client.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_pages_are_remembered_but_equal(web_client: TestClient) -> None:
    first = web_client.get("/id/zone/beijing", headers={"Accept": BROWSER})
    second = web_client.get("/id/zone/beijing", headers={"Accept": BROWSER})
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    zh = web_client.get("/id/zone/beijing?lang=zh", headers={"Accept": BROWSER})
    assert zh.headers["etag"] != first.headers["etag"]


def test_representations_have_different_etags(web_client: TestClient) -> None:
    html = web_client.get("/id/zone/shenzhen", headers={"Accept": "text/html"})
    turtle = web_client.get("/id/zone/shenzhen", headers={"Accept": "text/turtle"})
    assert html.headers["etag"] != turtle.headers["etag"]


def test_cors_is_open_for_reads(web_client: TestClient) -> None:
    response = web_client.get(f"/sparql?query={q(ASK)}", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = web_client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


# --- dumps, VoID, canned queries, home, search -------------------------------------------------


def test_dumps_index_and_checksums(web_client: TestClient) -> None:
    page = web_client.get("/dumps/", headers={"Accept": BROWSER}).text
    sums = web_client.get("/dumps/SHA256SUMS").text
    for line in sums.splitlines():
        digest, name = line.split("  ")
        assert f'href="/dumps/{name}"' in page and digest in page
        body = web_client.get(f"/dumps/{name}").content
        assert hashlib.sha256(body).hexdigest() == digest
    assert "text/turtle" in page and "application/gzip" in page


def test_every_release_file_says_what_it_is_in_the_readers_language(
    web_client: TestClient,
) -> None:
    names = [line.split("  ")[1] for line in web_client.get("/dumps/SHA256SUMS").text.splitlines()]
    for lang, graph, table, zones in (
        (
            "en",
            "The whole graph as",
            "A table for spreadsheets:",
            "Pilot zones by programme and batch",
        ),
        ("zh", "整个图谱", "供电子表格使用的表格：", "按计划和批次列出的人工智能试点区"),
    ):
        page = web_client.get(f"/dumps/?lang={lang}", headers={"Accept": BROWSER}).text
        about = dict(
            re.findall(r'<tr><td><a href="/dumps/([^"]+)">[^<]*</a></td><td>(.*?)</td>', page)
        )
        assert sorted(about) == sorted([*names, "SHA256SUMS"])
        assert [name for name, words in about.items() if not words.strip()] == []
        assert (
            about["pilotkg.ttl"].startswith(graph) and "<code>Turtle</code>" in about["pilotkg.ttl"]
        )
        assert about["csv/zones.csv"].startswith(table) and zones in about["csv/zones.csv"]


def test_dumps_serve_only_release_files(web_client: TestClient) -> None:
    for path in (
        "/dumps/../pyproject.toml",
        "/dumps/%2e%2e/%2e%2e/etc/passwd",
        "/dumps/nothing.ttl",
    ):
        assert web_client.get(path).status_code == 404


def test_void(web_client: TestClient) -> None:
    body = web_client.get("/.well-known/void").content
    triples = {q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    dataset = ox.NamedNode("https://w3id.org/pilotkg/dataset")
    assert (
        ox.Triple(
            dataset,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://rdfs.org/ns/void#Dataset"),
        )
        in triples
    )


def test_canned_query_index_and_page(web_client: TestClient) -> None:
    index = web_client.get("/queries/", headers={"Accept": BROWSER}).text
    assert 'href="/queries/zones"' in index and 'href="/queries/region-contents"' in index
    page = web_client.get(
        "/queries/region-contents?region=https://w3id.org/pilotkg/id/region/guangdong",
        headers={"Accept": BROWSER},
    ).text
    assert "Shenzhen AI Innovation and Application Pilot Zone" in page
    assert (
        "open in the query editor" in page and 'href="/queries/region-contents.csv?region=' in page
    )


def test_canned_query_parameters_in_every_format(web_client: TestClient) -> None:
    region = "region=https://w3id.org/pilotkg/id/region/guangdong"
    for fmt in RESULTS_FORMATS:
        response = web_client.get(f"/queries/region-contents.{fmt.extension}?{region}")
        assert response.status_code == 200, response.text
        rows = result_rows(response.content, fmt)
        assert SHENZHEN in {r["thing"].strip("<>") for r in rows}


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/queries/region-contents", 400, "needs region"),
        ("/queries/region-contents?region=not%20an%20iri", 400, "is not an IRI"),
        ("/queries/zones?colour=red", 400, "has no parameter colour"),
        ("/queries/zones?programme=%3E%20%7D%20SERVICE", 400, "is not an IRI"),
        ("/queries/no-such-query", 404, "no canned query"),
    ],
)
def test_canned_query_bad_input(web_client: TestClient, path: str, status: int, words: str) -> None:
    response = web_client.get(path)
    assert response.status_code == status
    assert words.lower() in response.text.lower()


def test_canned_query_missing_parameter_shows_the_form_to_browsers(web_client: TestClient) -> None:
    page = web_client.get("/queries/region-contents", headers={"Accept": BROWSER}).text
    assert '<form class="params"' in page and "needs region" in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("深圳", "https://w3id.org/pilotkg/id/zone/shenzhen"),
        ("Shenzhen", "https://w3id.org/pilotkg/id/zone/shenzhen"),
        ("shenz", "https://w3id.org/pilotkg/id/region/shenzhen"),
        ("浦东", "https://w3id.org/pilotkg/id/region/pudong-new-area"),
        ("pud", "https://w3id.org/pilotkg/id/zone/shanghai-pudong"),
    ],
)
def test_search_both_languages_and_partial_words(
    web_client: TestClient, text: str, expected: str
) -> None:
    found = web_client.get(f"/search?q={q(text)}", headers={"Accept": "application/json"}).json()
    assert expected in [h["iri"] for h in found["results"]]


def test_home_page(web_client: TestClient) -> None:
    page = web_client.get("/", headers={"Accept": BROWSER}).text
    assert 'href="/id/zone/?lang=en"><strong>4</strong>' in page  # counts per class
    assert 'action="/search"' in page
    for link in (
        'href="/sparql"',
        'href="/dumps/"',
        'href="/dumps/ontology.html"',
        'href="/queries/zones"',
    ):
        assert link in page
    assert 'class="china-map"' in page and 'class="timeline-chart timeline-wide"' in page


def test_map_places_zones_and_bases_in_their_cities(web_client: TestClient) -> None:
    svg = web_client.get("/map.svg").text

    def place(key: str) -> str:
        return svg.split(f'data-place="{key}"')[1].split("</g>")[0]

    assert 'href="/id/zone/shenzhen?lang=en"' in place("广东省/深圳市")  # zone → region/shenzhen
    assert 'href="/id/base/healthcare-guangzhou?lang=en"' in place("广东省/广州市")
    assert 'href="/id/zone/shanghai-pudong?lang=en"' in place("上海市")  # county → municipality
    for city in ("山东省/济南市", "山东省/青岛市"):  # a zone in two cities is at both
        assert place(city).count('href="/id/zone/jinan-qingdao?lang=en"') == 1


def test_timeline_has_designations_and_launches(web_client: TestClient) -> None:
    svg = web_client.get("/timeline.svg").text
    assert 'class="step approval"' in svg and 'class="step launch"' in svg
    assert ">2019<" in svg and ">2025<" in svg
    ox_free = svg.replace("&", "")
    assert "<script" not in ox_free


# --- errors -------------------------------------------------------------------------------


def test_unknown_path_and_method(web_client: TestClient) -> None:
    response = web_client.get("/no/such/page", headers={"Accept": BROWSER})
    assert response.status_code == 404 and "<h1>404" in response.text
    assert web_client.delete("/sparql").status_code == 405


def test_unexpected_errors_are_one_sentence_not_a_traceback(
    web_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = web_client.app.state.site  # type: ignore[attr-defined]

    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(site.knowledge, "describe", broken)
    # An empty page cache, so that no remembered page answers (other parameters share one).
    monkeypatch.setattr(site, "_pages", type(site._pages)())
    response = web_client.get("/id/zone/shenzhen", headers={"Accept": BROWSER})
    assert response.status_code == 500
    assert "Traceback" not in response.text and "secret internals" not in response.text
    assert "server log" in response.text
