"""``pilotkg load`` against a real Virtuoso (the ``virtuoso`` fixture, tests/support/virtuoso.py).

Every test loads into a graph of its own and drops it afterwards, so the suite
can share a developer's running instance without touching the graphs in it.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.queries import Catalogue
from pilotkg.release import read_release
from pilotkg.remote.client import (
    Endpoints,
    Failure,
    RemoteStore,
    RemoteStoreError,
    RetryPolicy,
)
from pilotkg.remote.loading import (
    load_triples,
    new_staging_graph,
    staging_prefix,
    staging_started,
)
from pilotkg.remote.verify import compare_queries
from pilotkg.sources import CHECKOUT_ROOT
from support.remote_graphs import (
    FIXTURE_SOURCES,
    by_value,
    drop_graphs,
    graph_triples,
    make_store,
    month_and_its_first_day,
    staging_graphs,
    synthetic,
)
from support.virtuoso import Virtuoso

pytestmark = pytest.mark.virtuoso

NO_WAIT = RetryPolicy(attempts=3, first_delay_s=0.0, sleep=lambda _s: None)


# ---------------------------------------------------------------------- same answers as the embedded store


@pytest.mark.parametrize("graph_store", [True, False], ids=["graph-store", "insert-data"])
def test_every_canned_query_answers_as_on_the_embedded_store(
    virtuoso: Virtuoso, graph: str, fixture_release: Path, graph_store: bool
) -> None:
    store = make_store(virtuoso, graph_store=graph_store)
    triples = read_release(fixture_release)
    summary = load_triples(store, triples, graph=graph)
    assert summary.triples == len(triples) == store.count(graph)
    comparisons = compare_queries(
        store, triples, list(Catalogue(FIXTURE_SOURCES / "queries")), graph=graph
    )
    assert len(comparisons) == 6
    assert [c.as_text() for c in comparisons if not c.same] == []


def test_the_real_release_answers_as_on_the_embedded_store(
    virtuoso: Virtuoso, graph: str, checkout_release: Path
) -> None:
    store = make_store(virtuoso)
    triples = read_release(checkout_release)
    load_triples(store, triples, graph=graph)
    # Virtuoso keeps numbers as values: "1716000000"^^xsd:decimal comes back as xsd:integer.
    assert by_value(graph_triples(store, graph)) == by_value(triples)
    queries = list(Catalogue(CHECKOUT_ROOT / "queries"))
    comparisons = compare_queries(store, triples, queries, graph=graph)
    assert [c.as_text() for c in comparisons if not c.same] == []


def test_literals_round_trip_exactly_in_small_insert_data_batches(
    virtuoso: Virtuoso, graph: str, fixture_release: Path
) -> None:
    """Quotes, backslashes, braces, line breaks, Chinese and astral-plane text, language
    tags and dates at three precisions, sent three triples per INSERT DATA."""
    store = make_store(virtuoso, graph_store=False)
    triples = read_release(fixture_release)
    load_triples(store, triples, graph=graph, batch_triples=3)
    assert graph_triples(store, graph) == triples


def test_batches_too_large_for_virtuoso_are_split(virtuoso: Virtuoso, graph: str) -> None:
    """Virtuoso's SPARQL compiler refuses INSERT DATA of a few thousand triples."""
    store = make_store(virtuoso, graph_store=False)
    triples = synthetic(3000, tag="large")
    load_triples(store, triples, graph=graph, batch_triples=3000)
    assert store.count(graph) == 3000


def test_virtuoso_merging_a_month_with_its_first_day_stops_the_load(
    virtuoso: Virtuoso, graph: str, fixture_release: Path
) -> None:
    """Virtuoso keeps "2025-12"^^xsd:gYearMonth and "2025-12-01"^^xsd:date as one value:
    the count check catches the lost triple and the target keeps its contents."""
    store = make_store(virtuoso)
    old = read_release(fixture_release)
    load_triples(store, old, graph=graph)
    month, day = month_and_its_first_day()
    with pytest.raises(RemoteStoreError, match="merges literals of equal value: 1 pairs here"):
        load_triples(store, {*old, month, day}, graph=graph)
    assert graph_triples(store, graph) == old
    assert staging_graphs(store) == []


# ---------------------------------------------------------------------- idempotent and atomic


