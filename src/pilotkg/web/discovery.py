"""What search engines and dataset catalogues read: the home page's schema.org ``Dataset``
(JSON-LD), ``/sitemap.xml`` and ``/robots.txt``.

The ``Dataset`` block is a JSON-LD data block (``<script type="application/ld+json">``), which a
browser never runs, so the Content-Security-Policy that allows no inline script leaves it alone.
It names the dataset as the release's VoID does (``dcterms:title``, ``dcterms:license``), says
what it is in the interface's words in both languages, and lists each dump and CSV file as a
``DataDownload`` with its media type and address. Search engines want absolute addresses, and
the home page is cached for everyone, so it must not take them from the request's Host header
(``Site.origin``): they are under ``--base-url`` when the server has one, else under the
project's permanent IRIs (``https://w3id.org/pilotkg/``), where ``pilotkg build`` puts the
dumps' addresses in VoID too. Its time span is that of the dates of things (``pilot:date``, which
the build entails from every dated step, event and publication), its place the region at the
top of the graph's hierarchy (China).

The sitemaps protocol wants absolute URLs on the sitemap's own host, at most 50,000 per file: so
``/sitemap.xml`` is an index of ``/sitemap-1.xml`` … each listing up to that many pages, and both
it and ``/robots.txt`` (which names it) use the request's origin when there is no ``--base-url``;
``Site.origin`` then keeps those answers out of shared caches.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..formats import GRAPH_FORMATS
from ..namespaces import (
    BASE,
    DATASET_IRI,
    DATE_DATATYPES,
    DCTERMS,
    KIND_CLASSES,
    ONTOLOGY_IRI,
    OWL,
    PILOT,
    WIKIDATA_ENTITY,
)
from ..release import CSV_FOLDER, VOID, dump_name
from .browse_tables import TABLES
from .fairness import gives_way_to_queries
from .i18n import translator
from .knowledge import LANGUAGES, Knowledge, local_path
from .pictures import date_span
from .site import Site, language, site_of

#: The most URLs one sitemap may list (sitemaps.org protocol).
SITEMAP_URLS = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: Characters a path keeps as they are when it is written as a URL.
_URL_SAFE = "/:@!$&'()*+,;=-._~%"
JsonLd = dict[str, object]


def _public_base(site: Site) -> str:
    """Where the dataset's pages and files are published: ``--base-url``, else the project's
    permanent IRIs. Never the request's Host header."""
    return site.settings.base_url.rstrip("/") + "/" if site.settings.base_url else BASE


def _words(lang: str) -> tuple[str, list[str]]:
    """The dataset's description and keywords in the interface's words, in ``lang``."""
    _ = translator(lang)
    description = _(
        "A linked-data knowledge graph of China's national AI pilot zones, AI application pilot "
        "test bases, the policies behind them, the regions that host them and the sectors they "
        "serve; every fact cites its source."
    )
    keywords = [
        _("artificial intelligence"),
        _("AI pilot zones"),
        _("AI application pilot test bases"),
        _("AI policy"),
        _("China"),
        _("linked data"),
        _("knowledge graph"),
    ]
    return description, keywords


def _in_languages(texts: dict[str, str], first: str) -> list[JsonLd]:
    """``texts`` (language → text) as language-tagged values, ``first``'s language first."""
    ordered = sorted(texts, key=lambda lang: (lang != first, lang))
    return [{"@value": texts[lang], "@language": lang} for lang in ordered if lang and texts[lang]]


def _void(site: Site) -> Knowledge:
    """The release's VoID description of the dataset, to look things up in."""
    path = site.release.path(VOID)
    store = ox.Store()
    if path is not None:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return Knowledge(store)


