"""sorted_triples orders by N-Triples lines exactly as by (subject, predicate, object) strings."""

from __future__ import annotations

import random

import pyoxigraph as ox

from pilotkg.graphs import sorted_triples, triple_sort_key

SUBJECTS = [
    ox.NamedNode(f"https://w3id.org/pilotkg/id/{x}") for x in ("a", "a/b", "ab", "a-b", "ä", "z")
]
PREDICATES = [ox.NamedNode("urn:p"), ox.NamedNode("urn:p2"), ox.NamedNode("urn:q")]
OBJECTS = [
    ox.Literal("abc"),
    ox.Literal("abc", language="en"),
    ox.Literal("abc", language="zh"),
    ox.Literal("ab c"),
    ox.Literal("abc\nnext line"),
    ox.Literal('say "hi"'),
    ox.Literal("深圳"),
    ox.Literal("2025", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
    ox.Literal("10", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    SUBJECTS[0],
    SUBJECTS[2],
]


def test_line_order_is_the_term_order() -> None:
    triples = [ox.Triple(s, p, o) for s in SUBJECTS for p in PREDICATES for o in OBJECTS]
    shuffled = triples * 2
    random.Random(4).shuffle(shuffled)
    assert sorted_triples(shuffled) == sorted(set(triples), key=triple_sort_key)
