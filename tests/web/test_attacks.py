"""``pilotkg serve`` attacked as an attacker and a flood of users would: real servers on
127.0.0.1, a local listener that records every connection a query makes, runaway,
malformed and oversized requests, clients that hang up.

Each test asserts what must hold (the status, the words, that nothing was
connected to, that a lookup issued meanwhile still answers within 1 s); none
times anything for a figure, which is the benchmark's job (``scripts/bench_serve.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from pilotkg.web.workers import Job, Outcome, PoolBusy, QueryPool, QueryTimeout, execute
from support.paths import PROJECT
from support.web import Listener, LiveServer, built_source

pytestmark = pytest.mark.slow  # real servers, floods and runaway queries

#: A quick query that a worker answers (a FILTER, so not a lookup the server answers itself,
#: ``web/lookups.py``): what must still find a free worker while runaways hold the others.
LOOKUP = "ASK { <https://w3id.org/pilotkg/id/zone/shenzhen> ?p ?o FILTER(true) }"
#: Runs until the time limit on any graph of a few hundred triples (a four-way cross join).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: On the server's allow-list, in the top-level domain RFC 6761 reserves never to resolve.
UNRESOLVABLE = "http://pilotkg-test.invalid/sparql"
#: Grows without bound in memory: a three-way cross join that must be sorted whole.
CARTESIAN = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 5"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


@pytest.fixture(scope="module")
def allowed() -> Iterator[Listener]:
    """A listener that is on the server's allow-list (but on a loopback address)."""
    with Listener() as running:
        yield running


@pytest.fixture(scope="module")
def server(allowed: Listener) -> Iterator[LiveServer]:
    extra = (
        ("service_allowlist", f"https://query.wikidata.org/sparql,{allowed.url},{UNRESOLVABLE}"),
        ("query_memory_mb", "256"),
        ("max_result_bytes", "1000000"),
        ("max_client_queries", "3"),
    )
    with LiveServer(extra) as running:
        yield running


_ASKED = itertools.count()


def lookup_answers_within_2s(server: LiveServer) -> bool:
    """Whether a lookup query gets its 200 answer within two seconds: one that waited for a
    runaway's worker would wait for the query time limit (3 s) to stop it, and a loaded machine
    (other tests beside this one) can take a second over a lookup that no runaway holds up.
    Each call asks a text of its own (a numbered comment), so that a worker answers it, not
    the result cache."""
    query = f"{LOOKUP} # {next(_ASKED)}"
    response = httpx.get(server.url + "/sparql", params={"query": query}, timeout=2.0)
    return response.status_code == 200 and response.json()["boolean"] is True


def send_all_ways(server: LiveServer, query: str) -> list[httpx.Response]:
    """``query`` by GET, by form POST and by direct POST."""
    url = server.url + "/sparql"
    return [
        httpx.get(url, params={"query": query}, timeout=15),
        httpx.post(url, data={"query": query}, timeout=15),
        httpx.post(
            url,
            content=query.encode(),
            headers={"Content-Type": "application/sparql-query"},
            timeout=15,
        ),
    ]


# --- SERVICE ---------------------------------------------------------------------------------


def _bypasses(port: int, server_port: int) -> list[str]:
    targets = [
        f"http://127.0.0.1:{port}/sparql",
        f"http://localhost:{port}/sparql",
        f"http://0x7f000001:{port}/sparql",
        f"http://2130706433:{port}/sparql",
        f"http://127.1:{port}/sparql",
        f"http://127.0.0.1:{server_port}/sparql",
    ]
    out = []
    for target in targets:
        out.append(
            f"SELECT * WHERE {{ BIND(\"0\" AS ?a) FILTER(?a<'>#') SERVICE <{target}> {{ ?x ?p ?o }} }}"
        )
        out.append(
            f"SELECT * WHERE {{ BIND(\"0\" AS ?a) FILTER(?a<'>') SERVICE <{target}> {{ ?x ?p ?o }} "
            "FILTER(?a!='') }"
        )
        out.append(  # an ASK is evaluated as soon as it is parsed
            f"ASK {{ BIND(\"0\" AS ?a) FILTER(?a<'>#') SERVICE <{target}> {{ ?x ?p ?o }} }}"
        )
    return out


