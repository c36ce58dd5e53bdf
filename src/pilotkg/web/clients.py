"""How many queries each client has running, so that one client cannot take every worker.

Wikidata's query service limits each client in the same spirit. A client is
the connection's peer address: behind a reverse proxy every client has the
proxy's address, so raise ``max_client_queries`` there (or set it to 0, which
turns the limit off) and let the proxy limit clients instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class ClientSlots:
    """At most ``per_client`` queries running per client address (0: no limit)."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._running: Counter[str] = Counter()

    @contextmanager
    def taken(self, client: str) -> Iterator[bool]:
        """Take a slot for ``client`` while the block runs; yields False when none is free."""
        if self.per_client and self._running[client] >= self.per_client:
            yield False
            return
        self._running[client] += 1
        try:
            yield True
        finally:
            self._running[client] -= 1
            if not self._running[client]:
                del self._running[client]
