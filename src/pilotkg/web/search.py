"""The search at ``/search``: everything a thing is called, in either language, ranked.

A reader looks things up by the names they know, which are seldom the graph's
labels alone: a document by its number (国发〔2025〕11号, or just 国发), a
ministry by its short name (工信部, MIIT), a base by the city it is in (the
Shenzhen–Dongguan base's label names no city: only ``pilot:locatedIn`` says
where it is, so a search over labels alone never finds it by "Shenzhen"). So
each thing is indexed under its labels and titles (both languages), its
``skos:altLabel`` names, its ``pilot:documentNumber``, the short names of
``abbreviations.toml``, the labels of the places it is located in, and its
IRI's slug. A region's or a zone's label is also indexed without the endings a
reader leaves out (``short_forms``: 深圳 for 深圳市, Hangzhou for the Hangzhou National
AI Innovation and Application Pilot Zone), and without the qualifier in brackets at
its end (``bare_form``: Suzhou for "Suzhou (Jiangsu)"); the search ranks such a form
as a start of the label, which it is, and the reconciliation service
(``reconcile_match``) as the thing's name. A query that is one of an organisation's
names in that table also finds what is called after its other names (工信部 finds the
letters of 工业和信息化部), one class lower.

Text is compared folded (``fold``): Unicode compatibility forms (full-width
letters and digits), case, the brackets document numbers are written with
(〔〕, [], 【】, ()), dashes, quotes and runs of white space. Hits are ranked by
how well they match (the whole name, its start, the start of a word, anywhere;
a place a thing is in, or its slug, never counts as its whole name), then by kind (zones and
bases first, sources last), then shortest name first.

The index is built once per app from the in-process store: the release never
changes while it is served.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ID, KIND_CLASSES, PILOT, RDF, SKOS
from .knowledge import LABEL_PREDICATES, Knowledge, local_path
from .site import Site

ABBREVIATIONS = Path(__file__).with_name("abbreviations.toml")
#: What a name in the index is, in the order a tie between two names of one thing is broken.
FIELDS = (
    "label",
    "shortLabel",  # a label less the endings of ``short_forms``
    "bareLabel",  # a label less the qualifier in brackets at its end
    "altLabel",
    "shortName",
    "documentNumber",
    "place",
    "slug",
)
#: Kinds in the order their hits are listed when they match equally well.
KIND_ORDER = (
    "zone",
    "base",
    "policy",
    "region",
    "org",
    "programme",
    "event",
    "person",
    "sector",
    "measure",
    "target",
    "figure",
    "scheme",
    "source",
)
#: How a name matches the query, best first.
EXACT, PREFIX, WORD, ANYWHERE = range(4)
#: Names that are not what a thing is called: a zone in Shenzhen is not Shenzhen, and a
#: slug is shared by things of several kinds (zone/shenzhen, region/shenzhen).
_NEVER_EXACT = frozenset({"place", "slug"})
#: Names the label search ranks as a start of the label they were cut from, which they are.
_LABEL_STARTS = _NEVER_EXACT | {"shortLabel", "bareLabel"}
#: Endings a Chinese region's label carries that a reader leaves out (深圳 for 深圳市).
_REGION_SUFFIXES = ("特别行政区", "自治区", "新区", "省", "市", "区", "县")
#: Endings, folded, that a name of a region or a zone may carry or leave out: a programme's
#: designation, the English words for a kind of region, and the Chinese region endings.
_NAME_ENDINGS = (
    " national new generation ai innovation and development pilot zone",
    " national ai innovation and application pilot zone",
    " ai innovation and application pilot zone",
    "国家新一代人工智能创新发展试验区",
    "国家人工智能创新应用先导区",
    "人工智能创新应用先导区",
    " province",
    " municipality",
    " city",
    " new area",
    " county",
    *_REGION_SUFFIXES,
)
#: A qualifier in brackets at the end of a folded name: " [jiangsu]" in "suzhou [jiangsu]".
_QUALIFIER = re.compile(r"\s*\[[^\[\]]*\]$")
_FOLDED = str.maketrans(
    {
        "〔": "[",
        "〕": "]",
        "【": "[",
        "】": "]",
        "〖": "[",
        "〗": "]",
        "(": "[",
        ")": "]",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
    }
)
_SPACE = re.compile(r"\s+")
_LOCATED_IN = ox.NamedNode(PILOT + "locatedIn")
_TYPE = ox.NamedNode(RDF + "type")
_REGION = ox.NamedNode(KIND_CLASSES["region"])
_ZONE = ox.NamedNode(KIND_CLASSES["zone"])


def fold(text: str) -> str:
    """``text`` as the search compares it.

    >>> fold("国发（2025）11号") == fold("国发〔2025〕11号") == "国发[2025]11号"
    True
    >>> fold("  ＭＩＩＴ ") , fold("Jinan–Qingdao")
    ('miit', 'jinan-qingdao')
    """
    normal = unicodedata.normalize("NFKC", text).casefold().translate(_FOLDED)
    return _SPACE.sub(" ", normal).strip()


def short_forms(text: str) -> list[str]:
    """``text`` folded less one ending of ``_NAME_ENDINGS`` after another, shortest last;
    [] when it has none (each form keeps at least two characters).

    >>> short_forms("Deqing County National New Generation AI Innovation and Development Pilot Zone")
    ['deqing county', 'deqing']
    >>> short_forms("德清县国家新一代人工智能创新发展试验区"), short_forms("Jiangsu Province")
    (['德清县', '德清'], ['jiangsu'])
    """
    forms: list[str] = []
    current = fold(text)
    while True:
        end = next(
            (e for e in _NAME_ENDINGS if current.endswith(e) and len(current) > len(e) + 1), ""
        )
        if not end:
            return forms
        current = current[: -len(end)].strip()
        forms.append(current)


def bare_form(text: str) -> str:
    """``text`` folded less a qualifier in brackets at its end, or '' when it has none.

    >>> bare_form("Suzhou (Jiangsu)"), bare_form("上海(浦东新区)"), bare_form("Shenzhen")
    ('suzhou', '上海', '')
    """
    folded = fold(text)
    bare = _QUALIFIER.sub("", folded)
    return bare if bare != folded and bare else ""


def quality(name: str, wanted: str) -> int | None:
    """How the folded ``name`` matches the folded query ``wanted`` (EXACT … ANYWHERE), or None.

    >>> [quality(n, "shenzhen") for n in ("shenzhen", "shenzhen ai zone", "in shenzhen", "x")]
    [0, 1, 2, None]
    """
    at = name.find(wanted)
    if at < 0:
        return None
    if name == wanted:
        return EXACT
    if at == 0:
        return PREFIX
    while at > 0:
        if not name[at - 1].isalnum():
            return WORD
        at = name.find(wanted, at + 1)
    return ANYWHERE


#: How well a name matches a query: (quality, kind's place, field's place, length, the name).
Rank = tuple[int, int, int, int, str]


@dataclass(frozen=True)
class Name:
    """One name of one thing in the index."""

    iri: str
    folded: str
    shown: str  # as written
    field: str  # one of FIELDS
    lang: str = ""  # the language it is written in, where known


@dataclass(frozen=True)
class Hit:
    """A search result: the thing, and the name it was found by."""

    iri: str
    path: str
    label: str
    kind: str
    matched: str
    field: str
    matched_lang: str = ""  # the language ``matched`` is written in, where known

    def as_json(self) -> dict[str, str]:
        return {
            "iri": self.iri,
            "path": self.path,
            "label": self.label,
            "kind": self.kind,
            "matched": self.matched,
            "field": self.field,
        }


@dataclass(frozen=True)
class Results:
    """One page of hits for a query, and where it sits among all of them."""

    query: str
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def first(self) -> int:
        """The position of the page's first hit among all hits (1-based; 0 on an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last(self) -> int:
        return self.first + len(self.hits) - 1 if self.hits else 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def read_short_names(path: Path = ABBREVIATIONS) -> dict[str, tuple[str, ...]]:
    """``{IRI: short names}`` from the abbreviations table (``[org.miit] names = [...]``)."""
    with path.open("rb") as table:
        kinds = tomllib.load(table)
    return {
        f"{ID}{kind}/{slug}": tuple(entry["names"])
        for kind, entries in kinds.items()
        for slug, entry in entries.items()
    }


