"""Load a release into a remote SPARQL 1.1 store, atomically, and check it there.

Why it works the way it does:

- **Atomic replacement.** Triples go into a fresh staging graph; once its
  ``COUNT(*)`` matches what was sent, one ``MOVE`` replaces the target graph.
  Readers see the old graph until it commits and the new one after (Virtuoso
  releases a large commit a page at a time, and readers at its default
  isolation can see some of each while it does). Any failure drops the staging
  graph and leaves the target as it was; loading twice gives the same store.
- **Retries are safe.** A graph is a set, so sending a batch again after a
  dropped connection cannot duplicate a triple. Transient failures (connection
  reset, HTTP 429/502/503/504) are retried with bounded exponential backoff;
  failures a retry cannot fix (credentials, 404, time-outs, an unreachable
  host) stop at once with a sentence that says what to change.
- **Two ways in.** The SPARQL 1.1 Graph Store HTTP Protocol (one N-Triples POST
  per batch) where the store offers it (``--graph-store``), else ``INSERT DATA``
  batches over SPARQL Update. A batch the store refuses
  as too large (Virtuoso's SPARQL compiler gives up near 1,000 triples) is split
  in two and sent again, down to a single triple, whose error then names it.
- **Checked, not trusted.** The staging graph is counted before the swap and the
  target after it. Stores that keep values rather than spellings merge literals
  of equal value (Virtuoso: "2025-12"^^xsd:gYearMonth and "2025-12-01"^^xsd:date
  are one value); the count catches it and the message names such a pair. A
  MOVE whose answer was lost is not sent again blindly: sent twice, it would
  move the now empty staging graph over the target.
- **Secrets stay secret.** The password arrives from the caller (the command
  reads it from the environment), is never part of a URL, and every message
  built from a store's answer is scrubbed of it.
- **Credentials stay with the store.** Every request, query and update included,
  goes through one opener of our own, never through urllib's process-wide one
  (SPARQLWrapper used that, and its basic-auth header followed any redirect to
  any host). That opener follows a redirect only within the same origin (scheme,
  host, port) and only when it keeps the request (307, 308); anything else stops
  with a sentence naming where it pointed. So neither a basic-auth header nor a
  digest answer is ever sent to a server the user did not name, and a POST is
  never silently turned into a GET that drops its body.

The steps of a load are in :mod:`pilotkg.remote.loading`; comparing answers with the
embedded store is :mod:`pilotkg.remote.verify`.
"""

from __future__ import annotations

import ast
import base64
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import IO, Literal, TypeVar

import pyoxigraph as ox
from SPARQLWrapper import SPARQLExceptions as sparql_errors

from ..errors import PilotkgError
from ..formats import by_media_type

T = TypeVar("T")

#: Triples per request when none is chosen. INSERT DATA batches stay well below the size at
#: which Virtuoso 7.2's SPARQL compiler gives up (README, "Virtuoso"); a Graph Store batch is
#: one plain N-Triples POST, and larger batches mean fewer round trips.
GRAPH_STORE_BATCH_TRIPLES = 10_000
UPDATE_BATCH_TRIPLES = 500
#: What queries ask for: SPARQL XML results (every store has them), Turtle for graphs.
RESULTS_MEDIA_TYPE = "application/sparql-results+xml"
GRAPH_MEDIA_TYPES = "text/turtle, application/n-triples;q=0.9"
USER_AGENT = "pilotkg-load/0.1 (https://w3id.org/pilotkg)"
#: How much of a store's error text a message quotes (Virtuoso echoes the whole request).
QUOTED_CHARS = 240


class Failure(Enum):
    """What kind of failure a request met, which decides between retrying and stopping."""

    TRANSIENT = "transient"
    AUTH = "authentication"
    NOT_FOUND = "not found"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    REJECTED = "rejected"
    SERVER = "server error"
    REDIRECT = "redirect"


