"""What three slow steps of the build made, remembered by the SHA-256 of everything they read.

The ontology's HTML (pyLODE, in a process of its own), HermiT's verdict (a JVM)
and the pinyin sort keys (pypinyin, ``sortkeys.py``) are the slowest parts of
building the real data, and each depends only on its own input: the ontology's
Turtle, the reasoning input (the small abstraction of the data
``reasoning.reasoning_input`` makes), the Chinese labels, together with the tool
that reads it. An edit to the data leaves those inputs byte for byte as they
were nearly every time, so a rebuild (``pilotkg build`` again, ``serve --watch``)
would start pyLODE, the JVM and pypinyin to get what it already has. The memo
answers instead.

- **Keyed by the whole input and the tool.** A key is the SHA-256 of the input's
  bytes and of the name and version of what reads them (pyLODE's and pypinyin's
  versions; the HermiT jar's size and modification time), so a changed ontology, a changed
  abstraction or an upgraded tool is a miss and the step runs. Which JVM runs
  HermiT does not change its verdict, and is not in the key.
- **Only what passed.** HermiT's verdict is kept only when it found nothing: a
  failing check always runs, so its message is HermiT's own, fresh.
- **Beside the releases it served.** The memo lives in the releases folder of
  ``--out`` (``release.memo_folder``), so each release path has its own and a
  fresh ``--out`` starts empty, unless ``PILOTKG_BUILD_MEMO`` names one folder for
  every build; it is written one file per entry, each replaced atomically (so
  builds that share a memo never read half an entry), and only the newest
  ``KEEP`` entries of each kind are kept; a half-written entry a killed build left
  is deleted once it is an hour old.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Entries kept per kind; older ones are deleted when a new one is written.
KEEP = 8
#: A half-written entry (``.new-*``) older than this was left by a build that was killed.
ABANDONED_S = 3600.0


def digest(*parts: bytes) -> str:
    """The key of an input made of ``parts`` (the tool's identity among them)."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))  # so that parts cannot run into each other
        hasher.update(part)
    return hasher.hexdigest()


@dataclass(frozen=True)
class Memo:
    """The entries of one releases folder's memo, one kind (``ontodoc``, ``owl``,
    ``collation``) per folder."""

    folder: Path

    def get(self, kind: str, key: str) -> bytes | None:
        """The bytes remembered for ``key``, or None; a hit is touched, so it is kept longest."""
        path = self.folder / kind / key
        try:
            data = path.read_bytes()
            os.utime(path)
        except OSError:
            return None
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Remember ``data`` for ``key``; a memo that cannot be written is left as it is (the
        build does not depend on it)."""
        folder = self.folder / kind
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".new-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            Path(temporary).replace(folder / key)
            entries = sorted(
                (p for p in folder.iterdir() if not p.name.startswith(".")),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            for old in entries[KEEP:]:
                old.unlink(missing_ok=True)
            abandoned = time.time() - ABANDONED_S  # another build's is seconds old, not an hour
            for left in folder.glob(".new-*"):
                if left.stat().st_mtime < abandoned:
                    left.unlink(missing_ok=True)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
