"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: queries by GET and POST, read-only.

GET with no query answers a browser with the query page (YASGUI when it can
load, a plain form that needs no network always) and an RDF client with the
SPARQL service description, whose result formats are the format table's. The
format parameters of a POSTed form count as the query string's (``negotiate``).
Like rdflib-endpoint's router it holds no state of its own, so the same routes
mount anywhere.

A query that is refused or fails answers a browser with the query page again:
the query kept in the form, the message beside it, and for a syntax error the
line and column with the line quoted (``syntax.explain``), so that one typo does
not cost the reader the query. The status stays the protocol's (400, 403, 413,
422, 503 …), and every other client, SPARQL clients asking for results among
them, gets ``Site.error``'s plain sentence as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import QueryError
from ..formats import FORMATS, GRAPH_FORMATS, Format, serialize
from ..namespaces import DATASET_IRI, RDF, SD, VOID, XSD
from .bodies import bounded_body, is_utf8_form
from .execution import (
    Refuse,
    ResultTable,
    answer,
    check_graph_iris,
    raw_response,
    site_refusal,
)
from .negotiate import FORMAT_PARAMETERS, HTML, Page, negotiate, offered_types
from .site import TEXT, VARY_LANGUAGE, Site, language, site_of
from .syntax import Problem, explain

_UPDATE_REFUSED = (
    "This endpoint is read-only: SPARQL Update is refused. Download the dumps under /dumps/ "
    "to change a copy of the data."
)


