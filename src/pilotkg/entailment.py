"""The few inferences the published graph makes explicit, so that plain SPARQL finds them.

The embedded store, and most stores users load the dumps into, run no
reasoning. Curators state the most specific property (``pilot:field``,
``pilot:keyAction``, ``pilot:launchDate``); the build adds the triple for each
of its super-properties in the pilot namespace (``pilot:sector``,
``pilot:measure``, ``pilot:date``), as RDFS sub-property entailment would.
Queries can then ask for "every sector of this base" or "every dated step"
without knowing the hierarchy. Class hierarchies and ``pilot:partOf`` chains
are left to queries (``rdfs:subClassOf*``, ``pilot:partOf*``), which keeps the
dumps free of redundant closure triples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from .namespaces import PILOT, RDFS

SUB_PROPERTY_OF = ox.NamedNode(RDFS + "subPropertyOf")


def super_properties(ontology: Iterable[ox.Triple]) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """Each pilot property with all its pilot super-properties, transitively."""
    direct: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for triple in ontology:
        if (
            triple.predicate == SUB_PROPERTY_OF
            and isinstance(triple.subject, ox.NamedNode)
            and isinstance(triple.object, ox.NamedNode)
            and triple.object.value.startswith(PILOT)
        ):
            direct[triple.subject].add(triple.object)
    closure: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for prop in direct:
        seen: set[ox.NamedNode] = set()
        todo = list(direct[prop])
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(direct.get(parent, ()))
        closure[prop] = seen
    return closure


def entail(store: ox.Store, ontology: Iterable[ox.Triple]) -> int:
    """Add to the store's default graph the triple for each super-property of each triple's
    predicate (one SPARQL INSERT, so the work stays in the store's native code and no
    triple becomes a Python object); how many triples were new."""
    pairs = " ".join(
        f"({prop} {parent})"
        for prop, parents in sorted(
            super_properties(ontology).items(), key=lambda item: item[0].value
        )
        for parent in sorted(parents, key=lambda node: node.value)
    )
    if not pairs:
        return 0
    where = f"VALUES (?prop ?parent) {{ {pairs} }} ?s ?prop ?o"
    # counted before the insert over the sub-properties' triples alone: ``len(store)``
    # would walk every triple of the store, twice
    new = store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?parent ?o WHERE {{ {where} "
        "FILTER NOT EXISTS { ?s ?parent ?o } } }"
    )
    assert isinstance(new, ox.QuerySolutions)
    count = next(iter(new))["n"]
    assert isinstance(count, ox.Literal)
    store.update(f"INSERT {{ ?s ?parent ?o }} WHERE {{ {where} }}")
    return int(count.value)
