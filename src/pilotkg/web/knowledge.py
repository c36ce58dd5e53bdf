"""The server's own read-only lookups on the in-process store: labels and descriptions.

These are small, bounded pattern lookups (a few index scans each), so they run
on the event loop against the in-process store rather than through the worker
pool. Labels are read once at start-up: the release never changes while served.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..entailment import SUB_PROPERTY_OF, super_properties
from ..graphs import Term
from ..namespaces import (
    BASE,
    DCTERMS,
    ID,
    KIND_CLASSES,
    ONTOLOGY_IRI,
    OWL,
    PILOT,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    WIKIDATA_ENTITY,
)
from ..queries import is_iri, mentioned
from ..statements import STATEMENT_BASE
from ..tables import compact
from .collation import sort_key
from .readable import readable

LANGUAGES = ("en", "zh")
LABEL_PREDICATES = (RDFS + "label", SKOS + "prefLabel", DCTERMS + "title")
DESCRIPTION_PREDICATES = (RDFS + "comment", SKOS + "definition", DCTERMS + "description")
SOURCE_PREDICATE = PROV + "wasDerivedFrom"
LINK_PREDICATES = (OWL + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch")
_TYPE = ox.NamedNode(RDF + "type")
_STATEMENT_SUBJECT = ox.NamedNode(RDF + "subject")
#: Shown in a page's header and its own sections rather than among its facts.
_SHOWN_APART = frozenset(
    {RDF + "type", *LABEL_PREDICATES, *DESCRIPTION_PREDICATES, SOURCE_PREDICATE, *LINK_PREDICATES}
)
_FIRST_PREDICATES = (RDF + "type", *LABEL_PREDICATES, *DESCRIPTION_PREDICATES)

Subject = ox.NamedNode | ox.BlankNode
#: (property, value) -> the (source, evidence) pairs of the statements that state it.
Stated = dict[tuple[Term, Term], list[tuple[Term, ox.Literal | None]]]


def local_path(iri: str) -> str | None:
    """The path this server serves ``iri`` at, or None for IRIs outside pilotkg's namespace.

    >>> local_path("https://w3id.org/pilotkg/id/region/shenzhen")
    '/id/region/shenzhen'
    >>> local_path("https://w3id.org/pilotkg/ontology#PilotZone")
    '/ontology/PilotZone'
    """
    if iri.startswith(ID):
        return "/id/" + iri[len(ID) :]
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    if iri.startswith(PILOT) and len(iri) > len(PILOT):
        return "/ontology/" + iri[len(PILOT) :]
    if iri == BASE + "dataset":
        return "/.well-known/void"
    return None


def iri_for_path(path: str) -> str | None:
    """The canonical IRI of a served path (the inverse of ``local_path``), or None.

    None also when the path would make no valid IRI (``/id/zone/a%20b``, ``<x>``, a NUL):
    nothing in the release can have such an IRI, and the store refuses to look one up, so
    the caller answers 404 instead of failing.
    """
    if path.startswith("/id/"):
        iri = ID + path[len("/id/") :]
    elif path == "/ontology":
        iri = ONTOLOGY_IRI
    elif path.startswith("/ontology/"):
        iri = PILOT + path[len("/ontology/") :]
    else:
        return None
    return iri if is_iri(iri) else None


_SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


def safe_url(value: str | None) -> str | None:
    """``value`` if it is safe to put in a link (no ``javascript:`` and the like), else None."""
    return value if value and value.lower().startswith(_SAFE_SCHEMES) else None


def other_language(lang: str) -> str:
    return "zh" if lang == "en" else "en"


@dataclass(frozen=True)
class TermView:
    """An RDF term as a page shows it: text, where it links, and its language or datatype."""

    text: str
    kind: str  # "iri", "literal" or "blank"
    value: str  # the IRI, or the literal's lexical form
    path: str | None = None  # a page on this server
    url: str | None = None  # an external page
    lang: str = ""
    datatype: str = ""
    note: str = ""  # the IRI in compact form, shown beside a label
    shown: str = ""  # a literal as the reader's view shows it (readable.readable), else the text


@dataclass(frozen=True)
class Citation:
    """One source's support for one value: its footnote number and the words it says it in."""

    number: int
    evidence: str = ""
    lang: str = ""


@dataclass
class PropertyValues:
    """One predicate of a description with its values, and each value's citations."""

    predicate: TermView
    values: list[TermView] = field(default_factory=list)
    citations: list[tuple[Citation, ...]] = field(default_factory=list)  # one per value


