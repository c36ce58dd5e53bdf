"""Linked Data: every ``/id/{kind}/{slug}``, ``/ontology`` and ontology term, as HTML or RDF.

A browser gets a page; an RDF client gets Turtle, N-Triples, JSON-LD or
RDF/XML, chosen by ``negotiate``: a suffix (``/id/region/shenzhen.ttl``) or
``?format=`` beats Accept; JSON-LD is expanded unless the client asks for the
compacted form (``contexts``). Every representation carries ``Vary: Accept``, an
ETag and Last-Modified, so conditional requests get 304. Unknown IRIs get a
404 page that offers a search.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..formats import GRAPH_FORMATS, Format, serialize
from ..namespaces import KIND_CLASSES, ONTOLOGY_IRI, OWL, PILOT
from .contexts import Form, jsonld_form
from .fairness import gives_way_to_queries
from .i18n import translator
from .kinds import kind_noun
from .knowledge import iri_for_path
from .negotiate import HTML, Choice, Page, negotiate, offered_types
from .reader import read
from .site import Site, language, site_of

OFFERS: tuple[Format | Page, ...] = (HTML, *GRAPH_FORMATS)
#: The kinds of ontology term, in the order the ontology page lists them.
ONTOLOGY_KINDS = (
    OWL + "Class",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
)


def _section_titles(lang: str) -> dict[str, str]:
    """The ontology page's headings in ``lang``, per kind of term ('' for the other terms)."""
    _ = translator(lang)
    return {
        OWL + "Class": _("Classes"),
        OWL + "ObjectProperty": _("Object properties"),
        OWL + "DatatypeProperty": _("Datatype properties"),
        OWL + "AnnotationProperty": _("Annotation properties"),
        "": _("Other terms"),
    }


def _split_suffix(site: Site, path: str) -> tuple[str, str]:
    """``(path, suffix)``: ``/id/x/y.ttl`` → ``('/id/x/y', 'ttl')`` unless the dotted name exists."""
    name = path.rsplit("/", 1)[-1]
    if "." in name:
        iri = iri_for_path(path)
        if iri is None or not site.knowledge.has(iri):
            stem, suffix = path.rsplit(".", 1)
            return stem, suffix
    return path, ""


def _choose(request: Request, site: Site, suffix: str) -> Choice[Format | Page] | Response:
    chosen = negotiate(request, OFFERS, suffix=suffix)
    if chosen is not None:
        return chosen
    _ = translator(language(request))
    if suffix:
        suffixes = " ".join("." + o.extension for o in OFFERS)
        return site.error(
            request,
            404,
            _(
                "There is no .{suffix} version of this page; try {suffixes}.",
                suffix=suffix,
                suffixes=suffixes,
            ),
        )
    return site.error(
        request, 406, _("This resource is offered as: {types}.", types=offered_types(OFFERS))
    )


def _alternates(root: str, path: str) -> list[tuple[str, str, str]]:
    """``(label, media type, href)`` of every representation, for links and <link rel=alternate>;
    the label is the format's own name ("N-Triples"), as its specification writes it."""
    return [
        (f.rdf_format.name if f.rdf_format else f.name, f.media_type, f"{root}{path}.{f.extension}")
        for f in GRAPH_FORMATS
    ]


def _not_found(request: Request, site: Site, path: str) -> Response:
    words = path.rsplit("/", 1)[-1].replace("-", " ")
    _ = translator(language(request))
    return site.error(
        request,
        404,
        _(
            "Nothing in this release has the IRI {iri}. Search for it by name:",
            iri=iri_for_path(path) or path,
        ),
        search=words,
    )


@gives_way_to_queries
async def resource(request: Request) -> Response:
    """An entity or an ontology term, in the representation the client asked for."""
    site = site_of(request)
    path, suffix = _split_suffix(site, site.local_path(request))
    chosen = _choose(request, site, suffix)
    if isinstance(chosen, Response):
        return chosen
    iri = iri_for_path(path)
    if iri is None or not site.knowledge.has(iri):
        return _not_found(request, site, path)
    offer = chosen.offer
    form = jsonld_form(request, site, chosen)
    return site.remembered(
        request, "resource", form.media_type, lambda: _make(request, site, iri, path, offer, form)
    )


def _make(
    request: Request, site: Site, iri: str, path: str, offer: Format | Page, form: Form
) -> bytes:
    """The representation of ``iri`` in ``offer``: serialised triples (JSON-LD in ``form``),
    or a rendered page."""
    knowledge = site.knowledge
    if isinstance(offer, Format):
        if iri == ONTOLOGY_IRI:
            return serialize(knowledge.ontology_triples(), offer, context=form.context)
        return serialize(knowledge.triples_about(iri), offer, context=form.context)
    lang = language(request)
    reading = read(knowledge, knowledge.describe(iri, lang), lang)
    context = {
        "title": knowledge.label(iri, lang),
        "d": reading.description,
        "r": reading,
        "alternates": _alternates(site.root(request), path),
    }
    if iri == ONTOLOGY_IRI:
        return site.render(
            request, "ontology.html", sections=ontology_sections(site, lang), **context
        ).encode("utf-8")
    releases = request.app.state.releases  # the frozen versions that hold it (``versions``)
    versions = releases.history(request, iri)
    return site.render(request, "entity.html", path=path, versions=versions, **context).encode(
        "utf-8"
    )


def ontology_sections(site: Site, lang: str) -> list[tuple[str, list[tuple[object, str]]]]:
    """The ontology's terms by kind, under headings in ``lang``, each with its definition."""
    knowledge = site.knowledge
    titles = _section_titles(lang)
    placed: set[str] = set()
    sections = []
    for cls in ONTOLOGY_KINDS:
        terms = [t for t in knowledge.subjects_of_type(cls) if t.startswith(PILOT)]
        placed.update(terms)
        sections.append((titles[cls], terms))
    # Every ontology term has a label (the ontology shapes require one).
    others = sorted(t for t in knowledge.labels if t.startswith(PILOT) and t not in placed)
    sections.append((titles[""], others))
    return [
        (title, [(knowledge.view_iri(t, lang), knowledge.definition(t, lang)) for t in terms])
        for title, terms in sections
        if terms
    ]


@gives_way_to_queries
async def kind_list(request: Request) -> Response:
    """Every thing of one kind, sorted by label."""
    site = site_of(request)
    kind = request.path_params["kind"]
    lang = language(request)
    if kind not in KIND_CLASSES:
        _ = translator(lang)
        lists = ", ".join(f"{site.root(request)}/id/{k}/" for k in KIND_CLASSES)
        return site.error(
            request,
            404,
            _(
                "There is no list at {path}; the lists are {lists}.",
                path=request.url.path,
                lists=lists,
            ),
        )
    members = site.knowledge.members(kind, lang)
    noun = kind_noun(kind, len(members), lang)
    return site.page(
        request,
        "list.html",
        title=noun[:1].upper() + noun[1:],
        class_label=site.knowledge.label(KIND_CLASSES[kind], lang),
        kind=kind,
        members=members,
        cls=KIND_CLASSES[kind],
    )


routes = [
    Route("/id/{kind}/", kind_list, methods=["GET", "HEAD"]),
    Route("/id/{kind}/{slug}", resource, methods=["GET", "HEAD"]),
    Route("/ontology", resource, methods=["GET", "HEAD"]),
    Route("/ontology.{suffix}", resource, methods=["GET", "HEAD"]),
    Route("/ontology/{term}", resource, methods=["GET", "HEAD"]),
]
