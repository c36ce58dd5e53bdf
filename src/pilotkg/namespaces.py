"""The IRIs pilotkg mints and the vocabularies it reuses, in one place."""

from __future__ import annotations

BASE = "https://w3id.org/pilotkg/"
ID = BASE + "id/"
ONTOLOGY_IRI = BASE + "ontology"
PILOT = ONTOLOGY_IRI + "#"
DATASET_IRI = BASE + "dataset"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "http://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VANN = "http://purl.org/vocab/vann/"
SPDX = "http://spdx.org/rdf/terms#"
QUDT = "http://qudt.org/schema/qudt/"
QUDT_UNIT = "http://qudt.org/vocab/unit/"
QUDT_CURRENCY = "http://qudt.org/vocab/currency/"

#: Prefixes used when serialising Turtle and when parsing canned queries.
PREFIXES: dict[str, str] = {
    "id": ID,
    "pilot": PILOT,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "schema": SCHEMA,
    "foaf": FOAF,
    "void": VOID,
    "dcat": DCAT,
    "vann": VANN,
    "wd": WIKIDATA_ENTITY,
    "qudt": QUDT,
    "unit": QUDT_UNIT,
    "cur": QUDT_CURRENCY,
}

#: The kinds of thing under ``id/``, each with the class its members must have.
#: Turtle cannot write ``id:zone/shenzhen`` (a ``/`` may not appear in a prefixed
#: name), so each kind has its own prefix: ``zone:shenzhen``; organisations take
#: ``organisation:`` because ``org:`` is the W3C Organization Ontology.
KIND_CLASSES: dict[str, str] = {
    "zone": PILOT + "PilotZone",
    "base": PILOT + "PilotTestBase",
    "policy": PILOT + "Policy",
    "region": PILOT + "Region",
    "sector": PILOT + "Sector",
    "org": ORG + "Organization",
    "source": PILOT + "Source",
    "event": PILOT + "Event",
    "target": PILOT + "Target",
    "measure": PILOT + "PolicyMeasure",
    "programme": PILOT + "Programme",
    "person": PILOT + "Person",
    "figure": PILOT + "Figure",
    "scheme": SKOS + "ConceptScheme",
}

#: Date datatypes the data may use: the source's own precision is kept.
DATE_DATATYPES = frozenset({XSD + "date", XSD + "gYearMonth", XSD + "gYear"})

KIND_PREFIXES: dict[str, str] = {
    ("organisation" if kind == "org" else kind): f"{ID}{kind}/" for kind in KIND_CLASSES
}
PREFIXES.update(KIND_PREFIXES)
