"""One table of formats: it drives ``--format``, dump file names and HTTP content negotiation.

Following rdflib's plugin registry, each format is named once with its short
names, file extension, media types and W3C format IRI, so that the CLI, the
publisher and the web server (its negotiation and its service description)
cannot disagree about what ``ttl`` or ``application/ld+json`` means.

A graph format's aliases include the words SPARQL clients send in ``format=``
for a CONSTRUCT (``xml`` and ``json``, which name results formats for a
SELECT): a format's own name or extension is looked up before any alias, so
``by_name("xml")`` is still the results format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from . import jsonld
from .namespaces import PREFIXES

#: The namespace of the W3C's format IRIs (https://www.w3.org/ns/formats/).
W3C_FORMATS = "http://www.w3.org/ns/formats/"

Kind = Literal["graph", "results"]


@dataclass(frozen=True)
class Format:
    """A serialisation format: RDF graphs (``graph``) or SPARQL results (``results``).

    ``media_types`` are the types it is served as, preferred first; a client that asks
    for one of the others exactly gets that one in ``Content-Type``. ``graph_stand_in``
    names, for a format a graph cannot be written in, the graph format a CONSTRUCT or
    DESCRIBE is served in when the client asks for nothing else: rdflib's SPARQLStore
    and roqet ask for SPARQL results whatever the query form.
    """

    name: str
    kind: Kind
    extension: str
    media_types: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    rdf_format: ox.RdfFormat | None = None
    results_format: ox.QueryResultsFormat | None = None
    iri: str = ""
    graph_stand_in: str = ""

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
        iri=W3C_FORMATS + "Turtle",
    ),
    Format(
        "ntriples",
        "graph",
        "nt",
        ("application/n-triples", "text/plain"),
        aliases=("n-triples",),
        rdf_format=ox.RdfFormat.N_TRIPLES,
        iri=W3C_FORMATS + "N-Triples",
    ),
    Format(
        "jsonld",
        "graph",
        "jsonld",
        ("application/ld+json",),
        aliases=("json-ld", "json"),
        rdf_format=ox.RdfFormat.JSON_LD,
        iri=W3C_FORMATS + "JSON-LD",
    ),
    Format(
        "rdfxml",
        "graph",
        "rdf",
        ("application/rdf+xml",),
        aliases=("rdf+xml", "xml-rdf", "rdf/xml", "owl", "xml"),
        rdf_format=ox.RdfFormat.RDF_XML,
        iri=W3C_FORMATS + "RDF_XML",
    ),
    Format(
        "json",
        "results",
        "srj",
        ("application/sparql-results+json", "application/json"),
        results_format=ox.QueryResultsFormat.JSON,
        iri=W3C_FORMATS + "SPARQL_Results_JSON",
        graph_stand_in="jsonld",
    ),
    Format(
        "xml",
        "results",
        "srx",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        results_format=ox.QueryResultsFormat.XML,
        iri=W3C_FORMATS + "SPARQL_Results_XML",
        graph_stand_in="turtle",
    ),
    Format(
        "csv",
        "results",
        "csv",
        ("text/csv",),
        results_format=ox.QueryResultsFormat.CSV,
        iri=W3C_FORMATS + "SPARQL_Results_CSV",
    ),
    Format(
        "tsv",
        "results",
        "tsv",
        ("text/tab-separated-values",),
        results_format=ox.QueryResultsFormat.TSV,
        iri=W3C_FORMATS + "SPARQL_Results_TSV",
    ),
)

GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind == "graph")
RESULTS_FORMATS = tuple(f for f in FORMATS if f.kind == "results")

#: N3, which no format here writes; N3 extends Turtle, so a reader of N3 reads Turtle.
N3 = Format(
    "n3",
    "graph",
    "n3",
    ("text/n3", "text/rdf+n3", "application/n3"),
    graph_stand_in="turtle",
)


#: TriG, for answers that keep part of their triples in a graph of their own (the metadata of a
#: Triple Pattern Fragment, ``web.fragments``); no dump or query is written in it, so it is kept
#: out of ``FORMATS``.
TRIG = Format(
    "trig",
    "graph",
    "trig",
    ("application/trig",),
    rdf_format=ox.RdfFormat.TRIG,
    iri=W3C_FORMATS + "TriG",
)


def by_name(name: str, kind: Kind | None = None) -> Format | None:
    """The format called ``name`` (short name, extension or alias), or None; a format's own
    name or extension wins over another's alias.

    >>> by_name("xml").name, by_name("xml", "graph").name, by_name(".ttl").name
    ('xml', 'rdfxml', 'turtle')
    """
    wanted = name.lower().lstrip(".")
    candidates = [f for f in FORMATS if kind is None or f.kind == kind]
    for fmt in candidates:
        if wanted in (fmt.name, fmt.extension):
            return fmt
    return next((f for f in candidates if wanted in f.aliases), None)


def by_media_type(media_type: str, kind: Kind | None = None) -> Format | None:
    """The format served as ``media_type`` (parameters such as charset ignored), or None."""
    wanted = media_type.split(";")[0].strip().lower()
    for fmt in FORMATS:
        if (kind is None or fmt.kind == kind) and wanted in fmt.media_types:
            return fmt
    return None


#: ``(asked, served)``: the graph format served instead of each format a graph cannot be written in.
GRAPH_STAND_INS: tuple[tuple[Format, Format], ...] = tuple(
    (fmt, served)
    for fmt in (*RESULTS_FORMATS, N3)
    if fmt.graph_stand_in and (served := by_name(fmt.graph_stand_in, "graph")) is not None
)


def prefixes_for(fmt: Format) -> dict[str, str] | None:
    """The project's prefixes for the formats that abbreviate with them (Turtle, TriG, RDF/XML)."""
    abbreviating = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
    return PREFIXES if fmt.rdf_format in abbreviating else None


