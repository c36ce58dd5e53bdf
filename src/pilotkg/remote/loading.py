"""Put triples into a remote store atomically: stage, count, swap, clean up.

See :mod:`pilotkg.remote.client` for the protocol client; this module holds the
steps of one load and what to do when one of them fails.

Staging graphs carry their target, their start and their run in their name,
``<target>/pilotkg-staging/<UTC start, 20250727T101500Z>-<32 hex digits of a random run id>``,
because a load killed outright (``kill -9``, a lost machine) runs no clean-up
and leaves its staging graph behind for good; on a store whose default graph
is the union of all graphs (Virtuoso) every triple of it then shows twice. The
name is the proof of ownership: only a graph whose whole IRI has that form for
this target is ever removed, and only once its start is older than a threshold
(``stale_after_s``), so a load still running elsewhere keeps its graph. Each
load removes the abandoned graphs of its target first; ``pilotkg load
--clean-staging`` does only that. Removal is bounded: at most
``STALE_DROPS_PER_RUN`` graphs and ``CLEANUP_BUDGET_S`` seconds a run.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import pyoxigraph as ox

from ..graphs import sorted_triples
from ..namespaces import DATE_DATATYPES, XSD
from .client import Failure, RemoteStore, RemoteStoreError, StagingKept, batches
from .values import NUMERIC_TYPES, number_key

#: What follows the target's IRI in the name of its staging graphs.
STAGING_SEGMENT = "/pilotkg-staging/"
#: How earlier versions named staging graphs: no target, no age, so never removed for you.
LEGACY_STAGING_PREFIX = "urn:pilotkg:staging:"
#: A staging graph started longer ago than this is taken as abandoned: far above the
#: longest load we know of, so a concurrent live load is not touched.
DEFAULT_STALE_AFTER_S = 3600.0
#: At most this many abandoned staging graphs are removed per run (the rest next time).
STALE_DROPS_PER_RUN = 100
#: No new removal starts after this many seconds of clean-up.
CLEANUP_BUDGET_S = 300.0
#: The listing of staging graphs looks among at most this many graphs of the store.
GRAPHS_LISTED = 1_000_000
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAGING_TAIL = re.compile(r"(?P<stamp>\d{8}T\d{6}Z)-(?P<run>[0-9a-f]{32})")


def staging_prefix(target: str) -> str:
    """The start every staging graph of ``target`` has."""
    return target + STAGING_SEGMENT


def new_staging_graph(target: str, *, now: datetime | None = None) -> str:
    """A fresh staging graph name for ``target``: its start (UTC, to the second) and a run id."""
    started = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{staging_prefix(target)}{started.strftime(_STAMP_FORMAT)}-{uuid.uuid4().hex}"


def staging_started(target: str, graph: str) -> datetime | None:
    """When the load that made staging graph ``graph`` of ``target`` started, or None when
    ``graph`` is not one of pilotkg's staging graphs for ``target`` (never to be touched)."""
    prefix = staging_prefix(target)
    if not graph.startswith(prefix):
        return None
    match = _STAGING_TAIL.fullmatch(graph[len(prefix) :])
    if match is None:
        return None
    try:
        return datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # 20251399T…: the right shape, no real date
        return None


def is_staging_graph(graph: str) -> bool:
    """True for an IRI in pilotkg's staging naming: such a graph is never a load's target."""
    return STAGING_SEGMENT in graph


@dataclass(frozen=True)
class StagingCleanup:
    """What the removal of abandoned staging graphs of one target did and left."""

    target: str
    stale_after_s: float
    removed: tuple[str, ...] = ()
    #: Ours, but younger than ``stale_after_s``: a load may still be writing them.
    fresh: tuple[str, ...] = ()
    #: Under the target's staging prefix but not in pilotkg's naming: never touched.
    foreign: tuple[str, ...] = ()
    #: Graphs were left unlisted or unremoved (count or time bound reached).
    more: bool = False
    #: Staging graphs in the naming of earlier versions, if they were looked for.
    legacy: tuple[str, ...] = ()

    def as_lines(self, *, always: bool = False) -> list[str]:
        """Sentences for the user: none when there was nothing to say, unless ``always``,
        which reports the number removed even when it is 0 (for --clean-staging)."""
        lines = []
        if self.removed or always:
            lines.append(
                f"removed {_graphs(len(self.removed), 'abandoned staging')} of <{self.target}> "
                f"(started more than {self.stale_after_s:g}s ago)"
            )
        if self.fresh:
            lines.append(
                f"left {_graphs(len(self.fresh), 'staging')} of <{self.target}> started less than "
                f"{self.stale_after_s:g}s ago: a load may still be running (--stale-after-s sets the age)"
            )
        if self.foreign:
            lines.append(
                f"left {_graphs(len(self.foreign))} under <{staging_prefix(self.target)}> that are "
                f"not in pilotkg's staging naming, such as <{self.foreign[0]}>: pilotkg never removes them"
            )
        if self.more:
            lines.append(
                f"the clean-up stopped at its bound ({STALE_DROPS_PER_RUN} graphs or "
                f"{CLEANUP_BUDGET_S:g}s a run): run `pilotkg load --clean-staging` again for the rest"
            )
        if self.legacy:
            lines.append(
                f"found {_graphs(len(self.legacy), 'staging')} named by an earlier pilotkg "
                f"({LEGACY_STAGING_PREFIX}…, such as <{self.legacy[0]}>): such names carry no "
                "target or age, so pilotkg leaves them alone; once no load is running, remove "
                "each with DROP SILENT GRAPH"
            )
        return lines


