"""Reconciliation queries: a batch read and checked, and each query's scored candidates.

Candidates are found by name through the site's search index (``search.SearchIndex.ranked``:
the same folding, the same names, short forms and aliases as ``/search``), in every form of the
query less a usual ending (``search.short_forms``: "Jiangsu Province", "杭州市"), and kept when
they are of a requested type (a type is a hard constraint). Each property of the query is then
compared with the candidate's values (``reconcile_vocabulary.compared``): it agrees, it
contradicts (the candidate has values and none is the one given), or it says nothing (the
candidate has none). Only what the graph states decides, never a guess.

A candidate is a ``match`` when nothing else could be: it has one of its names exactly (a
label, an alternative name, a short name, a document number, a label less its usual ending,
or its identifier), no property contradicts it, and no other candidate of the requested type
is named so and consistent too. A name that is a label less its bracketed qualifier ("Suzhou"
for "Suzhou (Jiangsu)": the label says there are other Suzhous in the world, such as 宿州 in
Anhui) matches only when a property agrees as well. So a column of 深圳 against zones gets the
MIIT and the MOST zone with equal scores and no match, and 深圳 with programme=MIIT, or Suzhou
with region=Jiangsu, gets its one match; the property that tells namesakes apart ranks them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..graphs import Term
from ..namespaces import ID, KIND_CLASSES, PROV, WIKIDATA_ENTITY
from .i18n import translator
from .knowledge import Knowledge
from .reconcile_vocabulary import (
    Property,
    compared,
    entity_id,
    entity_iri,
    entity_type,
    find_property,
    kind_of,
    kind_of_type,
    summary,
    types,
)
from .search import EXACT, SearchIndex, fold, short_forms

#: At most this many queries in a batch (the manifest's ``batchSize``), and candidates a query.
MAX_BATCH = 100
MAX_LIMIT = 25
DEFAULT_LIMIT = 10
#: The longest query text accepted (a name, a document number: never a paragraph).
MAX_TEXT = 200
#: At most this many properties a query, values a property and values a batch: a spreadsheet
#: row has a few columns with a value or two each, and each value given is compared with every
#: candidate's (with none but properties, every entity of the requested types is a candidate).
MAX_PROPERTIES = 10
MAX_VALUES = 10
MAX_BATCH_VALUES = 500
#: A name's score by how it matches (``search.EXACT`` … and one lower through an alias).
_NAME_SCORES = (100.0, 70.0, 60.0, 50.0, 40.0)
#: A name that is a label less its qualifier, and one found by the query less its ending.
_QUALIFIED_SCORE = 90.0
_ENDING_PENALTY = 2.0
#: A label less its ending ("Hangzhou" for the Hangzhou … Pilot Zone) is a little less its name.
_SHORT_PENALTY = 3.0
_AGREES, _CONTRADICTS = 5.0, 40.0
_FIELDS = ("query", "type", "limit", "properties", "type_strict")
_EXAMPLE = '{"q0": {"query": "深圳", "type": "zone"}}'


class BadBatch(ValueError):
    """A batch the service cannot answer: ``status`` and one sentence in the reader's words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Given:
    """One value a query gives for a property: text, or an entity chosen before (its id)."""

    text: str = ""
    id: str = ""


@dataclass(frozen=True)
class Query:
    key: str
    text: str
    kinds: frozenset[str] | None  # None: every kind
    limit: int
    properties: tuple[tuple[Property, tuple[Given, ...]], ...] = ()


def read_json(raw: str) -> object:
    """``raw`` as JSON (RFC 8259), which has no NaN or Infinity; ValueError otherwise."""

    def refuse(constant: str) -> object:
        raise ValueError(constant)

    return json.loads(raw, parse_constant=refuse)


def read_batch(raw: str, knowledge: Knowledge, lang: str) -> list[Query]:
    """The queries of a batch (the JSON of a ``queries`` parameter), checked as the API's
    schema checks them and against the types and properties this service knows."""
    _ = translator(lang)
    try:
        batch = read_json(raw)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        batch = None
    if not isinstance(batch, dict):
        raise BadBatch(
            400,
            _(
                "The parameter queries takes a JSON object of queries, as in queries={example}.",
                example=_EXAMPLE,
            ),
        )
    if len(batch) > MAX_BATCH:
        raise BadBatch(
            413,
            _(
                "This batch has {count} queries; send at most {limit} at a time.",
                count=len(batch),
                limit=MAX_BATCH,
            ),
        )
    queries = [_read_query(str(key), query, knowledge, lang) for key, query in batch.items()]
    given = sum(len(values) for query in queries for _, values in query.properties)
    if given > MAX_BATCH_VALUES:
        raise BadBatch(
            413,
            _(
                "This batch gives {count} property values; send at most {limit} at a time.",
                count=given,
                limit=MAX_BATCH_VALUES,
            ),
        )
    return queries


