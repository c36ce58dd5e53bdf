"""The canned-query catalogue: ``queries/*.rq`` read once, for the CLI, the web and the tests.

Each file starts with a header of ``# key: value`` comment lines::

    # title: Pilot zones by programme and batch
    # description: Every pilot zone with its programme, batch and regions.
    # param: programme iri optional  Only zones of this programme.
    # example: programme=https://w3id.org/pilotkg/id/programme/miit-ai-innovation-application-pilot-zones
    # endpoint: https://query.wikidata.org/sparql   (federated queries only)

Parameters are bound as RDF terms, never spliced into the text as strings:
a value is first turned into a validated pyoxigraph term, and that term's
N-Triples form goes into a ``VALUES`` block opened at the start of the query's
``WHERE`` group. Quotes, braces and ``}`` inside a value are escaped by the
term's own syntax, so they cannot change the query. Because the bound query is
plain SPARQL, the same text runs on the embedded store and on remote stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from .errors import QueryError
from .federation import pin_linked_items
from .namespaces import DATASET_IRI, XSD
from .sparqltext import iri_value, nesting_depth, tokens, where_group

PARAM_TYPES: dict[str, str] = {
    "iri": "an IRI such as https://w3id.org/pilotkg/id/region/shenzhen",
    "string": "any text",
    "integer": "a whole number",
    "date": "a date, year-month or year such as 2025-07-27, 2025-07 or 2025",
}


@dataclass(frozen=True)
class Parameter:
    """A named input of a canned query: ``?name`` in the text."""

    name: str
    type: str
    required: bool
    description: str

    def term(self, raw: str) -> ox.NamedNode | ox.Literal:
        """``raw`` as an RDF term of this parameter's type; QueryError says what was expected."""
        try:
            if self.type == "iri":
                return ox.NamedNode(raw)
            if self.type == "integer":
                return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
            if self.type == "date":
                return _date_literal(raw)
            return ox.Literal(raw)
        except ValueError as error:
            raise QueryError(
                f"parameter {self.name}={raw!r} is not {PARAM_TYPES[self.type]} ({error})"
            ) from error


def _date_literal(raw: str) -> ox.Literal:
    for pattern, datatype in (
        (r"\d{4}-\d{2}-\d{2}", "date"),
        (r"\d{4}-\d{2}", "gYearMonth"),
        (r"\d{4}", "gYear"),
    ):
        if re.fullmatch(pattern, raw):
            return ox.Literal(raw, datatype=ox.NamedNode(XSD + datatype))
    raise ValueError("expected YYYY-MM-DD, YYYY-MM or YYYY")


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

    @property
    def federated(self) -> bool:
        """True for queries that reach another endpoint through SERVICE."""
        return bool(self.endpoint)

    def bind(self, values: Mapping[str, str] | None = None) -> str:
        """The query text with ``values`` bound; unknown or missing parameters raise QueryError."""
        values = dict(values or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            offered = ", ".join(known) or "none"
            raise QueryError(
                f"query {self.name} has no parameter {', '.join(unknown)} (parameters: {offered})"
            )
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        if missing:
            raise QueryError(
                f"query {self.name} needs {', '.join(missing)}: pass --param NAME=VALUE "
                f"(example: {' '.join(f'{k}={v}' for k, v in self.example.items())})"
            )
        if not values:
            return self.text
        terms = {name: known[name].term(raw) for name, raw in values.items()}
        block = " ".join(f"VALUES ?{name} {{ {term} }}" for name, term in sorted(terms.items()))
        position = self._where_group_offset
        return f"{self.text[:position]} {block} {self.text[position:]}"

    @cached_property
    def _where_group_offset(self) -> int:
        """Where bound ``VALUES`` go: just inside the ``{`` that opens the WHERE group.
        It is the same for every binding, so it is found once per query."""
        brace = where_group(self.text)
        if brace is None:
            raise QueryError(f"query {self.name} has no WHERE group to bind parameters into")
        return brace + 1


Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


def prepare(canned: CannedQuery, values: Mapping[str, str] | None, store: ox.Store) -> str:
    """The text of ``canned`` as it is run on ``store``: ``values`` bound as terms, and
    every ``SERVICE`` group that calls Wikidata pinned to the items ``store`` links.

    Every way of running a canned query (the CLI, the web's worker pool, the comparison
    with a remote store) starts from this text, so they all answer the same query;
    without the pin the remote part would ask Wikidata about everything it holds
    (see ``federation.pin_linked_items``). QueryError says which value is wrong.
    """
    return pin_linked_items(canned.bind(values), store)


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
    """``canned`` with ``values`` (see ``prepare``) run on ``store``; QueryError for a bad
    value, a text the engine rejects, or a SERVICE call that fails (read the results
    inside ``engine_errors`` for that last one).
    """
    text = prepare(canned, values, store)
    with engine_errors(canned):
        return store.query(text, default_graph=dataset_graphs(text))


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


_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")


def parse_query_file(path: Path, *, require_title: bool = True) -> CannedQuery:
    """A CannedQuery from a ``.rq`` file; a missing title (in the catalogue) or a bad
    param line raises QueryError."""
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
    parameters = tuple(_parse_param(path, line) for line in header.get("param", []))
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
    )


def _parse_param(path: Path, line: str) -> Parameter:
    parts = line.split(None, 3)
    if len(parts) < 3 or parts[1] not in PARAM_TYPES or parts[2] not in ("optional", "required"):
        raise QueryError(
            f"{path}: bad '# param: {line}': write '# param: NAME TYPE optional|required description' "
            f"with TYPE one of {', '.join(PARAM_TYPES)}"
        )
    return Parameter(parts[0], parts[1], parts[2] == "required", parts[3] if len(parts) > 3 else "")


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
