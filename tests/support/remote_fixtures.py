"""Fixtures of the remote-loading tests (tests/remote/): releases to load, and a graph of
each test's own on the test Virtuoso. Registered as a plugin by ``tests/conftest.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilotkg.sources import CHECKOUT_ROOT
from support.remote_graphs import FIXTURE_SOURCES, build, drop_graphs, make_store
from support.virtuoso import Virtuoso


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of tests/data/load: small, and full of literals loaders get wrong."""
    return build(FIXTURE_SOURCES, tmp_path_factory.mktemp("fixture") / "dist")


@pytest.fixture(scope="session")
def checkout_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of the real sources (checks skipped: they are tested elsewhere)."""
    return build(CHECKOUT_ROOT, tmp_path_factory.mktemp("checkout") / "dist")


@pytest.fixture
def graph(virtuoso: Virtuoso) -> Iterator[str]:
    """A graph IRI for one test, dropped afterwards."""
    iri = f"urn:pilotkg:test:{uuid.uuid4().hex}"
    yield iri
    drop_graphs(make_store(virtuoso), [iri])
