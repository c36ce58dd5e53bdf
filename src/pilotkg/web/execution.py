"""Answer a SPARQL query over HTTP: checks, negotiation, the worker pool, and the status codes.

Shared by the protocol endpoint (``/sparql``) and the canned queries
(``/queries/NAME``), so both refuse, limit and report in the same words:

=====  ==========================================================================
400    the query is malformed (the parser's message with line and column)
400    the query nests deeper than ``max_query_nesting_levels``
403    an update (the endpoint is read-only), a SERVICE outside the allow-list, or a
       SERVICE the guard could not read (see ``guard.py``)
406    no offered format fits the Accept header or the format parameters (``negotiate``)
413    the query text is longer than ``max_query_bytes``
422    the result has more than ``max_result_rows`` rows or triples, more than
       ``max_result_bytes`` bytes, or the query needed more than ``query_memory_mb``
429    the client already has ``max_client_queries`` queries running (Retry-After)
502    an allowed SERVICE endpoint failed
503    the query ran past ``query_timeout_s`` (its worker was killed), no worker was
       free, or it became long while every long-query slot was taken (Retry-After)
=====  ==========================================================================

A client that disconnects while its query runs cancels it: its worker is
killed and replaced at once, instead of computing an answer no one will read.

A sealed worker's answer is kept (``result_cache``: what it may keep and why that
cannot get past the guard or the limits) and given again to the same query on
the same release without a worker; the guard and the egress check still judge
every query first. A GET answer carries an ETag, so a client that holds it gets
304.

The server's own texts (a canned query with its parameters bound, a browsed table's
queries) are not a user's: their plans are the project's, their cost is bounded by
the graph, and the values a request gives them only narrow them. They run on the
in-process store in a thread (pyoxigraph releases the GIL while it evaluates and
writes), at most ``query_workers`` at once, rather than in a worker, whose
read-only on-disk store answered them several times slower (README,
"Performance"). A user's text always runs in a worker, where the time limit can
stop it. Nor are they held to ``max_result_rows`` or ``max_result_bytes``, whose
advice (add a ``LIMIT``) no reader of a canned query can follow: their answers are
the graph's, and at ten million triples five canned queries give more than the
10,000 rows allowed, two of them more than the 16 MB (``documents-by-number``
26 MB of JSON, ``timeline`` 23 MB). What bounds them is the graph, the
``query_workers`` slots they wait for, and the result cache, which keeps an answer
once per release. With no limit to stop at, their rows are not counted on the way
(``Outcome.rows`` is None): the engine writes the answer as a bare endpoint would,
and an HTML table counts its rows as it reads them (``result_table``), the count then
kept with the answer in the result cache (``html_table``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ..formats import GRAPH_FORMATS, GRAPH_STAND_INS, RESULTS_FORMATS, Format
from . import egress
from .contexts import jsonld_form
from .guard import Verdict, judge
from .knowledge import TermView
from .negotiate import HTML, Offer, Page, negotiate, offered_types
from .result_cache import ResultCache
from .site import Site, language
from .workers import Job, LongQueriesBusy, Outcome, PoolBusy, QueryTimeout, execute

#: How long a query runs before the server starts watching for its client hanging up.
_WATCH_AFTER_S = 0.05
#: Rows an HTML result table shows; the rest are a download away (CSV, JSON …).
HTML_TABLE_ROWS = 500
#: The longest text whose verdict is remembered (``_judged``), and how many are.
_JUDGED_TEXT_CHARS = 8_192
_JUDGED_TEXTS = 1_024

RESULT_OFFERS: tuple[Format | Page, ...] = (*RESULTS_FORMATS, HTML)
GRAPH_OFFERS: tuple[Format | Page, ...] = (*GRAPH_FORMATS, HTML)


@dataclass
class ResultTable:
    """A query result as an HTML table shows it."""

    variables: list[str]
    rows: list[list[TermView | None]] = field(default_factory=list)
    boolean: bool | None = None
    total: int = 0  # rows in the whole result; more than len(rows) when the table is cut


@dataclass
class Answer:
    """A query that ran: the worker's outcome, the chosen representation with the media type
    negotiated for it, and its table for HTML."""

    outcome: Outcome
    offer: Offer
    table: ResultTable | None = None
    media_type: str = ""
    #: Keeps a row count an HTML table made (``html_table``) with the answer in the result
    #: cache: set for an own text's answer, whose rows the engine did not count.
    keep_count: Callable[[int], None] | None = None

    @property
    def is_html(self) -> bool:
        return self.offer is HTML

    @property
    def content_type(self) -> str:
        """The negotiated media type, unless the worker served another format than the one
        chosen (a query whose form the guard could not tell)."""
        if self.media_type and self.outcome.media_type == self.offer.media_type:
            return self.media_type
        return self.outcome.media_type


_POSITION = re.compile(r"error at (\d+):(\d+)")


def _with_context(message: str, text: str) -> str:
    """A parser message followed by the line it names and a caret where the parser stopped
    (pyoxigraph reports the furthest point it tried, often just past the mistake)."""
    match = _POSITION.search(message)
    if not match:
        return message
    line, column = int(match[1]), int(match[2])
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return message
    shown = lines[line - 1]
    return f"{message} (line {line}, column {column})\n    {shown}\n    {' ' * (column - 1)}^"


class Refuse(Protocol):
    """How a refusal becomes a response: ``Site.error`` (one sentence, HTML or plain text) unless
    the caller shows it otherwise, as the query page does beside the query. ``engine`` is the
    engine's own message for a query it could not parse (its position included), else ''."""

    def __call__(
        self,
        request: Request,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        engine: str = "",
    ) -> Response: ...


