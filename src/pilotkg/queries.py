"""The canned-query catalogue: ``queries/*.rq`` read once, for the CLI, the web and the tests.

Each file starts with a header of ``# key: value`` comment lines; a key with ``@zh``
gives the Chinese of the line without it::

    # title: Pilot zones by programme and batch
    # title@zh: 按计划和批次列出的试点区
    # description: Every pilot zone with its programme, batch and regions.
    # description@zh: 每个试点区及其所属计划、批次和地区。
    # param: programme iri optional values=pilot:programme  Only zones of this programme
    # param@zh: programme 只列出该计划的试点区
    # example: programme=programme:miit-ai-innovation-application-pilot-zones
    # column: zone Zone
    # column@zh: zone 试点区
    # column: label_en of=zone
    # endpoint: https://query.wikidata.org/sparql   (federated queries only)

An IRI parameter may say where its values come from, which is what a form offers
and what a short name is looked up in (``Domain``): ``class=pilot:Region`` (the
members of one or more classes, separated by commas), ``values=pilot:field`` (the
values a property takes in the data) or ``one-of=pilot:Region,org:Organization``;
without one, anything the graph labels. A ``column`` line gives a result column
its heading; ``of=VAR`` marks a column that holds the label of the IRI in ``VAR``,
which a page shows as that IRI's link instead of a column of its own, or, where
``VAR`` holds words the query writes itself (a step, a relation), those words in
the language its name ends with (``step_zh of=step``), which a reader of that
language reads in their place.

Parameters are bound as RDF terms, never spliced into the text as strings:
a value is first turned into a validated pyoxigraph term, and that term's
N-Triples form goes into a ``VALUES`` block opened at the start of the query's
``WHERE`` group. Quotes, braces and ``}`` inside a value are escaped by the
term's own syntax, so they cannot change the query. Because the bound query is
plain SPARQL, the same text runs on the embedded store and on remote stores.

An IRI parameter takes a full IRI, a prefixed name (``region:guangdong``, the short
form the site prints) or, given the store, a bare slug (``guangdong``) or an exact
label (``广东省``) of one of its values; ``CannedQuery.resolve`` is the one place
that reads them, for the CLI and the web alike, and a name that is unknown or names
two things is a ``ParameterError``, never an empty answer.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from .errors import QueryError
from .federation import pin_linked_items
from .namespaces import DATASET_IRI, PREFIXES, RDF, RDFS, XSD
from .sparqltext import (
    Token,
    iri_value,
    nesting_depth,
    string_value,
    subselect_groups,
    tokens,
    where_group,
)
from .tables import compact, in_order

PARAM_TYPES: dict[str, str] = {
    "iri": "an IRI such as https://w3id.org/pilotkg/id/region/shenzhen",
    "string": "any text",
    "integer": "a whole number",
    "date": "a date, year-month or year such as 2025-07-27, 2025-07 or 2025",
}
_LABEL = ox.NamedNode(RDFS + "label")
_TYPE = ox.NamedNode(RDF + "type")


class ParameterError(QueryError):
    """A value a canned query cannot be run with, said so that each front end can word it.

    ``kind`` is what is wrong: ``missing`` (required parameters not given, all named in
    ``parameter``), ``unexpected`` (parameters the query does not have), ``malformed``
    (not of the parameter's type), ``unknown`` (no value has that name), ``absent`` (an
    IRI the parameter does not take in this graph) or ``ambiguous`` (a name of several
    values, listed in ``choices``). ``example`` is a value that works, in short form; ``value_type`` the type a
    ``malformed`` value is not.
    The message (``str``) is the English line the CLI prints.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        parameter: str,
        value: str = "",
        choices: tuple[str, ...] = (),
        example: str = "",
        value_type: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.parameter = parameter
        self.value = value
        self.choices = choices
        self.example = example
        self.value_type = value_type


