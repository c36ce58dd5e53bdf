"""What the reconciliation service (``reconcile``) calls things: its entities, types and properties.

An entity's identifier is its IRI less ``https://w3id.org/pilotkg/id/`` (``zone/shenzhen``), so
the manifest's identifier space is that namespace and ``{space}{id}`` is the entity's IRI, as the
Reconciliation API's identifier spaces are meant. A type is one of the graph's kinds, named as
the site names them (``zone``, ``base``, ``policy``, ``region``, ``organisation`` …).

A property is a predicate the graph uses, named by its local name when it is the ontology's
(``programme``, ``batch``, ``approvalDate``) and by its prefixed name otherwise
(``org:subOrganizationOf``), or one of the few a spreadsheet asks for that the graph states
only in steps: ``region`` (where a thing is, at any level: a zone in Suzhou is in Jiangsu and
in China too), ``province`` (its host province), ``wikidata`` (the Wikidata item it is, by
``owl:sameAs`` or ``skos:exactMatch``; a ``skos:closeMatch`` is not the same thing) and
``label_en``/``label_zh`` (its name in each language).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..graphs import Term
from ..namespaces import ID, KIND_CLASSES, OWL, PILOT, PREFIXES, RDFS, SKOS, WIKIDATA_ENTITY
from ..queries import expand
from ..tables import compact
from .i18n import translator
from .kinds import kind_noun
from .knowledge import Knowledge
from .pictures import provinces_above
from .reader import infobox_properties
from .search import KIND_ORDER

#: Where a thing is, read from the first of these it has.
PLACE_PREDICATES = (PILOT + "locatedIn", PILOT + "partOf", PILOT + "concernsRegion")
WIKIDATA_PREDICATES = (OWL + "sameAs", SKOS + "exactMatch")
#: The properties the graph states in steps, for spreadsheets (``derived_name``).
DERIVED = ("region", "province", "wikidata", "label_en", "label_zh")
#: Where a column of Wikidata items is reconciled further (the one OpenRefine ships with).
WIKIDATA_SERVICE = "https://wikidata.reconci.link/{lang}/api"
#: Predicates no column needs: what a thing is, what it is called and where that was read.
_NOT_PROPERTIES = frozenset(
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        RDFS + "label",
        RDFS + "comment",
        "http://www.w3.org/ns/prov#wasDerivedFrom",
        *WIKIDATA_PREDICATES,
    }
)


# --- entities and types ------------------------------------------------------------------


def type_id(kind: str) -> str:
    """The type id of a kind (the ``id/{kind}/`` segment): the kind, organisations spelt out."""
    return "organisation" if kind == "org" else kind


def kind_of_type(value: str) -> str | None:
    """The kind a type names: its id, the ``id/`` segment, or its class IRI; None if none."""
    if value == "organisation":
        return "org"
    if value in KIND_CLASSES:
        return value
    return next((kind for kind, cls in KIND_CLASSES.items() if cls == value), None)


def kind_of(iri: str) -> str | None:
    """The kind of an entity IRI (``id/zone/…`` is a zone); None outside the entities."""
    if not iri.startswith(ID):
        return None
    kind, _, slug = iri[len(ID) :].partition("/")
    return kind if kind in KIND_CLASSES and slug else None


def entity_id(iri: str) -> str:
    """The service's identifier of an entity: its IRI less the identifier space."""
    return iri[len(ID) :]


def entity_iri(knowledge: Knowledge, value: str) -> str | None:
    """The IRI of the entity ``value`` identifies (``zone/shenzhen``, its prefixed name
    ``zone:shenzhen`` or its IRI), when the graph labels it; else None."""
    value = value.strip()
    iri = value if value.startswith(ID) or ":" in value else ID + value
    iri = expand(iri)
    return iri if kind_of(iri) and iri in knowledge.labels else None


def types(knowledge: Knowledge, lang: str) -> list[dict[str, str]]:
    """Every kind that has members, in the search's order, as the API writes a type."""
    present = {kind for kind, _cls, _count in knowledge.class_counts()}
    return [
        {"id": type_id(kind), "name": kind_noun(kind, 1, lang)}
        for kind in KIND_ORDER
        if kind in present
    ]


