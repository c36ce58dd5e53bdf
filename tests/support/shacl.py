"""The reference engine's verdict on each shapes fixture, computed once per test session.

pyshacl, the reference engine, takes a good fraction of a second per fixture, and two modules
need its verdict on every fixture of ``tests/data/shapes/``: ``tests/test_shapes.py`` (each
fixture is rejected for exactly its reason) and ``tests/build/test_shacl_engines.py`` (the fast
engine gives the same verdict). :class:`PyshaclVerdicts` validates each fixture once, as
``pilotkg check`` validates the real data: the ontology, ``minimal-valid.ttl`` (the entities
the fixtures point at), the fixture and the sub-property entailments in one graph. Verdicts are
kept by the fixture's path and the digest of what the verdict depends on (the shapes, the
ontology, ``minimal-valid.ttl`` and the fixture), so an edited file is validated afresh.

A plugin registered by ``tests/conftest.py``: the session-scoped fixture ``pyshacl_verdicts``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.build.checks import check_shacl
from pilotkg.build.report import Finding
from pilotkg.entailment import entail
from pilotkg.graphs import to_store
from pilotkg.sources import parse_turtle
from support.paths import PROJECT, TEST_DATA

ONTOLOGY_FILE = PROJECT / "ontology" / "pilotkg.ttl"
SHAPE_FILES = tuple(sorted((PROJECT / "shapes").glob("*.ttl")))
FIXTURE_DIR = TEST_DATA / "shapes"
SILENT_DIR = TEST_DATA / "shapes-silent"
VALID_FIXTURE = FIXTURE_DIR / "minimal-valid.ttl"


def fixture_knowledge(fixture: Path, ontology: list[ox.Triple]) -> ox.Store:
    """What ``pilotkg check`` would validate for ``fixture``: the ontology, ``minimal-valid.ttl``,
    the fixture and the sub-property entailments, in the default graph."""
    data = parse_turtle(VALID_FIXTURE)
    if fixture.resolve() != VALID_FIXTURE.resolve():
        data += parse_turtle(fixture)
    knowledge = to_store(ontology + data)
    entail(knowledge, ontology)
    return knowledge


def _digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class PyshaclVerdicts:
    """pyshacl's findings on each fixture, validated on first request and then remembered."""

    def __init__(self, shape_files: Sequence[Path] = SHAPE_FILES) -> None:
        self.shape_files = tuple(shape_files)
        self._cache: dict[tuple[Path, str], tuple[Finding, ...]] = {}
        #: How many times pyshacl actually ran (the rest were answered from the cache).
        self.validations = 0

    def findings(self, fixture: Path) -> list[Finding]:
        """pyshacl's findings on ``fixture`` validated with ``minimal-valid.ttl`` and the
        ontology (a fresh list each call: the findings themselves are frozen)."""
        path = fixture.resolve()
        key = (path, _digest([*self.shape_files, ONTOLOGY_FILE, VALID_FIXTURE, path]))
        if key not in self._cache:
            ontology = parse_turtle(ONTOLOGY_FILE)
            shapes = [t for shapes_file in self.shape_files for t in parse_turtle(shapes_file)]
            knowledge = fixture_knowledge(path, ontology)
            self._cache[key] = tuple(check_shacl(knowledge, shapes, engine="pyshacl"))
            self.validations += 1
        return list(self._cache[key])


@pytest.fixture(scope="session")
def pyshacl_verdicts() -> PyshaclVerdicts:
    """The session's one cache of pyshacl verdicts on the shapes fixtures."""
    return PyshaclVerdicts()
