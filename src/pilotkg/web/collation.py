"""The order a list is read in: English by its letters, case aside; Chinese by pinyin.

Chinese indexes, directories and government lists run in pinyin order (北京 before 上海 before
深圳); code-point order, what a plain sort gives, follows the character tables and reads as no
order at all. pypinyin reads each name by its phrases, so that 重庆 sorts as chong and 长沙 as
chang; text that is not Chinese passes through and sorts by its letters.

The same order is open to SPARQL as Jena ARQ's ``arq:collation(locale, text)``, so that a
browsed table's query (run by the endpoint and linked from the page) sorts its rows as the
page lists them, and the query text runs unchanged in Jena and Fuseki, whose ARQ defines the
function. Here it returns the sort key as a plain literal: ordering by it is ordering by the
collation, and its value says why a row stands where it does.

The keys of the release's labels and titles come with the release, computed by the build
(``pilotkg.collation``); pypinyin, whose phrase dictionary takes about as long to import as
the rest of the web app, is imported only for a text they lack, so that a server (and every
process of ``--processes``) starts without it.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from ..collation import pinyin_key

#: Jena ARQ's collation function: ``arq:collation("zh", ?label)``.
COLLATION = ox.NamedNode("http://jena.apache.org/ARQ/function#collation")


def sort_key(text: str, lang: str) -> tuple[str, str]:
    """The key that puts ``text`` in its place in a list read in ``lang``: Chinese spelled in
    pinyin with tone numbers (the release's keys, ``pilotkg.collation``), case aside."""
    return (pinyin_key(text) if lang == "zh" else text.casefold(), text)


def _collation(locale: object, text: object) -> ox.Literal | None:
    """``arq:collation``: the sort key of ``text`` under ``locale`` (``zh``, ``zh-CN``: pinyin;
    any other: letters, case aside), or unbound when either is not a literal."""
    if not isinstance(locale, ox.Literal) or not isinstance(text, ox.Literal):
        return None
    lang = "zh" if locale.value.casefold().split("-")[0] == "zh" else "en"
    key, original = sort_key(text.value, lang)
    return ox.Literal(f"{key}\t{original}")


#: The extension functions the endpoint evaluates, for ``Store.query(custom_functions=...)``.
CUSTOM_FUNCTIONS: dict[
    ox.NamedNode, Callable[..., ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]
] = {COLLATION: _collation}
