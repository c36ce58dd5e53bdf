"""Run SPARQL queries in worker processes that can be killed, in lanes that keep lookups fast.

pyoxigraph cannot interrupt a query once it runs, in a thread or otherwise, so a
time limit that really stops a runaway query needs a process to kill. Each
worker opens the on-disk store read-only behind the walls of ``sandbox.py`` (no
network unless it is the federated worker, bounded memory, a deep stack). On
timeout, on a disconnected client, or when a worker dies of a bound (memory, a
crash), the worker is killed (SIGKILL: RocksDB opened read-only has nothing to
lose) and a fresh one started in the background.

The event loop drives the workers itself: it writes a job to an idle worker's
job pipe, watches each worker's answer pipe (``add_reader``), and keeps the
deadlines as loop timers, so an answer completes its caller's future in the turn
it arrives and the next waiting job goes out at once, with no thread (no lock,
no GIL hand-off, no wake-up of the loop) between a query and its answer. Only
waiting for a killed process and spawning its replacement run in a thread.

Fairness: the pool holds ``size + 1`` sealed workers, and at most ``size`` of
them may be busy with *long* queries, those still running after
``quick_query_s``. A query that becomes long when ``size`` long ones already
run is stopped at once (503 with Retry-After), so one worker is always left
for the short lookups that are most of the traffic: two runaway queries can no
longer make every other request wait out the time limit.

The row and byte limits are enforced while results are read: the engine writes
a SELECT's solutions as TSV (one line per row) into ``_Bounded``, which stops it
past ``max_rows`` rows or ``max_bytes`` bytes, so a huge result is never produced
in full, nor sent to the server process; CONSTRUCT and DESCRIBE triples are
counted as they are read. A job with neither limit (the server's own texts) is
written by the engine straight into the format asked for, its rows not counted.
This module imports nothing from the web stack, so workers start quickly.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import struct
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

from .. import collation
from ..formats import by_name, serialize, serialize_boolean
from ..graphs import Term
from ..jsonld import Context
from ..namespaces import BASE, PREFIXES
from ..queries import dataset_graphs
from . import sandbox
from .collation import CUSTOM_FUNCTIONS
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
    #: None: no row limit; with no byte limit either, a SELECT's rows go uncounted.
    max_rows: int | None
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
    #: None: not counted (a SELECT with neither a row nor a byte limit).
    rows: int | None = 0
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# --- running one job (in the worker, or in-process for tests) -----------------------------


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
            custom_functions=CUSTOM_FUNCTIONS,
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


class _Cut(Exception):
    """The engine's serialiser was stopped at a limit; ``outcome`` says which."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class _Bounded:
    """Where the engine writes a result as TSV: the bytes are kept, and the engine is stopped
    (``_Cut``) as soon as it has written more than ``max_rows`` rows or ``max_bytes`` bytes.

    TSV writes one line per solution after the header line and escapes the line breaks in
    literals, so counting lines counts rows exactly, while the engine's own serialiser does
    the work that a Python loop over every term would otherwise do.
    """

    def __init__(self, max_rows: int | None, max_bytes: int) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.lines = 0
        self.size = 0

    @property
    def rows(self) -> int:
        return max(0, self.lines - 1)

    def write(self, chunk: bytes) -> int:
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.max_rows is not None and self.rows > self.max_rows:
            raise _Cut(_too_many(self.max_rows, "rows"))
        if self.max_bytes and self.size > self.max_bytes:
            raise _Cut(_too_big(self.max_bytes))
        self.chunks.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        """Nothing is buffered here (the engine calls it when it is done)."""