def _graphs(count: int, kind: str = "") -> str:
    """``count`` graphs, in words: "1 staging graph", "2 staging graphs"."""
    noun = "graph" if count == 1 else "graphs"
    return f"{count} {kind} {noun}" if kind else f"{count} {noun}"


def list_graphs(store: RemoteStore, prefix: str, *, limit: int) -> list[str]:
    """Up to ``limit`` non-empty named graphs whose IRI starts with ``prefix``, in IRI order
    (oldest staging graph first, the time stamp being in the name).

    ``GRAPH ?g { ?s ?p ?o }`` rather than ``GRAPH ?g {}``: Virtuoso 7.2 answers the
    latter with nothing, and a graph without triples duplicates nothing anyway. The
    graphs are made distinct in a sub-select with a ``LIMIT`` before the prefix is
    tested: without that limit Virtuoso moves the test into the scan and computes
    ``STR(?g)`` once per quad of the whole store, not once per graph.
    """
    text = (
        f"SELECT ?g WHERE {{ {{ SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} "
        f"LIMIT {GRAPHS_LISTED} }} FILTER(STRSTARTS(STR(?g), {ox.Literal(prefix)})) }} "
        f"ORDER BY STR(?g) LIMIT {limit}"
    )
    results = store.query(text, what=f"the listing of graphs under <{prefix}>")
    if not isinstance(results, ox.QuerySolutions):
        raise RemoteStoreError(f"{store.endpoints.query} answered a SELECT query with no rows")
    graphs = []
    for row in results:
        term = row["g"]
        if isinstance(term, ox.NamedNode):
            graphs.append(term.value)
    return graphs


def remove_stale_staging(
    store: RemoteStore,
    target: str,
    *,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    now: datetime | None = None,
    limit: int = STALE_DROPS_PER_RUN,
    budget_s: float = CLEANUP_BUDGET_S,
    legacy: bool = False,
    own: str | None = None,
) -> StagingCleanup:
    """Drop the staging graphs of ``target`` that loads abandoned ``stale_after_s`` ago or more.

    Only graphs ``staging_started`` recognises are touched. At most ``limit``
    graphs are listed and removed, and none is started after ``budget_s``
    seconds, so a store full of leftovers cannot hold a load up for long; each
    DROP is bounded by the store's own timeout and retry policy. ``legacy`` also
    looks for staging graphs of an earlier pilotkg, to report them. ``own``, the
    caller's own staging graph, is never removed, whatever ``stale_after_s`` says.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    deadline = time.monotonic() + budget_s
    listed = list_graphs(store, staging_prefix(target), limit=limit + 1)
    more = len(listed) > limit
    removed: list[str] = []
    fresh: list[str] = []
    foreign: list[str] = []
    for graph in listed[:limit]:
        started = staging_started(target, graph)
        if graph == own:
            continue
        if started is None:
            foreign.append(graph)
        elif (now - started).total_seconds() < stale_after_s:
            fresh.append(graph)
        elif time.monotonic() >= deadline:
            more = True
        else:
            store.update(
                f"DROP SILENT GRAPH {ox.NamedNode(graph)}",
                what="DROP of an abandoned staging graph",
            )
            removed.append(graph)
    old = tuple(list_graphs(store, LEGACY_STAGING_PREFIX, limit=limit)) if legacy else ()
    return StagingCleanup(
        target,
        stale_after_s,
        removed=tuple(removed),
        fresh=tuple(fresh),
        foreign=tuple(foreign),
        more=more,
        legacy=old,
    )


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, for the closing line of ``pilotkg load``."""

    graph: str
    endpoint: str
    triples: int
    seconds: float
    method: str
    swap: str
    cleanup: StagingCleanup | None = None
    #: What went wrong once the target had been replaced (the load itself stands).
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        rate = self.triples / self.seconds if self.seconds > 0 else 0.0
        return (
            f"loaded {self.triples} triples into <{self.graph}> at {self.endpoint} "
            f"in {self.seconds:.1f}s ({rate:,.0f} triples/s, {self.method}, replaced by {self.swap})"
        )