@dataclass(frozen=True)
class Domain:
    """Where an IRI parameter's values come from: ``how`` is ``class`` (members of the
    classes ``iris``), ``values`` (the IRIs the property ``iris[0]`` points at), ``one-of``
    (``iris`` themselves) or ``""`` (every IRI the graph gives an ``rdfs:label``, which
    bare names are looked up among; a full IRI is taken if the graph mentions it at all)."""

    how: str = ""
    iris: tuple[str, ...] = ()

    def members(self, store: ox.Store) -> list[str]:
        """The IRIs a parameter of this domain takes in ``store``, sorted."""
        if self.how == "one-of":
            return sorted(self.iris)
        terms: list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
        if self.how == "class":
            terms = [
                q.subject
                for cls in self.iris
                for q in store.quads_for_pattern(None, _TYPE, ox.NamedNode(cls))
            ]
        elif self.how == "values":
            property_ = ox.NamedNode(self.iris[0])
            terms = [q.object for q in store.quads_for_pattern(None, property_, None)]
        else:
            terms = [q.subject for q in store.quads_for_pattern(None, _LABEL, None)]
        return sorted({term.value for term in terms if isinstance(term, ox.NamedNode)})

    def holds(self, store: ox.Store, iri: str) -> bool:
        """Whether ``iri`` is one of ``members``: one index lookup, not the list (which, for a
        parameter without a domain, holds every labelled IRI of the graph)."""
        if self.how == "one-of":
            return iri in self.iris
        node = ox.NamedNode(iri)
        patterns: list[tuple[ox.NamedNode | None, ox.NamedNode, ox.NamedNode | None]]
        if self.how == "class":
            patterns = [(node, _TYPE, ox.NamedNode(cls)) for cls in self.iris]
        elif self.how == "values":
            patterns = [(None, ox.NamedNode(self.iris[0]), node)]
        else:
            patterns = [(node, _LABEL, None)]
        return any(next(iter(store.quads_for_pattern(*pattern)), None) for pattern in patterns)


def expand(name: str) -> str:
    """A prefixed name of the project's prefixes (``region:guangdong``) as its IRI; anything
    else unchanged. ``region:guangdong`` is also a well-formed IRI of the scheme ``region``,
    so it must be read as a prefixed name before it is read as an IRI, or it finds nothing."""
    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


def slug(iri: str) -> str:
    """The last segment of an IRI (after its last ``/`` or ``#``), casefolded: what a bare
    name is compared with."""
    return re.split(r"[/#]", iri.rstrip("/#"))[-1].casefold()


@dataclass(frozen=True)
class Parameter:
    """A named input of a canned query: ``?name`` in the text."""

    name: str
    type: str
    required: bool
    description: str
    description_zh: str = ""
    domain: Domain = field(default_factory=Domain)

    def describe(self, lang: str) -> str:
        """The description in ``lang`` (``en`` or ``zh``), else in English."""
        return (self.description_zh if lang == "zh" else "") or self.description

    def term(self, raw: str) -> ox.NamedNode | ox.Literal:
        """``raw`` as an RDF term of this parameter's type (a prefixed name of the project's
        prefixes is expanded); ParameterError says what was expected."""
        try:
            if self.type == "iri":
                return ox.NamedNode(expand(raw))
            if self.type == "integer":
                return _integer_literal(raw)
            if self.type == "date":
                return _date_literal(raw)
            return ox.Literal(raw)
        except ValueError as error:
            raise ParameterError(
                f"parameter {self.name}={raw!r} is not {PARAM_TYPES[self.type]} ({error})",
                kind="malformed",
                parameter=self.name,
                value=raw,
                value_type=self.type,
            ) from error

    def candidates(self, store: ox.Store) -> list[str]:
        """The IRIs this (IRI) parameter takes in ``store``, sorted."""
        return self.domain.members(store)

    def resolve(self, raw: str, store: ox.Store, example: str = "") -> str:
        """The full IRI that ``raw`` names among the values this parameter takes in ``store``
        (other types: ``raw`` itself): a full IRI or prefixed name that is one of them (for a
        parameter without a domain, any IRI the graph mentions), else the one whose slug,
        else whose label (either language), is ``raw`` ignoring case.

        ParameterError when ``raw`` is none of these (``unknown``; ``absent`` for a
        well-formed IRI the graph does not give this parameter) or names more than one
        value (``ambiguous``). ``example`` (else the first value) is named in the message as a
        value that works.
        """
        if self.type != "iri":
            return raw
        iri = expand(raw)
        if ":" in raw and is_iri(iri):
            if self.domain.holds(store, iri) or (not self.domain.how and mentioned(store, iri)):
                return iri
            shown = _shown(example or next(iter(self.candidates(store)), ""))
            raise ParameterError(
                f"parameter {self.name}={raw} is not a value it takes in this graph"
                + (f" (such as {shown})" if shown else ""),
                kind="absent",
                parameter=self.name,
                value=raw,
                example=shown,
            )
        members = self.candidates(store)
        example = example or next(iter(members), "")
        shown = _shown(example)
        wanted = raw.strip().casefold()
        found = [m for m in members if slug(m) == wanted] or _labelled(store, members, wanted)
        if len(found) == 1:
            return found[0]
        if found:
            choices = tuple(compact(ox.NamedNode(m)) for m in found)
            raise ParameterError(
                f"parameter {self.name}={raw!r} is ambiguous: it names {', '.join(choices)}; "
                "write the one you mean",
                kind="ambiguous",
                parameter=self.name,
                value=raw,
                choices=choices,
                example=shown,
            )
        hint = f" (such as {shown} or {slug(expand(example))})" if shown else ""
        raise ParameterError(
            f"parameter {self.name}={raw!r} is not an IRI, nor the prefixed name, slug or label "
            f"of a value it takes{hint}",
            kind="unknown",
            parameter=self.name,
            value=raw,
            example=shown,
        )


