"""The release's files under ``/dumps/`` (with checksums and media types) and VoID at ``/.well-known/void``.

Only files listed in the release's SHA256SUMS are served, so no request path can
reach outside the release folder. A file's ETag is its SHA-256, which a client
can check against SHA256SUMS.
"""

from __future__ import annotations

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ..formats import GRAPH_FORMATS, serialize
from ..release import VOID
from .negotiate import negotiate, offered_types
from .site import not_modified, site_of


async def index(request: Request) -> Response:
    """The list of release files with sizes, media types and SHA-256 checksums."""
    site = site_of(request)
    files = sorted(site.release.files.values(), key=lambda f: (f.name.count("/"), f.name))
    return site.page(request, "dumps.html", title="Dumps", files=files)


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
    if not_modified(request, etag, site.release.modified):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=info.media_type, headers=headers)


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
