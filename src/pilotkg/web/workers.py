"""Run SPARQL queries in worker processes that can be killed, in lanes that keep lookups fast.

pyoxigraph cannot interrupt a query once it runs, in a thread or otherwise, so a
time limit that really stops a runaway query needs a process to kill. Each
worker opens the on-disk store read-only behind the walls of ``sandbox.py`` (no
network unless it is the federated worker, bounded memory, a deep stack). On
timeout, on a disconnected client, or when a worker dies of a bound (memory, a
crash), the worker is killed (SIGKILL: RocksDB opened read-only has nothing to
lose) and a fresh one started in the background.

Each worker has a dispatcher thread of its own that does the blocking pipe work
(send, wait, receive, kill, restart) and completes the caller's future, so a
worker takes its next job the moment it has answered, however busy the event
loop is with page traffic; the loop only resumes the caller once.

Fairness: the pool holds ``size + 1`` sealed workers, and at most ``size`` of
them may be busy with *long* queries, those still running after
``quick_query_s``. A query that becomes long when ``size`` long ones already
run is stopped at once (503 with Retry-After), so one worker is always left
for the short lookups that are most of the traffic: two runaway queries can no
longer make every other request wait out the time limit.

The row and byte limits are enforced while results are read: the worker stops
pulling solutions past ``max_rows`` rows or ``max_bytes`` bytes, so a huge
result is never produced in full, nor sent to the server process. This module
imports nothing from the web stack, so workers start quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph as ox

from ..formats import by_name, serialize, serialize_boolean
from ..graphs import Term
from ..jsonld import Context
from ..namespaces import BASE, PREFIXES
from ..queries import dataset_graphs
from . import sandbox
from .lifeline import die_with_parent

log = logging.getLogger("pilotkg.web")
#: The base IRI of a query with no BASE. SPARQL resolves relative IRIs against the query's
#: retrieval IRI (SPARQL 1.1 Query §4.1.1.3), the endpoint; its permanent IRI is used wherever
#: the server runs, so an answer never depends on the Host header. So a W3C protocol test's
#: ``CONSTRUCT { <s> <p> 1 } WHERE {}`` runs, and ``<id/zone/shenzhen>`` names the zone.
QUERY_BASE = BASE + "sparql"


@dataclass(frozen=True)
class Job:
    """A query to run and how to answer it."""

    query: str
    format_name: str  # a name from the format table; the worker falls back by result form
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_bytes: int = 0  # 0: no limit on the serialised result
    check_only: str = ""  # parse only; answer 403 with this message if the engine accepts the text
    context: Context | None = None  # compact a JSON-LD graph with this context (else expanded)

    @property
    def digest(self) -> str:
        """A short hash of the query text, to name it in the log without logging it whole."""
        return hashlib.sha256(self.query.encode("utf-8")).hexdigest()[:12]


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


def _too_big(max_bytes: int) -> Outcome:
    return Outcome(
        422,
        message=(
            f"The query's result is larger than {max_bytes} bytes (setting max_result_bytes), so "
            "it was stopped. Select fewer or shorter values, or add LIMIT."
        ),
    )


def _term_bytes(term: Term | None) -> int:
    """Roughly what a term takes in a serialised result: its text and some markup."""
    if term is None:
        return 0
    if isinstance(term, ox.Triple):
        return _term_bytes(term.subject) + _term_bytes(term.predicate) + _term_bytes(term.object)
    return len(term.value) + 16


def _out_of_memory() -> Outcome:
    return Outcome(
        422,
        message=(
            "The query needed more memory than a query may take (setting query_memory_mb), "
            "so it was stopped. Narrow it, or add LIMIT."
        ),
    )


def execute(store: ox.Store, job: Job) -> Outcome:
    """Run ``job`` on ``store`` and serialise its result; errors become an Outcome."""
    try:
        results = store.query(
            job.query,
            base_iri=QUERY_BASE,
            prefixes=PREFIXES,
            default_graph=dataset_graphs(job.query, job.default_graphs),
            named_graphs=[ox.NamedNode(g) for g in job.named_graphs] or None,
        )
        if job.check_only:  # the engine reads what the guard could not: refuse, never run it
            return Outcome(403, message=job.check_only)
        return _serialise(results, job)
    except SyntaxError as error:
        return Outcome(400, message=f"Malformed query: {error.msg or error}")
    except OSError:  # a SERVICE call that failed; its details would map the network behind
        if job.check_only:  # an ASK is evaluated as it is parsed: still a refusal
            return Outcome(403, message=job.check_only)
        return Outcome(502, message="A SERVICE call failed: the remote endpoint did not answer.")
    except MemoryError:
        return _out_of_memory()
    except (RuntimeError, ValueError, TypeError) as error:
        return Outcome(400, message=f"The query could not be evaluated: {error}")


def _serialise(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: Job) -> Outcome:
    if isinstance(results, ox.QueryBoolean):
        fmt = by_name(job.format_name, "results") or by_name("json", "results")
        assert fmt is not None and fmt.results_format is not None
        return Outcome(200, serialize_boolean(results, fmt), fmt.media_type, "boolean", 1)
    if isinstance(results, ox.QuerySolutions):
        return _serialise_solutions(results, job)
    graph_format = by_name(job.format_name, "graph") or by_name("turtle", "graph")
    assert graph_format is not None and graph_format.rdf_format is not None
    triples: list[ox.Triple] = []
    size = 0
    for triple in results:
        if len(triples) == job.max_rows:
            return _too_many(job.max_rows, "triples")
        size += _term_bytes(triple)
        if job.max_bytes and size > job.max_bytes:
            return _too_big(job.max_bytes)
        triples.append(triple)
    body = serialize(triples, graph_format, context=job.context)
    if job.max_bytes and len(body) > job.max_bytes:
        return _too_big(job.max_bytes)
    return Outcome(200, body, graph_format.media_type, "graph", len(triples))


def _serialise_solutions(results: ox.QuerySolutions, job: Job) -> Outcome:
    fmt = by_name(job.format_name, "results") or by_name("json", "results")
    assert fmt is not None and fmt.results_format is not None
    variables = [v.value for v in results.variables]
    rows: list[ox.QuerySolution] = []
    size = 0
    for row in results:
        if len(rows) == job.max_rows:
            return _too_many(job.max_rows, "rows")
        size += sum(_term_bytes(row[name]) for name in variables)
        if job.max_bytes and size > job.max_bytes:
            return _too_big(job.max_bytes)
        rows.append(row)
    body = solutions_json(variables, rows)
    if fmt.name != "json":
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        body = parsed.serialize(format=fmt.results_format) or b""
    if job.max_bytes and len(body) > job.max_bytes:
        return _too_big(job.max_bytes)
    return Outcome(200, body, fmt.media_type, "solutions", len(rows))


@dataclass(frozen=True)
class WorkerSpec:
    """How a worker is started: its store, whether it may use the network, its memory bound."""

    store_path: str
    sealed: bool
    memory_mb: int


def _worker_main(spec: WorkerSpec, connection: multiprocessing.connection.Connection) -> None:
    """A worker: raise its walls, open the store read-only, say ready, answer jobs until
    the pipe closes. Jobs run on a deep-stack thread (see ``sandbox``)."""
    die_with_parent(os.getppid(), signal.SIGKILL)  # a killed server leaves no worker behind
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops workers itself
    sealed = sandbox.seal_network() if spec.sealed else False
    store = ox.Store.read_only(spec.store_path)

    def serve() -> None:
        sandbox.limit_memory(spec.memory_mb)
        connection.send(("ready", sealed))
        while True:
            try:
                job = connection.recv()
            except (EOFError, OSError):
                return
            connection.send(execute(store, job))

    sandbox.run_on_deep_stack(serve)


# --- the pool: one thread per worker, so that the event loop never waits on a pipe ----------


class QueryTimeout(Exception):
    """A query ran past the time limit; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


