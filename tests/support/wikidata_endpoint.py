"""The tests' stand-in for query.wikidata.org: a real SPARQL endpoint on 127.0.0.1.

:class:`FixtureEndpoint` serves a pyoxigraph store over the SPARQL 1.1 Protocol
(GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; JSON or
XML results) from a thread, so the code under test speaks real HTTP to it:
SPARQLWrapper from ``pilotkg link wikidata`` and pyoxigraph's own SERVICE
client from the federated canned queries. It records every request, so tests
can see the User-Agent and what the cache saved. ``tests/wikidata/test_endpoint.py``
checks the stand-in itself; the other Wikidata tests import it.
"""

from __future__ import annotations

import shutil
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from support.paths import TEST_DATA

WIKIDATA_DATA = TEST_DATA / "wikidata"
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
        # Stopping waits for the serving loop's next poll: 0.5 s by default, at every stop.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

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
