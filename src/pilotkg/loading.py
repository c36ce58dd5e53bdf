"""Put triples into a remote store atomically: stage, count, swap, clean up.

See :mod:`pilotkg.store` for the protocol client; this module holds the
steps of one load and what to do when one of them fails.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from .graphs import sorted_triples
from .namespaces import DATE_DATATYPES, XSD
from .store import STAGING_PREFIX, Failure, RemoteStore, RemoteStoreError, StagingKept, batches
from .values import NUMERIC_TYPES, number_key


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, for the closing line of ``pilotkg load``."""

    graph: str
    endpoint: str
    triples: int
    seconds: float
    method: str
    swap: str

    def as_text(self) -> str:
        rate = self.triples / self.seconds if self.seconds > 0 else 0.0
        return (
            f"loaded {self.triples} triples into <{self.graph}> at {self.endpoint} "
            f"in {self.seconds:.1f}s ({rate:,.0f} triples/s, {self.method}, replaced by {self.swap})"
        )


def _ignore(_count: int) -> None:
    """A progress callback that does nothing."""


def load_triples(
    store: RemoteStore,
    triples: Sequence[ox.Triple] | set[ox.Triple],
    *,
    graph: str,
    batch_triples: int | None = None,
    on_progress: Callable[[int], None] = _ignore,
) -> LoadSummary:
    """Replace ``graph`` in ``store`` with ``triples``, atomically (see the module docstring).

    ``on_progress`` is called with the number of triples each finished batch held.
    """
    started = time.perf_counter()
    unique = sorted_triples(triples)
    _refuse_unloadable(unique, graph)
    staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    # A first, harmless write: wrong credentials or URLs fail here, before anything exists.
    store.update(f"DROP SILENT GRAPH {ox.NamedNode(staging)}", what="a first write")
    try:
        for batch in batches(unique, batch_triples or store.default_batch_triples):
            store.upload(staging, batch)
            on_progress(len(batch))
        _expect_count(store, staging, unique, where="the staging graph")
        swap = _replace(store, target=graph, staging=staging)
    except BaseException as error:
        if isinstance(error, StagingKept):
            raise
        problem = _drop_staging(store, staging, after=error)
        if problem is None:
            raise
        if isinstance(error, RemoteStoreError):
            raise RemoteStoreError(
                f"{error}. {problem}", failure=error.failure, status=error.status
            ) from None
        error.add_note(problem)
        raise
    _expect_count(store, graph, unique, where=f"<{graph}> after the swap")
    return LoadSummary(
        graph=graph,
        endpoint=store.endpoints.query,
        triples=len(unique),
        seconds=time.perf_counter() - started,
        method="Graph Store protocol" if store.uses_graph_store else "INSERT DATA",
        swap=swap,
    )


def _refuse_unloadable(triples: Sequence[ox.Triple], graph: str) -> None:
    if not triples:
        raise RemoteStoreError("the release holds no triples: nothing to load")
    ox.NamedNode(graph)  # raises ValueError for a malformed IRI; the command checks it first
    if any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    ):
        # Each request would mint its own blank nodes, splitting one node into several.
        raise RemoteStoreError(
            "the release holds blank nodes, which cannot be loaded in batches without "
            "changing the graph; pilotkg releases have none: rebuild it with `pilotkg build`"
        )


def _expect_count(
    store: RemoteStore, graph: str, triples: Sequence[ox.Triple], *, where: str
) -> None:
    found = store.count(graph)
    if found == len(triples):
        return
    message = f"{where} holds {found} triples where {len(triples)} were sent; the target graph was not replaced."
    merged = merged_by_value(triples)
    if found < len(triples) and merged:
        first, second = merged[0]
        message += (
            f" The store keeps values, not spellings, and merges literals of equal value: "
            f"{len(merged)} pairs here, such as {first.subject} {first.predicate} {first.object} "
            f"and {second.object}. Virtuoso does so for numbers, booleans and dates "
            '("2025-12"^^xsd:gYearMonth = "2025-12-01"^^xsd:date); use another store, '
            "or keep such values on different predicates."
        )
    elif found > len(triples):
        message += " Another client may be writing to the same graph."
    raise RemoteStoreError(message)


