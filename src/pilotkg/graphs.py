"""Moving triples between pyoxigraph and rdflib, and ordering them deterministically.

pyoxigraph parses, stores and serialises; rdflib is needed only where a library
speaks nothing else (pyshacl). The bridge is N-Triples, which both read and
write losslessly. rdflib is imported only when a bridge is crossed: its import
is a large part of a short command's start-up, and most commands never need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    import rdflib

#: Any RDF term pyoxigraph hands back (its typing stubs name no such union).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def triple_sort_key(triple: ox.Triple) -> tuple[str, str, str]:
    """Sort by subject, predicate, object in their N-Triples form: stable across runs."""
    return (str(triple.subject), str(triple.predicate), str(triple.object))


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Unique triples in a deterministic order: by subject, predicate, object in N-Triples form.

    Sorting on ``triple_sort_key`` costs three ``str()`` calls per triple, which
    dominates at scale. pyoxigraph writes one N-Triples line per triple in input
    order, so one native serialisation gives the sort keys, at a small part of
    that cost, and in the same order (see ``ntsort``, which sorts whole stores
    this way for the dumps).
    """
    items = list(triples)
    lines = (ox.serialize(items, format=ox.RdfFormat.N_TRIPLES) or b"").split(b"\n")
    order = sorted(range(len(items)), key=lines.__getitem__)
    unique = [i for n, i in enumerate(order) if n == 0 or lines[i] != lines[order[n - 1]]]
    return [items[i] for i in unique]


def to_rdflib(triples: Iterable[ox.Triple] | ox.Store) -> rdflib.Graph:
    """An rdflib Graph holding the same triples (those of a store's default graph)."""
    import rdflib

    graph = rdflib.Graph()
    if isinstance(triples, ox.Store):
        data = triples.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    else:
        data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    if data:
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def from_rdflib(graph: rdflib.Graph) -> list[ox.Triple]:
    """pyoxigraph triples for the triples of an rdflib Graph."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def to_store(triples: Iterable[ox.Triple], store: ox.Store | None = None) -> ox.Store:
    """Triples loaded into the default graph of a pyoxigraph Store (in memory by default).

    They go through one N-Triples text: serialising and loading it, both in
    native code, is quicker than handing ``bulk_extend`` a ``Quad`` per triple
    made in Python. ``load`` is as fast as ``bulk_load`` on it and peaks lower.
    """
    store = store if store is not None else ox.Store()
    text = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    if text:
        store.load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    return store
