"""The fast SHACL engine (pyshacl-turbo) gives exactly the reference engine's (pyshacl) verdict.

``pilotkg check`` validates with pyshacl-turbo because pyshacl takes minutes from 100k triples
on; that is sound only while both engines agree. Each fixture of ``tests/data/shapes/`` is
validated as ``pilotkg check`` validates the real data (ontology, ``minimal-valid.ttl``, the
fixture and the sub-property entailments in one graph), and so are synthetic graphs with
planted violations; both engines must give the same conformance and the same results,
compared as (focus node, path, constraint component, severity). pyshacl's verdict on each
fixture comes from the session's ``pyshacl_verdicts`` (tests/support/shacl.py), which
tests/test_shapes.py shares, so that each fixture is validated by pyshacl once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.build.checks import SHACL_ENGINES, _compiled_shapes, check_shacl
from pilotkg.build.report import Finding
from pilotkg.sources import CHECKOUT_ROOT, load_sources, parse_turtle
from support.shacl import PyshaclVerdicts, fixture_knowledge
from support.synth import load_synth

FIXTURES = CHECKOUT_ROOT / "tests" / "data" / "shapes"
VALID = FIXTURES / "minimal-valid.ttl"
SHAPE_FILES = sorted((CHECKOUT_ROOT / "shapes").glob("*.ttl"))

Result = tuple[str, str, str, str]


def results(findings: list[Finding]) -> Counter[Result]:
    """What must agree between engines; blank-node labels differ between them, so any
    blank node is written ``_:``."""

    def term(text: str) -> str:
        return "_:" if text.startswith("_:") else text

    return Counter((term(f.focus_node), term(f.path), f.component, f.severity) for f in findings)


def both_engines(knowledge: ox.Store, shapes: list[ox.Triple]) -> dict[str, Counter[Result]]:
    return {
        engine: results(check_shacl(knowledge, shapes, engine=engine)) for engine in SHACL_ENGINES
    }


@pytest.fixture(scope="module")
def shapes() -> list[ox.Triple]:
    return [t for path in SHAPE_FILES for t in parse_turtle(path)]


@pytest.fixture(scope="module")
def ontology() -> list[ox.Triple]:
    return parse_turtle(CHECKOUT_ROOT / "ontology" / "pilotkg.ttl")


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.stem)
def test_engines_agree_on_every_shapes_fixture(
    fixture: Path,
    ontology: list[ox.Triple],
    shapes: list[ox.Triple],
    pyshacl_verdicts: PyshaclVerdicts,
) -> None:
    assert list(pyshacl_verdicts.shape_files) == SHAPE_FILES  # the shapes both engines check
    knowledge = fixture_knowledge(fixture, ontology)
    verdicts = {
        "turbo": results(check_shacl(knowledge, shapes, engine="turbo")),
        "pyshacl": results(pyshacl_verdicts.findings(fixture)),
    }
    assert set(verdicts) == set(SHACL_ENGINES)
    assert verdicts["turbo"] == verdicts["pyshacl"]
    if fixture == VALID:
        assert not +verdicts["pyshacl"], "minimal-valid.ttl must conform"


def test_engines_agree_on_planted_violations(tmp_path: Path, shapes: list[ox.Triple]) -> None:
    synth = load_synth()
    _written, planted = synth.synthesise(tmp_path, triples=3000, seed=7, violations=26)
    sources = load_sources(tmp_path)
    verdicts = both_engines(sources.store, shapes)
    assert verdicts["turbo"] == verdicts["pyshacl"]
    planted_shacl = {(f.focus, f.path, f.component) for f in planted if f.check == "shacl"}
    found = {(focus, path, component) for focus, path, component, _sev in verdicts["pyshacl"]}
    assert found == planted_shacl


def test_a_fresh_parse_of_the_same_shapes_finds_their_compiled_program(
    shapes: list[ox.Triple],
) -> None:
    """Under ``serve --watch`` every rebuild parses the shapes again, with new blank-node
    labels: the same files still find the program compiled before; other shapes do not."""
    again = [t for path in SHAPE_FILES for t in parse_turtle(path)]
    assert again != shapes  # the blank nodes are new
    assert _compiled_shapes(again) is _compiled_shapes(shapes)
    shape = ox.Triple(
        ox.BlankNode(),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/ns/shacl#NodeShape"),
    )
    assert _compiled_shapes([*shapes, shape]) is not _compiled_shapes(shapes)
