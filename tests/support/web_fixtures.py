"""The shared fixtures of the web tests, a plugin registered by ``tests/conftest.py``.

A plugin rather than imports, so that each fixture exists once per session:
one in-process app, and one real server (``pilotkg serve`` on a free port of
127.0.0.1) started on first use and stopped at the end of the session.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

import pytest
from starlette.testclient import TestClient

from pilotkg.web.app import create_app
from support.web import LiveServer, built_real_source, make_settings


@pytest.fixture(scope="session")
def web_client() -> Iterator[TestClient]:
    """An in-process client of the app serving the fixture release (query workers started)."""
    app = create_app(make_settings())
    # It keeps no cookies: a test that switches the language (the ``lang`` cookie) must not
    # choose the language of the tests after it.
    no_cookies = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    with TestClient(
        app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False, cookies=no_cookies
    ) as client:
        yield client


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The real server, shared by every module that uses it; stopped at the end of the session."""
    server = LiveServer()
    atexit.register(server.stop)  # also when the session is interrupted
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_server() -> Iterator[LiveServer]:
    """A real server on the release of the project's own data; stopped at the end of the session."""
    server = LiveServer(source=built_real_source())
    atexit.register(server.stop)
    yield server
    server.stop()
