"""Statement-level citations: the curator's annotation blocks become RDF 1.1 reifications.

The blocks are Turtle 1.2 (``{| prov:wasDerivedFrom source:… ; pilot:evidence "…" |}``);
the build turns each into an ``rdf:Statement`` with an IRI of its own, so that the release
holds no triple term (rdflib, Jena's RDF 1.1 readers and Virtuoso 7.2 could not read one)
and SPARQL 1.1 finds every statement's sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.errors import SourceError
from pilotkg.namespaces import PILOT, PROV, RDF
from pilotkg.sources import load_sources
from pilotkg.statements import STATEMENT_BASE, compile_citations, statement_iri

PREFIXES = """@prefix : <https://example.org/> .
@prefix pilot: <https://w3id.org/pilotkg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
EX = "https://example.org/"


def _compiled(turtle: str) -> tuple[ox.Store, int]:
    store = ox.Store()
    store.load(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)
    return store, compile_citations(store)


def _rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    results = store.query(
        f"PREFIX rdf: <{RDF}> PREFIX prov: <{PROV}> PREFIX pilot: <{PILOT}> {query}"
    )
    assert isinstance(results, ox.QuerySolutions)
    return sorted(tuple(str(term) for term in row) for row in results)


def test_each_block_becomes_a_statement_with_its_source_and_evidence() -> None:
    store, count = _compiled(
        ':zone pilot:approvalDate "2019-10-14"^^xsd:date'
        ' {| prov:wasDerivedFrom :a ; pilot:evidence "复函"@zh |}'
        ' {| prov:wasDerivedFrom :b ; pilot:evidence "reply letter"@en |} .'
    )
    assert count == 2
    rows = _rows(
        store,
        "SELECT ?st ?s ?p ?o ?src ?ev WHERE { ?st a rdf:Statement ; rdf:subject ?s ;"
        " rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?src ; pilot:evidence ?ev }",
    )
    statement = ox.Triple(
        ox.NamedNode(EX + "zone"),
        ox.NamedNode(PILOT + "approvalDate"),
        ox.Literal("2019-10-14", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    )
    date = '"2019-10-14"^^<http://www.w3.org/2001/XMLSchema#date>'
    assert rows == sorted(
        [
            (str(statement_iri(statement, ox.NamedNode(EX + "a"))), f"<{EX}zone>",
             f"<{PILOT}approvalDate>", date, f"<{EX}a>", '"复函"@zh'),
            (str(statement_iri(statement, ox.NamedNode(EX + "b"))), f"<{EX}zone>",
             f"<{PILOT}approvalDate>", date, f"<{EX}b>", '"reply letter"@en'),
        ]
    )  # fmt: skip
    assert all(row[0].startswith(f"<{STATEMENT_BASE}") for row in rows)


def test_no_triple_term_and_no_blank_node_is_left() -> None:
    store, _ = _compiled(":zone pilot:batch 1 {| prov:wasDerivedFrom :a |} .")
    for quad in store:
        assert not isinstance(quad.object, ox.Triple), quad
        assert not isinstance(quad.subject, ox.BlankNode), quad
        assert quad.predicate != ox.NamedNode(RDF + "reifies"), quad


def test_the_entity_cites_every_source_its_statements_cite() -> None:
    store, _ = _compiled(
        ":zone pilot:batch 1 {| prov:wasDerivedFrom :a |} ; pilot:sector :ai {| prov:wasDerivedFrom :b |} ."
    )
    rows = _rows(store, f"SELECT ?src WHERE {{ <{EX}zone> prov:wasDerivedFrom ?src }}")
    assert rows == [(f"<{EX}a>",), (f"<{EX}b>",)]


def test_a_citation_keeps_its_iri_from_build_to_build() -> None:
    text = ":zone pilot:batch 1 {| prov:wasDerivedFrom :a |} ."
    first = {q.subject for q in _compiled(text)[0] if q.predicate == ox.NamedNode(RDF + "subject")}
    second = {q.subject for q in _compiled(text)[0] if q.predicate == ox.NamedNode(RDF + "subject")}
    assert first == second and len(first) == 1


@pytest.mark.parametrize(
    ("block", "says"),
    [
        ('{| pilot:evidence "复函"@zh |}', "names no source"),
        ("{| prov:wasDerivedFrom :a , :b |}", "names 2 sources"),
    ],
)
def test_a_block_without_one_source_stops_the_build_naming_file_and_statement(
    source_copy: Path, block: str, says: str
) -> None:
    (source_copy / "data" / "zz-cite.ttl").write_text(
        PREFIXES + f"<https://w3id.org/pilotkg/id/zone/shenzhen> pilot:batch 7 {block} .\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as raised:
        load_sources(source_copy)
    message = str(raised.value)
    assert message.startswith("data/zz-cite.ttl: "), message
    shown = "<https://w3id.org/pilotkg/id/zone/shenzhen> <https://w3id.org/pilotkg/ontology#batch> "
    assert shown + '"7"^^' in message
    assert says in message
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def _without_first_citation(text: str, entity: str, statement: str) -> str:
    """``text`` with the citation blocks after ``statement`` in ``entity``'s description removed."""
    start = text.index(f"\n{entity} a ")
    tail = re.sub(
        re.escape(statement) + r"(\s*\{\|.*?\|\})+", statement, text[start:], count=1, flags=re.S
    )
    assert tail != text[start:], f"{statement} of {entity} has no citation block to remove"
    return text[:start] + tail


def test_a_statement_that_loses_its_source_fails_the_check_by_name(source_copy: Path) -> None:
    zones = source_copy / "data" / "zones.ttl"
    zones.write_text(
        _without_first_citation(
            zones.read_text(encoding="utf-8"),
            "zone:shenzhen",
            'pilot:approvalDate "2019-10-14"^^xsd:date',
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert result.exit_code == 1, result.output
    failures = [line for line in result.output.splitlines() if "statement-without-source" in line]
    assert len(failures) == 1, result.output  # not also the pilot:date entailed from it
    assert "<https://w3id.org/pilotkg/id/zone/shenzhen>" in failures[0], failures
    assert "approvalDate" in failures[0] and "2019-10-14" in failures[0], failures


@pytest.mark.parametrize(
    ("file", "entity", "statement", "names"),
    [
        (  # a programme's statements are in scope too: its count of zones
            "programmes.ttl",
            "programme:most-ai-innovation-development-pilot-zones",
            "figure:most-zones-count-2021-12",
            (
                "/id/programme/most-ai-innovation-development-pilot-zones>",
                "figure",
                "/id/figure/most-zones-count-2021-12",
            ),
        ),
        (  # one side of a twin-zone link
            "most-zones.ttl",
            "zone:most-wuhan",
            "pilot:twinZone zone:wuhan",
            ("/id/zone/most-wuhan>", "twinZone", "/id/zone/wuhan"),
        ),
        (  # a lower bound
            "figures.ttl",
            "figure:liaoning-computing-power-target-2027",
            "schema:minValue 5000.0",
            ("/id/figure/liaoning-computing-power-target-2027>", "minValue", "5000"),
        ),
    ],
    ids=["programme-figure", "twin-zone", "lower-bound"],
)
def test_a_new_kind_of_statement_that_loses_its_source_is_named(
    source_copy: Path, file: str, entity: str, statement: str, names: tuple[str, ...]
) -> None:
    path = source_copy / "data" / file
    path.write_text(
        _without_first_citation(path.read_text(encoding="utf-8"), entity, statement),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert result.exit_code == 1, result.output
    failures = [line for line in result.output.splitlines() if "statement-without-source" in line]
    assert len(failures) == 1, result.output
    assert all(name in failures[0] for name in names), failures


SHENZHEN = "<https://w3id.org/pilotkg/id/zone/shenzhen>"
SOURCE = "<https://w3id.org/pilotkg/id/source/equalocean-2019-10-19>"


@pytest.mark.parametrize(
    ("turtle", "says"),
    [
        (  # a named block would take the name of something described elsewhere
            f"{SHENZHEN} pilot:batch 7 ~ {SHENZHEN} {{| prov:wasDerivedFrom {SOURCE} |}} .",
            "a named citation block",
        ),
        (
            f'{SHENZHEN} pilot:batch 7 {{| prov:wasDerivedFrom {SOURCE} ; pilot:evidence "a"@en |}}'
            f' {{| prov:wasDerivedFrom {SOURCE} ; pilot:evidence "b"@en |}} .',
            "two citation blocks cite",
        ),
        (
            f'{SHENZHEN} pilot:batch 7 {{| prov:wasDerivedFrom {SOURCE} ; pilot:evidence "a"@en , "b"@en |}} .',
            "gives pilot:evidence twice",
        ),
        (
            f"{SHENZHEN} pilot:batch 7 {{| prov:wasDerivedFrom [ a pilot:Source ] |}} .",
            "source must be an IRI",
        ),
        (f"{SHENZHEN} :says <<( {SHENZHEN} pilot:batch 7 )>> .", "triple term outside"),
    ],
    ids=["named", "same-source-twice", "two-excerpts", "blank-source", "bare-triple-term"],
)
def test_a_block_the_build_cannot_read_is_one_line_naming_its_file(
    source_copy: Path, turtle: str, says: str
) -> None:
    (source_copy / "data" / "zz-cite.ttl").write_text(PREFIXES + turtle + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert errors[0].startswith("error: data/zz-cite.ttl: "), errors
    assert says in errors[0], errors


def test_a_citation_block_outside_data_is_refused(source_copy: Path) -> None:
    ontology = source_copy / "ontology" / "pilotkg.ttl"
    ontology.write_text(
        ontology.read_text(encoding="utf-8")
        + '\npilot:Figure rdfs:comment "x"@en {| prov:wasDerivedFrom pilot:Figure |} .\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(source_copy / "dist")]
    )
    assert result.exit_code == 2, result.output
    assert "they belong in data/ only" in result.output and "Traceback" not in result.output
    assert not (source_copy / "dist").exists()


#: Objects whose N-Triples text needs care: escapes by name, ``\uXXXX``, language and direction,
#: datatypes (``xsd:string`` written without one), non-ASCII text, an IRI.
TRICKY_OBJECTS: list[ox.Literal | ox.NamedNode] = [
    ox.Literal('say "hi" \\ back\\slash'),
    ox.Literal("lines\nand\r\ttabs\x08\x0c"),
    ox.Literal("control \x01 and \x7f and \x1f"),
    ox.Literal("深圳", language="zh"),
    ox.Literal("Shenzhen", language="en-GB"),
    ox.Literal("right to left", language="ar", direction=ox.BaseDirection.RTL),
    ox.Literal("2019-10", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYearMonth")),
    ox.Literal("5000.0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
    ox.Literal("plain", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")),
    ox.Literal("$1 and $$ and {braces}"),
    ox.NamedNode("https://w3id.org/pilotkg/id/region/深圳"),
]


def test_the_store_names_each_citation_as_statement_iri_does() -> None:
    """The native compilation computes the digest in SPARQL: it must give the IRIs of
    ``statement_iri`` (the published IRIs) for every kind of object, a literal with a
    control character (compiled in Python) included."""
    subject, predicate = ox.NamedNode(EX + "zone"), ox.NamedNode(PILOT + "note")
    source = ox.NamedNode(EX + "a")
    store = ox.Store()
    for number, obj in enumerate(TRICKY_OBJECTS):
        statement = ox.Triple(subject, predicate, obj)
        reifier = ox.BlankNode(f"r{number}")
        store.extend(
            [
                ox.Quad(subject, predicate, obj),
                ox.Quad(reifier, ox.NamedNode(RDF + "reifies"), statement),
                ox.Quad(reifier, ox.NamedNode(PROV + "wasDerivedFrom"), source),
            ]
        )
    assert compile_citations(store) == len(TRICKY_OBJECTS)
    named = {
        (q.subject, q.object)
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "object"), None)
    }
    # the objects as the store holds them (it writes 5000.0 as 5000), as a build reads them
    assert len(named) == len(TRICKY_OBJECTS)
    assert named == {
        (statement_iri(ox.Triple(subject, predicate, obj), source), obj) for _node, obj in named
    }
