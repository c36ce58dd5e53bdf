"""The release being served: find or build it, list its files, load it into stores.

The server reads only the published release (``dist/``), never the sources,
so what it serves is exactly what was checked. ``SHA256SUMS`` is the release's
table of contents: only the files it lists are served, with their checksums.
"""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..build import pipeline
from ..errors import UsageError
from ..formats import FORMATS
from ..sources import PACKAGED_SOURCES, SOURCE_PARTS

DUMP = "pilotkg.ttl"
CHECKSUMS = "SHA256SUMS"
_STORE_MARK = "pilotkg-release.sha256"


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
            root=root,
            files=files,
            release_id=hashlib.sha256(data).hexdigest(),
            modified=sums.stat().st_mtime,
        )

    def path(self, name: str) -> Path | None:
        """The file called ``name`` if the release lists it (so no path escapes the folder)."""
        return self.root / name if name in self.files else None


def default_release_dir(source_dir: Path) -> Path:
    """``dist/`` beside the sources, or in the working directory for the packaged copy."""
    if source_dir.resolve() == PACKAGED_SOURCES.resolve():
        return Path.cwd() / "dist"
    return source_dir / "dist"


def newest_source_mtime(source_dir: Path) -> float:
    """The modification time of the newest file in the source folder's four parts."""
    times = [
        path.stat().st_mtime
        for part in SOURCE_PARTS
        for path in (source_dir / part).rglob("*")
        if path.is_file()
    ]
    return max(times, default=0.0)


def ensure_release(
    source_dir: Path,
    out_dir: Path,
    *,
    skip: tuple[str, ...] = (),
    progress: Callable[[str], None],
) -> Release:
    """The release in ``out_dir``, built first when missing or older than the sources."""
    sums = out_dir / CHECKSUMS
    if sums.is_file() and sums.stat().st_mtime >= newest_source_mtime(source_dir):
        progress(f"serving the release in {out_dir} (up to date with {source_dir})")
    else:
        why = "no release yet" if not sums.is_file() else "the sources are newer"
        progress(f"building {out_dir} from {source_dir} ({why})")
        pipeline.build(source_dir, out_dir, skip=skip, progress=progress)
    return Release.open(out_dir)


@dataclass
class Stores:
    """The store pages read in-process, and the on-disk copy the query workers open read-only.

    pyoxigraph cannot cancel a running query, so user queries run in worker
    processes that can be killed; they need a store on disk. The in-process store
    serves the server's own small lookups and stays in memory unless ``--store``,
    in which case the workers open that store and no copy is made. The copy lives
    for the app's lifespan: made when the workers start, removed when they stop
    (uvicorn ends on SIGTERM by re-raising the signal, so no exit hook would run).
    """

    main: ox.Store
    release: Release
    store_dir: Path | None = None
    _temporary: Path | None = None

    def worker_path(self) -> Path:
        """The on-disk store for the workers, copied from the release first if needed."""
        if self.store_dir is not None:
            return self.store_dir
        if self._temporary is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="pilotkg-store-"))
            _load_on_disk(self.release, self._temporary / "store")
        return self._temporary / "store"

    def close(self) -> None:
        """Remove the temporary on-disk copy, if one was made."""
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


def _load_on_disk(release: Release, path: Path) -> None:
    """Load the release's dump into an on-disk store at ``path`` (replaced if present)."""
    if path.exists():
        shutil.rmtree(path)
    store = ox.Store(str(path))
    store.bulk_load(path=str(release.root / DUMP), format=ox.RdfFormat.TURTLE)
    store.flush()
    store.optimize()
    del store  # closes the database so that other processes may open it
    (path / _STORE_MARK).write_text(release.release_id, encoding="ascii")


def open_stores(release: Release, store_dir: Path | None) -> Stores:
    """Stores holding the release: on disk at ``store_dir`` (reloaded only when the
    release changed), else in memory (the workers' on-disk copy is made by ``worker_path``)."""
    if store_dir is not None:
        mark = store_dir / _STORE_MARK
        current = mark.is_file() and mark.read_text(encoding="ascii") == release.release_id
        if not current:
            if store_dir.exists() and not mark.is_file() and any(store_dir.iterdir()):
                raise UsageError(
                    f"--store {store_dir}: the folder is not empty and holds no pilotkg store; "
                    "choose an empty or new folder"
                )
            _load_on_disk(release, store_dir)
        return Stores(ox.Store.read_only(str(store_dir)), release, store_dir)
    main = ox.Store()
    main.bulk_load(path=str(release.root / DUMP), format=ox.RdfFormat.TURTLE)
    return Stores(main, release)
