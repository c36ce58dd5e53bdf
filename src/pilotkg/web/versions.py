"""The frozen releases, served read-only: ``/releases/`` (the series), ``/releases/VERSION/…``
(each version's entity pages, lists, ontology, dumps and VoID as that version had them, and
``/releases/VERSION/changes``), and the versions an entity page links to.

A frozen version is served by the same routers as the latest release (``pages``, ``dumps``),
each in an app of its own mounted under ``/releases/VERSION``, with a ``Site`` of its own:
its release, its store (``stores.open_stores``), its ``Knowledge``, the templates and
catalogue of the latest. That app is made the first time the version is asked for, so a
server that keeps many versions pays for the ones read; at most the newest
``frozen_release_entries`` are served. What a frozen version does not serve (search, SPARQL,
queries, the tables, the static files) is redirected to the latest release's same path.

Whether an entity changed after a version is read from the versions' changesets
(``versions.read_changes``), which the freeze wrote once: a page of the latest release opens
no frozen store unless the release it serves is newer than the newest frozen version, when
that one version's store is opened to compare the entity's own statements with its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from ..formats import GRAPH_FORMATS, Format, serialize
from ..graphs import Term
from ..namespaces import RDF, XSD
from ..release import CHANGES_RDF, CHANGES_TEXT, SERIES, Release
from ..statements import STATEMENT_BASE
from ..versions import (
    CHANGED,
    NEW,
    RELEASES_PATH,
    REMOVED,
    ChangeLog,
    Counts,
    EntityChange,
    Record,
    Version,
    frozen_dir,
    frozen_versions,
    holds,
    read_changes,
    read_record,
)
from . import dumps, pages
from .collation import sort_key
from .fairness import gives_way_to_queries
from .i18n import translator
from .knowledge import Knowledge, TermView, local_path
from .negotiate import HTML, Page, negotiate, offered_types
from .readable import readable
from .site import Site, language, site_of
from .stores import open_stores

OFFERS: tuple[Format | Page, ...] = (HTML, *GRAPH_FORMATS)
_PREFIX = "/" + RELEASES_PATH.rstrip("/")  # "/releases"
_DATE = ox.NamedNode(XSD + "date")
_STATEMENT_SUBJECT = ox.NamedNode(RDF + "subject")
Handlers = dict[Any, Callable[..., Any]]


class Frozen:
    """One frozen version the server serves: its release and record, read at start-up, and
    its changes and its app (store, knowledge, site), each read the first time it is needed."""

    def __init__(self, releases: Releases, folder: Path, version: Version) -> None:
        self.releases = releases
        self.version = version
        self.release = Release.open(folder / version.text)
        self.record: Record = read_record(folder, version)
        self._lock = threading.Lock()
        self._app: Starlette | None = None

    @cached_property
    def changes_store(self) -> ox.Store:
        """The version's changeset (``CHANGES_RDF``), in a store of its own."""
        store = ox.Store()
        path = self.release.path(CHANGES_RDF)
        if path is not None:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE)
        return store

    @cached_property
    def changes(self) -> ChangeLog:
        """What changed in this version since the one before it."""
        return read_changes(q.triple for q in self.changes_store)

    @cached_property
    def changes_knowledge(self) -> Knowledge:
        """Labels and views of what the changes name (the changeset carries them)."""
        return Knowledge(self.changes_store)

    def app(self) -> Starlette:
        """The app serving this version, made on first use (it loads the version's store)."""
        with self._lock:
            if self._app is None:
                self._app = self._make_app()
            return self._app

    async def opened(self) -> Starlette:
        """The app, made off the event loop the first time (loading a store takes a while)."""
        if self._app is not None:
            return self._app
        return await asyncio.to_thread(self.app)

    def site(self) -> Site:
        site: Site = self.app().state.site
        return site

    def _make_app(self) -> Starlette:
        latest = self.releases.site
        stores = open_stores(self.release, None)
        base_url = latest.settings.base_url
        settings = dataclasses.replace(
            latest.settings,
            release_dir=self.release.root,
            base_url=self.version.url(base_url.rstrip("/") + "/") if base_url else None,
        )
        site = Site(
            settings=settings,
            release=self.release,
            stores=stores,
            knowledge=Knowledge(stores.main),
            catalogue=latest.catalogue,
            version=self.version.text,
            templates=latest.templates,
            localized=latest.localized,
            client_slots=latest.client_slots,
            status=latest.status,
        )
        app = Starlette(
            routes=[
                *pages.routes,
                *dumps.routes,
                Route("/changes", changes, methods=["GET", "HEAD"]),
                Route("/", version_home, methods=["GET", "HEAD"]),
                Route("/{path:path}", elsewhere, methods=["GET", "HEAD", "POST"]),
            ],
            exception_handlers=self.releases.handlers,
        )
        app.state.site = site
        app.state.releases = self.releases
        app.state.version = self.version.text
        return app


