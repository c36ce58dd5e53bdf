"""Decide, before a query runs, whether it may run and in which kind of worker.

pyoxigraph resolves ``SERVICE`` by making the HTTP request itself and offers no
hook to stop it, so the decision is made before the query reaches the engine,
on what a real SPARQL parser reads in it, never on a hand-written lexer alone:
a lexer that reads ``<'>`` in ``FILTER(?a<'>#')`` as an IRI where the grammar
reads a less-than and a string takes the rest of the line for a comment, and
misses the ``SERVICE`` that follows. The rules:

* A text in which the letters ``service`` never occur (in any case, after
  ``\\u`` escapes are decoded) cannot call a service in any reading. It runs in
  a *sealed* worker, which has no network at all (see ``sandbox.py``), so even
  a parser bug could not make it reach anything.
* Otherwise rdflib's SPARQL 1.1 parser reads it. Every ``SERVICE`` in its parse
  tree must name an endpoint of the allow-list exactly, after normalisation
  (scheme and host in lower case, default port dropped); a variable is refused.
  A text with no ``SERVICE`` in the tree runs sealed as well.
* A query whose tree has allowed ``SERVICE`` calls runs in the one worker that
  may open connections. Because two parsers can still disagree about where a
  string or comment ends, such a text must also pass a check that needs no
  lexer at all: every occurrence of the letters ``service`` is the keyword,
  followed by an allowed IRI written in full (``SERVICE <https://…>``). So
  whatever the engine reads as ``SERVICE`` can only be one of these.
* A text that rdflib cannot parse is given to a sealed worker to parse only:
  if the engine rejects it too, the client gets the engine's message; if the
  engine accepts what the guard could not read, the query is refused.

Update operations are recognised by their first keyword so that the endpoint
can say it is read-only (the engine would refuse them anyway), and the nesting
depth is measured on the tokens before anything parses, because the engine's
recursive-descent parser overflows its stack on thousands of nested groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ..namespaces import PREFIXES
from ..sparqltext import CODE_POINT_ESCAPE, Form, form_of, nesting_depth, unescape
from .lookups import is_subject_lookup

Lane = Literal["sealed", "federated"]

_SERVICE_LETTERS = re.compile("service", re.IGNORECASE)
#: What must follow every occurrence of "service" in a federated query.
_SERVICE_CALL = re.compile(r"service\s+(?:silent\s+)?<([^<>\s]*)>", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """What the guard decided about one query text.

    ``status`` is 0 when the query may run; else the HTTP status and ``message``
    say why not. ``check_only`` is set when the guard could not read the text: a
    sealed worker then only parses it, and answers ``check_only`` (403) if the
    engine accepts it. ``inline`` says the query is a lookup the server answers in
    its own process (``lookups.is_subject_lookup``).
    """

    form: Form
    lane: Lane = "sealed"
    status: int = 0
    message: str = ""
    check_only: str = ""
    endpoints: tuple[str, ...] = ()  # the allowed SERVICE endpoints a federated query calls
    inline: bool = False


def normalise_endpoint(iri: str) -> str | None:
    """``iri`` as an HTTP(S) endpoint compares: scheme and host lower-cased, default port
    dropped, empty path as ``/``; None when it is not an absolute http(s) IRI with a host.

    >>> normalise_endpoint("HTTPS://Query.Wikidata.org:443/sparql")
    'https://query.wikidata.org/sparql'
    >>> normalise_endpoint("https://query.wikidata.org@127.0.0.1/sparql") is None
    True
    """
    try:
        parts = urlsplit(iri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def judge(
    text: str,
    allowlist: tuple[str, ...],
    *,
    max_depth: int,
    default_prefixes: dict[str, str] | None = None,
) -> Verdict:
    """The guard's decision on ``text`` (see the module's docstring for the rules)."""
    form = form_of(text)
    if form == "update":
        return Verdict(
            form,
            status=403,
            message=(
                "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR …) is "
                "refused. Download the dumps under /dumps/ to change a copy of the data."
            ),
        )
    depth, _ = nesting_depth(text)
    if depth > max_depth:
        return Verdict(
            form,
            status=400,
            message=(
                f"The query nests groups, lists or brackets {depth} levels deep; "
                f"at most {max_depth} are accepted (setting max_query_nesting_levels)."
            ),
        )
    decoded = unescape(text)
    if not (_SERVICE_LETTERS.search(decoded) or _SERVICE_LETTERS.search(text)):
        return Verdict(form, inline=is_subject_lookup(text))
    try:
        targets = service_targets(text, default_prefixes)
    except ParseFailure as failure:
        return Verdict(
            form,
            check_only=(
                "The query names 'service' in a way the server's SPARQL guard cannot read "
                f"({failure}), so it was refused. Nothing was sent anywhere."
            ),
        )
    if not targets:
        return Verdict(form)
    allowed = {normalise_endpoint(iri) for iri in allowlist} - {None}
    for written, iri in targets:
        if iri is None or normalise_endpoint(iri) not in allowed:
            return Verdict(form, status=403, message=_not_allowed(written, allowlist))
    if not _every_mention_is_a_call(text, allowed):
        return Verdict(
            form,
            status=403,
            message=(
                "A query that calls SERVICE may write the word 'service' only as the keyword, "
                "followed by an allowed endpoint written in full, as in SERVICE <"
                f"{allowlist[0]}>: remove it from comments, strings and names, and write no "
                "\\u escapes. Nothing was sent anywhere."
            ),
        )
    endpoints = tuple(sorted({normalise_endpoint(iri or "") or "" for _, iri in targets}))
    return Verdict(form, lane="federated", endpoints=endpoints)


def _not_allowed(written: str, allowlist: tuple[str, ...]) -> str:
    return (
        f"SERVICE {written} is not allowed: queries may only reach "
        f"{', '.join(allowlist) or 'none'} (setting service_allowlist). Nothing was sent to it."
    )


def _leading_comments_removed(text: str) -> str:
    """``text`` without the comment lines it starts with (a canned query's header)."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            return "".join(lines[index:])
    return ""


def _every_mention_is_a_call(text: str, allowed: set[str | None]) -> bool:
    """Whether every occurrence of the letters 'service' is ``SERVICE [SILENT] <allowed IRI>``."""
    if CODE_POINT_ESCAPE.search(text):
        return False
    body = _leading_comments_removed(text)
    for mention in _SERVICE_LETTERS.finditer(body):
        call = _SERVICE_CALL.match(body, mention.start())
        if call is None or normalise_endpoint(call.group(1)) not in allowed:
            return False
    return True


class ParseFailure(Exception):
    """rdflib's parser could not read the text (its message, shortened)."""


def service_targets(
    text: str, default_prefixes: dict[str, str] | None = None
) -> list[tuple[str, str | None]]:
    """``(as written, absolute IRI or None)`` for every SERVICE in rdflib's reading of ``text``.

    The prefixes the engine is given by default are given to the parser too, so a
    prefixed name resolves here as it would there.

    >>> service_targets("PREFIX w: <https://query.wikidata.org/> "
    ...                 "SELECT * { SERVICE w:sparql { ?s ?p ?o } }")
    [('<https://query.wikidata.org/sparql>', 'https://query.wikidata.org/sparql')]
    >>> service_targets("SELECT * { SERVICE ?where { ?s ?p ?o } }")
    [('?where', None)]
    """
    from rdflib.plugins.sparql import algebra
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    prefixes = PREFIXES if default_prefixes is None else default_prefixes
    try:
        query = algebra.translateQuery(parseQuery(text), initNs=prefixes)
    except RecursionError:
        raise ParseFailure("it nests too deeply") from None
    except Exception as error:  # pyparsing's and rdflib's errors share no base class
        raise ParseFailure(str(error).splitlines()[0][:200]) from None
    out: list[tuple[str, str | None]] = []
    for node in _services(query.algebra, CompValue):
        term = node.get("term")
        if isinstance(term, URIRef):
            out.append((f"<{term}>", str(term)))
        else:
            out.append((f"?{term}" if isinstance(term, Variable) else str(term), None))
    return out


def _services(node: Any, comp_value: Any) -> list[Any]:
    """Every ServiceGraphPattern node under ``node``, in document order."""
    found: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        current: Any = stack.pop()
        if isinstance(current, comp_value):
            if current.name == "ServiceGraphPattern":
                found.append(current)
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list | tuple) or hasattr(current, "asList"):
            stack.extend(reversed(list(current)))
    return found