DATE_TYPES = DATE_DATATYPES | {XSD + "dateTime"}


def value_key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str | None:
    """The value some stores reduce a literal to, or None for terms kept as written.

    Virtuoso stores numbers and booleans as numbers and every date-like type as
    its first instant, so "2025"^^xsd:gYear, "2025-01"^^xsd:gYearMonth and
    "2025-01-01"^^xsd:date become one value, and true becomes 1.
    """
    if not isinstance(term, ox.Literal):
        return None
    datatype = term.datatype.value
    if datatype in NUMERIC_TYPES:
        return number_key(term.value)
    if datatype == XSD + "boolean":
        return "1" if term.value.strip() in ("true", "1") else "0"
    if datatype in DATE_TYPES:  # a diagnostic: time zones and negative years are ignored
        value = term.value
        value += {4: "-01-01", 7: "-01"}.get(len(value), "")  # gYear, gYearMonth
        return f"{value[:10]}T{value[11:19] or '00:00:00'}"
    return None


def merged_by_value(triples: Sequence[ox.Triple]) -> list[tuple[ox.Triple, ox.Triple]]:
    """Pairs of triples that differ only by literals of equal value (see ``value_key``)."""
    seen: dict[tuple[str, str, str], ox.Triple] = {}
    pairs = []
    for triple in triples:
        key = value_key(triple.object)
        if key is None:
            continue
        slot = (str(triple.subject), str(triple.predicate), key)
        if slot in seen:
            pairs.append((seen[slot], triple))
        else:
            seen[slot] = triple
    return pairs


def _replace(store: RemoteStore, *, target: str, staging: str) -> str:
    """Put the staging graph in the target's place: MOVE, or DROP + ADD where MOVE is missing."""
    source, destination = ox.NamedNode(staging), ox.NamedNode(target)
    try:
        _move(store, source, destination)
        return "MOVE"
    except RemoteStoreError as error:
        if error.failure is not Failure.REJECTED:
            raise
    store.update(f"DROP SILENT GRAPH {destination}", what="DROP")
    try:
        store.update(f"ADD {source} TO {destination}", what="ADD")
    except RemoteStoreError as error:
        raise StagingKept(
            f"{error}; the target <{target}> was emptied and the complete data is in <{staging}>: "
            f"run `ADD {source} TO {destination}` there, or load again",
            failure=error.failure,
            status=error.status,
        ) from None
    store.update(f"DROP SILENT GRAPH {source}", what="DROP of the staging graph")
    return "DROP + ADD"


def _move(store: RemoteStore, source: ox.NamedNode, destination: ox.NamedNode) -> None:
    """MOVE, retried only after checking it did not happen: a MOVE sent again after its
    answer was lost would move the now empty staging graph and empty the target."""
    text = f"MOVE {source} TO {destination}"
    for attempt in range(1, store.retry.attempts + 1):
        try:
            store.update(text, what="MOVE", retry=False)
            return
        except RemoteStoreError as error:
            if error.failure is not Failure.TRANSIENT or attempt == store.retry.attempts:
                raise
        store.retry.sleep(store.retry.delay_s(attempt))
        if store.count(source.value) == 0:  # it was loaded and counted: the MOVE was done
            return


def _drop_staging(store: RemoteStore, staging: str, *, after: BaseException) -> str | None:
    """Remove the staging graph after a failure; a sentence for the user if that fails too."""
    try:
        store.update(f"DROP SILENT GRAPH {ox.NamedNode(staging)}", what="DROP of the staging graph")
    except RemoteStoreError as cleanup:
        why = "the same error" if str(cleanup) == str(after) else str(cleanup)
        return (
            f"The target graph was not changed, but the staging graph <{staging}> could not be "
            f"removed ({why}): remove it with DROP SILENT GRAPH <{staging}>"
        )
    return None
