"""The canned queries (``queries/*.rq``) under ``/queries/``: a form each, results in every format.

``/queries/NAME?param=value`` prepares the text as every runner of a canned query
does (``queries.prepare``: a short name or slug read as the IRI it names, parameters
bound as terms, never text spliced into the query; federated groups pinned to our
linked items) and runs it through the same worker pool, limits and SERVICE
allow-list as ``/sparql``. A suffix (``.csv``) or ``?format=`` picks the format.

Browsers get a form they can fill in without JavaScript: an IRI parameter with a
few values is a ``<select>``, one with many a text field with a ``<datalist>`` of
the values' labels in both languages. A page opened without a required value is
that form (200), with the example filled in; a value that names nothing, or more
than one thing, is the form again with one line saying why (400). Results are a
table a reader reads: headings from the query's header, IRIs as labelled links,
values without their datatypes, label columns folded into the link they label.

A SELECT's rows are read from the worker as SPARQL JSON, their GROUP_CONCAT
cells put in order (``tables.json_in_order``, as the CLI and the release's CSV
files have them) and then written in the format asked for; SPARQL JSON with no
such cells goes out as the worker wrote it. CSV starts with a UTF-8 byte-order
mark for spreadsheets unless the address says ``bom=0``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import QueryError
from ..formats import Format, by_name
from ..queries import CannedQuery, Parameter, ParameterError, expand, prepare, slug
from ..sparqltext import form_of
from ..tables import compact, json_in_order, results_bytes
from .execution import (
    GRAPH_OFFERS,
    RESULT_OFFERS,
    Finish,
    answer,
    html_table,
    raw_response,
)
from .i18n import translator
from .knowledge import TermView, other_language
from .negotiate import FORMAT_PARAMETERS, HTML, Choice, Page, negotiate
from .site import Site, language, site_of
from .workers import Outcome

#: What the page reads itself, never a parameter of the query.
RESERVED = (*FORMAT_PARAMETERS, "lang", "bom")
#: Values an IRI parameter may take for its form to offer a ``<select>``; with more, the
#: field is typed into, with the values' labels offered as the reader types.
SELECT_LIMIT = 12
_JSON = by_name("json", "results")


@dataclass(frozen=True)
class Option:
    """One value a form offers: its short form (what is sent) and its labels."""

    value: str
    text: str
    selected: bool = False


@dataclass(frozen=True)
class Field:
    """One parameter as its form shows it; ``kind`` is ``select``, ``datalist`` or ``text``."""

    name: str
    label: str
    required: bool
    kind: str
    value: str = ""
    options: tuple[Option, ...] = ()
    hint: str = ""


@dataclass
class Table:
    """A result as a reader reads it: a heading per shown column, cells as ``fact`` shows them."""

    headings: list[str] = field(default_factory=list)
    rows: list[list[TermView | None]] = field(default_factory=list)
    boolean: bool | None = None
    total: int = 0


async def index(request: Request) -> Response:
    """Every canned query with its title, description and parameters."""
    site = site_of(request)
    _ = translator(language(request))
    return site.page(
        request, "queries.html", title=_("Canned queries"), queries=list(site.catalogue)
    )


async def canned(request: Request) -> Response:
    """One canned query, bound with the request's parameters, in the format asked for."""
    site = site_of(request)
    lang = language(request)
    _ = translator(lang)
    name = request.path_params["name"]
    suffix = ""
    if name not in site.catalogue.queries and "." in name:
        name, suffix = name.rsplit(".", 1)
    query = site.catalogue.queries.get(name)
    if query is None:
        known = ", ".join(site.catalogue.queries)
        message = _(
            "There is no canned query {name}; the queries are: {known}.", name=name, known=known
        )
        return site.error(request, 404, message)
    values = {
        key: value.strip()
        for key, value in request.query_params.items()
        if key not in RESERVED and value.strip()
    }
    bom = request.query_params.get("bom", "1")
    if bom not in ("0", "1"):
        return site.error(
            request,
            400,
            _(
                "bom={value}: write bom=1 (CSV starts with a byte-order mark, the default) or bom=0 (it does not).",
                value=bom,
            ),
        )
    graph = form_of(query.text) in ("construct", "describe")
    chosen = negotiate(request, GRAPH_OFFERS if graph else RESULT_OFFERS, suffix=suffix or None)
    wants_html = chosen is not None and chosen.offer is HTML
    page = _Page(site, request, query, values)
    try:
        text = prepare(query, values, site.knowledge.store)
    except ParameterError as problem:
        if not wants_html:
            return site.error(request, 400, explain(problem, lang, form=False))
        missing = problem.kind == "missing"  # nothing is wrong yet: the form is to be filled in
        message = explain(problem, lang, form=True, query=query)
        return page.show(200 if missing else 400, text=query.text, problem=message, missing=missing)
    except QueryError as error:  # a header or text the catalogue could not bind into
        return site.error(request, 400, str(error))
    # A SELECT or ASK is read as SPARQL JSON and written afterwards in the format chosen.
    finish = None if graph or chosen is None else _finish(query, chosen, bom=bom == "1")
    suffix_asked = "json" if finish is not None else suffix or None
    result = await answer(request, site, text, suffix=suffix_asked, finish=finish, own_text=True)
    if isinstance(result, Response):
        return result
    if finish is not None:
        assert chosen is not None
        result = dataclasses.replace(result, offer=chosen.offer, media_type=chosen.media_type)
    if not result.is_html:
        return raw_response(site, request, result)
    raw = result.table or await html_table(site, result, lang)
    return page.show(200, text=text, table=readable_table(query, raw, lang))