def test_the_two_bypass_forms_get_403_and_connect_nowhere(
    server: LiveServer, listener: Listener
) -> None:
    before = listener.connections  # the sealed-worker test connects on purpose, in any order
    for query in _bypasses(listener.port, server.port):
        for response in send_all_ways(server, query):
            assert response.status_code == 403, (query, response.status_code, response.text)
            assert "Nothing was sent" in response.text
            assert "LEAKED" not in response.text
    time.sleep(0.3)
    assert listener.connections == before


_FRAGMENTS = [
    "<",
    ">",
    "'",
    '"',
    "'''",
    '"""',
    "#",
    "\n",
    "\\u003C",
    "\\u0027",
    "\\u0023",
    "\\u0053ERVICE",
    "?a",
    "(",
    ")",
    "{",
    "}",
    " . ",
    "FILTER(?a<'>#')",
    "FILTER(?a<'>')",
    "<x:y#>",
    "BIND('0' AS ?a)",
    " ",
    "\\",
]


def _fuzzed(rng: random.Random, target: str) -> str:
    before = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 6)))
    after = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 6)))
    keyword = rng.choice(["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "\\u0053ERVICE"])
    written = rng.choice([f"<{target}>", "<http:\\u002F\\u002F127.0.0.1" + target[16:] + ">"])
    return (
        f"SELECT * WHERE {{ BIND('0' AS ?a) {before} {keyword} {written} {{ ?x ?p ?o }} {after} }}"
    )


def test_fuzzed_texts_around_service_never_connect(server: LiveServer, listener: Listener) -> None:
    rng = random.Random(20261201)
    statuses: dict[int, int] = {}
    before = listener.connections  # the sealed-worker test connects on purpose, in any order
    with httpx.Client(timeout=15) as client:
        for _ in range(300):
            query = _fuzzed(rng, listener.url)
            response = client.post(server.url + "/sparql", data={"query": query})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert "LEAKED" not in response.text, query
            assert response.status_code in (200, 400, 403), (query, response.text)
    time.sleep(0.3)
    assert listener.connections == before, statuses
    assert statuses.get(403, 0) > 0 and statuses.get(400, 0) > 0  # both paths were exercised


def test_an_allowed_endpoint_on_a_loopback_address_is_refused(
    server: LiveServer, allowed: Listener
) -> None:
    query = f"SELECT * WHERE {{ SERVICE <{allowed.url}> {{ ?x ?p ?o }} }}"
    for response in send_all_ways(server, query):
        assert response.status_code == 403, response.text
        assert "loopback" in response.text and "service_private_networks" in response.text
    assert allowed.connections == 0


def test_an_allowed_endpoint_whose_host_does_not_resolve_is_a_bad_gateway(
    server: LiveServer,
) -> None:
    """Allowed, but unreachable from here: the other server's failure (502), not the
    client's fault (403)."""
    query = f"SELECT * WHERE {{ SERVICE <{UNRESOLVABLE}> {{ ?x ?p ?o }} }}"
    for response in send_all_ways(server, query):
        assert response.status_code == 502, response.text
        assert f"SERVICE <{UNRESOLVABLE}>: its host could not be resolved" in response.text
        assert "Nothing was sent to it." in response.text


def test_an_allowed_endpoint_in_an_opened_network_is_reached() -> None:
    """The other side of the wall: with its network opened on purpose, the federated worker
    does connect, so the refusals above are the walls at work, not a broken SERVICE."""
    with (
        Listener() as mirror,
        LiveServer(
            (("service_allowlist", mirror.url), ("service_private_networks", "127.0.0.1/32"))
        ) as opened,
    ):
        query = f"SELECT ?x WHERE {{ SERVICE <{mirror.url}> {{ ?x ?p ?o }} }}"
        response = httpx.post(opened.url + "/sparql", data={"query": query}, timeout=15)
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == [
            {"x": {"type": "literal", "value": "LEAKED"}}
        ]
        assert mirror.connections == 1


@pytest.fixture(scope="module")
def worker_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store of the fixture release, as the server's workers open it."""
    path = tmp_path_factory.mktemp("store") / "store"
    store = ox.Store(str(path))
    store.bulk_load(path=str(built_source() / "dist" / "pilotkg.ttl"), format=ox.RdfFormat.TURTLE)
    store.flush()
    del store
    return path


def test_a_sealed_worker_cannot_connect_even_when_the_guard_is_skipped(
    worker_store: Path, listener: Listener
) -> None:
    """Defence in depth: the job goes straight to the pool, as if the guard had been fooled."""
    query = f"SELECT ?x WHERE {{ SERVICE <{listener.url}> {{ ?x ?p ?o }} }}"

    async def run() -> tuple[bool, int, bool, int, bool]:
        pool = QueryPool(str(worker_store), size=1, timeout_s=10, federated=True)
        await pool.start()
        try:
            before = listener.connections
            sealed = await pool.run(Job(query, "json", 10), lane="sealed")
            sealed_connected = listener.connections > before
            before = listener.connections
            federated = await pool.run(Job(query, "json", 10), lane="federated")
            return (
                pool.sealed,
                sealed.status,
                sealed_connected,
                federated.status,
                listener.connections > before,
            )
        finally:
            await pool.close()

    walled, sealed_status, sealed_connected, federated_status, federated_connected = asyncio.run(
        run()
    )
    assert walled, "the sealed workers could not be moved into a network namespace"
    assert sealed_status == 502 and not sealed_connected
    assert federated_status == 200 and federated_connected  # the same query, the network open


# --- bounds ----------------------------------------------------------------------------------


def test_a_cartesian_order_by_stops_at_the_memory_bound_while_lookups_answer(
    server: LiveServer,
) -> None:
    answer: list[httpx.Response] = []
    runaway = threading.Thread(
        target=lambda: answer.append(
            httpx.get(server.url + "/sparql", params={"query": CARTESIAN}, timeout=30)
        )
    )
    runaway.start()
    time.sleep(0.3)
    assert lookup_answers_within_2s(server)
    runaway.join(timeout=30)
    assert answer and answer[0].status_code == 422, answer[0].text if answer else "no answer"
    assert "query_memory_mb" in answer[0].text
    assert "query worker died" in server.log.read_text()  # logged, with the query's hash
    assert lookup_answers_within_2s(server)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }",
        "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 3000 + "}" * 3000 + "}",
    ],
)
def test_deep_nesting_gets_400_before_parsing(server: LiveServer, query: str) -> None:
    response = httpx.post(server.url + "/sparql", data={"query": query}, timeout=15)
    assert response.status_code == 400, response.text
    assert "levels deep" in response.text and "max_query_nesting_levels" in response.text
    assert lookup_answers_within_2s(server)