def _read_query(key: str, query: object, knowledge: Knowledge, lang: str) -> Query:
    _ = translator(lang)

    def bad(field: str, form: str) -> BadBatch:
        return BadBatch(
            400, _("Query {key}: {field} takes {form}.", key=key, field=field, form=form)
        )

    if not isinstance(query, dict):
        raise BadBatch(
            400,
            _("Query {key} is not an object; write it as {example}.", key=key, example=_EXAMPLE),
        )
    unknown = sorted(set(query) - set(_FIELDS))
    if unknown:
        raise bad(
            unknown[0],
            _("nothing: a query has only query, type, limit, properties and type_strict"),
        )
    text = query.get("query", "")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise bad("query", _("a text of at most {limit} characters", limit=MAX_TEXT))
    properties = _read_properties(key, query.get("properties", []), knowledge, lang)
    if not text.strip() and not properties:
        raise bad("query", _("a name to look for, unless properties give values to look for"))
    limit = query.get("limit", DEFAULT_LIMIT)
    whole = isinstance(limit, int) or (isinstance(limit, float) and limit.is_integer())
    if isinstance(limit, bool) or not whole or not 1 <= limit <= MAX_LIMIT:
        raise bad("limit", _("a whole number from 1 to {limit}", limit=MAX_LIMIT))
    if query.get("type_strict", "any") not in ("any", "should", "all"):
        raise bad("type_strict", _("any, should or all"))
    return Query(
        key,
        text.strip(),
        _read_kinds(key, query.get("type"), knowledge, lang),
        int(limit),
        properties,
    )


def _read_kinds(key: str, value: object, knowledge: Knowledge, lang: str) -> frozenset[str] | None:
    _ = translator(lang)
    if value is None:
        return None
    asked = [value] if isinstance(value, str) else value
    known = ", ".join(t["id"] for t in types(knowledge, lang))
    if not isinstance(asked, list) or not all(isinstance(t, str) for t in asked):
        raise BadBatch(
            400,
            _(
                "Query {key}: type takes a type or a list of types, from {types}.",
                key=key,
                types=known,
            ),
        )
    kinds = []
    for one in asked:
        kind = kind_of_type(one)
        if kind is None:
            raise BadBatch(
                400,
                _(
                    "Query {key}: there is no type {type}; the types are {types}.",
                    key=key,
                    type=one,
                    types=known,
                ),
            )
        kinds.append(kind)
    return frozenset(kinds) or None


def _read_properties(
    key: str, value: object, knowledge: Knowledge, lang: str
) -> tuple[tuple[Property, tuple[Given, ...]], ...]:
    _ = translator(lang)
    example = '[{"pid": "region", "v": "江苏"}]'
    form = _("a list of objects with pid and v, as in {example}", example=example)
    if not isinstance(value, list):
        raise BadBatch(
            400, _("Query {key}: {field} takes {form}.", key=key, field="properties", form=form)
        )
    if len(value) > MAX_PROPERTIES:
        raise BadBatch(
            413,
            _(
                "Query {key} gives {count} properties; give at most {limit}.",
                key=key,
                count=len(value),
                limit=MAX_PROPERTIES,
            ),
        )
    read = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"pid", "v"}
            or not isinstance(item["pid"], str)
        ):
            raise BadBatch(
                400, _("Query {key}: {field} takes {form}.", key=key, field="properties", form=form)
            )
        prop = find_property(knowledge, item["pid"])
        if prop is None:
            raise BadBatch(
                400,
                _(
                    "Query {key}: there is no property {pid}; /reconcile/suggest/property lists them.",
                    key=key,
                    pid=item["pid"],
                ),
            )
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        if len(values) > MAX_VALUES:
            raise BadBatch(
                413,
                _(
                    "Query {key} gives {count} values for {pid}; give at most {limit}.",
                    key=key,
                    count=len(values),
                    pid=item["pid"],
                    limit=MAX_VALUES,
                ),
            )
        given = [_given(v) for v in values]
        if any(g is None for g in given):
            raise BadBatch(
                400, _("Query {key}: {field} takes {form}.", key=key, field="properties", form=form)
            )
        kept = tuple(g for g in given if g is not None and (g.text or g.id))
        if kept:  # an empty cell gives no value
            read.append((prop, kept))
    return tuple(read)


