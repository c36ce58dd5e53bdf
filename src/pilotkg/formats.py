"""One table of formats: it drives ``--format``, dump file names and HTTP content negotiation.

Following rdflib's plugin registry, each format is named once with its short
names, file extension and media types, so that the CLI, the publisher and the
web server cannot disagree about what ``ttl`` or ``application/ld+json`` means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from .namespaces import PREFIXES

Kind = Literal["graph", "results"]


@dataclass(frozen=True)
class Format:
    """A serialisation format: RDF graphs (``graph``) or SPARQL results (``results``)."""

    name: str
    kind: Kind
    extension: str
    media_types: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    rdf_format: ox.RdfFormat | None = None
    results_format: ox.QueryResultsFormat | None = None

    @property
    def media_type(self) -> str:
        """The preferred media type, sent in ``Content-Type``."""
        return self.media_types[0]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.extension, *self.aliases)


FORMATS: tuple[Format, ...] = (
    Format(
        "turtle",
        "graph",
        "ttl",
        ("text/turtle", "application/x-turtle"),
        rdf_format=ox.RdfFormat.TURTLE,
    ),
    Format(
        "ntriples",
        "graph",
        "nt",
        ("application/n-triples", "text/plain"),
        aliases=("n-triples",),
        rdf_format=ox.RdfFormat.N_TRIPLES,
    ),
    Format(
        "jsonld",
        "graph",
        "jsonld",
        ("application/ld+json",),
        aliases=("json-ld",),
        rdf_format=ox.RdfFormat.JSON_LD,
    ),
    Format(
        "rdfxml",
        "graph",
        "rdf",
        ("application/rdf+xml",),
        aliases=("xml-rdf", "rdf/xml", "owl"),
        rdf_format=ox.RdfFormat.RDF_XML,
    ),
    Format(
        "json",
        "results",
        "srj",
        ("application/sparql-results+json", "application/json"),
        results_format=ox.QueryResultsFormat.JSON,
    ),
    Format(
        "xml",
        "results",
        "srx",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        results_format=ox.QueryResultsFormat.XML,
    ),
    Format(
        "csv",
        "results",
        "csv",
        ("text/csv",),
        results_format=ox.QueryResultsFormat.CSV,
    ),
    Format(
        "tsv",
        "results",
        "tsv",
        ("text/tab-separated-values",),
        results_format=ox.QueryResultsFormat.TSV,
    ),
)

GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind == "graph")
RESULTS_FORMATS = tuple(f for f in FORMATS if f.kind == "results")


def by_name(name: str, kind: Kind | None = None) -> Format | None:
    """The format called ``name`` (short name, extension or alias), or None."""
    wanted = name.lower().lstrip(".")
    for fmt in FORMATS:
        if (kind is None or fmt.kind == kind) and wanted in fmt.names:
            return fmt
    return None


def by_media_type(media_type: str, kind: Kind | None = None) -> Format | None:
    """The format served as ``media_type`` (parameters such as charset ignored), or None."""
    wanted = media_type.split(";")[0].strip().lower()
    for fmt in FORMATS:
        if (kind is None or fmt.kind == kind) and wanted in fmt.media_types:
            return fmt
    return None


def prefixes_for(fmt: Format) -> dict[str, str] | None:
    """The project's prefixes for the formats that abbreviate with them (Turtle, RDF/XML)."""
    return PREFIXES if fmt.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """Triples in the graph format ``fmt``, in the order given; Turtle gets the project's prefixes."""
    assert fmt.rdf_format is not None
    return ox.serialize(triples, format=fmt.rdf_format, prefixes=prefixes_for(fmt)) or b""
