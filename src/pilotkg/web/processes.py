"""``pilotkg serve --processes N``: N server processes on one listening socket and one store.

One process runs one event loop, so pages rendered in Python and the SPARQL
traffic that waits on query workers compete for one core. Here the command's own
process binds the socket, loads the release once into an on-disk store (``--store``,
or a temporary one), and starts N children (``spawn``: fresh interpreters, no fork of a
threaded process) that each open that store read-only, as the query workers do, and
run uvicorn on the inherited socket; the kernel hands each new connection to one of
them. Every child serves the same release from the same store, so every one gives the
same answers.

The settings divide so that the server as a whole keeps their meaning where it can:
``query_workers`` is split between the children (each runs ``ceil(query_workers / N)``,
plus the one each keeps free for short queries); ``max_client_queries``,
``page_cache_entries`` and ``frozen_release_entries`` hold per child, since a client's
connections may land on any of them.

The parent only supervises: Ctrl-C or SIGTERM stops every child (SIGTERM, then SIGKILL
past a bound) and removes the temporary store; a child that dies is replaced; and each
child asks the kernel to kill it (SIGKILL) when the parent dies, however it dies, so no
child outlives the command (a SIGTERM then could leave a child waiting in its graceful
shutdown for good; a read-only store has nothing to lose).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Event
from pathlib import Path
from types import FrameType

from ..errors import PilotkgError, UsageError
from ..release import Release
from .lifeline import die_with_parent
from .settings import Settings
from .stores import ensure_on_disk

log = logging.getLogger("pilotkg.web")

#: How long a child may take to open the store and start its workers, and to stop.
START_S = 120.0
STOP_S = 15.0


def child_settings(settings: Settings, processes: int, store_dir: Path) -> Settings:
    """The settings of one of ``processes`` children: the shared store, a share of the workers."""
    return dataclasses.replace(
        settings,
        store_dir=store_dir,
        query_workers=max(1, math.ceil(settings.query_workers / processes)),
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every child accepts on, bound and listening before any child starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets that say TCP,
    # and without it every small answer waits out delayed ACKs (about 40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UsageError(
            f"--host {host} --port {port}: cannot listen there ({error.strerror})"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(
    settings: Settings, release: Release, sock: socket.socket, ready: Event, parent: int
) -> None:
    """One server process: the app over the shared store, uvicorn on the shared socket."""
    die_with_parent(parent, signal.SIGKILL)
    import uvicorn

    from .app import create_app
    from .command import uvicorn_options

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready.set()

    app = create_app(settings, release=release)
    Server(uvicorn.Config(app, **uvicorn_options(settings))).run(sockets=[sock])


@dataclasses.dataclass
class _Child:
    process: multiprocessing.process.BaseProcess
    ready: Event


class Supervisor:
    """Starts the children, replaces one that dies, and stops them all on Ctrl-C or SIGTERM."""

    def __init__(
        self, settings: Settings, release: Release, sock: socket.socket, processes: int
    ) -> None:
        self.settings = settings
        self.release = release
        self.sock = sock
        self.count = processes
        self.context = multiprocessing.get_context("spawn")
        self.children: list[_Child] = []
        self.stopping = False

    def _start_one(self) -> _Child:
        ready = self.context.Event()
        process = self.context.Process(
            target=_child,
            args=(self.settings, self.release, self.sock, ready, os.getpid()),
            name="pilotkg-serve",
        )
        process.start()
        return _Child(process, ready)

    def _wait_ready(self, children: list[_Child]) -> None:
        """Wait until every child of ``children`` serves; ``StartFailed`` if one ended first."""
        deadline = time.monotonic() + START_S
        for child in children:
            while not child.ready.wait(0.2):
                if self.stopping:
                    return
                if not child.process.is_alive() or time.monotonic() > deadline:
                    raise StartFailed()

    def _stop_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self, on_ready: Callable[[], None]) -> None:
        """Serve until Ctrl-C or SIGTERM (``on_ready`` once every child answers);
        ``StartFailed`` when a child could not start."""
        handlers = {
            sig: signal.signal(sig, self._stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.children = [self._start_one() for _ in range(self.count)]
            self._wait_ready(self.children)
            if not self.stopping:
                on_ready()
            while not self.stopping:
                sentinels = [child.process.sentinel for child in self.children]
                multiprocessing.connection.wait(sentinels, timeout=0.5)
                for index, child in enumerate(self.children):
                    if not child.process.is_alive() and not self.stopping:
                        log.error(
                            "server process %s ended (exit %s); starting another",
                            child.process.pid,
                            child.process.exitcode,
                        )
                        self.children[index] = self._start_one()
                        self._wait_ready([self.children[index]])
        finally:
            self._stop_all()
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _stop_all(self) -> None:
        for child in self.children:
            if child.process.is_alive() and child.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        for child in self.children:
            child.process.join(max(0.0, deadline - time.monotonic()))
            if child.process.is_alive():
                child.process.kill()
                child.process.join(5)


class StartFailed(PilotkgError):
    """A server process ended, or did not answer, before it was ready (exit 1)."""

    exit_code = 1

    def __init__(self) -> None:
        super().__init__("a server process did not start: the log above says why")


@contextlib.contextmanager
def shared_store(release: Release, store_dir: Path | None) -> Iterator[Path]:
    """The on-disk store every child opens: ``--store`` (kept), else a temporary one
    removed when the server stops."""
    if store_dir is not None:
        ensure_on_disk(release, store_dir)
        yield store_dir
        return
    scratch = Path(tempfile.mkdtemp(prefix="pilotkg-store-"))
    try:
        ensure_on_disk(release, scratch / "store")
        yield scratch / "store"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def serve_processes(
    settings: Settings, *, host: str, port: int, processes: int, on_ready: Callable[[], None]
) -> None:
    """Serve the release with ``processes`` server processes until Ctrl-C or SIGTERM.

    The release is opened once, here, and handed to every child, so that a child started
    later (to replace one that died) serves the same release even if a build has
    published another meanwhile."""
    sock = listening_socket(host, port)
    try:
        release = Release.open(settings.release_dir)
        with shared_store(release, settings.store_dir) as store_dir:
            shared = child_settings(settings, processes, store_dir)
            Supervisor(shared, release, sock, processes).run(on_ready)
    finally:
        sock.close()
