"""The interface speaks the reader's language: every word a template or the server writes through
gettext has its simplified Chinese in web/locales/zh, a Chinese page carries none of the English
chrome, and a reader's choice of language sticks (the ``lang`` cookie) without spoiling caches.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract
from starlette.testclient import TestClient

from pilotkg.namespaces import KIND_CLASSES
from pilotkg.web.app import create_app
from pilotkg.web.i18n import LOCALES
from pilotkg.web.kinds import kind_noun
from support.interface_words import (
    english_words,
    names_without_chinese,
    not_interface,
    select_rows,
)
from support.web import LiveServer, make_settings

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server

WEB = Path(__file__).resolve().parents[2] / "src" / "pilotkg" / "web"
TEMPLATES = WEB / "templates"
OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def _singular(message: object) -> str:
    """A message id or translation, or the first form of a plural one."""
    if isinstance(message, tuple | list):
        return str(message[0] or "")
    return str(message or "")


def _template_messages() -> set[str]:
    """The message ids of every template (a plural by its singular)."""
    found: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        with path.open("rb") as template:
            for _line, _function, message, _comments in babel_extract(
                template, ("_", "gettext", "ngettext"), [], OPTIONS
            ):
                found.add(_singular(message))
    return found


def _python_messages() -> set[str]:
    """The message ids the web layer's Python marks with ``_`` (``i18n.translator``) or asks of
    a catalogue by plural (``ngettext``, ``npgettext``: ``kinds``)."""
    keywords = {k: DEFAULT_KEYWORDS[k] for k in ("_", "ngettext", "npgettext")}
    found: set[str] = set()
    for path in WEB.rglob("*.py"):
        with path.open("rb") as module:
            for _line, message, _comments, _context in extract("python", module, keywords):
                found.add(_singular(message))
    return found


def test_every_interface_message_has_its_chinese_and_none_is_stale() -> None:
    with (LOCALES / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}
    used = _template_messages() | _python_messages()
    assert len(used) > 50
    assert sorted(used - set(translated)) == [], "messages without a Chinese translation"
    assert sorted(set(translated) - used) == [], "translations no template uses"
    untranslated = [key for key, text in translated.items() if not text]
    assert untranslated == []


#: Chrome each page kind shows in English, and what the Chinese page says instead (the canned
#: queries' titles and descriptions are the catalogue's English text, not chrome).
PAGES = [
    ("/", ("What is in it", "Designations and launches"), ("内容概览", "预设查询", "搜索")),
    ("/id/zone/shenzhen", ("Sources", "Canonical IRI"), ("来源", "规范 IRI")),
    ("/queries/", ("Each query is a file", "parameters:"), ("预设查询", "参数：")),
    ("/sparql", ("SPARQL query", "Run query", "Examples"), ("SPARQL 查询", "运行查询", "示例")),
    ("/dumps/", ("The files of release", "media type"), ("版本", "媒体类型")),
    ("/search?q=shenzhen", ("results for",), ("的结果共", "搜索")),
    ("/ontology", ("Classes", "Object properties"), ("类", "对象属性", "数据属性")),
    ("/id/zone/", ("AI pilot zones", "in this release"), ("人工智能试点区", "本版本中的全部")),
    ("/no/such/page", ("Not found", "There is no page at"), ("未找到", "没有对应的页面")),
]


def _text(page: str) -> str:
    """What a reader sees: the page less its tags, scripts and styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize(("path", "english", "chinese"), PAGES, ids=[p[0] for p in PAGES])
def test_a_chinese_page_has_no_english_chrome(
    live_server: LiveServer, path: str, english: tuple[str, ...], chinese: tuple[str, ...]
) -> None:
    joiner = "&" if "?" in path else "?"
    html = {"Accept": "text/html"}
    zh = _text(httpx.get(f"{live_server.url}{path}{joiner}lang=zh", headers=html, timeout=10).text)
    en = _text(httpx.get(f"{live_server.url}{path}{joiner}lang=en", headers=html, timeout=10).text)
    for word in english:
        assert word in en, f"the English page lost {word!r}"
        assert word not in zh, f"{path} in Chinese still says {word!r}"
    for word in chinese:
        assert word in zh, f"{path} in Chinese does not say {word!r}"


