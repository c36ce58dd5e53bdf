"""Federated queries: point a query's SERVICE at another endpoint, and keep its remote part small.

The canned federated queries name Wikidata's public endpoint. Both the CLI and
the web server run them, so these rewrites live in the core, beside the
canned-query catalogue, not in the Wikidata-linking wing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import QueryError
from .namespaces import WIKIDATA_ENTITY, WIKIDATA_SPARQL
from .sparqltext import ServiceClause, iri_value, service_clauses

DEFAULT_ENDPOINT = WIKIDATA_SPARQL

_ENDPOINT = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def retarget_service(text: str, endpoint: str, *, original: str = DEFAULT_ENDPOINT) -> str:
    """``text`` with every ``SERVICE <original>`` pointing at ``endpoint`` instead.

    The canned federated queries name Wikidata's public endpoint; a mirror, a
    cache or the tests' local fixture endpoint can answer them as well. Other
    SERVICE clauses are left alone, and so is the endpoint's URL where it is not
    the target of a SERVICE (the ``# endpoint:`` header line).

    >>> retarget_service("SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o }",
    ...                  "http://127.0.0.1:8890/sparql")
    'SERVICE <http://127.0.0.1:8890/sparql> { ?s ?p ?o }'
    """
    if not _ENDPOINT.fullmatch(endpoint):
        raise QueryError(
            f"{endpoint!r} is not an endpoint URL: write an absolute http:// or https:// URL"
        )

    targets = [clause.target for clause in _calls(text, original)]
    for target in reversed(targets):  # from the end, so the earlier offsets still hold
        text = f"{text[: target.offset]}<{endpoint}>{text[target.end :]}"
    return text


def restrict_service(
    text: str, variable: str, iris: Iterable[str], *, endpoint: str = DEFAULT_ENDPOINT
) -> str:
    """``text`` with ``VALUES ?variable { <iri> … }`` opened inside each ``SERVICE <endpoint>`` group.

    pyoxigraph sends a SERVICE group to the remote endpoint as it is written,
    without the bindings the local part of the query has found, so a canned
    query that joins our items with ``?item wdt:P1082 ?population`` would ask
    Wikidata for every population it holds. Pinning ``?item`` to the items our
    data links keeps the remote query small enough for the public endpoint.

    >>> restrict_service("SERVICE <https://query.wikidata.org/sparql> { ?item ?p ?o }",
    ...                  "item", ["http://www.wikidata.org/entity/Q148"])
    'SERVICE <https://query.wikidata.org/sparql> { VALUES ?item { <http://www.wikidata.org/entity/Q148> } ?item ?p ?o }'
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        raise QueryError(f"{variable!r} is not a SPARQL variable name")
    try:
        terms = " ".join(str(ox.NamedNode(iri)) for iri in sorted(set(iris)))
    except ValueError as error:
        raise QueryError(
            f"cannot restrict SERVICE to a value that is not an IRI: {error}"
        ) from error
    block = f" VALUES ?{variable} {{ {terms} }}"
    braces = [clause.brace + 1 for clause in _calls(text, endpoint) if clause.brace >= 0]
    for inside in reversed(braces):
        text = f"{text[:inside]}{block}{text[inside:]}"
    return text


def _calls(text: str, endpoint: str) -> list[ServiceClause]:
    """The SERVICE clauses of ``text`` whose target is the IRI ``endpoint`` written out."""
    return [
        clause
        for clause in service_clauses(text)
        if clause.target.kind == "iri" and iri_value(clause.target) == endpoint
    ]


def pin_linked_items(text: str, store: ox.Store, *, endpoint: str = DEFAULT_ENDPOINT) -> str:
    """``text`` with each ``SERVICE <endpoint>`` group pinned to the Wikidata items our data links.

    The federated canned queries name the Wikidata item ``?item`` (a convention
    their headers state). Without the pin, the remote part would ask Wikidata
    for every population or coordinate it holds; with it, only for ours.
    Queries that do not call ``endpoint`` are returned unchanged.
    """
    if f"<{endpoint}>" not in text:
        return text
    linked = store.query(
        "SELECT DISTINCT ?item WHERE { ?s <http://www.w3.org/2002/07/owl#sameAs>|"
        "<http://www.w3.org/2004/02/skos/core#exactMatch>|<http://www.w3.org/2004/02/skos/core#closeMatch> ?item "
        f'FILTER(STRSTARTS(STR(?item), "{WIKIDATA_ENTITY}")) }}'
    )
    assert isinstance(linked, ox.QuerySolutions)
    return restrict_service(text, "item", [row["item"].value for row in linked], endpoint=endpoint)
