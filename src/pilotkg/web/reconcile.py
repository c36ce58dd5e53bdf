"""The reconciliation service at ``/reconcile``: the W3C Entity Reconciliation API 0.2, which
OpenRefine 3.x speaks ("Reconcile → Start reconciling → Add standard service").

``GET /reconcile`` is the service manifest; ``queries=`` (GET, or a POSTed form) a batch of
reconciliation queries (``reconcile_match``), ``extend=`` a data extension query
(``reconcile_extend``). Beside it: entity previews as a small HTML card
(``/reconcile/preview?id=zone/shenzhen``), suggestions of entities, types and properties as a
reader types (``/reconcile/suggest/{entity,type,property}?prefix=``), and the properties worth
a column for a type (``/reconcile/propose_properties?type=zone``). Names, types and previews
are in the reader's language (``?lang=``, else the usual choice); identifiers, types and
properties are named in ``reconcile_vocabulary``.

Every answer is JSON (the previews HTML) with the CORS headers of the rest of the site, which
is how the API asks browsers to reach it; JSONP is not offered. Batches are bounded
(``MAX_BATCH`` queries, ``MAX_LIMIT`` candidates a query) and answered from the in-process
store and search index in a thread, off the event loop. A request the service cannot answer
gets one sentence and its status, never a page served with 200.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..namespaces import ID, KIND_CLASSES, PILOT
from .bodies import bounded_body, is_utf8_form
from .fairness import gives_way_to_queries
from .i18n import translator
from .knowledge import other_language
from .numbers import whole_number
from .reader import infobox_properties
from .reconcile_extend import extension, read_extension
from .reconcile_match import MAX_BATCH, MAX_TEXT, BadBatch, Reconciler, read_batch
from .reconcile_vocabulary import (
    Property,
    entity_id,
    entity_iri,
    entity_type,
    kind_of,
    kind_of_type,
    proposed,
    summary,
    type_id,
    types,
)
from .search import fold, quality, search_index
from .security import FRAMEABLE
from .site import Site, language, site_of

#: Suggestions per answer (``cursor`` pages on), and the preview card's frame in OpenRefine.
SUGGEST_PAGE = 10
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 300
#: The infobox rows a preview card shows.
PREVIEW_FACTS = 4
#: The largest form body accepted (a full batch of long Chinese names, percent-encoded).
MAX_BODY_BYTES = 1_000_000
_JSON = "application/json"


def reconciler(site: Site) -> Reconciler:
    """The app's reconciler over its search index, made on first use."""
    key = ("reconciler",)
    if key not in site.memo:
        site.memo[key] = Reconciler(site.knowledge, search_index(site))
    found = site.memo[key]
    assert isinstance(found, Reconciler)
    return found


def proposals(site: Site, kind: str) -> list[Property]:
    """``reconcile_vocabulary.proposed`` for ``kind``, worked out once."""
    key = ("reconcile-proposed", kind)
    if key not in site.memo:
        site.memo[key] = proposed(site.knowledge, kind)
    found = site.memo[key]
    assert isinstance(found, list)
    return found


def _answer(site: Site, request: Request, document: object) -> Response:
    """JSON in the reader's language; a GET with its caching headers, a POST kept by no one."""
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    if request.method == "POST":
        headers = {"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie"}
        return Response(body, media_type=_JSON, headers=headers)
    return site.representation(request, body, _JSON, vary_language=True)


async def _form(request: Request, site: Site) -> QueryParams | Response:
    """A POSTed form's fields, or the one-line refusal of a body that is not one."""
    _ = translator(language(request))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return site.error(
            request,
            415,
            _("POST a form (application/x-www-form-urlencoded) with a queries or extend field."),
        )
    body = await bounded_body(request, MAX_BODY_BYTES)
    if body is None:
        return site.error(
            request, 413, _("A request here takes at most {limit} bytes.", limit=MAX_BODY_BYTES)
        )
    if not is_utf8_form(body):
        return site.error(request, 400, _("The request is not valid UTF-8."))
    return QueryParams(body.decode("utf-8"))


