"""The release: its files, its checksums, reading it back, and publishing it atomically.

A release is the folder ``pilotkg build`` writes (``dist/`` by default) and
everything else reads: the server serves it, the loader loads it, ``pilotkg
diff`` compares two. ``SHA256SUMS`` is its table of contents. This module is
the one place that names its files and knows its layout on disk.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import mimetypes
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import SourceError, UsageError
from .formats import FORMATS, Format, by_name
from .sources import PACKAGED_SOURCES

#: Every dump is called ``pilotkg.<extension>`` (N-Triples gzipped: ``pilotkg.nt.gz``).
RELEASE_NAME = "pilotkg"
DUMP = f"{RELEASE_NAME}.ttl"  # the dump the server loads
NTRIPLES_DUMP = f"{RELEASE_NAME}.nt.gz"  # the dump ``diff`` and ``load`` read
CHECKSUMS = "SHA256SUMS"
ONTOLOGY_TTL = "ontology.ttl"
ONTOLOGY_HTML = "ontology.html"
VOID = "void.ttl"
JSONLD_CONTEXT = "context.jsonld"  # the JSON-LD context compacted documents name (``jsonld``)
CSV_FOLDER = "csv"
#: The pinyin sort key of every label and title in Chinese (``collation``): computed by the
#: build once, so that no server computes them per view.
COLLATION_KEYS = "collation-zh.json"
#: ``pilotkg release VERSION`` freezes a release into ``releases/VERSION/`` beside ``dist/``
#: (``versions``): the release's files unchanged, and beside them, in its SHA256SUMS, these.
FROZEN_FOLDER = "releases"
VERSION_DESCRIPTION = "version.ttl"  # the frozen version's own VoID and DCAT
CHANGES_TEXT = "CHANGES.md"  # what changed since the previous frozen version, in words
CHANGES_RDF = "changes.ttl"  # the same, as a changeset with the labels it names
SERIES = "series.ttl"  # in ``releases/``: the DCAT dataset series of every frozen version
#: The Frictionless Data Package that describes the CSV exports (``build.datapackage``).
DATAPACKAGE = f"{CSV_FOLDER}/datapackage.json"
#: Canned queries a release holds as ``csv/NAME.csv``, for spreadsheet users.
CSV_EXPORTS = ("zones", "bases", "policies", "organisations")
#: The profile (``$schema``) of the Data Package standard that file follows: version 2.
DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def dump_name(fmt: Format) -> str:
    """The file name of the dump in ``fmt`` (N-Triples is gzipped)."""
    suffix = ".gz" if fmt.rdf_format == ox.RdfFormat.N_TRIPLES else ""
    return f"{RELEASE_NAME}.{fmt.extension}{suffix}"


def csv_name(export: str) -> str:
    """The file name of a CSV export."""
    return f"{CSV_FOLDER}/{export}.csv"


def checksums_text(digests: dict[str, str]) -> bytes:
    """``SHA256SUMS`` for files named by ``digests`` (name → hex SHA-256), sorted by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items())).encode(
        "ascii"
    )


def default_release_dir(source_dir: Path) -> Path:
    """``dist/`` beside the sources, or in the working directory for the packaged copy.

    ``build``, ``serve`` and ``load`` all default to this one location, so a
    build run from a subfolder of the checkout writes the release ``serve`` reads.
    """
    if source_dir.resolve() == PACKAGED_SOURCES.resolve():
        return Path.cwd() / "dist"
    return source_dir / "dist"


@dataclass(frozen=True)
class ReleaseFile:
    """A served file: its name in the release, size, SHA-256 and media type."""

    name: str
    size: int
    sha256: str
    media_type: str


def media_type_for(name: str) -> str:
    """The media type of a release file, from the format table first, then by extension."""
    suffix = name.rsplit(".", 1)[-1].lower()
    for fmt in FORMATS:
        if fmt.extension == suffix:
            return fmt.media_type
    if name.endswith(".gz"):
        return "application/gzip"
    if name == CHECKSUMS:
        return "text/plain"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass
class Release:
    """A published release folder; ``files`` lists what SHA256SUMS lists."""

    root: Path
    files: dict[str, ReleaseFile] = field(default_factory=dict)
    release_id: str = ""
    modified: float = 0.0

    @classmethod
    def open(cls, root: Path) -> Release:
        """The release in ``root``; UsageError when it has no SHA256SUMS or no dump."""
        sums = root / CHECKSUMS
        if not sums.is_file() or not (root / DUMP).is_file():
            raise UsageError(
                f"{root} holds no release (no {CHECKSUMS} or {DUMP}): run `pilotkg build` first"
            )
        data = sums.read_bytes()
        files = {}
        for line in data.decode("utf-8").splitlines():
            digest, _, name = line.partition("  ")
            path = root / name
            if name and path.is_file():
                files[name] = ReleaseFile(name, path.stat().st_size, digest, media_type_for(name))
        files[CHECKSUMS] = ReleaseFile(
            CHECKSUMS, len(data), hashlib.sha256(data).hexdigest(), "text/plain"
        )
        return cls(
            root=root.resolve(),  # the release the symlink names now, not a later swap
            files=files,
            release_id=hashlib.sha256(data).hexdigest(),
            modified=sums.stat().st_mtime,
        )

    def path(self, name: str) -> Path | None:
        """The file called ``name`` if the release lists it (so no path escapes the folder)."""
        return self.root / name if name in self.files else None


