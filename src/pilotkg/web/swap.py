"""One release served at a time, replaced while serving (``pilotkg serve --watch``).

``SwappableApp`` is the ASGI app uvicorn runs. Each request goes to the app of the
release being served when the request arrives, and stays with that app to its last
byte. ``swap`` starts the next release's app first (its lifespan: the query workers
over its own store), then sends new requests to it, lets the requests the old app
has begun finish (up to ``drain_s``), and only then stops the old app and removes what
it served from. So no request is dropped or answered from a store half replaced, and
a new app that fails to start leaves the old one serving.

``BuildStatus`` is what the last rebuild said. While it failed, every HTML page shows
it (``Site.render`` passes it to the base layout) and every response, whatever its
type, carries it in the ``Pilotkg-Build-Failure`` header, for scripts and curl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger("pilotkg.web")

#: The response header that names the failing check while a rebuild has failed.
FAILURE_HEADER = "Pilotkg-Build-Failure"


@dataclass
class BuildStatus:
    """The outcome of the last rebuild: None when it published, else what the build said
    (each failing check with its file and line, or its focus node and path)."""

    failure: str | None = None

    def header(self) -> bytes | None:
        """The failure's first line as a header value: ASCII, Chinese escaped as ``\\uXXXX``."""
        if self.failure is None:
            return None
        first = self.failure.strip().splitlines()[0] if self.failure.strip() else "build failed"
        return first.encode("ascii", errors="backslashreplace")


#: Work that runs beside the server for its lifetime, given the app it may swap.
Background = Callable[["SwappableApp"], Coroutine[Any, Any, None]]


@dataclass(eq=False)
class _Served:
    """An app and what it holds open: its lifespan, the requests it is answering, and
    what to remove once it is stopped (its pinned copy of the release)."""

    app: Starlette
    cleanup: Callable[[], None]
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        await self.stack.enter_async_context(self.app.router.lifespan_context(self.app))

    async def stop(self) -> None:
        try:
            await self.stack.aclose()
        finally:
            self.cleanup()


class SwappableApp:
    """The ASGI app that serves ``app`` until ``swap`` replaces it; ``background`` runs
    from startup to shutdown (the watcher)."""

    def __init__(
        self,
        app: Starlette,
        status: BuildStatus,
        *,
        cleanup: Callable[[], None],
        drain_s: float,
        background: Background | None = None,
    ) -> None:
        self.status = status
        self.drain_s = drain_s
        self._served = _Served(app, cleanup)
        self._background = background
        self._lock = asyncio.Lock()

    @property
    def app(self) -> Starlette:
        """The app new requests go to."""
        return self._served.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        served = self._served
        served.in_flight += 1
        served.idle.clear()
        header = self.status.header()

        async def send_marked(message: Message) -> None:
            if header is not None and message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"pilotkg-build-failure", header)],
                }
            await send(message)

        try:
            await served.app(scope, receive, send_marked if header is not None else send)
        finally:
            served.in_flight -= 1
            if served.in_flight == 0:
                served.idle.set()

    async def swap(self, app: Starlette, *, cleanup: Callable[[], None]) -> None:
        """Serve ``app`` from now on and stop the app it replaces once its requests are done;
        when ``app`` fails to start, it is removed and the old one goes on serving (the error
        is raised)."""
        async with self._lock:
            new = _Served(app, cleanup)
            try:
                await new.start()
            except BaseException:
                await new.stop()
                raise
            old, self._served = self._served, new
            try:
                if old.in_flight:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(old.idle.wait(), self.drain_s)
            finally:  # also when the server stops meanwhile
                if old.in_flight:
                    log.warning(
                        "stopping the previous release with %d request(s) open", old.in_flight
                    )
                await old.stop()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        try:
            await self._served.start()
        except Exception as error:
            log.exception("the app did not start")
            await send({"type": "lifespan.startup.failed", "message": str(error)})
            return
        task = asyncio.create_task(self._background(self)) if self._background else None
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self._lock:  # a swap under way finishes first
            await self._served.stop()
        await send({"type": "lifespan.shutdown.complete"})
