"""The stores that hold the release being served: in memory for pages, on disk for workers.

The server reads only the published release (``dist/``), never the sources,
so what it serves is exactly what was checked. The release itself, its files
and checksums, is the core's ``release`` module.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .. import collation
from ..errors import UsageError
from ..release import COLLATION_KEYS, DUMP, Release

#: Beside an on-disk store: the release it holds, so that a changed release is reloaded.
_STORE_MARK = "pilotkg-release.sha256"


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


def ensure_on_disk(release: Release, store_dir: Path) -> None:
    """Make ``store_dir`` an on-disk store of the release, loading it only when it holds
    another release (or nothing); every process that serves it then opens it read-only."""
    mark = store_dir / _STORE_MARK
    if mark.is_file() and mark.read_text(encoding="ascii") == release.release_id:
        return
    if store_dir.exists() and not mark.is_file() and any(store_dir.iterdir()):
        raise UsageError(
            f"--store {store_dir}: the folder is not empty and holds no pilotkg store; "
            "choose an empty or new folder"
        )
    _load_on_disk(release, store_dir)


def open_stores(release: Release, store_dir: Path | None) -> Stores:
    """Stores holding the release: on disk at ``store_dir`` (reloaded only when the
    release changed), else in memory (the workers' on-disk copy is made by ``worker_path``).
    The release's pinyin sort keys are learnt too, read when a Chinese list first needs one."""
    keys = release.path(COLLATION_KEYS)
    if keys is not None:
        collation.learn(keys)
    if store_dir is not None:
        ensure_on_disk(release, store_dir)
        return Stores(ox.Store.read_only(str(store_dir)), release, store_dir)
    main = ox.Store()
    main.bulk_load(path=str(release.root / DUMP), format=ox.RdfFormat.TURTLE)
    return Stores(main, release)
