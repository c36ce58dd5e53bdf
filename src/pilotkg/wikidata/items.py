"""The questions pilotkg asks Wikidata, written against Wikidata's own RDF model.

Two questions, both batched so that a whole run costs a handful of requests:

- :func:`fetch_items`: for given QIDs, what the endpoint knows that bears on a
  link: a redirect (Wikidata's RDF writes a redirect as ``wd:Qold owl:sameAs
  wd:Qnew``), English and Chinese labels and aliases, the direct types (P31),
  which of the type rules' classes the item reaches through P31/P279*, its
  country (P17) and the units it is located in (P131).
- :func:`find_by_labels`: which items carry one of the given labels or aliases,
  exactly (Wikidata's label index is exact, hence the variants of each name).

Each UNION branch carries its own VALUES block, so the answer does not depend
on an engine pushing outer bindings into the branches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox

from ..namespaces import OWL, RDFS, SKOS, WIKIDATA_ENTITY
from .client import SparqlClient
from .labels import WDT, is_chinese, qid_of

#: Items per facts request, and labels per search request: small enough for any
#: endpoint's limits, large enough that a whole run is a handful of requests.
BATCH_SIZE = 50
LABEL_BATCH_SIZE = 200

#: Chinese labels are searched under these language tags (Wikidata keeps several).
ZH_SEARCH_TAGS = ("zh", "zh-hans", "zh-cn")

PREFIXES = f"""PREFIX wd: <{WIKIDATA_ENTITY}>
PREFIX wdt: <{WDT}>
PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
PREFIX owl: <{OWL}>
"""

T = TypeVar("T")

_LANGUAGES = '(LANG(?value) = "en" || LANGMATCHES(LANG(?value), "zh"))'


@dataclass
class ItemFacts:
    """What the endpoint said about one item. ``exists`` is False when it said nothing."""

    qid: str
    redirect: str | None = None
    labels: set[tuple[str, str]] = field(default_factory=set)
    aliases: set[tuple[str, str]] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    located_in: set[str] = field(default_factory=set)

    @property
    def exists(self) -> bool:
        """An item with no redirect, label, alias or statement we ask about is not there."""
        return bool(
            self.redirect
            or self.labels
            or self.aliases
            or self.types
            or self.countries
            or self.located_in
        )

    def names(self) -> set[tuple[str, str]]:
        """Labels and aliases together: (text, language)."""
        return self.labels | self.aliases

    def display(self) -> str:
        """The item's labels as shown in reports: ``Suzhou / 苏州市``."""
        english = sorted(t for t, lang in self.labels if lang == "en")
        chinese = sorted(t for t, lang in self.labels if is_chinese(lang))
        return " / ".join([*english[:1], *chinese[:1]]) or "(no English or Chinese label)"


def _batches(values: Sequence[T], size: int = BATCH_SIZE) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _qids(values: Iterable[str]) -> str:
    return " ".join(f"wd:{qid}" for qid in values)


def facts_query(qids: Sequence[str], classes: Sequence[str]) -> str:
    """One request for the facts of up to BATCH_SIZE items."""
    items = f"VALUES ?item {{ {_qids(qids)} }}"
    branches = [
        f'{items} ?item owl:sameAs ?value . BIND("redirect" AS ?key)',
        f'{items} ?item rdfs:label ?value . FILTER{_LANGUAGES} BIND("label" AS ?key)',
        f'{items} ?item skos:altLabel ?value . FILTER{_LANGUAGES} BIND("alias" AS ?key)',
        f'{items} ?item wdt:P31 ?value . BIND("P31" AS ?key)',
        f'{items} ?item wdt:P17 ?value . BIND("P17" AS ?key)',
        f'{items} ?item wdt:P131 ?value . BIND("P131" AS ?key)',
    ]
    if classes:
        branches.append(
            f"{items} VALUES ?value {{ {_qids(sorted(classes))} }} "
            '?item wdt:P31/wdt:P279* ?value . BIND("class" AS ?key)'
        )
    union = "\n  UNION ".join(f"{{ {branch} }}" for branch in branches)
    return f"{PREFIXES}SELECT DISTINCT ?item ?key ?value WHERE {{\n  {union}\n}}"