def serialize(
    triples: list[ox.Triple], fmt: Format, *, context: jsonld.Context | None = None
) -> bytes:
    """Triples in the graph format ``fmt``, in the order given; Turtle gets the project's
    prefixes. JSON-LD is in expanded form, or compacted with ``context`` when one is given."""
    assert fmt.rdf_format is not None
    if context is not None and fmt.rdf_format == ox.RdfFormat.JSON_LD:
        return jsonld.compact(triples, context)
    return ox.serialize(triples, format=fmt.rdf_format, prefixes=prefixes_for(fmt)) or b""


def serialize_dataset(quads: list[ox.Quad], fmt: Format) -> bytes:
    """Quads, in the order given, in ``fmt``, which must hold graphs (TriG, or JSON-LD in
    expanded form); TriG gets the project's prefixes."""
    assert fmt.rdf_format is not None and fmt.rdf_format.supports_datasets
    return ox.serialize(quads, format=fmt.rdf_format, prefixes=prefixes_for(fmt)) or b""


#: The one variable of an ASK answer in CSV and TSV, as Apache Jena writes and reads it.
ASK_VARIABLE = "_askResult"


def serialize_boolean(answer: ox.QueryBoolean, fmt: Format) -> bytes:
    """An ASK answer in the results format ``fmt``.

    The W3C note on CSV and TSV results defines them for SELECT only. Jena writes
    an ASK answer as a one-column table, ``_askResult`` (``?_askResult`` in TSV)
    over one row ``true`` or ``false``, and reads that back as a boolean; rdflib and
    Oxigraph read it as the one-row table it is, so no reader loses the answer. A
    bare ``true``, pyoxigraph's own form, is rejected by Jena's and rdflib's TSV
    readers and read by rdflib's CSV reader as an empty table.
    """
    word = "true" if answer else "false"
    if fmt.results_format == ox.QueryResultsFormat.CSV:
        return f"{ASK_VARIABLE}\r\n{word}\r\n".encode("ascii")
    if fmt.results_format == ox.QueryResultsFormat.TSV:
        return f"?{ASK_VARIABLE}\n{word}\n".encode("ascii")
    assert fmt.results_format is not None
    return answer.serialize(format=fmt.results_format) or b""