def test_a_result_over_max_result_bytes_is_stopped(server: LiveServer) -> None:
    doubled = " ".join(f"BIND(CONCAT(?a{n}, ?a{n}) AS ?a{n + 1})" for n in range(21))
    query = f'SELECT ?a21 WHERE {{ BIND("x" AS ?a0) {doubled} }}'  # one literal of 2 MiB
    response = httpx.get(server.url + "/sparql", params={"query": query}, timeout=15)
    assert response.status_code == 422, response.text[:200]
    assert "max_result_bytes" in response.text
    small = query.replace("?a21", "?a10", 1)
    assert httpx.get(server.url + "/sparql", params={"query": small}, timeout=15).status_code == 200


def test_a_chunked_body_is_refused_while_it_is_read(server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"query=" + quote("SELECT * WHERE { ?s ?p ?o } #").encode()
        for _ in range(1000):  # 64 MB if it were all read
            yield b"x" * 65536

    response = httpx.post(
        server.url + "/sparql",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=15,
    )
    assert response.status_code == 413
    assert "max_query_bytes" in response.text


# --- fairness --------------------------------------------------------------------------------


def _hold(server: LiveServer, query: str) -> socket.socket:
    """Send ``query`` by GET on a raw connection and leave it open (the answer unread)."""
    connection = socket.create_connection(("127.0.0.1", server.port))
    path = "/sparql?query=" + quote(query)
    connection.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()
    )
    return connection


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def _busy_workers(server: LiveServer) -> set[int]:
    """The server's child processes that burn CPU over 0.4 s: at least a fifth of a core, so
    that a runaway counts as busy even while other tests share the machine's cores (an idle
    worker burns none)."""
    before = {pid: _cpu_ticks(pid) for pid in server.children()}
    time.sleep(0.4)
    return {pid for pid, ticks in before.items() if _cpu_ticks(pid) - ticks >= 8}


