"""The home page (counts, search, map, timeline, links) and the label search.

The map and timeline are SVG drawn here from the data (see ``pictures``), so
they render with no network and no script. They are computed once per
language: the release does not change while it is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .fairness import gives_way_to_queries
from .negotiate import HTML, Page, negotiate
from .pictures import ChinaMap, Timeline, china_map, timeline
from .site import Site, language, site_of

JSON = Page("json", "json", ("application/json",))


@dataclass(frozen=True)
class Pictures:
    """The map and the timeline as SVG, with the data drawn (for the lists beside them)."""

    map_svg: Markup
    timeline_svg: Markup
    china_map: ChinaMap
    timeline: Timeline


def pictures(site: Site, request: Request) -> Pictures:
    """The pictures in the request's language with links under this app's root, drawn once."""
    key = ("pictures", language(request), site.root(request))
    if key not in site.memo:
        lang, root = key[1], key[2]
        the_map, the_timeline = china_map(site.knowledge, lang), timeline(site.knowledge, lang)
        site.memo[key] = Pictures(
            Markup(site.templates.get_template("map.svg").render(m=the_map, root=root)),
            Markup(site.templates.get_template("timeline.svg").render(t=the_timeline, root=root)),
            the_map,
            the_timeline,
        )
    drawn = site.memo[key]
    assert isinstance(drawn, Pictures)
    return drawn


@gives_way_to_queries
async def home(request: Request) -> Response:
    """Counts per class, the search box, the map, the timeline and the ways into the data."""
    site = site_of(request)

    def make() -> bytes:
        lang = language(request)
        counts = [
            (kind, site.knowledge.label(cls, lang), count)
            for kind, cls, count in site.knowledge.class_counts()
        ]
        return site.render(
            request,
            "home.html",
            title="pilotkg",
            counts=counts,
            pictures=pictures(site, request),
            queries=list(site.catalogue),
            triples=len(site.stores.main),
            has_docs="ontology.html" in site.release.files,
        ).encode("utf-8")

    return site.remembered(request, "home", "text/html", make)


@gives_way_to_queries
async def search(request: Request) -> Response:
    """Labels in either language containing the text (深圳, Shenzhen, pud …), as HTML or JSON;
    either is in the request's language, so both vary with Accept-Language."""
    site = site_of(request)
    text = request.query_params.get("q", "")[:200]
    lang = language(request)
    hits = site.knowledge.search(text, lang, site.settings.max_search_results)
    chosen = negotiate(request, [HTML, JSON])
    if chosen is not None and chosen.offer is JSON:
        body = json.dumps(
            [{"iri": h.iri, "label": h.label, "matched": h.matched, "kind": h.kind} for h in hits],
            ensure_ascii=False,
        )
        return site.representation(
            request, body.encode("utf-8"), "application/json", vary_language=True
        )
    return site.page(
        request, "search.html", title=f"Search: {text}" if text else "Search", query=text, hits=hits
    )


@gives_way_to_queries
async def svg(request: Request) -> Response:
    """The map or the timeline alone, as an SVG image."""
    site = site_of(request)
    drawn = pictures(site, request)
    body = drawn.map_svg if request.url.path.endswith("map.svg") else drawn.timeline_svg
    return site.representation(
        request, str(body).encode("utf-8"), "image/svg+xml", vary_language=True
    )


routes = [
    Route("/", home, methods=["GET", "HEAD"]),
    Route("/search", search, methods=["GET", "HEAD"]),
    Route("/map.svg", svg, methods=["GET", "HEAD"]),
    Route("/timeline.svg", svg, methods=["GET", "HEAD"]),
]