class Releases:
    """The frozen versions beside the served release (``versions.frozen_dir``) the server
    serves: the newest ``frozen_release_entries``, oldest first."""

    def __init__(self, site: Site, handlers: Handlers) -> None:
        self.site = site
        self.handlers = handlers
        self.folder = frozen_dir(site.settings.release_dir)
        found = frozen_versions(self.folder)
        limit = site.settings.frozen_release_entries
        kept = found[len(found) - limit :] if limit else []
        self.older = found[: len(found) - len(kept)]
        self.served = {v.text: Frozen(self, self.folder, v) for v in kept}
        self.order = [self.served[v.text] for v in kept]
        #: Whether the release served at / is the newest frozen version (then no store is opened
        #: to tell whether an entity changed since).
        self.latest_frozen = bool(self.order) and holds(self.order[-1].release, site.release)

    @property
    def routes(self) -> list[Route | Mount]:
        return [
            Route(_PREFIX + "/", index, methods=["GET", "HEAD"]),
            Mount(_PREFIX + "/{version}", app=self.dispatch),
        ]

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request under ``/releases/VERSION/``: to that version's app, opened off the event
        loop the first time; a 404 in one line for a version that is not served."""
        version = scope["path_params"]["version"]
        frozen = self.served.get(version)
        if frozen is None:
            # answered as the latest release's page: its links must not lead under the version
            root = str(scope.get("root_path", "")).removesuffix(f"{_PREFIX}/{version}")
            response = self._missing(Request({**scope, "root_path": root}, receive), version)
            await response(scope, receive, send)
            return
        app = await frozen.opened()
        await app(scope, receive, send)

    def _missing(self, request: Request, version: str) -> Response:
        _ = translator(language(request))
        listing = self.site.root(request) + _PREFIX + "/"
        named = Version.named(version)
        if named is not None and named in self.older:
            message = _(
                "Release {version} is frozen but not served here: this server serves the newest "
                "{count} (the setting frozen_release_entries). The releases it serves are at "
                "{list}.",
                version=version,
                count=len(self.order),
                list=listing,
            )
        else:
            message = _(
                "There is no frozen release {version}; the frozen releases are listed at {list}.",
                version=version[:40],
                list=listing,
            )
        return self.site.error(request, 404, message)

    # --- an entity's versions ---------------------------------------------------------------

    def history(self, request: Request, iri: str) -> History | None:
        """The served versions that hold ``iri``, newest first, each saying whether the entity
        changed after it; for a frozen version's page, whether the latest release changed it."""
        if not self.order:
            return None
        lang = language(request)
        current = getattr(request.app.state, "version", None)
        root = site_of(request).root(request)
        main = root.removesuffix(f"{_PREFIX}/{current}") if current else root
        path = local_path(iri) or ""
        changed, exists = self._since(iri)
        steps = [
            Step(
                frozen.version.text,
                _date(frozen.record.issued, lang),
                f"{main}{_PREFIX}/{frozen.version}{path}",
                frozen.version.text == current,
                changed[n],
            )
            for n, frozen in reversed(list(enumerate(self.order)))
            if exists[n]
        ]
        here = next((n for n, f in enumerate(self.order) if f.version.text == current), None)
        return History(
            frozen=current,
            issued=_date(self.order[here].record.issued, lang) if here is not None else "",
            latest_href=f"{main}{path}",
            changed=changed[here] if here is not None else False,
            latest_holds=self.site.knowledge.has(iri),
            steps=steps,
            series_href=f"{main}{_PREFIX}/",
        )

    def _since(self, iri: str) -> tuple[list[bool], list[bool]]:
        """For each served version, oldest first: whether ``iri`` changed after it (it differs
        from the latest release), and whether it holds ``iri`` at all."""
        newest = self.order[-1]
        if self.latest_frozen:
            last_changed, last_exists = False, self.site.knowledge.has(iri)
        else:
            knowledge = newest.site().knowledge
            last_exists = knowledge.has(iri)
            last_changed = _own(self.site.knowledge, iri) != _own(knowledge, iri)
        changed, exists = [last_changed], [last_exists]
        for later in reversed(self.order[1:]):
            change = later.changes.of(iri)
            changed.append(changed[-1] or change is not None)
            status = change.status if change is not None else CHANGED
            exists.append({NEW: False, REMOVED: True}.get(status, exists[-1]))
        return changed[::-1], exists[::-1]


