"""Load a release into a remote SPARQL 1.1 store, atomically, and check it there.

Why it works the way it does:

- **Atomic replacement.** Triples go into a fresh staging graph; once its
  ``COUNT(*)`` matches what was sent, one ``MOVE`` replaces the target graph.
  Readers see the old graph or the new one, never half of one. Any failure
  drops the staging graph and leaves the target as it was; loading twice gives
  the same store.
- **Retries are safe.** A graph is a set, so sending a batch again after a
  dropped connection cannot duplicate a triple. Transient failures (connection
  reset, HTTP 429/502/503/504) are retried with bounded exponential backoff;
  failures a retry cannot fix (credentials, 404, time-outs, an unreachable
  host) stop at once with a sentence that says what to change.
- **Two ways in.** The SPARQL 1.1 Graph Store HTTP Protocol (one N-Triples POST
  per batch) where the store offers it (``--graph-store``), else ``INSERT DATA``
  batches over SPARQL Update through SPARQLWrapper. A batch the store refuses
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

``compare_queries`` runs the canned queries on the remote store and on the
embedded store (pyoxigraph) and compares their answers as multisets of rows.
"""

from __future__ import annotations

import ast
import base64
import http.client
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Literal, TypeVar

import pyoxigraph as ox
from SPARQLWrapper import (
    CONSTRUCT,
    INSERT,
    POST,
    POSTDIRECTLY,
    SELECT,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper import SPARQLExceptions as sparql_errors

from .errors import PilotkgError, QueryError
from .formats import by_media_type
from .graphs import sorted_triples, to_store
from .namespaces import DATE_DATATYPES, XSD
from .queries import CannedQuery

T = TypeVar("T")

#: Triples per request when none is chosen: measured on Virtuoso 7.2 (docs/triplestores.md).
GRAPH_STORE_BATCH_TRIPLES = 10_000
UPDATE_BATCH_TRIPLES = 500
#: Staging graphs are named under this prefix, so a leftover one is easy to spot.
STAGING_PREFIX = "urn:pilotkg:staging:"
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


TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
#: Statuses that may mean "this request is too large": a batch so refused is split.
SPLIT_STATUS = frozenset({400, 413, 414})
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


class RemoteStore:
    """A SPARQL 1.1 store reached over HTTP, with retries and readable errors.

    The three ``_send_*`` methods are the only ones that touch the network; tests
    replace them to run the loader against an in-process store.
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
        self, text: str, *, default_graph: str | None = None, graph_result: bool = False
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Answers to a query, as pyoxigraph terms; ``graph_result`` for CONSTRUCT/DESCRIBE."""
        data, media_type = self._call(
            lambda: self._send_query(text, default_graph, graph_result),
            url=self.endpoints.query,
            what="a query",
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
        handlers: list[urllib.request.BaseHandler] = []
        if self.credentials is not None and self.credentials.scheme == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(
                None,
                self.endpoints.graph_store or "",
                self.credentials.user,
                self.credentials.password,
            )
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        return urllib.request.build_opener(*handlers)

    def _basic_header(self) -> dict[str, str]:
        """Basic auth is sent up front, so large bodies are not sent twice."""
        if self.credentials is None or self.credentials.scheme != "basic":
            return {}
        return {"Authorization": f"Basic {self.credentials.secrets()[1]}"}

    def _send_graph(self, graph: str, body: bytes) -> None:
        """POST N-Triples to the Graph Store protocol endpoint (adds to ``graph``)."""
        assert self.endpoints.graph_store is not None
        separator = "&" if "?" in self.endpoints.graph_store else "?"
        url = f"{self.endpoints.graph_store}{separator}{urllib.parse.urlencode({'graph': graph})}"
        headers = {"Content-Type": "application/n-triples", **self._basic_header()}
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with self._opener.open(request, timeout=self.timeout_s) as response:
            response.read()

    def _wrapper(self, url: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url, updateEndpoint=url)
        wrapper.setMethod(POST)
        wrapper.timeout = self.timeout_s  # type: ignore[assignment]  # setTimeout() truncates to int
        if self.credentials is not None:
            wrapper.setHTTPAuth(self.credentials.scheme.upper())
            wrapper.setCredentials(self.credentials.user, self.credentials.password)
        return wrapper

    def _send_update(self, text: str) -> None:
        wrapper = self._wrapper(self.endpoints.update_url)
        wrapper.setRequestMethod(POSTDIRECTLY)  # the body is the update: no URL-encoding
        wrapper.setQuery(text)
        wrapper.queryType = INSERT  # any update type: it routes the request as an update
        wrapper.query().response.read()

    def _send_query(
        self, text: str, default_graph: str | None, graph_result: bool
    ) -> tuple[bytes, str]:
        wrapper = self._wrapper(self.endpoints.query)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setReturnFormat(TURTLE if graph_result else XML)
        if default_graph is not None:
            wrapper.addDefaultGraph(default_graph)
        wrapper.setQuery(text)
        # SPARQLWrapper guesses the form from keywords it finds outside full-line comments,
        # so a header such as "# description: … construction started …" reads as CONSTRUCT
        # (and asks for RDF/XML); the caller knows the form, so say it.
        wrapper.queryType = CONSTRUCT if graph_result else SELECT
        response = wrapper.query().response
        return response.read(), response.headers.get("Content-Type", "")


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


# ---------------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, for the closing line of ``pilotkg load``."""

    graph: str
    endpoint: str
    triples: int
    seconds: float
    method: str
    swap: str

    def as_text(self) -> str:
        rate = self.triples / self.seconds if self.seconds > 0 else 0.0
        return (
            f"loaded {self.triples} triples into <{self.graph}> at {self.endpoint} "
            f"in {self.seconds:.1f}s ({rate:,.0f} triples/s, {self.method}, replaced by {self.swap})"
        )


def _ignore(_count: int) -> None:
    """A progress callback that does nothing."""


def load_triples(
    store: RemoteStore,
    triples: Sequence[ox.Triple] | set[ox.Triple],
    *,
    graph: str,
    batch_triples: int | None = None,
    on_progress: Callable[[int], None] = _ignore,
) -> LoadSummary:
    """Replace ``graph`` in ``store`` with ``triples``, atomically (see the module docstring).

    ``on_progress`` is called with the number of triples each finished batch held.
    """
    started = time.perf_counter()
    unique = sorted_triples(triples)
    _refuse_unloadable(unique, graph)
    staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    # A first, harmless write: wrong credentials or URLs fail here, before anything exists.
    store.update(f"DROP SILENT GRAPH {ox.NamedNode(staging)}", what="a first write")
    try:
        for batch in batches(unique, batch_triples or store.default_batch_triples):
            store.upload(staging, batch)
            on_progress(len(batch))
        _expect_count(store, staging, unique, where="the staging graph")
        swap = _replace(store, target=graph, staging=staging)
    except BaseException as error:
        if isinstance(error, StagingKept):
            raise
        problem = _drop_staging(store, staging, after=error)
        if problem is None:
            raise
        if isinstance(error, RemoteStoreError):
            raise RemoteStoreError(
                f"{error}. {problem}", failure=error.failure, status=error.status
            ) from None
        error.add_note(problem)
        raise
    _expect_count(store, graph, unique, where=f"<{graph}> after the swap")
    return LoadSummary(
        graph=graph,
        endpoint=store.endpoints.query,
        triples=len(unique),
        seconds=time.perf_counter() - started,
        method="Graph Store protocol" if store.uses_graph_store else "INSERT DATA",
        swap=swap,
    )


def _refuse_unloadable(triples: Sequence[ox.Triple], graph: str) -> None:
    if not triples:
        raise RemoteStoreError("the release holds no triples: nothing to load")
    ox.NamedNode(graph)  # raises ValueError for a malformed IRI; the command checks it first
    if any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    ):
        # Each request would mint its own blank nodes, splitting one node into several.
        raise RemoteStoreError(
            "the release holds blank nodes, which cannot be loaded in batches without "
            "changing the graph; pilotkg releases have none: rebuild it with `pilotkg build`"
        )


def _expect_count(
    store: RemoteStore, graph: str, triples: Sequence[ox.Triple], *, where: str
) -> None:
    found = store.count(graph)
    if found == len(triples):
        return
    message = f"{where} holds {found} triples where {len(triples)} were sent; the target graph was not replaced."
    merged = merged_by_value(triples)
    if found < len(triples) and merged:
        first, second = merged[0]
        message += (
            f" The store keeps values, not spellings, and merges literals of equal value: "
            f"{len(merged)} pairs here, such as {first.subject} {first.predicate} {first.object} "
            f"and {second.object}. Virtuoso does so for numbers, booleans and dates "
            '("2025-12"^^xsd:gYearMonth = "2025-12-01"^^xsd:date); use another store, '
            "or keep such values on different predicates."
        )
    elif found > len(triples):
        message += " Another client may be writing to the same graph."
    raise RemoteStoreError(message)


DATE_TYPES = DATE_DATATYPES | {XSD + "dateTime"}


def value_key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str | None:
    """The value some stores reduce a literal to, or None for terms kept as written.

    Virtuoso stores numbers and booleans as numbers and every date-like type as
    its first instant, so "2025"^^xsd:gYear, "2025-01"^^xsd:gYearMonth and
    "2025-01-01"^^xsd:date become one value, and true becomes 1.
    """
    if not isinstance(term, ox.Literal):
        return None
    datatype = term.datatype.value
    if datatype in NUMERIC_TYPES:
        return number_key(term.value)
    if datatype == XSD + "boolean":
        return "1" if term.value.strip() in ("true", "1") else "0"
    if datatype in DATE_TYPES:  # a diagnostic: time zones and negative years are ignored
        value = term.value
        value += {4: "-01-01", 7: "-01"}.get(len(value), "")  # gYear, gYearMonth
        return f"{value[:10]}T{value[11:19] or '00:00:00'}"
    return None


def merged_by_value(triples: Sequence[ox.Triple]) -> list[tuple[ox.Triple, ox.Triple]]:
    """Pairs of triples that differ only by literals of equal value (see ``value_key``)."""
    seen: dict[tuple[str, str, str], ox.Triple] = {}
    pairs = []
    for triple in triples:
        key = value_key(triple.object)
        if key is None:
            continue
        slot = (str(triple.subject), str(triple.predicate), key)
        if slot in seen:
            pairs.append((seen[slot], triple))
        else:
            seen[slot] = triple
    return pairs


def _replace(store: RemoteStore, *, target: str, staging: str) -> str:
    """Put the staging graph in the target's place: MOVE, or DROP + ADD where MOVE is missing."""
    source, destination = ox.NamedNode(staging), ox.NamedNode(target)
    try:
        _move(store, source, destination)
        return "MOVE"
    except RemoteStoreError as error:
        if error.failure is not Failure.REJECTED:
            raise
    store.update(f"DROP SILENT GRAPH {destination}", what="DROP")
    try:
        store.update(f"ADD {source} TO {destination}", what="ADD")
    except RemoteStoreError as error:
        raise StagingKept(
            f"{error}; the target <{target}> was emptied and the complete data is in <{staging}>: "
            f"run `ADD {source} TO {destination}` there, or load again",
            failure=error.failure,
            status=error.status,
        ) from None
    store.update(f"DROP SILENT GRAPH {source}", what="DROP of the staging graph")
    return "DROP + ADD"


def _move(store: RemoteStore, source: ox.NamedNode, destination: ox.NamedNode) -> None:
    """MOVE, retried only after checking it did not happen: a MOVE sent again after its
    answer was lost would move the now empty staging graph and empty the target."""
    text = f"MOVE {source} TO {destination}"
    for attempt in range(1, store.retry.attempts + 1):
        try:
            store.update(text, what="MOVE", retry=False)
            return
        except RemoteStoreError as error:
            if error.failure is not Failure.TRANSIENT or attempt == store.retry.attempts:
                raise
        store.retry.sleep(store.retry.delay_s(attempt))
        if store.count(source.value) == 0:  # it was loaded and counted: the MOVE was done
            return


def _drop_staging(store: RemoteStore, staging: str, *, after: BaseException) -> str | None:
    """Remove the staging graph after a failure; a sentence for the user if that fails too."""
    try:
        store.update(f"DROP SILENT GRAPH {ox.NamedNode(staging)}", what="DROP of the staging graph")
    except RemoteStoreError as cleanup:
        why = "the same error" if str(cleanup) == str(after) else str(cleanup)
        return (
            f"The target graph was not changed, but the staging graph <{staging}> could not be "
            f"removed ({why}): remove it with DROP SILENT GRAPH <{staging}>"
        )
    return None


# ---------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class QueryComparison:
    """How one canned query's answers on the remote store compare with the embedded store's."""

    name: str
    embedded: int
    remote: int
    only_embedded: tuple[str, ...] = ()
    only_remote: tuple[str, ...] = ()
    problem: str = ""
    note: str = ""

    @property
    def same(self) -> bool:
        return not (self.only_embedded or self.only_remote or self.problem)

    def as_text(self, *, shown_rows: int = 5) -> str:
        if self.same:
            return (
                f"same  {self.name} ({self.embedded} rows{'; ' + self.note if self.note else ''})"
            )
        lines = [f"DIFF  {self.name}: {self.problem or self._counts()}"]
        lines += [f"      only embedded: {row}" for row in self.only_embedded[:shown_rows]]
        lines += [f"      only remote:   {row}" for row in self.only_remote[:shown_rows]]
        return "\n".join(lines)

    def _counts(self) -> str:
        return (
            f"{self.embedded} rows embedded, {self.remote} remote; "
            f"{len(self.only_embedded)} only embedded, {len(self.only_remote)} only remote"
        )


_INTEGER_NAMES = (
    "integer int long short byte nonNegativeInteger positiveInteger nonPositiveInteger "
    "negativeInteger unsignedLong unsignedInt unsignedShort unsignedByte"
)
INTEGER_TYPES = frozenset(XSD + name for name in _INTEGER_NAMES.split())
NUMERIC_TYPES = INTEGER_TYPES | {XSD + "decimal", XSD + "float", XSD + "double"}
#: Numbers are compared to this many significant digits (see ``term_key``).
SIGNIFICANT_DIGITS = 12
#: Virtuoso's default ResultSetMaxRows: a remote answer of exactly this size may be cut.
VIRTUOSO_MAX_ROWS = 10_000

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None
#: One answer row: (variable, term) pairs in variable order.
Row = tuple[tuple[str, Term], ...]


def number_key(lexical: str) -> str:
    """A numeric literal's value, rounded to SIGNIFICANT_DIGITS, in plain notation."""
    try:
        value = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if value.is_finite() and value != 0:
        value = round(value, SIGNIFICANT_DIGITS - value.adjusted() - 1)
    return format(value.normalize(), "f") if value.is_finite() else str(value)


def term_key(term: Term) -> str:
    """A comparable text for one RDF term in a query answer.

    Stores agree on the value of a number but not on its spelling or type:
    Virtuoso keeps values, not lexical forms ("1.50" comes back as "1.5", and
    "1716000000"^^xsd:decimal as xsd:integer), and may type an aggregate
    xsd:int or xsd:double where pyoxigraph says xsd:integer or xsd:decimal.
    So every numeric literal (integers, decimal, float, double) becomes its
    value to 12 significant digits, enough to tell apart any count and to
    absorb the rounding of averages, and its exact type is ignored. Booleans
    compare by value ("1" = "true"), language tags case-insensitively (BCP 47),
    and blank nodes as one placeholder, their labels being local to each
    answer. Everything else compares in its N-Triples form.
    """
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.BlankNode):
        return "_:b"
    if isinstance(term, ox.Triple):
        return f"<< {term_key(term.subject)} {term_key(term.predicate)} {term_key(term.object)} >>"
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in NUMERIC_TYPES:
            return number_key(term.value)
        if datatype == XSD + "boolean":
            return "true" if term.value.strip() in ("true", "1") else "false"
        if term.language:
            return f"{ox.Literal(term.value)}@{term.language.lower()}"
    return str(term)