def test_loading_twice_duplicates_nothing(
    virtuoso: Virtuoso, graph: str, fixture_release: Path
) -> None:
    store = make_store(virtuoso)
    triples = read_release(fixture_release)
    load_triples(store, synthetic(50, tag="old"), graph=graph)
    load_triples(store, triples, graph=graph)
    load_triples(store, triples, graph=graph, batch_triples=10)
    assert store.count(graph) == len(triples)
    assert graph_triples(store, graph) == triples
    assert staging_graphs(store) == []


class CuttingProxy:
    """A TCP proxy on 127.0.0.1 that resets the connection carrying request byte
    ``cut_after_bytes``, then resets the next ``then_cut`` connections at once, then heals."""

    def __init__(self, upstream_port: int, *, cut_after_bytes: int, then_cut: int = 0) -> None:
        self.upstream_port = upstream_port
        self.cut_after_bytes = cut_after_bytes
        self.then_cut = then_cut
        self.sent = 0
        self.cuts = 0
        self._to_cut = 0
        self._tripped = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                cut_now = self._to_cut > 0
                self._to_cut -= cut_now
                self.cuts += cut_now
            if cut_now:
                _reset(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
            for source, target, counted in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, counted), daemon=True
                ).start()

    def _trips(self, count: int) -> bool:
        with self._lock:
            self.sent += count
            if self._tripped or self.sent < self.cut_after_bytes:
                return False
            self._tripped = True
            self._to_cut = self.then_cut
            self.cuts += 1
            return True

    def _pump(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        try:
            while data := source.recv(65536):
                if counted and self._trips(len(data)):
                    _reset(source)
                    _reset(target)
                    return
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class ProxyFactory(Protocol):
    """A :class:`CuttingProxy` in front of the test Virtuoso, closed after the test."""

    def __call__(self, *, cut_after_bytes: int, then_cut: int = 0) -> CuttingProxy: ...


def _reset(sock: socket.socket) -> None:
    """Close with an RST, as a dying network or store does, not a polite FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


@pytest.fixture
def proxy_factory(virtuoso: Virtuoso) -> Iterator[ProxyFactory]:
    proxies: list[CuttingProxy] = []

    def tracked(*, cut_after_bytes: int, then_cut: int = 0) -> CuttingProxy:
        proxy = CuttingProxy(virtuoso.http_port, cut_after_bytes=cut_after_bytes, then_cut=then_cut)
        proxies.append(proxy)
        return proxy

    yield tracked
    for proxy in proxies:
        proxy.close()


def through(proxy: CuttingProxy) -> RemoteStore:
    """An anonymous store reached through ``proxy``: one TCP connection per request."""
    base = f"http://127.0.0.1:{proxy.port}"
    return RemoteStore(
        Endpoints(f"{base}/sparql", graph_store=f"{base}/sparql-graph-crud"), retry=NO_WAIT
    )


NEW_BYTES = 600 * 160  # about the N-Triples size of synthetic(600)


def test_a_connection_cut_mid_load_is_retried_and_the_load_completes(
    virtuoso: Virtuoso, graph: str, proxy_factory: ProxyFactory
) -> None:
    direct = make_store(virtuoso)
    load_triples(direct, synthetic(40, tag="old"), graph=graph)
    proxy = proxy_factory(cut_after_bytes=NEW_BYTES // 2)
    new = synthetic(600, tag="new")
    load_triples(through(proxy), new, graph=graph, batch_triples=50)
    assert proxy.cuts == 1
    assert graph_triples(direct, graph) == new
    assert staging_graphs(direct) == []


def test_an_outage_mid_load_keeps_the_target_and_removes_the_staging_graph(
    virtuoso: Virtuoso, graph: str, proxy_factory: ProxyFactory
) -> None:
    direct = make_store(virtuoso)
    old = synthetic(40, tag="old")
    load_triples(direct, old, graph=graph)
    # The cut and every retry fail (NO_WAIT allows 3 attempts); the clean-up gets through.
    proxy = proxy_factory(cut_after_bytes=NEW_BYTES // 2, then_cut=NO_WAIT.attempts - 1)
    with pytest.raises(RemoteStoreError, match="failed 3 times") as caught:
        load_triples(through(proxy), synthetic(600, tag="new"), graph=graph, batch_triples=50)
    assert caught.value.failure is Failure.TRANSIENT
    assert proxy.cuts == NO_WAIT.attempts
    assert graph_triples(direct, graph) == old
    assert staging_graphs(direct) == []
    again = synthetic(600, tag="again")
    load_triples(direct, again, graph=graph)
    assert graph_triples(direct, graph) == again


# ---------------------------------------------------------------------- the command


def run_load(virtuoso: Virtuoso, *args: str, password: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["load", "--endpoint", virtuoso.sparql_auth, "--user", virtuoso.user, *args],
        env={"PILOTKG_STORE_PASSWORD": password},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_load_and_verify_from_the_command_line(
    virtuoso: Virtuoso, graph: str, fixture_release: Path
) -> None:
    code, output = run_load(
        virtuoso, "--graph-store", virtuoso.graph_store_auth, "--graph", graph,
        "--release", str(fixture_release), "--source", str(FIXTURE_SOURCES), "--verify",
        password=virtuoso.password,
    )  # fmt: skip
    assert code == 0, output
    triples = len(read_release(fixture_release))
    assert f"loaded {triples} triples into <{graph}>" in output
    assert "Graph Store protocol, replaced by MOVE" in output
    assert "all 6 canned queries answer the same on both stores" in output


def test_verify_reports_a_difference(virtuoso: Virtuoso, graph: str, fixture_release: Path) -> None:
    store = make_store(virtuoso)
    load_triples(store, read_release(fixture_release), graph=graph)
    store.update(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://w3id.org/pilotkg/id/zone/intruder> a "
        "<https://w3id.org/pilotkg/ontology#PilotZone> ; "
        "<https://w3id.org/pilotkg/ontology#batch> 9 } }",
        what="INSERT DATA",
    )
    code, output = run_load(
        virtuoso, "--graph", graph, "--release", str(fixture_release),
        "--source", str(FIXTURE_SOURCES), "--verify-only", password=virtuoso.password,
    )  # fmt: skip
    assert code == 1
    assert "DIFF  zones-by-batch" in output and "only remote:   ?batch=9 ?zones=1" in output
    assert "same  zone-labels" in output


def test_a_wrong_password_says_what_to_fix(
    virtuoso: Virtuoso, graph: str, fixture_release: Path
) -> None:
    wrong = f"wrong-{uuid.uuid4().hex}"
    code, output = run_load(
        virtuoso, "--graph-store", virtuoso.graph_store_auth, "--graph", graph,
        "--release", str(fixture_release), password=wrong,
    )  # fmt: skip
    assert code == 2
    assert "refused the credentials of user 'dba' (HTTP 401)" in output
    assert "check --user, the password in $PILOTKG_STORE_PASSWORD and --auth" in output
    assert wrong not in output and "Traceback" not in output
    assert make_store(virtuoso).count(graph) == 0


# ---------------------------------------------------------------------- abandoned staging graphs

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def entities(tag: str) -> set[ox.Triple]:
    """Three entities of three triples each, their IRIs unique to one test, so that counting
    one entity in Virtuoso's default graph (the union of all graphs) sees only this test."""
    return {
        ox.Triple(
            ox.NamedNode(f"https://w3id.org/pilotkg/id/zone/{tag}-{e}"),
            ox.NamedNode(f"https://w3id.org/pilotkg/ontology#p{p}"),
            ox.Literal(f"{tag} {e}.{p}"),
        )
        for e in range(3)
        for p in range(3)
    }


def in_default_graph(store: RemoteStore, subject: str) -> int:
    """Triples about ``subject`` that a query without FROM sees on Virtuoso."""
    answer = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ <{subject}> ?p ?o }}")
    assert isinstance(answer, ox.QuerySolutions)
    [row] = list(answer)
    return int(row["n"].value)


