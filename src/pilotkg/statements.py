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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
    """A citation block the build cannot turn into one statement cited by one source."""

    def __init__(self, statement: ox.Triple, problem: str) -> None:
        super().__init__(problem)
        self.statement = statement


#: Citation blocks compiled per store transaction: bounds the Python objects held at once.
_BATCH = 20_000


def statement_iri(statement: ox.Triple, source: Term) -> ox.NamedNode:
    """The IRI of the citation of ``statement`` by ``source``: a digest of both, stable
    across builds and across the order the files are read in (every term is an IRI or a
    literal: blank nodes, whose labels change from parse to parse, are refused)."""
    text = f"{statement.subject} {statement.predicate} {statement.object} {source}"
    return ox.NamedNode(STATEMENT_BASE + hashlib.sha256(text.encode()).hexdigest()[:20])


def compile_citations(store: ox.Store, *, alongside: Callable[[], object] | None = None) -> int:
    """Replace every citation block of the store's default graph by an RDF 1.1 reification
    and add entity-level ``prov:wasDerivedFrom``; how many citations there are.
    ``alongside``, a read-only look at the store that must see it before the blocks are
    compiled (``sources``' term-size check), runs beside the search for faulty blocks, on the
    core that would otherwise wait; whatever it raises is raised before anything is written.

    Raises CitationError, naming the statement, for a block the build cannot read as one
    source's citation of one asserted statement of IRIs and literals, and for a triple term
    left anywhere else: no store or client this project serves reads RDF 1.2 triple terms.

    The work runs in the store's native code: an ASK (in two halves, side by side) finds
    whether any block is faulty, and one UPDATE request rewrites the blocks, naming each
    statement as ``statement_iri`` does (a SHA-256 of the same N-Triples text, computed by
    SPARQL), so no triple becomes a Python object. Python reads the blocks one by one only
    to say what is wrong with a faulty one, and for the rare statement whose literal holds a
    control character that N-Triples writes as ``\\uXXXX`` (which SPARQL has no function to
    spell).
    """
    if _any_faulty_block(store, alongside):
        count = _compile_in_python(store, set())
    else:
        count = _count(store, _CITATIONS)
        store.update(_COMPILE)
        _compile_in_python(store, set())  # what the UPDATE left: the control characters
    leftover = store.query(
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isTRIPLE(?s) || isTRIPLE(?o)) } LIMIT 1"
    )
    assert isinstance(leftover, ox.QuerySolutions)
    for row in leftover:
        statement = ox.Triple(row["s"], row["p"], row["o"])
        raise CitationError(
            statement,
            "an RDF 1.2 triple term outside a citation block: write the statement itself, "
            "and cite it with {| prov:wasDerivedFrom source:… |} after its value",
        )
    return count


_PREFIXES = f"""PREFIX rdf: <{RDF}> PREFIX prov: <{PROV}> PREFIX pilot: <{PILOT}>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
#: Each a block ``_read_block`` refuses (one of its refusals each, in the same order).
_FAULTS = (
    "{ ?r rdf:reifies ?t FILTER(isIRI(?r) || !isTRIPLE(?t)) }",
    "{ ?r rdf:reifies ?t, ?u FILTER(?t != ?u) }",
    "{ ?r rdf:reifies ?t"
    " FILTER(!isIRI(SUBJECT(?t)) || isBLANK(OBJECT(?t)) || isTRIPLE(OBJECT(?t))) }",
    "{ ?r rdf:reifies ?t FILTER NOT EXISTS { ?r prov:wasDerivedFrom ?any } }",
    "{ ?r rdf:reifies ?t ; prov:wasDerivedFrom ?a, ?b FILTER(?a != ?b) }",
    "{ ?r rdf:reifies ?t ; prov:wasDerivedFrom ?a FILTER(!isIRI(?a)) }",
    "{ ?r rdf:reifies ?t ; pilot:evidence ?a, ?b FILTER(?a != ?b) }",
    """{ ?r rdf:reifies ?t
    BIND(SUBJECT(?t) AS ?s) BIND(PREDICATE(?t) AS ?p) BIND(OBJECT(?t) AS ?o)
    FILTER NOT EXISTS { ?s ?p ?o } }""",
    """{ ?r rdf:reifies ?t ; prov:wasDerivedFrom ?src .
    ?other rdf:reifies ?t ; prov:wasDerivedFrom ?src FILTER(?r != ?other) }""",
)


def _ask_any(patterns: tuple[str, ...]) -> str:
    return _PREFIXES + "ASK {\n  " + "\n  UNION ".join(patterns) + "\n}"


#: Whether some block is faulty, asked in two halves of about the same cost: pyoxigraph
#: releases the GIL while it evaluates an ASK, so the two run side by side, on two cores.
_FAULTY_HALVES = (_ask_any(_FAULTS[:5]), _ask_any(_FAULTS[5:]))


def _asks(store: ox.Store, text: str) -> bool:
    return bool(store.query(text))


def _any_faulty_block(store: ox.Store, alongside: Callable[[], object] | None) -> bool:
    """Whether ``_read_block`` would refuse a block of ``store``, the halves in two threads,
    with ``alongside`` (see ``compile_citations``) in a third; its error comes first."""
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="pilotkg-citations") as pool:
        looked = pool.submit(alongside) if alongside is not None else None
        halves = [pool.submit(_asks, store, text) for text in _FAULTY_HALVES]
        if looked is not None:
            looked.result()
        return any([half.result() for half in halves])


_CITATIONS = _PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?r rdf:reifies ?t }"


def _sparql_string(text: str) -> str:
    """``text`` as a SPARQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: (regular expression, replacement) for each character N-Triples escapes by name: SPARQL's
