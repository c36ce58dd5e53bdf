"""The VoID + DCAT description of a release: counts, dumps, endpoint, Wikidata linksets.

Everything is named with IRIs under the dataset IRI (no blank nodes), so the
description is as deterministic and linkable as the data it describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    ID,
    OWL,
    PILOT,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VOID,
    WIKIDATA_ENTITY,
    XSD,
)

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
WIKIDATA_DATASET = "http://www.wikidata.org/"
LINK_PREDICATES = (OWL + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch")
EXAMPLE_RESOURCES = (
    ID + "zone/shanghai-pudong",
    ID + "base/manufacturing-automobile",
    ID + "policy/ai-plus-opinions",
    ID + "region/shenzhen",
)


@dataclass(frozen=True)
class Dump:
    """A published file: its name, media type, size and SHA-256."""

    filename: str
    media_type: str
    size: int
    sha256: str


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_iri(XSD + "integer"))


def _count_rows(store: ox.Store, query: str) -> dict[str, int]:
    """``?key ?n`` rows of a counting query, as a dict of IRI (or string) to count."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return {row["key"].value: int(row["n"].value) for row in solutions}


def class_counts(store: ox.Store) -> dict[str, int]:
    """How many ``id/`` entities each class has (asserted types only), counted by the store.

    Counting in SPARQL rather than over Python triples: the store's GROUP BY
    runs in native code and beats a Python pass over the triples, and the VoID
    description needs four such passes.
    """
    return _count_rows(
        store,
        f"""SELECT ?key (COUNT(DISTINCT ?s) AS ?n) WHERE {{
              ?s a ?key . FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && isIRI(?key))
            }} GROUP BY ?key""",
    )


def _wikidata_link_counts(store: ox.Store) -> dict[str, int]:
    """How many links to Wikidata items each of ``LINK_PREDICATES`` carries."""
    predicates = " ".join(f"<{p}>" for p in LINK_PREDICATES)
    return _count_rows(
        store,
        f"""SELECT ?key (COUNT(*) AS ?n) WHERE {{
              VALUES ?key {{ {predicates} }}
              ?s ?key ?o . FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{WIKIDATA_ENTITY}"))
            }} GROUP BY ?key""",
    )


def _described(store: ox.Store, iri: str) -> bool:
    """True when the store holds a triple about ``iri``."""
    return bool(store.query(f"ASK {{ <{iri}> ?p ?o }}"))


def describe_release(
    *, store: ox.Store, total_triples: int, version: str, dumps: list[Dump], base_url: str
) -> list[ox.Triple]:
    """VoID and DCAT triples for a release whose triples ``store`` holds and whose dumps
    are served under ``base_url``."""
    dataset = _iri(DATASET_IRI)
    out: list[ox.Triple] = []

    def add(subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(subject, _iri(predicate), obj))

    add(dataset, RDF + "type", _iri(VOID + "Dataset"))
    add(dataset, RDF + "type", _iri(DCAT + "Dataset"))
    add(
        dataset,
        DCTERMS + "title",
        ox.Literal("pilotkg: China's national AI pilot programmes", language="en"),
    )
    add(
        dataset,
        DCTERMS + "title",
        ox.Literal("pilotkg：中国国家人工智能试点项目知识图谱", language="zh"),
    )
    add(
        dataset,
        DCTERMS + "description",
        ox.Literal(
            "A linked-data knowledge graph of China's AI innovation and application pilot zones, "
            "new-generation AI innovation and development pilot zones, AI application pilot test bases, "
            "the policies behind them, their regions and sectors; every fact cites its source.",
            language="en",
        ),
    )
    add(dataset, DCTERMS + "license", _iri(LICENSE))
    add(dataset, OWL + "versionInfo", ox.Literal(version))
    add(dataset, VOID + "triples", _int(total_triples))
    add(dataset, VOID + "uriSpace", ox.Literal(ID))
    add(dataset, VOID + "sparqlEndpoint", _iri(base_url + "sparql"))
    for vocabulary in (
        PILOT,
        SKOS,
        DCTERMS,
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/ns/org#",
    ):
        add(dataset, VOID + "vocabulary", _iri(vocabulary))

    counts = class_counts(store)
    add(dataset, VOID + "entities", _int(sum(counts.values())))
    for cls, count in sorted(counts.items()):
        partition = _iri(f"{DATASET_IRI}#class-{cls.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}")
        add(dataset, VOID + "classPartition", partition)
        add(partition, VOID + "class", _iri(cls))
        add(partition, VOID + "entities", _int(count))

    for example in EXAMPLE_RESOURCES:
        if _described(store, example):
            add(dataset, VOID + "exampleResource", _iri(example))

    for dump in dumps:
        url = _iri(f"{base_url}dumps/{dump.filename}")
        distribution = _iri(f"{DATASET_IRI}#dump-{dump.filename}")
        checksum = _iri(f"{DATASET_IRI}#sha256-{dump.filename}")
        add(dataset, VOID + "dataDump", url)
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, RDF + "type", _iri(DCAT + "Distribution"))
        add(distribution, DCAT + "downloadURL", url)
        add(
            distribution,
            DCAT + "mediaType",
            _iri("https://www.iana.org/assignments/media-types/" + dump.media_type),
        )
        add(distribution, DCAT + "byteSize", _int(dump.size))
        add(distribution, DCTERMS + "license", _iri(LICENSE))
        add(distribution, SPDX + "checksum", checksum)
        add(checksum, SPDX + "algorithm", _iri(SPDX + "checksumAlgorithm_sha256"))
        add(
            checksum,
            SPDX + "checksumValue",
            ox.Literal(dump.sha256, datatype=_iri(XSD + "hexBinary")),
        )

    link_counts = _wikidata_link_counts(store)
    for predicate in LINK_PREDICATES:
        if predicate not in link_counts:
            continue
        linkset = _iri(f"{DATASET_IRI}#wikidata-{predicate.rsplit('#', 1)[-1]}")
        add(dataset, VOID + "subset", linkset)
        add(linkset, RDF + "type", _iri(VOID + "Linkset"))
        add(
            linkset,
            RDFS + "label",
            ox.Literal(f"Links to Wikidata by {predicate.rsplit('#', 1)[-1]}", language="en"),
        )
        add(linkset, VOID + "linkPredicate", _iri(predicate))
        add(linkset, VOID + "subjectsTarget", dataset)
        add(linkset, VOID + "objectsTarget", _iri(WIKIDATA_DATASET))
        add(linkset, VOID + "target", dataset)
        add(linkset, VOID + "target", _iri(WIKIDATA_DATASET))
        add(linkset, VOID + "triples", _int(link_counts[predicate]))
    return out
