"""``/zones``, ``/bases``, ``/policies`` and ``/organisations``: sortable tables with facets, as
datasette made people expect them, and the same view as CSV, JSON and the SPARQL that makes it.

A request is read into a view (``browse_params``: filters, order, page), the view is written as
two SPARQL queries (``browse_sparql``: its page of rows, and its facet counts), and both run
as the server's own texts (``execution``: on the in-process store in a thread, at most
``query_workers`` at once, with the per-client limit of ``/sparql`` but not its time, row and
byte limits, since their cost is the graph's): at a thousand times today's graph a table scans
thousands of things, which must not block the event loop. The page links to the rows query in
the query editor; it is the very text run here, so the editor gives the same rows. Labels,
dates in words and the order of several values in one cell (by label) are added afterwards
from ``Knowledge``, a few lookups per cell.

CSV is UTF-8 with a byte-order mark (Excel on Windows reads Chinese only so), headed in the
reader's language, each cell's values joined by "; "; dates, years and numbers keep their
lexical form (2019-10-14, 2022-09) so that a spreadsheet sorts them; an IRI column at the end
joins the rows to the graph. JSON gives each value as its IRI and label, or its lexical form and
its words, with the facets and the query.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..namespaces import XSD
from ..tables import BOM
from .browse_params import BadParameter, query_string, read_view, token
from .browse_sparql import FACET_VALUES, PAGE_ROWS, Filter, Value, View, facets_query, rows_query
from .browse_tables import TABLES, Column, Table
from .collation import sort_key
from .execution import answer
from .i18n import translator
from .knowledge import Knowledge, TermView
from .negotiate import HTML, Page, negotiate
from .readable import readable
from .site import Site, language, site_of

CSV = Page("csv", "csv", ("text/csv",))
JSON = Page("json", "json", ("application/json",))
OFFERS = (HTML, JSON, CSV)
_G_YEAR = ox.NamedNode(XSD + "gYear")


@dataclass(frozen=True)
class Heading:
    """A column's heading: its words, the link that sorts by it, and how it is sorted now."""

    key: str
    text: str
    href: str
    kind: str  # the column's kind (``browse_tables.Kind``), which its cells are styled by
    sorted: str = ""  # "", "ascending" or "descending"


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with the number of rows that have it; its link adds it as a
    filter, or removes it when it is one already."""

    token: str
    label: str
    count: int
    href: str
    selected: bool = False


@dataclass(frozen=True)
class Facet:
    """A facet: its column, heading and most frequent values; ``more`` when some are left out."""

    key: str
    heading: str
    values: list[FacetValue]
    more: bool = False


@dataclass(frozen=True)
class Chip:
    """A filter in force, with the link that removes it."""

    heading: str
    label: str
    href: str


@dataclass
class Browsed:
    """Everything a table's page, CSV and JSON show."""

    view: View
    title: str
    headings: list[Heading]
    rows: list[list[list[TermView]]]
    total: int
    facets: list[Facet]
    chips: list[Chip]
    links: dict[str, str] = field(default_factory=dict)
    rows_sparql: str = ""
    facets_sparql: str = ""
    year_rule: str = ""

    @property
    def first(self) -> int:
        return (self.view.page - 1) * PAGE_ROWS + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def heading_text(knowledge: Knowledge, column: Column, lang: str) -> str:
    """A column's heading: its property's label in the store, else its own words."""
    if column.predicate in knowledge.labels:
        return knowledge.label(column.predicate, lang)
    return column.words(translator(lang)) if column.words else column.key


def _values(
    column: Column, term: ox.NamedNode | ox.Literal | ox.BlankNode | None, k: Knowledge, lang: str
) -> list[TermView]:
    """A cell: its IRIs as labelled links in label order, or its one literal in words."""
    if term is None:
        return []
    if column.kind == "iri":
        views = [k.view(ox.NamedNode(iri), lang) for iri in term.value.split()]
        return sorted(views, key=lambda v: (sort_key(v.text, lang), v.value))
    if column.kind == "year":
        return [k.view(ox.Literal(term.value, datatype=_G_YEAR), lang)]
    assert not isinstance(term, ox.BlankNode)
    return [k.view(term, lang)]