@dataclass(frozen=True)
class Swap:
    """How a way in put the staging graph in the target's place, and what failed after
    that (the load itself stands: such failures are sentences for the user)."""

    how: str
    notes: tuple[str, ...] = ()


class WayIn(Protocol):
    """How triples get into the staging graph and the staging graph into the target's place:
    the SPARQL protocol (:class:`ProtocolWay`, every store) or a store's own faster way
    (:class:`pilotkg.remote.virtuoso_sql.VirtuosoSql`). The counts before and after the swap
    are :func:`load_triples`'s, over SPARQL, whichever way is taken."""

    @property
    def method(self) -> str:
        """The way's name, for the closing line."""
        ...

    def stage(
        self, triples: Sequence[ox.Triple], staging: str, on_progress: Callable[[int], None]
    ) -> None:
        """Fill ``staging``, calling ``on_progress`` with the triples each step sent."""
        ...

    def replace(self, *, staging: str, target: str, expected: int) -> Swap:
        """Put ``staging`` in ``target``'s place, or raise with the target unchanged."""
        ...


@dataclass(frozen=True)
class ProtocolWay:
    """Batches over the Graph Store protocol (or INSERT DATA), then MOVE (or DROP + ADD)."""

    store: RemoteStore
    batch_triples: int

    @property
    def method(self) -> str:
        return "Graph Store protocol" if self.store.uses_graph_store else "INSERT DATA"

    def stage(
        self, triples: Sequence[ox.Triple], staging: str, on_progress: Callable[[int], None]
    ) -> None:
        for batch in batches(triples, self.batch_triples):
            self.store.upload(staging, batch)
            on_progress(len(batch))

    def replace(self, *, staging: str, target: str, expected: int) -> Swap:
        return Swap(_replace(self.store, target=target, staging=staging))


def _ignore(_count: int) -> None:
    """A progress callback that does nothing."""


def load_triples(
    store: RemoteStore,
    triples: Sequence[ox.Triple] | set[ox.Triple],
    *,
    graph: str,
    batch_triples: int | None = None,
    on_progress: Callable[[int], None] = _ignore,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    way: WayIn | None = None,
) -> LoadSummary:
    """Replace ``graph`` in ``store`` with ``triples``, atomically (see the module docstring).

    ``on_progress`` is called with the number of triples each finished step sent.
    Staging graphs of ``graph`` abandoned ``stale_after_s`` seconds ago or more are
    removed first. ``way`` is how the triples go in (default: the SPARQL protocol, in
    batches of ``batch_triples``).
    """
    started = time.perf_counter()
    going: WayIn = way or ProtocolWay(store, batch_triples or store.default_batch_triples)
    unique = sorted_triples(triples)  # Virtuoso takes sorted triples faster, by either way
    _refuse_unloadable(unique, graph)
    staging = new_staging_graph(graph)
    # A first, harmless write: wrong credentials or URLs fail here, before anything exists.
    store.update(f"DROP SILENT GRAPH {ox.NamedNode(staging)}", what="a first write")
    cleanup = remove_stale_staging(store, graph, stale_after_s=stale_after_s, own=staging)
    try:
        going.stage(unique, staging, on_progress)
        _expect_count(store, staging, unique, where="the staging graph")
        swap = going.replace(staging=staging, target=graph, expected=len(unique))
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
        method=going.method,
        swap=swap.how,
        cleanup=cleanup,
        notes=swap.notes,
    )


def _refuse_unloadable(triples: Sequence[ox.Triple], graph: str) -> None:
    if not triples:
        raise RemoteStoreError("the release holds no triples: nothing to load")
    ox.NamedNode(graph)  # raises ValueError for a malformed IRI; the command checks it first
    if is_staging_graph(graph):
        # Loading into it would let the clean-up of another target remove it.
        raise RemoteStoreError(
            f"<{graph}> is named like a pilotkg staging graph ({STAGING_SEGMENT}): "
            "load into the graph it was staging for"
        )
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
            f"run `ADD {source} TO {destination}` there, or load again (a load more than "
            "--stale-after-s seconds later removes that staging graph)",
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
            f"removed ({why}): remove it with DROP SILENT GRAPH <{staging}>, or let a load "
            "more than --stale-after-s seconds later remove it"
        )
    return None
