"""The scan behind "no English word in a Chinese page's own words", shared by the test that reads
the served HTML (tests/web/test_i18n.py) and the one that reads what Chromium renders
(tests/web/test_reader_browser.py), so that both hold the interface to the same rule.

A page's interface words are its text less what is not words or not the interface's: code
(``CODE_TAGS``), what the page marks as English (``lang="en"``: a label or literal in English,
the language switch), a name not to translate (``translate="no"``), and a link's text when the
link names a representation's media type (``<a type=…>``: its text is the format's name).
``not_interface`` says it of a tag an HTML parser meets; ``NOT_INTERFACE`` is the same rule as a
CSS selector, for the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import httpx

from pilotkg.web.knowledge import LABEL_PREDICATES
from support.web import LiveServer

#: Elements whose text is code, not words: a reader sees it as typed.
CODE_TAGS = ("script", "style", "code", "pre", "textarea", "kbd", "samp")
#: The elements ``not_interface`` leaves out, as a CSS selector.
NOT_INTERFACE = ", ".join(CODE_TAGS) + ', [lang|="en"], [translate="no"], a[type]'
#: An ASCII run that is an address, a prefixed name, a file, a number or a parameter, not a word.
_CODE_LIKE = re.compile(r"[:/.@#=_~\d]")


def not_interface(tag: str, attrs: Mapping[str, str | None]) -> bool:
    """Whether the text inside this element is none of the interface's words."""
    lang = attrs.get("lang") or ""
    return (
        tag in CODE_TAGS
        or lang == "en"
        or lang.startswith("en-")
        or attrs.get("translate") == "no"
        or (tag == "a" and "type" in attrs)
    )


def english_words(text: str, names: Iterable[str]) -> list[str]:
    """The English words of 3+ letters in ``text`` less ``names`` (data: labels that have no
    Chinese). An ASCII run that looks like code (an IRI, ``pilot:PilotZone``, ``pilotkg.ttl``,
    ``lang=zh``, a version) or holds two capitals (an acronym or a format's name: SPARQL,
    VoID, N-Triples, JSON-LD) is no word; every other run of letters is one, with no list of
    English words allowed."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    found = []
    for chunk in re.findall(r"[!-~]+", text):
        core = chunk.lstrip("([{<\"'").rstrip(")]}>,.;:!?\"'")
        if _CODE_LIKE.search(core) or sum(c.isupper() for c in core) >= 2:
            continue
        found += re.findall(r"[A-Za-z]{3,}", core)
    return found


def select_rows(server: LiveServer, query: str) -> list[dict[str, str]]:
    """A SELECT's rows from the server's endpoint, each as its variables' values."""
    response = httpx.get(
        f"{server.url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return [{name: cell["value"] for name, cell in row.items()} for row in rows]


def names_without_chinese(server: LiveServer) -> list[str]:
    """What a Chinese page may show in English because it is data, not interface: the labels
    of things that have no Chinese label, and the site's own name (its header's brand)."""
    predicates = " ".join(f"<{p}>" for p in LABEL_PREDICATES)
    rows = select_rows(
        server,
        f"SELECT DISTINCT ?label WHERE {{ VALUES ?p {{ {predicates} }} ?s ?p ?label "
        f"FILTER NOT EXISTS {{ VALUES ?q {{ {predicates} }} ?s ?q ?zh "
        'FILTER(langMatches(lang(?zh), "zh")) } }',
    )
    home = httpx.get(f"{server.url}/?lang=zh", headers={"Accept": "text/html"}, timeout=10).text
    brand = re.search(r'<a class="brand"[^>]*>([^<]+)</a>', home)
    assert brand, "the page header has no brand"
    return [brand.group(1), *(row["label"] for row in rows)]