def _value_label(column: Column, value: Value, k: Knowledge, lang: str) -> str:
    if isinstance(value, ox.NamedNode):
        return k.label(value.value, lang)
    if column.kind == "year":
        return readable(ox.Literal(value.value, datatype=_G_YEAR), lang)
    return value.value


def _facets(
    view: View, solutions: ox.QuerySolutions, k: Knowledge, here: str
) -> tuple[int, list[Facet]]:
    """The view's row count and its facets, each value linked to the view with it (or without
    it, when it is a filter already), the most frequent first, then by label."""
    total = 0
    counted: dict[str, list[tuple[Value, int]]] = defaultdict(list)
    for solution in solutions:
        facet, value, count = solution["facet"], solution["value"], solution["count"]
        assert isinstance(count, ox.Literal)
        if facet is None:
            total = int(count.value)
        elif isinstance(value, ox.NamedNode | ox.Literal):
            counted[facet.value].append((value, int(count.value)))
    facets = []
    for column in view.table.facets:
        values = []
        for value, count in counted.get(column.key, []):
            chosen = Filter(column, value)
            selected = chosen in view.filters
            filters = (
                tuple(f for f in view.filters if f != chosen)
                if selected
                else (*view.filters, chosen)
            )
            href = f"{here}?{query_string(view, filters=filters)}"
            label = _value_label(column, value, k, view.lang)
            values.append(FacetValue(token(value), label, count, href, selected))
        values.sort(key=lambda v: (-v.count, sort_key(v.label, view.lang), v.token))
        facets.append(
            Facet(
                column.key,
                heading_text(k, column, view.lang),
                values[:FACET_VALUES],
                more=len(values) > FACET_VALUES,
            )
        )
    return total, facets


def _headings(view: View, k: Knowledge, here: str) -> list[Heading]:
    """The entity's heading, then each column's, each linked to the view sorted by it (the
    sorted column's link turns the order round)."""
    table = view.table
    headings = []
    for column in (None, *table.columns):
        current = column == view.sort
        descending = current and not view.descending
        href = f"{here}?{query_string(view, sort=(column, descending))}"
        state = ("descending" if view.descending else "ascending") if current else ""
        if column is None:
            text, key, kind = k.label(table.cls, view.lang), table.entity, "entity"
        else:
            text, key, kind = heading_text(k, column, view.lang), column.key, column.kind
        headings.append(Heading(key, text, href, kind, state))
    return headings


async def _select(request: Request, site: Site, text: str) -> ox.QuerySolutions | Response:
    """The solutions of ``text`` (the server's own: ``own_text``, see ``execution``), refused
    as ``/sparql`` refuses a query; the error Response if not."""
    result = await answer(request, site, text, suffix="json", own_text=True)
    if isinstance(result, Response):
        return result
    parsed = ox.parse_query_results(result.outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions), "a SELECT gives solutions"
    return parsed


async def browsed(request: Request, site: Site, view: View, path: str) -> Browsed | Response:
    """The view's page: its facets and row count, then its rows, each from its own query."""
    k = site.knowledge
    lang = view.lang
    _ = translator(lang)
    here = site.root(request) + path
    facets_text, rows_text = facets_query(view), rows_query(view)
    counted = await _select(request, site, facets_text)
    if isinstance(counted, Response):
        return counted
    total, facets = _facets(view, counted, k, here)
    solutions = await _select(request, site, rows_text)
    if isinstance(solutions, Response):
        return solutions
    table = view.table
    rows = [
        [
            [k.view(solution[table.entity], lang)],
            *(_values(c, solution[c.var], k, lang) for c in table.columns),
        ]
        for solution in solutions
    ]
    chips = [
        Chip(
            heading_text(k, f.column, lang),
            _value_label(f.column, f.value, k, lang),
            f"{here}?{query_string(view, filters=tuple(o for o in view.filters if o != f))}",
        )
        for f in view.filters
    ]
    current = query_string(view, page=view.page)
    sparql = site.root(request) + "/sparql?"
    links = {
        "clear": f"{here}?{query_string(view, filters=())}",
        "csv": f"{here}.csv?{current}",
        "json": f"{here}.json?{current}",
        "sparql": sparql + urlencode({"query": rows_text}),
        "facets_sparql": sparql + urlencode({"query": facets_text}),
    }
    if view.page > 1:
        links["previous"] = f"{here}?{query_string(view, page=view.page - 1)}"
    if view.page * PAGE_ROWS < total:
        links["next"] = f"{here}?{query_string(view, page=view.page + 1)}"
    return Browsed(
        view,
        table.title(_),
        _headings(view, k, here),
        rows,
        total,
        facets,
        chips,
        links,
        rows_text,
        facets_text,
        table.year_rule(_) if table.year_rule else "",
    )