class LongQueriesBusy(Exception):
    """A query became long while every slot for long queries was taken; its worker was killed."""


Lane = Literal["sealed", "federated"]
#: How often a waiting dispatcher looks whether its client has gone away.
_CANCEL_POLL_S = 0.05


@dataclass(eq=False)
class _Request:
    """A job on its way through a lane's queue, and the future its caller awaits."""

    job: Job
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Outcome]
    queued: float
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Tell the dispatcher the answer is not wanted (it kills the worker if it runs the job),
        and settle the caller's future, which the dispatcher then never settles (called on the
        event loop's thread, like ``submit``)."""
        self.cancelled.set()
        if not self.future.done():
            self.future.cancel()

    def settle(self, outcome: Outcome | None = None, error: Exception | None = None) -> None:
        """Complete the caller's future from the dispatcher thread."""

        def complete() -> None:
            if self.future.done():
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(outcome)  # type: ignore[arg-type]

        with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
            self.loop.call_soon_threadsafe(complete)


class _Dispatcher:
    """One worker process and the thread that feeds it jobs from its lane's queue.

    The thread does the blocking pipe work (send, wait, receive) and the kill and
    restart, so a worker is free for its next job the moment it has answered,
    whatever the event loop is busy with; the loop only resumes the caller.
    """

    def __init__(self, pool: QueryPool, lane: Lane) -> None:
        self.pool = pool
        self.lane = lane
        self.process: multiprocessing.process.BaseProcess | None = None
        self.connection: multiprocessing.connection.Connection | None = None
        self.sealed = False
        self.thread = threading.Thread(target=self._serve, name=f"pilotkg-{lane}", daemon=True)

    def start_process(self) -> None:
        """Start the worker process and wait (in this thread) until it has opened the store."""
        ours, theirs = self.pool.context.Pipe()
        spec = WorkerSpec(self.pool.store_path, self.lane == "sealed", self.pool.memory_mb)
        process = self.pool.context.Process(
            target=_worker_main, args=(spec, theirs), daemon=True, name=f"pilotkg-{self.lane}"
        )
        process.start()
        theirs.close()
        if not ours.poll(60.0):
            process.kill()
            raise RuntimeError("a query worker did not start within 60 s")
        message, self.sealed = ours.recv()
        if message != "ready":  # pragma: no cover - a worker that cannot open the store
            raise RuntimeError(f"query worker failed to start: {message!r}")
        self.process, self.connection = process, ours

    def kill(self) -> None:
        process, connection = self.process, self.connection
        self.process = self.connection = None
        if process is not None:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
            process.join(timeout=5)
        if connection is not None:
            connection.close()

    def _restart(self) -> None:
        self.kill()
        if self.pool.closing:
            return
        self.pool.restarts += 1
        try:
            self.start_process()
        except (OSError, RuntimeError) as error:
            log.error("a replacement query worker failed to start: %s", error)

    def _serve(self) -> None:
        queue = self.pool.queues[self.lane]
        while True:
            request = queue.get()
            if request is None:  # the pool is closing
                return
            if request.cancelled.is_set():
                continue
            if time.monotonic() - request.queued > self.pool.timeout_s:
                request.settle(error=PoolBusy())
                continue
            if self.connection is None:
                self._restart()
            if self.connection is None:
                request.settle(Outcome(503, message="No query worker could be started."))
                continue
            self._answer(request)

    def _wait(self, request: _Request, seconds: float) -> str:
        """Wait up to ``seconds`` for the answer: "answered", "cancelled" or "late"."""
        assert self.connection is not None
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if self.connection.poll(max(0.0, min(left, _CANCEL_POLL_S))):
                return "answered"
            if request.cancelled.is_set():
                return "cancelled"
            if left <= _CANCEL_POLL_S:
                return "late"

    def _answer(self, request: _Request) -> None:
        pool = self.pool
        assert self.connection is not None
        counted = False
        try:
            self.connection.send(request.job)
            state = self._wait(request, min(pool.quick_s, pool.timeout_s))
            if state == "late" and self.lane == "sealed":
                with pool.lock:
                    if pool.long_running < pool.size:
                        pool.long_running += 1
                        counted = True
                if not counted:
                    self._restart()
                    request.settle(error=LongQueriesBusy())
                    return
            if state == "late":
                state = self._wait(request, pool.timeout_s - pool.quick_s)
            if state == "cancelled":  # the client went away: its answer is not wanted
                self._restart()
                return
            if state == "late":
                self._restart()
                request.settle(error=QueryTimeout())
                return
            request.settle(self.connection.recv())
        except (EOFError, OSError):
            request.settle(self._died(request.job))
        finally:
            if counted:
                with pool.lock:
                    pool.long_running -= 1

    def _died(self, job: Job) -> Outcome:
        """The worker died under ``job``: log it with the query's hash, replace it, say why."""
        code = None
        if self.process is not None:
            self.process.join(timeout=5)
            code = self.process.exitcode
        self.pool.deaths.append((job.digest, code))
        log.error("query worker died (exit code %s) running query %s", code, job.digest)
        self._restart()
        if code == -signal.SIGABRT:  # the engine aborts when an allocation fails
            return _out_of_memory()
        return Outcome(
            503,
            message=f"The query worker stopped unexpectedly (query {job.digest}); try again.",
            headers={"Retry-After": "1"},
        )


