"""The SPARQL text of a browsed view: the query that gives its rows and the one that counts its
facets. The page runs exactly these texts and links to the first, so what a reader sees and what
the query editor answers cannot drift apart.

Both stay bounded as the graph grows: the rows query picks one page of entities in a sub-select
(its filters, its sort key and ``LIMIT``) before it gathers their columns, so the per-row joins
run for ``PAGE_ROWS`` entities, not for all of them; the facets query counts each facet's values
in a sub-select of its own, ``LIMIT``-ed to ``FACET_VALUES`` + 1 values (the one more says that
there are more). Values are RDF terms written in their N-Triples form, never text pasted in.

A Chinese view orders its rows by ``arq:collation("zh", ?label)`` (see ``collation.py``): in
pinyin, as the page's other lists run, not in the code-point order of ``ORDER BY ?label``.
An English view's text is plain SPARQL 1.1 and runs on any store.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

import pyoxigraph as ox

from ..namespaces import ORG, PILOT, RDFS, XSD
from ..tables import compact
from .browse_tables import Column, Table
from .collation import COLLATION

#: Rows per page of a table.
PAGE_ROWS = 100
#: Values listed per facet, the most frequent first.
FACET_VALUES = 30
_PREFIXES = (
    f"PREFIX pilot: <{PILOT}>\nPREFIX org: <{ORG}>\nPREFIX rdfs: <{RDFS}>\nPREFIX xsd: <{XSD}>\n"
)
_ARQ_PREFIX = f"PREFIX arq: <{COLLATION.value.removesuffix('collation')}>\n"

Value = ox.NamedNode | ox.Literal


@dataclass(frozen=True)
class Filter:
    """Rows must have ``value`` in ``column``."""

    column: Column
    value: Value


@dataclass(frozen=True)
class View:
    """What a request asks of a table: filters (all must hold), the sort column (None: the
    entity's label), the page and the language labels are sorted in."""

    table: Table
    filters: tuple[Filter, ...] = ()
    sort: Column | None = None
    descending: bool = False
    page: int = 1
    lang: str = "en"


def _pattern(column: Column, entity: str, value: str, tag: str) -> str:
    return Template(column.pattern).substitute(e=entity, v=value, t=tag)


def _selection(view: View, indent: str) -> str:
    """The lines of a WHERE group that keep the view's rows: its class and each filter."""
    table = view.table
    entity = "?" + table.entity
    lines = [f"{entity} a {compact(ox.NamedNode(table.cls))} ."]
    for number, chosen in enumerate(view.filters, 1):
        value = f"?{chosen.column.var}_{number}"
        pattern = _pattern(chosen.column, entity, value, f"_{number}")
        lines.append(f"{pattern} FILTER({value} = {chosen.value})")
    return "".join(f"{indent}{line}\n" for line in lines)


def _label(term: str, label: str, lang: str) -> str:
    return f'OPTIONAL {{ {term} rdfs:label {label} FILTER(LANG({label}) = "{lang}") }}'


def _prefixes(lang: str) -> str:
    """The PREFIX lines of a view's queries: a Chinese one also names ``arq:``."""
    return _PREFIXES + _ARQ_PREFIX if lang == "zh" else _PREFIXES


def _collated(text: str, lang: str) -> str:
    """``text`` as a list in ``lang`` orders it: Chinese by pinyin (``arq:collation``), any
    other language as it stands, in code-point order: letter order for English labels that
    agree in case (the tables' rows all begin with a capital, their sectors with a small one)."""
    return f'arq:collation("zh", {text})' if lang == "zh" else text


def _sort_key(view: View) -> tuple[str, str]:
    """``(pattern, aggregate)``: what binds the sort column's key, and how rows take its least."""
    column = view.sort
    if column is None:
        return "", ""
    entity = "?" + view.table.entity
    if column.kind == "iri":
        inner = _pattern(column, entity, "?sorted", "_sort")
        pattern = f"OPTIONAL {{ {inner} {_label('?sorted', '?key', view.lang)} }}"
        return pattern, f"MIN({_collated('STR(?key)', view.lang)})"
    pattern = f"OPTIONAL {{ {_pattern(column, entity, '?key', '_sort')} }}"
    if column.kind in ("number", "year"):
        return pattern, "MIN(?key)"
    if column.kind == "text":
        return pattern, f"MIN({_collated('STR(?key)', view.lang)})"
    return pattern, "MIN(STR(?key))"


def _order(view: View) -> str:
    """The rows' order: the sort column's key (rows without one last), then the label as the
    language reads it, then the label and the IRI, so that every page has one order."""
    entity = "?" + view.table.entity
    collated = _collated("?label", view.lang)
    ties = [collated, "?label", entity] if collated != "?label" else ["?label", entity]
    if view.sort is None:
        return " ".join(f"DESC({term})" for term in ties) if view.descending else " ".join(ties)
    key = "DESC(?sort)" if view.descending else "?sort"
    return " ".join(["(!BOUND(?sort))", key, *ties])


def _cell(column: Column) -> str:
    """The projection of a column: IRIs joined by spaces (no IRI holds one; the page splits and
    orders them by label), a literal as itself (the shapes allow one per thing)."""
    if column.kind == "iri":
        return f'(GROUP_CONCAT(DISTINCT STR(?{column.var}_v); separator=" ") AS ?{column.var})'
    return f"(SAMPLE(?{column.var}_v) AS ?{column.var})"


def rows_query(view: View) -> str:
    """The SELECT giving the view's page of rows, one per entity, in the view's order."""
    table = view.table
    entity = "?" + table.entity
    key_pattern, key_aggregate = _sort_key(view)
    sort_projection = f" ({key_aggregate} AS ?sort)" if key_aggregate else ""
    sort_line = f"      {key_pattern}\n" if key_pattern else ""
    outer_sort = " ?sort" if key_aggregate else ""
    cells = "\n       ".join(_cell(c) for c in table.columns)
    columns = "".join(
        f"  OPTIONAL {{ {_pattern(c, entity, f'?{c.var}_v', f'_{c.var}')} }}\n"
        for c in table.columns
    )
    order = _order(view)
    prefixes = _prefixes(view.lang)
    return (
        f"{prefixes}"
        f"SELECT {entity} ?label{outer_sort}\n       {cells}\n"
        "WHERE {\n"
        "  {\n"
        f"    SELECT {entity} (MIN(STR(?name)) AS ?label){sort_projection}\n"
        "    WHERE {\n"
        f"{_selection(view, '      ')}"
        f"      {_label(entity, '?name', view.lang)}\n"
        f"{sort_line}"
        "    }\n"
        f"    GROUP BY {entity}\n"
        f"    ORDER BY {order}\n"
        f"    LIMIT {PAGE_ROWS} OFFSET {(view.page - 1) * PAGE_ROWS}\n"
        "  }\n"
        f"{columns}"
        "}\n"
        f"GROUP BY {entity} ?label{outer_sort}\n"
        f"ORDER BY {order}\n"
    )


def _facet_tie(column: Column, lang: str) -> tuple[str, str, str]:
    """``(projection, pattern, order)`` that break a facet's ties of count by the value's label
    as the page lists them (letters, case aside; pinyin in Chinese), so that the values kept
    by the ``LIMIT`` are the first ones on the page, not the first IRIs. Values without a
    label in ``lang`` go after those with one; values that are not IRIs keep their own order.
    """
    if column.kind != "iri":
        return "", "", ""
    label = "STR(?tie_label)"
    key = _collated(label, lang) if lang == "zh" else f"LCASE({label})"
    pattern = f"      {_label('?value', '?tie_label', lang)}\n"
    return f" (MIN({key}) AS ?tie)", pattern, "(!BOUND(?tie)) ?tie "


def facets_query(view: View) -> str:
    """The SELECT counting the view's rows (``?facet`` unbound) and, per facet, the rows that
    have each of its most frequent values."""
    table = view.table
    entity = "?" + table.entity
    selection = _selection(view, "      ")
    branches = [
        f"  {{ SELECT (COUNT(DISTINCT {entity}) AS ?count) WHERE {{\n{selection}    }} }}\n"
    ]
    for column in table.facets:
        pattern = _pattern(column, entity, "?value", "_facet")
        tie, labelled, order = _facet_tie(column, view.lang)
        branches.append(
            f'  {{ SELECT ("{column.key}" AS ?facet) ?value (COUNT(DISTINCT {entity}) AS ?count)'
            f"{tie}\n    WHERE {{\n{selection}      {pattern}\n{labelled}    }}\n"
            f"    GROUP BY ?value ORDER BY DESC(?count) {order}?value LIMIT {FACET_VALUES + 1} }}\n"
        )
    union = "  UNION\n".join(branches)
    prefixes = _prefixes(view.lang)
    return f"{prefixes}SELECT ?facet ?value ?count\nWHERE {{\n{union}}}\n"