@gives_way_to_queries
async def service(request: Request) -> Response:
    """The manifest, or the answer to a batch of queries or to a data extension query."""
    site = site_of(request)
    lang = language(request)
    _ = translator(lang)
    if "callback" in request.query_params:
        return site.error(
            request,
            400,
            _("This service answers JSON with CORS headers and offers no JSONP (callback)."),
        )
    fields = await _form(request, site) if request.method == "POST" else request.query_params
    if isinstance(fields, Response):
        return fields
    queries, extend = fields.get("queries"), fields.get("extend")
    if queries is not None and extend is not None:
        return site.error(request, 400, _("Send either queries or extend, not both."))
    if queries is None and extend is None:
        if request.method == "POST":
            return site.error(request, 400, _("POST a form with a queries or an extend field."))
        return _answer(site, request, manifest(site, request, lang))
    try:
        if queries is not None:
            batch = read_batch(queries, site.knowledge, lang)
            found = await run_in_threadpool(reconciler(site).answer, batch, lang)
        else:
            ids, properties = read_extension(extend or "", site.knowledge, lang)
            found = await run_in_threadpool(extension, site.knowledge, ids, properties, lang)
    except BadBatch as refused:
        return site.error(request, refused.status, refused.message)
    return _answer(site, request, found)


def manifest(site: Site, request: Request, lang: str) -> dict[str, Any]:
    """The service manifest. Its addresses are absolute (OpenRefine reads them from another
    origin); the entity pages and previews keep a ``lang`` the manifest was asked with."""
    _ = translator(lang)
    origin = site.origin(request)
    base = origin + "reconcile"
    chosen = f"lang={lang}" if "lang" in request.query_params else ""
    return {
        "versions": ["0.2"],
        "name": _("pilotkg: China's AI pilot zones, test bases and policies"),
        "identifierSpace": ID,
        "schemaSpace": PILOT,
        "documentation": origin,
        "serviceVersion": site.version,
        "batchSize": MAX_BATCH,
        "defaultTypes": types(site.knowledge, lang),
        "view": {"url": origin + "id/{{id}}" + (f"?{chosen}" if chosen else "")},
        "preview": {
            "url": base + "/preview?id={{id}}" + (f"&{chosen}" if chosen else ""),
            "width": PREVIEW_WIDTH,
            "height": PREVIEW_HEIGHT,
        },
        "suggest": {
            name: {"service_url": base, "service_path": f"/suggest/{name}"}
            for name in ("entity", "type", "property")
        },
        "extend": {
            "propose_properties": {"service_url": base, "service_path": "/propose_properties"}
        },
    }


# --- previews ----------------------------------------------------------------------------


@gives_way_to_queries
async def preview(request: Request) -> Response:
    """An entity as a small card: its names, kind, where it is and its first infobox rows, in
    the reader's language, for OpenRefine's preview frame (which may show it: ``security.framable``)."""
    site = site_of(request)
    lang = language(request)
    _ = translator(lang)
    asked = request.query_params.get("id", "")
    if not asked:
        return site.error(
            request, 400, _("The parameter id takes an identifier, as in id=zone/shenzhen.")
        )
    iri = entity_iri(site.knowledge, asked)
    if iri is None:
        return site.error(request, 404, _("There is no entity {id} here.", id=asked))
    knowledge = site.knowledge
    description = knowledge.describe(iri, lang)
    kind = kind_of(iri)
    assert kind is not None
    wanted = infobox_properties().get(KIND_CLASSES[kind], ())
    present = {group.predicate.value: group for group in description.facts}
    request.scope[FRAMEABLE] = True
    return site.page(
        request,
        "reconcile_preview.html",
        title=knowledge.label(iri, lang),
        other_name=description.labels.get(other_language(lang), ""),
        kind=entity_type(kind, lang)["name"],
        identifier=entity_id(iri),
        path=f"{site.root(request)}/id/{entity_id(iri)}",
        summary=knowledge.definition(iri, lang),
        facts=[present[p] for p in wanted if p in present][:PREVIEW_FACTS],
    )


# --- suggestions and proposals -------------------------------------------------------------


def _prefix(request: Request, site: Site) -> str | Response:
    _ = translator(language(request))
    prefix = request.query_params.get("prefix")
    if prefix is None or len(prefix) > MAX_TEXT:
        return site.error(
            request,
            400,
            _(
                "The parameter prefix takes the start of a name, at most {limit} characters.",
                limit=MAX_TEXT,
            ),
        )
    return prefix


def _whole(request: Request, site: Site, name: str, default: int) -> int | Response:
    """The whole number parameter ``name`` (``default`` when absent), or its refusal."""
    _ = translator(language(request))
    number = whole_number(request.query_params.get(name, str(default)))
    if number is None or number >= 10**6:
        return site.error(
            request,
            400,
            _("The parameter {name} takes a whole number, as in {name}=10.", name=name),
        )
    return number


def _kind(request: Request, site: Site, required: bool) -> str | Response | None:
    """The kind the ``type`` parameter names (None when it is absent and not ``required``)."""
    lang = language(request)
    _ = translator(lang)
    asked = request.query_params.get("type")
    if asked is None and not required:
        return None
    kind = kind_of_type(asked or "")
    if kind is None:
        known = ", ".join(t["id"] for t in types(site.knowledge, lang))
        return site.error(request, 400, _("The parameter type takes one of {types}.", types=known))
    return kind