#: REPLACE (in pyoxigraph) takes a replacement's backslashes literally.
_ESCAPES = (
    (r"\\", "\\\\"),
    ('"', '\\"'),
    (r"\n", "\\n"),
    (r"\r", "\\r"),
    (r"\t", "\\t"),
    (r"\x08", "\\b"),
    (r"\x0C", "\\f"),
)
#: The characters N-Triples writes as ``\uXXXX``: blocks citing a literal with one stay for Python.
_UNSPELLED = r"[\x00-\x07\x0B\x0E-\x1F\x7F]"


def _nt(var: str) -> str:
    """SPARQL for the N-Triples text of an IRI or literal in ``?var``, as pyoxigraph writes it
    (``str(term)``): the escapes N-Triples names, no ``^^xsd:string``, a direction after the
    language."""
    lexical = f"STR(?{var})"
    for pattern, replacement in _ESCAPES:
        lexical = f"REPLACE({lexical}, {_sparql_string(pattern)}, {_sparql_string(replacement)})"
    # most literals need no escape: one test spares them the chain of replacements
    needs_escape = "[" + "".join(pattern for pattern, _ in _ESCAPES) + "]"
    lexical = f"IF(REGEX(STR(?{var}), {_sparql_string(needs_escape)}), {lexical}, STR(?{var}))"
    quote = _sparql_string('"')
    return f"""IF(isIRI(?{var}), CONCAT("<", STR(?{var}), ">"), CONCAT({quote}, {lexical}, {quote},
      IF(LANG(?{var}) != "", CONCAT("@", LANG(?{var}),
          IF(DATATYPE(?{var}) = rdf:dirLangString, CONCAT("--", LANGDIR(?{var})), "")),
        IF(DATATYPE(?{var}) = xsd:string, "", CONCAT("^^<", STR(DATATYPE(?{var})), ">")))))"""


#: Only blocks whose statement N-Triples can spell in SPARQL (the rest stay for Python).
_SPELLED = (
    f"FILTER(!isLITERAL(OBJECT(?t)) || !REGEX(STR(OBJECT(?t)), {_sparql_string(_UNSPELLED)}))"
)
#: Two operations in one request: the statements and entity-level sources are inserted with
#: one solution per triple of a block other than its ``rdf:reifies`` (usually one per block:
#: its source), and the blocks deleted afterwards. One DELETE/INSERT over every triple of a
#: block wrote each statement's four triples once per block triple, and took a quarter longer.
#: Inserting first cannot insert a triple the DELETE then removes: what it deletes has a
#: blank-node subject (``_FAULTS`` refuses a named block), what it inserts an IRI subject.
_COMPILE = (
    _PREFIXES
    + f"""INSERT {{
  ?node a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; ?bp ?bv .
  ?s prov:wasDerivedFrom ?src .
}} WHERE {{
  ?r rdf:reifies ?t ; prov:wasDerivedFrom ?src .
  {_SPELLED}
  BIND(SUBJECT(?t) AS ?s) BIND(PREDICATE(?t) AS ?p) BIND(OBJECT(?t) AS ?o)
  BIND(IRI(CONCAT("{STATEMENT_BASE}", SUBSTR(SHA256(CONCAT(
    {_nt("s")}, " ", {_nt("p")}, " ", {_nt("o")}, " ", {_nt("src")})), 1, 20))) AS ?node)
  ?r ?bp ?bv FILTER(?bp != rdf:reifies)
}} ;
DELETE {{ ?r ?bp ?bv }} WHERE {{
  ?r rdf:reifies ?t ; prov:wasDerivedFrom ?src .
  {_SPELLED}
  ?r ?bp ?bv
}}"""
)