class SearchIndex:
    """Every name of every labelled thing this server has a page for, folded."""

    def __init__(self, knowledge: Knowledge, short_names: dict[str, tuple[str, ...]]) -> None:
        self.knowledge = knowledge
        store = knowledge.store
        shown = [iri for iri in knowledge.labels if local_path(iri)]
        names: list[Name] = []
        for iri in shown:
            node = ox.NamedNode(iri)
            region = any(True for _ in store.quads_for_pattern(node, _TYPE, _REGION))
            shortened = region or any(True for _ in store.quads_for_pattern(node, _TYPE, _ZONE))
            for text, lang in _literals(store, node, LABEL_PREDICATES):
                names.append(Name(iri, fold(text), text, "label", lang))
                short = _region_short_form(text) if region else ""
                if short:
                    names.append(Name(iri, fold(short), text, "label", lang))
                if shortened:
                    forms = [f for f in short_forms(text) if f != fold(short)]
                    names += [Name(iri, form, text, "shortLabel", lang) for form in forms]
                    bare = {b for form in (text, *forms) if (b := bare_form(form))}
                    names += [Name(iri, b, text, "bareLabel", lang) for b in sorted(bare)]
            names += [
                Name(iri, fold(text), text, "altLabel", lang)
                for text, lang in _literals(store, node, (SKOS + "altLabel",))
            ]
            names += [
                Name(iri, fold(text), text, "documentNumber", lang or "zh")
                for text, lang in _literals(store, node, (PILOT + "documentNumber",))
            ]
            names += [
                Name(iri, fold(text), text, "shortName", "en" if text.isascii() else "zh")
                for text in short_names.get(iri, ())
            ]
            for quad in store.quads_for_pattern(node, _LOCATED_IN, None):
                place = quad.object
                if isinstance(place, ox.NamedNode):
                    for lang, text in knowledge.labels.get(place.value, {}).items():
                        names.append(Name(iri, fold(text), text, "place", lang))
            slug = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            names.append(Name(iri, fold(slug), slug, "slug"))
        self.names = [name for name in names if name.folded]
        #: Each organisation's names (labels and short names), by any of them folded.
        self.aliases: dict[str, tuple[str, ...]] = {}
        for iri, shorts in short_names.items():
            every = tuple({fold(n) for n in (*knowledge.labels.get(iri, {}).values(), *shorts)})
            for one in every:
                self.aliases[one] = every

    def _kind_of(self, iri: str) -> int:
        """The place of ``iri``'s kind in KIND_ORDER (its ``id/{kind}/`` segment); after them all
        for the ontology's terms."""
        kind = iri[len(ID) :].split("/", 1)[0] if iri.startswith(ID) else ""
        return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)

    def ranked(
        self, text: str, *, starts: frozenset[str] = _NEVER_EXACT
    ) -> list[tuple[str, Rank, Name]]:
        """Every thing a name of which matches ``text``, best first, each with its best name and
        that name's rank: (quality, kind, field, length, name). A name whose field is in
        ``starts`` ranks at best as a start (PREFIX); a name found through another name of an
        organisation asked for (``aliases``) one quality lower."""
        wanted = fold(text)
        if not wanted:
            return []
        also = tuple(a for a in self.aliases.get(wanted, ()) if a != wanted)
        best: dict[str, tuple[Rank, Name]] = {}
        for name in self.names:
            found = quality(name.folded, wanted)
            if found is None:
                found = _best(quality(name.folded, alias) for alias in also)
                if found is None:
                    continue
                found += 1  # found through another name of what was asked for
            if name.field in starts:
                found = max(found, PREFIX)
            rank = (
                found,
                self._kind_of(name.iri),
                FIELDS.index(name.field),
                len(name.shown),
                name.shown,
            )
            if name.iri not in best or rank < best[name.iri][0]:
                best[name.iri] = (rank, name)
        ordered = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
        return [(iri, rank, name) for iri, (rank, name) in ordered]

    def search(self, text: str, lang: str, *, page: int, per_page: int) -> Results:
        """Page ``page`` (from 1) of the hits for ``text``, ``per_page`` to a page."""
        ordered = self.ranked(text, starts=_LABEL_STARTS)
        start = (page - 1) * per_page
        hits = [
            Hit(
                iri,
                local_path(iri) or iri,
                self.knowledge.label(iri, lang),
                self.knowledge.kind_label(iri, lang),
                name.shown,
                name.field,
                name.lang,
            )
            for iri, _rank, name in ordered[start : start + per_page]
        ]
        return Results(text, hits, len(ordered), page, per_page)


