"""Moving triples between pyoxigraph and rdflib, and ordering them deterministically.

pyoxigraph parses, stores and serialises; rdflib is needed only where a library
speaks nothing else (pyshacl). The bridge is N-Triples, which both read and
write losslessly.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib


def triple_sort_key(triple: ox.Triple) -> tuple[str, str, str]:
    """Sort by subject, predicate, object in their N-Triples form: stable across runs."""
    return (str(triple.subject), str(triple.predicate), str(triple.object))


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Unique triples in a deterministic order."""
    return sorted(set(triples), key=triple_sort_key)


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """An rdflib Graph holding the same triples."""
    graph = rdflib.Graph()
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    if data:
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def from_rdflib(graph: rdflib.Graph) -> list[ox.Triple]:
    """pyoxigraph triples for the triples of an rdflib Graph."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def to_store(triples: Iterable[ox.Triple], store: ox.Store | None = None) -> ox.Store:
    """Triples bulk-loaded into the default graph of a pyoxigraph Store (in memory by default)."""
    store = store if store is not None else ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return store