def staging_of(store: RemoteStore, target: str) -> list[str]:
    return [g for g in staging_graphs(store) if g.startswith(staging_prefix(target))]


def write_release(triples: set[ox.Triple], path: Path) -> Path:
    path.write_bytes(ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES) or b"")
    return path


class MoveHoldingProxy:
    """A TCP proxy on 127.0.0.1 that forwards everything except a request holding a MOVE,
    which it keeps from Virtuoso, so a test can kill the load between staging and swap."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.held = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for sock in self._sockets:
            _reset(sock)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
            self._sockets += [client, upstream]
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        tail = b""
        try:
            while data := client.recv(65536):
                if b"MOVE <" in tail + data:
                    self.held.set()
                    return  # never forwarded; the sockets stay open until close()
                tail = data[-8:]
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _answers(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def test_a_killed_load_leaves_duplicates_on_virtuoso_until_the_next_load_removes_them(
    virtuoso: Virtuoso, graph: str, tmp_path: Path
) -> None:
    """The load is killed with SIGKILL while its MOVE is held; Virtuoso's default graph then
    shows each triple twice, until a later load removes the abandoned staging graph."""
    direct = make_store(virtuoso)
    triples = entities(uuid.uuid4().hex)
    subject = next(iter(triples)).subject
    assert isinstance(subject, ox.NamedNode)
    entity = subject.value
    load_triples(direct, triples, graph=graph)  # the last load that went well
    release = write_release(triples, tmp_path / "release.nt")
    proxy = MoveHoldingProxy(virtuoso.http_port)
    base = f"http://127.0.0.1:{proxy.port}"
    try:
        killed = subprocess.Popen(
            [sys.executable, "-c", "from pilotkg.cli import main; main()", "load",
             "--endpoint", f"{base}/sparql", "--graph-store", f"{base}/sparql-graph-crud",
             "--graph", graph, "--release", str(release)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert proxy.held.wait(60), "the load never reached its MOVE"
        finally:
            killed.kill()
            killed.wait(30)
        [left] = staging_of(direct, graph)
        started = staging_started(graph, left)
        assert started is not None and direct.count(left) == 9
        assert in_default_graph(direct, entity) == 6  # 3 in the graph, 3 in its leftover

        time.sleep(max(0.0, (started + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
        code, output = run_load(
            virtuoso, "--graph-store", virtuoso.graph_store_auth, "--graph", graph,
            "--release", str(release), "--stale-after-s", "1", password=virtuoso.password,
        )  # fmt: skip
        assert code == 0, output
        assert f"removed 1 abandoned staging graph of <{graph}>" in output
        assert staging_of(direct, graph) == []
        assert in_default_graph(direct, entity) == 3
        assert graph_triples(direct, graph) == triples
    finally:
        proxy.close()
        drop_graphs(direct, staging_of(direct, graph))


def test_an_old_staging_graph_on_virtuoso_is_removed_by_the_next_load(
    virtuoso: Virtuoso, graph: str, tmp_path: Path
) -> None:
    direct = make_store(virtuoso)
    triples = entities(uuid.uuid4().hex)
    subject = next(iter(triples)).subject
    assert isinstance(subject, ox.NamedNode)
    entity = subject.value
    load_triples(direct, triples, graph=graph)
    abandoned = new_staging_graph(graph, now=LONG_AGO)
    direct.upload(abandoned, sorted(triples, key=str))  # what a killed load leaves
    assert in_default_graph(direct, entity) == 6
    code, output = run_load(
        virtuoso, "--graph-store", virtuoso.graph_store_auth, "--graph", graph,
        "--release", str(write_release(triples, tmp_path / "release.nt")),
        password=virtuoso.password,
    )  # fmt: skip
    assert code == 0, output
    assert f"removed 1 abandoned staging graph of <{graph}>" in output
    assert staging_of(direct, graph) == []
    assert in_default_graph(direct, entity) == 3
    assert graph_triples(direct, graph) == triples


def test_clean_staging_on_virtuoso_removes_only_abandoned_graphs_of_its_own(
    virtuoso: Virtuoso, graph: str
) -> None:
    direct = make_store(virtuoso)
    other_target = f"{graph}-other"
    abandoned = new_staging_graph(graph, now=LONG_AGO)
    kept = [
        new_staging_graph(graph),  # a load running now
        f"{staging_prefix(graph)}20200101T000000Z-not-ours",
        new_staging_graph(other_target, now=LONG_AGO),
        f"{graph}/pilotkg-staging-not",
    ]
    one = [next(iter(entities(uuid.uuid4().hex)))]
    try:
        for name in [abandoned, *kept]:
            direct.upload(name, one)
        code, output = run_load(
            virtuoso, "--graph", graph, "--clean-staging", password=virtuoso.password
        )
        assert code == 0, output
        assert f"removed 1 abandoned staging graph of <{graph}>" in output
        assert "left 1 staging graph of" in output and "left 1 graph under" in output
        assert direct.count(abandoned) == 0
        assert [direct.count(name) for name in kept] == [1, 1, 1, 1]
    finally:
        drop_graphs(direct, [abandoned, *kept])