@gives_way_to_queries
async def suggest_entity(request: Request) -> Response:
    """Entities a name of which starts with (or holds) ``prefix``, best first, of ``type``."""
    site = site_of(request)
    lang = language(request)
    prefix, cursor = _prefix(request, site), _whole(request, site, "cursor", 0)
    kind = _kind(request, site, required=False)
    for checked in (prefix, cursor, kind):
        if isinstance(checked, Response):
            return checked
    assert isinstance(prefix, str) and isinstance(cursor, int)
    found = [
        iri
        for iri, _rank, _name in search_index(site).ranked(prefix)
        if kind_of(iri) and (kind is None or kind_of(iri) == kind)
    ]
    result = [
        {
            "id": entity_id(iri),
            "name": site.knowledge.label(iri, lang),
            "description": summary(site.knowledge, iri, lang),
            "notable": [entity_type(kind_of(iri) or "", lang)],
        }
        for iri in found[cursor : cursor + SUGGEST_PAGE]
    ]
    return _answer(site, request, {"result": result})


def _matching(prefix: str, entries: list[tuple[dict[str, str], list[str]]]) -> list[dict[str, str]]:
    """The entries one of whose names matches ``prefix``, best match first, else in order."""
    wanted = fold(prefix)
    ranked = []
    for place, (entry, names) in enumerate(entries):
        found = [q for name in names if (q := quality(fold(name), wanted)) is not None]
        if found or not wanted:
            ranked.append((min(found, default=0), place, entry))
    return [entry for _q, _place, entry in sorted(ranked, key=lambda r: (r[0], r[1]))]


@gives_way_to_queries
async def suggest_type(request: Request) -> Response:
    """The types whose id or name, in either language, matches ``prefix``."""
    site = site_of(request)
    lang = language(request)
    prefix = _prefix(request, site)
    if isinstance(prefix, Response):
        return prefix
    other = {t["id"]: t["name"] for t in types(site.knowledge, other_language(lang))}
    entries = [(t, [t["id"], t["name"], other[t["id"]]]) for t in types(site.knowledge, lang)]
    return _answer(site, request, {"result": _matching(prefix, entries)})


def _all_properties(site: Site) -> list[Property]:
    """Every property worth a column for some kind, each once, in the kinds' order."""
    seen: dict[str, Property] = {}
    for kind in KIND_CLASSES:
        for prop in proposals(site, kind):
            seen.setdefault(prop.id, prop)
    return list(seen.values())


@gives_way_to_queries
async def suggest_property(request: Request) -> Response:
    """The properties whose id or name, in either language, matches ``prefix`` (of ``type``'s
    things when it is given)."""
    site = site_of(request)
    lang = language(request)
    prefix, kind = _prefix(request, site), _kind(request, site, required=False)
    for checked in (prefix, kind):
        if isinstance(checked, Response):
            return checked
    assert isinstance(prefix, str)
    known = proposals(site, kind) if isinstance(kind, str) else _all_properties(site)
    entries = [
        (
            p.as_json(site.knowledge, lang),
            [p.id, p.name(site.knowledge, lang), p.name(site.knowledge, other_language(lang))],
        )
        for p in known
    ]
    return _answer(site, request, {"result": _matching(prefix, entries)})


@gives_way_to_queries
async def propose_properties(request: Request) -> Response:
    """The properties worth a column for things of ``type``, as their pages order them."""
    site = site_of(request)
    lang = language(request)
    kind = _kind(request, site, required=True)
    limit = _whole(request, site, "limit", 0)
    for checked in (kind, limit):
        if isinstance(checked, Response):
            return checked
    assert isinstance(kind, str) and isinstance(limit, int)
    found = [{"id": p.id, "name": p.name(site.knowledge, lang)} for p in proposals(site, kind)]
    document: dict[str, Any] = {"type": type_id(kind), "properties": found[: limit or None]}
    if limit:
        document["limit"] = limit
    return _answer(site, request, document)


routes = [
    Route("/reconcile", service, methods=["GET", "HEAD", "POST"]),
    Route("/reconcile/preview", preview, methods=["GET", "HEAD"]),
    Route("/reconcile/suggest/entity", suggest_entity, methods=["GET", "HEAD"]),
    Route("/reconcile/suggest/type", suggest_type, methods=["GET", "HEAD"]),
    Route("/reconcile/suggest/property", suggest_property, methods=["GET", "HEAD"]),
    Route("/reconcile/propose_properties", propose_properties, methods=["GET", "HEAD"]),
]
