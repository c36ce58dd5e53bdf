"""sorted_triples and the dumps' external sort order by N-Triples lines exactly as by
(subject, predicate, object) strings."""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.build import ntsort
from pilotkg.graphs import sorted_triples, to_store, triple_sort_key

SUBJECTS = [
    ox.NamedNode(f"https://w3id.org/pilotkg/id/{x}") for x in ("a", "a/b", "ab", "a-b", "ä", "z")
]
PREDICATES = [ox.NamedNode("urn:p"), ox.NamedNode("urn:p2"), ox.NamedNode("urn:q")]
OBJECTS: list[ox.NamedNode | ox.Literal] = [
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


@pytest.mark.parametrize("run_lines", [1, 7, 1000])
def test_the_external_sort_gives_the_term_order_whatever_the_run_length(
    run_lines: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of 1 and 7 lines make many runs to merge (198 triples); 1000 makes one."""
    triples = [ox.Triple(s, p, o) for s in SUBJECTS for p in PREDICATES for o in OBJECTS]
    monkeypatch.setattr(ntsort, "RUN_LINES", run_lines)
    out = tmp_path / "sorted.nt"
    ntsort.write_sorted_ntriples(to_store(triples), out)
    written = [q.triple for q in ox.parse(path=out, format=ox.RdfFormat.N_TRIPLES)]
    assert written == sorted(triples, key=triple_sort_key)
    assert [p.name for p in tmp_path.iterdir()] == ["sorted.nt"], "runs are cleaned up"