def _count(store: ox.Store, query: str) -> int:
    results = store.query(query)
    assert isinstance(results, ox.QuerySolutions)
    value = next(iter(results))["n"]
    assert isinstance(value, ox.Literal)
    return int(value.value)


def _compile_in_python(store: ox.Store, seen: set[ox.NamedNode]) -> int:
    """Compile the blocks left in the store one by one in Python, raising CitationError
    for the first faulty one; how many there were."""
    reifiers = [q.subject for q in store.quads_for_pattern(None, REIFIES, None, ox.DefaultGraph())]
    for start in range(0, len(reifiers), _BATCH):
        _compile_batch(store, reifiers[start : start + _BATCH], seen)
    return len(reifiers)


def _compile_batch(
    store: ox.Store,
    reifiers: list[ox.NamedNode | ox.BlankNode | ox.Triple],
    seen: set[ox.NamedNode],
) -> None:
    graph = ox.DefaultGraph()
    added: list[ox.Quad] = []
    removed: list[ox.Quad] = []
    derived: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for reifier in reifiers:
        assert isinstance(reifier, ox.NamedNode | ox.BlankNode)
        quads = list(store.quads_for_pattern(reifier, None, None, graph))
        statement, source, about = _read_block(store, reifier, quads)
        node = statement_iri(statement, source)
        if node in seen:
            raise CitationError(
                statement,
                f"two citation blocks cite {source} for this statement: merge them into one",
            )
        seen.add(node)
        added += [
            ox.Quad(node, TYPE, STATEMENT, graph),
            ox.Quad(node, SUBJECT, statement.subject, graph),
            ox.Quad(node, PREDICATE, statement.predicate, graph),
            ox.Quad(node, OBJECT, statement.object, graph),
            *(ox.Quad(node, prop, value, graph) for prop, value in about),
        ]
        assert isinstance(statement.subject, ox.NamedNode)
        derived[statement.subject].add(source)
        removed += quads
    for quad in removed:
        store.remove(quad)
    for entity, sources in derived.items():
        added += [ox.Quad(entity, DERIVED_FROM, source, graph) for source in sources]
    store.extend(added)


def _read_block(
    store: ox.Store, reifier: ox.NamedNode | ox.BlankNode, quads: list[ox.Quad]
) -> tuple[ox.Triple, ox.NamedNode, list[tuple[ox.NamedNode, Term]]]:
    """The statement a citation block cites, its one source and what else the block says;
    CitationError for a block the build cannot read so."""
    reified = [q.object for q in quads if q.predicate == REIFIES]
    first = reified[0]
    statement = first if isinstance(first, ox.Triple) else ox.Triple(reifier, REIFIES, first)
    if isinstance(reifier, ox.NamedNode):
        raise CitationError(
            statement, f"a named citation block (~ {reifier}): write it without a name"
        )
    if len(reified) != 1 or not isinstance(first, ox.Triple):
        raise CitationError(statement, "rdf:reifies must cite exactly one statement")
    if any(isinstance(term, ox.BlankNode | ox.Triple) for term in statement):
        raise CitationError(
            statement,
            "a citation of a statement with a blank node or a nested block: citations need "
            "IRIs and literals (data/README.md rule 7)",
        )
    sources = [q.object for q in quads if q.predicate == DERIVED_FROM]
    if len(sources) != 1:
        raise CitationError(
            statement,
            "a citation block names no source: give it prov:wasDerivedFrom source:…"
            if not sources
            else f"a citation block names {len(sources)} sources: give each source "
            "a {| |} block of its own, with its own pilot:evidence",
        )
    source = sources[0]
    if not isinstance(source, ox.NamedNode):
        raise CitationError(statement, "a citation block's source must be an IRI (source:…)")
    if sum(1 for q in quads if q.predicate == EVIDENCE) > 1:
        raise CitationError(
            statement,
            "a citation block gives pilot:evidence twice: one excerpt per block "
            "(join two passages with … in one string)",
        )
    if not _asserted(store, statement):
        raise CitationError(statement, "a citation of a statement the data does not assert")
    about = [(q.predicate, q.object) for q in quads if q.predicate != REIFIES]
    return statement, source, about


def _asserted(store: ox.Store, statement: ox.Triple) -> bool:
    """Whether the default graph states ``statement`` (annotation syntax always does;
    a reifier written out by hand with ``rdf:reifies`` may not)."""
    subject = statement.subject
    assert isinstance(subject, ox.NamedNode)
    quads = store.quads_for_pattern(
        subject, statement.predicate, statement.object, ox.DefaultGraph()
    )
    return next(iter(quads), None) is not None
