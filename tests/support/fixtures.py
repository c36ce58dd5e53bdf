"""Shared fixtures: the checkout's source folder, copies of it to break, and one checked release.

A plugin registered by ``tests/conftest.py``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilotkg.build import pipeline
from pilotkg.sources import CHECKOUT_ROOT, Sources, load_sources
from support.shared import built_once


@pytest.fixture(scope="session")
def source_dir() -> Path:
    """The real sources of this checkout."""
    return CHECKOUT_ROOT


@pytest.fixture(scope="session")
def real_sources(source_dir: Path) -> Sources:
    """The checkout's sources as the build reads them: data/ with its citation blocks compiled
    and the sub-property entailments added (``Sources.data``; ``Sources.store`` adds the
    ontology). Tests read the data through this, never with rdflib's parser, which does not
    read Turtle 1.2's annotation blocks."""
    return load_sources(source_dir)


@pytest.fixture
def source_copy(tmp_path: Path, source_dir: Path) -> Path:
    """A throw-away copy of the real sources, for tests that break them."""
    copy = tmp_path / "src"
    for part in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(source_dir / part, copy / part)
    return copy


@pytest.fixture(scope="session")
def release(source_dir: Path) -> Path:
    """One fully checked release of the real data, built once per test session for every
    worker (``support.shared``); the tests only read it."""
    return (
        built_once("release", lambda folder: pipeline.build(source_dir, folder / "dist")) / "dist"
    )