def site_refusal(site: Site) -> Refuse:
    """The refusal every route gives: ``Site.error``."""

    def refuse(
        request: Request,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        engine: str = "",
    ) -> Response:
        return site.error(request, status, message, headers=headers)

    return refuse


@dataclass(frozen=True)
class Finish:
    """What a caller does to a worker's answer before it is served (``canned``: cells put in
    order, the format asked for written), named by ``tag``, so that the finished answer is
    what the cache keeps and gives again."""

    tag: str
    apply: Callable[[Outcome], Outcome]


@functools.lru_cache(maxsize=_JUDGED_TEXTS)
def _judged(text: str, allowlist: tuple[str, ...], max_depth: int) -> Verdict:
    """``judge``'s verdict, remembered: it depends on nothing but these arguments, and its
    lexer passes take longer than a cheap query on a canned query's long text."""
    return judge(text, allowlist, max_depth=max_depth)


def _verdict_on(text: str, site: Site) -> Verdict:
    """The guard's verdict on ``text`` under the site's settings (remembered for short texts)."""
    settings = site.settings
    allowlist, depth = settings.service_allowlist, settings.max_query_nesting_levels
    if len(text) > _JUDGED_TEXT_CHARS:
        return judge(text, allowlist, max_depth=depth)
    return _judged(text, allowlist, depth)


def check_graph_iris(values: list[str]) -> str | None:
    """An error message if a default-graph-uri or named-graph-uri is not an IRI."""
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            return f"{value!r} is not an IRI (default-graph-uri and named-graph-uri take IRIs)"
    return None