def entity_type(kind: str, lang: str) -> dict[str, str]:
    return {"id": type_id(kind), "name": kind_noun(kind, 1, lang)}


def summary(knowledge: Knowledge, iri: str, lang: str) -> str:
    """One line that tells namesakes apart: the kind, the programme, where it is, the document
    number ("AI pilot zone · National AI … Pilot Zones (MIIT) · Shenzhen")."""
    kind = kind_of(iri)
    parts = [kind_noun(kind, 1, lang)] if kind else []
    for predicate in (PILOT + "programme", *PLACE_PREDICATES[:2]):
        parts += [
            knowledge.label(v.value, lang)
            for v in knowledge.objects(iri, predicate)
            if isinstance(v, ox.NamedNode)
        ]
    parts += [v.value for v in knowledge.objects(iri, PILOT + "documentNumber")]
    return " · ".join(parts)


# --- properties --------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """A property a query may compare or an extension may fetch: a derived one (``DERIVED``),
    or the graph's ``predicate``."""

    id: str
    predicate: str = ""

    def name(self, knowledge: Knowledge, lang: str) -> str:
        return (
            derived_name(self.id, lang)
            if not self.predicate
            else knowledge.label(self.predicate, lang)
        )

    def as_json(self, knowledge: Knowledge, lang: str) -> dict[str, str]:
        found = {"id": self.id, "name": self.name(knowledge, lang)}
        description = knowledge.definition(self.predicate, lang) if self.predicate else ""
        return {**found, "description": description} if description else found


def derived_name(pid: str, lang: str) -> str:
    _ = translator(lang)
    names = {
        "region": _("region (where it is, at any level)"),
        "province": _("host province"),
        "wikidata": _("Wikidata item"),
        "label_en": _("name in English"),
        "label_zh": _("name in Chinese"),
    }
    return names[pid]


def property_id(predicate: str) -> str:
    """``approvalDate`` for the ontology's own properties, the prefixed name for the rest."""
    return (
        predicate[len(PILOT) :] if predicate.startswith(PILOT) else compact(ox.NamedNode(predicate))
    )


def find_property(knowledge: Knowledge, pid: str) -> Property | None:
    """The property ``pid`` names (a derived one, an ontology local name, a prefixed name or an
    IRI), when the graph states it of something; else None."""
    if pid in DERIVED:
        return Property(pid)
    predicate = expand(pid) if ":" in pid else PILOT + pid
    try:
        node = ox.NamedNode(predicate)
    except ValueError:
        return None
    used = any(True for _ in knowledge.store.quads_for_pattern(None, node, None))
    return Property(property_id(predicate), predicate) if used else None


def proposed(knowledge: Knowledge, kind: str) -> list[Property]:
    """The properties worth a column for things of ``kind``, as their pages order them: the
    infobox's first, then the derived ones, then the rest by id; each only if some member has
    a value for it."""
    members = knowledge.subjects_of_type(KIND_CLASSES[kind])
    predicates = {
        p.value
        for iri in members
        for p, _value in knowledge.specific_values(iri)
        if p.value not in _NOT_PROPERTIES
    }
    first = [p for p in infobox_properties().get(KIND_CLASSES[kind], ()) if p in predicates]
    derived = [
        Property(pid)
        for pid in DERIVED
        if any(values(knowledge, iri, Property(pid)) for iri in members)
    ]
    rest = sorted(predicates - set(first), key=property_id)
    return [
        *(Property(property_id(p), p) for p in first),
        *derived,
        *(Property(property_id(p), p) for p in rest),
    ]


def values(knowledge: Knowledge, iri: str, prop: Property) -> list[Term]:
    """The values of ``prop`` for the entity ``iri``, as a column shows them."""
    if prop.predicate:
        return list(dict.fromkeys(knowledge.objects(iri, prop.predicate)))
    if prop.id == "region":
        return _places(knowledge, iri)
    if prop.id == "province":
        return [ox.NamedNode(p) for p in _provinces(knowledge, iri)]
    if prop.id == "wikidata":
        return [
            v
            for p in WIKIDATA_PREDICATES
            for v in knowledge.objects(iri, p)
            if isinstance(v, ox.NamedNode) and v.value.startswith(WIKIDATA_ENTITY)
        ]
    lang = prop.id.removeprefix("label_")
    return [
        v
        for v in knowledge.objects(iri, RDFS + "label")
        if isinstance(v, ox.Literal) and v.language == lang
    ]