def read_release(path: Path) -> set[ox.Triple]:
    """The triples of a release folder (its ``pilotkg.nt.gz``) or of one RDF file."""
    if path.is_dir():
        path = path / NTRIPLES_DUMP
    if not path.is_file():
        raise SourceError(f"{path}: no such release file (give a dist/ folder or an RDF dump)")
    name = path.name.removesuffix(".gz")
    fmt = by_name(Path(name).suffix, kind="graph")
    if fmt is None or fmt.rdf_format is None:
        raise SourceError(f"{path}: unknown RDF format (use .ttl, .nt, .nt.gz, .jsonld or .rdf)")
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return {quad.triple for quad in ox.parse(data, format=fmt.rdf_format)}
    except SyntaxError as error:
        raise SourceError(f"{path}:{error.lineno}:{error.offset}: {error.msg}") from error


# --- publishing: staging, the atomic swap, and recovery after a killed build ----------------

#: The folder beside the release path that holds the releases: ``.dist.releases`` for ``dist``.
RELEASES_FOLDER = ".{name}.releases"
#: Inside it, everything but the releases themselves has a prefix saying what it is.
STAGING_PREFIX = ".staging-"  # a release being written (or written, not yet published)
LINK_PREFIX = ".link-"  # a symlink to a release, about to replace the release path
RETIRE_PREFIX = ".retire-"  # a marker: the release it names is superseded and is deleted
LOCK_FILE = ".lock"
MEMO_FOLDER = ".memo"  # what slow build steps made, by the hash of their input (build/memo.py)
#: Names a folder that holds the build memo instead of each releases folder's own.
MEMO_VARIABLE = "PILOTKG_BUILD_MEMO"
#: A release's folder name: when it was built (UTC) and a random part.
RELEASE_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")
#: What ``tempfile.mkdtemp`` made beside the release path before releases had a folder.
_LEGACY_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<kind>new|old)-[a-z0-9_]{8}")


def _new_release_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


@dataclass(frozen=True)
class ReleasePath:
    """The path users name (``dist``), and the folder beside it that holds the releases.

    The path is a relative symlink into the folder (``dist -> .dist.releases/<id>``).
    Publishing writes the new release into the folder and then puts a new symlink
    over the old one with one ``rename``, which POSIX makes atomic: a reader, or a
    build killed at any instant, finds either the old release or the new one at the
    path, never a gap or a half-written folder. Replacing a folder itself cannot work
    that way (a folder cannot be renamed over a non-empty one), which is why the
    path is a link. The link is relative so that the folder holding both can move.
    """

    path: Path

    @classmethod
    def of(cls, out_dir: Path) -> ReleasePath:
        """The release path for ``--out out_dir``: a symlink that is not ours is followed
        (a ``dist`` linked to a web server's folder publishes into that folder)."""
        path = out_dir.absolute()
        for _hop in range(40):
            path = path.parent.resolve() / path.name
            if not path.name or path.name in (".", ".."):
                raise UsageError(f"--out {out_dir}: name a folder to publish into")
            if not path.is_symlink() or cls(path).current() is not None:
                return cls(path)
            path = path.parent / path.readlink()
        raise UsageError(f"--out {out_dir}: too many levels of symbolic links")

    @property
    def folder(self) -> Path:
        return self.path.parent / RELEASES_FOLDER.format(name=self.path.name)

    def target(self, release_id: str) -> str:
        """What the symlink to ``release_id`` holds: a path relative to the link's folder."""
        return f"{self.folder.name}/{release_id}"

    def current(self) -> str | None:
        """The id of the release the path links to, when it is one of our links."""
        try:
            target = str(self.path.readlink())
        except OSError:  # missing, or not a symlink
            return None
        folder, _, release_id = target.partition("/")
        if folder == self.folder.name and RELEASE_ID.fullmatch(release_id):
            return release_id
        return None

    def check_replaceable(self) -> None:
        """UsageError unless the path is ours to replace: absent, our link, an empty folder,
        or a release folder from a build before releases had a folder of their own."""
        path = self.path
        if not os.path.lexists(path) or self.current() is not None:
            return
        if not path.is_dir():
            raise UsageError(f"--out {path}: exists and is not a folder; choose another --out")
        if any(path.iterdir()) and not (path / "SHA256SUMS").is_file():
            raise UsageError(
                f"--out {path}: the folder holds no pilotkg release (no SHA256SUMS), and a "
                "build replaces its --out folder: choose a new or empty one"
            )


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the lock of a releases folder: one build at a time tidies and publishes there.
    The kernel drops the lock when the process ends, however it ends."""
    with (folder / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise UsageError(
                f"{folder}: another pilotkg build is publishing here; wait until it ends"
            ) from error
        yield


def _remove(path: Path) -> None:
    """Delete a folder, a file or a symlink (not what it links to); nothing if it is gone."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _named(folder: Path, prefix: str) -> list[tuple[Path, str]]:
    """The entries of ``folder`` called ``prefix`` + a release id, with the id."""
    found = []
    for entry in sorted(folder.glob(prefix + "*")):
        release_id = entry.name[len(prefix) :]
        if RELEASE_ID.fullmatch(release_id):
            found.append((entry, release_id))
    return found


