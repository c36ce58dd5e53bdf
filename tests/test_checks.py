"""The checks bite: HermiT on a projection, link integrity, QC violation queries, and `pilotkg check`."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.checks import check_links, run_qc_queries
from pilotkg.cli import main
from pilotkg.graphs import to_store
from pilotkg.reasoning import check_consistency, owl_projection
from pilotkg.sources import load_sources, parse_turtle

PREFIXES = """@prefix pilot: <https://w3id.org/pilotkg/ontology#> .
@prefix zone: <https://w3id.org/pilotkg/id/zone/> .
@prefix base: <https://w3id.org/pilotkg/id/base/> .
@prefix region: <https://w3id.org/pilotkg/id/region/> .
@prefix source: <https://w3id.org/pilotkg/id/source/> .
@prefix sector: <https://w3id.org/pilotkg/id/sector/> .
@prefix programme: <https://w3id.org/pilotkg/id/programme/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def turtle(text: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE)]


@pytest.fixture(scope="module")
def ontology(source_dir: Path) -> list[ox.Triple]:
    return parse_turtle(source_dir / "ontology" / "pilotkg.ttl")


def test_projection_drops_only_dates_outside_the_owl2_datatype_map() -> None:
    triples = turtle(
        'zone:a pilot:launchDate "2025-07-27"^^xsd:date ; pilot:approvalDate "2025-07"^^xsd:gYearMonth ;'
        ' pilot:batch 1 ; rdfs:label "A"@en ; pilot:signingDate "2017"^^xsd:gYear .'
    )
    kept, dropped = owl_projection(triples)
    assert dropped == 3
    assert {t.predicate.value.rsplit("#", 1)[-1] for t in kept} == {"batch", "label"}


def test_hermit_accepts_the_real_ontology_and_data(source_dir: Path) -> None:
    sources = load_sources(source_dir)
    assert check_consistency(sources.ontology, sources.data) == []


def test_hermit_finds_a_zone_that_is_also_a_base(ontology: list[ox.Triple]) -> None:
    data = turtle(
        'zone:x a pilot:PilotZone , pilot:PilotTestBase ; pilot:launchDate "2025-01"^^xsd:gYearMonth .'
    )
    findings = check_consistency(ontology, data)
    assert len(findings) == 1 and "inconsistent" in findings[0].message


def test_hermit_finds_two_programmes_on_one_zone(ontology: list[ox.Triple]) -> None:
    data = turtle(
        "programme:p1 a pilot:Programme . programme:p2 a pilot:Programme . "
        "programme:p1 owl:differentFrom programme:p2 . "
        "zone:x a pilot:PilotZone ; pilot:programme programme:p1 , programme:p2 ."
    )
    assert check_consistency(ontology, data), (
        "programme is functional: two distinct values must clash"
    )


def test_links_find_undescribed_targets_unsourced_entities_and_blank_nodes() -> None:
    data = turtle(
        "zone:a a pilot:PilotZone ; pilot:locatedIn region:nowhere ; prov:wasDerivedFrom source:s . "
        "source:s a pilot:Source . "
        'region:r a pilot:Region ; rdfs:seeAlso [ rdfs:label "anon" ] .'
    )
    findings = [(f.focus_node, f.message) for f in check_links(to_store(data))]
    region = "<https://w3id.org/pilotkg/id/region/"
    assert any(
        focus == region + "nowhere>" and "described nowhere" in msg for focus, msg in findings
    )
    assert any(focus == region + "r>" and "cites no source" in msg for focus, msg in findings)
    assert any(focus == region + "r>" and "blank node" in msg for focus, msg in findings)


def test_links_leave_the_ontology_blank_nodes_alone() -> None:
    """Blank nodes in the triples named as ontology are not data: only the data's are reported."""
    ontology = turtle('pilot:Zone rdfs:seeAlso [ rdfs:label "a note" ] .')
    data = turtle(
        'region:r a pilot:Region ; prov:wasDerivedFrom source:s ; rdfs:seeAlso [ rdfs:label "anon" ] .'
    )
    store = to_store(ontology)
    stored_ontology = [q.triple for q in store]
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in data)

    def blank_node_findings(ontology: list[ox.Triple]) -> list[str]:
        return sorted(
            f.focus_node for f in check_links(store, ontology) if "blank node" in f.message
        )

    # the data's anonymous node: once as the object of region:r, once as a subject
    found = blank_node_findings(stored_ontology)
    assert found[0] == "<https://w3id.org/pilotkg/id/region/r>" and len(found) == 2
    assert found[1].startswith("_:")
    assert len(blank_node_findings([])) == 4, "without the ontology named, its blank node counts"


def test_qc_queries_catch_planted_violations(source_dir: Path) -> None:
    data = turtle(
        "region:a owl:sameAs <http://www.wikidata.org/entity/Q1> . region:b owl:sameAs <http://www.wikidata.org/entity/Q1> . "
        "sector:field skos:broader sector:top . sector:other a pilot:Sector . "
        "base:x a pilot:PilotTestBase ; pilot:field sector:field ; pilot:direction sector:other ; pilot:sector sector:field ."
    )
    rules = {f.check for f in run_qc_queries(to_store(data), source_dir / "queries" / "qc")}
    assert "qc:shared-wikidata-item-violation" in rules
    assert "qc:direction-outside-field-violation" in rules


def test_check_command_passes_on_the_real_data_and_reports_json(source_dir: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--source", str(source_dir), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["findings"][:5]
    assert report["passed"] is True and report["violations"] == 0


def test_check_command_names_focus_path_and_message_and_exits_1(source_copy: Path) -> None:
    zones = source_copy / "data" / "zones.ttl"
    text = zones.read_text(encoding="utf-8")
    zones.write_text(
        text.replace('"深圳人工智能创新应用先导区"@zh', '"Shenzhen without Chinese"@en-x-test', 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy), "--skip", "owl"])
    assert result.exit_code == 1
    line = next(
        line
        for line in result.stdout.splitlines()
        if "id/zone/shenzhen>" in line and "[shacl]" in line
    )
    assert "path <http://www.w3.org/2000/01/rdf-schema#label>" in line
    assert "checks FAILED" in result.stdout


def test_check_turtle_report_is_a_shacl_validation_report(source_copy: Path) -> None:
    (source_copy / "data" / "zz-orphan.ttl").write_text(
        PREFIXES + 'region:orphan a pilot:Region ; rdfs:label "Orphan"@en , "孤儿"@zh .\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["check", "--source", str(source_copy), "--skip", "owl", "--format", "turtle"]
    )
    assert result.exit_code == 1
    report = to_store(q.triple for q in ox.parse(result.stdout, format=ox.RdfFormat.TURTLE))
    ask = report.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> ASK { ?r sh:conforms false ; sh:result ?x . "
        "?x sh:focusNode <https://w3id.org/pilotkg/id/region/orphan> ; sh:resultMessage ?m }"
    )
    assert bool(ask)
