"""Finding the source folder and parsing it: malformed input names file, line and column."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.errors import SourceError
from pilotkg.sources import find_source_dir, load_sources
from pilotkg.statements import STATEMENT_BASE


def test_malformed_turtle_names_file_line_and_column(source_copy: Path) -> None:
    broken = source_copy / "data" / "zones.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines.insert(5, 'id:zone/broken rdfs:label "unterminated ;')
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_sources(source_copy)
    message = str(caught.value)
    assert message.startswith("data/zones.ttl:6:"), message


def test_cli_reports_malformed_turtle_with_exit_2(source_copy: Path, tmp_path: Path) -> None:
    (source_copy / "data" / "zz-broken.ttl").write_text(
        "@prefix x: <http://x/> .\nx:a x:b .\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 2
    assert "data/zz-broken.ttl:2:" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "dist").exists()


def test_source_dir_must_have_all_parts(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(SourceError, match="lacks ontology/, shapes/, queries/"):
        find_source_dir(tmp_path)


def test_checkout_is_found_from_inside_it(
    source_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(source_dir / "data")
    assert find_source_dir() == source_dir


def test_sub_properties_are_made_explicit(source_dir: Path) -> None:
    """A base states pilot:field; the published graph also says pilot:sector, as RDFS would infer."""
    sources = load_sources(source_dir)
    pilot = "https://w3id.org/pilotkg/ontology#"
    derived_from = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")

    def fact(t: ox.Triple) -> bool:  # neither a citation nor an entity's list of its sources
        return (
            isinstance(t.subject, ox.NamedNode)
            and not t.subject.value.startswith(STATEMENT_BASE)
            and t.predicate != derived_from
        )

    asserted = ox.Store()  # a store writes literals as the release's store does (1.0 as 1)
    for path in sources.tree.data_files:
        asserted.load(path=path, format=ox.RdfFormat.TURTLE)
    stated = {quad.triple for quad in asserted if fact(quad.triple)}
    data = {t for t in sources.data if fact(t)}
    fields = {(t.subject, t.object) for t in data if t.predicate.value == pilot + "field"}
    sectors = {(t.subject, t.object) for t in data if t.predicate.value == pilot + "sector"}
    assert fields and fields <= sectors
    assert stated <= data and len(data - stated) == sources.entailed > 0
    sub_property_of = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")
    axioms = {
        (t.subject, t.object)
        for t in sources.ontology
        if t.predicate == sub_property_of and isinstance(t.subject, ox.NamedNode)
    }
    for entailed in data - stated:  # each from a stated triple with a sub-property (one step here)
        assert any(
            ox.Triple(entailed.subject, sub, entailed.object) in stated
            for sub, parent in axioms
            if parent == entailed.predicate
        ), entailed


def test_the_data_view_leaves_out_exactly_the_ontology(source_dir: Path) -> None:
    sources = load_sources(source_dir)
    ontology = set(sources.ontology)
    data = set(sources.data)
    assert ontology and data and not ontology & data
    assert ontology | data == set(sources.knowledge)
    assert len(sources.knowledge) == len(sources.store) == len(ontology) + len(data)


def test_the_predicate_index_finds_what_a_full_pass_finds(source_dir: Path) -> None:
    sources = load_sources(source_dir)
    wanted = {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://w3id.org/pilotkg/ontology#locatedIn",
        "http://www.w3.org/2000/01/rdf-schema#subClassOf",  # ontology only: excluded from data
    }
    found = list(sources.data.with_predicates(wanted))
    assert len(found) == len(set(found)) > 100
    assert set(found) == {t for t in sources.data if t.predicate.value in wanted}


def _error_lines(stderr: str) -> list[str]:
    """What a command said besides its progress lines (each ``· …``)."""
    return [line for line in stderr.splitlines() if not line.startswith("·")]


def _write_comment(source: Path, literal: str) -> None:
    """data/zz-big.ttl: one region's comment, the literal as written (quotes included)."""
    (source / "data" / "zz-big.ttl").write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<https://w3id.org/pilotkg/id/region/guangdong> rdfs:comment {literal}@en .\n",
        encoding="utf-8",
    )


