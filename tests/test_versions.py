"""``pilotkg release VERSION``: a frozen version keeps the release's files, says what version it
is and what came before it (DCAT 3), tells what changed in words, and is written the same way
every time; a bad or clashing VERSION is one line and exit 2, and nothing is written."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from support.versions import FIRST, FIRST_DATE, SECOND, SECOND_DATE, two_versions

DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
DATASET = "https://w3id.org/pilotkg/dataset"


def _graph(path: Path) -> set[tuple[str, str, str]]:
    return {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    }


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _release(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["release", *args])
    return result.exit_code, result.output


def test_the_series_holds_both_versions_each_with_its_predecessor() -> None:
    series = _graph(two_versions() / "releases" / "series.ttl")
    first, second = f"{DATASET}/{FIRST}", f"{DATASET}/{SECOND}"
    expected = {
        (
            f"{DATASET}/releases",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            DCAT + "DatasetSeries",
        ),
        (f"{DATASET}/releases", DCAT + "seriesMember", first),
        (f"{DATASET}/releases", DCAT + "seriesMember", second),
        (f"{DATASET}/releases", DCAT + "first", first),
        (f"{DATASET}/releases", DCAT + "last", second),
        (DATASET, DCAT + "hasVersion", first),
        (DATASET, DCAT + "hasVersion", second),
        (DATASET, DCAT + "hasCurrentVersion", second),
        (second, DCAT + "previousVersion", first),
        (second, DCAT + "version", SECOND),
        (second, DCTERMS + "issued", SECOND_DATE),
        (first, DCTERMS + "issued", FIRST_DATE),
        (second, DCAT + "inSeries", f"{DATASET}/releases"),
        (second, DCTERMS + "conformsTo", f"https://w3id.org/pilotkg/ontology/{SECOND}"),
        (
            second,
            "http://rdfs.org/ns/void#dataDump",
            f"https://w3id.org/pilotkg/releases/{SECOND}/dumps/pilotkg.ttl",
        ),
    }
    assert expected <= series
    assert not any(s == first and p == DCAT + "previousVersion" for s, p, _o in series)
    assert not any(p == "http://rdfs.org/ns/void#sparqlEndpoint" for _s, p, _o in series)


def test_a_frozen_version_keeps_every_file_of_its_release_and_lists_its_own() -> None:
    frozen = two_versions() / "releases" / SECOND
    dist = two_versions() / "dist"
    listed = dict(
        line.split("  ")[::-1] for line in (frozen / "SHA256SUMS").read_text().splitlines()
    )
    for name, digest in listed.items():
        assert hashlib.sha256((frozen / name).read_bytes()).hexdigest() == digest, name
    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert listed[name] == digest and (frozen / name).read_bytes() == (dist / name).read_bytes()
    assert {"version.ttl", "changes.ttl", "CHANGES.md"} <= set(listed)


def test_the_changelog_names_what_changed_in_words_with_its_sources() -> None:
    """Expectations written from the three changes of support/versions.py, by hand."""
    text = (two_versions() / "releases" / SECOND / "CHANGES.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == f"# pilotkg {SECOND}"
    assert lines[2] == (
        f"Issued {SECOND_DATE}; since {FIRST}, 4 entities changed (1 new, 0 removed): "
        "1 fact added, 1 removed, 3 changed."
    )
    shenzhen = lines.index("## Shenzhen AI Innovation and Application Pilot Zone")
    assert lines[shenzhen + 2].startswith("深圳人工智能创新应用先导区 · AI pilot zone · <")
    assert lines[shenzhen + 3] == (
        "- approval date changed from 2019-10-14 (cited by source:workercn-2019-10-19) "
        "to 2019-10-15 (cited by source:workercn-2019-10-19)"
    )
    jinan = lines.index("## Jinan–Qingdao AI Innovation and Application Pilot Zone")
    assert lines[jinan + 3] == "- located in: removed Qingdao"
    hangzhou = lines.index("## Hangzhou")
    assert (
        lines[hangzhou + 2]
        == "杭州市 · region · new · <https://w3id.org/pilotkg/id/region/hangzhou>"
    )
    assert lines[hangzhou + 3] == "- derived from: added source:equalocean-2019-10-19"
    assert "pilot:date" not in text and "date: " not in text  # the entailed super-property
    assert "https://w3id.org/pilotkg/id/statement/" not in text  # citations are folded in
    assert (two_versions() / "releases" / FIRST / "CHANGES.md").read_text().splitlines()[2] == (
        f"Issued {FIRST_DATE}; the first frozen release."
    )


def test_freezing_the_same_release_again_gives_the_same_bytes(tmp_path: Path) -> None:
    source = two_versions()
    frozen = source / "releases"
    before = _files(frozen)
    assert _release(SECOND, "--source", str(source), "--date", SECOND_DATE) == (
        0,
        f"{frozen / SECOND} already holds this release as {SECOND}: nothing changed\n",
    )
    assert _files(frozen) == before
    again = tmp_path / "again"
    shutil.copytree(frozen / FIRST, again / FIRST)
    code, output = _release(
        SECOND, "--source", str(source), "--into", str(again), "--date", SECOND_DATE
    )
    assert code == 0, output
    assert _files(again) == before


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("1.1", "expected a semantic version MAJOR.MINOR.PATCH such as 0.2.0"),
        ("v1.1.0", "expected a semantic version"),
        ("1.1.0+build.7", "build metadata is not"),
        ("01.1.0", "expected a semantic version"),
    ],
)
def test_a_bad_version_is_one_line_and_exit_2(version: str, why: str, tmp_path: Path) -> None:
    code, output = _release(version, "--source", str(two_versions()), "--into", str(tmp_path))
    assert code == 2 and why in output and f"VERSION {version!r}" in output
    assert output.count("\n") == 1 and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_a_version_the_release_does_not_say_it_is_is_refused(tmp_path: Path) -> None:
    code, output = _release("1.2.0", "--source", str(two_versions()), "--into", str(tmp_path))
    assert code == 2 and output.count("\n") == 1
    assert "is release 1.1.0" in output and 'owl:versionInfo "1.2.0"' in output
    assert list(tmp_path.iterdir()) == []


def test_a_frozen_version_is_never_replaced_by_another_release(tmp_path: Path) -> None:
    frozen = two_versions() / "releases"
    shutil.copytree(frozen / FIRST, tmp_path / SECOND)  # 1.1.0 holding another release
    before = _files(tmp_path)
    code, output = _release(SECOND, "--source", str(two_versions()), "--into", str(tmp_path))
    assert code == 2 and output.count("\n") == 1
    assert "already holds another release; a frozen version is never replaced" in output
    assert _files(tmp_path) == before


def test_a_new_version_must_come_after_the_newest_frozen(tmp_path: Path) -> None:
    shutil.copytree(two_versions() / "releases" / SECOND, tmp_path / "2.0.0")
    code, output = _release(SECOND, "--source", str(two_versions()), "--into", str(tmp_path))
    assert code == 2 and output.count("\n") == 1
    assert "already holds 2.0.0; a new version must come after the newest one frozen" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.0.0"]


def test_a_bad_date_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, output = _release(
        SECOND, "--source", str(two_versions()), "--into", str(tmp_path), "--date", "1 March"
    )
    assert (code, output) == (
        2,
        "error: --date '1 March': expected a date YYYY-MM-DD such as 2026-12-01\n",
    )
    assert list(tmp_path.iterdir()) == []
