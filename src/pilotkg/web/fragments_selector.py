"""A Triple Pattern Fragment's selector: ``subject``, ``predicate``, ``object`` and ``page``.

The values are written as Hydra's ExplicitRepresentation has them, which is also what
Comunica's ``rdf-string`` writes: an IRI bare (``https://w3id.org/pilotkg/id/zone/shenzhen``),
a literal in double quotes with its language or datatype IRI after it (``"深圳"@zh``,
``"1"^^http://www.w3.org/2001/XMLSchema#integer``), a plain string in quotes alone. An empty
value, a variable (``?x``) or a blank node (``_:b``) matches anything, as a blank node in a
SPARQL pattern does. For people typing a datatype, ``<…>`` around it and the project's
prefixes (``"1"^^xsd:integer``) are read too.

A fragment has one address: ``canonical_query`` writes the selector back in the order and
percent-encoding of the Hydra template ``{?subject,predicate,object}`` as RFC 6570 expands
it (what a TPF client requests), with ``page`` after it from page 2 on. A client that finds
the fragment's controls by comparing the page's IRI with the URL it fetched (Comunica does)
needs the two to be the same string, so the route sends any other spelling there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from starlette.datastructures import QueryParams

from ..namespaces import XSD
from ..queries import expand
from .numbers import whole_number

#: The selector's parameters, in the template's order.
PATTERN_PARAMETERS = ("subject", "predicate", "object")
PAGE_PARAMETER = "page"
SELECTOR_PARAMETERS = (*PATTERN_PARAMETERS, PAGE_PARAMETER)
_LITERAL = re.compile(r'"(.*)"(?:@([^"]+)|\^\^([^"]+))?', re.DOTALL)
_STRING = XSD + "string"
_EXAMPLES = {
    "subject": "https://w3id.org/pilotkg/id/zone/shenzhen",
    "predicate": "https://w3id.org/pilotkg/ontology#batch",
}

Term = ox.NamedNode | ox.Literal


class BadSelector(ValueError):
    """A selector value that names no term: the message names the parameter and its form."""


@dataclass(frozen=True)
class Selector:
    """The pattern (None where any term matches) and the page asked for (from 1)."""

    subject: ox.NamedNode | None = None
    predicate: ox.NamedNode | None = None
    object: Term | None = None
    page: int = 1

    @property
    def terms(self) -> tuple[ox.NamedNode | None, ox.NamedNode | None, Term | None]:
        return self.subject, self.predicate, self.object

    @property
    def bound(self) -> bool:
        """True when the pattern names at least one term."""
        return any(term is not None for term in self.terms)

    def on_page(self, page: int) -> Selector:
        return Selector(self.subject, self.predicate, self.object, page)

    def pairs(self) -> list[tuple[str, str]]:
        """The parameters that write this selector: each named term, then a page after the first."""
        named = [
            (name, term_text(term))
            for name, term in zip(PATTERN_PARAMETERS, self.terms, strict=True)
            if term is not None
        ]
        return named + ([(PAGE_PARAMETER, str(self.page))] if self.page > 1 else [])


def term_text(term: Term) -> str:
    """``term`` as the selector writes it (the ExplicitRepresentation).

    >>> term_text(ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")))
    '"1"^^http://www.w3.org/2001/XMLSchema#integer'
    >>> term_text(ox.Literal("深圳", language="zh")), term_text(ox.Literal("x"))
    ('"深圳"@zh', '"x"')
    """
    if isinstance(term, ox.NamedNode):
        return term.value
    if term.language:
        return f'"{term.value}"@{term.language}'
    if term.datatype.value == _STRING:
        return f'"{term.value}"'
    return f'"{term.value}"^^{term.datatype.value}'


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """A query string of ``pairs`` in order, percent-encoded as RFC 6570 encodes a value
    (everything but letters, digits and ``-._~``), so ``:`` is ``%3A`` and a space ``%20``."""
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def read_selector(params: QueryParams, _: Callable[..., str], *, last_page: int) -> Selector:
    """The selector of a request's query string; BadSelector (in the words of ``_``) names the
    first parameter that is given twice, names no term of its position, or asks for a page
    outside 1 … ``last_page``."""
    for name in SELECTOR_PARAMETERS:
        if len(params.getlist(name)) > 1:
            raise BadSelector(_("The parameter {name} was given more than once.", name=name))
    subject = _iri_or_any("subject", params.get("subject", ""), _)
    predicate = _iri_or_any("predicate", params.get("predicate", ""), _)
    obj = _object(params.get("object", ""), _)
    return Selector(subject, predicate, obj, _page(params.get(PAGE_PARAMETER, "1"), _, last_page))


def _matches_any(value: str) -> bool:
    return not value or value.startswith(("?", "_:"))


def _iri(value: str) -> ox.NamedNode | None:
    """The IRI ``value`` writes, bare or in ``<…>``, or None when it is no absolute IRI."""
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    try:
        return ox.NamedNode(value)
    except ValueError:
        return None


def _iri_or_any(name: str, value: str, _: Callable[..., str]) -> ox.NamedNode | None:
    if _matches_any(value):
        return None
    iri = _iri(value)
    if iri is None:
        raise BadSelector(
            _(
                "The parameter {name} takes an absolute IRI, such as {example}, or nothing to "
                "match any.",
                name=name,
                example=_EXAMPLES[name],
            )
        )
    return iri


def _object(value: str, _: Callable[..., str]) -> Term | None:
    if _matches_any(value):
        return None
    term = _literal(value) if value.startswith('"') else _iri(value)
    if term is None:
        raise BadSelector(
            _(
                'The parameter object takes an absolute IRI, or a literal written "text", '
                '"text"@zh or "1"^^{integer}, or nothing to match any.',
                integer=XSD + "integer",
            )
        )
    return term


def _literal(value: str) -> ox.Literal | None:
    """The literal ``value`` writes, or None when it is malformed (no closing quote, a bad
    language tag, a datatype that is no IRI)."""
    match = _LITERAL.fullmatch(value)
    if match is None:
        return None
    text, language, datatype = match.groups()
    try:
        if language is not None:
            return ox.Literal(text, language=language)
        if datatype is None:
            return ox.Literal(text)
    except ValueError:
        return None
    iri = _iri(expand(datatype))
    return ox.Literal(text, datatype=iri) if iri is not None else None


def _page(value: str, _: Callable[..., str], last_page: int) -> int:
    page = whole_number(value)
    if not page:  # not a number, or 0
        raise BadSelector(_("The parameter page takes a whole number from 1, as in page=2."))
    if page > last_page:
        raise BadSelector(
            _(
                "The parameter page goes up to {last}; to reach triples past that page, give "
                "the pattern a subject, predicate or object.",
                last=last_page,
            )
        )
    return page