def _shown(example: str) -> str:
    """``example``, a value that works, as an error message names it (its prefixed name)."""
    return compact(ox.NamedNode(expand(example))) if example else ""


def is_iri(value: str) -> bool:
    """Whether ``value`` is an IRI the store accepts (no space, ``<``, ``"`` or control character)."""
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def mentioned(store: ox.Store, iri: str) -> bool:
    """Whether ``store`` has a triple about ``iri`` (an IRI: ``is_iri``) or pointing at it."""
    node = ox.NamedNode(iri)
    return any(True for _ in store.quads_for_pattern(node, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node)
    )


def _labelled(store: ox.Store, members: list[str], wanted: str) -> list[str]:
    """The ``members`` one of whose labels is ``wanted`` (casefolded)."""
    return [
        member
        for member in members
        if any(
            isinstance(q.object, ox.Literal) and q.object.value.casefold() == wanted
            for q in store.quads_for_pattern(ox.NamedNode(member), _LABEL, None)
        )
    ]


def _integer_literal(raw: str) -> ox.Literal:
    """``raw`` as an xsd:integer: ASCII digits with an optional sign (``int`` alone would also
    take ``1_000`` and other scripts' digits, which no SPARQL client writes)."""
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise ValueError("expected digits")
    return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))


def _date_literal(raw: str) -> ox.Literal:
    """``raw`` as an xsd:date, gYearMonth or gYear: a day, month or year of the calendar in
    ASCII digits. The shape alone would let 2025-13-45 through, a literal no date equals."""
    for pattern, datatype in (
        (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "date"),
        (r"[0-9]{4}-[0-9]{2}", "gYearMonth"),
        (r"[0-9]{4}", "gYear"),
    ):
        if re.fullmatch(pattern, raw):
            datetime.date.fromisoformat((raw + "-01-01")[:10])  # ValueError for no such day
            return ox.Literal(raw, datatype=ox.NamedNode(XSD + datatype))
    raise ValueError("expected YYYY-MM-DD, YYYY-MM or YYYY")


@dataclass(frozen=True)
class Column:
    """A result column's headings (by language) and, for a label column, the column of the
    IRI it labels (``of``)."""

    name: str
    headings: dict[str, str] = field(default_factory=dict)
    of: str = ""

    def heading(self, lang: str) -> str:
        """The heading in ``lang``, else in English, else the variable's name in words
        (``construction_started`` → "Construction started")."""
        words = self.name.replace("_", " ")
        return self.headings.get(lang) or self.headings.get("en") or words[:1].upper() + words[1:]