class RemoteStoreError(PilotkgError):
    """A remote store refused or failed a request; the message says what to fix."""

    def __init__(
        self, message: str, *, failure: Failure | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.status = status


class StagingKept(RemoteStoreError):
    """The target was emptied but not refilled: the staging graph holds the only copy."""


class RedirectRefused(Exception):
    """A store answered with a redirect pilotkg will not follow (see the module docstring).

    Raised inside the opener, before any request goes to ``location``, so the
    credentials of the original request cannot follow it.
    """

    def __init__(self, url: str, location: str, status: int, *, cross_origin: bool) -> None:
        super().__init__(f"HTTP {status} redirect from {url} to {location}")
        self.url = url
        self.location = location
        self.status = status
        self.cross_origin = cross_origin


def origin(url: str) -> tuple[str, str, int | None]:
    """The origin of ``url``: scheme, host and port, the scheme's default port filled in
    (so ``http://h/`` and ``http://h:80/`` are one origin). A malformed port gives None,
    which never matches the port of an endpoint that answered."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same origin and only when it keeps method and body.

    urllib's own handler follows any host and copies the request's headers, a
    basic-auth ``Authorization`` among them; for a POST it also turns 301/302/303
    into a GET without the body, which a store would answer with a harmless 200.
    """

    max_redirections = 5  # urllib's loop guard (``max_repeats``) still applies

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        cross_origin = origin(newurl) != origin(req.full_url)
        if cross_origin or code not in (307, 308):
            fp.close()
            raise RedirectRefused(req.full_url, newurl, code, cross_origin=cross_origin)
        # Same origin: the headers a user gave (basic auth among them) may go along;
        # digest answers are per request and are recomputed by the digest handler.
        return urllib.request.Request(
            newurl,
            data=req.data,
            headers=dict(req.headers),
            origin_req_host=req.origin_req_host,
            unverifiable=True,
            method=req.get_method(),
        )


TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
#: Statuses that may mean "this request is too large": a batch so refused is split.
SPLIT_STATUS = frozenset({400, 413, 414})
#: SPARQLWrapper's exceptions, classified too: other pilotkg clients raise them, and
#: so do the tests' stand-in stores.
_SPARQLWRAPPER_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (sparql_errors.QueryBadFormed, 400),
    (sparql_errors.Unauthorized, 401),
    (sparql_errors.EndPointNotFound, 404),
    (sparql_errors.URITooLong, 414),
    (sparql_errors.EndPointInternalError, 500),
)


def http_status(error: BaseException) -> int | None:
    """The HTTP status behind ``error`` (urllib's or SPARQLWrapper's), or None."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code
    for cls, status in _SPARQLWRAPPER_STATUS:
        if isinstance(error, cls):
            return status
    return None


def _by_status(status: int) -> Failure:
    if status in TRANSIENT_STATUS:
        return Failure.TRANSIENT
    if status in (401, 403, 407):
        return Failure.AUTH
    if status == 404:
        return Failure.NOT_FOUND
    if status == 408:
        return Failure.TIMEOUT
    return Failure.SERVER if status >= 500 else Failure.REJECTED


def classify(error: BaseException, *, reached: bool = True) -> Failure | None:
    """The kind of failure ``error`` is, or None when it is not about the store (a bug).

    A refused connection is transient once the store has answered before (it is
    restarting), and means "unreachable" on first contact (wrong URL, not running).
    """
    if isinstance(error, RedirectRefused):
        return Failure.REDIRECT
    status = http_status(error)
    if status is not None:
        return _by_status(status)
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return Failure.TIMEOUT
    if isinstance(reason, ConnectionRefusedError):
        return Failure.TRANSIENT if reached else Failure.UNREACHABLE
    if isinstance(reason, ConnectionError | http.client.HTTPException):
        return Failure.TRANSIENT  # reset, broken pipe, disconnected, incomplete read
    if isinstance(reason, OSError) or isinstance(error, urllib.error.URLError):
        return Failure.UNREACHABLE  # DNS failure, no route to host
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, waits doubling up to ``max_delay_s``."""

    attempts: int = 5
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def delay_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** (retry - 1)))


@dataclass(frozen=True)
class Credentials:
    """A user and password for HTTP basic or digest authentication (never shown)."""

    user: str
    password: str = field(repr=False)
    scheme: Literal["basic", "digest"] = "digest"
    #: Where the password came from, for messages ("the environment variable X").
    origin: str = "the password"

    def secrets(self) -> tuple[str, ...]:
        """Every form the password could take in text: itself and its basic-auth encoding."""
        pair = f"{self.user}:{self.password}".encode()
        return (self.password, base64.b64encode(pair).decode("ascii"))