def _best(found: Iterable[int | None]) -> int | None:
    qualities = [q for q in found if q is not None]
    return min(qualities) if qualities else None


def _literals(
    store: ox.Store, node: ox.NamedNode, predicates: Iterable[str]
) -> list[tuple[str, str]]:
    """``(text, language tag)`` of each literal value of ``node``'s ``predicates``."""
    return [
        (quad.object.value, quad.object.language or "")
        for predicate in predicates
        for quad in store.quads_for_pattern(node, ox.NamedNode(predicate), None)
        if isinstance(quad.object, ox.Literal)
    ]


def _region_short_form(label: str) -> str:
    """A Chinese region's label less the ending a reader leaves out (深圳市 → 深圳), or ''.

    >>> _region_short_form("浦东新区"), _region_short_form("Shenzhen"), _region_short_form("市")
    ('浦东', '', '')
    """
    for end in _REGION_SUFFIXES:
        if label.endswith(end) and len(label) > len(end) + 1:
            return label[: -len(end)]
    return ""


def search_index(site: Site) -> SearchIndex:
    """The app's search index, built on first use."""
    key = ("search-index",)
    if key not in site.memo:
        site.memo[key] = SearchIndex(site.knowledge, read_short_names())
    index = site.memo[key]
    assert isinstance(index, SearchIndex)
    return index
