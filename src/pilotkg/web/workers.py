"""Run SPARQL queries in worker processes that can be killed.

pyoxigraph cannot interrupt a query once it runs, in a thread or otherwise, so a
time limit that really stops a runaway query needs a process to kill. A small
pool of worker processes each opens the on-disk store read-only; the event loop
hands a query to an idle worker and waits for its answer up to the time limit.
On timeout the worker is killed (SIGKILL: RocksDB opened read-only has nothing
to lose) and a fresh one is started in the background, which takes ~0.1 s, so
the next query is answered by the other workers meanwhile.

The row limit is enforced while results are read: the worker stops pulling
solutions after ``max_rows + 1``, so a huge result is never produced in full.
This module imports nothing from the web stack, so workers start quickly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..formats import by_name
from ..namespaces import PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
log = logging.getLogger("pilotkg.web")


@dataclass(frozen=True)
class Job:
    """A query to run and how to answer it."""

    query: str
    format_name: str  # a name from the format table; the worker falls back by result form
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A worker's answer: a serialised result (status 200) or an error with a message."""

    status: int
    body: bytes = b""
    media_type: str = "text/plain"
    form: str = ""  # "solutions", "boolean" or "graph" when the query ran
    rows: int = 0
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# --- running one job (in the worker, or in-process for tests) -----------------------------


def _term_json(term: Term) -> dict[str, Any]:
    """A term in the SPARQL 1.1 JSON results format (RDF-star triples included)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _term_json(term.subject),
            "predicate": _term_json(term.predicate),
            "object": _term_json(term.object),
        },
    }


def solutions_json(variables: list[str], rows: list[ox.QuerySolution]) -> bytes:
    """Already-read solutions as SPARQL JSON results.

    pyoxigraph serialises only a live result iterator, which the row limit has
    already consumed; JSON is written here and every other results format is
    made from it by pyoxigraph's own serialisers.
    """
    bindings = [
        {name: _term_json(value) for name in variables if (value := row[name]) is not None}
        for row in rows
    ]
    document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _too_many(max_rows: int, what: str) -> Outcome:
    return Outcome(
        422,
        message=(
            f"The query returns more than {max_rows} {what} (setting max_result_rows), so it was "
            "stopped. Add LIMIT, or narrow it with FILTER or VALUES."
        ),
    )


def execute(store: ox.Store, job: Job) -> Outcome:
    """Run ``job`` on ``store`` and serialise its result; errors become an Outcome."""
    try:
        results = store.query(
            job.query,
            prefixes=PREFIXES,
            default_graph=[ox.NamedNode(g) for g in job.default_graphs] or None,
            named_graphs=[ox.NamedNode(g) for g in job.named_graphs] or None,
        )
        return _serialise(results, job)
    except SyntaxError as error:
        return Outcome(400, message=f"Malformed query: {error.msg or error}")
    except OSError as error:  # a SERVICE call that failed
        return Outcome(502, message=f"A SERVICE call failed: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return Outcome(400, message=f"The query could not be evaluated: {error}")


def _serialise(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: Job) -> Outcome:
    if isinstance(results, ox.QueryBoolean):
        fmt = by_name(job.format_name, "results") or by_name("json", "results")
        assert fmt is not None and fmt.results_format is not None
        return Outcome(
            200, results.serialize(format=fmt.results_format) or b"", fmt.media_type, "boolean", 1
        )
    if isinstance(results, ox.QuerySolutions):
        fmt = by_name(job.format_name, "results") or by_name("json", "results")
        assert fmt is not None and fmt.results_format is not None
        variables = [v.value for v in results.variables]
        rows: list[ox.QuerySolution] = []
        for row in results:
            if len(rows) == job.max_rows:
                return _too_many(job.max_rows, "rows")
            rows.append(row)
        body = solutions_json(variables, rows)
        if fmt.name != "json":
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            body = parsed.serialize(format=fmt.results_format) or b""
        return Outcome(200, body, fmt.media_type, "solutions", len(rows))
    graph_format = by_name(job.format_name, "graph") or by_name("turtle", "graph")
    assert graph_format is not None and graph_format.rdf_format is not None
    triples: list[ox.Triple] = []
    for triple in results:
        if len(triples) == job.max_rows:
            return _too_many(job.max_rows, "triples")
        triples.append(triple)
    prefixes = (
        PREFIXES if graph_format.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    )
    body = ox.serialize(triples, format=graph_format.rdf_format, prefixes=prefixes) or b""
    return Outcome(200, body, graph_format.media_type, "graph", len(triples))


def _worker_main(store_path: str, connection: multiprocessing.connection.Connection) -> None:
    """A worker: open the store read-only, say ready, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops workers itself
    store = ox.Store.read_only(store_path)
    connection.send("ready")
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(execute(store, job))


