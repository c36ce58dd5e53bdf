"""What every part of the Wikidata linking shares: names, labels and type rules.

This module holds what they share. Label comparison is deliberately forgiving
about form (case, spacing, the 市/省/县 suffix, a parenthesised qualifier such as
"Suzhou (Jiangsu)") and strict about content: two different names never match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import PilotkgError
from ..namespaces import ID, WIKIDATA_ENTITY

#: Wikimedia asks every client to say who it is and how to reach its authors:
#: https://meta.wikimedia.org/wiki/User-Agent_policy
USER_AGENT = "pilotkg/0.1 (https://w3id.org/pilotkg; linked-data knowledge graph)"


#: Wikidata's "truthy" statements: ``wdt:P31`` instance of, ``P279`` subclass of,
#: ``P17`` country, ``P131`` located in the administrative territorial entity.
WDT = "http://www.wikidata.org/prop/direct/"

CHINA = "Q148"

#: The kinds of entity that are linked to Wikidata, by their IRI folder under ``id/``.
KINDS = ("region", "org", "sector")


class EndpointError(PilotkgError):
    """The SPARQL endpoint could not be reached or refused the query (exit 2)."""


@dataclass(frozen=True)
class TypeRule:
    """What Wikidata must say about an item for it to be one of our entities of a kind.

    ``classes``: the item must be an instance of (P31) one of these classes or of a
    subclass (P279*) of one; empty means any type will do. ``country``: the item's
    country (P17) must be this one.
    """

    kind: str
    classes: tuple[str, ...] = ()
    country: str | None = None

    def class_text(self) -> str:
        """The type part of the rule in words, for messages."""
        if not self.classes:
            return "of any type"
        return "an instance (P31/P279*) of " + " or ".join(f"wd:{q}" for q in self.classes)


#: Q56061 is Wikidata's "administrative territorial entity" and Q6256 its "country";
#: with P17 = China (Q148) that says "an administrative unit of China, or China".
#: Q43229 is "organization". Sectors are concepts of many types (field of study,
#: industry, activity), so no type is required of them.
TYPE_RULES: dict[str, TypeRule] = {
    "region": TypeRule("region", ("Q56061", "Q6256"), CHINA),
    "org": TypeRule("org", ("Q43229",)),
    "sector": TypeRule("sector"),
}

_QID = re.compile(r"Q[1-9][0-9]*")


def qid_of(iri: str) -> str | None:
    """The QID of a Wikidata entity IRI (``http://www.wikidata.org/entity/Q148`` → ``Q148``),
    or None for any other IRI: only items in the entity namespace are links."""
    if iri.startswith(WIKIDATA_ENTITY):
        local = iri[len(WIKIDATA_ENTITY) :]
        if _QID.fullmatch(local):
            return local
    return None


def item_iri(qid: str) -> str:
    """The entity IRI of a QID."""
    return WIKIDATA_ENTITY + qid


def kind_of(iri: str) -> str | None:
    """``region``, ``org`` or ``sector`` for our IRIs of those kinds, else None."""
    for kind in KINDS:
        if iri.startswith(f"{ID}{kind}/"):
            return kind
    return None


def short_name(iri: str) -> str:
    """``region/shenzhen`` for ``https://w3id.org/pilotkg/id/region/shenzhen``: how reports name entities."""
    return iri[len(ID) :] if iri.startswith(ID) else iri


# Administrative suffixes a Chinese name is written with or without:
# 苏州市 / 苏州, 江苏省 / 江苏, 德清县 / 德清.
ZH_SUFFIXES = ("市", "省", "县")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-"})
_QUALIFIER = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def is_chinese(language: str) -> bool:
    """True for ``zh`` and its regional variants (``zh-hans``, ``zh-cn`` …)."""
    language = language.lower()
    return language == "zh" or language.startswith("zh-")


def normalise_label(text: str) -> str:
    """A label reduced to what identifies a name: NFKC, case-folded, one kind of quote
    and dash, single spaces, without a trailing parenthesised qualifier or 市/省/县.

    >>> normalise_label("Suzhou (Jiangsu)") == normalise_label("suzhou")
    True
    >>> normalise_label("苏州市") == normalise_label("苏州")
    True
    >>> normalise_label("Xi’an") == normalise_label("Xi'an")
    True
    >>> normalise_label("苏州市") == normalise_label("宿州市")
    False
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = " ".join(text.split())
    text = _QUALIFIER.sub("", text)
    for suffix in ZH_SUFFIXES:
        if len(text) > len(suffix) + 1 and text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return text


def label_variants(text: str, language: str, *, place: bool = False) -> list[str]:
    """The written forms under which Wikidata may hold a name, for an exact-label search.

    Wikidata's label index is exact, so the search sends every form a name is
    commonly written in: as given, without a parenthesised qualifier and, for
    the Chinese name of a place, with and without each administrative suffix.

    >>> label_variants("Suzhou (Jiangsu)", "en")
    ['Suzhou (Jiangsu)', 'Suzhou']
    >>> label_variants("苏州市", "zh", place=True)
    ['苏州市', '苏州', '苏州省', '苏州县']
    >>> label_variants("人工智能", "zh")
    ['人工智能']
    """
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    forms = [text]
    bare = _QUALIFIER.sub("", text)
    forms.append(bare)
    if place and is_chinese(language):
        stem = bare
        for suffix in ZH_SUFFIXES:
            if len(stem) > len(suffix) + 1 and stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        forms.append(stem)
        forms.extend(stem + suffix for suffix in ZH_SUFFIXES)
    return list(dict.fromkeys(f for f in forms if f))
