"""Compare canned-query answers between a remote store and the embedded store.

Stores spell the same answer differently (Virtuoso types COUNT as xsd:int and
reorders GROUP_CONCAT parts), so rows are compared by value, as multisets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import QueryError
from ..graphs import Term, to_store
from ..namespaces import XSD
from ..queries import CannedQuery, engine_errors, group_concat_columns, prepare
from .client import Failure, RemoteStore, RemoteStoreError
from .values import NUMERIC_TYPES, number_key


@dataclass(frozen=True)
class QueryComparison:
    """How one canned query's answers on the remote store compare with the embedded store's."""

    name: str
    embedded: int
    remote: int
    only_embedded: tuple[str, ...] = ()
    only_remote: tuple[str, ...] = ()
    problem: str = ""
    note: str = ""

    @property
    def same(self) -> bool:
        return not (self.only_embedded or self.only_remote or self.problem)

    def as_text(self, *, shown_rows: int = 5) -> str:
        if self.same:
            return (
                f"same  {self.name} ({self.embedded} rows{'; ' + self.note if self.note else ''})"
            )
        lines = [f"DIFF  {self.name}: {self.problem or self._counts()}"]
        lines += [f"      only embedded: {row}" for row in self.only_embedded[:shown_rows]]
        lines += [f"      only remote:   {row}" for row in self.only_remote[:shown_rows]]
        return "\n".join(lines)

    def _counts(self) -> str:
        return (
            f"{self.embedded} rows embedded, {self.remote} remote; "
            f"{len(self.only_embedded)} only embedded, {len(self.only_remote)} only remote"
        )


#: Virtuoso's default ResultSetMaxRows: a remote answer of exactly this size may be cut.
VIRTUOSO_MAX_ROWS = 10_000

#: An answer's cell: a term, or None where the variable is unbound.
Cell = Term | None
#: One answer row: (variable, term) pairs in variable order.
Row = tuple[tuple[str, Cell], ...]


def term_key(term: Cell) -> str:
    """A comparable text for one RDF term in a query answer.

    Stores agree on the value of a number but not on its spelling or type:
    Virtuoso keeps values, not lexical forms ("1.50" comes back as "1.5", and
    "1716000000"^^xsd:decimal as xsd:integer), and may type an aggregate
    xsd:int or xsd:double where pyoxigraph says xsd:integer or xsd:decimal.
    So every numeric literal (integers, decimal, float, double) becomes its
    value to 12 significant digits, enough to tell apart any count and to
    absorb the rounding of averages, and its exact type is ignored. Booleans
    compare by value ("1" = "true"), language tags case-insensitively (BCP 47),
    and blank nodes as one placeholder, their labels being local to each
    answer. Everything else compares in its N-Triples form.
    """
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.BlankNode):
        return "_:b"
    if isinstance(term, ox.Triple):
        return f"<< {term_key(term.subject)} {term_key(term.predicate)} {term_key(term.object)} >>"
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in NUMERIC_TYPES:
            return number_key(term.value)
        if datatype == XSD + "boolean":
            return "true" if term.value.strip() in ("true", "1") else "false"
        if term.language:
            return f"{ox.Literal(term.value)}@{term.language.lower()}"
    return str(term)


def concat_key(term: Cell, separator: str) -> str:
    """A GROUP_CONCAT result as the sorted list of its parts.

    SPARQL 1.1 leaves the order of the parts to each store, and stores differ
    on the rest too: pyoxigraph keeps a language tag all parts share
    ("Beijing"@en) where Virtuoso returns a plain string, and an empty group
    is unbound in pyoxigraph and "" in Virtuoso.
    """
    value = term.value if isinstance(term, ox.Literal) else ""
    return repr(sorted(value.split(separator))) if value else "[]"


def answer_rows(answer: ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]) -> list[Row]:
    """An answer as rows: SELECT solutions, CONSTRUCT triples, or one ASK boolean."""
    if isinstance(answer, ox.QueryBoolean):
        value = ox.Literal(str(bool(answer)).lower(), datatype=ox.NamedNode(XSD + "boolean"))
        return [(("ASK", value),)]
    if isinstance(answer, ox.QuerySolutions):
        names = sorted(v.value for v in answer.variables)
        return [tuple((name, row[name]) for name in names) for row in answer]
    return [(("s", t.subject), ("p", t.predicate), ("o", t.object)) for t in answer]


def row_key(row: Row, concatenated: dict[str, str] | None = None) -> str:
    """A row as one comparable text of ``?name=term`` pairs; the ``concatenated``
    columns (name: separator) compare part by part."""
    concatenated = concatenated or {}
    return " ".join(
        f"?{name}={concat_key(term, concatenated[name])}"
        if name in concatenated
        else f"?{name}={term_key(term)}"
        for name, term in row
    )


def _rekeyed(
    difference: Counter[str], rows: list[Row], concatenated: dict[str, str]
) -> Counter[str]:
    """The rows counted in ``difference``, keyed with their GROUP_CONCAT columns split."""
    loose = {row_key(row): row_key(row, concatenated) for row in rows}
    result: Counter[str] = Counter()
    for key, count in difference.items():
        result[loose[key]] += count
    return result


def compare_answers(
    name: str,
    embedded: list[Row],
    remote: list[Row],
    *,
    concatenated: dict[str, str] | None = None,
) -> QueryComparison:
    """The rows each side has that the other lacks, counted with multiplicity.

    Rows that differ only inside ``concatenated`` (GROUP_CONCAT) columns count
    as the same, and the comparison's note says how many did.
    """
    strict_embedded, strict_remote = Counter(map(row_key, embedded)), Counter(map(row_key, remote))
    only_embedded = strict_embedded - strict_remote
    only_remote = strict_remote - strict_embedded
    note = ""
    if concatenated and only_embedded:
        loose_embedded = _rekeyed(only_embedded, embedded, concatenated)
        if loose_embedded == _rekeyed(only_remote, remote, concatenated):
            columns = ", ".join(f"?{c}" for c in sorted(concatenated))
            note = f"{loose_embedded.total()} differ only in the order, language or emptiness of GROUP_CONCAT {columns}"
            only_embedded = only_remote = Counter()
    problem = ""
    if only_embedded and len(remote) == VIRTUOSO_MAX_ROWS:
        problem = (
            f"the store sent exactly {VIRTUOSO_MAX_ROWS} rows of {len(embedded)}: "
            "it may cap answers (Virtuoso's ResultSetMaxRows in virtuoso.ini)"
        )
    return QueryComparison(
        name,
        len(embedded),
        len(remote),
        tuple(sorted(only_embedded.elements())),
        tuple(sorted(only_remote.elements())),
        problem,
        note,
    )


def compare_query(
    canned: CannedQuery, embedded_store: ox.Store, store: RemoteStore, *, graph: str | None
) -> QueryComparison:
    """Run one canned query, with its example parameters, on both stores and compare."""
    try:
        text = prepare(canned, canned.example, embedded_store)
        with engine_errors(canned):
            answer = embedded_store.query(text)
            graph_result = isinstance(answer, ox.QueryTriples)
            embedded = answer_rows(list(answer) if isinstance(answer, ox.QueryTriples) else answer)
    except QueryError as error:
        return QueryComparison(canned.name, 0, 0, problem=f"cannot run it here: {error}")
    try:
        remote = store.query(text, default_graph=graph, graph_result=graph_result)
    except RemoteStoreError as error:
        if error.failure not in (Failure.REJECTED, Failure.SERVER):
            raise  # credentials, reachability: no other query would fare better
        return QueryComparison(canned.name, len(embedded), 0, problem=str(error))
    concatenated = group_concat_columns(text)
    return compare_answers(canned.name, embedded, answer_rows(remote), concatenated=concatenated)


def compare_queries(
    store: RemoteStore,
    triples: Sequence[ox.Triple] | set[ox.Triple],
    queries: Sequence[CannedQuery],
    *,
    graph: str | None,
) -> list[QueryComparison]:
    """Every non-federated query run on ``graph`` in ``store`` (its default graph for None)
    and on an embedded store of ``triples``."""
    embedded_store = to_store(triples)
    return [
        compare_query(canned, embedded_store, store, graph=graph)
        for canned in queries
        if not canned.federated
    ]