def temporal_coverage(site: Site) -> str:
    """The span of the dates of things, as an ISO 8601 interval at their own precision
    (``2015-07/2026-08-09``); '' when nothing is dated.

    The store finds each precision's earliest and latest lexical form, which sort as the dates
    do within one datatype; ``date_span`` then compares across precisions (a year ends after
    every day of it)."""
    datatypes = ", ".join(f"<{d}>" for d in sorted(DATE_DATATYPES))
    solutions = site.stores.main.query(
        f"""SELECT (MIN(STR(?d)) AS ?first) (MAX(STR(?d)) AS ?last) WHERE {{
              ?thing <{PILOT}date> ?d . FILTER(DATATYPE(?d) IN ({datatypes}))
            }} GROUP BY (DATATYPE(?d))"""
    )
    assert isinstance(solutions, ox.QuerySolutions)
    spans: dict[str, tuple[float, float]] = {}
    for row in solutions:
        for term in (row["first"], row["last"]):
            span = date_span(term.value) if isinstance(term, ox.Literal) else None
            if span is not None:
                spans[term.value] = span
    if not spans:
        return ""
    start = min(spans, key=lambda value: spans[value][0])
    end = max(spans, key=lambda value: spans[value][1])
    return start if start == end else f"{start}/{end}"


def _places(site: Site, lang: str) -> list[JsonLd]:
    """The regions at the top of the graph's hierarchy (part of nothing), as schema.org places
    with their names and Wikidata items."""
    knowledge = site.knowledge
    places = []
    for region in knowledge.subjects_of_type(KIND_CLASSES["region"]):
        if knowledge.objects(region, PILOT + "partOf"):
            continue
        place: JsonLd = {
            "@type": "Place",
            "@id": region,
            "name": _in_languages(knowledge.labels.get(region, {}), lang),
        }
        same = sorted(
            o.value
            for o in knowledge.objects(region, OWL + "sameAs")
            if o.value.startswith(WIKIDATA_ENTITY)
        )
        if same:
            place["sameAs"] = same
        places.append(place)
    return places


def _downloads(site: Site, base: str) -> list[JsonLd]:
    """Each dump and CSV file of the release as a schema.org ``DataDownload``."""
    files = site.release.files
    dumps = [(dump_name(fmt), fmt.media_type) for fmt in GRAPH_FORMATS]
    tables = [
        (name, "text/csv")
        for name in sorted(files)
        if name.startswith(f"{CSV_FOLDER}/") and name.endswith(".csv")
    ]
    return [
        {
            "@type": "DataDownload",
            "name": name,
            "encodingFormat": media_type,
            "contentUrl": f"{base}dumps/{name}",
            "contentSize": f"{files[name].size} B",
        }
        for name, media_type in [*dumps, *tables]
        if name in files
    ]


def dataset(site: Site, lang: str) -> JsonLd:
    """The schema.org ``Dataset`` the home page carries, its texts in ``lang`` first (made once
    per language)."""
    key = ("dataset", lang)
    if key not in site.memo:
        base = _public_base(site)
        void = _void(site)
        words = {other: _words(other) for other in LANGUAGES}
        creators = site.knowledge.objects(ONTOLOGY_IRI, DCTERMS + "creator")
        described: JsonLd = {
            "@context": "https://schema.org/",
            "@type": "Dataset",
            "@id": DATASET_IRI,
            "name": _in_languages(void.labels.get(DATASET_IRI, {}), lang),
            "description": _in_languages({other: words[other][0] for other in LANGUAGES}, lang),
            "url": base,
            "identifier": DATASET_IRI,
            "version": site.version,
            "license": sorted(o.value for o in void.objects(DATASET_IRI, DCTERMS + "license")),
            "isAccessibleForFree": True,
            "creator": [
                {"@type": "Organization", "name": c.value, "url": base}
                for c in creators
                if isinstance(c, ox.Literal)
            ],
            "inLanguage": list(LANGUAGES),
            "keywords": [
                word
                for other in sorted(LANGUAGES, key=lambda other: other != lang)
                for word in words[other][1]
            ],
            "spatialCoverage": _places(site, lang),
            "distribution": _downloads(site, base),
        }
        coverage = temporal_coverage(site)
        if coverage:
            described["temporalCoverage"] = coverage
        site.memo[key] = described
    found = site.memo[key]
    assert isinstance(found, dict)
    return found


def install(site: Site) -> None:
    """Let the templates write the ``Dataset``: ``{{ dataset_jsonld(lang)|tojson }}``, which
    escapes ``<``, ``>`` and ``&`` so that no label can end the script element."""
    for environment in site.localized.values():
        environment.globals["dataset_jsonld"] = lambda lang: dataset(site, lang)


# --- the sitemaps and robots.txt ------------------------------------------------------------