class QueryPool:
    """Sealed workers (``size`` for long queries plus one kept for short ones) and, when
    ``federated``, one worker that may reach the network, for allowed SERVICE calls."""

    def __init__(
        self,
        store_path: str,
        *,
        size: int,
        timeout_s: float,
        quick_s: float = 0.5,
        memory_mb: int = 0,
        federated: bool = False,
    ) -> None:
        self.store_path = store_path
        self.size = size
        self.timeout_s = timeout_s
        self.quick_s = quick_s
        self.memory_mb = memory_mb
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self.queues: dict[Lane, queue.SimpleQueue[_Request | None]] = {
            "sealed": queue.SimpleQueue(),
            "federated": queue.SimpleQueue(),
        }
        self.lock = threading.Lock()
        self.closing = False
        self.long_running = 0
        self.restarts = 0
        self.deaths: list[tuple[str, int | None]] = []  # (query digest, exit code) of dead workers
        #: Jobs submitted and not yet answered (read and written on the event loop's thread).
        self.in_flight = 0
        counts: dict[Lane, int] = {"sealed": size + 1, "federated": 1 if federated else 0}
        self._dispatchers = [
            _Dispatcher(self, lane) for lane, count in counts.items() for _ in range(count)
        ]
        self._lanes = {lane for lane, count in counts.items() if count}

    @property
    def sealed(self) -> bool:
        """Whether every sealed worker really has no network (False where the kernel refused)."""
        return all(d.sealed for d in self._dispatchers if d.lane == "sealed")

    async def start(self) -> None:
        """Start every worker (in threads, so the loop stays free) and their dispatchers."""
        await asyncio.gather(
            *(asyncio.to_thread(dispatcher.start_process) for dispatcher in self._dispatchers)
        )
        for dispatcher in self._dispatchers:
            dispatcher.thread.start()
        if not self.sealed:
            log.warning(
                "query workers could not be moved into a network namespace of their own; "
                "SERVICE is then guarded by the query check alone"
            )

    def submit(self, job: Job, *, lane: Lane = "sealed") -> _Request:
        """Queue ``job`` for the next free worker of ``lane``; await the returned request's
        ``future``, and ``cancel`` it if the answer is no longer wanted.

        The future raises PoolBusy (no worker came free in time), LongQueriesBusy
        (the query ran past ``quick_s`` while every long-query slot was taken) or
        QueryTimeout. Cancelling kills the worker running the job and starts another.
        """
        loop = asyncio.get_running_loop()
        request = _Request(job, loop, loop.create_future(), time.monotonic())
        self.in_flight += 1
        request.future.add_done_callback(self._landed)
        if lane not in self._lanes:
            request.future.set_exception(PoolBusy())
        else:
            self.queues[lane].put(request)
        return request

    def _landed(self, _future: asyncio.Future[Outcome]) -> None:
        self.in_flight -= 1

    async def run(self, job: Job, *, lane: Lane = "sealed") -> Outcome:
        """``submit`` and wait for the outcome (cancelling the caller cancels the job)."""
        request = self.submit(job, lane=lane)
        try:
            return await request.future
        finally:
            request.cancel()  # a no-op once answered

    async def close(self) -> None:
        """Stop every dispatcher and worker."""
        self.closing = True
        for dispatcher in self._dispatchers:
            self.queues[dispatcher.lane].put(None)
        for dispatcher in self._dispatchers:
            dispatcher.kill()
        for dispatcher in self._dispatchers:
            if dispatcher.thread.is_alive():
                await asyncio.to_thread(dispatcher.thread.join, 5)
