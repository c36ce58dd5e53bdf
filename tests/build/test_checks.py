"""The checks bite: HermiT on a projection, link integrity, QC violation queries, and `pilotkg check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.build import pipeline
from pilotkg.build.checks import check_links, run_qc_queries
from pilotkg.build.reasoning import check_consistency, owl_projection
from pilotkg.cli import main
from pilotkg.graphs import to_store
from pilotkg.release import MEMO_FOLDER
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


def test_a_blank_node_pointing_at_an_undescribed_iri_gives_both_findings() -> None:
    """The link check finds blank nodes and undescribed targets in one scan: a triple that is
    both is reported as both."""
    data = turtle(
        "region:r a pilot:Region ; prov:wasDerivedFrom source:s ; "
        "rdfs:seeAlso [ pilot:locatedIn region:nowhere ] . source:s a pilot:Source ."
    )
    findings = [(f.focus_node, f.message) for f in check_links(to_store(data))]
    undescribed = [m for f, m in findings if f == "<https://w3id.org/pilotkg/id/region/nowhere>"]
    assert (
        len(undescribed) == 1
        and "(by _:" in undescribed[0]
        and "described nowhere" in undescribed[0]
    )
    blank = [f for f, m in findings if "blank node" in m]
    assert sorted(blank)[0] == "<https://w3id.org/pilotkg/id/region/r>" and len(blank) == 2


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


def _error_lines(stderr: str) -> list[str]:
    """What a command said besides its progress lines (each ``· …``)."""
    return [line for line in stderr.splitlines() if not line.startswith("·")]


@pytest.mark.parametrize("command", ["build", "check"])
def test_an_empty_shapes_folder_is_an_input_error(
    source_copy: Path, tmp_path: Path, command: str
) -> None:
    """SHACL with no shapes conforms: without this, any data would pass and be published."""
    for path in (source_copy / "shapes").iterdir():
        path.unlink()
    out = ["--out", str(tmp_path / "dist")] if command == "build" else []
    result = CliRunner().invoke(main, [command, "--source", str(source_copy), *out])
    assert result.exit_code == 2, result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and "shapes: no .ttl files" in errors[0], errors
    assert not (tmp_path / "dist").exists()


def test_commands_that_check_nothing_need_no_shapes(source_copy: Path) -> None:
    """Only SHACL needs shapes: queries read the data alone, and ``--skip shacl`` says so."""
    for path in (source_copy / "shapes").iterdir():
        path.unlink()
    query = CliRunner().invoke(main, ["query", "zones", "--source", str(source_copy)])
    assert query.exit_code == 0, query.output
    check = CliRunner().invoke(
        main, ["check", "--source", str(source_copy), "--skip", "shacl", "--skip", "owl"]
    )
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n# every shape removed\n",
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:x> sh:targetClass <urn:C> .\n",
    ],
    ids=["empty", "prefixes-only", "untyped"],
)
def test_a_shapes_file_without_shapes_is_an_input_error(
    source_copy: Path, tmp_path: Path, text: str
) -> None:
    (source_copy / "shapes" / "pilotkg-shapes.ttl").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 2, result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].startswith("error: shapes/pilotkg-shapes.ttl: "), errors
    assert "declares no sh:NodeShape or sh:PropertyShape" in errors[0]
    assert not (tmp_path / "dist").exists()


def _nested(depth: int) -> str:
    return (
        "SELECT ?focus ?message WHERE "
        + "{ " * depth
        + '?focus a ?c BIND("x" AS ?message)'
        + " }" * depth
        + "\n"
    )


def _run_build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``pilotkg build`` in a process of its own: a crash in native code must not end pytest."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pilotkg", "build", "--source", str(source)),
            *("--out", str(out), "--skip", "owl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_deeply_nested_qc_query_is_an_input_error_and_leaves_no_staging(
    source_copy: Path, tmp_path: Path
) -> None:
    """5,000 nested groups crashed pyoxigraph's parser (SIGSEGV), leaving a staging folder."""
    out = tmp_path / "dist"
    pipeline.build(source_copy, out, skip=("owl",))
    published = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (source_copy / "queries" / "qc" / "zz-deep-violation.rq").write_text(
        _nested(5000), encoding="utf-8"
    )
    result = _run_build(source_copy, out)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = _error_lines(result.stderr)
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: queries/qc/zz-deep-violation.rq:1:"), errors
    assert "nest more than 64 deep" in errors[0]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == published
    assert {p.name for p in tmp_path.iterdir()} == {"src", "dist", ".dist.releases"}
    assert {p.name for p in (tmp_path / ".dist.releases").iterdir()} - {MEMO_FOLDER} == {
        ".lock",
        out.readlink().name,
    }
    check = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert check.exit_code == 2 and "zz-deep-violation.rq:1:" in check.stderr


def test_a_qc_query_at_the_nesting_limit_still_runs(source_copy: Path) -> None:
    (source_copy / "queries" / "qc" / "zz-deep-violation.rq").write_text(
        _nested(63), encoding="utf-8"
    )
    sources = load_sources(source_copy)
    findings = run_qc_queries(sources.store, source_copy / "queries" / "qc")
    assert any(f.check == "qc:zz-deep-violation" for f in findings)


def test_a_deeply_nested_sparql_constraint_in_the_shapes_is_an_input_error(
    source_copy: Path, tmp_path: Path
) -> None:
    """The shapes' own SPARQL goes to the SHACL engine's parser: it is checked the same way."""
    (source_copy / "shapes" / "zz-deep.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:deep-shape> a sh:NodeShape ; sh:targetNode <urn:x> ;\n"
        f'  sh:sparql [ sh:select """{_nested(5000)}""" ] .\n',
        encoding="utf-8",
    )
    result = _run_build(source_copy, tmp_path / "dist")
    assert result.returncode == 2, result.stderr[-2000:]
    errors = _error_lines(result.stderr)
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: shapes/zz-deep.ttl: the sh:select of <urn:deep-shape>: ")
    assert not (tmp_path / "dist").exists()
