"""The reference engine's verdict on each shapes fixture, computed once per test session.

pyshacl, the reference engine, takes a good fraction of a second per fixture, and two modules
need its verdict on every fixture of ``tests/data/shapes/``: ``tests/test_shapes.py`` (each
fixture is rejected for exactly its reason) and ``tests/build/test_shacl_engines.py`` (the fast
engine gives the same verdict). :class:`PyshaclVerdicts` validates each fixture once, as
``pilotkg check`` validates the real data: the ontology, ``minimal-valid.ttl`` (the entities
the fixtures point at), the fixture and the sub-property entailments in one graph. Verdicts are
kept by the fixture's path and the digest of what the verdict depends on (the shapes, the
ontology, ``minimal-valid.ttl`` and the fixture), so an edited file is validated afresh, and
in the session's scratch folder (``support.shared``) as well as in memory, so that under
pytest-xdist every worker reads the verdict the first one to need it computed, and the two
modules need not run in one worker.

A plugin registered by ``tests/conftest.py``: the session-scoped fixture ``pyshacl_verdicts``.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from pilotkg.build.checks import validate_shacl
from pilotkg.build.report import Finding
from pilotkg.entailment import entail
from pilotkg.graphs import to_rdflib, to_store
from pilotkg.sources import parse_turtle
from support.paths import PROJECT, TEST_DATA
from support.shared import built_once

ONTOLOGY_FILE = PROJECT / "ontology" / "pilotkg.ttl"
SHAPE_FILES = tuple(sorted((PROJECT / "shapes").glob("*.ttl")))
FIXTURE_DIR = TEST_DATA / "shapes"
SILENT_DIR = TEST_DATA / "shapes-silent"
VALID_FIXTURE = FIXTURE_DIR / "minimal-valid.ttl"
#: The file of a verdict in its folder of the session's scratch folder.
VERDICT_FILE = "findings.pickle"


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
    """pyshacl's findings on each fixture, validated on first request and then remembered:
    in this process, and in the session's scratch folder for the other pytest-xdist workers
    (``support.shared``), so that each fixture is validated once per session whichever worker
    asks first."""

    def __init__(self, shape_files: Sequence[Path] = SHAPE_FILES) -> None:
        self.shape_files = tuple(shape_files)
        self._cache: dict[tuple[Path, str], tuple[Finding, ...]] = {}
        self._shapes: tuple[str, rdflib.Graph] | None = None
        #: How many times pyshacl actually ran here (the rest were answered from a cache).
        self.validations = 0

    def findings(self, fixture: Path) -> list[Finding]:
        """pyshacl's findings on ``fixture`` validated with ``minimal-valid.ttl`` and the
        ontology (a fresh list each call: the findings themselves are frozen)."""
        path = fixture.resolve()
        key = (path, _digest([*self.shape_files, ONTOLOGY_FILE, VALID_FIXTURE, path]))
        if key not in self._cache:
            folder = built_once(f"pyshacl-{key[1]}", lambda folder: self._validate(path, folder))
            self._cache[key] = pickle.loads((folder / VERDICT_FILE).read_bytes())
        return list(self._cache[key])

    def _validate(self, fixture: Path, folder: Path) -> None:
        """pyshacl's verdict on ``fixture``, written into ``folder`` for every worker."""
        knowledge = fixture_knowledge(fixture, parse_turtle(ONTOLOGY_FILE))
        found = tuple(validate_shacl(to_rdflib(knowledge), self._shapes_graph()))
        (folder / VERDICT_FILE).write_bytes(pickle.dumps(found))
        self.validations += 1

    def _shapes_graph(self) -> rdflib.Graph:
        """The shapes as ``check_shacl(engine="pyshacl")`` hands them to pyshacl, converted to
        rdflib once for every fixture (and again only when a shapes file changes).

        One graph rather than one per fixture because pyshacl writes each SPARQL constraint's
        prefixes in the order it finds their declarations, which differs between two graphs
        of the same shapes (their blank nodes differ): with a fresh graph each text is new to
        the parse cache of ``validate_shacl`` and is parsed again for every fixture. pyshacl
        adds only its two RDFS axioms to the graph, the same on every run."""
        digest = _digest(self.shape_files)
        if self._shapes is None or self._shapes[0] != digest:
            shapes = [t for shapes_file in self.shape_files for t in parse_turtle(shapes_file)]
            self._shapes = (digest, to_rdflib(shapes))
        return self._shapes[1]


@pytest.fixture(scope="session")
def pyshacl_verdicts() -> PyshaclVerdicts:
    """The session's one cache of pyshacl verdicts on the shapes fixtures."""
    return PyshaclVerdicts()
