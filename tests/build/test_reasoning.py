"""The OWL check at scale: the signature abstraction finds every clash the full data has,
raises no false alarm, and steps aside for ontologies it is not argued for."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.build.reasoning import (
    abstract_abox,
    check_consistency,
    owl_projection,
    reasoning_input,
)
from pilotkg.sources import load_sources, parse_turtle
from support.synth import load_synth

PREFIXES = """@prefix pilot: <https://w3id.org/pilotkg/ontology#> .
@prefix zone: <https://w3id.org/pilotkg/id/zone/> .
@prefix base: <https://w3id.org/pilotkg/id/base/> .
@prefix region: <https://w3id.org/pilotkg/id/region/> .
@prefix programme: <https://w3id.org/pilotkg/id/programme/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
#: Many well-formed individuals with the same signatures, so that each clash below is one
#: individual among look-alikes that the abstraction folds together.
LOOK_ALIKES = (
    "".join(
        f"zone:z{i} a pilot:PilotZone ; pilot:programme programme:p{i % 3} ; pilot:batch {1 + i % 2} ; "
        f"pilot:locatedIn region:r{i} . region:r{i} a pilot:Region ; owl:sameAs <http://www.wikidata.org/entity/Q{i + 1}> . "
        for i in range(30)
    )
    + "programme:p0 a pilot:Programme . programme:p1 a pilot:Programme . programme:p2 a pilot:Programme ."
)


def turtle(text: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(PREFIXES + LOOK_ALIKES + text, format=ox.RdfFormat.TURTLE)]


@pytest.fixture(scope="module")
def ontology(source_dir: Path) -> list[ox.Triple]:
    return parse_turtle(source_dir / "ontology" / "pilotkg.ttl")


CLASHES = {
    "domain makes a zone a base": "zone:x a pilot:PilotZone ; pilot:field <https://w3id.org/pilotkg/id/sector/s> .",
    "range meets a disjoint type": "zone:x a pilot:PilotZone . base:y pilot:designationDocument zone:x ; a pilot:PilotTestBase . zone:x a pilot:PilotTestBase .",
    "sameAs merges a zone and a base": "zone:x a pilot:PilotZone ; owl:sameAs <http://www.wikidata.org/entity/Q999> . base:y a pilot:PilotTestBase ; owl:sameAs <http://www.wikidata.org/entity/Q999> .",
    "functional programme merges a zone and a base": "base:b pilot:programme zone:x , base:y . zone:x a pilot:PilotZone . base:y a pilot:PilotTestBase .",
    "functional batch with two values": "zone:z1 pilot:batch 3 .",
}


@pytest.mark.parametrize("clash", CLASHES.values(), ids=CLASHES.keys())
def test_the_abstraction_keeps_every_clash(clash: str, ontology: list[ox.Triple]) -> None:
    data = turtle(clash)
    abstract_abox(ontology, owl_projection(data)[0])  # argued for: no fallback
    assert check_consistency(ontology, data), clash


def test_look_alikes_raise_no_false_alarm(ontology: list[ox.Triple]) -> None:
    data = turtle("")
    abstraction = abstract_abox(ontology, owl_projection(data)[0])
    assert len(abstraction) - len(ontology) < len(data) / 3, "look-alikes are folded together"
    assert check_consistency(ontology, data) == []


def test_an_ontology_outside_the_argument_gets_the_full_projection(
    ontology: list[ox.Triple],
) -> None:
    restriction = [
        q.triple
        for q in ox.parse(
            PREFIXES
            + "pilot:PilotZone rdfs:subClassOf [ a owl:Restriction ; owl:onProperty pilot:programme ; "
            "owl:someValuesFrom pilot:Programme ] .",
            format=ox.RdfFormat.TURTLE,
        )
    ]
    data = turtle("")
    assert (
        reasoning_input(ontology + restriction, data)
        == owl_projection(ontology + restriction + data)[0]
    )


def test_a_synthetic_graph_folds_into_a_few_hundred_triples(
    tmp_path: Path, ontology: list[ox.Triple]
) -> None:
    load_synth().synthesise(tmp_path, triples=20_000, seed=2)
    sources = load_sources(tmp_path)
    abstraction = reasoning_input(sources.ontology, sources.data)
    assert len(abstraction) - len(sources.ontology) < 1000 < len(sources.data)
    assert check_consistency(sources.ontology, sources.data) == []
    # The store's predicate index reads the same triples as a filter over every triple.
    assert set(abstraction) == set(reasoning_input(sources.ontology, list(sources.data)))


def test_a_class_no_individual_can_belong_to_is_named(ontology: list[ox.Triple]) -> None:
    """HermiT's printed hierarchy names a class equivalent to owl:Nothing: the finding names it."""
    unsatisfiable = "https://w3id.org/pilotkg/ontology#ZoneAndBase"
    extra = [
        q.triple
        for q in ox.parse(
            PREFIXES + f"<{unsatisfiable}> a owl:Class ; rdfs:subClassOf pilot:PilotZone , "
            "pilot:PilotTestBase .",
            format=ox.RdfFormat.TURTLE,
        )
    ]
    findings = check_consistency([*ontology, *extra], turtle(""))
    assert [(f.focus_node, f.message) for f in findings] == [
        (f"<{unsatisfiable}>", "class is unsatisfiable: no individual can belong to it")
    ]
