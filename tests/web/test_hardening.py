"""The security review's findings on ``pilotkg serve``, each pinned by a test that failed before its fix.

In-process (``web_client``) for breadth, and the real server (``live_server``)
where only a real server shows the behaviour: headers as uvicorn sends them,
the Host header as a client sends it, and connections that send their request
headers too slowly.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
import re
import socket
import time
from collections.abc import Callable

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from pilotkg.web.app import create_app
from pilotkg.web.protocol import header_timeout_protocol
from pilotkg.web.security import (
    YASGUI_INTEGRITY,
    YASGUI_STYLE_HASHES,
    YASGUI_URL,
    YASGUI_VERSION,
)
from support.paths import PROJECT
from support.web import TEST_SETTINGS, AnyResponse, LiveServer, free_port, make_settings

# the shared fixtures: web_client, live_server; browser (Debian's headless Chromium)
pytest_plugins = ["support.web_fixtures", "support.browser"]

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EVIL = "evil.example"
STATIC = PROJECT / "src" / "pilotkg" / "web" / "static"


def hrefs(page: str) -> list[str]:
    """Every href and action of a page, unescaped."""
    return [html.unescape(v) for v in re.findall(r'(?:href|action)="([^"]*)"', page)]


def switch_link(page: str) -> str:
    found = re.search(r'<a class="lang" href="([^"]*)"', page)
    assert found, "the page has no language-switch link"
    return html.unescape(found.group(1))


def client_with(**changes: object) -> TestClient:
    """A client of an app with changed settings, started without its lifespan (no query
    workers): enough for pages, errors and headers, and cheap to build."""
    return TestClient(
        create_app(make_settings(**changes)),
        base_url="http://127.0.0.1:8000",
        raise_server_exceptions=False,
    )


# --- 1. entity paths that are not IRIs ---------------------------------------------------------

NOT_IRIS = [
    "/id/zone/a%20b",
    "/id/zone/%00",
    "/id/zone/%3Cx%3E",
    "/id/zone/a%22b",
    "/id/zone/a%20b.ttl",
    "/ontology/a%20b",
    "/ontology/%3Cx%3E.ttl",
]


@pytest.mark.parametrize("path", NOT_IRIS)
@pytest.mark.parametrize("accept", [BROWSER, "text/turtle"])
def test_paths_that_are_not_iris_give_404_and_log_nothing(
    web_client: TestClient, caplog: pytest.LogCaptureFixture, path: str, accept: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = web_client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    if accept == BROWSER:
        assert "<h1>404" in response.text and "Search" in response.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_paths_that_are_not_iris_give_404_on_the_real_server(live_server: LiveServer) -> None:
    for path in ("/id/zone/%3Cx%3E", "/id/zone/a%20b", "/id/zone/%00"):
        assert httpx.get(live_server.url + path, headers={"Accept": BROWSER}).status_code == 404
    assert "Traceback" not in live_server.log.read_text(errors="replace")


# --- 2. links built from known paths only -------------------------------------------------------


def test_a_path_naming_another_host_never_becomes_a_link(web_client: TestClient) -> None:
    response = web_client.get(f"http://127.0.0.1:8000//{EVIL}/x", headers={"Accept": BROWSER})
    assert response.status_code == 404
    links = hrefs(response.text)
    assert links and not [link for link in links if link.startswith("//") or EVIL in link]
    assert switch_link(response.text) == "/?lang=zh"


@pytest.mark.parametrize(
    ("path", "switch"),
    [
        ("/id/zone/shenzhen?x=%3Cy%3E&lang=en", "/id/zone/shenzhen?lang=zh"),
        ("/id/zone/no-such-zone", "/id/zone/no-such-zone?lang=zh"),
        ("/id/zone/%5C%5Cevil.example", "/id/zone/%5C%5Cevil.example?lang=zh"),
        ("/search?q=%E6%B7%B1%E5%9C%B3&lang=zh", "/search?q=%E6%B7%B1%E5%9C%B3&lang=en"),
        ("/id/zone/", "/id/zone/?lang=zh"),
        ("/", "/?lang=zh"),
    ],
)
def test_the_language_switch_is_a_path_of_ours(
    web_client: TestClient, path: str, switch: str
) -> None:
    page = web_client.get(path, headers={"Accept": BROWSER}).text
    assert switch_link(page) == switch


def test_a_path_naming_another_host_never_becomes_a_link_on_the_real_server(
    live_server: LiveServer,
) -> None:
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as connection:
        connection.sendall(
            f"GET //{EVIL}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404")
    links = hrefs(body.decode())
    assert links and not [link for link in links if link.startswith("//") or EVIL in link]


# --- 3. security headers ------------------------------------------------------------------------


def policy(response: AnyResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy of a response as ``{directive: [sources]}``."""
    header = response.headers.get("content-security-policy", "")
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def check_security_headers(response: AnyResponse) -> None:
    csp = policy(response)
    assert csp.get("default-src") == ["'self'"]
    assert "'self'" in csp["script-src"] and "'self'" in csp["style-src"]
    assert csp.get("img-src") == ["'self'", "data:"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("base-uri") == ["'none'"]
    assert csp.get("form-action") == ["'self'"]
    assert csp.get("object-src") == ["'none'"]
    every_source = [source for sources in csp.values() for source in sources]
    assert "'unsafe-inline'" not in every_source and "'unsafe-eval'" not in every_source
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert response.headers.get_list("referrer-policy") == ["strict-origin-when-cross-origin"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


SOME_RESPONSES = [
    ("GET", "/", BROWSER),
    ("GET", "/id/zone/shenzhen", BROWSER),
    ("GET", "/id/zone/shenzhen.ttl", None),
    ("GET", "/sparql", BROWSER),
    ("GET", "/sparql?query=ASK%7B%7D", None),
    ("GET", "/map.svg", None),
    ("GET", "/static/style.css", None),
    ("GET", "/dumps/SHA256SUMS", None),
    ("GET", "/no/such/page", BROWSER),
    ("GET", "/no/such/page", "text/plain"),
    ("HEAD", "/ontology", None),
    ("DELETE", "/sparql", None),
    ("GET", "/dumps", None),  # the redirect to /dumps/
]


@pytest.mark.parametrize(("method", "path", "accept"), SOME_RESPONSES)
def test_every_response_carries_the_security_headers(
    web_client: TestClient, method: str, path: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = web_client.request(method, path, headers=headers, follow_redirects=False)
    check_security_headers(response)


def test_security_headers_on_304_preflight_and_500(
    web_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = web_client.get("/ontology")
    again = web_client.get("/ontology", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    check_security_headers(again)
    preflight = web_client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    check_security_headers(preflight)

    site = web_client.app.state.site  # type: ignore[attr-defined]

    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(site.knowledge, "class_counts", broken)
    monkeypatch.setattr(site, "_pages", type(site._pages)())
    failed = web_client.get("/", headers={"Accept": BROWSER})
    assert failed.status_code == 500
    check_security_headers(failed)


def style_hashes(text: str) -> set[str]:
    """The CSP hash source of each inline <style> element of a page."""
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<style[^>]*>(.*?)</style>", text, flags=re.S)
    }


def test_the_policy_allows_the_inline_svg_styles_by_hash(web_client: TestClient) -> None:
    home = web_client.get("/", headers={"Accept": BROWSER})
    styles = style_hashes(home.text)
    assert len(styles) == 3  # the map's, the timeline's (both layouts), the bar charts'
    assert styles <= set(policy(home)["style-src"])
    for picture in ("/map.svg", "/timeline.svg"):
        alone = web_client.get(picture)
        assert style_hashes(alone.text) and style_hashes(alone.text) <= set(
            policy(alone)["style-src"]
        )


PAGES = [
    "/",
    "/id/zone/shenzhen",
    "/id/zone/",
    "/ontology",
    "/sparql",
    "/search?q=shenzhen",
    "/queries/",
    "/queries/zones",
    "/dumps/",
    "/no/such/page",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style_attribute(web_client: TestClient, path: str) -> None:
    """What the policy would block: a script without src, a style= or on…= attribute."""
    page = web_client.get(path, headers={"Accept": BROWSER}).text
    # a JSON-LD data block (the home page's schema.org Dataset) is never run, so no policy blocks it
    assert not re.search(
        r'<script(?![^>]*\ssrc=)(?![^>]*\stype="application/ld\+json")[^>]*>', page
    )
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


@pytest.mark.parametrize(
    "path", ["/", "/id/zone/shenzhen.ttl", "/static/query.js", "/no/such/page", "/sparql"]
)
def test_the_real_server_sends_the_security_headers(live_server: LiveServer, path: str) -> None:
    check_security_headers(httpx.get(live_server.url + path, headers={"Accept": BROWSER}))


# --- 4. YASGUI pinned, with Subresource Integrity -----------------------------------------------


def yasgui_box(page: str) -> dict[str, str]:
    """The data- attributes of the #yasgui element of the query page."""
    found = re.search(r'<div id="yasgui"([^>]*)>', page)
    assert found, "the query page has no #yasgui element"
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1))}


def test_yasgui_is_pinned_with_integrity_by_default(web_client: TestClient) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", YASGUI_VERSION)
    assert YASGUI_URL.endswith(f"@zazuko/yasgui@{YASGUI_VERSION}")
    response = web_client.get("/sparql", headers={"Accept": BROWSER})
    box = yasgui_box(response.text)
    assert box["js"] == f"{YASGUI_URL}/build/yasgui.min.js"
    assert box["css"] == f"{YASGUI_URL}/build/yasgui.min.css"
    for kind in ("js", "css"):
        integrity = box[f"{kind}-integrity"]
        assert integrity == YASGUI_INTEGRITY[f"build/yasgui.min.{kind}"]
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", integrity)
    source = f"{YASGUI_URL}/build/"
    assert source in policy(response)["script-src"] and source in policy(response)["style-src"]
    # The column resizer's own <style> texts in that build, allowed by their hashes.
    assert set(YASGUI_STYLE_HASHES) <= set(policy(response)["style-src"])


def test_another_yasgui_url_gets_no_integrity_but_is_allowed_by_the_policy() -> None:
    client = client_with(yasgui_cdn_url="https://mirror.example/yasgui/")
    response = client.get("/sparql", headers={"Accept": BROWSER})
    box = yasgui_box(response.text)
    assert box["js"] == "https://mirror.example/yasgui/build/yasgui.min.js"
    assert box["js-integrity"] == "" and box["css-integrity"] == ""
    assert policy(response)["script-src"] == ["'self'", "https://mirror.example/yasgui/build/"]
    assert not set(YASGUI_STYLE_HASHES) & set(policy(response)["style-src"])


def test_no_yasgui_url_leaves_only_self_in_the_policy() -> None:
    response = client_with(yasgui_cdn_url="").get("/sparql", headers={"Accept": BROWSER})
    assert yasgui_box(response.text).get("js", "") == ""
    assert policy(response)["script-src"] == ["'self'"]
    assert '<form id="plain"' in response.text


def test_query_script_asks_for_integrity_when_it_has_a_hash() -> None:
    script = (STATIC / "query.js").read_text()
    assert "integrity" in script and 'crossOrigin = "anonymous"' in script


# --- 5. the Host header in cacheable responses --------------------------------------------------


def test_a_response_that_reflects_the_host_is_not_publicly_cacheable(
    web_client: TestClient,
) -> None:
    described = web_client.get("/sparql", headers={"Accept": "text/turtle", "Host": EVIL})
    assert described.status_code == 200
    assert f"<http://{EVIL}/sparql>" in described.text  # no --base-url: each request's own
    cache = described.headers["cache-control"]
    assert "private" in cache and "public" not in cache
    page = web_client.get("/id/zone/shenzhen", headers={"Accept": BROWSER, "Host": EVIL})
    assert EVIL not in page.text and page.headers["cache-control"].startswith("public")


def test_with_a_base_url_the_host_is_never_reflected() -> None:
    client = client_with(base_url="https://kg.example/")
    described = client.get("/sparql", headers={"Accept": "text/turtle", "Host": EVIL})
    assert "<https://kg.example/sparql>" in described.text and EVIL not in described.text
    assert described.headers["cache-control"].startswith("public")


def test_redirects_are_root_relative(web_client: TestClient) -> None:
    response = web_client.get("/dumps?x=1", headers={"Host": EVIL}, follow_redirects=False)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"] == "/dumps/?x=1"


def test_the_real_server_keeps_the_host_out_of_shared_caches(live_server: LiveServer) -> None:
    described = httpx.get(
        live_server.url + "/sparql", headers={"Accept": "text/turtle", "Host": EVIL}
    )
    assert f"<http://{EVIL}/sparql>" in described.text
    assert "public" not in described.headers["cache-control"]
    assert "private" in described.headers["cache-control"]
    moved = httpx.get(live_server.url + "/queries", headers={"Host": EVIL})
    assert moved.headers["location"] == "/queries/"


# --- 6. the page cache ignores parameters no page reads -----------------------------------------


@pytest.mark.parametrize("path", ["/id/zone/shanghai-pudong", "/ontology/PilotZone", "/"])
def test_other_query_parameters_share_one_remembered_page(
    web_client: TestClient, path: str
) -> None:
    site = web_client.app.state.site  # type: ignore[attr-defined]
    first = web_client.get(path, headers={"Accept": BROWSER})
    assert first.status_code == 200
    entries = len(site._pages)
    separator = "&" if "?" in path else "?"
    for n in range(5):
        again = web_client.get(f"{path}{separator}x={n}&utm=%3Cb%3E", headers={"Accept": BROWSER})
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert len(site._pages) == entries
    zh = web_client.get(f"{path}{separator}lang=zh&x=1", headers={"Accept": BROWSER})
    assert zh.content != first.content and len(site._pages) == entries + 1
    assert "utm" not in zh.text


# --- 7. slow request headers --------------------------------------------------------------------


def read_until_closed(connection: socket.socket, trickle: bytes, limit_s: float) -> float:
    """Send ``trickle`` one byte every 0.2 s (never finishing the headers) and return the seconds
    until the server closed the connection; fails after ``limit_s``."""
    start = time.monotonic()
    connection.setblocking(False)
    sent = 0
    while time.monotonic() - start < limit_s:
        try:
            if connection.recv(4096) == b"":
                return time.monotonic() - start
        except BlockingIOError:
            pass
        except ConnectionResetError:
            return time.monotonic() - start
        try:
            connection.send(trickle[sent % len(trickle) : sent % len(trickle) + 1])
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
        time.sleep(0.2)
    pytest.fail(f"the server still held the connection open after {limit_s} s")


def test_slow_request_headers_are_cut_off_by_the_real_server(live_server: LiveServer) -> None:
    timeout_s = float(dict(TEST_SETTINGS)["header_timeout_s"])  # the setting reaches uvicorn
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed = read_until_closed(connection, b"X-Slow: yes\r\n", timeout_s + 5)
    assert timeout_s - 1 <= elapsed <= timeout_s + 5
    # The server still answers everyone else.
    assert httpx.get(live_server.url + "/sparql?query=ASK%7B%7D").status_code == 200


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    """The smallest ASGI app: 200 and a word, for the protocol test."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def test_the_protocol_closes_connections_whose_headers_are_late() -> None:
    """uvicorn in-process with a half-second deadline: an idle connection, a slow one, and the
    next request on a kept-alive connection are closed at the deadline; a prompt request is
    answered."""
    deadline = 0.5
    port = free_port()

    async def closed_after(reader: asyncio.StreamReader, limit: float) -> float:
        start = time.monotonic()
        data = await asyncio.wait_for(reader.read(), timeout=limit)
        assert b"hello" not in data
        return time.monotonic() - start

    async def scenario() -> list[float]:
        config = uvicorn.Config(
            _hello,
            host="127.0.0.1",
            port=port,
            http=header_timeout_protocol(deadline),
            lifespan="off",
            log_level="warning",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            waits = []
            # Idle: connects and sends nothing.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            waits.append(await closed_after(reader, deadline + 2))
            writer.close()
            # Slow: a byte every 0.1 s never resets the deadline.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            start = time.monotonic()
            for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n":
                if reader.at_eof() or time.monotonic() - start > deadline + 2:
                    break
                writer.write(bytes([byte]))
                await asyncio.sleep(0.1)
            await closed_after(reader, deadline + 2)
            waits.append(time.monotonic() - start)
            writer.close()
            # Prompt: answered; then the next request on the same connection is late.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = await asyncio.wait_for(reader.readuntil(b"hello"), timeout=5)
            assert answer.startswith(b"HTTP/1.1 200")
            writer.write(b"GET / HTTP/1.1\r\n")
            waits.append(await closed_after(reader, deadline + 2))
            writer.close()
            return waits
        finally:
            server.should_exit = True
            await task

    idle, slow, kept_alive = asyncio.run(scenario())
    assert deadline * 0.8 <= idle <= deadline + 1
    assert slow <= deadline + 1.5
    assert deadline * 0.8 <= kept_alive <= deadline + 1


# --- 3 and 4 in a browser: the policy breaks nothing, and a changed CDN file does not run -------

#: Collects every report of the page's policy, before any script of the page runs.
RECORD_VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation', e =>"
    " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def offline_tab(browser: Browser, server: LiveServer, cdn: Callable[[Route], None]) -> Page:
    """A tab that reaches only the live server; requests elsewhere go to ``cdn``."""
    tab = browser.new_context().new_page()
    tab.add_init_script(RECORD_VIOLATIONS)

    def route(request: Route) -> None:
        if request.request.url.startswith(server.url):
            request.continue_()
        else:
            cdn(request)

    tab.route("**/*", route)
    tab.set_default_timeout(15_000)
    return tab


@pytest.mark.browser
def test_pages_keep_their_styles_under_the_policy(
    browser: Browser, live_server: LiveServer
) -> None:
    tab = offline_tab(browser, live_server, lambda request: request.abort())
    tab.goto(live_server.url + "/")
    province = tab.locator(".china-map path.province:not(.has)").first
    expect(province).to_be_attached()
    # The map's own inline <style> applied (allowed by its hash): provinces are light grey, not black.
    assert province.evaluate("e => getComputedStyle(e).fill") == "rgb(236, 239, 242)"
    assert tab.evaluate("window.__violations") == []
    for path in ("/id/zone/shenzhen", "/search?q=shenzhen", "/map.svg", "/no/such/page"):
        tab.goto(live_server.url + path)
        assert tab.evaluate("window.__violations") == [], path
    tab.context.close()


@pytest.mark.browser
def test_a_changed_yasgui_file_is_refused(browser: Browser, live_server: LiveServer) -> None:
    """The CDN answers with other bytes (``window.__tampered = true``): with the pinned hash
    the browser refuses the script, and the plain query form stays."""

    def tampered(request: Route) -> None:
        css = request.request.url.endswith(".css")
        request.fulfill(
            status=200,
            body="body{display:none}" if css else "window.__tampered = true;",
            content_type="text/css" if css else "application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    tab = offline_tab(browser, live_server, tampered)
    messages: list[str] = []
    tab.on("console", lambda message: messages.append(message.text))
    tab.goto(live_server.url + "/sparql")
    expect(tab.locator("#yasgui")).to_have_count(0)  # removed when the script failed to load
    assert tab.evaluate("window.__tampered === undefined")
    expect(tab.locator("#plain textarea")).to_be_visible()
    assert any("integrity" in m for m in messages), messages
    tab.context.close()
