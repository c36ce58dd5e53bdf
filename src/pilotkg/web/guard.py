"""Look at a SPARQL text before it runs: its form, and where its SERVICE calls would go.

pyoxigraph resolves ``SERVICE`` by making the HTTP request itself and offers no
hook to stop it, so the decision must be made on the text. A full parser is
not needed for that: the lexical rules that decide what is a comment, a string
or an IRI are few, and this scanner follows them. Where it is unsure it errs
towards refusing: a SERVICE whose target it cannot resolve to an absolute IRI
(a variable, a relative IRI, an unknown prefix) is refused. Update operations
are recognised by their first keyword so the endpoint can say it is read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..namespaces import PREFIXES

Form = Literal["select", "ask", "construct", "describe", "update", "unknown"]

_UPDATE_KEYWORDS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}
)
_QUERY_KEYWORDS = frozenset({"select", "ask", "construct", "describe"})

_PN_LOCAL_ESCAPE = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_TOKEN = re.compile(
    rf"""(?P<space>\s+)
      | (?P<comment>\#[^\n\r]*)
      | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                   |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
      | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
      | (?P<var>[?$]\w+)
      | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w.:%\-]|{_PN_LOCAL_ESCAPE})*)
      | (?P<word>[^\W\d]\w*)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True)
class Service:
    """One SERVICE call: the text written after the keyword, and the IRI it resolves to."""

    written: str
    iri: str | None  # None when it cannot be resolved to an absolute IRI


@dataclass(frozen=True)
class QueryShape:
    """What the scanner learnt about a query text."""

    form: Form
    services: tuple[Service, ...]

    def refused_services(self, allowlist: tuple[str, ...]) -> list[Service]:
        """The SERVICE calls that go anywhere but an endpoint on ``allowlist``."""
        return [s for s in self.services if s.iri is None or s.iri not in allowlist]


def tokens(text: str) -> list[Token]:
    """The significant tokens of ``text`` (whitespace and comments dropped)."""
    return [
        Token(m.lastgroup or "other", m.group())
        for m in _TOKEN.finditer(text)
        if m.lastgroup not in ("space", "comment")
    ]


def _iri_value(token: Token) -> str:
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token.text[1:-1])


def analyse(text: str, default_prefixes: dict[str, str] | None = None) -> QueryShape:
    """The form of the query in ``text`` and every SERVICE target it names.

    >>> shape = analyse("PREFIX w: <https://query.wikidata.org/> "
    ...                 "SELECT * { SERVICE w:sparql { ?s ?p ?o } }")
    >>> shape.form, shape.services[0].iri
    ('select', 'https://query.wikidata.org/sparql')
    >>> analyse("INSERT DATA { <a:b> <a:c> <a:d> }").form
    'update'
    """
    prefixes = dict(PREFIXES if default_prefixes is None else default_prefixes)
    toks = tokens(text)
    form: Form = "unknown"
    position = 0
    # The prologue: BASE <iri> and PREFIX name: <iri>, in any order.
    while position < len(toks):
        word = toks[position].text.lower()
        if word == "base" and position + 1 < len(toks):
            position += 2
        elif word == "prefix" and position + 2 < len(toks):
            name, iri = toks[position + 1], toks[position + 2]
            if name.kind == "pname" and iri.kind == "iri":
                value = _iri_value(iri)
                # A relative namespace would be resolved against BASE: treat it as unknown.
                if _ABSOLUTE.match(value):
                    prefixes[name.text[:-1]] = value
                else:
                    prefixes.pop(name.text[:-1], None)
            position += 3
        else:
            break
    if position < len(toks) and toks[position].kind == "word":
        first = toks[position].text.lower()
        if first in _QUERY_KEYWORDS:
            form = first  # type: ignore[assignment]
        elif first in _UPDATE_KEYWORDS:
            form = "update"
    services = []
    for index, token in enumerate(toks):
        if token.kind == "word" and token.text.lower() == "service":
            target = index + 1
            if target < len(toks) and toks[target].text.lower() == "silent":
                target += 1
            written = toks[target] if target < len(toks) else Token("other", "")
            services.append(Service(written.text, _resolve(written, prefixes)))
    return QueryShape(form, tuple(services))


def _resolve(token: Token, prefixes: dict[str, str]) -> str | None:
    """The absolute IRI a SERVICE target names, or None (variable, relative IRI, unknown prefix)."""
    if token.kind == "iri":
        value = _iri_value(token)
        return value if _ABSOLUTE.match(value) else None
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None
