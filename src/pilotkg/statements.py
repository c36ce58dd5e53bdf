"""Statement-level citations: the curator's RDF 1.2 annotations compiled to RDF 1.1 reification.

A curator cites a statement where it is written, in Turtle 1.2 annotation
syntax, one block per source::

    zone:shenzhen pilot:approvalDate "2019-10-14"^^xsd:date
        {| prov:wasDerivedFrom source:workercn-2019-10-19 ; pilot:evidence "…"@zh |} .

The parser gives each block a reifier (``_:r rdf:reifies <<( s p o )>>``).
Neither Virtuoso 7.2 nor rdflib reads triple terms, and SPARQL 1.1 cannot
match them, so the build turns each reifier into a standard RDF reification
with an IRI of its own (``id/statement/…``, named after the statement and its
source, so the same citation keeps its IRI from build to build)::

    id:statement/… a rdf:Statement ; rdf:subject zone:shenzhen ;
        rdf:predicate pilot:approvalDate ; rdf:object "2019-10-14"^^xsd:date ;
        prov:wasDerivedFrom source:workercn-2019-10-19 ; pilot:evidence "…"@zh .

Plain RDF 1.1 in the default graph: every store and every dump format holds it,
and one SPARQL 1.1 pattern finds a statement's sources. Each entity then also
cites, at entity level, every source its statements cite.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from .graphs import Term
from .namespaces import ID, PILOT, PROV, RDF

STATEMENT_BASE = ID + "statement/"
REIFIES = ox.NamedNode(RDF + "reifies")
TYPE = ox.NamedNode(RDF + "type")
STATEMENT = ox.NamedNode(RDF + "Statement")
SUBJECT = ox.NamedNode(RDF + "subject")
PREDICATE = ox.NamedNode(RDF + "predicate")
OBJECT = ox.NamedNode(RDF + "object")
DERIVED_FROM = ox.NamedNode(PROV + "wasDerivedFrom")
EVIDENCE = ox.NamedNode(PILOT + "evidence")


class CitationError(ValueError):
    """A citation block the build cannot turn into one statement with one source."""

    def __init__(self, statement: ox.Triple, problem: str) -> None:
        super().__init__(problem)
        self.statement = statement


@dataclass
class _Citation:
    statement: ox.Triple
    about: list[tuple[ox.NamedNode, Term]] = field(default_factory=list)

    def sources(self) -> list[Term]:
        return [value for prop, value in self.about if prop == DERIVED_FROM]


def statement_iri(statement: ox.Triple, source: Term) -> ox.NamedNode:
    """The IRI of the citation of ``statement`` by ``source``: a digest of both, stable
    across builds and across the order the files are read in."""
    text = f"{statement.subject} {statement.predicate} {statement.object} {source}"
    return ox.NamedNode(STATEMENT_BASE + hashlib.sha256(text.encode()).hexdigest()[:20])


def _citations(store: ox.Store) -> dict[Term, _Citation]:
    citations: dict[Term, _Citation] = {}
    for quad in store.quads_for_pattern(None, REIFIES, None, ox.DefaultGraph()):
        if not isinstance(quad.object, ox.Triple):
            continue
        citations[quad.subject] = _Citation(quad.object)
    for reifier, citation in citations.items():
        assert isinstance(reifier, ox.NamedNode | ox.BlankNode)
        for quad in store.quads_for_pattern(reifier, None, None, ox.DefaultGraph()):
            if quad.predicate != REIFIES:
                citation.about.append((quad.predicate, quad.object))
    return citations


def compile_citations(store: ox.Store) -> int:
    """Replace every annotation block of the store's default graph by an RDF 1.1
    reification and add entity-level ``prov:wasDerivedFrom``; how many citations.

    Raises CitationError for a block that names no source or several (each source
    takes a block of its own, so that its evidence stays with it) and for a
    statement quoted in an annotation that the data does not assert.
    """
    citations = _citations(store)
    derived: dict[Term, set[Term]] = defaultdict(set)
    added: list[ox.Quad] = []
    for citation in citations.values():
        statement, sources = citation.statement, citation.sources()
        if len(sources) != 1:
            raise CitationError(
                statement,
                "a citation block names no source: give it prov:wasDerivedFrom source:…"
                if not sources
                else f"a citation block names {len(sources)} sources: give each source "
                "a {| |} block of its own, with its own pilot:evidence",
            )
        if not _asserted(store, statement):
            raise CitationError(statement, "a citation of a statement the data does not assert")
        node = statement_iri(statement, sources[0])
        graph = ox.DefaultGraph()
        added += [
            ox.Quad(node, TYPE, STATEMENT, graph),
            ox.Quad(node, SUBJECT, statement.subject, graph),
            ox.Quad(node, PREDICATE, statement.predicate, graph),
            ox.Quad(node, OBJECT, statement.object, graph),
        ]
        added += [ox.Quad(node, prop, value, graph) for prop, value in citation.about]
        derived[statement.subject].add(sources[0])
    for reifier in citations:
        assert isinstance(reifier, ox.NamedNode | ox.BlankNode)
        for quad in list(store.quads_for_pattern(reifier, None, None, ox.DefaultGraph())):
            store.remove(quad)
    for entity, cited in derived.items():
        assert isinstance(entity, ox.NamedNode)
        added += [ox.Quad(entity, DERIVED_FROM, source, ox.DefaultGraph()) for source in cited]
    store.extend(added)
    return len(citations)


def _asserted(store: ox.Store, statement: ox.Triple) -> bool:
    """Whether the default graph states ``statement`` (annotation syntax always does;
    a reifier written out by hand with ``rdf:reifies`` may not)."""
    subject = statement.subject
    if not isinstance(subject, ox.NamedNode):
        return False
    quads = store.quads_for_pattern(
        subject, statement.predicate, statement.object, ox.DefaultGraph()
    )
    return next(iter(quads), None) is not None