@dataclass(frozen=True)
class Endpoints:
    """Where a store listens: SPARQL query, SPARQL Update and (optional) Graph Store URLs."""

    query: str
    update: str | None = None
    graph_store: str | None = None

    @property
    def update_url(self) -> str:
        return self.update or self.query

    def option_for(self, url: str) -> str:
        """The command-line option that set ``url``, for messages."""
        if url == self.graph_store:
            return "--graph-store"
        if url == self.update and url != self.query:
            return "--update-endpoint"
        return "--endpoint"


def check_url(url: str, option: str) -> str:
    """``url`` if it is an http(s) URL without a password in it; PilotkgError otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteStoreError(f"{option} {url!r} is not an http:// or https:// URL")
    if parts.password is not None:
        raise RemoteStoreError(
            f"{option} holds a password: remove it from the URL, pass --user NAME and put "
            "the password in an environment variable named by --password-env"
        )
    return url


def _first_line(data: bytes | str | None) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= QUOTED_CHARS else line[:QUOTED_CHARS] + "…"


def _store_says(error: BaseException) -> str:
    """The first line of the store's own error text, if it sent one."""
    if isinstance(error, sparql_errors.SPARQLWrapperException):
        # SPARQLWrapper keeps only the repr of the body, inside its message.
        quoted = str(error).partition("Response:\n")[2]
        try:
            return _first_line(ast.literal_eval(quoted)) if quoted else ""
        except (ValueError, SyntaxError):
            return _first_line(quoted)
    if isinstance(error, urllib.error.HTTPError):
        try:
            return _first_line(error.read())
        except OSError:
            return ""
    return ""


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class RemoteStore:
    """A SPARQL 1.1 store reached over HTTP, with retries and readable errors.

    The three ``_send_*`` methods are the only ones that touch the network, all
    through ``_open``; tests replace them to run the loader against an in-process
    store.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        credentials: Credentials | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        for url in {endpoints.query, endpoints.update_url, endpoints.graph_store} - {None}:
            assert url is not None
            check_url(url, endpoints.option_for(url))
        self.endpoints = endpoints
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self._reached = False
        self._digest: urllib.request.HTTPDigestAuthHandler | None = None
        self._opener = self._build_opener()

    @property
    def uses_graph_store(self) -> bool:
        return self.endpoints.graph_store is not None

    @property
    def default_batch_triples(self) -> int:
        return GRAPH_STORE_BATCH_TRIPLES if self.uses_graph_store else UPDATE_BATCH_TRIPLES

    # ------------------------------------------------------------------ operations

    def update(self, text: str, *, what: str, retry: bool = True) -> None:
        """Run one SPARQL Update request; ``retry=False`` for requests that are not
        idempotent, which the caller must then check before sending again."""
        url = self.endpoints.update_url
        attempts = self.retry.attempts if retry else 1
        self._call(lambda: self._send_update(text), url=url, what=what, attempts=attempts)

    def upload(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        """Add ``triples`` to ``graph`` in one request, splitting the batch if the store
        refuses it as too large."""
        try:
            if self.endpoints.graph_store is not None:
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
                url = self.endpoints.graph_store
                self._call(lambda: self._send_graph(graph, body), url=url, what="an upload")
            else:
                self.update(
                    insert_data(graph, triples), what=f"INSERT DATA of {len(triples)} triples"
                )
        except RemoteStoreError as error:
            if error.status not in SPLIT_STATUS:
                raise
            if len(triples) == 1:
                raise RemoteStoreError(
                    f"{error} (the triple: {triples[0]} .)",
                    failure=error.failure,
                    status=error.status,
                ) from error
            half = len(triples) // 2
            self.upload(graph, triples[:half])
            self.upload(graph, triples[half:])

    def query(
        self,
        text: str,
        *,
        default_graph: str | None = None,
        graph_result: bool = False,
        what: str = "a query",
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Answers to a query, as pyoxigraph terms; ``graph_result`` for CONSTRUCT/DESCRIBE;
        ``what`` names the query in messages."""
        data, media_type = self._call(
            lambda: self._send_query(text, default_graph, graph_result),
            url=self.endpoints.query,
            what=what,
        )
        try:
            if graph_result:
                fmt = by_media_type(media_type, kind="graph")
                rdf_format = fmt.rdf_format if fmt and fmt.rdf_format else ox.RdfFormat.TURTLE
                return [quad.triple for quad in ox.parse(data, format=rdf_format)]
            return ox.parse_query_results(data, format=ox.QueryResultsFormat.XML)
        except SyntaxError as error:
            raise RemoteStoreError(
                f"{self.endpoints.query} sent an answer pilotkg cannot read ({media_type}): {error}"
            ) from error

    def count(self, graph: str) -> int:
        """The number of triples in ``graph``."""
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
        results = self.query(text)
        assert isinstance(results, ox.QuerySolutions)
        for row in results:
            term = row["n"]
            if isinstance(term, ox.Literal):
                return int(Decimal(term.value))
        raise RemoteStoreError(f"{self.endpoints.query} answered a COUNT query with no count")

    # ------------------------------------------------------------------ retries and errors

    def _call(
        self, action: Callable[[], T], *, url: str, what: str, attempts: int | None = None
    ) -> T:
        """``action()``, retried on transient failures; RemoteStoreError once it cannot succeed."""
        attempts = attempts or self.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                result = action()
            except Exception as error:
                failure = classify(error, reached=self._reached)
                if failure is None:
                    raise
                if failure is Failure.TRANSIENT and attempt < attempts:
                    self.retry.sleep(self.retry.delay_s(attempt))
                    continue
                raise RemoteStoreError(
                    self._redact(
                        self._explain(failure, error, url=url, what=what, attempt=attempt)
                    ),
                    failure=failure,
                    status=http_status(error),
                ) from None  # the cause may quote the request, credentials included
            self._reached = True
            return result
        raise AssertionError("unreachable: the loop returns or raises")

    def _explain(
        self, failure: Failure, error: BaseException, *, url: str, what: str, attempt: int
    ) -> str:
        """One sentence: what went wrong with which URL, and what to change."""
        option = self.endpoints.option_for(url)
        status = http_status(error)
        says = _store_says(error)
        detail = f": {says}" if says else ""
        if failure is Failure.AUTH and self.credentials is None:
            return (
                f"{url} needs credentials (HTTP {status}): pass --user NAME and put the "
                "password in an environment variable named by --password-env"
            )
        if failure is Failure.AUTH:
            assert self.credentials is not None
            return (
                f"{url} refused the credentials of user {self.credentials.user!r} (HTTP {status}): "
                f"check --user, {self.credentials.origin} and --auth "
                f"(this request used {self.credentials.scheme})"
            )
        if failure is Failure.NOT_FOUND:
            return f"{url} answered 404 Not Found: check the URL given to {option}"
        if failure is Failure.TIMEOUT:
            return (
                f"{url} did not answer {what} within {self.timeout_s:g}s: "
                "raise --timeout-s, or lower --batch-triples for uploads"
            )
        if failure is Failure.UNREACHABLE:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            return f"cannot reach {url} ({reason}): check that the store is running and that {option} is right"
        if failure is Failure.TRANSIENT:
            return (
                f"{what} failed {attempt} times ({status or type(error).__name__}{detail}); "
                "the store or the network is unstable: try again later"
            )
        if failure is Failure.REDIRECT:
            assert isinstance(error, RedirectRefused)
            # urllib has percent-encoded it, control characters included.
            location = _without_userinfo(error.location)
            if len(location) > QUOTED_CHARS:
                location = location[:QUOTED_CHARS] + "…"
            why = (
                "another origin: pilotkg does not follow it, so that the request and its "
                "credentials never reach a server you did not name"
                if error.cross_origin
                else "pilotkg follows only 307 and 308, which keep the request and its body"
            )
            return (
                f"{url} answered {what} with a redirect to {location} (HTTP {error.status}), "
                f"{why}; if the store lives there, pass that URL to {option}"
            )
        verb = "failed" if failure is Failure.SERVER else "rejected"
        return f"{url} {verb} {what} (HTTP {status}){detail}"

    def _redact(self, text: str) -> str:
        if self.credentials is None:
            return text
        for secret in self.credentials.secrets():
            if secret:
                text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------ the network

    def _build_opener(self) -> urllib.request.OpenerDirector:
        """The one opener every request uses: our redirect rule, digest auth when asked.

        Digest passwords are registered for the origins of the configured endpoints
        only, whatever realm they name, so a challenge from anywhere else gets none.
        """
        handlers: list[urllib.request.BaseHandler] = [SameOriginRedirects()]
        if self.credentials is not None and self.credentials.scheme == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in self._urls():
                scheme, host, port = origin(url)
                passwords.add_password(
                    None,
                    f"{scheme}://{host}:{port}/",
                    self.credentials.user,
                    self.credentials.password,
                )
            self._digest = urllib.request.HTTPDigestAuthHandler(passwords)
            handlers.append(self._digest)
        return urllib.request.build_opener(*handlers)

    def _urls(self) -> list[str]:
        urls = [self.endpoints.query, self.endpoints.update_url, self.endpoints.graph_store]
        return [url for url in urls if url is not None]

    def _basic_header(self) -> dict[str, str]:
        """Basic auth is sent up front, so large bodies are not sent twice."""
        if self.credentials is None or self.credentials.scheme != "basic":
            return {}
        return {"Authorization": f"Basic {self.credentials.secrets()[1]}"}

    def _open(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[bytes, str]:
        """POST ``body`` to ``url``; the answer's bytes and media type."""
        if self._digest is not None:
            # urllib counts refused digest answers per handler and resets the count only
            # on success: after one refusal every later request would fail unasked.
            self._digest.reset_retry_count()
        all_headers = {"User-Agent": USER_AGENT, **headers, **self._basic_header()}
        request = urllib.request.Request(url, data=body, method="POST", headers=all_headers)
        with self._opener.open(request, timeout=self.timeout_s) as response:
            return response.read(), response.headers.get("Content-Type", "")

    def _send_graph(self, graph: str, body: bytes) -> None:
        """POST N-Triples to the Graph Store protocol endpoint (adds to ``graph``)."""
        assert self.endpoints.graph_store is not None
        separator = "&" if "?" in self.endpoints.graph_store else "?"
        url = f"{self.endpoints.graph_store}{separator}{urllib.parse.urlencode({'graph': graph})}"
        self._open(url, body, {"Content-Type": "application/n-triples"})

    def _send_update(self, text: str) -> None:
        """SPARQL 1.1 Protocol update: the body is the update, no URL-encoding."""
        self._open(
            self.endpoints.update_url,
            text.encode("utf-8"),
            {"Content-Type": "application/sparql-update", "Accept": RESULTS_MEDIA_TYPE},
        )

    def _send_query(
        self, text: str, default_graph: str | None, graph_result: bool
    ) -> tuple[bytes, str]:
        """SPARQL 1.1 Protocol query, POSTed as a form (long queries do not fit a URL).

        The caller knows the form of its query, so it says which answer it wants
        rather than guessing from keywords, which a comment can contain.
        """
        fields = [("query", text)]
        if default_graph is not None:
            fields.append(("default-graph-uri", default_graph))
        return self._open(
            self.endpoints.query,
            urllib.parse.urlencode(fields).encode("ascii"),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": GRAPH_MEDIA_TYPES if graph_result else RESULTS_MEDIA_TYPE,
            },
        )


def insert_data(graph: str, triples: Sequence[ox.Triple]) -> str:
    """An ``INSERT DATA`` request adding ``triples`` to ``graph``.

    N-Triples is valid SPARQL triple syntax, and pyoxigraph's writer escapes
    quotes, backslashes and line breaks; braces inside a literal are just text.
    """
    body = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    return f"INSERT DATA {{ GRAPH {ox.NamedNode(graph)} {{\n{body}}} }}"


def batches(triples: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(triples), size):
        yield triples[start : start + size]
