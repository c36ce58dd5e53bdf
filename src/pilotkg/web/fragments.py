"""Triple Pattern Fragments at ``/fragments?subject=&predicate=&object=``: the graph's triples
that match one pattern, a page at a time, with the Hydra controls that let a client such as
Comunica answer SPARQL queries over them without a SPARQL engine on the server.

Each fragment is read from the in-process store by its pattern index, in a bounded walk
(``fragments_window``), so it is served without the query pool and its limits; its
metadata and controls are ``fragments_controls``, its parameters ``fragments_selector``.
The representation is chosen by ``negotiate``: HTML for browsers (a form, the triples,
the page links), Turtle, N-Triples, RDF/XML, JSON-LD (in expanded form, with the metadata
in a graph of its own, as in TriG; a compacted profile is not offered here) and TriG, the
form Comunica asks for first. A request spelt otherwise than the fragment's one address
(parameters in another order, empty ones, ``page=1``) is redirected there, since a TPF
client matches the controls to the URL it fetched. The caching headers are those of every
page, but the fragment depends on its query string, so it is never ``Site.remembered``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..formats import GRAPH_FORMATS, TRIG, Format, serialize, serialize_dataset
from ..namespaces import DATASET_IRI, VOID, XSD
from ..release import VOID as VOID_FILE
from ..tables import compact
from .fairness import gives_way_to_queries
from .fragments_controls import Fragments, controls, in_graphs, last_page
from .fragments_selector import (
    PATTERN_PARAMETERS,
    SELECTOR_PARAMETERS,
    BadSelector,
    Selector,
    canonical_query,
    read_selector,
    term_text,
)
from .fragments_window import MAX_PAGES, PAGE_SIZE, Window, read_window
from .i18n import translator
from .negotiate import HTML, Page, negotiate, offered_types
from .site import LANGUAGES, Site, language, site_of

OFFERS: tuple[Format | Page, ...] = (HTML, *GRAPH_FORMATS, TRIG)
_STRING = XSD + "string"
#: A term of a triple the store holds (a quoted triple, in RDF 1.2, included).
AnyTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Cell:
    """One term of a triple as the HTML view shows it: its text, the fragment it links to (the
    term in the same position), and its language or datatype."""

    text: str
    href: str
    lang: str = ""
    tag: str = ""


@gives_way_to_queries
async def fragment(request: Request) -> Response:
    """One page of the fragment the query string selects, in the representation asked for."""
    site = site_of(request)
    _ = translator(language(request))
    chosen = negotiate(request, OFFERS)
    if chosen is None:
        return site.error(
            request, 406, _("This resource is offered as: {types}.", types=offered_types(OFFERS))
        )
    try:
        selector = read_selector(request.query_params, _, last_page=MAX_PAGES)
    except BadSelector as bad:
        return site.error(request, 400, str(bad))
    address = _address(request, selector)
    if address != request.url.query:
        return RedirectResponse(_here(site, request, address), status_code=301)
    window = await run_in_threadpool(read_window, site.stores.main, selector, _graph_size(site))
    offer = chosen.offer
    if isinstance(offer, Format):
        body = _rdf(site, request, selector, window, offer)
        return site.representation(request, body, chosen.media_type)
    return site.page(request, "fragments.html", **_view(site, request, selector, window))


def _address(request: Request, selector: Selector) -> str:
    """The query string of the fragment's one address, with the request's other parameters
    (``lang``, ``format``) after the selector's."""
    others = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in SELECTOR_PARAMETERS
    ]
    return canonical_query([*selector.pairs(), *others])


def _here(site: Site, request: Request, query: str) -> str:
    """``/fragments`` under the app's root with ``query``."""
    path = site.own_path(request)
    return f"{path}?{query}" if query else path


