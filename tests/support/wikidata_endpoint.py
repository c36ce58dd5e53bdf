"""The tests' stand-in for query.wikidata.org: a real SPARQL endpoint on 127.0.0.1.

:class:`FixtureEndpoint` serves a pyoxigraph store over the SPARQL 1.1 Protocol
(GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; JSON or
XML results) from a thread, so the code under test speaks real HTTP to it:
SPARQLWrapper from ``pilotkg link wikidata`` and pyoxigraph's own SERVICE
client from the federated canned queries. It records every request, so tests
can see the User-Agent and what the cache saved. The tests below check the
stand-in itself; the other ``test_wikidata_*`` modules import it.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox
import pytest

WIKIDATA_DATA = Path(__file__).parent / "data" / "wikidata"
FIXTURE = WIKIDATA_DATA / "wikidata-fixture.ttl"

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}


@dataclass(frozen=True)
class Request:
    """One request the endpoint answered."""

    method: str
    user_agent: str
    query: str


def fixture_store(path: Path = FIXTURE) -> ox.Store:
    """An in-memory store holding the fixture Wikidata."""
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


class FixtureEndpoint:
    """A SPARQL endpoint at ``self.url`` over ``store``; a context manager that stops it."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.requests: list[Request] = []
        #: Set to an HTTP status to make every request fail with it (429, 503 …).
        self.fail_with: int | None = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a stuck client cannot hold a thread for ever

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: pytest shows failures, not access logs."""

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
                endpoint._answer(self, url.path, query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                url = urllib.parse.urlsplit(self.path)
                if self.headers.get("Content-Type", "").startswith("application/sparql-query"):
                    query = body
                else:
                    query = urllib.parse.parse_qs(body).get("query", [""])[0]
                endpoint._answer(self, url.path, query)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/sparql"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(self, handler: BaseHTTPRequestHandler, path: str, query: str) -> None:
        if path != "/sparql":
            self._send(handler, 404, "text/plain", b"no such endpoint: use /sparql")
            return
        self.requests.append(Request(handler.command, handler.headers.get("User-Agent", ""), query))
        if self.fail_with is not None:
            self._send(handler, self.fail_with, "text/plain", b"failing on purpose")
            return
        if not query:
            self._send(handler, 400, "text/plain", b"missing query parameter")
            return
        try:
            results = self.store.query(query)
        except SyntaxError as error:
            self._send(handler, 400, "text/plain", f"malformed query: {error}".encode())
            return
        accept = handler.headers.get("Accept", "")
        media_type = next(
            (m for m in accept.replace(" ", "").split(",") if m.split(";")[0] in RESULT_TYPES),
            "application/sparql-results+json",
        ).split(";")[0]
        assert isinstance(results, ox.QuerySolutions | ox.QueryBoolean)
        body = results.serialize(format=RESULT_TYPES[media_type]) or b""
        self._send(handler, 200, media_type, body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, media_type: str, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", media_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> FixtureEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def make_source(root: Path, *extra: Path) -> Path:
    """A minimal source folder at ``root``: the sample data (plus ``extra`` files) in data/."""
    for part in ("ontology", "data", "shapes", "queries"):
        (root / part).mkdir(parents=True)
    for path in (WIKIDATA_DATA / "sample-data.ttl", *extra):
        shutil.copy(path, root / "data" / path.name)
    return root


def closed_port_url() -> str:
    """The URL of an endpoint nobody listens on: a port bound, then released."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    return f"http://127.0.0.1:{port}/sparql"


# ---- the stand-in itself ----------------------------------------------------

ASK_SUZHOU = 'ASK { <http://www.wikidata.org/entity/Q42622> ?p "苏州市"@zh }'


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


def _fetch(request: urllib.request.Request) -> dict[str, object]:
    with urllib.request.urlopen(request, timeout=10) as response:
        loaded: dict[str, object] = json.load(response)
        return loaded


def test_answers_get_and_both_kinds_of_post(endpoint: FixtureEndpoint) -> None:
    encoded = urllib.parse.urlencode({"query": ASK_SUZHOU})
    get = urllib.request.Request(f"{endpoint.url}?{encoded}")
    form = urllib.request.Request(endpoint.url, data=encoded.encode(), method="POST")
    direct = urllib.request.Request(
        endpoint.url,
        data=ASK_SUZHOU.encode(),
        headers={"Content-Type": "application/sparql-query"},
        method="POST",
    )
    for request in (get, form, direct):
        assert _fetch(request)["boolean"] is True


def test_speaks_xml_when_asked(endpoint: FixtureEndpoint) -> None:
    request = urllib.request.Request(
        f"{endpoint.url}?{urllib.parse.urlencode({'query': ASK_SUZHOU})}",
        headers={"Accept": "application/sparql-results+xml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/sparql-results+xml"
        assert b"<boolean>true</boolean>" in response.read()


def test_rejects_a_malformed_query_with_400(endpoint: FixtureEndpoint) -> None:
    request = urllib.request.Request(f"{endpoint.url}?query=SELECT")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400


def test_fixture_models_redirects_and_homonyms_as_wikidata_does() -> None:
    store = fixture_store()
    suzhous = store.query(
        'SELECT ?item WHERE { ?item rdfs:label "Suzhou"@en } ORDER BY ?item',
        prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    )
    assert isinstance(suzhous, ox.QuerySolutions)
    assert [str(s["item"]) for s in suzhous] == [
        "<http://www.wikidata.org/entity/Q360643>",
        "<http://www.wikidata.org/entity/Q42622>",
    ]
    redirected = ox.NamedNode("http://www.wikidata.org/entity/Q900000201")
    redirect = list(store.quads_for_pattern(redirected, None, None))
    assert [q.predicate.value for q in redirect] == ["http://www.w3.org/2002/07/owl#sameAs"]
