"""The headers every response carries, the pinned YASGUI build, and the Host header kept out of caches.

``SecurityHeaders`` is the one middleware that sets, on every response (500
pages included, since it wraps Starlette's own error handling):

* ``Content-Security-Policy``: scripts, styles and everything else from this
  origin only, plus the build directory of YASGUI on its CDN. The SVG
  pictures' inline ``<style>`` is allowed by its hash, never by
  ``'unsafe-inline'``, so a ``<style>`` or ``<script>`` smuggled into a page
  does not apply; no framing, no ``<base>``, no plugins, forms to this origin.
* ``X-Frame-Options: DENY``, for browsers that predate ``frame-ancestors``.
* ``Referrer-Policy: strict-origin-when-cross-origin``: a query text in one
  of our URLs does not travel to the external sites a page links to.
* ``X-Content-Type-Options: nosniff``: a browser never runs data as a script.

It also keeps a client's Host header out of shared caches. Without
``--base-url`` the public origin is each request's own, taken from its Host
header; ``Site.origin`` marks a request whose response uses it
(``HOST_REFLECTED``), and such a response is made ``private`` so that a proxy
never hands one client's Host to another. Redirects (Starlette's trailing-slash
ones build an absolute URL from the Host header) become root-relative.

YASGUI is pinned to one version with Subresource Integrity: the browser
refuses the files if the CDN ever serves other bytes. Any other
``yasgui_cdn_url`` (a mirror, another version) gets no integrity, since its
hashes are not known here; the policy still names its build directory.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import jinja2
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The YASGUI release the query page loads, and where from (jsDelivr serves npm packages as is).
YASGUI_VERSION = "4.6.2"
YASGUI_URL = f"https://cdn.jsdelivr.net/npm/@zazuko/yasgui@{YASGUI_VERSION}"
#: SHA-384 of the files of the npm package @zazuko/yasgui at YASGUI_VERSION (``npm pack``);
#: compute them again whenever YASGUI_VERSION changes.
YASGUI_INTEGRITY = {
    "build/yasgui.min.js": "sha384-PHnh6NwOkxapuqrOSGWoU3gL5yzpM3UyH8b61pBZa2CGVBIx3zaMRua0OjVzxTE5",
    "build/yasgui.min.css": "sha384-XrXS+j7Q5QPO5/8oDm3teEl9OpxieOPoG+28Qw1GpFjZcEGvZw++uYGBsSy/E3df",
}
#: The CSP hashes of the two <style> texts YASGUI_VERSION's column resizer writes into the page
#: (``createStyle`` in build/yasgui.min.js: the table layout, and the cursor while dragging).
#: Chromium's console names the hash of each style it blocks; check them again with a new version.
YASGUI_STYLE_HASHES = (
    "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",
    "'sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg='",
)

#: The scope key ``Site.origin`` sets when a response is built from the request's Host header.
HOST_REFLECTED = "pilotkg.host_reflected"
#: The scope key a handler sets on a response another site may frame (``framable``).
FRAMEABLE = "pilotkg.frameable"

_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]+)?")
_CSP_PATH = re.compile(r"[A-Za-z0-9\-._~!$&()*+=:@%/]*")  # no space, ';', ',' or quote
_INLINE_STYLE = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style>", re.S)


@dataclass(frozen=True)
class Yasgui:
    """Where the query page loads YASGUI's script and style sheet from, with their hashes
    when known ('' otherwise), the policy source that allows them ('' for this origin), and
    the hashes of the styles the script writes into the page (known for the pinned build)."""

    js: str
    css: str
    js_integrity: str = ""
    css_integrity: str = ""
    source: str = ""
    style_hashes: tuple[str, ...] = ()


def yasgui_assets(cdn_url: str) -> Yasgui | None:
    """YASGUI's files under ``cdn_url`` (the ``yasgui_cdn_url`` setting); None when it is empty.

    >>> yasgui_assets(YASGUI_URL).js_integrity == YASGUI_INTEGRITY["build/yasgui.min.js"]
    True
    >>> yasgui_assets("https://mirror.example/yasgui").js_integrity
    ''
    """
    base = cdn_url.strip().rstrip("/")
    if not base:
        return None
    pinned = base == YASGUI_URL
    return Yasgui(
        js=f"{base}/build/yasgui.min.js",
        css=f"{base}/build/yasgui.min.css",
        js_integrity=YASGUI_INTEGRITY["build/yasgui.min.js"] if pinned else "",
        css_integrity=YASGUI_INTEGRITY["build/yasgui.min.css"] if pinned else "",
        source=_policy_source(base),
        style_hashes=YASGUI_STYLE_HASHES if pinned else (),
    )


def _policy_source(base: str) -> str:
    """The CSP source allowing YASGUI's build directory under ``base``: '' when ``base`` is on
    this origin (``'self'`` covers it), the bare origin when its path cannot be written in a
    policy, and nothing that could end the directive when the setting holds odd text."""
    parts = urlsplit(base)
    if not parts.netloc:
        return ""
    if not _HOST.fullmatch(parts.netloc):
        return ""  # not a plain host[:port]; the browser then refuses YASGUI, the form stays
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else parts.netloc
    path = parts.path + "/build/"
    return origin + path if _CSP_PATH.fullmatch(path) else origin


def inline_style_hashes(environment: jinja2.Environment) -> list[str]:
    """The CSP hash source of every ``<style>`` element written in a template.

    Such a style is static text (a template tag inside one is refused here, at start-up), so
    its rendered text, and so its hash, is known before any page is drawn.
    """
    loader = environment.loader
    assert loader is not None
    hashes = set()
    for name in environment.list_templates():
        source = loader.get_source(environment, name)[0].replace("\r\n", "\n")
        for css in _INLINE_STYLE.findall(source):
            if any(mark in css for mark in ("{{", "{%", "{#")):
                raise ValueError(
                    f"template {name}: an inline <style> must be plain text, so that its "
                    "Content-Security-Policy hash is known"
                )
            digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest())
            hashes.add(f"'sha256-{digest.decode('ascii')}'")
    return sorted(hashes)


def content_security_policy(yasgui: Yasgui | None, style_hashes: Iterable[str]) -> str:
    """The policy: this origin only, YASGUI's build directory, and the hashed inline styles."""
    cdn = [yasgui.source] if yasgui and yasgui.source else []
    yasgui_styles = list(yasgui.style_hashes) if yasgui else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *cdn],
        "style-src": ["'self'", *cdn, *style_hashes, *yasgui_styles],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def security_headers(yasgui: Yasgui | None, style_hashes: Iterable[str]) -> dict[str, str]:
    """The headers every response carries."""
    return {
        "Content-Security-Policy": content_security_policy(yasgui, style_hashes),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
    }


