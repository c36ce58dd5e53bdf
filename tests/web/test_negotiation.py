"""Content negotiation on every route kind, Vary on every negotiated response, Allow on every 405.

One table: a request (method, path, Accept, POSTed form or body) and what must come
back: the media type with the format its body must parse as, or a status. The rules
are ``pilotkg.web.negotiate``'s; the real server is asked with the clients that used
to get a 406 (SPARQLWrapper's default CONSTRUCT, rdflib's SPARQLStore).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import httpx2
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, N3, XML, SPARQLWrapper
from starlette.routing import BaseRoute, Match
from starlette.testclient import TestClient

from pilotkg.formats import FORMATS, by_name
from support.web import AnyResponse, LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: web_client, live_server

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SELECT = (
    "SELECT ?zone WHERE { ?zone a <https://w3id.org/pilotkg/ontology#PilotZone> } ORDER BY ?zone"
)
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT WHERE { <https://w3id.org/pilotkg/id/zone/shenzhen> ?p ?o }"
SHENZHEN = "https://w3id.org/pilotkg/id/zone/shenzhen"
#: What SPARQLWrapper 2.0 sends beside Accept for its default return format (XML) and for JSON.
WRAPPER_XML = "format=xml&output=xml&results=xml"
WRAPPER_JSON = "format=json&output=json&results=json"
WRAPPER_JSON_ACCEPT = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)


def q(text: str) -> str:
    return quote(text, safe="")


def sparql(query: str, extra: str = "") -> str:
    return f"/sparql?query={q(query)}" + (f"&{extra}" if extra else "")


@dataclass(frozen=True)
class Ask:
    """One request of the table."""

    path: str
    accept: str | None = None
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)
    body: str = ""  # an application/sparql-query body

    def send(self, client: TestClient) -> httpx2.Response:
        headers = {"Accept": self.accept} if self.accept is not None else {}
        if self.form:
            return client.post(self.path, data=self.form, headers=headers)
        if self.body:
            headers["Content-Type"] = "application/sparql-query"
            return client.post(self.path, content=self.body.encode(), headers=headers)
        return client.request(self.method, self.path, headers=headers)


# (request, media type that must come back and the format its body is in; or a status)
TABLE: list[tuple[Ask, tuple[str, str] | int]] = [
    # --- an entity ------------------------------------------------------------------------
    (Ask("/id/zone/shenzhen", BROWSER), ("text/html", "html")),
    (Ask("/id/zone/shenzhen", "text/*"), ("text/html", "html")),
    (Ask("/id/zone/shenzhen", "text/plain"), ("text/plain", "ntriples")),
    (Ask("/id/zone/shenzhen", "application/*"), ("application/x-turtle", "turtle")),
    (Ask("/id/zone/shenzhen", "text/turtle, */*"), ("text/turtle", "turtle")),
    (Ask("/id/zone/shenzhen", "text/html;q=0, */*"), ("text/turtle", "turtle")),
    # q=0 refuses Turtle although */* (or application/*) admits its other name
    (
        Ask("/id/zone/shenzhen", "text/turtle;q=0, application/*"),
        ("application/n-triples", "ntriples"),
    ),
    (Ask("/id/zone/shenzhen", "text/*;q=0, */*;q=0.1"), ("application/ld+json", "jsonld")),
    (Ask("/id/zone/shenzhen", "text/html;q=0.5, text/turtle;q=0.8"), ("text/turtle", "turtle")),
    (Ask("/id/zone/shenzhen", "application/xhtml+xml"), 406),  # the pages are not XHTML
    (Ask("/id/zone/shenzhen", "image/png"), 406),
    (Ask("/id/zone/shenzhen", "garbage"), ("text/html", "html")),  # no range parses: no Accept
    (Ask("/id/zone/shenzhen.xml"), ("application/rdf+xml", "rdfxml")),
    (Ask("/id/zone/shenzhen.json", BROWSER), ("application/ld+json", "jsonld")),
    (Ask("/id/zone/shenzhen?format=json-ld", BROWSER), ("application/ld+json", "jsonld")),
    (Ask("/id/zone/shenzhen?format=rdf+xml"), ("application/rdf+xml", "rdfxml")),
    (Ask("/id/zone/shenzhen?format=application/n-triples"), ("application/n-triples", "ntriples")),
    (Ask("/id/zone/shenzhen?format=text/plain"), ("text/plain", "ntriples")),
    (Ask("/id/zone/shenzhen?format=n3", "text/turtle"), ("text/turtle", "turtle")),
    (Ask("/id/zone/shenzhen?format=bogus", "text/turtle"), ("text/turtle", "turtle")),
    (
        Ask("/id/zone/shenzhen?format=bogus&output=nt", "text/turtle"),
        ("application/n-triples", "ntriples"),
    ),
    # --- the ontology ---------------------------------------------------------------------
    (Ask("/ontology", "application/rdf+xml"), ("application/rdf+xml", "rdfxml")),
    (Ask("/ontology", "text/html;q=0, */*"), ("text/turtle", "turtle")),
    (Ask("/ontology?output=ttl", BROWSER), ("text/turtle", "turtle")),
    (Ask("/ontology", "text/plain"), ("text/plain", "ntriples")),
    # --- VoID (the dumps' description) ----------------------------------------------------
    (Ask("/.well-known/void"), ("text/turtle", "turtle")),
    (Ask("/.well-known/void", "text/*"), ("text/turtle", "turtle")),
    (Ask("/.well-known/void", "text/plain"), ("text/plain", "ntriples")),
    (Ask("/.well-known/void", "text/turtle;q=0, */*"), ("application/n-triples", "ntriples")),
    (Ask("/.well-known/void?format=pdf"), ("text/turtle", "turtle")),
    (Ask("/.well-known/void?format=jsonld", "text/turtle"), ("application/ld+json", "jsonld")),
    (Ask("/.well-known/void", "text/html"), 406),
    (Ask("/dumps/pilotkg.ttl", "application/ld+json"), ("text/turtle", "turtle")),  # a file
    # --- /sparql SELECT -------------------------------------------------------------------
    (Ask(sparql(SELECT), "text/*"), ("text/xml", "xml")),
    (Ask(sparql(SELECT), "text/plain"), 406),
    (Ask(sparql(SELECT), "application/json"), ("application/json", "json")),
    (Ask(sparql(SELECT), WRAPPER_JSON_ACCEPT), ("application/sparql-results+json", "json")),
    (Ask(sparql(SELECT), "application/xml"), ("application/xml", "xml")),
    (
        Ask(sparql(SELECT), "application/sparql-results+json;q=0, */*"),
        ("application/sparql-results+xml", "xml"),
    ),
    (Ask(sparql(SELECT), "text/html;q=0, text/*"), ("text/xml", "xml")),
    (
        Ask(sparql(SELECT, WRAPPER_XML), "application/sparql-results+xml"),
        ("application/sparql-results+xml", "xml"),
    ),
    (Ask(sparql(SELECT, "format=bogus&format=csv")), ("text/csv", "csv")),
    (Ask(sparql(SELECT, "output=tsv"), BROWSER), ("text/tab-separated-values", "tsv")),
    (Ask(sparql(SELECT, "results=xml")), ("application/sparql-results+xml", "xml")),
    (Ask(sparql(SELECT, "format=text/csv")), ("text/csv", "csv")),
    (
        Ask(sparql(SELECT, "format=rdf+xml&format=application/rdf+xml"), "text/csv"),
        ("text/csv", "csv"),
    ),
    (Ask(sparql(SELECT, "format=bogus"), "image/png"), 406),
    (
        Ask("/sparql", "application/sparql-results+json", form={"query": SELECT, "format": "csv"}),
        ("text/csv", "csv"),
    ),
    (
        Ask("/sparql", None, form={"query": SELECT, "output": "xml", "results": "xml"}),
        ("application/sparql-results+xml", "xml"),
    ),
    (
        Ask("/sparql", BROWSER, form={"query": SELECT, "format": "json"}),
        ("application/sparql-results+json", "json"),
    ),
    (Ask("/sparql?format=tsv", None, body=SELECT), ("text/tab-separated-values", "tsv")),
    # --- /sparql ASK ----------------------------------------------------------------------
    (
        Ask(sparql(ASK), "application/sparql-results+json;q=0.5, application/sparql-results+xml"),
        ("application/sparql-results+xml", "xml"),
    ),
    (
        Ask(sparql(ASK, "format=json"), "application/sparql-results+xml"),
        ("application/sparql-results+json", "json"),
    ),
    (Ask(sparql(ASK), "text/xml"), ("text/xml", "xml")),
    # --- /sparql CONSTRUCT: graph formats, or a stand-in for a results-only ask -----------
    (Ask(sparql(CONSTRUCT), "application/sparql-results+xml"), ("text/turtle", "turtle")),
    (Ask(sparql(CONSTRUCT), "application/sparql-results+json"), ("application/ld+json", "jsonld")),
    (Ask(sparql(CONSTRUCT), "application/json"), ("application/ld+json", "jsonld")),
    (Ask(sparql(CONSTRUCT), WRAPPER_JSON_ACCEPT), ("application/ld+json", "jsonld")),
    (Ask(sparql(CONSTRUCT), "text/n3"), ("text/turtle", "turtle")),
    (
        Ask(sparql(CONSTRUCT), "text/turtle;q=0.1, application/sparql-results+json"),
        ("text/turtle", "turtle"),
    ),
    (Ask(sparql(CONSTRUCT, WRAPPER_XML), "application/rdf+xml"), ("application/rdf+xml", "rdfxml")),
    (Ask(sparql(CONSTRUCT, WRAPPER_JSON), "*/*"), ("application/ld+json", "jsonld")),
    (Ask(sparql(CONSTRUCT, "format=n3&output=n3&results=n3"), "*/*"), ("text/turtle", "turtle")),
    (
        Ask(sparql(CONSTRUCT, "format=application/sparql-results+json")),
        ("application/ld+json", "jsonld"),
    ),
    (
        Ask(sparql(CONSTRUCT, "format=csv"), "application/n-triples"),
        ("application/n-triples", "ntriples"),
    ),
    (Ask(sparql(CONSTRUCT), "text/plain"), ("text/plain", "ntriples")),
    (Ask(sparql(CONSTRUCT), "text/*"), ("text/turtle", "turtle")),
    (Ask(sparql(CONSTRUCT), "text/csv"), 406),
    (Ask(sparql(CONSTRUCT), "image/png"), 406),
    (
        Ask("/sparql", "application/rdf+xml", form={"query": CONSTRUCT, "format": "xml"}),
        ("application/rdf+xml", "rdfxml"),
    ),
    (
        Ask("/sparql", BROWSER, form={"query": CONSTRUCT, "format": "json"}),
        ("application/ld+json", "jsonld"),
    ),
    # --- /queries/NAME --------------------------------------------------------------------
    (Ask("/queries/zones", "text/*"), ("text/xml", "xml")),
    (Ask("/queries/zones", "application/json"), ("application/json", "json")),
    (Ask("/queries/zones?format=bogus", "text/csv"), ("text/csv", "csv")),
    (Ask("/queries/zones?output=csv", BROWSER), ("text/csv", "csv")),
    (Ask("/queries/zones?format=text/tab-separated-values"), ("text/tab-separated-values", "tsv")),
    (Ask("/queries/zones.json", BROWSER), ("application/sparql-results+json", "json")),
    (Ask("/queries/zones.ttl"), 406),
    (Ask("/queries/zones", "text/turtle"), 406),
    # --- the service description ----------------------------------------------------------
    (Ask("/sparql", "text/plain"), ("text/plain", "ntriples")),
    (Ask("/sparql", "text/*"), ("text/turtle", "turtle")),
    (Ask("/sparql", "text/turtle;q=0, */*"), ("application/n-triples", "ntriples")),
    (Ask("/sparql", "text/html;q=0.5, text/turtle"), ("text/turtle", "turtle")),
    (Ask("/sparql?format=rdf+xml", BROWSER), ("application/rdf+xml", "rdfxml")),
    (Ask("/sparql?format=bogus", BROWSER), ("text/html", "html")),
    (Ask("/sparql", "image/png"), 406),
]


def _parse(body: bytes, name: str) -> int:
    """How many triples or rows ``body`` holds in the format called ``name``."""
    if name == "html":
        assert b"<html" in body.lower()
        return 1
    if name == "csv":
        return len(list(csv.DictReader(io.StringIO(body.decode("utf-8")))))
    fmt = by_name(
        name, "graph" if name in ("turtle", "ntriples", "jsonld", "rdfxml") else "results"
    )
    assert fmt is not None
    if fmt.rdf_format is not None:
        return len(list(ox.parse(body, format=fmt.rdf_format)))
    parsed = ox.parse_query_results(body, format=fmt.results_format)
    return 1 if isinstance(parsed, ox.QueryBoolean) else len(list(parsed))


def _cases(table: Sequence[tuple[Ask, object]]) -> list[object]:
    return [
        pytest.param(ask, expected, id=f"{ask.method} {ask.path} [{ask.accept}] {ask.form or ''}")
        for ask, expected in table
    ]


@pytest.mark.parametrize(("ask", "expected"), _cases(TABLE))
def test_negotiation_table(
    web_client: TestClient, ask: Ask, expected: tuple[str, str] | int
) -> None:
    response = ask.send(web_client)
    if isinstance(expected, int):
        assert response.status_code == expected, response.text
        assert response.text.strip(), "an error says what went wrong"
        return
    assert response.status_code == 200, response.text
    media_type, name = expected
    assert response.headers["content-type"].split(";")[0] == media_type
    assert _parse(response.content, name) > 0, "an empty answer"


def test_a_type_the_table_does_not_list_is_never_sent(web_client: TestClient) -> None:
    """Whatever range matched, the Content-Type is one the format table lists (or HTML)."""
    listed = {m for f in FORMATS for m in f.media_types} | {"text/html"}
    for accept in ("text/*", "application/*", "*/*", "text/plain", "application/xml", "text/n3"):
        for path in ("/id/zone/shenzhen", sparql(SELECT), sparql(CONSTRUCT), "/sparql"):
            response = web_client.get(path, headers={"Accept": accept})
            if response.status_code == 200:
                media_type = response.headers["content-type"].split(";")[0]
                assert media_type in listed, (path, accept, media_type)
                main = accept.split("/")[0]
                if accept.endswith("/*") and main != "*":
                    assert media_type.startswith(main + "/"), (path, accept, media_type)


def test_one_body_two_labels_two_etags(web_client: TestClient) -> None:
    plain = web_client.get("/id/zone/shenzhen", headers={"Accept": "text/plain"})
    ntriples = web_client.get("/id/zone/shenzhen", headers={"Accept": "application/n-triples"})
    assert plain.content == ntriples.content
    assert plain.headers["etag"] != ntriples.headers["etag"]
    again = web_client.get(
        "/id/zone/shenzhen",
        headers={"Accept": "text/plain", "If-None-Match": plain.headers["etag"]},
    )
    assert again.status_code == 304


# --- Vary ---------------------------------------------------------------------------------

# Every response whose body the Accept header chose, successes and errors alike.
NEGOTIATED: list[tuple[Ask, int]] = [
    (Ask("/id/zone/shenzhen", BROWSER), 200),
    (Ask("/id/zone/shenzhen", "text/turtle"), 200),
    (Ask("/id/zone/shenzhen", "image/png"), 406),
    (Ask("/id/zone/shenzhen.xyz"), 404),
    (Ask("/id/zone/no-such-zone", BROWSER), 404),
    (Ask("/id/zone/no-such-zone", "text/turtle"), 404),
    (Ask("/id/nosuchkind/"), 404),
    (Ask("/ontology", "application/ld+json"), 200),
    (Ask("/ontology/PilotZone", BROWSER), 200),
    (Ask("/.well-known/void"), 200),
    (Ask("/.well-known/void", "text/html"), 406),
    (Ask("/dumps/no-such-file", BROWSER), 404),
    (Ask("/sparql", BROWSER), 200),
    (Ask("/sparql", "text/turtle"), 200),
    (Ask("/sparql", "image/png"), 406),
    (Ask(sparql(SELECT)), 200),
    (Ask(sparql(SELECT), BROWSER), 200),
    (Ask(sparql(CONSTRUCT), "application/sparql-results+json"), 200),
    (Ask(sparql(SELECT), "text/turtle"), 406),
    (Ask(sparql("SELECT * {"), BROWSER), 400),
    (Ask(sparql("SELECT * {")), 400),
    (Ask(sparql("INSERT DATA { <a:b> <a:c> <a:d> }")), 403),
    (Ask("/sparql?update=x"), 403),
    (Ask("/sparql", form={"query": SELECT}), 200),
    (Ask("/sparql", BROWSER, form={"query": SELECT}), 200),
    (Ask("/sparql", form={"nothing": "here"}), 400),
    (Ask("/sparql?format=tsv", body=SELECT), 200),
    (Ask("/sparql", method="DELETE"), 405),
    (Ask("/sparql", BROWSER, method="PUT"), 405),
    (Ask("/queries/zones", BROWSER), 200),
    (Ask("/queries/zones.csv"), 200),
    (Ask("/queries/no-such-query"), 404),
    (Ask("/queries/zones?programme=not%20an%20iri"), 400),
    (Ask("/search?q=shenzhen", "application/json"), 200),
    (Ask("/search?q=shenzhen", BROWSER), 200),
    (Ask("/no/such/page"), 404),
    (Ask("/no/such/page", BROWSER), 404),
    (Ask("/static/no-such-file.css"), 404),
    (Ask("/id/zone/shenzhen", method="POST"), 405),
    (Ask("/", BROWSER), 200),
    (Ask("/id/zone/", BROWSER), 200),
    (Ask("/ontology.ttl"), 200),
    (Ask("/map.svg"), 200),
    (Ask("/timeline.svg"), 200),
    (Ask("/dumps/", BROWSER), 200),
    (Ask("/queries/", BROWSER), 200),
    (Ask("/zones", BROWSER), 200),
    (Ask("/zones.csv"), 200),
    (Ask("/bases", "application/json"), 200),
    (Ask("/bases.json"), 200),
    (Ask("/policies", BROWSER), 200),
    (Ask("/policies.csv"), 200),
    (Ask("/organisations", "text/csv"), 200),
    (Ask("/organisations.json"), 200),
    (Ask("/zones", "image/png"), 406),
    (Ask("/robots.txt"), 200),
    (Ask("/sitemap.xml"), 200),
    (Ask("/sitemap-1.xml"), 200),
    (Ask("/fragments", BROWSER), 200),
    (Ask("/fragments", "text/turtle"), 200),
    (Ask("/fragments", "image/png"), 406),
    (Ask("/reconcile"), 200),
    (Ask("/reconcile/preview?id=zone/shenzhen", BROWSER), 200),
    (Ask("/reconcile/suggest/entity?prefix=shen"), 200),
    (Ask("/reconcile/suggest/type?prefix=zo"), 200),
    (Ask("/reconcile/suggest/property?prefix=ba"), 200),
    (Ask("/reconcile/propose_properties?type=zone"), 200),
    (Ask("/releases/", BROWSER), 200),
    (Ask("/releases/9.9.9/id/zone/shenzhen", BROWSER), 404),
]

#: Routes whose answer has one representation, so that Accept chooses nothing and no Vary
#: names it: the release's files as they are, byte for byte, and the static files.
UNNEGOTIATED = {
    "/dumps/{name:path}": "a release file, served as it is",
    "/context.jsonld": "the release's JSON-LD context file, served as it is",
    "/static": "the style sheet and script",
}


def _vary(response: AnyResponse) -> set[str]:
    return {v.strip().lower() for v in ",".join(response.headers.get_list("vary")).split(",")}


@pytest.mark.parametrize(("ask", "status"), _cases(NEGOTIATED))
def test_every_negotiated_response_says_vary_accept(
    web_client: TestClient, ask: Ask, status: int
) -> None:
    response = ask.send(web_client)
    assert response.status_code == status, response.text
    vary = _vary(response)
    assert "accept" in vary, (response.status_code, response.headers.get("vary"))
    if response.headers.get("content-type", "").startswith("text/html"):
        assert (
            "accept-language" in vary
        )  # labels, and the page's words, are in the request's language


def test_vary_is_kept_beside_cors_and_on_304(web_client: TestClient) -> None:
    response = web_client.get("/no/such/page", headers={"Origin": "https://example.org"})
    assert response.status_code == 404 and {"accept", "origin"} <= _vary(response)
    first = web_client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    again = web_client.get(
        "/.well-known/void",
        headers={"Accept": "application/ld+json", "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and "accept" in _vary(again)


# --- Allow --------------------------------------------------------------------------------

METHODS_NOT_ALLOWED: list[tuple[str, str, dict[str, str], set[str]]] = [
    ("PUT", "/sparql", {}, {"GET", "HEAD", "POST"}),
    ("DELETE", "/sparql", {}, {"GET", "HEAD", "POST"}),
    ("PATCH", "/sparql", {}, {"GET", "HEAD", "POST"}),
    ("OPTIONS", "/sparql", {}, {"GET", "HEAD", "POST"}),  # no Origin: not a CORS preflight
    ("OPTIONS", "/sparql", {"Origin": "https://example.org"}, {"GET", "HEAD", "POST"}),
    ("PUT", "/id/zone/shenzhen", {}, {"GET", "HEAD"}),
    ("POST", "/id/zone/shenzhen", {"Accept": BROWSER}, {"GET", "HEAD"}),
    ("POST", "/id/zone/shenzhen.ttl", {}, {"GET", "HEAD"}),
    ("POST", "/ontology", {}, {"GET", "HEAD"}),
    ("DELETE", "/ontology/PilotZone", {}, {"GET", "HEAD"}),
    ("POST", "/queries/zones", {}, {"GET", "HEAD"}),
    ("POST", "/.well-known/void", {}, {"GET", "HEAD"}),
    ("PUT", "/dumps/pilotkg.ttl", {}, {"GET", "HEAD"}),
    ("POST", "/", {}, {"GET", "HEAD"}),
    ("POST", "/search", {}, {"GET", "HEAD"}),
    ("POST", "/static/style.css", {}, {"GET", "HEAD"}),
    ("PUT", "/id/zone/", {}, {"GET", "HEAD"}),
    ("POST", "/ontology.ttl", {}, {"GET", "HEAD"}),
    ("POST", "/map.svg", {}, {"GET", "HEAD"}),
    ("DELETE", "/timeline.svg", {}, {"GET", "HEAD"}),
    ("POST", "/dumps/", {}, {"GET", "HEAD"}),
    ("POST", "/context.jsonld", {}, {"GET", "HEAD"}),
    ("POST", "/queries/", {}, {"GET", "HEAD"}),
    ("POST", "/zones", {}, {"GET", "HEAD"}),
    ("POST", "/zones.json", {}, {"GET", "HEAD"}),
    ("POST", "/policies.csv", {}, {"GET", "HEAD"}),
    ("PUT", "/bases", {}, {"GET", "HEAD"}),
    ("PUT", "/organisations", {}, {"GET", "HEAD"}),
    ("PUT", "/bases.csv", {}, {"GET", "HEAD"}),
    ("POST", "/policies", {}, {"GET", "HEAD"}),
    ("DELETE", "/organisations.json", {}, {"GET", "HEAD"}),
    ("POST", "/robots.txt", {}, {"GET", "HEAD"}),
    ("POST", "/sitemap.xml", {}, {"GET", "HEAD"}),
    ("PUT", "/sitemap-1.xml", {}, {"GET", "HEAD"}),
    ("POST", "/fragments", {}, {"GET", "HEAD"}),
    ("PUT", "/reconcile", {}, {"GET", "HEAD", "POST"}),
    ("POST", "/reconcile/preview", {}, {"GET", "HEAD"}),
    ("POST", "/reconcile/suggest/entity", {}, {"GET", "HEAD"}),
    ("POST", "/reconcile/suggest/type", {}, {"GET", "HEAD"}),
    ("POST", "/reconcile/suggest/property", {}, {"GET", "HEAD"}),
    ("POST", "/reconcile/propose_properties", {}, {"GET", "HEAD"}),
    ("POST", "/releases/", {}, {"GET", "HEAD"}),
]


@pytest.mark.parametrize(("method", "path", "headers", "allowed"), METHODS_NOT_ALLOWED)
def test_every_405_says_allow(
    web_client: TestClient, method: str, path: str, headers: dict[str, str], allowed: set[str]
) -> None:
    response = web_client.request(method, path, headers=headers)
    assert response.status_code == 405, response.text
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert "accept" in _vary(response)
    assert response.text.strip()


def _matches(route: BaseRoute, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path.split("?")[0], "root_path": ""}
    return route.matches(scope)[0] is not Match.NONE


def test_every_route_is_in_the_vary_and_the_allow_tables(web_client: TestClient) -> None:
    """A new route must say what it varies on and what it allows: each one the app serves has
    a case in NEGOTIATED (unless it has one representation) and one in METHODS_NOT_ALLOWED."""
    routes = [r for r in web_client.app.routes if isinstance(r, BaseRoute)]  # type: ignore[attr-defined]
    assert len(routes) > 30
    for route in routes:
        path = getattr(route, "path", "")
        if path not in UNNEGOTIATED and not path.startswith("/releases/{"):
            assert any(_matches(route, ask.path) for ask, _status in NEGOTIATED), path
        assert any(_matches(route, case[1]) for case in METHODS_NOT_ALLOWED) or path.startswith(
            "/releases/{"
        ), path


# --- the real server, with the clients that used to get a 406 -------------------------------


def _wrapper(server: LiveServer, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def test_sparqlwrapper_default_construct(live_server: LiveServer) -> None:
    """SPARQLWrapper's default return format (XML) sends ``format=xml`` for a CONSTRUCT too."""
    for method in ("GET", "POST"):
        client = SPARQLWrapper(live_server.url + "/sparql")  # no setReturnFormat: XML
        client.setQuery(CONSTRUCT)
        client.setMethod(method)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # the wrapper's 'format mismatch'
            graph = client.queryAndConvert()
        assert isinstance(graph, rdflib.Graph) and len(graph) > 10, method
        assert (rdflib.URIRef(SHENZHEN), None, None) in graph