_GROUP_CONCAT = re.compile(
    r"""GROUP_CONCAT\s*\((?:.(?!\bAS\b))*?
        (?:;\s*SEPARATOR\s*=\s*(?P<separator>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))?
        \s*\)\s*AS\s+[?$](?P<name>\w+)""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def group_concat_columns(text: str) -> dict[str, str]:
    """The variables a query binds to ``GROUP_CONCAT(…) AS ?name``, with their separators."""
    return {
        match["name"]: (match["separator"] or '" "')[1:-1].replace('\\"', '"')
        for match in _GROUP_CONCAT.finditer(text)
    }


def concat_key(term: Term, separator: str) -> str:
    """A GROUP_CONCAT result as the sorted list of its parts.

    SPARQL 1.1 leaves the order of the parts to each store, and stores differ
    on the rest too: pyoxigraph keeps a language tag all parts share
    ("Beijing"@en) where Virtuoso returns a plain string, and an empty group
    is unbound in pyoxigraph and "" in Virtuoso.
    """
    value = term.value if isinstance(term, ox.Literal) else ""
    return repr(sorted(value.split(separator))) if value else "[]"


def answer_rows(answer: ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]) -> list[Row]:
    """An answer as rows: SELECT solutions, CONSTRUCT triples, or one ASK boolean."""
    if isinstance(answer, ox.QueryBoolean):
        value = ox.Literal(str(bool(answer)).lower(), datatype=ox.NamedNode(XSD + "boolean"))
        return [(("ASK", value),)]
    if isinstance(answer, ox.QuerySolutions):
        names = sorted(v.value for v in answer.variables)
        return [tuple((name, row[name]) for name in names) for row in answer]
    return [(("s", t.subject), ("p", t.predicate), ("o", t.object)) for t in answer]


def row_key(row: Row, concatenated: dict[str, str] | None = None) -> str:
    """A row as one comparable text of ``?name=term`` pairs; the ``concatenated``
    columns (name: separator) compare part by part."""
    concatenated = concatenated or {}
    return " ".join(
        f"?{name}={concat_key(term, concatenated[name])}"
        if name in concatenated
        else f"?{name}={term_key(term)}"
        for name, term in row
    )


def _rekeyed(
    difference: Counter[str], rows: list[Row], concatenated: dict[str, str]
) -> Counter[str]:
    """The rows counted in ``difference``, keyed with their GROUP_CONCAT columns split."""
    loose = {row_key(row): row_key(row, concatenated) for row in rows}
    result: Counter[str] = Counter()
    for key, count in difference.items():
        result[loose[key]] += count
    return result


def compare_answers(
    name: str,
    embedded: list[Row],
    remote: list[Row],
    *,
    concatenated: dict[str, str] | None = None,
) -> QueryComparison:
    """The rows each side has that the other lacks, counted with multiplicity.

    Rows that differ only inside ``concatenated`` (GROUP_CONCAT) columns count
    as the same, and the comparison's note says how many did.
    """
    strict_embedded, strict_remote = Counter(map(row_key, embedded)), Counter(map(row_key, remote))
    only_embedded = strict_embedded - strict_remote
    only_remote = strict_remote - strict_embedded
    note = ""
    if concatenated and only_embedded:
        loose_embedded = _rekeyed(only_embedded, embedded, concatenated)
        if loose_embedded == _rekeyed(only_remote, remote, concatenated):
            columns = ", ".join(f"?{c}" for c in sorted(concatenated))
            note = f"{loose_embedded.total()} differ only in the order, language or emptiness of GROUP_CONCAT {columns}"
            only_embedded = only_remote = Counter()
    problem = ""
    if only_embedded and len(remote) == VIRTUOSO_MAX_ROWS:
        problem = (
            f"the store sent exactly {VIRTUOSO_MAX_ROWS} rows of {len(embedded)}: "
            "it may cap answers (Virtuoso's ResultSetMaxRows in virtuoso.ini)"
        )
    return QueryComparison(
        name,
        len(embedded),
        len(remote),
        tuple(sorted(only_embedded.elements())),
        tuple(sorted(only_remote.elements())),
        problem,
        note,
    )


def compare_query(
    canned: CannedQuery, embedded_store: ox.Store, store: RemoteStore, *, graph: str | None
) -> QueryComparison:
    """Run one canned query, with its example parameters, on both stores and compare."""
    try:
        text = canned.bind(canned.example)
        answer = embedded_store.query(text)
    except (QueryError, SyntaxError) as error:
        return QueryComparison(canned.name, 0, 0, problem=f"cannot run it here: {error}")
    graph_result = isinstance(answer, ox.QueryTriples)
    embedded = answer_rows(list(answer) if isinstance(answer, ox.QueryTriples) else answer)
    try:
        remote = store.query(text, default_graph=graph, graph_result=graph_result)
    except RemoteStoreError as error:
        if error.failure not in (Failure.REJECTED, Failure.SERVER):
            raise  # credentials, reachability: no other query would fare better
        return QueryComparison(canned.name, len(embedded), 0, problem=str(error))
    concatenated = group_concat_columns(text)
    return compare_answers(canned.name, embedded, answer_rows(remote), concatenated=concatenated)


def compare_queries(
    store: RemoteStore,
    triples: Sequence[ox.Triple] | set[ox.Triple],
    queries: Sequence[CannedQuery],
    *,
    graph: str | None,
) -> list[QueryComparison]:
    """Every non-federated query run on ``graph`` in ``store`` (its default graph for None)
    and on an embedded store of ``triples``."""
    embedded_store = to_store(triples)
    return [
        compare_query(canned, embedded_store, store, graph=graph)
        for canned in queries
        if not canned.federated
    ]
