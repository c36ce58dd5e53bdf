"""The release's pinyin sort keys (``pilotkg.collation``): the texts, their keys, the memo."""

from __future__ import annotations

import pyoxigraph as ox

from ..collation import HAN, KEYED_PREDICATES, keys_document, pinyin_version
from .memo import Memo, digest

#: The Chinese values of the keyed properties (a Han character in them: other text is its
#: own key, case aside, and ``collation.pinyin_key`` needs no file for it).
_TEXTS = """SELECT DISTINCT ?text WHERE {{
  VALUES ?p {{ {predicates} }}
  ?s ?p ?value FILTER(isLITERAL(?value))
  BIND(STR(?value) AS ?text)
  FILTER(REGEX(?text, "[{han}]"))
}}"""


def sorted_texts(store: ox.Store) -> list[str]:
    """The texts of the store's default graph a Chinese list may sort by, in code-point order."""
    predicates = " ".join(f"<{p}>" for p in KEYED_PREDICATES)
    results = store.query(_TEXTS.format(predicates=predicates, han=HAN))
    assert isinstance(results, ox.QuerySolutions)
    texts = []
    for row in results:
        text = row["text"]
        assert isinstance(text, ox.Literal)
        texts.append(text.value)
    return sorted(texts)


def collation_keys(store: ox.Store, memo: Memo | None = None) -> bytes:
    """The key file of the release in ``store``; from the memo when the same texts were keyed
    by the same pypinyin before (a rebuild then neither imports pypinyin nor keys a text)."""
    texts = sorted_texts(store)
    key = digest(b"pypinyin", pinyin_version().encode(), "\n".join(texts).encode())
    remembered = memo.get("collation", key) if memo is not None else None
    if remembered is not None:
        return remembered
    document = keys_document(texts)
    if memo is not None:
        memo.put("collation", key, document)
    return document
