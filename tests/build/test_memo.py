"""The build memo: a rebuild with unchanged inputs runs neither pyLODE nor HermiT nor
pypinyin, a changed input runs them again, and a failing OWL check is never remembered.

Whether a tool ran is shown by breaking it: a ``java`` on the PATH that fails, and ``pylode``
and ``pypinyin`` packages first on the PYTHONPATH that cannot be imported. A build that needs
one fails; a build answered by the memo passes with all three broken.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pilotkg.build.memo import KEEP, Memo
from pilotkg.release import COLLATION_KEYS, MEMO_VARIABLE

ZONE = Path("data/zones.ttl")


@pytest.fixture(autouse=True)
def memo_beside_the_releases(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests watch the memo of each ``--out``: not the one the test session shares
    (``tests/support/shared.py``), which would answer before pyLODE or HermiT ran."""
    monkeypatch.delenv(MEMO_VARIABLE, raising=False)


def broken_tools(root: Path) -> dict[str, str]:
    """An environment in which HermiT's JVM, pyLODE and pypinyin all fail when started."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\necho 'the test broke java' >&2\nexit 3\n")
    java.chmod(0o755)
    for package in ("pylode", "pypinyin"):
        (root / "lib" / package).mkdir(parents=True)
        (root / "lib" / package / "__init__.py").write_text(
            f"raise ImportError('the test broke {package}')\n"
        )
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(root / "lib"), os.environ.get("PYTHONPATH")])
        ),
    }


def build(
    source: Path, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pilotkg", "build", "--source", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def memo_entries(out: Path, kind: str) -> list[str]:
    folder = out.parent / f".{out.name}.releases" / ".memo" / kind
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_rebuild_of_unchanged_inputs_needs_neither_pylode_nor_hermit(
    source_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    first = build(source_copy, out)
    assert first.returncode == 0, first.stderr
    html = (out / "ontology.html").read_bytes()
    keys = (out / COLLATION_KEYS).read_bytes()
    assert len(memo_entries(out, "owl")) == 1 and len(memo_entries(out, "ontodoc")) == 1
    assert len(memo_entries(out, "collation")) == 1
    broken = broken_tools(tmp_path / "broken")
    # An edit to the data that the reasoning input does not see: a zone's English label.
    zones = source_copy / ZONE
    text = zones.read_text(encoding="utf-8")
    assert '"Shenzhen AI Innovation and Application Pilot Zone"@en' in text
    zones.write_text(
        text.replace(
            '"Shenzhen AI Innovation and Application Pilot Zone"@en',
            '"Shenzhen National AI Innovation and Application Pilot Zone"@en',
        ),
        encoding="utf-8",
    )
    second = build(source_copy, out, broken)
    assert second.returncode == 0, second.stderr
    assert (out / "ontology.html").read_bytes() == html
    assert (out / COLLATION_KEYS).read_bytes() == keys
    assert "Shenzhen National AI" in (out / "pilotkg.ttl").read_text(encoding="utf-8")
    assert len(memo_entries(out, "owl")) == 1 and len(memo_entries(out, "ontodoc")) == 1


def test_a_changed_ontology_runs_pylode_and_hermit_again(source_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert build(source_copy, out).returncode == 0
    ontology = next((source_copy / "ontology").glob("*.ttl"))
    text = ontology.read_text(encoding="utf-8")
    ontology.write_text(
        text + '\npilot:PilotZone rdfs:comment "A zone (edited)."@en .\n', encoding="utf-8"
    )
    broken = build(source_copy, out, broken_tools(tmp_path / "broken"))
    assert broken.returncode != 0
    assert "the test broke" in broken.stderr
    rebuilt = build(source_copy, out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "A zone (edited)." in (out / "ontology.html").read_text(encoding="utf-8")
    assert len(memo_entries(out, "ontodoc")) == 2


def test_a_changed_chinese_label_is_keyed_again(source_copy: Path, tmp_path: Path) -> None:
    """The pinyin keys depend on the Chinese labels: an edited one needs pypinyin, and the
    release then keys the new label (深圳 read shen1 zhen4) and no longer the old one."""
    out = tmp_path / "dist"
    assert build(source_copy, out).returncode == 0
    zones = source_copy / ZONE
    text = zones.read_text(encoding="utf-8")
    old, new = '"深圳人工智能创新应用先导区"@zh', '"深圳国家人工智能创新应用先导区"@zh'
    assert old in text
    zones.write_text(text.replace(old, new), encoding="utf-8")
    broken = build(source_copy, out, broken_tools(tmp_path / "broken"))
    assert broken.returncode != 0
    assert "the test broke pypinyin" in broken.stderr
    rebuilt = build(source_copy, out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    keys = json.loads((out / COLLATION_KEYS).read_bytes())["keys"]
    assert keys["深圳国家人工智能创新应用先导区"].startswith("shen1 zhen4 guo2 jia1 ")
    assert "深圳人工智能创新应用先导区" not in keys
    assert len(memo_entries(out, "collation")) == 2


def test_a_failing_owl_check_is_never_remembered(source_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    bad = source_copy / "data" / "zz-inconsistent.ttl"
    bad.write_text(
        "@prefix pilot: <https://w3id.org/pilotkg/ontology#> .\n"
        "<https://w3id.org/pilotkg/id/zone/x> a pilot:PilotZone , pilot:PilotTestBase .\n",
        encoding="utf-8",
    )
    failed = build(source_copy, out)
    assert failed.returncode == 1
    assert "inconsistent" in failed.stderr + failed.stdout
    assert memo_entries(out, "owl") == []


def test_the_memo_keeps_the_newest_entries_and_never_fails_the_build(tmp_path: Path) -> None:
    memo = Memo(tmp_path / "memo")
    for n in range(KEEP + 3):
        memo.put("owl", f"key-{n:02d}", b"consistent\n")
        stamp = 1_000_000 + n
        os.utime(tmp_path / "memo" / "owl" / f"key-{n:02d}", (stamp, stamp))
    assert memo_entries_in(tmp_path / "memo" / "owl") == [
        f"key-{n:02d}" for n in range(3, KEEP + 3)
    ]
    assert memo.get("owl", "key-03") == b"consistent\n" and memo.get("owl", "key-00") is None
    # what a killed build left half-written an hour ago goes; what one is writing now stays
    left, writing = tmp_path / "memo" / "owl" / ".new-left", tmp_path / "memo" / "owl" / ".new-now"
    left.write_bytes(b"half")
    writing.write_bytes(b"half")
    os.utime(left, (1_000_000, 1_000_000))
    memo.put("owl", "key-new", b"consistent\n")
    assert not left.exists() and writing.exists()
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    Memo(blocked).put("owl", "key", b"x")  # cannot be written: left as it is, no error
    assert Memo(blocked).get("owl", "key") is None


def memo_entries_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_named_memo_folder_serves_builds_into_other_places(
    source_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PILOTKG_BUILD_MEMO``: a build into a new folder finds what a build elsewhere
    remembered there, and nothing is remembered beside either release."""
    shared = tmp_path / "shared-memo"
    monkeypatch.setenv(MEMO_VARIABLE, str(shared))
    first = build(source_copy, tmp_path / "one" / "dist")
    assert first.returncode == 0, first.stderr
    assert len(memo_entries_in(shared / "ontodoc")) == 1
    assert len(memo_entries_in(shared / "owl")) == 1
    elsewhere = tmp_path / "two" / "dist"
    second = build(source_copy, elsewhere, broken_tools(tmp_path / "broken"))
    assert second.returncode == 0, second.stderr
    assert (elsewhere / "ontology.html").read_bytes() == (
        tmp_path / "one" / "dist" / "ontology.html"
    ).read_bytes()
    assert memo_entries(tmp_path / "one" / "dist", "ontodoc") == []
    assert memo_entries(elsewhere, "ontodoc") == memo_entries(elsewhere, "owl") == []