def wait_until_idle(server: LiveServer) -> None:
    """Wait (at most 10 s) until no worker of ``server`` burns CPU and a lookup answers."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _busy_workers(server):
        time.sleep(0.1)
    assert lookup_answers_within_2s(server)


def test_a_disconnected_client_frees_its_worker_within_1s(server: LiveServer) -> None:
    wait_until_idle(server)
    connection = _hold(server, RUNAWAY)
    busy = _busy_workers(server)
    deadline = time.monotonic() + 5  # the query reaches its worker (sooner on a quiet machine)
    while not busy and time.monotonic() < deadline:
        busy = _busy_workers(server)
    assert len(busy) == 1, busy
    connection.close()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and any(_cpu_ticks(pid) >= 0 for pid in busy):
        time.sleep(0.05)
    assert all(_cpu_ticks(pid) < 0 for pid in busy), "the worker outlived its client by 1 s"
    assert lookup_answers_within_2s(server)


def test_two_runaways_leave_a_worker_for_lookups_and_a_third_is_stopped(
    server: LiveServer,
) -> None:
    wait_until_idle(server)
    held = [_hold(server, RUNAWAY), _hold(server, RUNAWAY.replace("?l", "?m"))]
    try:
        time.sleep(0.8)  # both are long by now, in the two long-query slots
        assert lookup_answers_within_2s(server)
        # the third goes next, while both still run: on a loaded machine the lookups can take
        # long enough for the two to reach the 3 s time limit and free their slots
        third = httpx.get(  # another connection, still the same client address
            server.url + "/sparql", params={"query": RUNAWAY.replace("?l", "?n")}, timeout=10
        )
        assert third.status_code == 503, third.text
        assert "long queries are running" in third.text and third.headers["Retry-After"]
        for _ in range(4):
            assert lookup_answers_within_2s(server)
    finally:
        for connection in held:
            connection.close()


def test_one_client_may_run_only_max_client_queries_at_once(server: LiveServer) -> None:
    wait_until_idle(server)
    held = [_hold(server, RUNAWAY.replace("?l", f"?l{n}")) for n in range(3)]
    try:
        time.sleep(0.3)
        response = httpx.get(server.url + "/sparql", params={"query": LOOKUP}, timeout=5)
        assert response.status_code == 429, (response.text, server.log.read_text()[-3000:])
        assert response.headers["Retry-After"] == "1" and "max_client_queries" in response.text
    finally:
        for connection in held:
            connection.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if (
            httpx.get(server.url + "/sparql", params={"query": LOOKUP}, timeout=5).status_code
            == 200
        ):
            break
        time.sleep(0.1)
    assert lookup_answers_within_2s(server)


def test_a_sealed_worker_survives_nesting_the_guard_would_refuse(worker_store: Path) -> None:
    """Defence in depth: 5,000 nested groups straight to a worker run on its deep stack
    instead of overflowing the engine's recursion (which used to kill the worker)."""
    query = "SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000 + " LIMIT 1"

    async def run() -> tuple[int, list[tuple[str, int | None]]]:
        pool = QueryPool(str(worker_store), size=1, timeout_s=10)
        await pool.start()
        try:
            outcome = await pool.run(Job(query, "json", 10))
            return outcome.status, pool.deaths
        finally:
            await pool.close()

    status, deaths = asyncio.run(run())
    assert (status, deaths) == (200, [])


def test_the_pool_counts_queries_in_flight_until_each_is_settled(worker_store: Path) -> None:
    """Pages give way while queries are in flight (web/fairness.py): the count must fall back
    to 0 after an answer, a refusal (no federated lane), a timeout and a cancellation, or
    pages would give way for ever."""

    async def run() -> list[int]:
        pool = QueryPool(str(worker_store), size=1, timeout_s=1.5, quick_s=0.2)
        await pool.start()
        seen = []
        try:
            answered = pool.submit(Job("ASK { ?s ?p ?o }", "json", 10))
            seen.append(pool.in_flight)
            await answered.future
            seen.append(pool.in_flight)
            with contextlib.suppress(PoolBusy):
                await pool.run(Job("ASK {}", "json", 10), lane="federated")
            runaway = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c LIMIT 1"
            with contextlib.suppress(QueryTimeout):
                await pool.run(Job(runaway, "json", 10))
            seen.append(pool.in_flight)
            task = asyncio.ensure_future(pool.run(Job(runaway, "json", 10)))
            await asyncio.sleep(0.1)
            seen.append(pool.in_flight)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            seen.append(pool.in_flight)
            dropped = pool.submit(Job(runaway, "json", 10))  # a caller that stops waiting
            dropped.cancel()
            await asyncio.sleep(0)  # the future's done callbacks run on the next turn
            seen.append(pool.in_flight)
        finally:
            await pool.close()
        return seen

    assert asyncio.run(run()) == [1, 0, 0, 1, 0, 0]


