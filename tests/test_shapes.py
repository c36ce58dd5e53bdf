"""The SHACL shapes in shapes/: the real data passes them, and each broken fixture
in tests/data/shapes/ is rejected for exactly the reason it was written to show.

Every fixture is validated together with ``minimal-valid.ttl`` (the entities it
points at), the ontology and the sub-property entailments, exactly as
``pilotkg check`` validates the real data (pilotkg.build.checks.validate_shacl), by
pyshacl, the reference engine; its verdict on each fixture comes from the session's
``pyshacl_verdicts`` (tests/support/shacl.py), which tests/build/test_shacl_engines.py
shares, so that each fixture is validated once.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from pilotkg.build.checks import validate_shacl
from pilotkg.build.report import Finding
from pilotkg.graphs import to_rdflib
from pilotkg.sources import Sources
from support.shacl import PyshaclVerdicts

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
SHAPE_FILES = (SHAPES_DIR / "pilotkg-shapes.ttl", SHAPES_DIR / "ontology-shapes.ttl")
FIXTURE_DIR = ROOT / "tests" / "data" / "shapes"
SILENT_DIR = ROOT / "tests" / "data" / "shapes-silent"
VALID_FIXTURE = FIXTURE_DIR / "minimal-valid.ttl"

ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"
RDFS_ = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
OWL_ = "http://www.w3.org/2002/07/owl#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"


def _parse(paths: list[Path]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def _show(results: list[Finding]) -> str:
    return "\n".join(
        f"{r.severity}: {r.focus_node} {r.path or '-'} {r.value or '-'} "
        f"[{r.component.rsplit('#', 1)[-1]}] {r.message}"
        for r in results
    )


# ---------------------------------------------------------------------------
# (a) the real data
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shapes_file", SHAPE_FILES, ids=lambda p: p.name)
def test_real_data_conforms(shapes_file: Path, real_sources: Sources) -> None:
    data = to_rdflib(real_sources.store)
    results = validate_shacl(data, _parse([shapes_file]))
    violations = [r for r in results if r.severity == "Violation"]
    warnings = [r for r in results if r.severity != "Violation"]
    if warnings:
        print(f"{len(warnings)} warning(s):\n{_show(warnings)}")
    assert not violations, f"{len(violations)} violation(s):\n{_show(violations)}"


# ---------------------------------------------------------------------------
# (b) one broken fixture per constraint, (c) the valid fixture
# ---------------------------------------------------------------------------


class Expect(NamedTuple):
    """What the report on a broken fixture must say, and all it may say.

    ``focus``: every focus node of the report (IRIs; "_:" for one blank node).
    ``path``: the sh:resultPath of every result ("" for none or a complex path; "|" separates
    alternatives, for a sub-property whose value also breaks its entailed super-property).
    ``component``: the sh:sourceConstraintComponent (local name in sh:).
    ``phrase``: a phrase every result message contains.
    """

    focus: tuple[str, ...]
    path: str
    component: str
    phrase: str
    severity: str = "Violation"


def z(slug: str) -> str:
    return ID + slug


# Written by hand from shapes/*.ttl: one row per fixture.
# fmt: off
EXPECTED: dict[str, Expect] = {
    # IRIs: https://w3id.org/pilotkg/id/{kind}/{slug}
    "zone-iri-wrong-kind.ttl": Expect((z("base/wrong-kind-zone"),), "", "PatternConstraintComponent", "pilot zone's IRI must be https://w3id.org/pilotkg/id/zone/{slug}"),
    "zone-blank-node.ttl": Expect(("_:",), "", "NodeKindConstraintComponent|PatternConstraintComponent", "pilot zone's IRI must be"),
    "base-iri-uppercase-slug.ttl": Expect((z("base/Energy_Power"),), "", "PatternConstraintComponent", "lowercase ASCII letters and digits joined by single hyphens"),
    "policy-iri-wrong-kind.ttl": Expect((z("source/test-notice"),), "", "PatternConstraintComponent", "policy document's IRI must be https://w3id.org/pilotkg/id/policy/{slug}"),
    "region-iri-underscore.ttl": Expect((z("region/test_county"),), "", "PatternConstraintComponent", "region's IRI must be https://w3id.org/pilotkg/id/region/{slug}"),
    "sector-iri-trailing-hyphen.ttl": Expect((z("sector/robotics-"),), "", "PatternConstraintComponent", "sector's IRI must be https://w3id.org/pilotkg/id/sector/{slug}"),
    "org-iri-wrong-kind.ttl": Expect((z("measure/test-measure"),), "", "PatternConstraintComponent", "organisation's IRI must be https://w3id.org/pilotkg/id/org/{slug}"),
    "source-iri-wrong-host.ttl": Expect(("https://example.org/pilotkg/id/source/test-page",), "", "PatternConstraintComponent", "source's IRI must be https://w3id.org/pilotkg/id/source/{slug}"),
    "event-iri-wrong-kind.ttl": Expect((z("policy/test-meeting"),), "", "PatternConstraintComponent", "event's IRI must be https://w3id.org/pilotkg/id/event/{slug}"),
    "target-iri-wrong-kind.ttl": Expect((z("measure/test-target-2027"),), "", "PatternConstraintComponent", "target's IRI must be https://w3id.org/pilotkg/id/target/{slug}"),
    "measure-iri-wrong-kind.ttl": Expect((z("org/test-ministry"),), "", "PatternConstraintComponent", "policy measure's IRI must be https://w3id.org/pilotkg/id/measure/{slug}"),
    "programme-iri-wrong-kind.ttl": Expect((z("org/test-ministry"),), "", "PatternConstraintComponent", "programme's IRI must be https://w3id.org/pilotkg/id/programme/{slug}"),
    # labels
    "label-missing-en.ttl": Expect((z("org/test-bureau"),), RDFS_ + "label", "QualifiedMinCountConstraintComponent", "Missing English label"),
    "label-missing-zh.ttl": Expect((z("org/test-bureau"),), RDFS_ + "label", "QualifiedMinCountConstraintComponent", "Missing Chinese label"),
    "label-two-en.ttl": Expect((z("measure/test-measure"),), RDFS_ + "label", "UniqueLangConstraintComponent", "two values in the same language"),
    "label-zh-not-chinese.ttl": Expect((z("org/test-bureau"),), RDFS_ + "label", "OrConstraintComponent", "contains no Chinese character"),
    "label-without-language.ttl": Expect((z("measure/test-measure"),), RDFS_ + "label", "DatatypeConstraintComponent", "without a language tag"),
    # cited sources
    "zone-missing-source.ttl": Expect((z("zone/test-unsourced"),), PROV + "wasDerivedFrom", "MinCountConstraintComponent", "Cites no source"),
    "cited-source-not-source.ttl": Expect((z("target/test-target"),), PROV + "wasDerivedFrom", "ClassConstraintComponent", "not a pilot:Source"),
    # designations
    "zone-two-programmes.ttl": Expect((z("zone/test-zone"),), PILOT + "programme", "MaxCountConstraintComponent", "exactly one pilot:programme"),
    "zone-programme-not-programme.ttl": Expect((z("zone/test-wrong-programme"),), PILOT + "programme", "ClassConstraintComponent", "not a pilot:Programme"),
    "zone-located-in-not-region.ttl": Expect((z("zone/test-zone"),), PILOT + "locatedIn", "ClassConstraintComponent", "not a pilot:Region"),
    "zone-sector-not-sector.ttl": Expect((z("zone/test-zone"),), PILOT + "sector", "ClassConstraintComponent", "pilot:sector points at something that is not a pilot:Sector"),
    "zone-focus-area-not-sector.ttl": Expect((z("zone/test-zone"),), PILOT + "focusArea|" + PILOT + "sector", "ClassConstraintComponent", "points at something that is not a pilot:Sector"),
    "base-field-not-sector.ttl": Expect((z("base/test-base"),), PILOT + "field|" + PILOT + "sector", "ClassConstraintComponent", "points at something that is not a pilot:Sector"),
    "base-direction-not-sector.ttl": Expect((z("base/test-base"),), PILOT + "direction|" + PILOT + "sector", "ClassConstraintComponent", "points at something that is not a pilot:Sector"),
    "base-batch-zero.ttl": Expect((z("base/test-base"),), PILOT + "batch", "MinInclusiveConstraintComponent", "xsd:integer ≥ 1"),
    "zone-designated-by-not-org.ttl": Expect((z("zone/test-zone"),), PILOT + "designatedBy", "ClassConstraintComponent", "not an org:Organization"),
    "zone-designation-document-not-policy.ttl": Expect((z("zone/test-zone"),), PILOT + "designationDocument", "ClassConstraintComponent", "not a pilot:Policy"),
    # dates
    "date-wrong-datatype.ttl": Expect((z("zone/test-zone"),), PILOT + "announcementDate|" + PILOT + "date", "OrConstraintComponent", "typed xsd:date"),
    "date-two-values.ttl": Expect((z("base/test-base"),), PILOT + "constructionStartDate", "MaxCountConstraintComponent", "at most one pilot:constructionStartDate"),
    "source-two-publication-dates.ttl": Expect((z("source/test-source"),), PILOT + "publicationDate", "MaxCountConstraintComponent", "at most one pilot:publicationDate"),
    "launch-before-approval.ttl": Expect((z("zone/test-early-launch"),), PILOT + "launchDate", "SPARQLConstraintComponent", "pilot:launchDate 2025-09 is before pilot:approvalDate 2025-10-16"),
    "event-end-before-start.ttl": Expect((z("event/test-backwards"),), PILOT + "endDate", "SPARQLConstraintComponent", "pilot:endDate 2025-10-20 is before pilot:startDate 2025-10-23"),
    "event-organised-by-not-org.ttl": Expect((z("event/test-event"),), PILOT + "organisedBy", "ClassConstraintComponent", "not an org:Organization"),
    "target-year-not-gyear.ttl": Expect((z("target/test-full-date"),), PILOT + "targetYear", "DatatypeConstraintComponent", "typed xsd:gYear"),
    "event-participant-not-person.ttl": Expect((z("event/test-launch"),), PILOT + "participant", "ClassConstraintComponent", "not a pilot:Person"),
    # people and figures
    "person-role-without-language.ttl": Expect((z("person/test-official"),), PILOT + "role", "DatatypeConstraintComponent", "with its language tag"),
    "figure-value-not-decimal.ttl": Expect((z("figure/test-gdp"),), "http://schema.org/value", "DatatypeConstraintComponent", "at most one schema:value, an xsd:decimal"),
    "figure-value-and-bound.ttl": Expect((z("figure/test-both"),), "", "XoneConstraintComponent", "never both a value and a bound"),
    "figure-without-amount.ttl": Expect((z("figure/test-empty"),), "", "XoneConstraintComponent", "A figure states its amount once"),
    "figure-bounds-swapped.ttl": Expect((z("figure/test-swapped"),), "http://schema.org/minValue", "LessThanOrEqualsConstraintComponent", "schema:minValue is above schema:maxValue"),
    "figure-bound-not-decimal.ttl": Expect((z("figure/test-text-bound"),), "http://schema.org/minValue", "DatatypeConstraintComponent", "at most one schema:minValue, an xsd:decimal"),
    "figure-link-not-figure.ttl": Expect((z("programme/test-programme"),), PILOT + "figure", "ClassConstraintComponent", "not a pilot:Figure"),
    "person-member-of-not-org.ttl": Expect((z("person/test-mayor"),), ORG + "memberOf", "ClassConstraintComponent", "org:memberOf points at something that is not an org:Organization"),
    # strategic roles, regions served, twin zones, connected institutions
    "zone-strategic-role-without-language.ttl": Expect((z("zone/test-zone"),), PILOT + "strategicRole", "DatatypeConstraintComponent", "with their language tag"),
    "zone-serves-region-not-region.ttl": Expect((z("zone/test-zone"),), PILOT + "servesRegion", "ClassConstraintComponent", "not a pilot:Region"),
    "base-connected-institution-not-org.ttl": Expect((z("base/test-base"),), PILOT + "connectedInstitution", "ClassConstraintComponent", "not an org:Organization"),
    "twin-zone-not-zone.ttl": Expect((z("zone/test-zone"),), PILOT + "twinZone", "ClassConstraintComponent", "not a pilot:PilotZone"),
    "twin-zone-one-way.ttl": Expect((z("zone/test-zone"),), PILOT + "twinZone", "SPARQLConstraintComponent", "is stated one way only"),
    "twin-zone-same-programme.ttl": Expect((z("zone/test-zone"), z("zone/test-same-programme-twin")), PILOT + "twinZone", "SPARQLConstraintComponent", "is a zone of the same programme"),
    "figure-unit-not-qudt.ttl": Expect((z("figure/test-share"),), "http://qudt.org/schema/qudt/unit", "NodeKindConstraintComponent|PatternConstraintComponent", "a QUDT unit or currency IRI"),
    "figure-year-not-gyear.ttl": Expect((z("figure/test-count"),), PILOT + "referenceYear", "DatatypeConstraintComponent", "at most one xsd:gYear"),
    # policies
    "policy-issuer-not-org.ttl": Expect((z("policy/test-letter"),), PILOT + "issuedBy", "ClassConstraintComponent", "not an org:Organization"),
    "policy-kind-not-kind.ttl": Expect((z("policy/test-wrong-kind"),), PILOT + "policyKind", "ClassConstraintComponent", "must be a pilot:PolicyKind"),
    "bad-document-number.ttl": Expect((z("policy/test-bad-number"),), PILOT + "documentNumber", "PatternConstraintComponent", "of the form 国发〔2025〕11号"),
    "policy-concerns-not-region.ttl": Expect((z("policy/test-letter"),), PILOT + "concernsRegion", "ClassConstraintComponent", "not a pilot:Region"),
    "policy-addressed-to-not-org.ttl": Expect((z("policy/test-letter"),), PILOT + "addressedTo", "ClassConstraintComponent", "not an org:Organization"),
    "policy-adopted-at-not-event.ttl": Expect((z("policy/test-letter"),), PILOT + "adoptedAt", "ClassConstraintComponent", "not a pilot:Event"),
    "policy-target-not-target.ttl": Expect((z("policy/test-letter"),), PILOT + "target", "ClassConstraintComponent", "not a pilot:Target"),
    "policy-measure-not-measure.ttl": Expect((z("policy/test-letter"),), PILOT + "keyAction|" + PILOT + "measure", "ClassConstraintComponent", "not a pilot:PolicyMeasure"),
    "policy-status-not-status.ttl": Expect((z("policy/test-letter"),), SCHEMA + "creativeWorkStatus", "ClassConstraintComponent", "pilot:DocumentStatus"),
    "policy-concerns-designation-not-designation.ttl": Expect((z("policy/test-letter"),), PILOT + "concernsDesignation", "ClassConstraintComponent", "not a pilot zone or pilot test base"),
    # regions
    "region-level-not-level.ttl": Expect((z("region/test-county"),), PILOT + "administrativeLevel", "ClassConstraintComponent", "must be a pilot:AdministrativeLevel"),
    "region-missing-part-of.ttl": Expect((z("region/test-island"),), "", "SPARQLConstraintComponent", "chain stops at https://w3id.org/pilotkg/id/region/test-island"),
    "region-chain-not-china.ttl": Expect((z("region/test-district"), z("region/test-orphan-city")), "", "SPARQLConstraintComponent", "chain stops at https://w3id.org/pilotkg/id/region/test-orphan-city"),
    "region-two-parents.ttl": Expect((z("region/test-second-city"),), PILOT + "partOf", "MaxCountConstraintComponent", "more than one pilot:partOf"),
    "region-parent-not-region.ttl": Expect((z("region/test-county"),), PILOT + "partOf", "ClassConstraintComponent", "not a pilot:Region"),
    "region-cycle.ttl": Expect((z("region/test-east"), z("region/test-west")), "", "SPARQLConstraintComponent", "pilot:partOf loops"),
    # sectors
    "sector-not-in-scheme.ttl": Expect((z("sector/test-loose"),), SKOS + "inScheme", "HasValueConstraintComponent", "skos:inScheme id:scheme/sectors"),
    "sector-missing-preflabel-en.ttl": Expect((z("sector/test-half"),), SKOS + "prefLabel", "QualifiedMinCountConstraintComponent", "Missing English preferred label"),
    "sector-missing-preflabel-zh.ttl": Expect((z("sector/test-half"),), SKOS + "prefLabel", "QualifiedMinCountConstraintComponent", "Missing Chinese preferred label"),
    "sector-two-preflabels-zh.ttl": Expect((z("sector/test-field"),), SKOS + "prefLabel", "UniqueLangConstraintComponent", "at most one per language"),
    "sector-broader-not-sector.ttl": Expect((z("sector/test-direction"),), SKOS + "broader", "ClassConstraintComponent", "not a pilot:Sector"),
    # organisations and sources
    "org-parent-not-org.ttl": Expect((z("org/test-ministry"),), ORG + "subOrganizationOf", "ClassConstraintComponent", "not an org:Organization"),
    "source-url-not-http.ttl": Expect((z("source/test-ftp"),), SCHEMA + "url", "PatternConstraintComponent", "starting with http:// or https://"),
    # links to Wikidata
    "bad-wikidata-iri.ttl": Expect((z("region/test-province"),), OWL_ + "sameAs", "PatternConstraintComponent", "owl:sameAs must be a Wikidata entity IRI"),
    "bad-exactmatch-iri.ttl": Expect((z("sector/test-field"),), SKOS + "exactMatch", "NodeKindConstraintComponent|PatternConstraintComponent", "skos:exactMatch must be a Wikidata entity IRI"),
    "bad-closematch-iri.ttl": Expect((z("org/test-ministry"),), SKOS + "closeMatch", "PatternConstraintComponent", "skos:closeMatch must be a Wikidata entity IRI"),
    # the ontology's own terms (shapes/ontology-shapes.ttl)
    "ontology-term-missing-zh-label.ttl": Expect((PILOT + "TestClass",), RDFS_ + "label", "QualifiedMinCountConstraintComponent", "Ontology term has no Chinese label"),
    "ontology-term-two-en-labels.ttl": Expect((PILOT + "testProperty",), RDFS_ + "label", "UniqueLangConstraintComponent", "two rdfs:label values in the same language"),
    "ontology-term-missing-en-definition.ttl": Expect((PILOT + "testValue",), "", "QualifiedMinCountConstraintComponent", "Ontology term has no English definition"),
    "ontology-term-missing-zh-definition.ttl": Expect((PILOT + "TestKind",), "", "QualifiedMinCountConstraintComponent", "Ontology term has no Chinese definition"),
    "ontology-status-missing-zh-definition.ttl": Expect((PILOT + "TestStage",), "", "QualifiedMinCountConstraintComponent", "Ontology term has no Chinese definition"),
    "ontology-header-missing-license.ttl": Expect(("https://w3id.org/pilotkg/ontology/test-module",), DCTERMS + "license", "SPARQLConstraintComponent", "The ontology header lacks http://purl.org/dc/terms/license"),
    "source-unfindable.ttl": Expect((z("source/test-unfindable"),), "", "SPARQLConstraintComponent", "A source needs pilot:publisherName"),
}
# fmt: on


def _broken_fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURE_DIR.glob("*.ttl") if p != VALID_FIXTURE)


def test_every_fixture_has_one_expectation() -> None:
    assert sorted(EXPECTED) == _broken_fixtures()


def test_readme_lists_every_fixture() -> None:
    readme = (ROOT / "tests" / "data" / "README.md").read_text(encoding="utf-8")
    silent = [p.name for p in SILENT_DIR.glob("*.ttl")]
    names = [*_broken_fixtures(), *silent, VALID_FIXTURE.name]
    missing = [name for name in names if name not in readme]
    assert not missing, f"tests/data/README.md does not describe {missing}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture_is_rejected(name: str, pyshacl_verdicts: PyshaclVerdicts) -> None:
    expect = EXPECTED[name]
    results = pyshacl_verdicts.findings(FIXTURE_DIR / name)
    report = _show(results)
    assert results, f"{name} passed every shape"
    if expect.severity == "Violation":
        assert any(r.severity == "Violation" for r in results), report
    else:
        assert all(r.severity == expect.severity for r in results), report
    # It fails for exactly the one reason: every result is the expected one.
    components = {str(SH) + c for c in expect.component.split("|")}
    for r in results:
        assert r.component in components, report
        assert r.path in ({f"<{p}>" for p in expect.path.split("|")} if expect.path else {""}), (
            report
        )
        assert expect.phrase in r.message, report
        assert r.severity == expect.severity, report
    focus_nodes = {"_:" if r.focus_node.startswith("_:") else r.focus_node[1:-1] for r in results}
    assert focus_nodes == set(expect.focus), report


@pytest.mark.parametrize("name", sorted(p.name for p in SILENT_DIR.glob("*.ttl")))
def test_a_fact_the_sources_may_not_state_is_never_required(
    name: str, pyshacl_verdicts: PyshaclVerdicts
) -> None:
    """No shape may force a guess: an entity that lacks a value its sources can be silent
    about (a date, an issuer, a region, a kind, a field …) conforms."""
    results = pyshacl_verdicts.findings(SILENT_DIR / name)
    assert not results, _show(results)


def test_minimal_valid_fixture_conforms(pyshacl_verdicts: PyshaclVerdicts) -> None:
    results = pyshacl_verdicts.findings(VALID_FIXTURE)
    assert not results, _show(results)


def test_shapes_are_valid_shacl() -> None:
    """The shapes graphs themselves conform to SHACL's own shapes (shacl-shacl)."""
    for shapes_file in SHAPE_FILES:
        conforms, _graph, text = pyshacl.validate(
            rdflib.Graph(), shacl_graph=_parse([shapes_file]), meta_shacl=True, advanced=True
        )
        assert conforms, f"{shapes_file.name}:\n{text}"