@dataclass(frozen=True)
class Step:
    """One version of an entity's page: its number, date, address; whether it is the page
    being read, and whether the entity changed after it."""

    version: str
    issued: str
    href: str
    here: bool
    changed: bool


@dataclass(frozen=True)
class History:
    """The versions an entity page links to; for a frozen version's page (``frozen``), its
    date, where the latest page is, and whether the latest release changed the entity or no
    longer holds it."""

    frozen: str | None
    issued: str
    latest_href: str
    changed: bool
    latest_holds: bool
    steps: list[Step]
    series_href: str


def _own(knowledge: Knowledge, iri: str) -> frozenset[ox.Triple]:
    """What a release says of ``iri`` itself: its statements and their citations (the
    changesets count the same as a change of the entity)."""
    node = ox.NamedNode(iri)
    citations = [
        q.subject
        for q in knowledge.store.quads_for_pattern(None, _STATEMENT_SUBJECT, node)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(STATEMENT_BASE)
    ]
    return frozenset(
        q.triple
        for subject in (node, *citations)
        for q in knowledge.store.quads_for_pattern(subject, None, None)
    )


def _date(issued: str, lang: str) -> str:
    return readable(ox.Literal(issued, datatype=_DATE), lang) if issued else ""


def releases_of(request: Request) -> Releases:
    """The frozen releases of the app serving ``request``."""
    releases: Releases = request.app.state.releases
    return releases


# --- the series ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """One version in the series' list."""

    version: str
    issued: str
    issued_shown: str
    previous: str | None
    counts: Counts


