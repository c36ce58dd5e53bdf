"""``pilotkg serve --watch``: rebuild when the sources change, serve the new release only
once every check has passed.

The watcher polls the modification times and sizes of the files under ``ontology/``,
``data/``, ``shapes/`` and ``queries/`` (a few hundred ``stat`` calls, which needs no
dependency and sees every editor's way of saving). A change is built once the sources
have been still for ``settle_s``, so an editor's several writes, or ``git checkout``,
give one build. The build is the CLI's own (the web wing builds nothing itself): it
stages the release and publishes it at ``dist/`` only when every check passed. Then an
app for the new release is made and swapped in (``swap.SwappableApp``); when the build
fails, ``dist/`` and the app are left as they were and the failure is shown on every
page until a later build passes.

Each app serves a private copy of its release, so the build that publishes the next
one, which deletes the folder ``dist/`` named, cannot take files from under requests
the old app is still answering. A swapped-in app serves as soon as its store is loaded,
its query workers starting beside it (``create_app``'s ``workers_first``). A source
changed while it was being built is built again before anything is swapped, so what is
served is what was checked.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette

from ..errors import PilotkgError
from ..options import progress
from ..release import Release
from ..sources import SOURCE_PARTS
from .app import create_app
from .settings import Settings
from .swap import BuildStatus, SwappableApp

log = logging.getLogger("pilotkg.web")

#: Builds and publishes a checked release into the second folder from the sources in the
#: first, leaving out the checks named; raises (``PilotkgError``) when nothing was published.
Build = Callable[[Path, Path, tuple[str, ...]], object]
#: The state of the sources: each file's path, modification time (ns) and size.
Snapshot = dict[Path, tuple[int, int]]

#: How often the sources are looked at, and how long they must stay unchanged to be built.
POLL_S = 0.1
SETTLE_S = 0.2
#: How long the previous release may take to finish the requests it began.
DRAIN_S = 30.0


def snapshot(source_dir: Path) -> Snapshot:
    """Every file of the four source parts with its modification time and size."""
    found: Snapshot = {}
    for part in SOURCE_PARTS:
        for path in (source_dir / part).rglob("*"):
            try:
                stat = path.stat()
            except OSError:  # removed while listed
                continue
            if path.is_file():
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def pinned_app(
    settings: Settings, status: BuildStatus, *, workers_first: bool = True
) -> tuple[Starlette, Callable[[], None]]:
    """An app over a private copy of the release at ``settings.release_dir``, and the step
    that removes the copy once the app has stopped. It blocks (it loads two stores): the
    watcher calls it in a thread. ``workers_first``: as ``create_app``'s."""
    scratch = Path(tempfile.mkdtemp(prefix="pilotkg-served-"))
    try:
        copy = scratch / "release"
        shutil.copytree(settings.release_dir.resolve(), copy)
        app = create_app(
            settings, release=Release.open(copy), status=status, workers_first=workers_first
        )
        app.state.site.stores.worker_path()  # the workers' store, loaded here, off the event loop
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    def cleanup() -> None:
        app.state.site.stores.close()  # done by the lifespan too, unless the app never started
        shutil.rmtree(scratch, ignore_errors=True)

    return app, cleanup


class Watcher:
    """Rebuilds the release when the sources change and swaps it into the app it watches for."""

    def __init__(
        self,
        settings: Settings,
        build: Build,
        *,
        skip: tuple[str, ...] = (),
        status: BuildStatus,
        poll_s: float = POLL_S,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.settings = settings
        self.build = build
        self.skip = skip
        self.status = status
        self.poll_s = poll_s
        self.settle_s = settle_s
        self.seen = snapshot(settings.source_dir)

    def swappable(self) -> SwappableApp:
        """The app to serve: the current release, rebuilt and swapped while it is served."""
        app, cleanup = pinned_app(self.settings, self.status)
        return SwappableApp(app, self.status, cleanup=cleanup, drain_s=DRAIN_S, background=self.run)

    async def run(self, target: SwappableApp) -> None:
        """Watch until cancelled (the server stops)."""
        while True:
            changed = await self._next_change()
            try:
                await self._rebuild(target, changed)
            except Exception as error:  # a bug in a build must not stop the server
                log.exception("the rebuild failed")
                self.status.failure = f"the rebuild failed: {error!r}"

    async def _next_change(self) -> Snapshot:
        """The sources once they differ from the last build's and have been still for ``settle_s``."""
        source_dir = self.settings.source_dir
        while True:
            await asyncio.sleep(self.poll_s)
            current = await asyncio.to_thread(snapshot, source_dir)
            if current == self.seen:
                continue
            while True:  # settle: an editor, or git, may still be writing
                await asyncio.sleep(self.settle_s)
                later = await asyncio.to_thread(snapshot, source_dir)
                if later == current:
                    return current
                current = later

    async def _rebuild(self, target: SwappableApp, sources: Snapshot) -> None:
        settings = self.settings
        self.seen = sources
        progress(f"the sources changed: building {settings.release_dir}")
        started = time.perf_counter()
        try:
            await asyncio.to_thread(
                self.build, settings.source_dir, settings.release_dir, self.skip
            )
        except PilotkgError as error:  # a check failed, or a source does not parse
            self.status.failure = str(error)
            progress(f"the rebuild failed; still serving the previous release:\n{error}")
            return
        if await asyncio.to_thread(snapshot, settings.source_dir) != sources:
            progress("the sources changed while they were built: building again")
            return  # the next round sees the change (``seen`` is what was built)
        built = time.perf_counter()
        app, cleanup = await asyncio.to_thread(
            functools.partial(pinned_app, settings, self.status, workers_first=False)
        )
        self.status.failure = None
        await target.swap(app, cleanup=cleanup)
        progress(
            f"serving the new release (built in {built - started:.1f} s, "
            f"loaded and swapped in {time.perf_counter() - built:.1f} s)"
        )
