"""The reader's choice of language, remembered: ``?lang=`` sets the ``lang`` cookie.

A first visit is answered in the browser's Accept-Language. A reader who follows
the language switch (``?lang=zh``) has chosen, and the later pages they open
without ``?lang=`` (a typed address, a bookmark, the header's own links) keep
that choice: ``LanguageChoice`` answers such a request with a ``lang`` cookie,
and ``site.language`` reads it before Accept-Language.

The cookie holds only ``en`` or ``zh``, is sent back to this app alone (Path
is the app's root) and never to another site's requests (SameSite=Lax), and no
script reads it (HttpOnly): it identifies no one. It is set only when it
changes what the reader gets, so a page whose links carry the language the
reader already has sets nothing. A response that sets it is ``private``: a
shared cache must not hand one reader's Set-Cookie to another. Every
representation in the reader's language says ``Vary: Cookie`` beside
Accept-Language (``site.VARY_LANGUAGE``), so caches keep one per choice.

A ``lang`` the interface does not speak is refused with 400 rather than
silently ignored.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .i18n import translator
from .security import private
from .site import LANGUAGE_COOKIE, LANGUAGES, Site, usual_language

#: How long a choice is remembered: a year, renewed by every switch.
REMEMBERED_S = 365 * 24 * 3600


class LanguageChoice:
    """Refuses an unknown ``?lang=``; remembers a known one in the ``lang`` cookie when it
    differs from what the request would otherwise get."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang", "")
        if asked and asked not in LANGUAGES:
            _ = translator(usual_language(request))
            refusal = self.site.error(
                request,
                400,
                _(
                    "Choose the language with lang=en or lang=zh, not lang={value}.",
                    value=asked[:40],
                ),
            )
            await refusal(scope, receive, send)
            return
        if not asked or asked == usual_language(request):
            await self.app(scope, receive, send)
            return
        cookie = self.cookie(request, asked)

        async def send_remembering(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", cookie)
                headers["Cache-Control"] = private(headers.get("cache-control"))
            await send(message)

        await self.app(scope, receive, send_remembering)

    def cookie(self, request: Request, lang: str) -> str:
        """The Set-Cookie value remembering ``lang`` under this app's root (Secure over HTTPS)."""
        base_url = self.site.settings.base_url or ""
        secure = request.url.scheme == "https" or base_url.startswith("https:")
        attributes = [
            f"{LANGUAGE_COOKIE}={lang}",
            f"Path={self.site.root(request) or '/'}",
            f"Max-Age={REMEMBERED_S}",
            "SameSite=Lax",
            "HttpOnly",
            *(["Secure"] if secure else []),
        ]
        return "; ".join(attributes)
