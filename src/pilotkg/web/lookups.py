"""Lookups the server answers itself, without a query worker: one triple pattern whose
subject is an IRI.

A worker costs a query the round trip to another process, which is most of what a lookup
of one entity's properties costs (``SELECT ?p ?o WHERE { <zone> ?p ?o }``), the query
the site's own pages and most clients send. The worker is there so that a time limit can
kill a query; a query of this shape needs none: it reads one subject's triples, through
the store's subject index, as it writes them out, and the writer stops it at
``max_result_rows`` like any other, so its work is bounded by its answer. So it runs in
the server's process, on the server's own store, where it takes less time than the
pipe to a worker would.

Only shapes whose work is their answer qualify: not ``DISTINCT`` or ``REDUCED`` (which
read every triple of the subject to return a few rows), not ``OFFSET`` (which reads what
it skips), and no text longer than ``MAX_CHARS`` (which the guard has lexed once already).
The shape is recognised on the text's tokens (``sparqltext``), strictly: a prologue of
``PREFIX`` and ``BASE``; ``SELECT`` (``*`` or variables) or ``ASK``; an optional
``WHERE``; one group holding one triple pattern, its subject an IRI or a prefixed name,
its predicate one too or ``a`` or a variable (never a path), its object any term or a
variable; one ``LIMIT``. Nothing else: no ``FROM``, no ``GRAPH``, no ``FILTER`` or
expression (where a lexer cannot tell ``<`` from an IRI), no ``SERVICE``, and no code
point escape (``\\u0041``), which the SPARQL grammar decodes before parsing (pyoxigraph
0.5 does not) and which could then hide any of these. Anything more goes to a worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..sparqltext import CODE_POINT_ESCAPE, Token, tokens

_TERMS = frozenset({"iri", "pname"})
#: The longest text recognised: far more than a lookup needs, far less than a costly lexing.
MAX_CHARS = 2048


def is_subject_lookup(text: str) -> bool:
    """Whether ``text`` is one triple pattern with an IRI subject, in the form above.

    >>> is_subject_lookup("SELECT ?p ?o WHERE { <https://w3id.org/pilotkg/id/zone/x> ?p ?o }")
    True
    >>> is_subject_lookup("SELECT * { ?s ?p ?o }")
    False
    """
    if len(text) > MAX_CHARS or CODE_POINT_ESCAPE.search(text):
        return False
    read = tokens(text)
    at = _prologue_end(read)
    if at < len(read) and read[at].is_keyword("select"):
        at = _projection_end(read, at + 1)
    elif at < len(read) and read[at].is_keyword("ask"):
        at += 1
    else:
        return False
    if at < len(read) and read[at].is_keyword("where"):
        at += 1
    at = _pattern_end(read, at)
    return at >= 0 and _modifiers_end(read, at) == len(read)


def _prologue_end(read: Sequence[Token], at: int = 0) -> int:
    while at < len(read):
        if read[at].is_keyword("base") and _kind(read, at + 1) == "iri":
            at += 2
        elif (
            read[at].is_keyword("prefix")
            and _kind(read, at + 1) == "pname"
            and read[at + 1].text.endswith(":")
            and _kind(read, at + 2) == "iri"
        ):
            at += 3
        else:
            break
    return at


def _projection_end(read: Sequence[Token], at: int) -> int:
    if at < len(read) and read[at].is_punct("*"):
        return at + 1
    start = at
    while _kind(read, at) == "var":
        at += 1
    return at if at > start else len(read) + 1  # past the end: no projection, no lookup


def _pattern_end(read: Sequence[Token], at: int) -> int:
    """Past ``{ S P O [.] }``, or -1 when that is not what stands at ``at``."""
    if not (at + 4 < len(read) and read[at].is_punct("{")):
        return -1
    subject, predicate = read[at + 1], read[at + 2]
    if subject.kind not in _TERMS:
        return -1
    if not (predicate.kind in _TERMS or predicate.kind == "var" or predicate.is_keyword("a")):
        return -1
    at = _object_end(read, at + 3)
    if at < 0:
        return -1
    if at < len(read) and read[at].is_punct("."):
        at += 1
    return at + 1 if at < len(read) and read[at].is_punct("}") else -1


def _object_end(read: Sequence[Token], at: int) -> int:
    value = read[at]
    if value.kind in ("iri", "pname", "var", "number") or value.is_keyword("true", "false"):
        return at + 1
    if value.kind != "string":
        return -1
    at += 1
    if _kind(read, at) == "langtag":
        return at + 1
    if at < len(read) and read[at].is_punct("^^"):
        return at + 2 if _kind(read, at + 1) in _TERMS else -1
    return at


def _modifiers_end(read: Sequence[Token], at: int) -> int:
    if at + 1 < len(read) and read[at].is_keyword("limit"):
        return at + 2 if read[at + 1].kind == "number" and read[at + 1].text.isdigit() else -1
    return at


def _kind(read: Sequence[Token], at: int) -> str:
    return read[at].kind if at < len(read) else ""