@gives_way_to_queries
async def index(request: Request) -> Response:
    """``/releases/``: every served version, newest first, with its date and what changed; the
    series as RDF (``SERIES``) by content negotiation."""
    site, releases = site_of(request), releases_of(request)
    chosen = negotiate(request, OFFERS)
    _ = translator(language(request))
    if chosen is None:
        return site.error(
            request, 406, _("This resource is offered as: {types}.", types=offered_types(OFFERS))
        )
    if isinstance(chosen.offer, Format):
        path = releases.folder / SERIES
        triples = (
            [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
            if path.is_file()
            else []
        )
        body = serialize(sorted(triples, key=str), chosen.offer)
        return site.representation(request, body, chosen.media_type)
    lang = language(request)
    listed = [
        Listed(
            f.version.text,
            f.record.issued,
            _date(f.record.issued, lang),
            f.record.previous.text if f.record.previous else None,
            f.changes.counts(),
        )
        for f in reversed(releases.order)
    ]
    return site.page(
        request,
        "releases.html",
        title=_("Frozen releases"),
        versions=listed,
        older=len(releases.older),
        alternates=_alternates(site.root(request) + _PREFIX + "/"),
    )


def _alternates(href: str) -> list[tuple[str, str, str]]:
    """``(label, media type, href)`` of each RDF form of a page negotiated by ``?format=``."""
    return [
        (f.rdf_format.name if f.rdf_format else f.name, f.media_type, f"{href}?format={f.name}")
        for f in GRAPH_FORMATS
    ]


# --- inside a frozen version --------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One fact's change on the changes page: ``changed`` (old → new), ``added``, ``removed``,
    or ``cited`` (the value stays; its citations changed), with the sources of each side."""

    kind: str
    predicate: TermView
    old: TermView | None = None
    new: TermView | None = None
    old_sources: tuple[TermView, ...] = ()
    new_sources: tuple[TermView, ...] = ()
    uncited: tuple[TermView, ...] = ()
    requoted: tuple[TermView, ...] = ()


@dataclass(frozen=True)
class Changed:
    """One entity on the changes page."""

    anchor: str
    label: str
    label_lang: str
    other_label: str
    kind: str
    status: str
    href: str | None
    rows: list[Row]


def _frozen(request: Request) -> Frozen:
    return releases_of(request).served[request.app.state.version]


@gives_way_to_queries
async def changes(request: Request) -> Response:
    """``/releases/VERSION/changes``: what the version changed, entity by entity, in the reader's
    language; its changeset as RDF by content negotiation."""
    site, frozen = site_of(request), _frozen(request)
    lang = language(request)
    _ = translator(lang)
    chosen = negotiate(request, OFFERS)
    if chosen is None:
        return site.error(
            request, 406, _("This resource is offered as: {types}.", types=offered_types(OFFERS))
        )
    if isinstance(chosen.offer, Format):
        triples = sorted((q.triple for q in frozen.changes_store), key=str)
        return site.representation(request, serialize(triples, chosen.offer), chosen.media_type)
    previous = frozen.record.previous
    root = site.root(request)
    main = root.removesuffix(f"{_PREFIX}/{frozen.version}")
    served_previous = previous is not None and previous.text in releases_of(request).served
    entities = [
        _changed(
            frozen, change, lang, root, f"{main}{_PREFIX}/{previous}" if served_previous else None
        )
        for change in frozen.changes.entities
    ]
    entities.sort(key=lambda e: sort_key(e.label, lang))
    return site.page(
        request,
        "changes.html",
        title=_("What changed in release {version}", version=frozen.version),
        issued=_date(frozen.record.issued, lang),
        previous=previous.text if previous else None,
        previous_href=f"{main}{_PREFIX}/{previous}/changes" if served_previous else None,
        counts=frozen.changes.counts(),
        entities=entities,
        files=[(name, f"{root}/dumps/{name}") for name in (CHANGES_TEXT, CHANGES_RDF)],
        series_href=f"{main}{_PREFIX}/",
        alternates=_alternates(f"{root}/changes"),
    )


def _changed(
    frozen: Frozen, change: EntityChange, lang: str, root: str, previous_root: str | None
) -> Changed:
    """One entity's changes as the page shows them, its facts in the order of their
    properties' labels; it links to the entity's page in this version (in the previous one when
    this version removed it)."""
    knowledge = frozen.changes_knowledge
    iri = change.entity.value
    path = local_path(iri)

    def view(term: Term) -> TermView:
        return knowledge.view(term, lang)

    def views(terms: Iterable[ox.NamedNode]) -> tuple[TermView, ...]:
        return tuple(view(t) for t in terms)

    rows = [
        Row(
            "changed",
            view(new.predicate),
            view(old.value),
            view(new.value),
            views(old.sources),
            views(new.sources),
        )
        for old, new in change.changed
    ]
    rows += [
        Row("added", view(f.predicate), new=view(f.value), new_sources=views(f.sources))
        for f in change.added
    ]
    rows += [
        Row("removed", view(f.predicate), old=view(f.value), old_sources=views(f.sources))
        for f in change.removed
    ]
    rows += [
        Row(
            "cited",
            view(r.predicate),
            new=view(r.value),
            new_sources=views(r.cited),
            uncited=views(r.uncited),
            requoted=views(r.requoted),
        )
        for r in change.recited
    ]
    rows.sort(key=lambda row: sort_key(row.predicate.text, lang))
    labels = knowledge.labels.get(iri, {})
    other = labels.get("zh" if lang == "en" else "en", "")
    label = knowledge.label(iri, lang)
    if path is None:
        href = None
    elif change.status == REMOVED:
        href = f"{previous_root}{path}" if previous_root else None
    else:
        href = f"{root}{path}"
    return Changed(
        anchor="change-" + (path or iri).strip("/").replace("/", "-"),
        label=label,
        label_lang=lang if labels.get(lang) else ("zh" if lang == "en" else "en"),
        other_label=other if other != label else "",
        kind=knowledge.kind_label(iri, lang),
        status=change.status,
        href=href,
        rows=rows,
    )


async def version_home(request: Request) -> Response:
    """``/releases/VERSION/``: the version's changes page, which says what it is."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{site_of(request).root(request)}/changes{query}", status_code=302)


async def elsewhere(request: Request) -> Response:
    """What a frozen version does not serve (search, SPARQL, queries, the tables, the static
    files): the latest release's same path, which the version's pages link to through the
    header they share with it. The path is encoded again, so it stays a path on this origin."""
    site = site_of(request)
    main = site.root(request).removesuffix(f"{_PREFIX}/{request.app.state.version}")
    rest = quote(request.path_params["path"].lstrip("/\\"), safe="/-._~!$&'()*+,;=:@%")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{main}/{rest}{query}", status_code=307, headers=site.cache_headers())
