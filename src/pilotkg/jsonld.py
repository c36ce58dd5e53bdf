"""The release's JSON-LD context, and compacted JSON-LD made with it.

Every graph this project serves as JSON-LD is, by default, in expanded form
(pyoxigraph's serialiser: full IRIs, every value an array), which any JSON-LD
processor reads without fetching anything. A client may ask for the compacted
form instead (``Accept: application/ld+json;profile="…#compacted"``): short
terms for the ontology's classes and properties, prefixes for every other
IRI, labels and comments as language maps. Compacted documents name the
context by URL, so the context is published with each release (a file of the
dumps folder, built here from the ontology) and served at a stable URL.

The context uses JSON-LD 1.0 features only and compaction runs in 1.0 mode,
so that 1.0 processors (Jena's ``jsonld10`` reader, jsonld-java) read the
documents as 1.1 ones (PyLD, Comunica) do. Compaction is PyLD's, the
reference implementation of the JSON-LD API, never a hand-made one; its
document loader answers only the context's own URL, so compacting never
fetches anything from the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .namespaces import KIND_PREFIXES, OWL, PILOT, PREFIXES, RDF, RDFS, XSD

#: The profile IRIs of the JSON-LD forms (JSON-LD 1.1, "IANA considerations").
EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
COMPACTED = "http://www.w3.org/ns/json-ld#compacted"
#: The forms a client may ask for by profile, in the order a tie between them is decided.
PROFILES = (COMPACTED, EXPANDED)

#: Terms for reused vocabulary that nearly every entity carries.
_REUSED_TERMS: dict[str, Any] = {
    "type": {"@id": "rdf:type", "@type": "@vocab"},
    "label": {"@id": "rdfs:label", "@container": "@language"},
    "comment": {"@id": "rdfs:comment", "@container": "@language"},
}


def _prefixes() -> dict[str, str]:
    """The project's prefixes but the per-kind ones (``zone:``, ``sector:`` …): several kinds
    share their name with an ontology property (``pilot:sector``), and a JSON-LD term can
    be one or the other; entity IRIs compact with ``id:`` instead (``id:zone/shenzhen``)."""
    return {name: iri for name, iri in PREFIXES.items() if name not in KIND_PREFIXES}


def _short(iri: str) -> str:
    """``iri`` written with one of the context's prefixes (the ontology's ranges are
    XSD datatypes or pilot: classes)."""
    for name, namespace in _prefixes().items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{name}:{iri[len(namespace) :]}"
    return iri


def context_terms(ontology: Iterable[ox.Triple]) -> dict[str, Any]:
    """The ``@context`` for the ontology: prefixes, the reused terms, and a term for each
    pilot: class and property (object properties coerce their values to IRIs, datatype
    properties with one XSD range to that datatype). A local name that is already a prefix
    or a reused term gets no term of its own: its IRI compacts with ``pilot:``."""
    types: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    for triple in ontology:
        subject = triple.subject
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(PILOT):
            continue
        if not isinstance(triple.object, ox.NamedNode):
            continue
        if triple.predicate.value == RDF + "type":
            types.setdefault(subject.value, set()).add(triple.object.value)
        elif triple.predicate.value == RDFS + "range":
            ranges.setdefault(subject.value, set()).add(triple.object.value)
    context: dict[str, Any] = {**_prefixes(), **_REUSED_TERMS}
    for iri in sorted(types):
        name = iri[len(PILOT) :]
        if not name or name in context:
            continue
        kinds = types[iri]
        datatypes = sorted(r for r in ranges.get(iri, ()) if r.startswith(XSD))
        if OWL + "ObjectProperty" in kinds:
            context[name] = {"@id": f"pilot:{name}", "@type": "@id"}
        elif OWL + "DatatypeProperty" in kinds and len(datatypes) == 1:
            context[name] = {"@id": f"pilot:{name}", "@type": _short(datatypes[0])}
        else:
            context[name] = f"pilot:{name}"
    return context


def context_document(ontology: Iterable[ox.Triple], *, version: str, iri: str) -> bytes:
    """The release's context file: the context, and, as JSON-LD data beside it, the file's
    own ``iri`` and the release's version (a processor that loads the context reads only
    its ``@context``). Byte-identical for the same ontology, version and IRI."""
    document = {
        "@context": context_terms(ontology),
        "@id": iri,
        "owl:versionInfo": version,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Context:
    """A published context: the URL documents name it by, and the file's bytes."""

    url: str
    document: bytes

    def loader(self, url: str, _options: object = None) -> dict[str, Any]:
        """PyLD's document loader: the context for its own URL, an error for any other."""
        if url != self.url:
            raise ValueError(f"{url}: only the release's own context is loaded")
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(self.document)}


def compact(triples: Iterable[ox.Triple], context: Context) -> bytes:
    """``triples`` as a compacted JSON-LD document whose ``@context`` is ``context.url``.

    The triples are grouped by subject first, so each node is one object in ``@graph``.
    """
    from pyld import jsonld  # imported here: the expanded form, the usual one, needs none of it

    grouped = sorted(triples, key=lambda triple: str(triple.subject))
    expanded = json.loads(ox.serialize(grouped, format=ox.RdfFormat.JSON_LD) or b"[]")
    options = {"documentLoader": context.loader, "processingMode": "json-ld-1.0"}
    document = jsonld.compact(expanded, context.url, options)
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def labelled(media_type: str, profile: str) -> str:
    """``media_type`` with the ``profile`` parameter that says which form the body is in."""
    return f'{media_type}; profile="{profile}"' if profile else media_type