@dataclass
class Description:
    """Everything a page shows about one resource."""

    iri: str
    labels: dict[str, str]
    types: list[TermView]
    descriptions: list[TermView]
    #: What a reader is shown: the specific properties (not the super-properties the build
    #: entails from them, nor type, labels, descriptions, sources and links, shown apart),
    #: each value with its citations.
    facts: list[PropertyValues]
    #: Every statement with the entity as subject, as RDF has it.
    outgoing: list[PropertyValues]
    incoming: list[PropertyValues]
    #: The numbered sources (footnote n is ``sources[n - 1]``), each with its address.
    sources: list[tuple[TermView, str | None]]
    wikidata: list[TermView]
    #: Per footnote number, the source's words: (evidence, its language, the properties it backs).
    quotes: dict[int, list[tuple[str, str, list[str]]]] = field(default_factory=dict)


class Knowledge:
    """Labels and lookups over one read-only store."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        #: Each pilot property's super-properties, as the build entails them.
        self._super_properties = super_properties(
            q.triple for q in store.quads_for_pattern(None, SUB_PROPERTY_OF, None)
        )
        self.labels: dict[str, dict[str, str]] = {}
        for predicate in LABEL_PREDICATES:  # first predicate wins, per language
            for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
                if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                    per_language = self.labels.setdefault(quad.subject.value, {})
                    per_language.setdefault(quad.object.language or "", quad.object.value)

    # --- small lookups ------------------------------------------------------------------

    def objects(
        self, subject: str, predicate: str
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        return [
            q.object  # type: ignore[misc]
            for q in self.store.quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(predicate), None
            )
        ]

    def subjects(self, predicate: str, obj: str) -> list[str]:
        """The IRIs that have ``predicate`` ``obj``."""
        return [
            q.subject.value
            for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj))
            if isinstance(q.subject, ox.NamedNode)
        ]

    def regions_above(self, region: str) -> list[str]:
        """``region`` and every region it is ``pilot:partOf`` at any depth, nearest first
        (breadth first: a county, its city, its province, the country). The one walk up the
        region tree that the map, the charts, the reader and reconciliation share."""
        found = [region]
        for here in found:  # a list may grow while it is walked: breadth first
            for parent in self.objects(here, PILOT + "partOf"):
                if isinstance(parent, ox.NamedNode) and parent.value not in found:
                    found.append(parent.value)
        return found

    def regions_within(self, region: str) -> set[str]:
        """``region`` and every region ``pilot:partOf`` it at any depth: the walk down."""
        found = {region}
        todo = [region]
        while todo:
            for inner in self.subjects(PILOT + "partOf", todo.pop()):
                if inner not in found:
                    found.add(inner)
                    todo.append(inner)
        return found

    def types_of(self, iri: str) -> list[str]:
        return [o.value for o in self.objects(iri, RDF + "type") if isinstance(o, ox.NamedNode)]

    def has_type(self, iri: str, cls: str) -> bool:
        quads = self.store.quads_for_pattern(ox.NamedNode(iri), _TYPE, ox.NamedNode(cls))
        return any(True for _ in quads)

    def super_properties_of(self, predicate: str) -> frozenset[str]:
        """The properties the build entails from ``predicate`` (not itself)."""
        return frozenset(p.value for p in self._super_properties.get(ox.NamedNode(predicate), ()))

    def specific_values(self, iri: str) -> list[tuple[ox.NamedNode, Term]]:
        """``iri``'s properties and values less the super-property values the build entailed
        and less what a page shows apart (type, labels, descriptions, sources, links)."""
        node = ox.NamedNode(iri)
        pairs = [(q.predicate, q.object) for q in self.store.quads_for_pattern(node, None, None)]
        return self._specific(pairs, _SHOWN_APART)

    def subjects_of_type(self, cls: str) -> list[str]:
        return sorted(
            {
                q.subject.value
                for q in self.store.quads_for_pattern(None, _TYPE, ox.NamedNode(cls))
                if isinstance(q.subject, ox.NamedNode)
            }
        )

    def has(self, iri: str) -> bool:
        """True when the store says anything about ``iri`` (as subject or object); False for
        text that is no IRI at all, which the store could not hold."""
        return is_iri(iri) and mentioned(self.store, iri)

    def label(self, iri: str, lang: str = "en") -> str:
        """The label in ``lang``, else in the other language, else the IRI's last segment."""
        per_language = self.labels.get(iri)
        if per_language:
            return (
                per_language.get(lang)
                or per_language.get(other_language(lang))
                or per_language.get("")
                or next(iter(per_language.values()))
            )
        return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri

    def view(
        self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, lang: str
    ) -> TermView:
        """How a page shows ``term``: a labelled link for IRIs, text for literals."""
        if isinstance(term, ox.NamedNode):
            path = local_path(term.value)
            known = term.value in self.labels
            return TermView(
                text=self.label(term.value, lang) if known else compact(term),
                kind="iri",
                value=term.value,
                path=path,
                url=None if path else safe_url(term.value),
                note=compact(term) if known else "",
            )
        if isinstance(term, ox.Literal):
            datatype = "" if term.language else compact(term.datatype)
            return TermView(
                text=term.value,
                kind="literal",
                value=term.value,
                lang=term.language or "",
                datatype="" if datatype == "xsd:string" else datatype,
                shown=readable(term, lang),
            )
        return TermView(text=str(term), kind="blank", value=str(term))

    def view_iri(self, iri: str, lang: str) -> TermView:
        return self.view(ox.NamedNode(iri), lang)

    def definition(self, iri: str, lang: str) -> str:
        """The description of ``iri`` in ``lang``, else in the other language, else ''."""
        texts: dict[str, str] = {}
        for predicate in DESCRIPTION_PREDICATES:
            for value in self.objects(iri, predicate):
                if isinstance(value, ox.Literal):
                    texts.setdefault(value.language or "", value.value)
        return texts.get(lang) or texts.get(other_language(lang)) or texts.get("", "")

    # --- descriptions -------------------------------------------------------------------

    def triples_about(self, iri: str) -> list[ox.Triple]:
        """The triples with ``iri`` as subject, then as object, then the whole of each citation
        of its statements (a half of one would name a statement with no source): what its RDF
        pages hold."""
        node = ox.NamedNode(iri)
        outgoing = [q.triple for q in self.store.quads_for_pattern(node, None, None)]
        incoming = [q.triple for q in self.store.quads_for_pattern(None, None, node)]
        citations = [
            q.triple
            for statement in {t.subject for t in incoming if _is_statement(t.subject)}
            for q in self.store.quads_for_pattern(statement, None, None)
        ]
        first = sorted(set(outgoing), key=str)
        then = sorted(set(incoming) - set(outgoing), key=str)
        return first + then + sorted(set(citations) - set(incoming), key=str)

    def ontology_triples(self) -> list[ox.Triple]:
        """Every triple about the ontology or one of its terms."""
        return sorted(
            (
                q.triple
                for q in self.store.quads_for_pattern(None, None, None)
                if isinstance(q.subject, ox.NamedNode)
                and (q.subject.value == ONTOLOGY_IRI or q.subject.value.startswith(PILOT))
            ),
            key=str,
        )

    def _grouped(
        self,
        pairs: Iterable[tuple[ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]],
        lang: str,
        cite: Callable[[ox.NamedNode, Term], tuple[Citation, ...]] | None = None,
    ) -> list[PropertyValues]:
        """The values by predicate, in page order; ``cite`` (called in that order, so that
        footnotes can be numbered as a reader meets them) gives each value's citations."""
        groups: dict[str, list[tuple[TermView, Term]]] = defaultdict(list)
        for predicate, value in pairs:
            groups[predicate.value].append((self.view(value, lang), value))

        def order(predicate: str) -> tuple[int, str]:
            if predicate in _FIRST_PREDICATES:
                return (_FIRST_PREDICATES.index(predicate), "")
            return (len(_FIRST_PREDICATES), sort_key(self.label(predicate, lang), lang)[0])

        result = []
        for p in sorted(groups, key=order):
            ordered = sorted(
                groups[p], key=lambda vc: (vc[0].lang != lang, sort_key(vc[0].text, lang))
            )
            node = ox.NamedNode(p)
            result.append(
                PropertyValues(
                    self.view(node, lang),
                    [view for view, _ in ordered],
                    [cite(node, value) if cite else () for _, value in ordered],
                )
            )
        return result

    def _specific(
        self, pairs: list[tuple[ox.NamedNode, Term]], apart: frozenset[str] = frozenset()
    ) -> list[tuple[ox.NamedNode, Term]]:
        """``pairs`` less the predicates in ``apart`` (shown elsewhere on the page) and less
        each value the build entailed for a super-property of a property that has it too:
        "sector" does not repeat the focus areas."""
        by_value: dict[Term, set[ox.NamedNode]] = defaultdict(set)
        for predicate, value in pairs:
            by_value[value].add(predicate)
        return [
            (predicate, value)
            for predicate, value in pairs
            if predicate.value not in apart
            and not any(
                predicate in self._super_properties.get(other, ()) for other in by_value[value]
            )
        ]

    def _stated(self, node: ox.NamedNode) -> Stated:
        """Each (property, value) of ``node`` with the (source, evidence) pairs that state it
        (the build gives each pair a statement node of its own, with at most one evidence)."""
        found: Stated = defaultdict(list)
        for quad in self.store.quads_for_pattern(None, _STATEMENT_SUBJECT, node):
            statement = quad.subject
            assert isinstance(statement, ox.NamedNode | ox.BlankNode)
            about = {
                q.predicate.value: q.object
                for q in self.store.quads_for_pattern(statement, None, None)
            }
            predicate, value = about.get(RDF + "predicate"), about.get(RDF + "object")
            source = about.get(SOURCE_PREDICATE)
            if predicate is None or value is None or source is None:
                continue
            evidence = about.get(PILOT + "evidence")
            found[(predicate, value)].append(
                (source, evidence if isinstance(evidence, ox.Literal) else None)
            )
        return found

    def describe(self, iri: str, lang: str) -> Description:
        """The page's view of ``iri``: its properties, each value with its citations; the
        links to it; its sources, numbered as the citations refer to them."""
        node = ox.NamedNode(iri)
        outgoing = [(q.predicate, q.object) for q in self.store.quads_for_pattern(node, None, None)]
        incoming = [
            (q.predicate, q.subject)
            for q in self.store.quads_for_pattern(None, None, node)
            if not _is_statement(q.subject)  # its citations, shown beside the values
        ]
        stated = self._stated(node)
        number: dict[Term, int] = {}  # each source's footnote number, as a reader meets it

        def cite(predicate: ox.NamedNode, value: Term) -> tuple[Citation, ...]:
            citations = (
                Citation(
                    number.setdefault(source, len(number) + 1),
                    evidence.value if evidence else "",
                    (evidence.language or "") if evidence else "",
                )
                for source, evidence in stated.get((predicate, value), ())
            )
            return tuple(sorted(citations, key=lambda c: c.number))

        facts = self._grouped(self._specific(outgoing, _SHOWN_APART), lang, cite)  # type: ignore[arg-type]
        for other in sorted(  # then the entity's other sources, by label
            (s for s in self.objects(iri, SOURCE_PREDICATE) if s not in number),
            key=lambda s: self.view(s, lang).text.casefold(),
        ):
            number[other] = len(number) + 1
        sources = []
        for source in sorted(number, key=number.__getitem__):
            urls = (
                self.objects(source.value, SCHEMA + "url")
                if isinstance(source, ox.NamedNode)
                else []
            )
            view = self.view(source, lang)
            sources.append((view, safe_url(urls[0].value) if urls else None))
        wikidata = [
            self.view(o, lang)
            for p in LINK_PREDICATES
            for o in self.objects(iri, p)
            if isinstance(o, ox.NamedNode) and o.value.startswith(WIKIDATA_ENTITY)
        ]
        return Description(
            iri=iri,
            labels=self.labels.get(iri, {}),
            types=[self.view(o, lang) for o in self.objects(iri, RDF + "type")],
            descriptions=[
                self.view(o, lang)
                for p in DESCRIPTION_PREDICATES
                for o in self.objects(iri, p)
                if isinstance(o, ox.Literal) and o.language in (lang, "")
            ],
            facts=facts,
            outgoing=self._grouped(outgoing, lang),  # type: ignore[arg-type]
            incoming=self._grouped(self._specific(incoming), lang),  # type: ignore[arg-type]
            sources=sources,
            wikidata=wikidata,
            quotes=_quotes(facts),
        )

    # --- classes and members ---------------------------------------------------------------

    def class_counts(self) -> list[tuple[str, str, int]]:
        """``(kind, class IRI, number of members)`` for each kind of thing that has members."""
        counts = [
            (kind, cls, len(self.subjects_of_type(cls))) for kind, cls in KIND_CLASSES.items()
        ]
        return [c for c in counts if c[2]]

    def members(self, kind: str, lang: str) -> list[TermView]:
        """The things of one kind (``zone``, ``region`` …), sorted by label."""
        cls = KIND_CLASSES.get(kind)
        if cls is None:
            return []
        views = [self.view(ox.NamedNode(iri), lang) for iri in self.subjects_of_type(cls)]
        return sorted(views, key=lambda v: sort_key(v.text, lang))

    def kind_label(self, iri: str, lang: str) -> str:
        types = self.types_of(iri)
        preferred = [t for t in types if t in KIND_CLASSES.values()] or types
        return self.label(preferred[0], lang) if preferred else ""


def _quotes(groups: list[PropertyValues]) -> dict[int, list[tuple[str, str, list[str]]]]:
    """Each footnote's distinct evidence quotes, each with the properties it backs, in page order."""
    found: dict[int, dict[tuple[str, str], list[str]]] = defaultdict(dict)
    for group in groups:
        for citations in group.citations:
            for citation in citations:
                if citation.evidence:
                    backs = found[citation.number].setdefault(
                        (citation.evidence, citation.lang), []
                    )
                    if group.predicate.text not in backs:
                        backs.append(group.predicate.text)
    return {
        number: [(evidence, lang, backs) for (evidence, lang), backs in quotes.items()]
        for number, quotes in found.items()
    }


def _is_statement(term: Term) -> bool:
    """Whether ``term`` is one of the build's citation nodes (``statements.STATEMENT_BASE``)."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(STATEMENT_BASE)
