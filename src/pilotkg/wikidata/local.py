"""Our side of the links: the regions, organisations and sectors in data/ and their Wikidata links.

Read from the triples data/ states (not the published entailments), because a
link is a curator's statement: only what was written can be checked or left
out of a proposal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import OWL, PILOT, RDFS, SKOS
from .labels import kind_of, qid_of, short_name

#: The link properties, strongest first, with the names reports use.
LINK_PROPERTIES: dict[str, str] = {
    OWL + "sameAs": "owl:sameAs",
    SKOS + "exactMatch": "skos:exactMatch",
    SKOS + "closeMatch": "skos:closeMatch",
}

#: The property a new link of each kind would use (design.md: sectors are concepts).
PROPOSED_PROPERTY: dict[str, str] = {
    "region": OWL + "sameAs",
    "org": OWL + "sameAs",
    "sector": SKOS + "exactMatch",
}

LABEL = RDFS + "label"
PART_OF = PILOT + "partOf"


@dataclass(frozen=True)
class Link:
    """One Wikidata link of one of our entities."""

    entity: str
    prop: str
    qid: str

    @property
    def prop_name(self) -> str:
        """``owl:sameAs``, ``skos:exactMatch`` or ``skos:closeMatch``."""
        return LINK_PROPERTIES[self.prop]


@dataclass
class LocalEntity:
    """A region, organisation or sector as data/ describes it."""

    iri: str
    kind: str
    labels: set[tuple[str, str]] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``region/suzhou-jiangsu``: how reports name the entity."""
        return short_name(self.iri)

    def label(self, language: str) -> str | None:
        """One label in ``language`` (the smallest, for a stable choice), or None."""
        found = sorted(text for text, lang in self.labels if lang == language)
        return found[0] if found else None

    def display(self) -> str:
        """``Suzhou (Jiangsu) / 苏州市``."""
        return " / ".join(x for x in (self.label("en"), self.label("zh")) if x) or self.name


def read_entities(triples: Iterable[ox.Triple], kinds: Iterable[str]) -> dict[str, LocalEntity]:
    """Every entity of ``kinds`` that has a label or a link, by IRI, in IRI order."""
    wanted = set(kinds)
    entities: dict[str, LocalEntity] = {}

    def entity(iri: str) -> LocalEntity | None:
        kind = kind_of(iri)
        if kind is None or kind not in wanted:
            return None
        return entities.setdefault(iri, LocalEntity(iri, kind))

    parents: dict[str, set[str]] = defaultdict(set)
    for triple in triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if not isinstance(subject, ox.NamedNode):
            continue
        if predicate == LABEL and isinstance(obj, ox.Literal) and obj.language:
            found = entity(subject.value)
            if found is not None:
                found.labels.add((obj.value, obj.language.lower()))
        elif predicate in LINK_PROPERTIES and isinstance(obj, ox.NamedNode):
            qid = qid_of(obj.value)
            found = entity(subject.value)
            if qid is not None and found is not None:
                found.links.append(Link(subject.value, predicate, qid))
        elif predicate == PART_OF and isinstance(obj, ox.NamedNode):
            parents[subject.value].add(obj.value)
    for iri, found in entities.items():
        found.parents = parents.get(iri, set())
        found.links.sort(key=lambda link: (list(LINK_PROPERTIES).index(link.prop), link.qid))
    return dict(sorted(entities.items()))


def parent_items(entity: LocalEntity, entities: dict[str, LocalEntity]) -> set[str]:
    """The QIDs our data links the entity's parents to (owl:sameAs only: a checked identity)."""
    found: set[str] = set()
    for parent in entity.parents:
        known = entities.get(parent)
        if known is not None:
            found.update(link.qid for link in known.links if link.prop == OWL + "sameAs")
    return found


def shared_items(entities: Iterable[LocalEntity]) -> dict[str, list[Link]]:
    """Items that more than one of our entities links to: at most one of them can be right."""
    by_item: dict[str, list[Link]] = defaultdict(list)
    for entity in entities:
        for qid in {link.qid for link in entity.links}:
            by_item[qid].extend(link for link in entity.links if link.qid == qid)
    return {
        qid: links for qid, links in sorted(by_item.items()) if len({x.entity for x in links}) > 1
    }