@dataclass(frozen=True)
class _Values:
    """A candidate's values of one property, as a value given is compared with them: the
    entities, every name they go by, and the literals' folded forms."""

    iris: frozenset[str]
    names: frozenset[str]
    literals: tuple[str, ...]

    @property
    def any(self) -> bool:
        return bool(self.iris or self.literals)

    @staticmethod
    def of(terms: list[Term], names_of: Callable[[str], set[str]]) -> _Values:
        iris = frozenset(t.value for t in terms if isinstance(t, ox.NamedNode))
        return _Values(
            iris,
            frozenset(name for iri in iris for name in names_of(iri)),
            tuple(fold(t.value) for t in terms if isinstance(t, ox.Literal)),
        )


@functools.lru_cache(maxsize=4096)
def _wanted_names(given: Given) -> frozenset[str]:
    """The folded names a value given may stand for, worked out once per value (a value is
    compared with every candidate's values; bounded, as the values come from requests)."""
    wanted = {fold(given.id), fold(given.text)} - {""}
    wanted |= {form for text in (given.id, given.text) for form in short_forms(text)}
    return frozenset(wanted)


@functools.lru_cache(maxsize=4096)
def _folded_text(given: Given) -> str:
    """``given``'s text folded, once per value, as a literal is compared with it."""
    return fold(given.text)


def _given(value: object) -> Given | None:
    """A property value as the schema writes one (text, a number, a boolean, an entity chosen
    before), or None for anything else."""
    if isinstance(value, bool):
        return Given(text=str(value).lower())
    if isinstance(value, int):
        return Given(text=str(value))
    if isinstance(value, float):
        return Given(text=str(int(value)) if value.is_integer() else str(value))
    if isinstance(value, str):
        return Given(text=value.strip())
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        name = value.get("name", "")
        return Given(text=name if isinstance(name, str) else "", id=value["id"])
    return None


# --- candidates --------------------------------------------------------------------------

#: The index's names that are what a thing is called (not where it is).
_NAMES = frozenset(
    {"label", "shortLabel", "bareLabel", "altLabel", "shortName", "documentNumber", "slug"}
)
#: The rank of a candidate found by its properties alone, after every one found by name.
_UNRANKED = (len(_NAME_SCORES), 0, 0, 0, "")


@dataclass
class Candidate:
    """One entity a query may mean: how its name matched, and what its properties say."""

    iri: str
    name_score: float = 0.0
    exact: bool = False  # one of its names, exactly
    qualified: bool = False  # its label less the qualifier in brackets, exactly
    rank: tuple[int, int, int, int, str] = _UNRANKED
    agree: int = 0
    contradict: int = 0
    score: float = field(default=0.0, compare=False)


