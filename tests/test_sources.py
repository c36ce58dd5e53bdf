"""Finding the source folder and parsing it: malformed input names file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.errors import SourceError
from pilotkg.sources import find_source_dir, load_sources


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
    field = "https://w3id.org/pilotkg/ontology#field"
    sector = "https://w3id.org/pilotkg/ontology#sector"
    fields = {(t.subject, t.object) for t in sources.data if t.predicate.value == field}
    sectors = {(t.subject, t.object) for t in sources.data if t.predicate.value == sector}
    assert fields and fields <= sectors
    assert all(t not in sources.stated for t in sources.entailed)
