"""The home page (counts, search, map, timeline, charts, links) and the label search.

The map, the timeline and the charts are SVG drawn here from the data (``map``,
``timeline``, ``charts``, from what ``pictures`` reads), so they render with no
network and no script. They are computed once per language: the release does
not change while it is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .charts import BarChart, per_province, per_year
from .fairness import gives_way_to_queries
from .i18n import translator
from .kinds import kind_noun
from .map import ChinaMap, china_map
from .negotiate import HTML, Page, negotiate
from .numbers import whole_number
from .pictures import Designation, Series, Step, designations, used_series, used_steps
from .search import search_index
from .site import Site, language, site_of
from .timeline import Timeline, timeline

JSON = Page("json", "json", ("application/json",))
#: The longest search text accepted (a name, a document number: never a paragraph).
MAX_QUERY_CHARACTERS = 200


@dataclass(frozen=True)
class Pictures:
    """The map, the timeline (in its two layouts) and the bar charts as SVG, with what they
    draw (for the tables beside them)."""

    designations: list[Designation]
    series: list[Series]
    steps: list[Step]
    china_map: ChinaMap
    timeline: Timeline
    charts: list[BarChart]
    map_svg: Markup
    timeline_svg: Markup
    narrow_timeline_svg: Markup
    chart_svgs: list[Markup]


def pictures(site: Site, request: Request) -> Pictures:
    """The pictures in the request's language with links under this app's root, drawn once."""
    key = ("pictures", language(request), site.root(request))
    if key not in site.memo:
        lang, root = key[1], key[2]
        found = designations(site.knowledge, lang)
        the_map = china_map(site.knowledge, found, lang)
        wide, narrow = timeline(found, lang, "wide"), timeline(found, lang, "narrow")
        charts = [per_province(site.knowledge, found, lang), per_year(found, lang)]

        def render(name: str, **drawn: object) -> Markup:
            template = site.templates.get_template(name)
            return Markup(template.render(root=root, lang=lang, **drawn))

        site.memo[key] = Pictures(
            designations=found,
            series=used_series(found),
            steps=used_steps(found),
            china_map=the_map,
            timeline=wide,
            charts=charts,
            map_svg=render("map.svg", m=the_map),
            timeline_svg=render("timeline.svg", t=wide),
            narrow_timeline_svg=render("timeline.svg", t=narrow),
            chart_svgs=[render("bars.svg", c=chart) for chart in charts],
        )
    drawn = site.memo[key]
    assert isinstance(drawn, Pictures)
    return drawn


@gives_way_to_queries
async def home(request: Request) -> Response:
    """Counts per kind (each with its plural noun), the search box, the map, the timeline and
    the ways into the data."""
    site = site_of(request)

    def make() -> bytes:
        lang = language(request)
        _ = translator(lang)
        counts = [
            (kind, kind_noun(kind, count, lang), count)
            for kind, _cls, count in site.knowledge.class_counts()
        ]
        return site.render(
            request,
            "home.html",
            title=_("China's AI pilot zones, test bases and policies"),
            counts=counts,
            pictures=pictures(site, request),
            queries=list(site.catalogue),
            triples=len(site.stores.main),
            has_docs="ontology.html" in site.release.files,
        ).encode("utf-8")

    return site.remembered(request, "home", "text/html", make)


@gives_way_to_queries
async def search(request: Request) -> Response:
    """Things by any of their names, in either language (深圳, Shenzhen, 国发, 工信部 …), a page
    of ``max_search_results`` at a time (``?page=``), as HTML or JSON; either is in the request's
    language, so both vary with it (``search`` explains what is searched and how it ranks)."""
    site = site_of(request)
    lang = language(request)
    _ = translator(lang)
    text = request.query_params.get("q", "")
    if len(text) > MAX_QUERY_CHARACTERS:
        return site.error(
            request,
            400,
            _("The parameter q takes at most {limit} characters.", limit=MAX_QUERY_CHARACTERS),
        )
    page = whole_number(request.query_params.get("page", "1"))
    if page is None or not 0 < page < 10**6:
        return site.error(
            request, 400, _("The parameter page takes a whole number from 1, as in page=2.")
        )
    results = search_index(site).search(
        text, lang, page=page, per_page=site.settings.max_search_results
    )
    chosen = negotiate(request, [HTML, JSON])
    if chosen is not None and chosen.offer is JSON:
        document = {
            "query": text,
            "total": results.total,
            "page": results.page,
            "per_page": results.per_page,
            "pages": results.pages,
            "results": [hit.as_json() for hit in results.hits],
        }
        return site.representation(
            request,
            json.dumps(document, ensure_ascii=False).encode("utf-8"),
            "application/json",
            vary_language=True,
        )
    return site.page(
        request,
        "search.html",
        title=_("Search"),
        query=text,
        results=results,
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
