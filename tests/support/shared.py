"""Releases the tests build once per test session and every pytest-xdist worker reads.

A session-scoped fixture or a ``functools.cache`` lives in one process: under ``pytest -n auto``
each worker would build its own copy of the same release from the same sources. ``built_once``
builds it in a folder of the session's scratch folder instead, the first worker to ask holding
a lock while it builds and the others waiting for it and then reading what it built; only tests
that read a release (or copy it before changing it) use these folders.

``tests/conftest.py`` makes the scratch folder in the process that runs the session (the
controller of the workers, or the one process of a serial run) and names it in
``PILOTKG_TEST_SCRATCH``, which the workers inherit; it deletes the folder when the session ends.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pilotkg.release import MEMO_VARIABLE

SCRATCH_VARIABLE = "PILOTKG_TEST_SCRATCH"


def start_session() -> None:
    """Make the session's scratch folder and name it for the workers to come, with one build
    memo in it (``PILOTKG_BUILD_MEMO``) for every build of the session, in any process: the
    ontology's HTML is then made by pyLODE once, not by every test that builds into a folder
    of its own. The tests of the memo itself build without it (``tests/build/test_memo.py``)."""
    scratch = tempfile.mkdtemp(prefix="pilotkg-tests-")
    os.environ[SCRATCH_VARIABLE] = scratch
    os.environ[MEMO_VARIABLE] = str(Path(scratch) / "build-memo")


def end_session() -> None:
    """Delete the session's scratch folder (what ``start_session`` made)."""
    os.environ.pop(MEMO_VARIABLE, None)
    folder = os.environ.pop(SCRATCH_VARIABLE, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def _own_scratch() -> Path:
    """A scratch folder of this process's own, when no session named one (a helper of
    ``tests/support`` used outside pytest)."""
    folder = Path(tempfile.mkdtemp(prefix="pilotkg-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def session_scratch() -> Path:
    """The folder every process of this test session shares."""
    named = os.environ.get(SCRATCH_VARIABLE)
    return Path(named) if named else _own_scratch()


def built_once(name: str, make: Callable[[Path], object]) -> Path:
    """The folder ``name`` of the session's scratch folder, filled by ``make(folder)`` in the
    first process to ask; the others wait on its lock and find it made. A folder a failed
    ``make`` left half-made is emptied and made again by the next process to ask."""
    root = session_scratch()
    folder = root / name
    done = root / f"{name}.done"
    with (root / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder
