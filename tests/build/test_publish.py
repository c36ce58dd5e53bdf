"""A release: every file present, byte-identical when rebuilt, dumps equal to the sources as graphs,
VoID that counts what is there, and a failed build that leaves the previous release untouched."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.build import pipeline
from pilotkg.cli import main
from pilotkg.errors import CheckFailed
from pilotkg.graphs import to_store
from pilotkg.release import MEMO_FOLDER
from pilotkg.sources import load_sources

RELEASE_FILES = {
    "pilotkg.ttl",
    "pilotkg.nt.gz",
    "pilotkg.jsonld",
    "pilotkg.rdf",
    "ontology.ttl",
    "ontology.html",
    "context.jsonld",
    "void.ttl",
    "collation-zh.json",
    "SHA256SUMS",
    "csv/zones.csv",
    "csv/bases.csv",
    "csv/policies.csv",
    "csv/organisations.csv",
    "csv/datapackage.json",
}


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def graph_of(path: Path) -> set[ox.Triple]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
        path = path.with_suffix("")
    fmt = {
        ".ttl": ox.RdfFormat.TURTLE,
        ".nt": ox.RdfFormat.N_TRIPLES,
        ".jsonld": ox.RdfFormat.JSON_LD,
        ".rdf": ox.RdfFormat.RDF_XML,
    }[path.suffix]
    return {q.triple for q in ox.parse(data, format=fmt)}


def test_release_has_every_file(release: Path) -> None:
    assert set(files_of(release)) == RELEASE_FILES


@pytest.mark.parametrize("dump", ["pilotkg.ttl", "pilotkg.nt.gz", "pilotkg.jsonld", "pilotkg.rdf"])
def test_every_dump_holds_exactly_the_sources(release: Path, source_dir: Path, dump: str) -> None:
    sources = load_sources(source_dir)
    assert graph_of(release / dump) == set(sources.knowledge)


def test_the_ntriples_dump_is_in_line_order(release: Path) -> None:
    """Sorted (the order that makes rebuilds byte-identical) and each triple once."""
    lines = gzip.decompress((release / "pilotkg.nt.gz").read_bytes()).splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines)) > 1000


def test_checksums_match_the_files(release: Path) -> None:
    lines = (release / "SHA256SUMS").read_text().splitlines()
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    files = files_of(release)
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest


def test_rebuild_in_another_process_is_byte_identical(
    release: Path, source_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pilotkg",
            "build",
            "--source",
            str(source_dir),
            "--out",
            str(out),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    assert files_of(out) == files_of(release)


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def _value(store: ox.Store, query: str) -> ox.Literal:
    """The ``?n`` of the first row of ``query``."""
    value = next(iter(_select(store, query)))["n"]
    assert isinstance(value, ox.Literal)
    return value


def test_void_counts_triples_entities_and_wikidata_links(release: Path) -> None:
    void = to_store(graph_of(release / "void.ttl"))
    knowledge = to_store(graph_of(release / "pilotkg.nt.gz"))
    prefix = "PREFIX void: <http://rdfs.org/ns/void#> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
    triples = _value(
        void, prefix + "SELECT ?n WHERE { <https://w3id.org/pilotkg/dataset> void:triples ?n }"
    )
    assert int(triples.value) == len(knowledge)
    zones = _value(
        void,
        prefix
        + "SELECT ?n WHERE { ?p void:class <https://w3id.org/pilotkg/ontology#PilotZone> ; void:entities ?n }",
    )
    assert int(zones.value) == 29, "11 MIIT zones and 18 MOST zones"
    same_as = _value(
        knowledge,
        prefix
        + 'SELECT (COUNT(*) AS ?n) WHERE { ?s owl:sameAs ?o FILTER(STRSTARTS(STR(?o), "http://www.wikidata.org/entity/")) }',
    )
    linked = _value(
        void,
        prefix
        + "SELECT ?n WHERE { ?l a void:Linkset ; void:linkPredicate owl:sameAs ; void:triples ?n }",
    )
    assert linked.value == same_as.value and int(linked.value) > 30
    dumps = {
        r["d"].value for r in _select(void, prefix + "SELECT ?d WHERE { ?x void:dataDump ?d }")
    }
    assert "https://w3id.org/pilotkg/dumps/pilotkg.ttl" in dumps and len(dumps) == 4


def test_csv_exports_have_a_row_per_entity_in_both_languages(release: Path) -> None:
    rows = list(
        csv.DictReader(io.StringIO((release / "csv" / "zones.csv").read_text(encoding="utf-8-sig")))
    )
    assert len(rows) == 29
    shenzhen = next(r for r in rows if r["zone"] == "https://w3id.org/pilotkg/id/zone/shenzhen")
    assert shenzhen["label_zh"] == "深圳人工智能创新应用先导区"
    assert shenzhen["batch"] == "1" and shenzhen["approved"] == "2019-10-14"


def test_ontology_docs_are_generated_from_the_ontology(release: Path) -> None:
    html = (release / "ontology.html").read_text(encoding="utf-8")
    assert "AI application pilot test base" in html and "人工智能应用中试基地" in html


def _add_unsourced_region(source: Path) -> None:
    """Add a region that cites no source: the link check fails on region/atlantis."""
    (source / "data" / "zz-unsourced.ttl").write_text(
        "@prefix pilot: <https://w3id.org/pilotkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/pilotkg/id/region/atlantis> a pilot:Region ; rdfs:label "Atlantis"@en , "亚特兰蒂斯"@zh .\n',
        encoding="utf-8",
    )


def test_failed_build_leaves_the_previous_release_untouched(
    source_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    pipeline.build(source_copy, out, skip=("owl",))
    before = files_of(out)
    _add_unsourced_region(source_copy)
    with pytest.raises(CheckFailed, match="region/atlantis"):
        pipeline.build(source_copy, out, skip=("owl",))
    assert files_of(out) == before
    beside = {p.name for p in tmp_path.iterdir()} - {source_copy.name}
    assert beside == {"dist", ".dist.releases"}, "nothing beside dist but its releases folder"
    releases = {p.name for p in (tmp_path / ".dist.releases").iterdir()} - {MEMO_FOLDER}
    assert releases == {".lock", out.readlink().name}, "no staging folder left"


def _break_export_query(source: Path) -> None:
    """Make queries/zones.rq, one of the CSV exports, unparseable."""
    query = source / "queries" / "zones.rq"
    query.write_text(query.read_text(encoding="utf-8").replace("SELECT", "SELEC", 1), "utf-8")


def test_a_broken_export_query_names_its_file_and_publishes_nothing(
    source_copy: Path, tmp_path: Path
) -> None:
    _break_export_query(source_copy)
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(out), "--skip", "owl"]
    )
    assert result.exit_code == 2, result.output
    assert "queries/zones.rq: error at" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_failed_checks_are_reported_when_bad_sources_also_break_the_release(
    source_copy: Path, tmp_path: Path
) -> None:
    _break_export_query(source_copy)
    _add_unsourced_region(source_copy)
    with pytest.raises(CheckFailed, match="region/atlantis"):
        pipeline.build(source_copy, tmp_path / "dist", skip=("owl",))


def test_build_command_prints_a_summary(source_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_dir), "--out", str(tmp_path / "d"), "--skip", "owl"]
    )
    assert result.exit_code == 0, result.output
    assert "published" in result.stdout and "PilotZone" in result.stdout


def test_diff_groups_changes_by_entity(release: Path, tmp_path: Path) -> None:
    old = release / "pilotkg.ttl"
    new = tmp_path / "new.ttl"
    new.write_bytes(
        old.read_bytes()
        + b'\n<https://w3id.org/pilotkg/id/zone/shenzhen> <http://www.w3.org/2000/01/rdf-schema#comment> "added"@en .\n'
    )
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "1 entities changed: 1 triples added, 0 removed"
    assert '+ <http://www.w3.org/2000/01/rdf-schema#comment> "added"@en' in result.stdout