def _rdf(site: Site, request: Request, selector: Selector, window: Window, fmt: Format) -> bytes:
    """The page as RDF: its triples, then the metadata and controls, in a graph of their own
    where ``fmt`` holds graphs."""
    fragments = Fragments(site.origin(request) + "fragments")
    titles = [
        ox.Literal(translator(lang)("Triple Pattern Fragments"), language=lang)
        for lang in LANGUAGES
    ]
    metadata = controls(fragments, selector, window, titles)
    if fmt.rdf_format is not None and fmt.rdf_format.supports_datasets:
        return serialize_dataset(in_graphs(fragments, selector, window.triples, metadata), fmt)
    return serialize(window.triples + metadata, fmt)


def _graph_size(site: Site) -> int | None:
    """The number of triples in the release, as its VoID states it (None without one)."""
    path = site.release.path(VOID_FILE)
    return _void_triples(path) if path is not None else None


@functools.cache
def _void_triples(path: Path) -> int | None:
    """``void:triples`` of the dataset in the VoID file at ``path``, read once: a release
    folder never changes once published."""
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        if (
            quad.subject == ox.NamedNode(DATASET_IRI)
            and quad.predicate == ox.NamedNode(VOID + "triples")
            and isinstance(quad.object, ox.Literal)
        ):
            return int(quad.object.value)
    return None


# --- the HTML view ----------------------------------------------------------------------------


def _view(site: Site, request: Request, selector: Selector, window: Window) -> dict[str, Any]:
    """What ``fragments.html`` shows: the form filled in with the pattern, the page's triples,
    the count, the page links and the other representations."""
    lang = language(request)
    _ = translator(lang)
    base = site.root(request) + "/fragments"

    def link(chosen: Selector, *extra: tuple[str, str]) -> str:
        query = canonical_query([*chosen.pairs(), *extra])
        return f"{base}?{query}" if query else base

    def cell(position: str, term: AnyTerm) -> Cell:
        alone = _alone(position, term)
        if alone is None:
            return Cell(str(term), "")
        href = link(alone, ("lang", lang))
        if isinstance(term, ox.NamedNode):
            return Cell(compact(term), href)
        assert isinstance(term, ox.Literal)
        if term.language:
            return Cell(term.value, href, term.language, "@" + term.language)
        datatype = term.datatype.value
        return Cell(term.value, href, tag="" if datatype == _STRING else compact(term.datatype))

    first = (selector.page - 1) * PAGE_SIZE + 1
    pages = last_page(window)
    return {
        "title": _("Triple Pattern Fragments"),
        "fields": [
            (name, term_text(term) if term is not None else "")
            for name, term in zip(PATTERN_PARAMETERS, selector.terms, strict=True)
        ],
        "rows": [
            (cell("subject", t.subject), cell("predicate", t.predicate), cell("object", t.object))
            for t in window.triples
        ],
        "window": window,
        "page": selector.page,
        "pages": pages,
        "first": first,
        "last": first + len(window.triples) - 1,
        "first_page": link(selector.on_page(1), ("lang", lang)) if selector.page > 2 else "",
        "previous_page": link(selector.on_page(selector.page - 1), ("lang", lang))
        if selector.page > 1
        else "",
        "next_page": link(selector.on_page(selector.page + 1), ("lang", lang))
        if window.more and selector.page < MAX_PAGES
        else "",
        "page_size": PAGE_SIZE,
        "integer": XSD + "integer",
        "alternates": [
            (
                f.rdf_format.name if f.rdf_format else f.name,
                f.media_type,
                link(selector, ("format", f.extension)),
            )
            for f in (*GRAPH_FORMATS, TRIG)
        ],
    }


def _alone(position: str, term: AnyTerm) -> Selector | None:
    """The pattern that names ``term`` in ``position`` and nothing else, or None when no
    pattern can (a blank node, which a selector reads as any term, or a quoted triple)."""
    if position == "object" and isinstance(term, ox.NamedNode | ox.Literal):
        return Selector(object=term)
    if not isinstance(term, ox.NamedNode):
        return None
    return Selector(subject=term) if position == "subject" else Selector(predicate=term)


routes = [Route("/fragments", fragment, methods=["GET", "HEAD"])]
