"""What every router shares: the release, the stores, the templates, and the HTTP manners.

``Site`` is built once by ``create_app`` and kept on ``app.state``. Its helpers
give every response the same caching headers (ETag from the body and its media
type, Last-Modified from the release, Cache-Control from ``cache_max_age_s``,
Vary) and every error the same form: one sentence, as HTML for browsers and
plain text for the rest. Since an error's body is chosen by Accept and written
in the reader's language (``language``: ``?lang=``, the ``lang`` cookie,
Accept-Language), every error says so in Vary, as caches may keep a 404 or a
405; every 405 names the methods its resource allows.

Links a page makes to itself are built from what the app knows (its root and
the matched route with its parameters encoded), never copied from the request
line, whose path a client can make into ``//other.host/``.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jinja2
from starlette.convertors import PathConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..queries import Catalogue
from ..release import Release
from .clients import ClientSlots
from .i18n import translations, translator
from .knowledge import Knowledge, other_language
from .negotiate import HTML, Page, negotiate
from .security import HOST_REFLECTED, Yasgui, yasgui_assets
from .settings import Settings
from .stores import Stores
from .swap import BuildStatus
from .workers import QueryPool

TEXT = Page("text", "txt", ("text/plain",))
#: The languages the interface speaks, and the cookie that remembers a reader's choice.
LANGUAGES = ("en", "zh")
LANGUAGE_COOKIE = "lang"
#: What a representation in the reader's language varies with (``language``).
_LANGUAGE_FIELDS = ("Accept", "Accept-Language", "Cookie")
VARY_LANGUAGE = ", ".join(_LANGUAGE_FIELDS)
#: The scope key ``Site.remembered`` sets while it renders a page that many URLs share.
REMEMBERED = "pilotkg.remembered"
_PARAMETER = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")


def template_environment(lang: str = "en") -> jinja2.Environment:
    """Jinja2 with autoescaping on for every template, SVG included: no literal reaches a page
    raw; its ``_()`` and ``{% trans %}`` speak ``lang`` (``i18n.translations``)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pilotkg.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return environment


def _environments() -> dict[str, jinja2.Environment]:
    return {lang: template_environment(lang) for lang in LANGUAGES}