@dataclass(frozen=True)
class CannedQuery:
    """One ``queries/NAME.rq`` file with its header."""

    name: str
    path: Path
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = ()
    example: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    title_zh: str = ""
    description_zh: str = ""
    columns: dict[str, Column] = field(default_factory=dict)

    @property
    def federated(self) -> bool:
        """True for queries that reach another endpoint through SERVICE."""
        return bool(self.endpoint)

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (``en`` or ``zh``), else in English."""
        return (self.title_zh if lang == "zh" else "") or self.title

    def description_in(self, lang: str) -> str:
        """The description in ``lang``, else in English."""
        return (self.description_zh if lang == "zh" else "") or self.description

    def column(self, name: str) -> Column:
        """The column called ``name``, as the header declares it or by its name alone."""
        return self.columns.get(name) or Column(name)

    @cached_property
    def concatenated(self) -> dict[str, str]:
        """The columns the query fills with ``GROUP_CONCAT`` (name: separator)."""
        return group_concat_columns(self.text)

    def resolve(self, values: Mapping[str, str], store: ox.Store) -> dict[str, str]:
        """``values`` with each IRI parameter's name or slug read as its full IRI
        (``Parameter.resolve``); parameters the query does not have are left for ``bind``."""
        known = {p.name: p for p in self.parameters}
        return {
            name: known[name].resolve(raw, store, self.example.get(name, ""))
            if name in known
            else raw
            for name, raw in values.items()
        }

    def bind(self, values: Mapping[str, str] | None = None) -> str:
        """The query text with ``values`` bound; unknown or missing parameters raise
        ParameterError."""
        values = dict(values or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            offered = ", ".join(known) or "none"
            raise ParameterError(
                f"query {self.name} has no parameter {', '.join(unknown)} (parameters: {offered})",
                kind="unexpected",
                parameter=", ".join(unknown),
                choices=tuple(known),
            )
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        if missing:
            example = " ".join(f"{k}={v}" for k, v in self.example.items())
            raise ParameterError(
                f"query {self.name} needs {', '.join(missing)}: pass --param NAME=VALUE "
                f"(example: {example})",
                kind="missing",
                parameter=", ".join(missing),
                example=example,
            )
        if not values:
            return self.text
        terms = {name: known[name].term(raw) for name, raw in values.items()}
        block = " ".join(f"VALUES ?{name} {{ {term} }}" for name, term in sorted(terms.items()))
        inserts = [(self._where_group_offset, block)]
        # Also inside each sub-select that passes the parameter through (see subselect_groups).
        for name, term in sorted(terms.items()):
            inserts += [
                (brace + 1, f"VALUES ?{name} {{ {term} }}")
                for brace in self._subselect_groups[name]
            ]
        text = self.text
        for position, values_block in sorted(inserts, reverse=True):
            text = f"{text[:position]} {values_block} {text[position:]}"
        return text

    @cached_property
    def _subselect_groups(self) -> dict[str, list[int]]:
        """Per parameter, the WHERE groups of the sub-selects that project it
        (``subselect_groups``); found once per query, as the WHERE group is."""
        return {p.name: subselect_groups(self.text, p.name) for p in self.parameters}

    @cached_property
    def _where_group_offset(self) -> int:
        """Where bound ``VALUES`` go: just inside the ``{`` that opens the WHERE group.
        It is the same for every binding, so it is found once per query."""
        brace = where_group(self.text)
        if brace is None:
            raise QueryError(f"query {self.name} has no WHERE group to bind parameters into")
        return brace + 1


def group_concat_columns(text: str) -> dict[str, str]:
    """The variables a query binds to ``GROUP_CONCAT(…) AS ?name``, with their separators.

    >>> group_concat_columns("SELECT (GROUP_CONCAT(?x; SEPARATOR='|') AS ?xs) WHERE {}")
    {'xs': '|'}
    """
    toks = tokens(text)
    columns = {}
    for index, token in enumerate(toks):
        if token.is_keyword("group_concat") and index + 1 < len(toks):
            closing, separator = _group_concat_call(toks, index + 1)
            if (
                0 <= closing < len(toks) - 2
                and toks[closing + 1].is_keyword("as")
                and toks[closing + 2].kind == "var"
            ):
                columns[toks[closing + 2].text[1:]] = separator
    return columns


def _group_concat_call(toks: list[Token], opening: int) -> tuple[int, str]:
    """The index of the ``)`` that closes the call opened at ``toks[opening]`` (-1 when it
    is not a call or stays open) and the call's separator (SPARQL's default is a space)."""
    if not toks[opening].is_punct("("):
        return -1, " "
    depth = 0
    separator = " "
    for position in range(opening, len(toks)):
        token = toks[position]
        if token.kind == "punct" and token.text in ("(", "[", "{"):
            depth += 1
        elif token.kind == "punct" and token.text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return position, separator
        elif (
            depth == 1
            and token.is_punct(";")
            and position + 3 < len(toks)
            and toks[position + 1].is_keyword("separator")
            and toks[position + 2].is_punct("=")
            and toks[position + 3].kind == "string"
        ):
            separator = string_value(toks[position + 3])
    return -1, " "


Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


def prepare(canned: CannedQuery, values: Mapping[str, str] | None, store: ox.Store) -> str:
    """The text of ``canned`` as it is run on ``store``: ``values`` read as the terms they
    name (``CannedQuery.resolve``: a slug or a prefixed name is looked up in ``store``) and
    bound, and every ``SERVICE`` group that calls Wikidata pinned to the items ``store`` links.

    Every way of running a canned query (the CLI, the web's worker pool, the comparison
    with a remote store) starts from this text, so they all answer the same query;
    without the pin the remote part would ask Wikidata about everything it holds
    (see ``federation.pin_linked_items``). ParameterError says which value is wrong.
    """
    return pin_linked_items(canned.bind(canned.resolve(values or {}, store)), store)


@contextmanager
def engine_errors(canned: CannedQuery) -> Iterator[None]:
    """What the engine raises for ``canned``, inside the block, as one QueryError.

    The engine reads solutions lazily and makes a SERVICE call only once its rows
    are asked for, so a failing endpoint raises while the results are read: read
    them inside the block too.
    """
    try:
        yield
    except SyntaxError as error:
        raise QueryError(f"{canned.path}: {error}") from error
    except OSError as error:  # SERVICE calls fail as I/O errors
        raise QueryError(f"query {canned.name} failed: {error}") from error


def dataset_graphs(
    text: str, default_graphs: tuple[str, ...] = ()
) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None:
    """The default graph to give the engine for ``text``, or None to leave it to the query.

    The service description (and the README) name our data by the dataset IRI, and
    ``pilotkg load`` users write ``FROM <https://w3id.org/pilotkg/dataset>`` against their
    own store; the embedded store keeps the data in its default graph, where that IRI
    would find an empty named graph. So the dataset IRI, given as ``default-graph-uri``
    or as the only IRI of a query's ``FROM`` (with no ``FROM NAMED``), means the default
    graph, and the same query gives the same answer here and there.
    """
    if default_graphs:
        return [ox.DefaultGraph() if g == DATASET_IRI else ox.NamedNode(g) for g in default_graphs]
    if "from" not in text.lower():  # no FROM keyword can be read: skip the tokenising
        return None
    froms: list[str] = []
    toks = tokens(text)
    for index, token in enumerate(toks[:-1]):
        if token.is_keyword("from"):
            following = toks[index + 1]
            if following.is_keyword("named"):
                return None
            if following.kind == "iri":
                froms.append(iri_value(following))
    return [ox.DefaultGraph()] if froms and set(froms) == {DATASET_IRI} else None


def run(store: ox.Store, canned: CannedQuery, values: Mapping[str, str] | None = None) -> Results:
    """``canned`` with ``values`` (see ``prepare``) run on ``store``, the parts of its
    GROUP_CONCAT cells in one order (``tables.in_order``), as every front end shows them;
    QueryError for a bad value, a text the engine rejects, or a SERVICE call that fails
    (read the results inside ``engine_errors`` for that last one).
    """
    text = prepare(canned, values, store)
    with engine_errors(canned):
        results = store.query(text, default_graph=dataset_graphs(text))
        if isinstance(results, ox.QuerySolutions) and canned.concatenated:
            return in_order(results, canned.concatenated)
        return results


#: How deep ``{ }``, ``( )`` and ``[ ]`` may nest in a query. The engines parse SPARQL
#: by recursive descent, one stack frame per level: pyoxigraph's parser overruns its
#: thread's stack and takes the process down with it (a segmentation fault, which no
#: ``except`` can catch), and its time grows steeply with the depth of nested square
#: brackets. Hand-written queries nest a few levels; the limit leaves a wide margin
#: below the depth at which even a small thread stack gives out.
MAX_NESTING = 64
#: How many opening brackets a query may hold at all, counted everywhere (strings and
#: comments too). This bounds the nesting an engine can meet whatever the scanner makes
#: of the text: ``<`` opens an IRI and is also less-than, and a text written to be read
#: one way by the scanner and the other way by the engine could hide brackets in what
#: the scanner takes for a string.
MAX_BRACKETS = 1_000


def nesting_problem(text: str) -> str | None:
    """Why ``text`` nests too deep to hand to a SPARQL engine (starting with its
    ``line:column`` when there is one), or None when it is fine."""
    depth, offset = nesting_depth(text, limit=MAX_NESTING)
    if depth > MAX_NESTING:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return (
            f"{line}:{column}: brackets nest more than {MAX_NESTING} deep "
            "(SPARQL parsers recurse once per level and can crash): flatten the query"
        )
    brackets = sum(text.count(char) for char in "{([")
    if brackets > MAX_BRACKETS:
        return (
            f"holds {brackets} opening brackets, more than the {MAX_BRACKETS} a query may "
            "hold (SPARQL parsers recurse on brackets and can crash): split the query"
        )
    return None


def check_query_text(text: str, shown: str) -> None:
    """QueryError naming ``shown`` (the file) when ``text`` nests too deep for the engines.

    Every query text goes through here before an engine parses it, because a
    crash in the engine's parser ends the process before any clean-up can run.
    """
    problem = nesting_problem(text)
    if problem is not None:
        separator = ":" if problem[0].isdigit() else ": "
        raise QueryError(f"{shown}{separator}{problem}")


def read_query_text(path: Path, shown: str | None = None) -> str:
    """The text of a ``.rq`` file, checked by ``check_query_text``; QueryError naming
    the file when it cannot be read, is not UTF-8 or nests too deep."""
    shown = shown or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise QueryError(f"{shown}: not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise QueryError(f"{shown}: cannot read: {error.strerror}") from error
    check_query_text(text, shown)
    return text


_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+(?:@[a-z]+)?)\s*:\s*(?P<value>.*?)\s*$")
_DOMAINS = ("class", "values", "one-of")


def parse_query_file(path: Path, *, require_title: bool = True) -> CannedQuery:
    """A CannedQuery from a ``.rq`` file; a missing title (in the catalogue) or a bad
    param or column line raises QueryError."""
    text = read_query_text(path)
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            header.setdefault(match["key"], []).append(match["value"])
    if "title" not in header and require_title:
        raise QueryError(f"{path}: the header has no '# title:' line")
    chinese = _named_lines(path, header, "param@zh")
    parameters = tuple(_parse_param(path, line, chinese) for line in header.get("param", []))
    _check_names(path, "param", chinese, {p.name for p in parameters})
    example = dict(
        pair.split("=", 1)
        for line in header.get("example", [])
        for pair in line.split()
        if "=" in pair
    )
    return CannedQuery(
        name=path.stem,
        path=path,
        title=header.get("title", [path.stem])[0],
        description=" ".join(header.get("description", [])),
        text=text,
        parameters=parameters,
        example=example,
        endpoint=(header.get("endpoint") or [""])[0],
        title_zh=(header.get("title@zh") or [""])[0],
        description_zh="".join(header.get("description@zh", [])),
        columns=_parse_columns(path, header),
    )


def _named_lines(path: Path, header: dict[str, list[str]], key: str) -> dict[str, str]:
    """``# KEY: NAME text`` lines as {NAME: text}."""
    named = {}
    for line in header.get(key, []):
        name, _, rest = line.partition(" ")
        if not rest.strip():
            raise QueryError(f"{path}: bad '# {key}: {line}': write '# {key}: NAME text'")
        named[name] = rest.strip()
    return named


