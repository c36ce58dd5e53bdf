"""Helpers of the tests that load into a real Virtuoso (tests/remote/): stores on the test
instance, its graphs read back, synthetic triples. Their fixtures are in tests/support/remote_fixtures.py."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from pilotkg.build import pipeline
from pilotkg.remote.client import Credentials, Endpoints, RemoteStore
from pilotkg.remote.loading import STAGING_SEGMENT
from pilotkg.remote.verify import term_key
from support.paths import TEST_DATA
from support.virtuoso import Virtuoso

FIXTURE_SOURCES = TEST_DATA / "load"
SKIPPED_CHECKS = ("shacl", "qc", "owl", "links")


def build(source: Path, out: Path) -> Path:
    pipeline.build(source, out, skip=SKIPPED_CHECKS)
    return out


def make_store(
    virtuoso: Virtuoso, *, graph_store: bool = True, auth: bool = True, **options: object
) -> RemoteStore:
    """A RemoteStore on the test Virtuoso: as dba with digest auth, or anonymous."""
    sparql = virtuoso.sparql_auth if auth else virtuoso.sparql
    crud = virtuoso.graph_store_auth if auth else virtuoso.graph_store
    credentials = Credentials(virtuoso.user, virtuoso.password) if auth else None
    return RemoteStore(
        Endpoints(sparql, graph_store=crud if graph_store else None),
        credentials=credentials,
        **options,  # type: ignore[arg-type]
    )


#: Virtuoso's packaged ini answers at most ResultSetMaxRows = 10,000 rows per query, a CONSTRUCT
#: included, without saying that it cut the answer, and sorts no more than that for OFFSET: the
#: graph is read subject by subject, a few hundred subjects per CONSTRUCT.
SUBJECTS_PER_QUERY = 300


def graph_triples(store: RemoteStore, graph: str) -> set[ox.Triple]:
    answer = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(answer, ox.QuerySolutions)
    subjects = [str(row["s"]) for row in answer]
    assert len(subjects) < 10_000, "more subjects than one answer holds"
    found: set[ox.Triple] = set()
    for start in range(0, len(subjects), SUBJECTS_PER_QUERY):
        batch = " ".join(subjects[start : start + SUBJECTS_PER_QUERY])
        triples = store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {batch} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            graph_result=True,
        )
        assert isinstance(triples, list) and len(triples) < 10_000
        found.update(triples)
    return found


def by_value(triples: set[ox.Triple]) -> set[tuple[str, str, str]]:
    """Triples with numeric literals compared by value (see store.term_key)."""
    return {(term_key(t.subject), term_key(t.predicate), term_key(t.object)) for t in triples}


def drop_graphs(store: RemoteStore, graphs: Iterable[str]) -> None:
    """Drop each of ``graphs`` (silently, if absent): what a test leaves on the shared instance."""
    for graph in graphs:
        store.update(f"DROP SILENT GRAPH <{graph}>", what="DROP")


def staging_graphs(store: RemoteStore) -> list[str]:
    answer = store.query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(CONTAINS(STR(?g), "{STAGING_SEGMENT}")) }}'
    )
    assert isinstance(answer, ox.QuerySolutions)
    return [row["g"].value for row in answer]


def synthetic(count: int, *, tag: str) -> set[ox.Triple]:
    """``count`` distinct triples, their literals long enough to span many TCP segments."""
    return {
        ox.Triple(
            ox.NamedNode(f"https://w3id.org/pilotkg/id/zone/{tag}-{i // 8}"),
            ox.NamedNode(f"https://w3id.org/pilotkg/ontology#p{i % 8}"),
            ox.Literal(f"{tag} {i}: 人工智能先导区 “{i}” " + "x" * 80, language="zh"),
        )
        for i in range(count)
    }


def month_and_its_first_day() -> tuple[ox.Triple, ox.Triple]:
    """Two triples Virtuoso keeps as one: "2025-12"^^xsd:gYearMonth and "2025-12-01"^^xsd:date
    on the same subject and predicate (it keeps values, and both are the same instant)."""
    zone, date = (
        ox.NamedNode(f"https://w3id.org/pilotkg/{p}") for p in ("id/zone/x", "ontology#date")
    )
    xsd = "http://www.w3.org/2001/XMLSchema#"
    month = ox.Triple(zone, date, ox.Literal("2025-12", datatype=ox.NamedNode(xsd + "gYearMonth")))
    day = ox.Triple(zone, date, ox.Literal("2025-12-01", datatype=ox.NamedNode(xsd + "date")))
    return month, day