@dataclass
class Site:
    """The shared state of one running app."""

    settings: Settings
    release: Release
    stores: Stores
    knowledge: Knowledge
    catalogue: Catalogue
    version: str
    templates: jinja2.Environment = field(default_factory=template_environment)
    #: One environment per interface language (``render`` picks the request's).
    localized: dict[str, jinja2.Environment] = field(default_factory=_environments)
    pool: QueryPool | None = None
    client_slots: ClientSlots = field(default_factory=lambda: ClientSlots(0))
    #: The last rebuild's outcome under ``serve --watch``; a failure is a banner on every page.
    status: BuildStatus = field(default_factory=BuildStatus)
    memo: dict[tuple[str, ...], object] = field(default_factory=dict)
    _pages: OrderedDict[tuple[str, ...], tuple[bytes, str]] = field(default_factory=OrderedDict)

    # --- addresses ----------------------------------------------------------------------

    def root(self, request: Request) -> str:
        """The path prefix the app is served under ('' at the origin's root)."""
        if self.settings.base_url:
            return urlsplit(self.settings.base_url).path.rstrip("/")
        return str(request.scope.get("root_path", "")).rstrip("/")

    def origin(self, request: Request) -> str:
        """The public base URL, ending in '/': ``--base-url`` or the request's own.

        The request's own comes from its Host header, which the client chooses; the request
        is then marked so that its response is never kept by a shared cache (``security``).
        Pages use root-relative links and need no origin; only RDF that must hold absolute
        IRIs (the service description) asks for it.
        """
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/") + "/"
        request.scope[HOST_REFLECTED] = True
        return str(request.base_url).rstrip("/") + "/"

    def local_path(self, request: Request) -> str:
        """The request's path below the app's root."""
        path, root = request.url.path, self.root(request)
        return path[len(root) :] if root and path.startswith(root + "/") else path

    def own_path(self, request: Request) -> str:
        """The request's page as this app writes its address: the root, then the matched
        route's path with each parameter percent-encoded; the home page when no route matched
        (a 404 for an unknown path). Always a path on this origin, never ``//…``."""
        root = self.root(request)
        route = request.scope.get("route")
        params = request.scope.get("path_params", {})
        if not isinstance(route, Route):
            return root + "/"

        def encoded(match: re.Match[str]) -> str:
            name = match.group(1)
            convertor = route.param_convertors.get(name)
            return quote(
                str(params.get(name, "")), safe="/" if isinstance(convertor, PathConvertor) else ""
            )

        path = root + _PARAMETER.sub(encoded, route.path_format)
        return path if path.startswith("/") and not path.startswith("//") else root + "/"

    @property
    def yasgui(self) -> Yasgui | None:
        """The YASGUI files the query page loads (pinned, with their hashes), or None."""
        return yasgui_assets(self.settings.yasgui_cdn_url)

    # --- HTML ---------------------------------------------------------------------------

    def render(self, request: Request, template: str, **context: Any) -> str:
        """A template rendered with the context every page needs.

        The language switch links to ``own_path`` with the request's query parameters (a
        search keeps its ``q``), except on a remembered page: that one page answers ``?x=1``
        and ``?x=2`` alike (``remembered``), so it must carry neither.
        """
        lang = language(request)
        shared = bool(request.scope.get(REMEMBERED))
        switched = [
            (name, value)
            for name, value in request.query_params.multi_items()
            if name != "lang" and not shared
        ]
        switched.append(("lang", other_language(lang)))
        return (
            self.localized[lang]
            .get_template(template)
            .render(
                root=self.root(request),
                lang=lang,
                other_lang=other_language(lang),
                switch_lang_url=f"{self.own_path(request)}?{urlencode(switched)}",
                version=self.version,
                settings=self.settings,
                yasgui=self.yasgui,
                build_failure=self.status.failure,
                **context,
            )
        )

    def page(
        self, request: Request, template: str, *, status: int = 200, **context: Any
    ) -> Response:
        """An HTML page with caching headers (errors are never cached)."""
        body = self.render(request, template, **context).encode("utf-8")
        if status != 200:
            return Response(body, status, media_type="text/html; charset=utf-8")
        return self.representation(request, body, "text/html; charset=utf-8", vary_language=True)

    def remembered(
        self, request: Request, kind: str, media_type: str, make: Callable[[], bytes]
    ) -> Response:
        """A representation made once per path, media type and language, then served from memory.

        The release never changes while it is served, so a page rendered once stays
        right until the server stops; busy pages are not rendered again for every
        request (up to ``page_cache_entries`` of them, least recently used dropped).
        The key holds only what ``make`` may read: the path, the media type, the language
        (``?lang=`` or Accept-Language), the root and the failed rebuild's banner, if any. The query string is not in it, so
        ``?x=1``, ``?x=2`` … find the same entry rather than each filling the cache; a
        representation that depends on another parameter must not be remembered. One
        built from the Host header (``origin``) is not kept, since it is not the same for all.
        """
        limit = self.settings.page_cache_entries
        key = (
            kind,
            self.root(request),
            request.url.path,
            media_type,
            language(request),
            self.status.failure or "",
        )
        entry = self._pages.get(key)
        if entry is None:
            request.scope[REMEMBERED] = True
            body = make()
            entry = (body, _etag(body, media_type))
            if limit > 0 and not request.scope.get(HOST_REFLECTED):
                self._pages[key] = entry
                if len(self._pages) > limit:
                    self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(key)
        html = media_type.startswith("text/html")
        return self.representation(request, entry[0], media_type, vary_language=html, etag=entry[1])

    # --- caching ------------------------------------------------------------------------

    def cache_headers(self, *, vary_language: bool = False) -> dict[str, str]:
        return {
            "Cache-Control": f"public, max-age={self.settings.cache_max_age_s}",
            "Last-Modified": formatdate(self.release.modified, usegmt=True),
            "Vary": VARY_LANGUAGE if vary_language else "Accept",
        }

    def representation(
        self,
        request: Request,
        body: bytes,
        media_type: str,
        *,
        vary_language: bool = False,
        etag: str | None = None,
    ) -> Response:
        """``body`` with ETag, Last-Modified, Cache-Control and Vary; 304 when the client has it."""
        etag = etag or _etag(body, media_type)
        headers = {"ETag": etag, **self.cache_headers(vary_language=vary_language)}
        if not_modified(request, etag, self.release.modified):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    # --- errors -------------------------------------------------------------------------

    def error(
        self,
        request: Request,
        status: int,
        message: str,
        *,
        title: str = "",
        search: str = "",
        headers: dict[str, str] | None = None,
    ) -> Response:
        """An error as one clear sentence: an HTML page for browsers, plain text otherwise,
        saying in Vary what chose it; a 405 says in Allow what the resource allows.

        ``message`` and ``title`` come in the reader's language (``translator(language(request))``),
        and so does the plain text: a script that names no language gets English, and the query
        page's YASGUI, which shows a failed query's plain-text answer to the reader, sends the
        browser's Accept-Language and cookie like any page does.
        """
        title = title or reason(status, language(request))
        chosen = negotiate(request, [TEXT, HTML])
        headers = dict(headers or {})
        if status == 405 and not any(name.lower() == "allow" for name in headers):
            headers["Allow"] = allowed_methods(request)
        if chosen is not None and chosen.offer is HTML:
            body = self.render(
                request, "error.html", status=status, title=title, message=message, search=search
            )
            headers["Vary"] = _vary(headers, *_LANGUAGE_FIELDS)
            return Response(body, status, headers=headers, media_type="text/html; charset=utf-8")
        text = f"{status} {title}: {message}\n"
        headers["Vary"] = _vary(headers, *_LANGUAGE_FIELDS)
        return Response(text, status, headers=headers, media_type="text/plain; charset=utf-8")


