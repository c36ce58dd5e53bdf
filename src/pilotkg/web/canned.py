"""The canned queries (``queries/*.rq``) under ``/queries/``: a page each, results in every format.

``/queries/NAME?param=value`` prepares the text as every runner of a canned query
does (``queries.prepare``: parameters bound as terms, never text spliced into the
query; federated groups pinned to our linked items) and runs it through the same
worker pool, limits and SERVICE allow-list as ``/sparql``. A suffix (``.csv``) or
``?format=`` picks the format; browsers get a page with a form, the query text,
a link that opens it in the query editor, and the results as a table.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import QueryError
from ..formats import GRAPH_FORMATS, RESULTS_FORMATS, Format
from ..queries import prepare
from ..sparqltext import form_of
from .execution import answer, raw_response
from .negotiate import FORMAT_PARAMETERS, HTML, Page, negotiate
from .site import site_of

RESERVED = (*FORMAT_PARAMETERS, "lang")  # what the page reads itself, never a parameter


async def index(request: Request) -> Response:
    """Every canned query with its title, description and parameters."""
    site = site_of(request)
    return site.page(request, "queries.html", title="Canned queries", queries=list(site.catalogue))


async def canned(request: Request) -> Response:
    """One canned query, bound with the request's parameters, in the format asked for."""
    site = site_of(request)
    name = request.path_params["name"]
    suffix = ""
    if name not in site.catalogue.queries and "." in name:
        name, suffix = name.rsplit(".", 1)
    query = site.catalogue.queries.get(name)
    if query is None:
        known = ", ".join(site.catalogue.queries)
        return site.error(
            request, 404, f"There is no canned query {name!r}; the queries are: {known}."
        )
    values = {k: v for k, v in request.query_params.items() if k not in RESERVED and v != ""}
    graph = form_of(query.text) in ("construct", "describe")
    formats = GRAPH_FORMATS if graph else RESULTS_FORMATS
    query_string = urlencode(values)
    links = [
        (f.name, f"{name}.{f.extension}" + (f"?{query_string}" if query_string else ""))
        for f in formats
    ]

    def show(**outcome: Any) -> Response:
        """The query's HTML page, with its answer or with the problem that stopped it."""
        return site.page(
            request,
            "query.html",
            title=query.title,
            query=query,
            values=values,
            links=links,
            **outcome,
        )

    try:
        text = prepare(query, values, site.knowledge.store)
    except QueryError as error:
        page_offers: tuple[Format | Page, ...] = (*formats, HTML)
        chosen = negotiate(request, page_offers, suffix=suffix or None)
        if chosen is None or chosen.offer is not HTML:
            return site.error(request, 400, str(error))
        return show(text=query.text, problem=str(error), table=None, rows=0)
    result = await answer(request, site, text, suffix=suffix or None)
    if isinstance(result, Response):
        return result
    if not result.is_html:
        return raw_response(site, request, result)
    return show(text=text, problem="", table=result.table, rows=result.outcome.rows)


routes = [
    Route("/queries/", index, methods=["GET", "HEAD"]),
    Route("/queries/{name}", canned, methods=["GET", "HEAD"]),
]
