"""The release's files under ``/dumps/`` (with checksums and media types) and VoID at ``/.well-known/void``.

Only files listed in the release's SHA256SUMS are served, so no request path can
reach outside the release folder. A file's ETag is its SHA-256, which a client
can check against SHA256SUMS.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from ..formats import GRAPH_FORMATS, by_name, serialize
from ..release import NTRIPLES_DUMP, VOID
from .fairness import gives_way_to_queries
from .negotiate import Page, negotiate, offered_types
from .site import Site, not_modified, site_of


@gives_way_to_queries
async def index(request: Request) -> Response:
    """The list of release files with sizes, media types and SHA-256 checksums."""
    site = site_of(request)
    files = sorted(site.release.files.values(), key=lambda f: (f.name.count("/"), f.name))
    return site.page(request, "dumps.html", title="Dumps", files=files)


@gives_way_to_queries
async def dump(request: Request) -> Response:
    """One release file, with its SHA-256 as ETag."""
    site = site_of(request)
    name = request.path_params["name"]
    path = site.release.path(name)
    if path is None:
        return site.error(
            request,
            404,
            f"The release has no file {name!r}; the list is at /dumps/.",
            title="No such file",
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
        return site.error(request, 406, "This dump is offered as application/gzip or N-Triples.")
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
    if chosen is None:
        return site.error(request, 406, f"VoID is offered as: {offered_types(GRAPH_FORMATS)}.")
    path = site.release.path(VOID)
    if path is None:
        return site.error(request, 404, f"This release has no {VOID}.")
    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return site.representation(
        request, serialize(sorted(triples, key=str), chosen.offer), chosen.media_type
    )


routes = [
    Route("/dumps/", index, methods=["GET", "HEAD"]),
    Route("/dumps/{name:path}", dump, methods=["GET", "HEAD"]),
    Route("/.well-known/void", void, methods=["GET", "HEAD"]),
]