def service_description(site: Site, request: Request) -> list[ox.Triple]:
    """The SPARQL service description (sd:) of this endpoint: what it speaks and serves."""
    endpoint = ox.NamedNode(site.origin(request) + "sparql")
    dataset = ox.NamedNode(site.origin(request) + "sparql#dataset")
    default_graph = ox.NamedNode(site.origin(request) + "sparql#default-graph")

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    triples = [
        ox.Triple(endpoint, iri(RDF + "type"), iri(SD + "Service")),
        ox.Triple(endpoint, iri(SD + "endpoint"), endpoint),
        ox.Triple(endpoint, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(endpoint, iri(SD + "feature"), iri(SD + "BasicFederatedQuery")),
        ox.Triple(endpoint, iri(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, iri(RDF + "type"), iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, iri(RDF + "type"), iri(SD + "Graph")),
        ox.Triple(default_graph, iri(RDF + "type"), iri(VOID + "Dataset")),
        ox.Triple(default_graph, iri(VOID + "inDataset"), iri(DATASET_IRI)),
        ox.Triple(
            default_graph,
            iri(VOID + "triples"),
            ox.Literal(str(len(site.stores.main)), datatype=iri(XSD + "integer")),
        ),
    ]
    triples += [
        ox.Triple(endpoint, iri(SD + "resultFormat"), iri(fmt.iri)) for fmt in FORMATS if fmt.iri
    ]
    return triples


def _too_large(site: Site) -> str:
    return f"The request is larger than max_query_bytes ({site.settings.max_query_bytes}) allows."


def _graph_parameters(*sources: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """default-graph-uri and named-graph-uri values from the query string and the form."""
    default: list[str] = []
    named: list[str] = []
    for source in sources:
        default += source.getlist("default-graph-uri")  # type: ignore[attr-defined]
        named += source.getlist("named-graph-uri")  # type: ignore[attr-defined]
    return tuple(default), tuple(named)


@dataclass(frozen=True)
class Refused:
    """Why the query on the page was not run: the status, the server's sentence, and for a
    syntax error where it is and what is wrong (the engine's own message kept beside it)."""

    status: int
    message: str
    problem: Problem | None = None
    engine: str = ""


def page_refusal(site: Site, text: str, form: QueryParams | None = None) -> Refuse:
    """Refusals of the query ``text``: the query page again for a browser (the client
    ``Site.error`` would give HTML), ``Site.error`` itself for every other client."""
    plain = site_refusal(site)

    def refuse(
        request: Request,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        engine: str = "",
    ) -> Response:
        chosen = negotiate(request, [TEXT, HTML])
        if chosen is None or chosen.offer is not HTML:
            return plain(request, status, message, headers=headers)
        problem = explain(text, engine, language(request)) if engine else None
        body = _render(
            request,
            site,
            text,
            form,
            refused=Refused(status, message, problem, engine if problem else ""),
        )
        headers = {**(headers or {}), "Vary": VARY_LANGUAGE, "Cache-Control": "no-store"}
        return Response(body, status, headers=headers, media_type="text/html; charset=utf-8")

    return refuse


def _render(
    request: Request,
    site: Site,
    text: str,
    form: QueryParams | None,
    *,
    refused: Refused | None = None,
    table: ResultTable | None = None,
) -> str:
    """The query page with ``text`` in its form, and its results or why it was not run."""
    return site.render(
        request,
        "sparql.html",
        title="SPARQL query",
        query=text,
        table=table,
        refused=refused,
        examples=examples(site, language(request)),
        formats=FORMATS,
        chosen_format=_chosen_format(request, form),
    )


def _chosen_format(request: Request, form: QueryParams | None) -> str:
    """The results format the form asked for, so that the page shows it chosen again."""
    for source in (request.query_params, form or QueryParams()):
        for name in FORMAT_PARAMETERS:
            if source.get(name):
                return source[name]
    return "html"


@dataclass(frozen=True)
class Read:
    """What a GET or POST asks: the query text (None when there is none), its graphs, and
    the POSTed form, whose format parameters count too."""

    text: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    form: QueryParams | None = None


async def _read_query(request: Request, site: Site) -> Read | Response:
    """The query text and graphs of a GET or POST, or an error Response (for a browser, the
    query page with as much of the query as was read)."""
    params = request.query_params

    def refuse(
        status: int, message: str, text: str = "", form: QueryParams | None = None
    ) -> Response:
        return page_refusal(site, text, form)(request, status, message)

    if "update" in params:
        return refuse(403, _UPDATE_REFUSED, params.get("update", ""))
    if request.method in ("GET", "HEAD"):
        if not is_utf8_form(request.scope.get("query_string", b"")):
            return refuse(400, "The request is not valid UTF-8.")
        queries = params.getlist("query")
        default, named = _graph_parameters(params)
        form: QueryParams | None = None
    else:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > site.settings.max_query_bytes * 3 + 4096:
            return refuse(413, _too_large(site))
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            return refuse(403, _UPDATE_REFUSED)
        if content_type not in ("application/sparql-query", "application/x-www-form-urlencoded"):
            return refuse(
                415,
                "POST a query as application/sparql-query, or as a form "
                "(application/x-www-form-urlencoded) with a query field.",
            )
        body = await bounded_body(request, site.settings.max_query_bytes * 3 + 4096)
        if body is None:  # a form may percent-encode, hence the room above max_query_bytes
            return refuse(413, _too_large(site))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return refuse(400, "The request is not valid UTF-8.")
        if content_type == "application/sparql-query":
            queries = [text]
            default, named = _graph_parameters(params)
            form = None
        else:
            if not is_utf8_form(body):
                return refuse(400, "The request is not valid UTF-8.")
            form = QueryParams(text)
            if "update" in form:
                return refuse(403, _UPDATE_REFUSED, form.get("update", ""), form)
            queries = form.getlist("query")
            default, named = _graph_parameters(params, form)
    if len(queries) > 1:
        return refuse(400, "Send one query parameter, not several.", queries[0], form)
    problem = check_graph_iris([*default, *named])
    if problem:
        return refuse(400, problem, queries[0] if queries else "", form)
    return Read(queries[0] if queries else None, default, named, form)


async def sparql(request: Request) -> Response:
    """The SPARQL 1.1 Protocol: query by GET (?query=) or POST (form or sparql-query body)."""
    site = site_of(request)
    read = await _read_query(request, site)
    if isinstance(read, Response):
        return read
    text = read.text
    if text is None or not text.strip():
        if request.method == "POST":
            return page_refusal(site, text or "", read.form)(
                request, 400, "The request has no query."
            )
        return _describe_service(request, site)
    result = await answer(
        request,
        site,
        text,
        form=read.form,
        default_graphs=read.default_graphs,
        named_graphs=read.named_graphs,
        refuse=page_refusal(site, text, read.form),
    )
    if isinstance(result, Response):
        return result
    if result.is_html:
        body = _render(request, site, text, read.form, table=result.table)
        vary = {"Vary": VARY_LANGUAGE}
        return Response(body, media_type="text/html; charset=utf-8", headers=vary)
    return raw_response(site, request, result)


def _describe_service(request: Request, site: Site) -> Response:
    """The query page for browsers, the service description for RDF clients."""
    offers: tuple[Format | Page, ...] = (*GRAPH_FORMATS, HTML)
    chosen = negotiate(request, offers)
    if chosen is None:
        return site.error(
            request, 406, f"The service description is offered as: {offered_types(offers)}."
        )
    offer = chosen.offer
    if offer is HTML:
        body = _render(request, site, default_query(), None)
        return site.representation(
            request, body.encode("utf-8"), "text/html; charset=utf-8", vary_language=True
        )
    assert isinstance(offer, Format)
    return site.representation(
        request, serialize(service_description(site, request), offer), chosen.media_type
    )


def default_query() -> str:
    """The query the page opens with: a count of things by class."""
    return (
        "PREFIX pilot: <https://w3id.org/pilotkg/ontology#>\n"
        "SELECT ?class (COUNT(?thing) AS ?things)\n"
        "WHERE { ?thing a ?class }\n"
        "GROUP BY ?class\n"
        "ORDER BY DESC(?things)\n"
    )


def examples(site: Site, lang: str) -> list[tuple[str, str, str]]:
    """``(name, title in lang, text)`` of each canned query, with its example parameters bound."""
    out = []
    for canned in site.catalogue:
        try:
            text = canned.bind(canned.example) if canned.example else canned.bind()
        except QueryError:  # a query that needs parameters is shown unbound
            text = canned.text
        out.append((canned.name, canned.title_in(lang), text))
    return out


routes = [Route("/sparql", sparql, methods=["GET", "HEAD", "POST"])]
