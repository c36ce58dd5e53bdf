"""The release's files under ``/dumps/`` (with checksums and media types), VoID at
``/.well-known/void`` and the JSON-LD context at ``/context.jsonld``.

Only files listed in the release's SHA256SUMS are served, so no request path can
reach outside the release folder. A file's ETag is its SHA-256, which a client
can check against SHA256SUMS.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from ..formats import GRAPH_FORMATS, by_name, serialize
from ..namespaces import XSD
from ..release import (
    CHANGES_RDF,
    CHANGES_TEXT,
    CHECKSUMS,
    COLLATION_KEYS,
    CSV_EXPORTS,
    DATAPACKAGE,
    JSONLD_CONTEXT,
    NTRIPLES_DUMP,
    ONTOLOGY_HTML,
    ONTOLOGY_TTL,
    RELEASE_NAME,
    VERSION_DESCRIPTION,
    VOID,
    csv_name,
)
from .fairness import gives_way_to_queries
from .i18n import translator
from .negotiate import Page, negotiate, offered_types
from .readable import readable
from .site import Site, language, not_modified, site_of


@gives_way_to_queries
async def index(request: Request) -> Response:
    """The list of release files with sizes (grouped as the reader's language writes numbers),
    media types and SHA-256 checksums."""
    site = site_of(request)
    lang = language(request)
    _ = translator(lang)
    files = sorted(site.release.files.values(), key=lambda f: (f.name.count("/"), f.name))
    about = _what_each_file_is(site, lang)
    rows = [
        (f, readable(ox.Literal(str(f.size), datatype=_INTEGER), lang), about.get(f.name, ""))
        for f in files
    ]
    return site.page(request, "dumps.html", title=_("Dumps"), files=rows)


def _what_each_file_is(site: Site, lang: str) -> dict[str, Markup]:
    """What each file of a release holds, by name, in ``lang``: a reader choosing a download
    should not have to open a file to learn what it is. A CSV table says what its canned
    query says (its title); a file this list does not know gets no words, not a guess.
    Format names are code, in either language (``<code>Turtle</code>``)."""
    _ = translator(lang)
    about = {
        CHECKSUMS: _(
            "The SHA-256 of every other file, as {tool} reads them", tool=_code("sha256sum -c")
        ),
        NTRIPLES_DUMP: _(
            "The whole graph as {format}, one triple per line, sorted, compressed with {gzip}",
            format=_code("N-Triples"),
            gzip=_code("gzip"),
        ),
        f"{RELEASE_NAME}.ttl": _("The whole graph as {format}", format=_code("Turtle")),
        f"{RELEASE_NAME}.rdf": _("The whole graph as {format}", format=_code("RDF/XML")),
        f"{RELEASE_NAME}.jsonld": _("The whole graph as {format}", format=_code("JSON-LD")),
        ONTOLOGY_TTL: _("The OWL ontology: the classes and properties the graph uses"),
        ONTOLOGY_HTML: _("The ontology's documentation, to read"),
        VOID: _("The release described in VoID and DCAT: counts, dumps, the SPARQL endpoint"),
        JSONLD_CONTEXT: _("The JSON-LD context the JSON-LD documents name"),
        COLLATION_KEYS: _("The pinyin sort key of each Chinese label, by which lists sort"),
        DATAPACKAGE: _("The Data Package of the CSV tables: their columns, types and sources"),
        VERSION_DESCRIPTION: _("This frozen version described in VoID and DCAT"),
        CHANGES_TEXT: _("What changed since the version before, in words"),
        CHANGES_RDF: _("What changed since the version before, as a changeset"),
    }
    for name in CSV_EXPORTS:
        if name in site.catalogue.queries:
            title = escape(site.catalogue.get(name).title_in(lang))
            about[csv_name(name)] = _("A table for spreadsheets: {title}", title=title)
    # The messages are the catalogue's and the values escaped: the text is safe as markup.
    return {name: Markup(text) for name, text in about.items()}


def _code(name: str) -> str:
    return f"<code>{escape(name)}</code>"


@gives_way_to_queries
async def dump(request: Request) -> Response:
    """One release file, with its SHA-256 as ETag."""
    return _release_file(request, request.path_params["name"])


@gives_way_to_queries
async def context(request: Request) -> Response:
    """The release's JSON-LD context at the stable URL compacted documents name (the same
    file as under /dumps/, where it sits with the release whose version it states)."""
    return _release_file(request, JSONLD_CONTEXT)


def _release_file(request: Request, name: str) -> Response:
    site = site_of(request)
    path = site.release.path(name)
    if path is None:
        _ = translator(language(request))
        listing = site.root(request) + "/dumps/"
        return site.error(
            request,
            404,
            _("The release has no file “{name}”; the list is at {list}.", name=name, list=listing),
            title=_("No such file"),
        )
    info = site.release.files[name]
    etag = f'"{info.sha256}"'
    headers = {"ETag": etag, **site.cache_headers()}
    del headers["Vary"]
    if name == NTRIPLES_DUMP:
        return _ntriples_dump(request, site, path, headers)
    if not_modified(request, etag, site.release.modified):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=info.media_type, headers=headers)


_INTEGER = ox.NamedNode(XSD + "integer")
#: The gzipped N-Triples dump as the file it is, for downloads.
GZIP_FILE = Page("gzip", "gz", ("application/gzip",))


def _ntriples_dump(request: Request, site: Site, path: Path, headers: dict[str, str]) -> Response:
    """``pilotkg.nt.gz`` the way its client reads it.

    A download (no Accept, ``*/*``, ``application/gzip``) gets the file. An RDF client
    that asks for N-Triples (Comunica, Jena, rdflib loading the URL) gets N-Triples:
    the same gzipped bytes with ``Content-Encoding: gzip`` when it accepts gzip, else
    decompressed on the way out, so no client has to know that the file is packed.
    """
    ntriples = by_name("ntriples", "graph")
    assert ntriples is not None
    chosen = negotiate(request, (GZIP_FILE, ntriples))
    headers = {**headers, "Vary": "Accept, Accept-Encoding"}
    if chosen is None:
        _ = translator(language(request))
        return site.error(request, 406, _("This dump is offered as application/gzip or N-Triples."))
    gzip_accepted = "gzip" in request.headers.get("accept-encoding", "").lower()
    if chosen.offer is ntriples:
        headers["ETag"] = headers["ETag"][:-1] + ("-nt-gzip" if gzip_accepted else "-nt") + '"'
    if not_modified(request, headers["ETag"], site.release.modified):
        return Response(status_code=304, headers=headers)
    if chosen.offer is GZIP_FILE:
        return FileResponse(path, media_type="application/gzip", headers=headers)
    if gzip_accepted:
        headers["Content-Encoding"] = "gzip"
        return FileResponse(path, media_type=chosen.media_type, headers=headers)
    return StreamingResponse(_gunzipped(path), media_type=chosen.media_type, headers=headers)


def _gunzipped(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as packed:
        while chunk := packed.read(1 << 16):
            yield chunk


@gives_way_to_queries
async def void(request: Request) -> Response:
    """The release's VoID and DCAT description, in the RDF format asked for (Turtle by default)."""
    site = site_of(request)
    chosen = negotiate(request, GRAPH_FORMATS)
    _ = translator(language(request))
    if chosen is None:
        return site.error(
            request, 406, _("VoID is offered as: {types}.", types=offered_types(GRAPH_FORMATS))
        )
    path = site.release.path(VOID)
    if path is None:
        return site.error(request, 404, _("This release has no {file}.", file=VOID))
    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return site.representation(
        request, serialize(sorted(triples, key=str), chosen.offer), chosen.media_type
    )


routes = [
    Route("/dumps/", index, methods=["GET", "HEAD"]),
    Route("/dumps/{name:path}", dump, methods=["GET", "HEAD"]),
    Route("/.well-known/void", void, methods=["GET", "HEAD"]),
    Route("/" + JSONLD_CONTEXT, context, methods=["GET", "HEAD"]),
]