def _worker_pids() -> set[int]:
    """This process's query workers (the children multiprocessing spawned), from /proc."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"spawn_main" in command:
            pids.add(int(entry.name))
    return pids


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) until ``condition`` holds."""
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def test_a_worker_killed_from_outside_is_seen_replaced_and_its_query_answered(
    worker_store: Path,
) -> None:
    """The event loop reads every worker's answer pipe: a worker that dies idle is replaced
    before any query meets it, and one that dies under a query answers it 503 (the death
    logged by the query's hash); the next query answers either way."""

    async def run() -> tuple[int, Outcome, int, list[tuple[str, int | None]]]:
        pool = QueryPool(str(worker_store), size=1, timeout_s=10, quick_s=5)
        await pool.start()
        try:
            for pid in _worker_pids():  # both idle
                os.kill(pid, signal.SIGKILL)
            await _until(lambda: pool.restarts == 2)
            after_idle = (await pool.run(Job(LOOKUP, "json", 10))).status
            running = pool.submit(Job(RUNAWAY, "json", 10))  # written to a worker's pipe now
            for pid in _worker_pids():
                os.kill(pid, signal.SIGKILL)
            died = await running.future
            after_busy = (await pool.run(Job(LOOKUP, "json", 10))).status
            return after_idle, died, after_busy, pool.deaths
        finally:
            await pool.close()

    after_idle, died, after_busy, deaths = asyncio.run(run())
    assert after_idle == 200 and after_busy == 200
    assert died.status == 503 and "stopped unexpectedly" in died.message
    assert deaths == [(Job(RUNAWAY, "json", 10).digest, -signal.SIGKILL)]


def test_a_cancelled_query_kills_its_worker_at_once_and_the_next_query_answers(
    worker_store: Path,
) -> None:
    """A client that goes away cancels its request: the worker running it is killed (and
    waited for) without waiting for any deadline, and a replacement takes the next query."""

    async def run() -> tuple[set[int], set[int], int, int]:
        pool = QueryPool(str(worker_store), size=1, timeout_s=30, quick_s=20)
        await pool.start()
        try:
            before = _worker_pids()
            running = pool.submit(Job(RUNAWAY, "json", 10))
            running.cancel()
            await _until(lambda: len(before - _worker_pids()) == 1)
            gone = before - _worker_pids()
            answered = (await pool.run(Job(LOOKUP, "json", 10))).status
            await _until(lambda: len(_worker_pids()) == 2)
            return gone, _worker_pids() & before, answered, pool.restarts
        finally:
            await pool.close()

    gone, kept, answered, restarts = asyncio.run(run())
    assert len(gone) == 1 and len(kept) == 1, (gone, kept)
    assert answered == 200 and restarts == 1


@pytest.mark.parametrize(("max_rows", "status"), [(3, 200), (2, 422)])
def test_rows_are_counted_exactly_when_literals_hold_line_breaks_and_tabs(
    max_rows: int, status: int
) -> None:
    """The engine writes solutions as TSV, one line per row, and the row limit counts the
    lines: line breaks and tabs inside literals are escaped, so they never count as rows."""
    query = 'SELECT ?x ?y { VALUES (?x ?y) { ("a\\nb" 1) ("c\\td" UNDEF) ("e\\r\\nf" "\\n") } }'
    outcome = execute(ox.Store(), Job(query, "json", max_rows))
    assert outcome.status == status, outcome.message
    if status == 200:
        bindings = json.loads(outcome.body)["results"]["bindings"]
        assert [b["x"]["value"] for b in bindings] == ["a\nb", "c\td", "e\r\nf"]
        assert outcome.rows == 3 and "y" not in bindings[1]


# --- load ------------------------------------------------------------------------------------


def test_64_clients_mixing_pages_and_sparql_get_no_errors() -> None:
    """Bounded load on loopback: 32 page clients and 32 lookup clients for 4 s. Every answer is
    a 200 (the per-client limit is off: all 64 clients share one address here)."""
    sys.path.insert(0, str(PROJECT / "scripts"))
    from bench_serve import _mix

    with LiveServer((("max_client_queries", "0"),)) as loaded:
        lookups, pages = asyncio.run(_mix("127.0.0.1", loaded.port, 32, 4.0, with_pages=True))
    assert pages is not None
    assert lookups.errors == 0 and pages.errors == 0, (lookups, pages)
    assert lookups.requests > 100 and pages.requests > 100, (lookups, pages)
