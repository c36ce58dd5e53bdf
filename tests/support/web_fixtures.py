"""The shared fixtures of the web tests, a plugin registered by ``tests/conftest.py``.

A plugin rather than imports, so that each fixture exists once per session:
one in-process app, and one real server (``pilotkg serve`` on a free port of
127.0.0.1) started on first use and stopped at the end of the session.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from pilotkg.web.app import create_app
from support.web import LiveServer, make_settings


@pytest.fixture(scope="session")
def web_client() -> Iterator[TestClient]:
    """An in-process client of the app serving the fixture release (query workers started)."""
    app = create_app(make_settings())
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The real server, shared by every module that uses it; stopped at the end of the session."""
    server = LiveServer()
    atexit.register(server.stop)  # also when the session is interrupted
    yield server
    server.stop()
