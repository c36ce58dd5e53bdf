"""``create_app(settings)``: the Starlette app that serves one release.

The routers (SPARQL, Linked Data pages, dumps, canned queries, browsed tables, home) are
separate modules with no state of their own; this module joins them, loads the
stores, starts the query workers for the app's lifetime, opens CORS for reads,
remembers the reader's choice of language (``choice``), sets the security headers
on every response (``security``), and turns every unhandled error into a
one-sentence page in the reader's language, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..namespaces import ONTOLOGY_IRI, OWL
from ..queries import Catalogue
from ..release import COLLATION_KEYS, Release
from ..sources import SourceTree
from . import browse, canned, discovery, dumps, fragments, home, pages, reconcile, sparql
from .choice import LanguageChoice
from .clients import ClientSlots
from .i18n import translator
from .knowledge import Knowledge
from .security import SecurityHeaders, inline_style_hashes, security_headers
from .settings import Settings
from .site import Site, language, site_of
from .stores import open_stores
from .swap import BuildStatus
from .versions import Releases
from .workers import QueryPool

log = logging.getLogger("pilotkg.web")
STATIC = Path(__file__).parent / "static"


class SecuredStarlette(Starlette):
    """Starlette with ``SecurityHeaders`` outside its own error handling.

    Middleware given to Starlette runs inside ``ServerErrorMiddleware``, which sends the
    500 page itself; wrapping the whole stack is what puts the headers on that page too.
    """

    def __init__(self, *, security_headers: dict[str, str], **kwargs: Any) -> None:
        self.security_headers = security_headers
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.security_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    site = site_of(request)
    _ = translator(language(request))
    if exc.status_code == 404:
        return site.error(request, 404, _("There is no page at {path}.", path=request.url.path))
    if exc.status_code == 405:
        return site.error(
            request,
            405,
            _("{method} is not allowed here; this server is read-only.", method=request.method),
        )
    return site.error(request, exc.status_code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("error answering %s %s", request.method, request.url.path, exc_info=exc)
    _ = translator(language(request))
    return site_of(request).error(
        request, 500, _("Something went wrong on the server; the server log has the details.")
    )


def _version(knowledge: Knowledge) -> str:
    """The release's version: the ontology's owl:versionInfo."""
    values = knowledge.objects(ONTOLOGY_IRI, OWL + "versionInfo")
    return values[0].value if values and isinstance(values[0], ox.Literal) else "unversioned"


def create_app(
    settings: Settings,
    *,
    release: Release | None = None,
    status: BuildStatus | None = None,
    workers_first: bool = True,
) -> Starlette:
    """The app serving the release in ``settings.release_dir`` (or ``release``, a copy of it
    that ``serve --watch`` keeps while the app serves); query workers start with its lifespan.
    ``status`` is the rebuild outcome its pages show, shared by the apps a watch swaps in.

    With ``workers_first`` the lifespan's startup waits until every query worker has
    opened the store, so a server that says it is up answers queries at once. Without
    it (a release ``--watch`` swaps in), the app serves as soon as its own store is
    loaded, its pages showing the edit while the workers start beside it: a query that
    comes first waits in the pool's queue for the first worker to be ready, as it would
    wait for a busy one."""
    release = release or Release.open(settings.release_dir)
    stores = open_stores(release, settings.store_dir)
    knowledge = Knowledge(stores.main)
    site = Site(
        settings=settings,
        release=release,
        stores=stores,
        knowledge=knowledge,
        catalogue=Catalogue(SourceTree(settings.source_dir).query_dir),
        version=_version(knowledge),
        client_slots=ClientSlots(settings.max_client_queries),
        status=status or BuildStatus(),
    )
    discovery.install(site)
    handlers = {HTTPException: _http_error, Exception: _unexpected}
    releases = Releases(site, handlers)  # the frozen versions, served under /releases/

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        keys = release.path(COLLATION_KEYS)  # the workers read them for arq:collation
        pool = QueryPool(
            str(stores.worker_path()),
            size=settings.query_workers,
            timeout_s=settings.query_timeout_s,
            quick_s=settings.quick_query_s,
            memory_mb=settings.query_memory_mb,
            federated=bool(settings.service_allowlist),
            collation_keys=str(keys) if keys is not None else None,
        )
        try:
            if workers_first:
                await pool.start()
            else:
                pool.start_in_background()
            site.pool = pool
            yield
        finally:
            site.pool = None
            await pool.close()
            stores.close()

    app = SecuredStarlette(
        security_headers=security_headers(site.yasgui, inline_style_hashes(site.templates)),
        routes=[
            *home.routes,
            *sparql.routes,
            *pages.routes,
            *dumps.routes,
            *canned.routes,
            *browse.routes,
            *discovery.routes,
            *fragments.routes,
            *reconcile.routes,
            *releases.routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
                expose_headers=["ETag", "Last-Modified", "Content-Length"],
                max_age=86400,
            ),
            Middleware(LanguageChoice, site=site),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.site = site
    app.state.releases = releases
    return app