def fetch_items(
    client: SparqlClient, qids: Iterable[str], *, classes: Iterable[str] = ()
) -> dict[str, ItemFacts]:
    """Facts for every QID asked about (an unknown item gets an empty ItemFacts)."""
    wanted = sorted(set(qids), key=lambda q: int(q[1:]))
    class_list = sorted(set(classes))
    facts = {qid: ItemFacts(qid) for qid in wanted}
    for batch in _batches(wanted):
        for row in client.select(facts_query(batch, class_list)):
            _record(facts, row)
    return facts


def _record(
    facts: dict[str, ItemFacts], row: dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]
) -> None:
    item, key, value = row.get("item"), row.get("key"), row.get("value")
    if not isinstance(item, ox.NamedNode) or not isinstance(key, ox.Literal) or value is None:
        return
    qid = qid_of(item.value)
    if qid is None or qid not in facts:
        return
    entry = facts[qid]
    if isinstance(value, ox.Literal):
        if key.value in ("label", "alias") and value.language:
            target = entry.labels if key.value == "label" else entry.aliases
            target.add((value.value, value.language.lower()))
        return
    if not isinstance(value, ox.NamedNode):
        return
    linked = qid_of(value.value)
    if linked is None:
        return
    if key.value == "redirect":
        entry.redirect = linked
    elif key.value == "P31":
        entry.types.add(linked)
    elif key.value == "class":
        entry.classes.add(linked)
    elif key.value == "P17":
        entry.countries.add(linked)
    elif key.value == "P131":
        entry.located_in.add(linked)


def _literal(text: str, language: str) -> str:
    return str(ox.Literal(text, language=language))


def labels_query(labels: Sequence[tuple[str, str]]) -> str:
    """One request for the items carrying any of ``labels`` ((text, language) pairs)."""
    values = " ".join(_literal(text, language) for text, language in labels)
    block = f"VALUES ?label {{ {values} }}"
    return (
        f"{PREFIXES}SELECT DISTINCT ?item ?label ?key WHERE {{\n"
        f'  {{ {block} ?item rdfs:label ?label . BIND("label" AS ?key) }}\n'
        f'  UNION {{ {block} ?item skos:altLabel ?label . BIND("alias" AS ?key) }}\n'
        "}"
    )


def search_tags(language: str) -> tuple[str, ...]:
    """The language tags a label in ``language`` is searched under."""
    return ZH_SEARCH_TAGS if is_chinese(language) else (language,)


def find_by_labels(
    client: SparqlClient, labels: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """For each (text, language) searched, the items carrying it: {(text, lang): {(qid, "label"|"alias")}}.

    Chinese labels are searched under each tag in ZH_SEARCH_TAGS and reported
    under the tag they were asked with.
    """
    asked: dict[tuple[str, str], tuple[str, str]] = {}
    for text, language in labels:
        for tag in search_tags(language):
            asked.setdefault((text, tag), (text, language))
    found: dict[tuple[str, str], set[tuple[str, str]]] = {key: set() for key in asked.values()}
    for batch in _batches(sorted(asked), LABEL_BATCH_SIZE):
        for row in client.select(labels_query(batch)):
            item, label, key = row.get("item"), row.get("label"), row.get("key")
            if not (isinstance(item, ox.NamedNode) and isinstance(label, ox.Literal)):
                continue
            qid = qid_of(item.value)
            origin = asked.get((label.value, (label.language or "").lower()))
            if qid is None or origin is None or not isinstance(key, ox.Literal):
                continue
            found[origin].add((qid, key.value))
    return found