async def answer(
    request: Request,
    site: Site,
    text: str,
    *,
    suffix: str | None = None,
    form: QueryParams | None = None,
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
    refuse: Refuse | None = None,
    finish: Finish | None = None,
    own_text: bool = False,
) -> Answer | Response:
    """Run ``text`` as the request asks; an error Response (made by ``refuse``) when it cannot
    or must not. ``own_text``: the server wrote the text (see the module's docstring).

    The representation is ``negotiate``'s choice for the query's form, with the path's
    ``suffix`` and the POSTed ``form`` (whose format parameters count as the query
    string's). A worker's answer with status 200 is ``finish``ed before it is kept and served.
    """
    settings = site.settings
    refuse = refuse or site_refusal(site)
    if len(text.encode("utf-8")) > settings.max_query_bytes:
        return refuse(
            request,
            413,
            f"The query is longer than {settings.max_query_bytes} bytes (setting max_query_bytes).",
        )
    verdict = _verdict_on(text, site)
    refused = await _refusal(request, site, verdict, refuse)
    if refused is not None:
        return refused
    stand_ins: tuple[tuple[Format, Format], ...] = ()
    if verdict.form in ("construct", "describe"):
        offers, stand_ins = GRAPH_OFFERS, GRAPH_STAND_INS
    elif verdict.form in ("select", "ask"):
        offers = RESULT_OFFERS
    else:  # unrecognised: let the parser say what is wrong, whatever the client accepts
        offers = (*RESULTS_FORMATS, *GRAPH_FORMATS, HTML)
    chosen = negotiate(request, offers, suffix=suffix, form=form, stand_ins=stand_ins)
    if chosen is None:
        return refuse(
            request,
            406,
            f"No representation fits the request. This query's results are offered as: "
            f"{offered_types(offers)}.",
        )
    offer = chosen.offer
    job_format = offer.name
    if offer is HTML:
        job_format = "ntriples" if offers is GRAPH_OFFERS else "json"
    written = jsonld_form(request, site, chosen)  # JSON-LD expanded, or compacted when asked
    job = Job(
        text,
        job_format,
        None if own_text else settings.max_result_rows,
        default_graphs,
        named_graphs,
        max_bytes=0 if own_text else settings.max_result_bytes,
        check_only=verdict.check_only,
        context=written.context,
    )
    cache = result_cache(site) if verdict.lane == "sealed" else None
    release_id = site.release.release_id
    variant = finish.tag if finish is not None else ""
    if own_text:  # ran without a worker's limits: never given to /sparql (``result_cache``)
        variant = f"own {variant}"
    client = request.client.host if request.client else ""
    with site.client_slots.taken(client) as taken:  # a kept answer counts as a query too
        if not taken:
            return refuse(
                request,
                429,
                f"This client already has {settings.max_client_queries} queries running "
                "(setting max_client_queries); wait for one to finish.",
                headers={"Retry-After": "1"},
            )
        kept = cache.get(release_id, job, variant) if cache is not None else None
        finished = kept is not None  # a kept answer was kept finished
        if kept is not None:
            ran: Outcome | Response = kept
        elif verdict.inline and not (default_graphs or named_graphs or verdict.check_only):
            ran = execute(site.stores.main, job)  # a lookup: answered here (``lookups``)
        elif own_text and verdict.lane == "sealed" and not verdict.check_only:
            ran, finished = await _run_here(request, site, job, refuse, finish), True
        else:
            ran = await _run(request, site, job, verdict, refuse)
    if isinstance(ran, Response):
        return ran
    outcome = ran
    if not finished and finish is not None and outcome.status == 200:
        # In a thread: rewriting a large answer would hold every other request back.
        outcome = await run_in_threadpool(finish.apply, outcome)
    if kept is None and cache is not None:
        cache.put(release_id, job, outcome, variant)
    if outcome.status != 200:
        return refuse(
            request,
            outcome.status,
            _with_context(outcome.message, text),
            headers=outcome.headers,
            engine=outcome.message if outcome.status == 400 else "",
        )
    result = Answer(outcome, offer, media_type=written.media_type)
    if outcome.rows is None and cache is not None:
        result.keep_count = functools.partial(_keep_count, cache, release_id, job, outcome, variant)
    if offer is HTML:
        result.table = await html_table(site, result, language(request))
    return result


def _keep_count(
    cache: ResultCache, release_id: str, job: Job, outcome: Outcome, variant: str, rows: int
) -> None:
    cache.put(release_id, job, dataclasses.replace(outcome, rows=rows), variant)


async def html_table(site: Site, result: Answer, lang: str) -> ResultTable:
    """``result``'s HTML table, made in a thread. A count of rows it had to make (an own
    text's, which the engine did not count) is kept with the answer in the result cache, so
    that the same page asked again reads only the rows it shows."""
    table = await run_in_threadpool(result_table, site, result.outcome, lang)
    if result.outcome.rows is None and result.keep_count is not None:
        result.keep_count(table.total)
    return table


def result_cache(site: Site) -> ResultCache:
    """The site's cache of worker answers, made on first use (``query_cache_bytes``)."""
    key = ("result-cache",)
    cache = site.memo.get(key)
    if not isinstance(cache, ResultCache):
        cache = ResultCache(site.settings.query_cache_bytes)
        site.memo[key] = cache
    return cache


async def _refusal(
    request: Request, site: Site, verdict: Verdict, refuse: Refuse
) -> Response | None:
    """The error Response for a query the guard (or the egress check) refuses, else None."""
    if verdict.status:
        return refuse(request, verdict.status, verdict.message)
    if verdict.lane == "federated":
        opened = egress.parse_networks(site.settings.service_private_networks)
        problem = await egress.refusal(verdict.endpoints, opened)
        if problem:
            return refuse(request, *problem)
    return None


def _own_slots(site: Site) -> asyncio.Semaphore:
    """The site's slots for its own texts run in-process, made on first use (on the loop)."""
    key = ("own-text-slots",)
    slots = site.memo.get(key)
    if not isinstance(slots, asyncio.Semaphore):
        slots = asyncio.Semaphore(site.settings.query_workers)
        site.memo[key] = slots
    return slots