def test_sparqlwrapper_construct_as_json_and_n3(live_server: LiveServer) -> None:
    """JSON and N3 are not graph formats SPARQLWrapper names in Accept for a CONSTRUCT (it
    sends ``*/*`` with ``format=json``, or ``format=n3``); the graph comes as JSON-LD or Turtle."""
    as_json = _wrapper(live_server, CONSTRUCT, JSON).query()
    assert as_json.response.headers["Content-Type"].startswith("application/ld+json")
    graph = rdflib.Graph().parse(data=as_json.response.read(), format="json-ld")
    assert len(graph) > 10
    turtle = _wrapper(live_server, CONSTRUCT, N3).queryAndConvert()
    assert isinstance(turtle, bytes | str)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) > 10
    rows = _wrapper(live_server, SELECT, XML, "POST").queryAndConvert()
    assert len(rows.getElementsByTagName("result")) == 4  # type: ignore[union-attr]


def test_rdflib_sparqlstore_construct_as_json(live_server: LiveServer) -> None:
    """rdflib's SPARQLStore asks for SPARQL JSON results whatever the query form."""
    store = rdflib.Graph(store=SPARQLStore(live_server.url + "/sparql", returnFormat="json"))
    result = store.query(CONSTRUCT)
    assert result.graph is not None and len(result.graph) > 10
    assert (rdflib.URIRef(SHENZHEN), None, None) in result.graph


def test_real_server_errors_vary_and_405_allows(live_server: LiveServer) -> None:
    response = httpx.put(live_server.url + "/sparql", timeout=10)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}
    assert "accept" in _vary(response)
    missing = httpx.get(
        live_server.url + "/id/zone/no-such-zone", headers={"Accept": BROWSER}, timeout=10
    )
    assert missing.status_code == 404 and {"accept", "accept-language"} <= _vary(missing)
    refused = httpx.get(
        live_server.url + sparql(SELECT), headers={"Accept": "image/png"}, timeout=10
    )
    assert refused.status_code == 406 and "accept" in _vary(refused)
    body = json.loads(
        httpx.get(
            live_server.url + sparql(SELECT), headers={"Accept": "application/json"}, timeout=10
        ).content
    )
    assert len(body["results"]["bindings"]) == 4