# --- the pool, driven from the event loop ---------------------------------------------------


class QueryTimeout(Exception):
    """A query ran past the time limit; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection


class QueryPool:
    """``size`` worker processes over the store at ``store_path``; ``run`` one job at a time each."""

    def __init__(self, store_path: str, *, size: int, timeout_s: float) -> None:
        self.store_path = store_path
        self.size = size
        self.timeout_s = timeout_s
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        # LIFO: the most recently used worker is the warmest (its caches, its CPU).
        self._idle: asyncio.LifoQueue[_Worker] = asyncio.LifoQueue()
        self._all: set[_Worker] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self.restarts = 0

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(self.store_path, theirs), daemon=True, name="pilotkg-query"
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self._all.add(worker)
        return worker

    async def start(self) -> None:
        """Start every worker and wait until each has opened the store."""
        workers = [self._spawn() for _ in range(self.size)]
        for worker in workers:
            await self._ready(worker)

    async def _ready(self, worker: _Worker) -> None:
        await self._readable(worker, timeout=60.0)
        message = worker.connection.recv()
        if message != "ready":  # pragma: no cover - a worker that cannot open the store
            raise RuntimeError(f"query worker failed to start: {message!r}")
        self._idle.put_nowait(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in the background."""
        self._kill(worker)
        self.restarts += 1
        task = asyncio.get_running_loop().create_task(self._ready(self._spawn()))
        self._starting.add(task)
        task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        """Forget a finished start; a worker that failed to start is logged, not lost silently."""
        self._starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a replacement query worker failed to start: %s", task.exception())

    def _kill(self, worker: _Worker) -> None:
        self._all.discard(worker)
        if worker.process.pid is not None and worker.process.is_alive():
            os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(timeout=5)
        worker.connection.close()

    @staticmethod
    async def _readable(worker: _Worker, *, timeout: float) -> None:
        """Wait until the worker's pipe has something to read (or was closed)."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        descriptor = worker.connection.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(descriptor, wake)
        try:
            await asyncio.wait_for(ready, timeout)
        finally:
            loop.remove_reader(descriptor)

    async def run(self, job: Job) -> Outcome:
        """Run ``job`` on a free worker; PoolBusy or QueryTimeout when time runs out."""
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout_s)
        except TimeoutError:
            raise PoolBusy from None
        try:
            worker.connection.send(job)
            await self._readable(worker, timeout=self.timeout_s)
            outcome: Outcome = worker.connection.recv()
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout from None
        except (EOFError, OSError):
            self._replace(worker)
            return Outcome(
                500, message="The query worker stopped unexpectedly (out of memory?); try again."
            )
        except asyncio.CancelledError:  # the client went away mid-query: never reuse the worker
            self._replace(worker)
            raise
        self._idle.put_nowait(worker)
        return outcome

    async def close(self) -> None:
        """Stop every worker."""
        for task in list(self._starting):
            task.cancel()
        for worker in list(self._all):
            self._kill(worker)