async def _run_here(
    request: Request, site: Site, job: Job, refuse: Refuse, finish: Finish | None
) -> Outcome | Response:
    """``job`` (one of the server's own texts) run on the in-process store in a thread, once
    one of ``query_workers`` slots is free, and its answer ``finish``ed in the same thread
    (one hand-over to a thread and back per request, not two); 503 when no slot is free
    within the time limit."""
    settings = site.settings
    slots = _own_slots(site)
    try:
        await asyncio.wait_for(slots.acquire(), timeout=settings.query_timeout_s)
    except TimeoutError:
        return refuse(
            request,
            503,
            f"All query slots stayed busy for {settings.query_timeout_s:g} s; try again shortly.",
            headers={"Retry-After": "5"},
        )
    try:
        return await run_in_threadpool(_execute_finished, site.stores.main, job, finish)
    finally:
        slots.release()


def _execute_finished(store: ox.Store, job: Job, finish: Finish | None) -> Outcome:
    """``job`` run on ``store``, its answer (not an error) as ``finish`` makes it."""
    outcome = execute(store, job)
    return finish.apply(outcome) if finish is not None and outcome.status == 200 else outcome


async def _run(
    request: Request, site: Site, job: Job, verdict: Verdict, refuse: Refuse
) -> Outcome | Response:
    """The worker's outcome for ``job``, or an error Response; cancelled if the client leaves."""
    settings = site.settings
    assert site.pool is not None, "the query pool starts with the app's lifespan"
    running = site.pool.submit(job, lane=verdict.lane)
    watchers: list[asyncio.Task[None]] = []

    def watch() -> None:  # a timer costs the event loop less than a task per quick lookup
        watchers.append(asyncio.ensure_future(_disconnected(request, running.future)))

    timer = asyncio.get_running_loop().call_later(_WATCH_AFTER_S, watch)
    try:
        return await running.future
    except ClientGone:  # the client went away: stop its query and free the worker now
        running.cancel()
        return Response(status_code=499)
    except QueryTimeout:
        return refuse(
            request,
            503,
            f"The query was stopped after {settings.query_timeout_s:g} s (setting "
            "query_timeout_s). Narrow it, or add LIMIT.",
        )
    except LongQueriesBusy:
        return refuse(
            request,
            503,
            f"The query was stopped after {settings.quick_query_s:g} s because "
            f"{settings.query_workers} long queries are running already (settings "
            "quick_query_s, query_workers); try again shortly.",
            headers={"Retry-After": "5"},
        )
    except PoolBusy:
        return refuse(
            request,
            503,
            f"All query workers stayed busy for {settings.query_timeout_s:g} s; try again shortly.",
            headers={"Retry-After": "5"},
        )
    finally:
        timer.cancel()
        for watcher in watchers:
            watcher.cancel()


class ClientGone(Exception):
    """The client closed its connection before its query was answered."""


async def _disconnected(request: Request, answer: asyncio.Future[Outcome]) -> None:
    """Fail ``answer`` with ClientGone once the client has closed the connection (the request
    body is already read, so the next ASGI message is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            if not answer.done():
                answer.set_exception(ClientGone())
            return


def result_table(site: Site, outcome: Outcome, lang: str) -> ResultTable:
    """The worker's JSON results (or N-Triples graph) as labelled rows for an HTML table."""
    view = site.knowledge.view
    if outcome.form == "graph":
        assert outcome.rows is not None, "a graph's triples are always counted"
        table = ResultTable(["subject", "predicate", "object"], total=outcome.rows)
        for quad in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES):
            if len(table.rows) == HTML_TABLE_ROWS:
                break
            triple = quad.triple
            table.rows.append(
                [
                    view(triple.subject, lang),
                    view(triple.predicate, lang),
                    view(triple.object, lang),
                ]
            )
        return table
    parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        return ResultTable([], boolean=bool(parsed))
    variables = [v.value for v in parsed.variables]
    counted = outcome.rows is not None  # else counted here (the server's own texts)
    table = ResultTable(variables, total=outcome.rows or 0)
    for row in parsed:
        if len(table.rows) < HTML_TABLE_ROWS:
            table.rows.append([None if row[v] is None else view(row[v], lang) for v in variables])
        elif counted:
            break
        if not counted:
            table.total += 1
    return table


def raw_response(site: Site, request: Request, result: Answer) -> Response:
    """A non-HTML answer as sent: cacheable for GET, with an ETag (304 when the client holds
    it), never for POST; negotiated either way."""
    if request.method in ("GET", "HEAD"):
        return site.representation(request, result.outcome.body, result.content_type)
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    return Response(result.outcome.body, media_type=result.content_type, headers=headers)
