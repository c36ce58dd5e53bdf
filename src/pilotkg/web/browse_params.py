"""A browsed table's query string, read into a ``View`` and written back from one.

As in datasette, a filter is ``?COLUMN=VALUE`` (one per facet value; every filter must hold, so a
second value of the same facet narrows further, to the rows that have both), the order is
``?_sort=COLUMN`` or ``?_sort_desc=COLUMN``, and ``?_page=N`` turns the pages. An IRI is written
as the prefixed name the facets' links use (``province=region:guangdong``) or in full; a batch or
a year as its number. Every link a page makes is written here from its view, so the filters, the
order and the language survive every click, and a value is checked before any query is run: a
bad one is refused with one sentence that names the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.datastructures import QueryParams

from ..namespaces import XSD
from ..queries import expand as prefixed
from ..queries import is_iri
from ..tables import compact
from .browse_sparql import Filter, Value, View
from .browse_tables import Column, Table
from .knowledge import Knowledge
from .negotiate import FORMAT_PARAMETERS
from .numbers import whole_number

SORT, SORT_DESC, PAGE = "_sort", "_sort_desc", "_page"
#: Pages are numbered below this (``numbers.whole_number`` never converts a longer one).
MAX_PAGE = 10**6
#: What the page reads itself; anything else must be a facet.
_RESERVED = frozenset({"lang", *FORMAT_PARAMETERS})
_INTEGER = ox.NamedNode(XSD + "integer")


class BadParameter(ValueError):
    """A query-string parameter the table cannot take; the message names it."""


def read_view(
    table: Table,
    params: QueryParams,
    lang: str,
    knowledge: Knowledge,
    _: Callable[..., str],
) -> View:
    """The view ``params`` ask of ``table``; BadParameter (in the reader's language) if not."""
    filters: list[Filter] = []
    for name, raw in params.multi_items():
        if name in _RESERVED or name in (SORT, SORT_DESC, PAGE):
            continue
        column = table.column(name)
        if column is None or not column.facet:
            facets = ", ".join(c.key for c in table.facets)
            raise BadParameter(
                _(
                    "This table has no parameter {name}; it filters on {facets}.",
                    name=name,
                    facets=facets,
                )
            )
        chosen = Filter(column, _value(column, raw, knowledge, _))
        if chosen not in filters:
            filters.append(chosen)
    sort, descending = _sort(table, params, _)
    return View(table, tuple(filters), sort, descending, _page(params, _), lang)


def _value(column: Column, raw: str, knowledge: Knowledge, _: Callable[..., str]) -> Value:
    """``raw`` as the RDF term a filter on ``column`` compares with."""
    if column.kind in ("number", "year"):
        year = column.kind == "year"
        number = whole_number(raw)
        if number is not None and (len(raw) == 4 if year else number < 10**9):
            return ox.Literal(str(number), datatype=_INTEGER)
        expected = _("a year such as 2019") if year else _("a whole number such as 1")
        raise BadParameter(
            _(
                "The parameter {name} takes {expected}, not “{value}”.",
                name=column.key,
                expected=expected,
                value=raw,
            )
        )
    iri = expand(raw)
    if iri is None:
        raise BadParameter(
            _(
                "The parameter {name} takes a prefixed name as the facet's links write it "
                "(such as region:guangdong) or a full IRI, not “{value}”.",
                name=column.key,
                value=raw,
            )
        )
    if not knowledge.has(iri):
        raise BadParameter(
            _(
                "The parameter {name}={value} names nothing in this release.",
                name=column.key,
                value=raw,
            )
        )
    return ox.NamedNode(iri)


def expand(text: str) -> str | None:
    """The IRI that ``text`` writes, as a prefixed name of the project's or in full, or None.

    >>> expand("region:guangdong")
    'https://w3id.org/pilotkg/id/region/guangdong'
    >>> expand("https://w3id.org/pilotkg/id/region/guangdong") == expand("region:guangdong")
    True
    >>> expand("guangdong") is None, expand("nowhere:x") is None
    (True, True)
    """
    iri = prefixed(text)  # the one reading of the project's prefixed names
    written = iri != text or text.startswith(("http://", "https://"))
    return iri if written and is_iri(iri) else None


def _sort(table: Table, params: QueryParams, _: Callable[..., str]) -> tuple[Column | None, bool]:
    """The sort column (None: the entity's label) and whether it runs downwards."""
    given = [(name, params.getlist(name)) for name in (SORT, SORT_DESC) if name in params]
    if not given:
        return None, False
    if len(given) > 1:
        raise BadParameter(_("Give the parameter _sort or _sort_desc, not both."))
    name, values = given[0]
    if len(values) > 1:
        raise BadParameter(_("The parameter {name} may be given only once.", name=name))
    key = values[0]
    if key == table.entity:
        return None, name == SORT_DESC
    column = table.column(key)
    if column is None:
        keys = ", ".join((table.entity, *(c.key for c in table.columns)))
        raise BadParameter(
            _(
                "The parameter {name} takes a column of this table ({columns}), not “{value}”.",
                name=name,
                columns=keys,
                value=key,
            )
        )
    return column, name == SORT_DESC


def _page(params: QueryParams, _: Callable[..., str]) -> int:
    values = params.getlist(PAGE)
    if not values:
        return 1
    page = whole_number(values[0])
    if len(values) > 1 or page is None or not 0 < page < MAX_PAGE:
        raise BadParameter(
            _(
                "The parameter _page takes one whole number from 1, not “{value}”.",
                value=", ".join(values),
            )
        )
    return page


def token(value: Value) -> str:
    """How a filter value is written in a URL: a prefixed name, or the literal's lexical form."""
    return compact(value) if isinstance(value, ox.NamedNode) else value.value


def query_string(
    view: View,
    *,
    filters: tuple[Filter, ...] | None = None,
    sort: tuple[Column | None, bool] | None = None,
    page: int = 1,
) -> str:
    """The query string of ``view`` with the changes given (the page restarts at 1)."""
    chosen = view.filters if filters is None else filters
    pairs = [(f.column.key, token(f.value)) for f in chosen]
    column, descending = (view.sort, view.descending) if sort is None else sort
    if column is not None or descending:
        key = column.key if column is not None else view.table.entity
        pairs.append((SORT_DESC if descending else SORT, key))
    if page > 1:
        pairs.append((PAGE, str(page)))
    pairs.append(("lang", view.lang))
    return urlencode(pairs)