# --- the general scan: no English word in a Chinese page's own words ----------------------------

HTML = {"Accept": "text/html"}
#: Elements that hold no end tag, so never enclose text.
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


class _Words(HTMLParser):
    """The text of a page a reader sees as the interface's words: everything less what
    ``not_interface`` leaves out (code, what is marked English or not to translate, a format's
    name)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        self.open.append((tag, not_interface(tag, dict(attrs))))

    def handle_endtag(self, tag: str) -> None:
        if any(name == tag for name, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not any(skipped for _, skipped in self.open):
            self.text.append(data)


def _interface_text(page: str) -> str:
    words = _Words()
    words.feed(page)
    return " ".join(words.text)


def test_the_scan_finds_english_and_spares_code_and_data() -> None:
    page = (
        '<p>共 3 条 <a href="/x">Shenzhen</a> search results · VoID · N-Triples · '
        '<code>SELECT ?x</code> <span lang="en">Pudong</span> <a type="text/turtle">turtle</a>'
        " pilot:PilotZone /id/zone/ lang=zh pilotkg.ttl 1.0 SPARQL 端点 the brand</p>"
    )
    assert english_words(_interface_text(page), ["Shenzhen", "the brand"]) == [
        "search",
        "results",
    ]


@pytest.fixture(scope="module")
def data_names(live_server: LiveServer) -> list[str]:
    """What a Chinese page may show in English because it is data, not interface."""
    return names_without_chinese(live_server)


def _scanned(method: str, path: str, status: int, **headers: str) -> object:
    return pytest.param(method, path, headers, status, id=f"{method} {path}")


#: Every page kind, asked for in Chinese (``?lang=zh``, or Accept-Language where the request
#: refuses its own ``lang``), with the status it must have.
SCANNED = [
    _scanned("GET", "/", 200),
    _scanned("GET", "/id/zone/shenzhen", 200),
    _scanned("GET", "/id/region/guangdong", 200),
    _scanned("GET", "/id/zone/", 200),
    _scanned("GET", "/id/region/", 200),
    _scanned("GET", "/ontology", 200),
    _scanned("GET", "/ontology/PilotZone", 200),
    _scanned("GET", "/dumps/", 200),
    _scanned("GET", "/queries/", 200),
    _scanned("GET", "/queries/zones", 200),
    _scanned("GET", "/sparql", 200),
    _scanned("GET", "/search?q=深圳", 200),
    _scanned("GET", "/no/such/page", 404),
    _scanned("GET", "/id/zone/no-such-zone", 404),
    _scanned("GET", "/id/spaceship/", 404),
    _scanned("GET", "/id/zone/shenzhen.xyz", 404),
    _scanned("GET", "/dumps/no-such-file.ttl", 404),
    _scanned("POST", "/ontology", 405),
    _scanned("GET", "/id/zone/?lang=fr", 400, **{"Accept-Language": "zh-CN,zh;q=0.9"}),
]


@pytest.mark.parametrize(("method", "path", "headers", "status"), SCANNED)
def test_a_chinese_page_shows_no_english_word(
    live_server: LiveServer,
    data_names: list[str],
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    url = f"{live_server.url}{path}"
    if "lang=" not in path:
        url += ("&" if "?" in path else "?") + "lang=zh"
    response = httpx.request(method, url, headers={**HTML, **headers}, timeout=10)
    assert response.status_code == status, response.text[:500]
    assert '<html lang="zh">' in response.text
    words = english_words(_interface_text(response.text), data_names)
    assert words == [], f"{method} {path} in Chinese shows English: {sorted(set(words))}"


#: What each error page says in Chinese: its title and its sentence.
ERRORS = [
    ("GET", "/no/such/page", {}, 404, ("404 · 未找到", "网址 /no/such/page 没有对应的页面。")),
    ("GET", "/id/spaceship/", {}, 404, ("未找到", "网址 /id/spaceship/ 没有列表", "/id/zone/")),
    ("GET", "/dumps/nothing.ttl", {}, 404, ("没有此文件", "本版本没有文件“nothing.ttl”")),
    (
        "POST",
        "/ontology",
        {},
        405,
        ("405 · 不接受此请求方法", "此处不接受 POST 请求；本服务器只读。"),
    ),
    (
        "GET",
        "/id/zone/?lang=fr",
        {"Accept-Language": "zh"},
        400,
        ("400 · 请求有误", "请以 lang=en 或 lang=zh 选择语言，而不是 lang=fr。"),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "says"), ERRORS, ids=[e[1] for e in ERRORS]
)
def test_an_error_page_speaks_chinese(
    live_server: LiveServer,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    says: tuple[str, ...],
) -> None:
    url = f"{live_server.url}{path}" + ("" if "lang=" in path else "?lang=zh")
    response = httpx.request(method, url, headers={**HTML, **headers}, timeout=10)
    assert response.status_code == status
    text = _text(response.text)
    for words in says:
        assert words in text, (words, text[:800])


def test_a_script_that_names_no_language_gets_english_errors(live_server: LiveServer) -> None:
    plain = {"Accept": "text/plain"}
    english = httpx.get(f"{live_server.url}/no/such/page", headers=plain, timeout=10)
    assert english.text == "404 Not found: There is no page at /no/such/page.\n"
    chinese = httpx.get(
        f"{live_server.url}/no/such/page", headers={**plain, "Accept-Language": "zh"}, timeout=10
    )
    assert chinese.text == "404 未找到: 网址 /no/such/page 没有对应的页面。\n"
    refused = httpx.get(f"{live_server.url}/?lang=de", headers=plain, timeout=10)
    assert refused.status_code == 400
    assert (
        refused.text
        == "400 Bad request: Choose the language with lang=en or lang=zh, not lang=de.\n"
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_kind_is_named_for_one_by_its_class_label(live_server: LiveServer, lang: str) -> None:
    classes = " ".join(f"<{cls}>" for cls in KIND_CLASSES.values())
    rows = select_rows(
        live_server,
        f"SELECT ?cls ?label WHERE {{ VALUES ?cls {{ {classes} }} "
        f'?cls <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = "{lang}") }}',
    )
    labels = {row["cls"]: row["label"] for row in rows}
    assert set(labels) == set(KIND_CLASSES.values())
    for kind, cls in KIND_CLASSES.items():
        assert kind_noun(kind, 1, lang) == labels[cls], kind


def test_counts_and_lists_name_their_kind_in_the_plural(live_server: LiveServer) -> None:
    home = httpx.get(f"{live_server.url}/?lang=en", headers=HTML, timeout=10).text
    counts = re.findall(r"<strong>(\d+)</strong> ([^<]+)</a>", home)
    assert counts, "the home page lists no counts"
    for count, noun in counts:
        assert noun.strip() != "", count
    zones = dict((noun.strip(), int(n)) for n, noun in counts)
    assert zones.get("AI pilot zones", 0) > 1, counts  # the fixture holds several zones
    listing = httpx.get(f"{live_server.url}/id/zone/?lang=en", headers=HTML, timeout=10).text
    assert re.search(r"<h1>AI pilot zones <small>\(\d+\)</small></h1>", listing), listing[:2000]
    assert "<title>AI pilot zones · pilotkg</title>" in listing
    home_zh = httpx.get(f"{live_server.url}/?lang=zh", headers=HTML, timeout=10).text
    assert "人工智能试点区</a>" in home_zh
    assert "<title>中国人工智能试点区、中试基地与政策 · pilotkg</title>" in home_zh


# --- the choice sticks: the lang cookie, and what it does to caching --------------------------


def _html_lang(page: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', page)
    assert found, "the page does not say its language"
    return found.group(1)


def test_the_language_switch_is_remembered_across_requests(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, headers=HTML, timeout=10) as reader:
        first = reader.get("/id/zone/")  # a first visit, no Accept-Language: English
        assert _html_lang(first.text) == "en" and "set-cookie" not in first.headers
        switch = re.search(r'<a class="lang" ([^>]*)>中文</a>', first.text)
        assert switch, "the English page has no visible switch to Chinese"
        assert 'hreflang="zh"' in switch.group(1) and 'lang="zh"' in switch.group(1)
        href = re.search(r'href="([^"]*)"', switch.group(1))
        assert href
        switched = reader.get(unescape(href.group(1)))
        assert _html_lang(switched.text) == "zh"
        cookie = switched.headers["set-cookie"]
        assert cookie.startswith("lang=zh;")
        attributes = {a.strip().split("=")[0] for a in cookie.split(";")}
        assert {"Path", "Max-Age", "SameSite", "HttpOnly"} <= attributes
        assert "Path=/;" in cookie and "SameSite=Lax" in cookie
        assert switched.headers["cache-control"].startswith("private")
        # Later pages without ?lang= keep the choice, over the browser's own language too.
        later = reader.get("/ontology", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert _html_lang(later.text) == "zh" and "set-cookie" not in later.headers
        assert "对象属性" in later.text
        # A link that carries the language the reader has sets nothing.
        followed = reader.get("/dumps/?lang=zh")
        assert _html_lang(followed.text) == "zh" and "set-cookie" not in followed.headers
        back = reader.get("/dumps/?lang=en")
        assert back.headers["set-cookie"].startswith("lang=en;")
        assert _html_lang(reader.get("/id/zone/").text) == "en"


def test_a_first_visit_follows_accept_language(live_server: LiveServer) -> None:
    first = httpx.get(
        f"{live_server.url}/id/zone/",
        headers={**HTML, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
        timeout=10,
    )
    assert _html_lang(first.text) == "zh" and "set-cookie" not in first.headers


def test_the_cookie_is_scoped_to_the_apps_root() -> None:
    app = create_app(make_settings(base_url="https://example.org/pilotkg/"))
    client = TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    cookie = client.get("/id/zone/?lang=zh", headers=HTML).headers["set-cookie"]
    assert "Path=/pilotkg;" in cookie and cookie.endswith("Secure")


#: Responses in the reader's language, by page kind and representation.
IN_THE_READERS_LANGUAGE = [
    ("/", "text/html"),
    ("/id/zone/shenzhen", "text/html"),
    ("/id/zone/", "text/html"),
    ("/ontology", "text/html"),
    ("/dumps/", "text/html"),
    ("/no/such/page", "text/html"),
    ("/no/such/page", "text/plain"),
    ("/search?q=shen", "application/json"),
]


def _vary(response: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in ",".join(response.headers.get_list("vary")).split(",")}


@pytest.mark.parametrize(("path", "accept"), IN_THE_READERS_LANGUAGE)
def test_what_the_cookie_changes_says_vary_cookie(
    live_server: LiveServer, path: str, accept: str
) -> None:
    response = httpx.get(f"{live_server.url}{path}", headers={"Accept": accept}, timeout=10)
    assert {"accept", "accept-language", "cookie"} <= _vary(response), response.headers


def test_rdf_does_not_vary_with_the_cookie(live_server: LiveServer) -> None:
    turtle = httpx.get(f"{live_server.url}/id/zone/shenzhen.ttl", timeout=10)
    assert turtle.status_code == 200 and "cookie" not in _vary(turtle)


def test_a_remembered_page_is_kept_once_per_chosen_language(live_server: LiveServer) -> None:
    def home(cookie: str) -> httpx.Response:
        return httpx.get(
            f"{live_server.url}/id/zone/shenzhen", headers={**HTML, "Cookie": cookie}, timeout=10
        )

    zh, en, zh_again = home("lang=zh"), home("lang=en"), home("lang=zh")
    assert (_html_lang(zh.text), _html_lang(en.text)) == ("zh", "en")
    assert zh_again.text == zh.text and zh.headers["etag"] != en.headers["etag"]
    stale = home("lang=fr")  # a cookie the interface cannot speak is ignored
    assert _html_lang(stale.text) == "en"
