"""Answer a SPARQL query over HTTP: checks, negotiation, the worker pool, and the status codes.

Shared by the protocol endpoint (``/sparql``) and the canned queries
(``/queries/NAME``), so both refuse, limit and report in the same words:

=====  ==========================================================================
400    the query is malformed (the parser's message with line and column)
403    an update (the endpoint is read-only) or a SERVICE outside the allow-list
406    no offered format fits the Accept header or ``?format=``
413    the query text is longer than ``max_query_bytes``
422    the result has more than ``max_result_rows`` rows or triples
502    an allowed SERVICE endpoint failed
503    the query ran past ``query_timeout_s`` (its worker was killed), or no worker was free
=====  ==========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from ..formats import GRAPH_FORMATS, RESULTS_FORMATS, Format
from .guard import analyse
from .knowledge import TermView
from .negotiate import HTML, Offer, Page, by_format_parameter, choose, offered_types
from .site import Site, language
from .workers import Job, Outcome, PoolBusy, QueryTimeout

RESULT_OFFERS: tuple[Format | Page, ...] = (*RESULTS_FORMATS, HTML)
GRAPH_OFFERS: tuple[Format | Page, ...] = (*GRAPH_FORMATS, HTML)


@dataclass
class ResultTable:
    """A query result as an HTML table shows it."""

    variables: list[str]
    rows: list[list[TermView | None]] = field(default_factory=list)
    boolean: bool | None = None


@dataclass
class Answer:
    """A query that ran: the worker's outcome, the chosen representation, and its table for HTML."""

    outcome: Outcome
    offer: Offer
    table: ResultTable | None = None

    @property
    def is_html(self) -> bool:
        return self.offer is HTML


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
    format_name: str | None = None,
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
) -> Answer | Response:
    """Run ``text`` as the request asks; an error Response when it cannot or must not."""
    settings = site.settings
    if len(text.encode("utf-8")) > settings.max_query_bytes:
        return site.error(
            request,
            413,
            f"The query is longer than {settings.max_query_bytes} bytes (setting max_query_bytes).",
        )
    shape = analyse(text)
    if shape.form == "update":
        return site.error(
            request,
            403,
            "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR …) is refused. "
            "Download the dumps under /dumps/ to change a copy of the data.",
        )
    refused = shape.refused_services(settings.service_allowlist)
    if refused:
        allowed = ", ".join(settings.service_allowlist) or "none"
        return site.error(
            request,
            403,
            f"SERVICE {refused[0].written} is not allowed: queries may only reach "
            f"{allowed} (setting service_allowlist). Nothing was sent to it.",
        )
    if shape.form in ("construct", "describe"):
        offers = GRAPH_OFFERS
    elif shape.form in ("select", "ask"):
        offers = RESULT_OFFERS
    else:  # unrecognised: let the parser say what is wrong, whatever the client accepts
        offers = (*RESULTS_FORMATS, *GRAPH_FORMATS, HTML)
    if format_name:
        offer = by_format_parameter(format_name, offers)
    else:
        offer = choose(request.headers.get("accept"), offers)
    if offer is None:
        return site.error(
            request,
            406,
            f"No representation fits the request. This query's results are offered as: "
            f"{offered_types(offers)}.",
        )
    job_format = offer.name
    if offer is HTML:
        job_format = "ntriples" if offers is GRAPH_OFFERS else "json"
    job = Job(text, job_format, settings.max_result_rows, default_graphs, named_graphs)
    assert site.pool is not None, "the query pool starts with the app's lifespan"
    try:
        outcome = await site.pool.run(job)
    except QueryTimeout:
        return site.error(
            request,
            503,
            f"The query was stopped after {settings.query_timeout_s:g} s (setting "
            "query_timeout_s). Narrow it, or add LIMIT.",
        )
    except PoolBusy:
        return site.error(
            request,
            503,
            f"All {settings.query_workers} query workers stayed busy for "
            f"{settings.query_timeout_s:g} s; try again shortly.",
            headers={"Retry-After": "5"},
        )
    if outcome.status != 200:
        return site.error(request, outcome.status, _with_context(outcome.message, text))
    result = Answer(outcome, offer)
    if offer is HTML:
        result.table = result_table(site, outcome, language(request))
    return result


def result_table(site: Site, outcome: Outcome, lang: str) -> ResultTable:
    """The worker's JSON results (or N-Triples graph) as labelled rows for an HTML table."""
    view = site.knowledge.view
    if outcome.form == "graph":
        table = ResultTable(["subject", "predicate", "object"])
        for quad in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES):
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
    table = ResultTable(variables)
    for row in parsed:
        table.rows.append([None if row[v] is None else view(row[v], lang) for v in variables])
    return table


def raw_response(site: Site, request: Request, result: Answer) -> Response:
    """A non-HTML answer as sent: cacheable for GET, never for POST."""
    headers = (
        site.cache_headers() if request.method in ("GET", "HEAD") else {"Cache-Control": "no-store"}
    )
    return Response(result.outcome.body, media_type=result.outcome.media_type, headers=headers)