def _serialise_solutions(results: ox.QuerySolutions, job: Job) -> Outcome:
    fmt = by_name(job.format_name, "results") or by_name("json", "results")
    assert fmt is not None and fmt.results_format is not None
    if job.max_rows is None and not job.max_bytes:
        # Nothing to stop at, so nothing to count: the engine writes the format asked for in
        # one pass, as a bare endpoint does, rather than TSV read back and written again.
        body = results.serialize(format=fmt.results_format) or b""
        return Outcome(200, body, fmt.media_type, "solutions", None)
    written = _Bounded(job.max_rows, job.max_bytes)
    try:  # the engine calls only write and flush, which _Bounded has
        results.serialize(output=written, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
    except _Cut as cut:
        return cut.outcome
    body = b"".join(written.chunks)
    if fmt.results_format != ox.QueryResultsFormat.TSV:
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        body = parsed.serialize(format=fmt.results_format) or b""
    if job.max_bytes and len(body) > job.max_bytes:
        return _too_big(job.max_bytes)
    return Outcome(200, body, fmt.media_type, "solutions", written.rows)


@dataclass(frozen=True)
class WorkerSpec:
    """How a worker is started: its store, whether it may use the network, its memory bound,
    the release's pinyin sort keys (for ``arq:collation``; read only if a query asks)."""

    store_path: str
    sealed: bool
    memory_mb: int
    collation_keys: str | None = None


#: How an answer is framed on a worker's answer pipe: its pickle's length, then the pickle.
_FRAME = struct.Struct("!Q")
#: The most an answer pipe is read at once (a pipe holds 64 KiB unless enlarged).
_READ_BYTES = 1 << 20
#: How long a new worker may take to open the store and say it is ready.
_START_S = 60.0


def _send_answer(fd: int, message: object) -> None:
    """Write ``message`` to a worker's answer pipe, framed (the worker's side, blocking)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    header = _FRAME.pack(len(payload))
    parts = [header + payload] if len(payload) < 65_536 else [header, payload]
    for part in parts:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view) :]


def _worker_main(
    spec: WorkerSpec,
    jobs: multiprocessing.connection.Connection,
    answers: multiprocessing.connection.Connection,
) -> None:
    """A worker: raise its walls, open the store read-only, say ready, answer jobs until
    the job pipe closes. Jobs run on a deep-stack thread (see ``sandbox``)."""
    die_with_parent(os.getppid(), signal.SIGKILL)  # a killed server leaves no worker behind
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops workers itself
    sealed = sandbox.seal_network() if spec.sealed else False
    store = ox.Store.read_only(spec.store_path)
    if spec.collation_keys is not None:
        collation.learn(Path(spec.collation_keys))
    out = answers.fileno()

    def serve() -> None:
        sandbox.limit_memory(spec.memory_mb)
        _send_answer(out, ("ready", sealed))
        while True:
            try:
                job = jobs.recv()
            except (EOFError, OSError):
                return
            _send_answer(out, execute(store, job))

    sandbox.run_on_deep_stack(serve)


# --- the pool: worker pipes read on the event loop, deadlines as loop timers ----------------


class QueryTimeout(Exception):
    """A query ran past the time limit; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


class LongQueriesBusy(Exception):
    """A query became long while every slot for long queries was taken; its worker was killed."""


Lane = Literal["sealed", "federated"]


@dataclass(eq=False)
class _Request:
    """A job waiting for or running on a worker, and the future its caller awaits (everything
    here happens on the event loop's thread)."""

    job: Job
    future: asyncio.Future[Outcome]
    queued: float
    cancelled: bool = False
    worker: _Worker | None = None

    def cancel(self) -> None:
        """The answer is not wanted: settle the future, and kill the worker if it runs the job
        (a fresh one is started in the background)."""
        self.cancelled = True
        if not self.future.done():
            self.future.cancel()
        if self.worker is not None and self.worker.request is self:
            self.worker.abandon()

    def settle(self, outcome: Outcome | None = None, error: Exception | None = None) -> None:
        """Complete the caller's future, unless it is settled already."""
        if self.future.done():
            return
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(outcome)  # type: ignore[arg-type]


class _Worker:
    """One worker process and its two pipes, driven from the event loop.

    Jobs go down a pipe the worker reads blocking (it is idle whenever it is sent
    one); answers come back, framed by length, on a pipe the loop watches with
    ``add_reader``, so an answer completes its caller's future in the loop turn
    it arrives, with no thread (and no lock or GIL hand-off) in between. The quick
    and the time limit are loop timers. Killing is a signal; waiting for the dead
    process and starting its replacement happen in a thread, off the loop.
    """

    def __init__(self, pool: QueryPool, lane: Lane) -> None:
        self.pool = pool
        self.lane = lane
        #: "dead" (killed or died; waited for, and replaced unless the pool closes), "down"
        #: (a start failed; started again when a query finds no idle worker), "starting",
        #: "idle", "busy".
        self.state: Literal["dead", "down", "starting", "idle", "busy"] = "dead"
        self.process: multiprocessing.process.BaseProcess | None = None
        self.jobs: multiprocessing.connection.Connection | None = None
        self.answers = -1
        self.sealed = False
        self.request: _Request | None = None
        self.long = False  # the running query holds one of the pool's long-query slots
        self.timer: asyncio.TimerHandle | None = None
        self.ready: asyncio.Future[None] | None = None
        self._buffer = bytearray()

    def _spawn(
        self,
    ) -> tuple[multiprocessing.process.BaseProcess, multiprocessing.connection.Connection, int]:
        """Start the process (in a thread: spawning writes to the child and may block)."""
        pool = self.pool
        context = pool.context
        job_reader, job_writer = context.Pipe(duplex=False)
        answer_reader, answer_writer = context.Pipe(duplex=False)
        spec = WorkerSpec(
            pool.store_path, self.lane == "sealed", pool.memory_mb, pool.collation_keys
        )
        process = context.Process(
            target=_worker_main,
            args=(spec, job_reader, answer_writer),
            daemon=True,
            name=f"pilotkg-{self.lane}",
        )
        process.start()
        job_reader.close()
        answer_writer.close()
        answers = os.dup(answer_reader.fileno())
        answer_reader.close()
        os.set_blocking(answers, False)
        return process, job_writer, answers

    async def start(self) -> None:
        """Start the worker and wait until it has opened the store (RuntimeError if it fails)."""
        loop = asyncio.get_running_loop()
        self.state = "starting"
        self.process, self.jobs, self.answers = await asyncio.to_thread(self._spawn)
        if self.pool.closing:
            await _reap(self._kill())
            raise RuntimeError("the query pool is closing")
        self._buffer.clear()
        self.ready = loop.create_future()
        loop.add_reader(self.answers, self._readable)
        self.timer = loop.call_later(_START_S, self._not_started)
        await self.ready

    def _not_started(self) -> None:
        self.pool.background(_reap(self._kill()))
        self._failed_start(RuntimeError(f"a query worker did not start within {_START_S:g} s"))

    def _failed_start(self, error: Exception) -> None:
        self.state = "down"
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(error)

    def run(self, request: _Request) -> None:
        """Send ``request``'s job to this idle worker and set its first deadline."""
        assert self.jobs is not None
        pool = self.pool
        self.state, self.request, request.worker = "busy", request, self
        try:
            self.jobs.send(request.job)
        except OSError:  # the worker died while idle; its end of the pipe is gone
            self._died()
            return
        self.timer = asyncio.get_running_loop().call_later(
            min(pool.quick_s, pool.timeout_s), self._quick_passed
        )

    def _quick_passed(self) -> None:
        """The query is long now: take a long-query slot (sealed lane) or stop it."""
        pool = self.pool
        if self.lane == "sealed":
            if pool.long_running >= pool.size:
                self.abandon(LongQueriesBusy())
                return
            pool.long_running += 1
            self.long = True
        self.timer = asyncio.get_running_loop().call_later(
            max(0.0, pool.timeout_s - pool.quick_s), self.abandon, QueryTimeout()
        )

    def _readable(self) -> None:
        """The answer pipe can be read: take what is there, and act on every whole message."""
        try:
            chunk = os.read(self.answers, _READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._died()
            return
        buffer = self._buffer
        buffer += chunk
        while len(buffer) >= _FRAME.size:
            (length,) = _FRAME.unpack_from(buffer)
            end = _FRAME.size + length
            if len(buffer) < end:
                return
            message = pickle.loads(buffer[_FRAME.size : end])
            del buffer[:end]
            self._received(message)
            if self.answers < 0:  # the worker was killed meanwhile; nothing more is its
                return

    def _received(self, message: object) -> None:
        self._stop_timer()
        if self.state == "starting":
            _, self.sealed = message  # type: ignore[misc]
            self.state = "idle"
            assert self.ready is not None
            self.ready.set_result(None)
            self.pool.idle(self)
            return
        request = self._release()
        self.state = "idle"
        if request is not None:
            request.settle(message)  # type: ignore[arg-type]
        self.pool.idle(self)

    def _release(self) -> _Request | None:
        """Detach the running request (its long-query slot given back) and return it."""
        request, self.request = self.request, None
        if self.long:
            self.long = False
            self.pool.long_running -= 1
        return request

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _kill(self) -> multiprocessing.process.BaseProcess | None:
        """Stop reading, SIGKILL the process (RocksDB opened read-only has nothing to lose) and
        close the pipes; return the process, still to be waited for."""
        self._stop_timer()
        if self.answers >= 0:
            asyncio.get_running_loop().remove_reader(self.answers)
            os.close(self.answers)
            self.answers = -1
        if self.jobs is not None:
            self.jobs.close()
            self.jobs = None
        process, self.process = self.process, None
        if process is not None and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
        self.state = "dead"
        self.pool.busy(self)
        return process

    def stop(self) -> tuple[_Request | None, multiprocessing.process.BaseProcess | None]:
        """Kill the worker for good (the pool closes): its query and its process."""
        request = self._release()
        starting = self.state == "starting"
        process = self._kill()
        if starting:
            self._failed_start(RuntimeError("the query pool is closing"))
        return request, process

    def abandon(self, error: Exception | None = None) -> None:
        """Kill the worker under its query (past a limit, or no longer wanted), fail the
        query with ``error`` if one is given, and start a replacement."""
        request = self._release()
        process = self._kill()
        self.pool.restarts += 1
        self.pool.background(self._replace(process, request, error))

    def _died(self) -> None:
        """The worker's pipe closed: it died (of a bound, or a crash). Answer its query and
        replace it."""
        request = self._release()
        starting = self.state == "starting"
        process = self._kill()
        if starting:
            self._failed_start(RuntimeError("a query worker stopped while it started"))
            self.pool.background(_reap(process))
            return
        self.pool.background(self._bury(process, request))

    async def _bury(
        self, process: multiprocessing.process.BaseProcess | None, request: _Request | None
    ) -> None:
        code = await _reap(process)
        if request is None:
            self.pool.restarts += 1
            await self._replace(None)
            return
        job = request.job
        self.pool.deaths.append((job.digest, code))
        log.error("query worker died (exit code %s) running query %s", code, job.digest)
        self.pool.restarts += 1
        await self._replace(None)
        if code == -signal.SIGABRT:  # the engine aborts when an allocation fails
            request.settle(_out_of_memory())
            return
        request.settle(
            Outcome(
                503,
                message=f"The query worker stopped unexpectedly (query {job.digest}); try again.",
                headers={"Retry-After": "1"},
            )
        )

    async def _replace(
        self,
        process: multiprocessing.process.BaseProcess | None,
        request: _Request | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait for the killed process, start a fresh one (unless the pool is closing), and
        only then fail ``request`` with ``error``: a query stopped at a limit keeps its
        client's slot until its worker is replaced, so no client stops workers faster than
        they are replaced."""
        await _reap(process)
        if not self.pool.closing:
            try:
                await self.start()
            except (OSError, RuntimeError) as failure:
                if not self.pool.closing:
                    log.error("a replacement query worker failed to start: %s", failure)
                    self.pool.dispatch(self.lane)  # a waiting query tries once more
        if request is not None and error is not None:
            request.settle(error=error)

    async def revive(self) -> None:
        """Start this worker again (its replacement failed to start) for the queries waiting;
        if it fails again, the first of them is told that no worker could be started."""
        try:
            await self.start()
        except (OSError, RuntimeError) as error:
            if not self.pool.closing:
                log.error("a replacement query worker failed to start: %s", error)
                self.pool.refuse_first(self.lane)


async def _reap(process: multiprocessing.process.BaseProcess | None) -> int | None:
    """Wait (in a thread, at most 5 s) for a process that was killed or died; its exit code."""
    if process is None:
        return None
    await asyncio.to_thread(process.join, 5)
    return process.exitcode


class QueryPool:
    """Sealed workers (``size`` for long queries plus one kept for short ones) and, when
    ``federated``, one worker that may reach the network, for allowed SERVICE calls.

    The pool lives on the event loop that starts it: ``submit``, ``cancel`` and the
    workers' answers all run on that loop's thread.
    """

    def __init__(
        self,
        store_path: str,
        *,
        size: int,
        timeout_s: float,
        quick_s: float = 0.5,
        memory_mb: int = 0,
        federated: bool = False,
        collation_keys: str | None = None,
    ) -> None:
        self.store_path = store_path
        self.collation_keys = collation_keys
        self.size = size
        self.timeout_s = timeout_s
        self.quick_s = quick_s
        self.memory_mb = memory_mb
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self.closing = False
        self.long_running = 0
        self.restarts = 0
        self.deaths: list[tuple[str, int | None]] = []  # (query digest, exit code) of dead workers
        #: Jobs submitted and not yet answered, and jobs submitted since the pool was made.
        self.in_flight = 0
        self.submitted = 0
        counts: dict[Lane, int] = {"sealed": size + 1, "federated": 1 if federated else 0}
        self._workers = [
            _Worker(self, lane) for lane, count in counts.items() for _ in range(count)
        ]
        self._lanes = {lane for lane, count in counts.items() if count}
        self._waiting: dict[Lane, collections.deque[_Request]] = {
            "sealed": collections.deque(),
            "federated": collections.deque(),
        }
        #: Idle workers per lane, the last one freed on top.
        self._idle: dict[Lane, list[_Worker]] = {"sealed": [], "federated": []}
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def workers_ready(self) -> int:
        """How many workers have opened the store and take jobs (idle or busy)."""
        return sum(worker.state in ("idle", "busy") for worker in self._workers)

    @property
    def sealed(self) -> bool:
        """Whether every sealed worker really has no network (False where the kernel refused)."""
        return all(w.sealed for w in self._workers if w.lane == "sealed")

    async def start(self) -> None:
        """Start every worker (spawned in threads, so the loop stays free)."""
        await asyncio.gather(*(worker.start() for worker in self._workers))
        if not self.sealed:
            log.warning(
                "query workers could not be moved into a network namespace of their own; "
                "SERVICE is then guarded by the query check alone"
            )

    def start_in_background(self) -> None:
        """``start``, while the pool already takes jobs: each waits for the first worker
        that is ready. A worker that fails to start is started again by the next query
        that finds no other (see ``dispatch``), so the failure is only logged here."""

        async def start() -> None:
            try:
                await self.start()
            except Exception as error:  # the workers that did start serve; "down" ones retry
                if self.closing:
                    return
                log.warning("a query worker did not start: %s", error)
            for lane in self._lanes:  # queries that came before a failed start would wait on
                self.dispatch(lane)  # a worker that never comes: "down" ones are started again

        self.background(start())

    def submit(self, job: Job, *, lane: Lane = "sealed") -> _Request:
        """Queue ``job`` for the next free worker of ``lane``; await the returned request's
        ``future``, and ``cancel`` it if the answer is no longer wanted.

        The future raises PoolBusy (no worker came free in time), LongQueriesBusy
        (the query ran past ``quick_s`` while every long-query slot was taken) or
        QueryTimeout. Cancelling kills the worker running the job and starts another.
        """
        loop = asyncio.get_running_loop()
        request = _Request(job, loop.create_future(), time.monotonic())
        self.in_flight += 1
        self.submitted += 1
        request.future.add_done_callback(self._landed)
        if lane not in self._lanes:
            request.future.set_exception(PoolBusy())
        else:
            self._waiting[lane].append(request)
            self.dispatch(lane)
        return request

    def _landed(self, _future: asyncio.Future[Outcome]) -> None:
        self.in_flight -= 1

    def idle(self, worker: _Worker) -> None:
        """``worker`` is free: give it the next waiting query."""
        self._idle[worker.lane].append(worker)
        self.dispatch(worker.lane)

    def busy(self, worker: _Worker) -> None:
        """``worker`` was killed or died: it is no longer free."""
        with contextlib.suppress(ValueError):
            self._idle[worker.lane].remove(worker)

    def dispatch(self, lane: Lane) -> None:
        """Give waiting queries to idle workers, the last one freed first (its caches are the
        warmest). A query that waited past the time limit gets PoolBusy; one that finds no
        idle worker but one whose start failed starts it again."""
        waiting, idle = self._waiting[lane], self._idle[lane]
        while waiting:
            request = waiting[0]
            if request.cancelled or request.future.done():
                waiting.popleft()
            elif time.monotonic() - request.queued > self.timeout_s:
                waiting.popleft().settle(error=PoolBusy())
            elif idle:
                idle.pop().run(waiting.popleft())
            else:
                down = next(
                    (w for w in self._workers if w.lane == lane and w.state == "down"), None
                )
                if down is not None:
                    down.state = "starting"
                    self.background(down.revive())
                return

    def refuse_first(self, lane: Lane) -> None:
        """No worker of ``lane`` could be started: the first query waiting hears it."""
        waiting = self._waiting[lane]
        while waiting:
            request = waiting.popleft()
            if not (request.cancelled or request.future.done()):
                request.settle(Outcome(503, message="No query worker could be started."))
                break
        self.dispatch(lane)

    def background(self, work: Coroutine[Any, Any, object]) -> None:
        """Run ``work`` (a replacement starting, a dead process waited for) as a task the pool
        keeps until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, job: Job, *, lane: Lane = "sealed") -> Outcome:
        """``submit`` and wait for the outcome (cancelling the caller cancels the job)."""
        request = self.submit(job, lane=lane)
        try:
            return await request.future
        finally:
            request.cancel()  # a no-op once answered

    async def close(self) -> None:
        """Stop every worker; queries still waiting or running get PoolBusy."""
        self.closing = True
        killed = []
        for worker in self._workers:
            request, process = worker.stop()
            killed.append(process)
            if request is not None:
                request.settle(error=PoolBusy())
        for waiting in self._waiting.values():
            while waiting:
                waiting.popleft().settle(error=PoolBusy())
        await asyncio.gather(
            *(_reap(process) for process in killed), *self._tasks, return_exceptions=True
        )
