"""The client matrix's fixtures, a plugin of the ``tests/clients/`` modules (``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_matrix import Jena, Recorder, need

from support.web import LiveServer


@pytest.fixture(scope="session")
def jena(tmp_path_factory: pytest.TempPathFactory) -> Jena:
    """Jena's tools on Debian's jars, with the session's class archive."""
    need(Jena.installed(), "Jena", "apt-get install libapache-jena-java (scripts/test.sh does)")
    return Jena(tmp_path_factory.mktemp("jena"))


@pytest.fixture(scope="session")
def recorder(live_server: LiveServer) -> Iterator[Recorder]:
    """The recording proxy in front of the live server."""
    proxy = Recorder(live_server.url)
    yield proxy
    proxy.stop()
