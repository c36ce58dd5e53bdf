"""The HTTP/1.1 protocol ``pilotkg serve`` runs under uvicorn: h11 with a deadline for request headers.

uvicorn (0.54) has no timeout for reading a request's headers. Its
``timeout_keep_alive`` only runs between requests and stops at the first byte,
and a new connection has no timer at all, so a client that connects and sends
nothing, or sends a header line a byte every few seconds (slowloris), holds its
connection, a file descriptor and a slot of ``limit_concurrency`` for as long as
it likes. Enough such clients take every descriptor and the server accepts no one.

``HeaderTimeoutProtocol`` starts a deadline whenever the connection waits for a
request's headers (when it opens, and after each response on a kept-alive
connection) and closes the connection if the headers are not complete by then.
The deadline is not pushed back by the bytes that arrive, since a slow trickle
is the attack. Bodies are not covered: they are read by the app, which bounds
their size.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("pilotkg.web")

#: The default of the setting ``header_timeout_s``, for the protocol used without settings.
HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request headers are late."""

    header_timeout_s: float = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        """Start the deadline when the connection waits for a request's headers (h11 sees the
        client IDLE); stop it once they are in. A running deadline is left as it is."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if not waiting:
            self._stop_deadline()
        elif self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._too_late)

    def _stop_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_late(self) -> None:
        """Close the connection, with no response: no request has arrived to answer."""
        self._header_deadline = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        log.debug("closed a connection whose request headers took over %g s", self.header_timeout_s)
        with contextlib.suppress(h11.LocalProtocolError):  # h11 may already count it closed
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def header_timeout_protocol(timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for uvicorn's ``http=`` option, with its own deadline in seconds."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": timeout_s})