def _check_names(path: Path, key: str, lines: dict[str, str], known: set[str]) -> None:
    """QueryError for a ``KEY@zh`` line whose NAME has no ``KEY`` line (a typo, or a rename)."""
    stray = sorted(set(lines) - known)
    if stray:
        raise QueryError(f"{path}: '# {key}@zh: {stray[0]} …' has no '# {key}: {stray[0]} …' line")


def _parse_param(path: Path, line: str, chinese: dict[str, str]) -> Parameter:
    parts = line.split(None, 3)
    if len(parts) < 3 or parts[1] not in PARAM_TYPES or parts[2] not in ("optional", "required"):
        raise QueryError(
            f"{path}: bad '# param: {line}': write '# param: NAME TYPE optional|required "
            f"[class=…|values=…|one-of=…] description' with TYPE one of {', '.join(PARAM_TYPES)}"
        )
    description = parts[3] if len(parts) > 3 else ""
    domain = Domain()
    key, equals, rest = description.partition("=")
    if equals and " " not in key:
        if key not in _DOMAINS or parts[1] != "iri":
            raise QueryError(
                f"{path}: bad '# param: {line}': an iri parameter may say class=, values= or "
                "one-of= where its values come from"
            )
        names, _, description = rest.partition(" ")
        domain = Domain(key, tuple(_header_iri(path, line, name) for name in names.split(",")))
    return Parameter(
        parts[0],
        parts[1],
        parts[2] == "required",
        description.strip(),
        chinese.get(parts[0], ""),
        domain,
    )