def compared(knowledge: Knowledge, iri: str, prop: Property) -> list[Term]:
    """The values a query's value of ``prop`` is compared with: ``values``, and for
    ``region`` also every region above those (a zone in Suzhou is in Jiangsu)."""
    found = values(knowledge, iri, prop)
    if prop.id != "region":
        return found
    above = [
        ox.NamedNode(region)
        for value in found
        if isinstance(value, ox.NamedNode)
        for region in knowledge.regions_above(value.value)
    ]
    return list(dict.fromkeys([*found, *above]))


def _places(knowledge: Knowledge, iri: str) -> list[Term]:
    """Where ``iri`` is: the values of the first of ``PLACE_PREDICATES`` it has."""
    for predicate in PLACE_PREDICATES:
        found = [v for v in knowledge.objects(iri, predicate) if isinstance(v, ox.NamedNode)]
        if found:
            return list(dict.fromkeys(found))
    return []


def _provinces(knowledge: Knowledge, iri: str) -> list[str]:
    """The provincial-level regions ``iri`` is (a province), is part of, or is located in."""
    starts = [iri] if kind_of(iri) == "region" else []
    starts += [p.value for p in _places(knowledge, iri) if isinstance(p, ox.NamedNode)]
    return list(dict.fromkeys(p for start in starts for p in provinces_above(knowledge, start)))


# --- values in an extension's cells ---------------------------------------------------------

#: How a literal's datatype is written in a data extension cell, where it is not text.
_INTEGERS = {PREFIXES["xsd"] + t for t in ("integer", "nonNegativeInteger", "positiveInteger")}
_FLOATS = {PREFIXES["xsd"] + t for t in ("decimal", "double", "float")}


def cell(knowledge: Knowledge, value: Term, lang: str, item_name: str = "") -> dict[str, object]:
    """One value as a data extension response writes it: an entity by id and name (a Wikidata
    item by its Q number and ``item_name``, the name of the entity it is; Wikidata's service
    reconciles such a column further), a whole number, a
    number, a full date (as midnight UTC, the form the API takes), or text (a date known only
    to the year or month stays text rather than gain a day it does not have)."""
    if isinstance(value, ox.NamedNode):
        label = knowledge.label(value.value, lang)
        if kind_of(value.value):
            return {"id": entity_id(value.value), "name": label}
        if value.value.startswith(WIKIDATA_ENTITY):
            return {"id": value.value[len(WIKIDATA_ENTITY) :], "name": item_name or label}
        return {"str": label if value.value in knowledge.labels else value.value}
    if isinstance(value, ox.Literal):
        datatype = value.datatype.value
        try:
            if datatype in _INTEGERS:
                return {"int": int(value.value)}
            if datatype in _FLOATS:
                return {"float": float(value.value)}
        except ValueError:
            return {"str": value.value}
        if datatype == PREFIXES["xsd"] + "date" and len(value.value) == 10:
            return {"date": value.value + "T00:00:00Z"}
        return {"str": value.value}
    return {"str": str(value)}


def in_language(found: list[Term], lang: str) -> list[Term]:
    """``found`` less the texts in the other language when some are in ``lang``."""
    texts = [v for v in found if isinstance(v, ox.Literal) and v.language]
    if not any(v.language == lang for v in texts):
        return found
    return [v for v in found if not (isinstance(v, ox.Literal) and v.language not in ("", lang))]


def value_type(knowledge: Knowledge, prop: Property, lang: str) -> dict[str, str] | None:
    """The type of the entities ``prop`` points at (for a column's metadata), or None."""
    if prop.id in ("region", "province"):
        return entity_type("region", lang)
    if not prop.predicate:
        return None
    for quad in knowledge.store.quads_for_pattern(None, ox.NamedNode(prop.predicate), None):
        kind = kind_of(quad.object.value) if isinstance(quad.object, ox.NamedNode) else None
        if kind:
            return entity_type(kind, lang)
    return None