def test_a_literal_over_16_mib_is_an_input_error_naming_file_and_line(
    source_copy: Path, tmp_path: Path
) -> None:
    """pyoxigraph's parser raised MemoryError (its token buffer stops at 16 MiB): a traceback."""
    _write_comment(source_copy, '"' + "a" * (17 * 2**20) + '"')
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 2, result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].startswith("error: data/zz-big.ttl:2: "), errors
    assert "longer than 16 MiB" in errors[0] and "Traceback" not in result.output
    assert not (tmp_path / "dist").exists()


def test_a_literal_that_grows_past_16_mib_when_written_out_is_an_input_error(
    source_copy: Path, tmp_path: Path
) -> None:
    """9 MiB of raw line breaks parse, but each is written back as ``\\n``: the sorted
    N-Triples file the dumps stream from could not be read back (MemoryError)."""
    _write_comment(source_copy, '"""' + "\n" * (9 * 2**20) + '"""')
    result = CliRunner().invoke(
        main, ["build", "--source", str(source_copy), "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 2, result.output
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].startswith("error: data/zz-big.ttl: the literal of "), (
        errors
    )
    assert "18.0 MiB written out" in errors[0] and "Traceback" not in result.output
    assert not (tmp_path / "dist").exists()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_term_too_long_is_reported_before_a_faulty_citation_block(source_copy: Path) -> None:
    """The term-size check runs beside the search for faulty blocks (``compile_citations``'s
    ``alongside``), and its error still comes first, as when it ran before it. Its query's
    solutions are released on the thread that made them: pyoxigraph refuses to drop them on
    another (an "unsendable" error, which the warning filter turns into a failure)."""
    _write_comment(source_copy, '"""' + "\n" * (9 * 2**20) + '"""')
    (source_copy / "data" / "zz-cite.ttl").write_text(
        "@prefix pilot: <https://w3id.org/pilotkg/ontology#> .\n"
        '<https://w3id.org/pilotkg/id/zone/shenzhen> pilot:batch 7 {| pilot:evidence "x"@en |} .\n',
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as raised:
        load_sources(source_copy)
    assert str(raised.value).startswith("data/zz-big.ttl: the literal of "), raised.value
    (source_copy / "data" / "zz-big.ttl").unlink()
    with pytest.raises(SourceError) as raised:  # the block is faulty on its own
        load_sources(source_copy)
    assert str(raised.value).startswith("data/zz-cite.ttl: ") and "names no source" in str(
        raised.value
    )


def test_a_long_literal_within_the_limit_loads(source_copy: Path) -> None:
    """Only files large enough to hold an oversized term are looked at again; this one is."""
    _write_comment(source_copy, '"' + "a" * (4 * 2**20) + '"')
    sources = load_sources(source_copy)
    assert any(
        isinstance(t.object, ox.Literal) and len(t.object.value) == 4 * 2**20
        for t in sources.data.with_predicates(["http://www.w3.org/2000/01/rdf-schema#comment"])
    )


def test_the_loaded_hook_sees_the_files_triples_before_the_citations_compile(
    source_dir: Path,
) -> None:
    """``on_loaded`` (where the build starts spelling the pinyin keys) runs once, on the store
    holding what the files state: the citation blocks still as RDF 1.2 reifiers, the labels there."""
    seen: list[tuple[bool, bool, int]] = []  # blocks, label, triples

    def look(store: ox.Store) -> None:
        reifies = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies")
        label = ox.Literal("深圳人工智能创新应用先导区", language="zh")
        blocks = next(iter(store.quads_for_pattern(None, reifies, None)), None) is not None
        labelled = next(iter(store.quads_for_pattern(None, None, label)), None) is not None
        seen.append((blocks, labelled, len(store)))

    sources = load_sources(source_dir, on_loaded=look)
    assert len(seen) == 1
    blocks, labelled, triples = seen[0]
    assert blocks and labelled
    assert triples < sources.triples  # the compile and the entailments add triples after it