def _header_iri(path: Path, line: str, name: str) -> str:
    """A prefixed name (or ``<IRI>``) of a header line as its IRI; QueryError otherwise."""
    iri = name[1:-1] if name.startswith("<") and name.endswith(">") else expand(name)
    if iri == name or not is_iri(iri):
        raise QueryError(
            f"{path}: bad '# param: {line}': {name!r} is neither a prefixed name of the "
            "project's prefixes nor an <IRI>"
        )
    return iri


def _parse_columns(path: Path, header: dict[str, list[str]]) -> dict[str, Column]:
    """The ``# column:`` lines (``NAME [of=VAR] [heading]``) with their ``@zh`` headings."""
    chinese = _named_lines(path, header, "column@zh")
    columns = {}
    for line in header.get("column", []):
        name, _, rest = line.partition(" ")
        of = ""
        if rest.startswith("of="):
            of, _, rest = rest[3:].partition(" ")
        headings = {"en": rest.strip(), "zh": chinese.get(name, "")}
        columns[name] = Column(name, {k: v for k, v in headings.items() if v}, of)
    _check_names(path, "column", chinese, set(columns))
    return columns


class Catalogue:
    """All canned queries of a source folder, by name (``queries/qc/`` excluded)."""

    def __init__(self, query_dir: Path) -> None:
        self.queries = {q.name: q for q in map(parse_query_file, sorted(query_dir.glob("*.rq")))}

    def __iter__(self) -> Iterator[CannedQuery]:
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, name_or_path: str) -> CannedQuery:
        """A query by name, or any ``.rq`` file by path; QueryError lists the names on a miss."""
        if name_or_path in self.queries:
            return self.queries[name_or_path]
        path = Path(name_or_path)
        if path.suffix == ".rq" and path.is_file():
            return parse_query_file(path, require_title=False)
        raise QueryError(
            f"no canned query {name_or_path!r}: run `pilotkg query --list` (known: {', '.join(self.queries)})"
        )