def reason(status: int, lang: str) -> str:
    """An error's title in ``lang``: what went wrong, in a few words."""
    _ = translator(lang)
    reasons = {
        400: _("Bad request"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        413: _("Query too large"),
        415: _("Unsupported media type"),
        422: _("Result too large"),
        429: _("Too many queries"),
        500: _("Internal error"),
        502: _("SERVICE failed"),
        503: _("Query stopped"),
    }
    return reasons.get(status, _("Error"))


def _etag(body: bytes, media_type: str) -> str:
    """A strong ETag: a hash of the representation itself, its media type included (the same
    N-Triples are one representation as application/n-triples, another as text/plain)."""
    digest = hashlib.sha256(media_type.encode("utf-8") + b"\n" + body)
    return '"' + digest.hexdigest()[:32] + '"'


def _vary(headers: dict[str, str], *names: str) -> str:
    """The Vary of ``headers`` with ``names`` added, each once (the old field is taken out)."""
    present = [headers.pop(name) for name in list(headers) if name.lower() == "vary"]
    fields = [f.strip() for value in present for f in value.split(",") if f.strip()]
    for name in names:
        if name.lower() not in {f.lower() for f in fields}:
            fields.append(name)
    return ", ".join(fields)


#: The order methods are listed in Allow.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """The Allow of the resource ``request`` reached: its route's methods; GET and HEAD for
    anything else this read-only server serves (the static files)."""
    route = request.scope.get("route")
    methods = set(route.methods or ()) if isinstance(route, Route) else set()
    methods = methods or {"GET", "HEAD"}
    ordered = [m for m in _METHOD_ORDER if m in methods]
    return ", ".join(ordered + sorted(methods - set(_METHOD_ORDER)))


def not_modified(request: Request, etag: str, modified: float) -> bool:
    """True when a conditional GET/HEAD already holds this representation (RFC 9110 §13)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(modified) <= since
    return False


def language(request: Request) -> str:
    """The reader's language, which pages, labels and messages are shown in: ``?lang=`` (the
    language switch, and every link a page makes), else the choice remembered in the ``lang``
    cookie (``choice.LanguageChoice``), else Accept-Language, else English."""
    asked = request.query_params.get("lang", "")
    return asked if asked in LANGUAGES else usual_language(request)


def usual_language(request: Request) -> str:
    """The language a request gets when it names none: the remembered choice, else the best
    of Accept-Language (the highest q; the first on a tie), else English."""
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    best, best_q = "en", 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def site_of(request: Request) -> Site:
    """The Site of the app serving ``request``."""
    site: Site = request.app.state.site
    return site