def private(cache_control: str | None) -> str:
    """``cache_control`` with shared caching taken away (``public``, ``s-maxage``) and
    ``private`` added, its max-age kept for the client's own cache.

    >>> private("public, max-age=3600")
    'private, max-age=3600'
    >>> private(None)
    'private'
    """
    kept = [
        d.strip()
        for d in (cache_control or "").split(",")
        if d.strip() and d.strip().lower() != "public" and not d.strip().lower().startswith("s-")
    ]
    if not any(d.lower() in ("private", "no-store") for d in kept):
        kept.insert(0, "private")
    return ", ".join(kept)


def root_relative(location: str, own_hosts: Iterable[str]) -> str:
    """``location`` without scheme and host when it points at this server, never ``//…``.

    >>> root_relative("http://evil.example/dumps/?x=1", ["evil.example"])
    '/dumps/?x=1'
    >>> root_relative("https://www.wikidata.org/", ["evil.example"])
    'https://www.wikidata.org/'
    """
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() not in {h.lower() for h in own_hosts}:
        return location
    return urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))


def framable(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` for a response another site may frame: the preview cards, which
    OpenRefine shows in a sandboxed ``<iframe>``.

    The site forbids framing (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``) so
    that no page can lay ours under its own to steal clicks. A preview card holds nothing
    to click but links to the site's pages, so it says ``frame-ancestors *`` instead, its
    other directives kept.

    >>> framable({"Content-Security-Policy": "img-src 'self'; frame-ancestors 'none'",
    ...           "X-Frame-Options": "DENY"})
    {'Content-Security-Policy': "img-src 'self'; frame-ancestors *"}
    """
    framed = {name: value for name, value in headers.items() if name != "X-Frame-Options"}
    policy = framed.get("Content-Security-Policy")
    if policy:
        framed["Content-Security-Policy"] = policy.replace(
            "frame-ancestors 'none'", "frame-ancestors *"
        )
    return framed


class SecurityHeaders:
    """Sets the security headers on every HTTP response (those of ``framable`` where the
    handler marked the response ``FRAMEABLE``), keeps responses built from the Host header
    out of shared caches, and makes redirects to this server root-relative."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers
        self.framed_headers = framable(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                chosen = self.framed_headers if scope.get(FRAMEABLE) else self.headers
                for name, value in chosen.items():
                    headers[name] = value
                if scope.get(HOST_REFLECTED):
                    headers["Cache-Control"] = private(headers.get("cache-control"))
                    headers.add_vary_header("Host")
                if "location" in headers:
                    headers["Location"] = root_relative(headers["location"], _own_hosts(scope))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _own_hosts(scope: Scope) -> list[str]:
    """The host[:port] names this request reached the server by: its Host header and the
    listening address (which Starlette uses when there is no Host header)."""
    hosts = [value.decode("latin-1") for name, value in scope["headers"] if name == b"host"]
    server = scope.get("server")
    if server:
        host, port = server[0], server[1]
        hosts += [f"{host}:{port}", str(host)] if port else [str(host)]
    return hosts