def _finish(query: CannedQuery, chosen: Choice[Format | Page], *, bom: bool) -> Finish:
    """The worker's SPARQL JSON with its GROUP_CONCAT cells in order, in the chosen format
    (still JSON for a page, which makes its table from it)."""
    fmt = chosen.offer if isinstance(chosen.offer, Format) else _JSON
    assert fmt is not None and fmt.results_format is not None
    results_format = fmt.results_format

    def written(outcome: Outcome) -> Outcome:
        body = outcome.body
        if outcome.form == "solutions" and query.concatenated:
            body = json_in_order(body, query.concatenated)
        if results_format != ox.QueryResultsFormat.JSON:
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            body = results_bytes(parsed, results_format, bom=bom)
        # SPARQL JSON asked for goes out as the worker wrote it, but for the reordered cells:
        # read and written again, a large answer would cost as long as the engine took.
        return dataclasses.replace(outcome, body=body, media_type=fmt.media_type)

    return Finish(f"canned {query.name} {fmt.name} bom={int(bom)}", written)


class _Page:
    """The query's HTML page: the form with what was asked, the text, the links, the answer."""

    def __init__(self, site: Site, request: Request, query: CannedQuery, values: dict[str, str]):
        self.site, self.request, self.query, self.values = site, request, query, values
        self.lang = language(request)

    def show(self, status: int, **outcome: Any) -> Response:
        query, values = self.query, self.values
        graph = form_of(query.text) in ("construct", "describe")
        formats = [f for f in (GRAPH_OFFERS if graph else RESULT_OFFERS) if isinstance(f, Format)]
        asked = urlencode(values)
        links = [
            (f.name, f"{query.name}.{f.extension}" + (f"?{asked}" if asked else ""), f.media_type)
            for f in formats
        ]
        if not graph:
            _ = translator(self.lang)
            plain = f"{query.name}.csv?{urlencode({**values, 'bom': '0'})}"
            after_csv = [f.name for f in formats].index("csv") + 1
            links.insert(after_csv, (_("CSV without byte-order mark"), plain, "text/csv"))
        context = {"table": None, "problem": "", "missing": False, **outcome}
        return self.site.page(
            self.request,
            "query.html",
            status=status,
            title=query.title_in(self.lang),
            query=query,
            fields=[self._field(p) for p in query.parameters],
            example=self._example(),
            links=links,
            **context,
        )

    def _field(self, parameter: Parameter) -> Field:
        """The form's field for ``parameter``: what was asked, else (a required one) the example."""
        _ = translator(self.lang)
        raw = self.values.get(parameter.name, "")
        if not raw and parameter.required:
            raw = self.query.example.get(parameter.name, "")
        label = parameter.describe(self.lang)
        if parameter.type != "iri":
            return Field(parameter.name, label, parameter.required, "text", raw)
        store = self.site.knowledge.store
        try:
            chosen = parameter.resolve(raw, store) if raw else ""
        except ParameterError:
            chosen = ""
        candidates = parameter.candidates(store)
        kind = "select" if len(candidates) <= SELECT_LIMIT else "datalist"
        options = tuple(
            Option(value, self._option_text(iri, both=kind == "datalist"), iri == chosen)
            for iri, value in sorted(
                ((iri, compact(ox.NamedNode(iri))) for iri in candidates),
                key=lambda pair: self.site.knowledge.label(pair[0], "en").casefold(),
            )
        )
        hint = ""
        if kind == "datalist":
            example = expand(self.query.example.get(parameter.name) or candidates[0])
            hint = _(
                "Type a name in English or Chinese and pick it from the list, or write a "
                "short name such as {example} or a full IRI.",
                example=compact(ox.NamedNode(example)),
            )
        return Field(parameter.name, label, parameter.required, kind, raw, options, hint)

    def _option_text(self, iri: str, *, both: bool) -> str:
        """A value's label in the reader's language, and (type-ahead matches either) the other's."""
        knowledge = self.site.knowledge
        first = knowledge.label(iri, self.lang)
        second = knowledge.labels.get(iri, {}).get(other_language(self.lang), "")
        return f"{first} · {second}" if both and second and second != first else first

    def _example(self) -> tuple[str, list[tuple[str, str]]] | None:
        """The example's address and its values as a reader reads them, if the query has one."""
        query = self.query
        if not query.example:
            return None
        shown = []
        for name, raw in query.example.items():
            parameter = next((p for p in query.parameters if p.name == name), None)
            text = raw
            if parameter is not None and parameter.type == "iri":
                text = self.site.knowledge.label(expand(raw), self.lang)
            shown.append((name, text))
        href = f"{query.name}?{urlencode({**query.example, 'lang': self.lang})}"
        return href, shown


