"""A real SPARQL 1.1 Protocol and Graph Store endpoint over pyoxigraph, on 127.0.0.1.

The ``pilotkg load`` tests talk to it over HTTP, through the same opener, auth
and redirect handling as they would to Virtuoso, instead of replacing the
store's network methods. It can also stand in for a misbehaving store: demand
basic or digest credentials (it checks the basic password, and only that a
digest answer is present: the client side is what is under test), answer some
paths with a redirect, and hold an update until the test lets it go, which is
how a test catches a load between its staging step and its swap to kill it.
"""

from __future__ import annotations

import base64
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox

DIGEST_CHALLENGE = 'Digest realm="SPARQL", nonce="0a4f113b", qop="auth"'
HOLD_TIMEOUT_S = 60.0


@dataclass
class Seen:
    """One request as it arrived: method, path with query string, headers."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Behaviour:
    """How the endpoint answers, beyond plain SPARQL."""

    #: "basic" (with ``user``/``password``), "digest" (any digest answer), or None.
    auth: str | None = None
    user: str = "loader"
    password: str = ""
    #: Paths whose credentials are always refused (a user allowed to query, not to upload).
    refused_paths: set[str] = field(default_factory=set)
    #: Path (without query string) → (status, Location), answered once auth passed; a
    #: Location without a query string gets the request's.
    redirects: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Updates starting with this are held until ``release`` is set, then refused (503).
    hold_updates_starting: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class _LoopbackServer:
    """A threaded HTTP server on a free port of 127.0.0.1, for the test endpoints below."""

    def _serve(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # Stopping waits for the serving loop's next poll: 0.5 s by default, at every stop.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _shut_down(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class OxigraphEndpoint(_LoopbackServer):
    """``/sparql`` (query and update) and ``/store`` (Graph Store POST) over one ``ox.Store``."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.db = ox.Store()
        self.behaviour = behaviour or Behaviour()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        endpoint = self

        class Handler(_Handler):
            owner = endpoint

        self._serve(Handler)

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    @property
    def store(self) -> str:
        return f"{self.base}/store"

    def stop(self) -> None:
        self.behaviour.release.set()
        self._shut_down()

    def graph(self, iri: str) -> set[ox.Triple]:
        return {q.triple for q in self.db.quads_for_pattern(None, None, None, ox.NamedNode(iri))}

    def graphs(self) -> set[str]:
        """The named graphs that hold triples."""
        return {q.graph_name.value for q in self.db if isinstance(q.graph_name, ox.NamedNode)}

    def put(self, graph: str, triples: set[ox.Triple]) -> None:
        self.db.extend(
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples
        )

    def union_count(self, subject: str) -> int:
        """Triples about ``subject`` in the union of all graphs, as Virtuoso's default graph
        would show them."""
        return len(list(self.db.quads_for_pattern(ox.NamedNode(subject), None, None, None)))


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: OxigraphEndpoint

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(405, b"POST only\n")

    def do_POST(self) -> None:
        owner = self.owner
        with owner._lock:
            owner.seen.append(Seen("POST", self.path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._authorised():
            return
        path, _, query_string = self.path.partition("?")
        redirect = owner.behaviour.redirects.get(path)
        if redirect is not None:
            status, location = redirect
            if query_string and "?" not in location:
                location += "?" + query_string  # as a server moving a path would
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            if path == "/store":
                graph = urllib.parse.parse_qs(query_string).get("graph", [""])[0]
                owner.db.load(body, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
                self._answer(204, b"")
            elif path == "/sparql":
                self._sparql(body)
            else:
                self._answer(404, b"no such endpoint\n")
        except (SyntaxError, ValueError, OSError) as error:
            self._answer(400, f"{error}\n".encode())

    def _authorised(self) -> bool:
        behaviour = self.owner.behaviour
        given = self.headers.get("Authorization", "")
        if self.path.partition("?")[0] in behaviour.refused_paths:
            given = ""
        if behaviour.auth == "basic":
            pair = f"{behaviour.user}:{behaviour.password}".encode()
            if given == f"Basic {base64.b64encode(pair).decode('ascii')}":
                return True
            self._answer(401, b"credentials needed\n", {"WWW-Authenticate": 'Basic realm="SPARQL"'})
            return False
        if behaviour.auth == "digest":
            if given.startswith("Digest ") and f'username="{behaviour.user}"' in given:
                return True
            self._answer(401, b"credentials needed\n", {"WWW-Authenticate": DIGEST_CHALLENGE})
            return False
        return True

    def _sparql(self, body: bytes) -> None:
        owner = self.owner
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type == "application/sparql-update":
            self._update(body.decode("utf-8"))
            return
        form = urllib.parse.parse_qs(body.decode("ascii"))
        if "update" in form:
            self._update(form["update"][0])
            return
        text = form["query"][0]
        default: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
            ox.NamedNode(g) for g in form.get("default-graph-uri", [])
        ]
        results = owner.db.query(text, default_graph=default or None)
        if isinstance(results, ox.QueryTriples):
            data = ox.serialize(list(results), format=ox.RdfFormat.N_TRIPLES) or b""
            self._answer(200, data, {"Content-Type": "application/n-triples"})
            return
        data = results.serialize(format=ox.QueryResultsFormat.XML) or b""
        self._answer(200, data, {"Content-Type": "application/sparql-results+xml"})

    def _update(self, text: str) -> None:
        behaviour = self.owner.behaviour
        hold = behaviour.hold_updates_starting
        if hold is not None and text.lstrip().startswith(hold):
            behaviour.held.set()
            behaviour.release.wait(HOLD_TIMEOUT_S)
            self._answer(503, b"held by the test\n")
            return
        self.owner.db.update(text)
        self._answer(204, b"")

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client is gone (a killed load): nothing to tell it


class HeaderRecorder(_LoopbackServer):
    """A listener that only records what reaches it, and asks for digest credentials
    (as a hostile server would) so that a client willing to send them would."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _record(self) -> None:
                recorder.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(401)
                self.send_header("WWW-Authenticate", DIGEST_CHALLENGE)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

        self._serve(Handler)

    def authorizations(self) -> list[str]:
        return [
            value for seen in self.seen for name, value in seen.headers.items()
            if name.lower() == "authorization"
        ]  # fmt: skip

    def stop(self) -> None:
        self._shut_down()


@contextmanager
def running(behaviour: Behaviour | None = None) -> Iterator[OxigraphEndpoint]:
    endpoint = OxigraphEndpoint(behaviour)
    try:
        yield endpoint
    finally:
        endpoint.stop()


@contextmanager
def recording() -> Iterator[HeaderRecorder]:
    recorder = HeaderRecorder()
    try:
        yield recorder
    finally:
        recorder.stop()