def as_csv(page: Browsed) -> bytes:
    """The rows as CSV for spreadsheets: a byte-order mark, the headings, then one line a row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h.text for h in page.headings] + ["IRI"])
    for row in page.rows:
        cells = ["; ".join(v.text if v.kind == "iri" else v.value for v in cell) for cell in row]
        writer.writerow([*cells, row[0][0].value])
    return BOM + out.getvalue().encode("utf-8")


def _json_value(view: TermView) -> dict[str, str]:
    if view.kind == "iri":
        return {"iri": view.value, "label": view.text}
    return {"value": view.value, "datatype": view.datatype, "text": view.shown or view.text}


def as_json(page: Browsed) -> bytes:
    """The rows, the facets and the query as a JSON document for scripts."""
    document: dict[str, Any] = {
        "table": page.view.table.name,
        "title": page.title,
        "lang": page.view.lang,
        "total": page.total,
        "page": page.view.page,
        "page_rows": PAGE_ROWS,
        "filters": [
            {"column": f.column.key, "value": token(f.value), "label": chip.label}
            for f, chip in zip(page.view.filters, page.chips, strict=True)
        ],
        "sort": page.view.sort.key if page.view.sort else page.view.table.entity,
        "descending": page.view.descending,
        "columns": [{"key": h.key, "label": h.text} for h in page.headings],
        "rows": [
            {
                h.key: [_json_value(v) for v in cell]
                for h, cell in zip(page.headings, row, strict=True)
            }
            for row in page.rows
        ],
        "facets": [
            {
                "column": facet.key,
                "label": facet.heading,
                "more": facet.more,
                "values": [
                    {"value": v.token, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in facet.values
                ],
            }
            for facet in page.facets
        ],
        "sparql": page.rows_sparql,
        "links": {name: href for name, href in page.links.items() if "sparql" not in name},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _endpoint(table: Table) -> Callable[[Request], Awaitable[Response]]:
    """The handler of one table, at ``/NAME`` and ``/NAME.csv`` / ``/NAME.json``."""

    async def browse(request: Request) -> Response:
        site = site_of(request)
        lang = language(request)
        _ = translator(lang)
        try:  # a bad parameter is the first thing to hear about, whatever the format
            view = read_view(table, request.query_params, lang, site.knowledge, _)
        except BadParameter as error:
            return site.error(request, 400, str(error))
        suffix = request.path_params.get("suffix", "")
        chosen = negotiate(request, OFFERS, suffix=suffix or None)
        if chosen is None:
            return site.error(
                request,
                404 if suffix else 406,
                _(
                    "This table is offered as HTML, JSON (/{name}.json) and CSV (/{name}.csv).",
                    name=table.name,
                ),
            )
        page = await browsed(request, site, view, f"/{table.name}")
        if isinstance(page, Response):
            return page
        if chosen.offer is CSV:
            body, media_type = as_csv(page), "text/csv; charset=utf-8"
        elif chosen.offer is JSON:
            body, media_type = as_json(page), "application/json"
        else:
            return site.page(request, "browse.html", title=page.title, b=page)
        return site.representation(request, body, media_type, vary_language=True)

    browse.__name__ = f"browse_{table.name}"
    return browse


routes = [
    route
    for table in TABLES.values()
    for route in (
        Route(f"/{table.name}", _endpoint(table), methods=["GET", "HEAD"]),
        Route(f"/{table.name}.{{suffix}}", _endpoint(table), methods=["GET", "HEAD"]),
    )
]
