"""An entity page as a reference work: the infobox first, then the story in time, then what is
near it, then (for a region) everything inside it.

``Knowledge.describe`` gives the facts, each with its citations; this module arranges them for
a reader. The infobox's properties and their order per kind come from ``infoboxes.toml`` (what
people ask of a zone is not what they ask of a source). The story puts every dated step in one
list: the entity's own dates, and the dates of the documents and events it names or that name
it, each linked to where it is stated. A zone or base lists the other zones and bases of its
province; a region lists what is located in it or concerns it, at any depth below it, with
counts. Every lookup is a few index scans on the in-process store, bounded by ``MEMBER_LIMIT``.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import DCTERMS, KIND_CLASSES, PILOT, QUDT, QUDT_CURRENCY, SCHEMA, XSD
from ..queries import expand
from .collation import sort_key
from .i18n import translator
from .kinds import kind_noun
from .knowledge import Citation, Description, Knowledge, PropertyValues, TermView
from .pictures import provinces_above
from .readable import amount, language_name, readable

INFOBOXES = Path(__file__).with_name("infoboxes.toml")
#: At most this many things of one kind are listed on a region's page (all are counted).
MEMBER_LIMIT = 200
DATE = PILOT + "date"
LOCATED_IN = PILOT + "locatedIn"
CONCERNS_REGION = PILOT + "concernsRegion"
DOCUMENT_NUMBER = PILOT + "documentNumber"
#: The kinds whose dates a page's story borrows when the entity names them or they name it.
STORY_KINDS = (PILOT + "Policy", PILOT + "Event")
#: What a region's page lists, in this order.
CONTENT_KINDS = ("zone", "base", "policy", "org", "event")
#: A figure's properties that hold a number in its unit.
FIGURE_AMOUNTS = frozenset(SCHEMA + p for p in ("value", "minValue", "maxValue"))
YUAN = QUDT_CURRENCY + "CNY"
#: The kinds whose page names the other designations of their province.
DESIGNATIONS = (KIND_CLASSES["zone"], KIND_CLASSES["base"])


@dataclass(frozen=True)
class Moment:
    """One dated step: when, what happened (the date's property), and whose step it is when it
    is not the entity's own (a document or event, linked)."""

    date: TermView
    what: str
    of: TermView | None = None
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Group:
    """Things of one kind, all counted, the first ``MEMBER_LIMIT`` listed."""

    kind: str
    label: str
    count: int
    members: list[TermView]


@dataclass
class Reading:
    """An entity page's arrangement of its description."""

    #: The description with its sources numbered in the page's order.
    description: Description
    infobox: list[PropertyValues]
    more: list[PropertyValues]
    story: list[Moment]
    #: What a value's IRI shows beside its label (a letter's number, a figure's value).
    details: dict[str, str] = field(default_factory=dict)
    #: The other zones and bases of the entity's province: (province, groups).
    neighbours: tuple[TermView, list[Group]] | None = None
    #: For a region: what is in it or below it.
    contents: list[Group] = field(default_factory=list)


@cache
def infobox_properties() -> dict[str, tuple[str, ...]]:
    """Each class IRI's infobox properties, in order (``infoboxes.toml``)."""
    with INFOBOXES.open("rb") as file:
        profiles = tomllib.load(file)
    return {
        expand(cls): tuple(expand(p) for p in profile["properties"])
        for cls, profile in profiles.items()
    }


def read(knowledge: Knowledge, description: Description, lang: str) -> Reading:
    """The page's arrangement of ``description``, in ``lang``."""
    types = {t.value for t in description.types}
    wanted = next((props for cls, props in infobox_properties().items() if cls in types), ())
    present = {group.predicate.value: group for group in description.facts}
    first = [present[p] for p in wanted if p in present]
    description = _in_page_order(
        _amounts(knowledge, description, lang),
        first + [g for g in description.facts if g.predicate.value not in wanted],
    )
    present = {group.predicate.value: group for group in description.facts}
    return Reading(
        description=description,
        infobox=[present[p] for p in wanted if p in present],
        more=[group for group in description.facts if group.predicate.value not in wanted],
        story=_story(knowledge, description, lang),
        details=_details(knowledge, description, lang),
        neighbours=_neighbours(knowledge, description.iri, types, lang),
        contents=_contents(knowledge, description.iri, lang)
        if KIND_CLASSES["region"] in types
        else [],
    )


def _in_page_order(description: Description, shown: list[PropertyValues]) -> Description:
    """``description`` with its sources numbered as a reader meets their footnotes in ``shown``
    (the page's order of the facts), the sources no fact cites after them, as before."""
    order: dict[int, int] = {}
    for group in shown:
        for citations in group.citations:
            for citation in citations:
                order.setdefault(citation.number, len(order) + 1)
    for number in range(1, len(description.sources) + 1):
        order.setdefault(number, len(order) + 1)

    def renumbered(group: PropertyValues) -> PropertyValues:
        citations = [
            tuple(sorted((replace(c, number=order[c.number]) for c in cs), key=lambda c: c.number))
            for cs in group.citations
        ]
        return PropertyValues(group.predicate, group.values, citations)

    sources = sorted(
        enumerate(description.sources, start=1), key=lambda numbered: order[numbered[0]]
    )
    return replace(
        description,
        facts=[renumbered(group) for group in description.facts],
        sources=[source for _number, source in sources],
        quotes={order[number]: quotes for number, quotes in description.quotes.items()},
    )


def _is_date(knowledge: Knowledge, predicate: str) -> bool:
    return predicate == DATE or DATE in knowledge.super_properties_of(predicate)


def _story(knowledge: Knowledge, description: Description, lang: str) -> list[Moment]:
    """The entity's own dated facts, and those of the documents and events linked to it either
    way, oldest first (``2019`` before ``2019-10`` before ``2019-10-14``: at their precision)."""
    moments = [
        Moment(value, group.predicate.text, None, citations)
        for group in description.facts
        if _is_date(knowledge, group.predicate.value)
        for value, citations in zip(group.values, group.citations, strict=True)
    ]
    linked = {
        value.value
        for groups in (description.facts, description.incoming)
        for group in groups
        if not _is_date(knowledge, group.predicate.value)
        for value in group.values
        if value.kind == "iri"
    }
    for iri in sorted(linked - {description.iri}):
        if not any(knowledge.has_type(iri, cls) for cls in STORY_KINDS):
            continue
        subject = knowledge.view_iri(iri, lang)
        for predicate, value in knowledge.specific_values(iri):
            if isinstance(value, ox.Literal) and _is_date(knowledge, predicate.value):
                what = knowledge.label(predicate.value, lang)
                moments.append(Moment(knowledge.view(value, lang), what, subject))
    return sorted(moments, key=lambda m: (m.date.value, m.of is not None, m.what))


def _details(knowledge: Knowledge, description: Description, lang: str) -> dict[str, str]:
    """What a fact's value needs beside its name to be read without a click: a policy's
    document number ("工信部科函〔2019〕…"), a figure's value with its unit and year."""
    details = {}
    for group in description.facts:
        for value in group.values:
            if value.kind != "iri":
                continue
            number = knowledge.objects(value.value, DOCUMENT_NUMBER)
            if number and isinstance(number[0], ox.Literal):
                details[value.value] = number[0].value
            elif knowledge.has_type(value.value, KIND_CLASSES["figure"]):
                details[value.value] = _figure(knowledge, value.value, lang)
    return {iri: text for iri, text in details.items() if text}


def _figure(knowledge: Knowledge, iri: str, lang: str) -> str:
    """ "17.16亿元 (2024)", "at least 20", "3–5": the figure's value or bounds with its unit, as
    the reader's language writes them, and the reference year when the source gives one."""

    def first(predicate: str) -> ox.Literal | None:
        found = [v for v in knowledge.objects(iri, predicate) if isinstance(v, ox.Literal)]
        return found[0] if found else None

    units = knowledge.objects(iri, QUDT + "unit")
    unit = units[0].value if units else ""
    value, low, high = (first(SCHEMA + p) for p in ("value", "minValue", "maxValue"))
    _ = translator(lang)
    if value is not None:
        text = amount(value, unit, lang)
    elif low is not None and high is not None:
        text = _("{low}–{high}", low=amount(low, unit, lang), high=amount(high, unit, lang))
    elif low is not None:
        text = _("at least {amount}", amount=amount(low, unit, lang))
    elif high is not None:
        text = _("at most {amount}", amount=amount(high, unit, lang))
    else:
        return ""
    year = first(PILOT + "referenceYear")
    return f"{text} ({readable(year, lang)})" if year is not None else text


def _amounts(knowledge: Knowledge, description: Description, lang: str) -> Description:
    """``description`` with its sums, figures and languages in words: a figure's own value and
    bounds with its unit ("17.16亿元"), an investment in yuan the same way, a source's language
    by name ("Chinese", 中文) rather than its code."""
    units = knowledge.objects(description.iri, QUDT + "unit")
    unit = units[0].value if units else ""

    def shown(group: PropertyValues) -> PropertyValues:
        predicate = group.predicate.value
        if predicate == DCTERMS + "language":
            values = [replace(v, shown=language_name(v.value, lang)) for v in group.values]
            return PropertyValues(group.predicate, values, group.citations)
        if predicate == PILOT + "investmentYuan":
            of = YUAN
        elif predicate in FIGURE_AMOUNTS and unit:
            of = unit
        else:
            return group
        values = [
            replace(
                v,
                shown=amount(ox.Literal(v.value, datatype=ox.NamedNode(XSD + "decimal")), of, lang),
            )
            if v.kind == "literal"
            else v
            for v in group.values
        ]
        return PropertyValues(group.predicate, values, group.citations)

    return replace(description, facts=[shown(group) for group in description.facts])


def _neighbours(
    knowledge: Knowledge, iri: str, types: set[str], lang: str
) -> tuple[TermView, list[Group]] | None:
    """For a zone or base: the other zones and bases located in its province."""
    if not types & set(DESIGNATIONS):
        return None
    provinces = {
        province
        for where in knowledge.objects(iri, LOCATED_IN)
        for province in provinces_above(knowledge, where.value)
    }
    if len(provinces) != 1:
        return None
    (province,) = provinces
    groups = [
        g
        for g in _grouped(knowledge, _located(knowledge, province) - {iri}, lang)
        if g.kind in ("zone", "base")
    ]
    return (knowledge.view_iri(province, lang), groups) if groups else None


def _located(knowledge: Knowledge, region: str, *predicates: str) -> set[str]:
    """The things located in (or by ``predicates`` tied to) ``region`` or a region inside it."""
    return {
        thing
        for where in knowledge.regions_within(region)
        for predicate in predicates or (LOCATED_IN,)
        for thing in knowledge.subjects(predicate, where)
    }


def _contents(knowledge: Knowledge, region: str, lang: str) -> list[Group]:
    """What a region's page lists: everything located in it or concerning it, at any depth."""
    things = _located(knowledge, region, LOCATED_IN, CONCERNS_REGION)
    return [g for g in _grouped(knowledge, things, lang) if g.kind in CONTENT_KINDS]


def _grouped(knowledge: Knowledge, things: set[str], lang: str) -> list[Group]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    kinds = {cls: kind for kind, cls in KIND_CLASSES.items()}
    for thing in things:
        for cls in knowledge.types_of(thing):
            if cls in kinds:
                by_kind[kinds[cls]].append(thing)
    order = [k for k in CONTENT_KINDS if k in by_kind]
    groups = []
    for kind in order:
        views = sorted(
            (knowledge.view_iri(t, lang) for t in by_kind[kind]),
            key=lambda v: sort_key(v.text, lang),
        )
        label = kind_noun(kind, len(views), lang)
        groups.append(Group(kind, label, len(views), views[:MEMBER_LIMIT]))
    return groups
