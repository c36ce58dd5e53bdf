"""scripts/synth.py writes source folders that pilotkg builds unchanged, with exactly the
planted violations, byte for byte the same for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.sources import parse_turtle
from support.synth import load_synth

synth = load_synth()


def folder_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5k-triple folder with two faults of every kind."""
    out = tmp_path_factory.mktemp("faulty")
    synth.synthesise(out, triples=5000, seed=3, violations=2 * len(synth.FAULTS))
    return out


def test_synthetic_folder_builds_and_passes_every_check(tmp_path: Path) -> None:
    source, dist = tmp_path / "src", tmp_path / "dist"
    written, planted = synth.synthesise(source, triples=5000, seed=1)
    assert planted == [] and 4000 < written < 6000
    assert not (source / "expected-violations.json").exists()
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(dist)])
    assert result.exit_code == 0, result.output
    assert (dist / "pilotkg.ttl").is_file() and (dist / "SHA256SUMS").is_file()


def test_check_reports_exactly_the_planted_violations(faulty: Path) -> None:
    expected = json.loads((faulty / "expected-violations.json").read_text(encoding="utf-8"))
    assert {row["fault"] for row in expected} == {
        fault.__name__.replace("_", "-") for fault, _group, _eligible in synth.FAULTS
    }
    result = CliRunner().invoke(main, ["check", "--source", str(faulty), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = sorted(
        (f["check"], f["focus_node"], f["path"], f["component"])
        for f in report["findings"]
        if f["severity"] == "Violation"
    )
    assert found == sorted((e["check"], e["focus"], e["path"], e["component"]) for e in expected)


def test_same_seed_same_bytes_other_seed_other_graph(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        synth.synthesise(tmp_path / name, triples=2000, seed=seed, violations=4)
    a, b, c = (folder_bytes(tmp_path / name) for name in "abc")
    assert a == b
    assert a["data/zones-000.ttl"] != c["data/zones-000.ttl"]


def test_data_files_stay_below_the_size_bound(tmp_path: Path) -> None:
    synth.synthesise(tmp_path, triples=5000, seed=1, file_triples=500)
    files = sorted((tmp_path / "data").glob("*.ttl"))
    assert any(p.name.endswith("-001.ttl") for p in files), "large groups are split"
    for path in files:
        # a file ends with the entity, and its citation blocks, that crosses 500
        assert len(parse_turtle(path)) < 500 + 60