class Reconciler:
    """Candidates for reconciliation queries, from the site's search index and store."""

    def __init__(self, knowledge: Knowledge, index: SearchIndex) -> None:
        self.knowledge = knowledge
        self.index = index
        #: Each thing's names, folded, as a query's property value may give them.
        self.names: dict[str, set[str]] = {}
        for name in index.names:
            if name.field in _NAMES:
                self.names.setdefault(name.iri, set()).add(name.folded)
        for iri, known in self.names.items():
            if iri.startswith(ID):
                known.add(fold(entity_id(iri)))
        #: What each candidate's property is compared with, and what each value may be called,
        #: worked out once: keyed by the graph's own terms, so they grow no larger than the
        #: graph, however many queries a batch or a client sends.
        self._compared: dict[tuple[str, Property], _Values] = {}
        self._names: dict[str, set[str]] = {}

    def answer(self, queries: Iterable[Query], lang: str) -> dict[str, Any]:
        """The result batch: each query's candidates, best first."""
        return {q.key: {"result": self.candidates(q, lang)} for q in queries}

    def candidates(self, query: Query, lang: str) -> list[dict[str, Any]]:
        found = self._by_name(query.text, query.kinds) if query.text else self._members(query.kinds)
        wanted = len(query.properties)
        for c in found.values():
            for prop, given in query.properties:
                agrees = self._agreement(c.iri, prop, given)
                c.agree += agrees is True
                c.contradict += agrees is False
            if query.text:
                c.score = c.name_score + _AGREES * c.agree - _CONTRADICTS * c.contradict
            else:
                c.score = 100.0 * c.agree / wanted - _CONTRADICTS * c.contradict
            c.score = round(max(0.0, min(100.0, c.score)), 1)
        kept = [c for c in found.values() if query.text or c.agree]

        def plausible(c: Candidate) -> bool:
            named = (c.exact or c.qualified) if query.text else c.agree == wanted
            return named and not c.contradict

        def sure(c: Candidate) -> bool:
            return plausible(c) and (not c.qualified or c.agree > 0)

        rivals = [c for c in kept if plausible(c)]
        ordered = sorted(kept, key=lambda c: (-c.score, c.rank, c.iri))[: query.limit]
        return [
            self._candidate(c, lang, sure(c) and rivals[:1] == [c] and len(rivals) == 1)
            for c in ordered
        ]

    def _candidate(self, c: Candidate, lang: str, match: bool) -> dict[str, Any]:
        kind = kind_of(c.iri)
        assert kind is not None
        return {
            "id": entity_id(c.iri),
            "name": self.knowledge.label(c.iri, lang),
            "description": summary(self.knowledge, c.iri, lang),
            "score": c.score,
            "match": match,
            "type": [entity_type(kind, lang)],
            "features": [
                {"id": "name", "value": c.name_score},
                {"id": "name_exact", "value": c.exact},
                {"id": "properties_agree", "value": c.agree},
                {"id": "properties_contradict", "value": c.contradict},
            ],
        }

    def _by_name(self, text: str, kinds: frozenset[str] | None) -> dict[str, Candidate]:
        """The entities of ``kinds`` a name of which matches ``text``, each at its best; then,
        until one is named exactly, those matching ``text`` less an ending (Jiangsu Province,
        合肥市), never past an exact name (深圳人工智能创新应用先导区 is not any zone of 深圳)."""
        found: dict[str, Candidate] = {}
        iri = entity_iri(self.knowledge, text)
        if iri and (kinds is None or kind_of(iri) in kinds):  # an identifier is the surest name
            found[iri] = Candidate(iri, _NAME_SCORES[EXACT], exact=True, rank=(EXACT, 0, 0, 0, ""))
        for n, form in enumerate([text, *short_forms(text)]):
            if any(c.exact or c.qualified for c in found.values()):
                break
            for iri, rank, name in self.index.ranked(form):
                kind = kind_of(iri)
                if kind is None or (kinds is not None and kind not in kinds):
                    continue
                quality = rank[0]
                qualified = quality == EXACT and name.field == "bareLabel"
                score = _QUALIFIED_SCORE if qualified else _NAME_SCORES[min(quality, 4)]
                if quality == EXACT and name.field == "shortLabel":
                    score -= _SHORT_PENALTY  # a city's own name before its zones'
                score -= _ENDING_PENALTY if n else 0.0
                known = found.get(iri)
                if known is None or score > known.name_score:
                    exact = quality == EXACT and not qualified
                    found[iri] = Candidate(iri, score, exact, qualified, rank)
        return found

    def _members(self, kinds: frozenset[str] | None) -> dict[str, Candidate]:
        """Every entity of ``kinds`` (of every kind for None), for a query by properties alone."""
        return {
            iri: Candidate(iri)
            for kind in sorted(kinds or KIND_CLASSES)
            for iri in self.knowledge.subjects_of_type(KIND_CLASSES[kind])
            if kind_of(iri) == kind
        }

    def _agreement(self, iri: str, prop: Property, given: tuple[Given, ...]) -> bool | None:
        """True when a value given is one of ``iri``'s, False when it has values and none is,
        None when it has none."""
        key = (iri, prop)
        if key not in self._compared:
            self._compared[key] = _Values.of(compared(self.knowledge, iri, prop), self._names_of)
        values = self._compared[key]
        if not values.any:
            return None
        return any(self._agrees(values, one) for one in given)

    def _agrees(self, values: _Values, given: Given) -> bool:
        """Whether ``given`` is one of ``values``: an entity chosen before is that entity, a
        text one of an entity's names or a literal's form (``_same_literal``)."""
        if given.id and (chosen := entity_iri(self.knowledge, given.id)):
            if chosen in values.iris:
                return True
        elif _wanted_names(given) & values.names:
            return True
        if not values.literals:
            return False
        text = _folded_text(given)
        return any(_same_literal(literal, text) for literal in values.literals)

    def _names_of(self, iri: str) -> set[str]:
        """What a value may be called: its names, its IRI, a Wikidata item's Q number, and
        for a programme the names of the ministry it belongs to (the MIIT zones)."""
        if iri in self._names:
            return self._names[iri]
        names = {fold(iri), *self.names.get(iri, ())}
        if iri.startswith(WIKIDATA_ENTITY):
            names.add(fold(iri[len(WIKIDATA_ENTITY) :]))
        if kind_of(iri) == "programme":
            for owner in self.knowledge.objects(iri, PROV + "wasAttributedTo"):
                names |= self.names.get(owner.value, set())
        self._names[iri] = names
        return names


def _same_literal(value: str, given: str) -> bool:
    """Whether two folded lexical forms say the same: equal, the same number, or the same date
    at the coarser precision of the two (2019 and 2019-10-14)."""
    if value == given or value.startswith(given + "-") or given.startswith(value + "-"):
        return bool(given)
    try:
        return float(value) == float(given)
    except ValueError:
        return False