def readable_table(query: CannedQuery, raw: Any, lang: str) -> Table:
    """The worker's result table as a reader reads it: the header's headings in ``lang``; a
    column that labels an IRI of another column (``of=``) folded into that IRI's link, a
    column of the query's own words read in ``lang`` where it gives them (``step_zh
    of=step``), and a column with no value in any row left out (the downloads keep every
    column)."""
    if raw.boolean is not None:
        return Table(boolean=raw.boolean, total=1)
    variables: list[str] = raw.variables
    keep = [
        index
        for index, name in enumerate(variables)
        if query.column(name).of not in variables
        and any(row[index] is not None for row in raw.rows)
    ]
    # A column's words in the reader's language: the ``of=`` column named ``…_{lang}``.
    words_in = {
        variables.index(column.of): index
        for index, column in enumerate(map(query.column, variables))
        if column.of in variables and column.name.endswith(f"_{lang}")
    }
    return Table(
        headings=[query.column(variables[i]).heading(lang) for i in keep],
        rows=[[_in_language(row, i, words_in.get(i)) for i in keep] for row in raw.rows],
        total=raw.total,
    )


def _in_language(row: list[Any], index: int, words: int | None) -> Any:
    """The cell at ``index``, or, where it holds a literal the query wrote and ``words`` is
    the column of those words in the reader's language, that column's cell (an IRI keeps
    its link, which the reader's language already labels)."""
    cell = row[index]
    if words is None or cell is None or cell.kind != "literal" or row[words] is None:
        return cell
    return row[words]


def explain(
    problem: ParameterError, lang: str, *, form: bool, query: CannedQuery | None = None
) -> str:
    """``problem`` in one sentence of ``lang``; ``form``: the reader has the form of ``query``
    in front of them, whose fields are headed by the parameters' descriptions (``labels``)."""
    _ = translator(lang)
    name, value, example = problem.parameter, problem.value, problem.example
    if problem.kind == "missing":
        if form and query is not None:
            missing = name.split(", ")
            labels = [p.describe(lang) for p in query.parameters if p.name in missing]
            return _(
                "This query needs {names}: fill in the form and run it.",
                names=name,
                labels="、".join(labels) if lang == "zh" else ", ".join(labels),
            )
        return _("This query needs {names}; for example: {example}.", names=name, example=example)
    if problem.kind == "unexpected":
        if problem.choices:
            return _(
                "This query has no parameter {names}; its parameters are: {known}.",
                names=name,
                known=", ".join(problem.choices),
            )
        return _("This query has no parameter {names}; it takes none.", names=name)
    if problem.kind == "ambiguous":
        return _(
            "{name}={value} names more than one thing: {choices}; pick the one you mean.",
            name=name,
            value=value,
            choices=", ".join(problem.choices),
        )
    if problem.kind == "absent":
        return _(
            "{name}={value} is not a value it takes in this graph; pick one from the list or write, for example, {example}.",
            name=name,
            value=value,
            example=example,
        )
    if problem.kind == "unknown":
        return _(
            "{name}={value} is not an IRI, nor the prefixed name, slug or label of a value it takes; pick one from the list or write, for example, {example} or {slug}.",
            name=name,
            value=value,
            example=example,
            slug=slug(expand(example)),
        )
    expected = {
        "integer": _("{name}={value} is not a whole number."),
        "date": _("{name}={value} is not a date: write 2025-07-27, 2025-07 or 2025."),
    }
    return expected.get(
        problem.value_type,
        _(
            "{name}={value} is not an IRI: write a full IRI or a prefixed name such as region:guangdong."
        ),
    ).format(name=name, value=value)


routes = [
    Route("/queries/", index, methods=["GET", "HEAD"]),
    Route("/queries/{name}", canned, methods=["GET", "HEAD"]),
]
