"""Publishing a release: ``dist`` is a symlink swapped in one rename, so a build killed at any
moment leaves the old or the new release there, and the next build clears what it left.

The kill tests run ``pilotkg build`` in a subprocess and SIGKILL it; the swap's intermediate
states, too brief to hit with a kill, are made by hand from real releases and recovered.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg import release
from pilotkg.build import pipeline
from pilotkg.cli import main
from pilotkg.release import (
    LINK_PREFIX,
    MEMO_FOLDER,
    RETIRE_PREFIX,
    STAGING_PREFIX,
    Release,
    ReleasePath,
    recover,
)
from support.shared import built_once

#: A triple that makes the second release differ from the first, and passes every check.
NOTE = (
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    '<https://w3id.org/pilotkg/id/region/guangdong> rdfs:comment "A second release."@en .\n'
)
#: Release ids made by hand for the simulated states (the form ``release.RELEASE_ID`` takes).
OLD_ID, NEW_ID, LEGACY_ID = (
    "20250101T000000Z-0000000a",
    "20250101T000000Z-0000000b",
    "20250101T000000Z-0000000c",
)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def complete_release(folder: Path) -> dict[str, bytes]:
    """The files of ``folder``, asserting that SHA256SUMS lists exactly them, with their digests."""
    files = files_of(folder)
    listed: dict[str, str] = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    return files


def beside(out: Path) -> set[str]:
    """The names in the folder holding ``out``."""
    return {p.name for p in out.parent.iterdir()}


def releases_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.releases"


def assert_tidy(out: Path) -> None:
    """Only ``out`` and its releases folder beside it; in that folder the lock, one release and
    (after a build) the build memo."""
    assert beside(out) == {out.name, releases_folder(out).name}
    current = out.readlink()
    assert current.parent.name == releases_folder(out).name
    assert {p.name for p in releases_folder(out).iterdir()} - {MEMO_FOLDER} == {
        ".lock",
        current.name,
    }


def _build_two_releases(root: Path, source_dir: Path) -> None:
    sources = root / "sources"
    for part in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(source_dir / part, sources / part)
    pipeline.build(sources, root / "old" / "dist", skip=("owl",))
    (sources / "data" / "zz-note.ttl").write_text(NOTE, encoding="utf-8")
    pipeline.build(sources, root / "new" / "dist", skip=("owl",))


@pytest.fixture(scope="module")
def two_releases(source_dir: Path) -> Path:
    """Sources that build the second release (``sources``), and both releases built in full
    (``old``, ``new``): the reference bytes for every test below, which only read them or
    copy them. Built once per session for every worker (``support.shared``)."""
    root = built_once("two-releases", lambda root: _build_two_releases(root, source_dir))
    assert files_of(root / "old" / "dist") != files_of(root / "new" / "dist")
    return root


def _sources(two_releases: Path) -> Path:
    return two_releases / "sources"


def _old(two_releases: Path) -> Path:
    return two_releases / "old" / "dist"


def _new(two_releases: Path) -> Path:
    return two_releases / "new" / "dist"


def _publish_old(two_releases: Path, out: Path) -> None:
    """``out`` holding the old release, in the layout a build leaves, under the id OLD_ID."""
    folder = releases_folder(out)
    folder.mkdir(parents=True)
    shutil.copytree(_old(two_releases), folder / OLD_ID)
    (folder / ".lock").touch()
    out.symlink_to(f"{folder.name}/{OLD_ID}")


def _build_command(sources: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pilotkg",
        "build",
        "--source",
        str(sources),
        "--out",
        str(out),
        "--skip",
        "owl",
    ]


def test_the_release_path_is_a_relative_symlink_into_its_releases_folder(
    two_releases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    pipeline.build(_sources(two_releases), out, skip=("owl",))
    assert out.is_symlink() and not out.readlink().is_absolute()
    assert complete_release(out) == files_of(_new(two_releases))
    assert_tidy(out)
    first = out.readlink()
    pipeline.build(_sources(two_releases), out, skip=("owl",))
    assert out.readlink() != first, "a new release folder; the superseded one is deleted"
    assert_tidy(out)
    moved = tmp_path / "moved"  # the link is relative: the folder holding both can move
    moved.mkdir()
    for name in ("dist", ".dist.releases"):
        (tmp_path / name).rename(moved / name)
    assert complete_release(moved / "dist") == files_of(_new(two_releases))


def test_readers_of_the_release_path_see_through_the_symlink(
    two_releases: Path, tmp_path: Path
) -> None:
    """``pilotkg serve`` opens the release folder and ``pilotkg diff`` reads two of them."""
    out = tmp_path / "dist"
    _publish_old(two_releases, out)
    release = Release.open(out)
    assert "pilotkg.ttl" in release.files and "csv/zones.csv" in release.files
    result = CliRunner().invoke(main, ["diff", str(out), str(_new(two_releases))])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 entities changed: 1 triples added, 0 removed")


def test_the_release_has_the_usual_file_modes(two_releases: Path, tmp_path: Path) -> None:
    """Folders 0755 and files 0644 under umask 022 (tempfile.mkdtemp made dist/ 0700)."""
    out = tmp_path / "dist"
    previous = os.umask(0o022)
    try:
        pipeline.build(_sources(two_releases), out, skip=("owl",))
    finally:
        os.umask(previous)
    release = out.resolve()
    folders = [releases_folder(out), release, *(p for p in release.rglob("*") if p.is_dir())]
    assert len(folders) == 3, "releases folder, release, csv/"
    for folder in folders:
        assert folder.stat().st_mode & 0o7777 == 0o755, folder
    for path in (p for p in release.rglob("*") if p.is_file()):
        assert path.stat().st_mode & 0o7777 == 0o644, path


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_or_the_new_release(
    two_releases: Path, tmp_path: Path
) -> None:
    """SIGKILL at moments spread over a build, and once as soon as its staging folder exists:
    after each kill the release path holds one complete release, the old or the new, and
    nothing but the releases folder is beside it; the next complete build leaves no junk."""
    sources, out = _sources(two_releases), tmp_path / "dist"
    old, new = files_of(_old(two_releases)), files_of(_new(two_releases))
    _publish_old(two_releases, out)
    started = time.monotonic()
    subprocess.run(
        _build_command(sources, tmp_path / "timing" / "dist"), check=True, capture_output=True
    )
    duration = time.monotonic() - started
    shutil.rmtree(tmp_path / "timing")
    delays = [duration * share for share in (0.1, 0.3, 0.5, 0.65, 0.8, 0.9, 0.97, 1.05)]
    outcomes = []
    for delay in [None, *delays]:
        process = subprocess.Popen(
            _build_command(sources, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if delay is None:  # as soon as the release is being written
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                if any(releases_folder(out).glob(STAGING_PREFIX + "*")):
                    break
                time.sleep(0.002)
        else:
            time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        outcomes.append(process.returncode)
        held = complete_release(out)
        assert held in (old, new), f"after a kill at {delay}: neither release"
        assert beside(out) == {out.name, releases_folder(out).name}
    assert -signal.SIGKILL in outcomes, "at least one build was killed before it ended"
    result = subprocess.run(_build_command(sources, out), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert complete_release(out) == new
    assert_tidy(out)


def test_a_pending_link_is_undone_while_the_old_release_is_published(
    two_releases: Path, tmp_path: Path
) -> None:
    """Killed after the new release got its name and link, before the swap: the old release
    is still published, so the new one and its link go."""
    out = tmp_path / "dist"
    _publish_old(two_releases, out)
    folder = releases_folder(out)
    shutil.copytree(_new(two_releases), folder / NEW_ID)
    (folder / f"{LINK_PREFIX}{NEW_ID}").symlink_to(f"{folder.name}/{NEW_ID}")
    recover(ReleasePath.of(out))
    assert complete_release(out) == files_of(_old(two_releases))
    assert_tidy(out)


def test_a_pending_link_is_put_in_place_when_the_path_is_empty(
    two_releases: Path, tmp_path: Path
) -> None:
    """Killed in the one step with nothing at the path (an older pilotkg's release folder
    moved into the releases folder, marked retired): the swap is finished."""
    out = tmp_path / "dist"
    folder = releases_folder(out)
    folder.mkdir()
    shutil.copytree(_old(two_releases), folder / LEGACY_ID)
    (folder / f"{RETIRE_PREFIX}{LEGACY_ID}").touch()
    shutil.copytree(_new(two_releases), folder / NEW_ID)
    (folder / f"{LINK_PREFIX}{NEW_ID}").symlink_to(f"{folder.name}/{NEW_ID}")
    (folder / ".lock").touch()
    recover(ReleasePath.of(out))
    assert complete_release(out) == files_of(_new(two_releases))
    assert_tidy(out)


def test_retired_releases_and_staging_folders_are_deleted(
    two_releases: Path, tmp_path: Path
) -> None:
    """Killed after the swap, before the old release was deleted; and a half-written staging
    folder. A release marked retired that the path still links to (killed between marking
    and swapping) stays."""
    out = tmp_path / "dist"
    _publish_old(two_releases, out)
    folder = releases_folder(out)
    (folder / f"{RETIRE_PREFIX}{OLD_ID}").touch()
    shutil.copytree(_new(two_releases), folder / NEW_ID)
    (folder / f"{RETIRE_PREFIX}{NEW_ID}").touch()
    (folder / f"{STAGING_PREFIX}{LEGACY_ID}").mkdir()
    (folder / f"{STAGING_PREFIX}{LEGACY_ID}" / "pilotkg.ttl").write_text("half", "utf-8")
    recover(ReleasePath.of(out))
    assert complete_release(out) == files_of(_old(two_releases))
    assert_tidy(out)


def test_what_the_former_two_rename_swap_left_is_recovered(
    two_releases: Path, tmp_path: Path
) -> None:
    """The former swap moved dist/ into .dist.old-XXXXXXXX/ and then renamed .dist.new-XXXXXXXX/
    into its place; killed between the two, no release was left at the path. The moved-aside
    release is put back, and both temporary folders go."""
    out = tmp_path / "dist"
    shutil.copytree(_old(two_releases), tmp_path / ".dist.old-abcd1234" / "dist")
    shutil.copytree(_new(two_releases), tmp_path / ".dist.new-efgh_567")
    (tmp_path / ".dist.new-not-ours").mkdir()  # not the name mkdtemp makes: left alone
    releases_folder(out).mkdir()
    (releases_folder(out) / ".lock").touch()
    recover(ReleasePath.of(out))
    assert complete_release(out) == files_of(_old(two_releases))
    assert beside(out) == {"dist", ".dist.releases", ".dist.new-not-ours"}


def test_a_release_folder_of_an_older_build_is_replaced_by_the_link(
    two_releases: Path, tmp_path: Path
) -> None:
    """dist/ as a real folder (what builds made before): the next build moves it into the
    releases folder, links the new release, and deletes the old one."""
    out = tmp_path / "dist"
    shutil.copytree(_old(two_releases), out)
    pipeline.build(_sources(two_releases), out, skip=("owl",))
    assert out.is_symlink()
    assert complete_release(out) == files_of(_new(two_releases))
    assert_tidy(out)


def test_a_failed_check_after_a_kill_leaves_the_old_release_and_no_staging(
    two_releases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    _publish_old(two_releases, out)
    (releases_folder(out) / f"{STAGING_PREFIX}{NEW_ID}").mkdir()
    broken = tmp_path / "broken"
    shutil.copytree(_sources(two_releases), broken)
    (broken / "data" / "zz-unsourced.ttl").write_text(
        "@prefix pilot: <https://w3id.org/pilotkg/ontology#> .\n"
        "<https://w3id.org/pilotkg/id/region/atlantis> a pilot:Region .\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["build", "--source", str(broken), "--out", str(out), "--skip", "owl"]
    )
    assert result.exit_code == 1, result.output
    assert "region/atlantis" in result.stderr
    assert complete_release(out) == files_of(_old(two_releases))
    assert beside(out) == {"dist", ".dist.releases", "broken"}
    assert {p.name for p in releases_folder(out).iterdir()} - {MEMO_FOLDER} == {".lock", OLD_ID}


def test_an_out_folder_that_holds_no_release_is_refused(two_releases: Path, tmp_path: Path) -> None:
    """A build replaces its --out folder, so one that is not a release is left alone (exit 2)."""
    out = tmp_path / "documents"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--source", str(_sources(two_releases)), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if not line.startswith("·")]
    assert len(errors) == 1 and "holds no pilotkg release" in errors[0], errors
    assert beside(out) == {"documents"} and files_of(out) == {"notes.txt": b"mine"}


def test_an_out_folder_that_cannot_be_made_is_one_line(two_releases: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--source", str(_sources(two_releases)), "--out", str(blocker / "dist")]
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if not line.startswith("·")]
    assert len(errors) == 1 and "cannot create" in errors[0], errors
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_second_build_at_the_same_path_is_refused_while_one_runs(
    two_releases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    _publish_old(two_releases, out)
    with (releases_folder(out) / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build holds it
        result = CliRunner().invoke(
            main, ["build", "--source", str(_sources(two_releases)), "--out", str(out)]
        )
    assert result.exit_code == 2, result.output
    assert "another pilotkg build is publishing here" in result.stderr
    assert complete_release(out) == files_of(_old(two_releases))


def test_a_symlink_of_the_users_own_is_followed(two_releases: Path, tmp_path: Path) -> None:
    """``dist`` linked to a folder elsewhere (a web server's, say) publishes there, as before."""
    served = tmp_path / "www" / "pilotkg"
    served.parent.mkdir()
    (tmp_path / "dist").symlink_to(served)
    assert ReleasePath.of(tmp_path / "dist").path == served
    pipeline.build(_sources(two_releases), tmp_path / "dist", skip=("owl",))
    assert complete_release(tmp_path / "dist") == files_of(_new(two_releases))
    assert_tidy(served)


def test_release_ids_are_what_recovery_recognises() -> None:
    assert release.RELEASE_ID.fullmatch(release._new_release_id())
    assert release.RELEASE_ID.fullmatch(OLD_ID) and release.RELEASE_ID.fullmatch(LEGACY_ID)
