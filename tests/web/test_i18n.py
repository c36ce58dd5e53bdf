"""The interface speaks the reader's language: every word a template writes through gettext has
its simplified Chinese in web/locales/zh, and a Chinese page carries none of the English chrome.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from babel.messages.extract import extract_python
from jinja2.ext import babel_extract

from pilotkg.web.i18n import LOCALES
from support.web import LiveServer

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
    """The message ids the web layer's Python marks with ``_`` (``i18n.translator``)."""
    found: set[str] = set()
    for path in WEB.rglob("*.py"):
        with path.open("rb") as module:
            for _line, _function, message, _comments in extract_python(module, ("_",), [], {}):
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
    (
        "/id/zone/shenzhen",
        ("Facts", "Sources", "As data", "Canonical IRI"),
        ("事实", "来源", "规范 IRI"),
    ),
    ("/queries/", ("Each query is a file", "parameters:"), ("预设查询", "参数：")),
    ("/sparql", ("SPARQL query", "Run query", "Examples"), ("SPARQL 查询", "运行查询", "示例")),
    ("/dumps/", ("The files of release", "media type"), ("版本", "媒体类型")),
    ("/search?q=shenzhen", ("results for",), ("的结果共", "搜索")),
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