def page_paths(site: Site) -> list[str]:
    """Every page a search engine should know, below the app's root: the home page, the lists,
    the ontology and each entity's page (citations, which have pages too, are left out: they are
    the footnotes of the pages that cite them)."""
    key = ("page-paths",)
    if key not in site.memo:
        knowledge = site.knowledge
        entities: set[str] = set()
        kinds = []
        for kind, cls in KIND_CLASSES.items():
            members = [local_path(iri) for iri in knowledge.subjects_of_type(cls)]
            own = {path for path in members if path and path.startswith(f"/id/{kind}/")}
            if own:
                kinds.append(f"/id/{kind}/")
                entities |= own
        tables = [f"/{name}" for name in TABLES]
        site.memo[key] = [
            "/",
            *tables,
            "/queries/",
            "/dumps/",
            "/ontology",
            *kinds,
            *sorted(entities),
        ]
    paths = site.memo[key]
    assert isinstance(paths, list)
    return paths


def _url(origin: str, path: str) -> str:
    return escape(origin + quote(path.lstrip("/"), safe=_URL_SAFE))


def _parts(site: Site) -> int:
    """How many sitemaps the pages take."""
    return max(1, -(-len(page_paths(site)) // SITEMAP_URLS))


@gives_way_to_queries
async def sitemap_index(request: Request) -> Response:
    """``/sitemap.xml``: the index of the sitemaps, each at most ``SITEMAP_URLS`` pages."""
    site = site_of(request)

    def make() -> bytes:
        origin = site.origin(request)
        entries = "".join(
            f"<sitemap><loc>{_url(origin, f'sitemap-{n}.xml')}</loc></sitemap>\n"
            for n in range(1, _parts(site) + 1)
        )
        return _xml("sitemapindex", entries)

    return site.remembered(request, "sitemap", "application/xml", make)


@gives_way_to_queries
async def sitemap(request: Request) -> Response:
    """``/sitemap-N.xml``: the N-th ``SITEMAP_URLS`` pages of ``page_paths``."""
    site = site_of(request)
    number = request.path_params["number"]
    if not 1 <= number <= _parts(site):
        _ = translator(language(request))
        return site.error(
            request,
            404,
            _(
                "There is no sitemap {number}: there are {parts}, listed in {index}.",
                number=number,
                parts=_parts(site),
                index=site.root(request) + "/sitemap.xml",
            ),
        )

    def make() -> bytes:
        origin = site.origin(request)
        paths = page_paths(site)[(number - 1) * SITEMAP_URLS : number * SITEMAP_URLS]
        entries = "".join(f"<url><loc>{_url(origin, path)}</loc></url>\n" for path in paths)
        return _xml("urlset", entries)

    return site.remembered(request, "sitemap", "application/xml", make)


def _xml(root: str, entries: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{SITEMAP_NS}">\n'
        f"{entries}</{root}>\n"
    ).encode()


def robots_text(root: str, origin: str) -> str:
    """What crawlers may fetch: every page; no query run (``/sparql?…``, a canned query with
    parameters, a filtered or sorted table), search results, or the machine interfaces, each of
    which makes an endless space of addresses and costs the server a query."""
    runs = [f"{root}/sparql?", f"{root}/queries/*?", *(f"{root}/{name}?" for name in TABLES)]
    closed = [*runs, f"{root}/search", f"{root}/fragments", f"{root}/reconcile"]
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in closed),
        f"Allow: {root}/",  # last: parsers of the 1994 rules take the first match, not the longest
        "",
        f"Sitemap: {origin}sitemap.xml",
    ]
    return "\n".join(lines) + "\n"


@gives_way_to_queries
async def robots(request: Request) -> Response:
    """``/robots.txt`` (RFC 9309)."""
    site = site_of(request)

    def make() -> bytes:
        return robots_text(site.root(request), site.origin(request)).encode("utf-8")

    return site.remembered(request, "robots", "text/plain; charset=utf-8", make)


routes = [
    Route("/robots.txt", robots, methods=["GET", "HEAD"]),
    Route("/sitemap.xml", sitemap_index, methods=["GET", "HEAD"]),
    Route("/sitemap-{number:int}.xml", sitemap, methods=["GET", "HEAD"]),
]