def recover(release: ReleasePath) -> None:
    """Finish or undo what a killed build left, before this build starts (lock held).

    Only names this module makes are touched. A pending link is put in place if the
    release path is missing (the build was killed inside the one step where it is,
    while replacing a release folder of an older pilotkg, after its checks passed);
    otherwise it and the release it names are deleted, since the old release stayed
    published. Staging folders are deleted, and so are the releases marked retired
    that the path does not link to. Of the older layout's temporary folders beside
    the path, a moved-aside release is put back if the path is missing, then all go.
    """
    path, folder = release.path, release.folder
    current = release.current()
    for link, release_id in _named(folder, LINK_PREFIX):
        if not os.path.lexists(path) and (folder / release_id / "SHA256SUMS").is_file():
            link.replace(path)
            current = release_id
        else:
            link.unlink()
            if release_id != current:
                _remove(folder / release_id)
    for entry in sorted(path.parent.glob(f".{path.name}.*-*")):
        match = _LEGACY_TEMP.fullmatch(entry.name)
        if match is None or match["name"] != path.name or not entry.is_dir():
            continue
        moved_aside = entry / path.name
        if match["kind"] == "old" and not os.path.lexists(path) and moved_aside.is_dir():
            release_id = _new_release_id()
            moved_aside.rename(folder / release_id)
            _link(release, release_id)
            current = release_id
        shutil.rmtree(entry, ignore_errors=True)
    for staging, _release_id in _named(folder, STAGING_PREFIX):
        _remove(staging)
    for marker, release_id in _named(folder, RETIRE_PREFIX):
        if release_id != current:
            _remove(folder / release_id)
        marker.unlink()


def _link(release: ReleasePath, release_id: str) -> None:
    """Make the release path link to ``release_id``, in one atomic rename."""
    link = release.folder / f"{LINK_PREFIX}{release_id}"
    _remove(link)
    link.symlink_to(release.target(release_id))
    link.replace(release.path)


def publish(release: ReleasePath, staging: Path, release_id: str) -> None:
    """Put the complete release in ``staging`` at the release path, then delete the old one.

    Each step leaves a state ``recover`` can tell apart: the pending link exists
    before the staging folder takes its release name, so no release is ever
    unaccounted for; the old release is marked retired before the swap, so a build
    killed before deleting it leaves it marked. The swap itself is one rename. A
    release folder left by an older pilotkg cannot be renamed over, so it is moved
    into the releases folder first: the one step with nothing at the path, done
    once, with the pending link already in place for ``recover`` to finish.
    """
    path, folder = release.path, release.folder
    link = folder / f"{LINK_PREFIX}{release_id}"
    link.symlink_to(release.target(release_id))
    staging.rename(folder / release_id)
    old = release.current()
    if old is None and path.is_dir() and not path.is_symlink():
        if any(path.iterdir()):
            old = _new_release_id()
            (folder / f"{RETIRE_PREFIX}{old}").touch()
            path.rename(folder / old)
        else:
            path.rmdir()
    elif old is not None:
        (folder / f"{RETIRE_PREFIX}{old}").touch()
    link.replace(path)
    if old is not None and old != release_id:
        _remove(folder / old)
        (folder / f"{RETIRE_PREFIX}{old}").unlink(missing_ok=True)


def memo_folder(out_dir: Path) -> Path:
    """The build memo of the releases folder of ``--out out_dir`` (the folder ``staged_release``
    stages in), or the folder ``PILOTKG_BUILD_MEMO`` names: one memo for builds into several
    places (a CI cache, a test session), which the memo's atomic entries make safe to share.
    What it holds is published and trusted unchecked, so it must be the user's own."""
    named = os.environ.get(MEMO_VARIABLE)
    return Path(named) if named else ReleasePath.of(out_dir).folder / MEMO_FOLDER


@contextmanager
def staged_release(out_dir: Path) -> Iterator[Path]:
    """A fresh folder to write a release into, published at ``out_dir`` if the block ends
    normally (see ``ReleasePath`` and ``publish``); when it raises, the folder is deleted
    and ``out_dir`` is untouched.

    The folder is made with ``mkdir``, so it and the files written into it get the
    usual modes under the user's umask (``tempfile.mkdtemp`` makes folders private).
    """
    release = ReleasePath.of(out_dir)
    release.check_replaceable()
    try:
        release.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"--out {out_dir}: cannot create {error.filename or release.folder}: {error.strerror}"
        ) from None
    with _locked(release.folder):
        recover(release)
        while True:
            release_id = _new_release_id()
            staging = release.folder / f"{STAGING_PREFIX}{release_id}"
            try:
                staging.mkdir()
                break
            except FileExistsError:
                continue
        try:
            yield staging
            publish(release, staging, release_id)
        finally:
            _remove(staging)
