"""pilotkg.remote.client and ``pilotkg load`` without a real store: failure classification,
retries, secrets, batching, and the atomic swap run against pyoxigraph standing in
for the remote store. tests/remote/test_load_virtuoso.py runs the same against Virtuoso."""

from __future__ import annotations

import base64
import http.client
import http.server
import re
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from SPARQLWrapper import SPARQLExceptions as sparql_errors

from pilotkg.cli import main
from pilotkg.errors import UsageError
from pilotkg.namespaces import XSD
from pilotkg.queries import group_concat_columns, parse_query_file
from pilotkg.remote.client import (
    Credentials,
    Endpoints,
    Failure,
    RemoteStore,
    RemoteStoreError,
    RetryPolicy,
    StagingKept,
    batches,
    classify,
    insert_data,
    origin,
)
from pilotkg.remote.loading import (
    STAGING_SEGMENT,
    load_triples,
    merged_by_value,
    new_staging_graph,
    remove_stale_staging,
    staging_started,
)
from pilotkg.remote.verify import Row, compare_answers, compare_queries, term_key
from pilotkg.remote.virtuoso_sql import VirtuosoSql
from support.sparql_endpoint import Behaviour, OxigraphEndpoint, recording, running
from support.virtuoso import free_port

GRAPH = "https://w3id.org/pilotkg/dataset"
EX = "https://w3id.org/pilotkg/id/"


def http_error(status: int) -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://127.0.0.1/sparql", status, "status", Message(), None)


def triple(i: int, obj: ox.Literal | ox.NamedNode | None = None) -> ox.Triple:
    return ox.Triple(
        ox.NamedNode(f"{EX}zone/z{i}"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        obj if obj is not None else ox.Literal(f"zone {i}", language="en"),
    )


def literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


TRICKY = [
    ox.Literal('a "quoted" word, a \\ backslash, {braces} and a lone }'),
    ox.Literal("line one\nline two\r\n\ttabbed"),
    ox.Literal("深圳市人工智能先导区 “引号” — 𝄞 😀", language="zh"),
    ox.Literal("'''triple''' \"\"\"quotes\"\"\""),
    ox.Literal("2025-07-27", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("2025-07", datatype=ox.NamedNode(XSD + "gYearMonth")),
    ox.Literal("\u0001 control"),
]


# ---------------------------------------------------------------------- a stand-in store


class OxigraphRemote(RemoteStore):
    """A RemoteStore whose network calls run on an in-process pyoxigraph store.

    ``before`` and ``after`` are called with (kind, text) around every request, so a
    test can fail a request before the store sees it, or after it took effect (an
    answer lost on the way back).
    """

    def __init__(self, *, graph_store: bool = True, **options: object) -> None:
        self.sleeps: list[float] = []
        super().__init__(
            Endpoints(
                "http://127.0.0.1:9/sparql",
                graph_store="http://127.0.0.1:9/store" if graph_store else None,
            ),
            retry=RetryPolicy(sleep=self.sleeps.append),
            **options,  # type: ignore[arg-type]
        )
        self.db = ox.Store()
        self.requests: list[tuple[str, str]] = []
        self.before: Callable[[str, str], None] = lambda kind, text: None
        self.after: Callable[[str, str], None] = lambda kind, text: None

    def _run(self, kind: str, text: str, action: Callable[[], object]) -> object:
        self.requests.append((kind, text))
        self.before(kind, text)
        result = action()
        self.after(kind, text)
        return result

    def _send_update(self, text: str) -> None:
        self._run("update", text, lambda: self.db.update(text))

    def _send_graph(self, graph: str, body: bytes) -> None:
        def load() -> None:
            self.db.load(body, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))

        self._run("upload", body.decode("utf-8"), load)

    def _send_query(
        self, text: str, default_graph: str | None, graph_result: bool
    ) -> tuple[bytes, str]:
        def answer() -> tuple[bytes, str]:
            graph = ox.NamedNode(default_graph) if default_graph else None
            results = self.db.query(text, default_graph=graph)
            if isinstance(results, ox.QueryTriples):
                return ox.serialize(
                    list(results), format=ox.RdfFormat.N_TRIPLES
                ) or b"", "application/n-triples"
            data = results.serialize(format=ox.QueryResultsFormat.XML) or b""
            return data, "application/sparql-results+xml"

        return self._run("query", text, answer)  # type: ignore[return-value]

    def graph(self, iri: str) -> set[ox.Triple]:
        return {q.triple for q in self.db.quads_for_pattern(None, None, None, ox.NamedNode(iri))}

    def non_empty_graphs(self) -> set[str]:
        return {q.graph_name.value for q in self.db if isinstance(q.graph_name, ox.NamedNode)}


def fail_when(
    kind: str, error: Exception, *, times: int = 10**6, starts: str = ""
) -> Callable[[str, str], None]:
    """A hook raising ``error`` on the first ``times`` requests of ``kind`` whose text starts with ``starts``."""
    left = [times]

    def hook(seen_kind: str, text: str) -> None:
        if seen_kind == kind and text.startswith(starts) and left[0] > 0:
            left[0] -= 1
            raise error

    return hook


OLD = {triple(i) for i in range(5)}
NEW = {triple(i) for i in range(3, 40)} | {triple(100 + i, lit) for i, lit in enumerate(TRICKY)}


@pytest.fixture
def remote() -> OxigraphRemote:
    store = OxigraphRemote()
    load_triples(store, OLD, graph=GRAPH)
    store.requests.clear()
    return store


# ---------------------------------------------------------------------- classification and retries


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (http_error(502), Failure.TRANSIENT),
        (http_error(503), Failure.TRANSIENT),
        (http_error(504), Failure.TRANSIENT),
        (http_error(429), Failure.TRANSIENT),
        (ConnectionResetError(), Failure.TRANSIENT),
        (BrokenPipeError(), Failure.TRANSIENT),
        (http.client.RemoteDisconnected("closed"), Failure.TRANSIENT),
        (http.client.IncompleteRead(b""), Failure.TRANSIENT),
        (urllib.error.URLError(ConnectionResetError()), Failure.TRANSIENT),
        (http_error(401), Failure.AUTH),
        (http_error(403), Failure.AUTH),
        (sparql_errors.Unauthorized(b"no"), Failure.AUTH),
        (http_error(404), Failure.NOT_FOUND),
        (sparql_errors.EndPointNotFound(b"no"), Failure.NOT_FOUND),
        (TimeoutError(), Failure.TIMEOUT),
        (urllib.error.URLError(TimeoutError()), Failure.TIMEOUT),
        (urllib.error.URLError(OSError(-2, "Name or service not known")), Failure.UNREACHABLE),
        (sparql_errors.QueryBadFormed(b"syntax"), Failure.REJECTED),
        (http_error(413), Failure.REJECTED),
        (sparql_errors.EndPointInternalError(b"boom"), Failure.SERVER),
        (ValueError("a bug"), None),
    ],
)
def test_classify(error: Exception, failure: Failure | None) -> None:
    assert classify(error) is failure


def test_a_refused_connection_is_transient_only_once_the_store_has_answered() -> None:
    refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    assert classify(refused, reached=False) is Failure.UNREACHABLE
    assert classify(refused, reached=True) is Failure.TRANSIENT


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(attempts=8, first_delay_s=0.5, max_delay_s=4.0)
    assert [policy.delay_s(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_transient_failures_are_retried_with_backoff(remote: OxigraphRemote) -> None:
    remote.before = fail_when("update", http_error(503), times=2)
    remote.update("CLEAR SILENT GRAPH <urn:x>", what="CLEAR")
    assert remote.sleeps == [0.5, 1.0]
    assert len(remote.requests) == 3


def test_retries_are_bounded(remote: OxigraphRemote) -> None:
    remote.before = fail_when("update", ConnectionResetError())
    with pytest.raises(RemoteStoreError, match=r"failed 5 times .*try again later") as caught:
        remote.update("CLEAR SILENT GRAPH <urn:x>", what="CLEAR")
    assert caught.value.failure is Failure.TRANSIENT
    assert remote.sleeps == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (sparql_errors.Unauthorized(b"denied"), "needs credentials"),
        (http_error(404), "404 Not Found: check the URL given to --endpoint"),
        (TimeoutError("timed out"), "did not answer CLEAR within 60s: raise --timeout-s"),
        (
            sparql_errors.QueryBadFormed(b"Virtuoso 37000 Error SP030: syntax error"),
            "rejected CLEAR .*SP030",
        ),
    ],
)
def test_permanent_failures_stop_at_once_with_a_sentence(
    remote: OxigraphRemote, error: Exception, says: str
) -> None:
    remote.before = fail_when("update", error)
    with pytest.raises(RemoteStoreError, match=says):
        remote.update("CLEAR SILENT GRAPH <urn:x>", what="CLEAR")
    assert remote.sleeps == []
    assert len(remote.requests) == 1


# ---------------------------------------------------------------------- batching


def test_batches_cover_everything_in_order() -> None:
    items = list(range(1003))
    chunks = list(batches(items, 250))
    assert [len(c) for c in chunks] == [250, 250, 250, 250, 3]
    assert [x for c in chunks for x in c] == items


def test_insert_data_round_trips_quotes_newlines_braces_and_non_ascii() -> None:
    expected = [triple(i, literal) for i, literal in enumerate(TRICKY)]
    store = ox.Store()
    store.update(insert_data(GRAPH, expected))
    assert {q.triple for q in store} == set(expected)


@pytest.mark.parametrize("graph_store", [True, False])
def test_a_batch_refused_as_too_large_is_split(graph_store: bool) -> None:
    store = OxigraphRemote(graph_store=graph_store)

    def too_large(kind: str, text: str) -> None:
        if (kind == "upload" or text.startswith("INSERT")) and text.count("\n") > 8:
            raise sparql_errors.QueryBadFormed(b"SP030: SPARQL compiler: memory exhausted")

    store.before = too_large
    summary = load_triples(store, NEW, graph=GRAPH, batch_triples=30)
    assert store.graph(GRAPH) == NEW
    assert summary.triples == len(NEW)
    sent = [
        text.count("\n")
        for kind, text in store.requests
        if kind == "upload" or text.startswith("INSERT")
    ]
    assert max(sent) > 8 and len(sent) > 2 * (len(NEW) // 30)  # refused, then split


def test_a_single_refused_triple_is_named() -> None:
    store = OxigraphRemote(graph_store=False)
    store.before = fail_when(
        "update", sparql_errors.QueryBadFormed(b"bad literal"), starts="INSERT"
    )
    with pytest.raises(
        RemoteStoreError, match=r"the triple: <https://w3id.org/pilotkg/id/zone/z1>"
    ):
        load_triples(store, {triple(1)}, graph=GRAPH)


# ---------------------------------------------------------------------- the atomic swap


def staging_graphs(store: OxigraphRemote) -> set[str]:
    return {g for g in store.non_empty_graphs() if g.startswith(GRAPH + STAGING_SEGMENT)}


@pytest.mark.parametrize("graph_store", [True, False])
def test_load_replaces_the_graph_and_loading_twice_changes_nothing(graph_store: bool) -> None:
    store = OxigraphRemote(graph_store=graph_store)
    load_triples(store, OLD, graph=GRAPH)
    first = load_triples(store, NEW, graph=GRAPH, batch_triples=7)
    load_triples(store, NEW, graph=GRAPH, batch_triples=7)
    assert store.graph(GRAPH) == NEW
    assert len(list(store.db)) == len(NEW)
    assert staging_graphs(store) == set()
    assert first.swap == "MOVE"
    assert first.method == ("Graph Store protocol" if graph_store else "INSERT DATA")


def test_a_failure_mid_load_keeps_the_target_and_drops_the_staging_graph(
    remote: OxigraphRemote,
) -> None:
    remote.before = _after_n_uploads(remote, 2, sparql_errors.EndPointInternalError(b"disk full"))
    with pytest.raises(RemoteStoreError, match=r"failed an upload .*disk full"):
        load_triples(remote, NEW, graph=GRAPH, batch_triples=5)
    assert remote.graph(GRAPH) == OLD
    assert staging_graphs(remote) == set()


def _after_n_uploads(store: OxigraphRemote, n: int, error: Exception) -> Callable[[str, str], None]:
    def hook(kind: str, _text: str) -> None:
        if kind == "upload" and sum(k == "upload" for k, _ in store.requests) > n:
            raise error

    return hook


def test_an_interrupt_mid_load_drops_the_staging_graph(remote: OxigraphRemote) -> None:
    remote.before = _after_n_uploads(remote, 1, KeyboardInterrupt())  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        load_triples(remote, NEW, graph=GRAPH, batch_triples=5)
    assert remote.graph(GRAPH) == OLD
    assert staging_graphs(remote) == set()


def test_a_store_without_move_gets_drop_and_add(remote: OxigraphRemote) -> None:
    remote.before = fail_when(
        "update", sparql_errors.QueryBadFormed(b"MOVE unknown"), starts="MOVE"
    )
    summary = load_triples(remote, NEW, graph=GRAPH)
    assert summary.swap == "DROP + ADD"
    assert remote.graph(GRAPH) == NEW
    assert staging_graphs(remote) == set()


def test_a_move_whose_answer_was_lost_is_not_sent_again(remote: OxigraphRemote) -> None:
    """Sent again, a MOVE would move the now empty staging graph and empty the target."""
    remote.after = fail_when("update", ConnectionResetError(), times=1, starts="MOVE")
    summary = load_triples(remote, NEW, graph=GRAPH)
    assert remote.graph(GRAPH) == NEW
    assert sum(text.startswith("MOVE") for _, text in remote.requests) == 1
    assert summary.swap == "MOVE"


def test_a_failed_add_after_drop_keeps_the_only_copy(remote: OxigraphRemote) -> None:
    def hook(kind: str, text: str) -> None:
        if text.startswith("MOVE"):
            raise sparql_errors.QueryBadFormed(b"MOVE unknown")
        if text.startswith("ADD"):
            raise sparql_errors.EndPointInternalError(b"out of space")

    remote.before = hook
    with pytest.raises(
        StagingKept, match=rf"complete data is in <{GRAPH}/pilotkg-staging/2"
    ) as caught:
        load_triples(remote, NEW, graph=GRAPH)
    kept = staging_graphs(remote)
    assert len(kept) == 1 and remote.graph(kept.pop()) == NEW
    assert "ADD" in str(caught.value)


def test_a_short_count_stops_before_the_swap(remote: OxigraphRemote) -> None:
    original = remote._send_graph
    remote._send_graph = lambda graph, body: original(graph, b"")  # type: ignore[method-assign]
    with pytest.raises(
        RemoteStoreError,
        match="holds 0 triples where 1 were sent; the target graph was not replaced",
    ):
        load_triples(remote, {triple(1)}, graph=GRAPH)
    assert remote.graph(GRAPH) == OLD


def test_a_store_merging_equal_values_is_named_with_an_example(remote: OxigraphRemote) -> None:
    """Virtuoso keeps "2025-12"^^xsd:gYearMonth and "2025-12-01"^^xsd:date as one value."""
    month, day = literal("2025-12", "gYearMonth"), literal("2025-12-01", "date")
    merged = {triple(1, month), triple(1, day), triple(2)}
    original = remote._send_graph

    def merging(graph: str, body: bytes) -> None:
        original(graph, b"\n".join(line for line in body.split(b"\n") if b"2025-12-01" not in line))

    remote._send_graph = merging  # type: ignore[method-assign]
    with pytest.raises(
        RemoteStoreError, match=r"merges literals of equal value: 1 pairs here.*2025-12-01"
    ):
        load_triples(remote, merged, graph=GRAPH)
    assert remote.graph(GRAPH) == OLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (literal("2025", "gYear"), literal("2025-01-01", "date")),
        (literal("2025-12", "gYearMonth"), literal("2025-12-01", "date")),
        (literal("1", "integer"), literal("1.0", "decimal")),
        (literal("true", "boolean"), literal("1", "integer")),
    ],
)
def test_literals_some_stores_merge_are_found(a: ox.Literal, b: ox.Literal) -> None:
    assert merged_by_value([triple(1, a), triple(1, b), triple(2, b)]) == [
        (triple(1, a), triple(1, b))
    ]


def test_literals_no_store_merges_are_not_reported() -> None:
    kept = [triple(1, literal("2025-12", "gYearMonth")), triple(1, literal("2025-12-02", "date"))]
    assert (
        merged_by_value([*kept, triple(1, ox.Literal("1")), triple(1, literal("1", "integer"))])
        == []
    )


def test_blank_nodes_are_refused() -> None:
    blank = ox.Triple(ox.BlankNode(), ox.NamedNode(EX + "p"), ox.Literal("x"))
    with pytest.raises(RemoteStoreError, match="blank nodes"):
        load_triples(OxigraphRemote(), {blank}, graph=GRAPH)


# ---------------------------------------------------------------------- comparing answers


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (literal("1.50", "decimal"), literal("1.5", "decimal")),
        (literal("3", "int"), literal("3", "integer")),
        (literal("2.3333333333333335E0", "double"), literal("2.333333333333333333", "decimal")),
        (literal("1", "boolean"), literal("true", "boolean")),
        (ox.Literal("x", language="zh-Hans"), ox.Literal("x", language="zh-hans")),
        (ox.BlankNode("a"), ox.BlankNode("b")),
    ],
)
def test_terms_that_stores_spell_differently_compare_equal(a: ox.Literal, b: ox.Literal) -> None:
    assert term_key(a) == term_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (literal("3", "integer"), literal("4", "integer")),
        (literal("3", "integer"), ox.Literal("3")),
        (ox.Literal("x", language="en"), ox.Literal("x", language="zh")),
        (literal("2025", "gYear"), ox.Literal("2025")),
    ],
)
def test_terms_that_differ_compare_different(a: ox.Literal, b: ox.Literal) -> None:
    assert term_key(a) != term_key(b)


def rows(*values: ox.Literal | None) -> list[Row]:
    return [(("x", value),) for value in values]


def test_answers_compare_as_multisets() -> None:
    a, b = ox.Literal("a"), ox.Literal("b")
    assert compare_answers("q", rows(a, b, b), rows(b, a, b)).same
    fewer = compare_answers("q", rows(a, b, b), rows(a, b))
    assert not fewer.same and fewer.only_embedded == ('?x="b"',) and fewer.only_remote == ()


def test_group_concat_columns_are_found_with_their_separators() -> None:
    text = (
        "SELECT (GROUP_CONCAT(STR(?x)) AS ?a) (group_concat(DISTINCT ?y ; separator = '; ') as $b)"
        ' (COUNT(*) AS ?n) (GROUP_CONCAT(?z; SEPARATOR=", ") AS ?c) WHERE { }'
    )
    assert group_concat_columns(text) == {"a": " ", "b": "; ", "c": ", "}


def test_group_concat_results_compare_part_by_part() -> None:
    """SPARQL leaves GROUP_CONCAT's order to the store; pyoxigraph keeps a shared language
    tag and leaves an empty group unbound, where Virtuoso returns plain text and ""."""
    concatenated = {"x": "; "}
    embedded = rows(ox.Literal("A; B", language="en"), None)
    remote = rows(ox.Literal("B; A"), ox.Literal(""))
    comparison = compare_answers("q", embedded, remote, concatenated=concatenated)
    assert comparison.same and "2 differ only in the order" in comparison.as_text()
    assert not compare_answers("q", embedded, remote).same
    other = rows(ox.Literal("A; C"), ox.Literal(""))
    assert not compare_answers("q", embedded, other, concatenated=concatenated).same


def test_canned_queries_compare_on_both_stores(remote: OxigraphRemote, tmp_path: Path) -> None:
    query = tmp_path / "labels.rq"
    query.write_text(
        "# title: labels\nSELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s\n",
        encoding="utf-8",
    )
    canned = [parse_query_file(query)]
    assert all(c.same for c in compare_queries(remote, OLD, canned, graph=GRAPH))
    [different] = compare_queries(remote, NEW, canned, graph=GRAPH)
    assert not different.same and "DIFF  labels" in different.as_text()


def test_the_default_graph_can_be_compared(tmp_path: Path) -> None:
    """Stores loaded from a dump (QLever's index) hold the release in their default graph."""
    store = OxigraphRemote()
    store.db.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in OLD)
    query = tmp_path / "all.rq"
    query.write_text("# title: all\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    [comparison] = compare_queries(store, OLD, [parse_query_file(query)], graph=None)
    assert comparison.same and comparison.embedded == len(OLD)


# ---------------------------------------------------------------------- secrets and the command


PASSWORD = "pw-Zq8-never-shown"


class EchoingHandler(http.server.BaseHTTPRequestHandler):
    """A hostile store: it answers 401 (or 500) and quotes the whole request back."""

    status = 401

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        said = f"Error: {PASSWORD} {self.headers.get('Authorization')} {self.requestline}\n"
        echo = said.encode() + body
        self.send_response(self.status)
        if self.status == 401 and "Authorization" not in self.headers:
            self.send_header("WWW-Authenticate", 'Digest realm="SPARQL", nonce="abc", qop="auth"')
        self.send_header("Content-Length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(params=[401, 500])
def echoing_store(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (EchoingHandler,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fixture_release(tmp_path: Path) -> Path:
    path = tmp_path / "release.nt"
    path.write_bytes(ox.serialize(sorted(NEW, key=str), format=ox.RdfFormat.N_TRIPLES) or b"")
    return path


def run_load(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["load", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_the_password_never_appears_in_errors(
    echoing_store: str, fixture_release: Path, scheme: str
) -> None:
    code, output = run_load(
        "--endpoint", echoing_store, "--graph-store", echoing_store.replace("sparql", "store"),
        "--user", "loader", "--auth", scheme, "--release", str(fixture_release),
        env={"PILOTKG_STORE_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert code == 2 and output.startswith("error: ")
    assert PASSWORD not in output
    assert base64.b64encode(f"loader:{PASSWORD}".encode()).decode() not in output
    assert "Traceback" not in output


def test_credentials_do_not_show_their_password() -> None:
    assert PASSWORD not in repr(Credentials("loader", PASSWORD))


def test_a_password_on_the_command_line_is_refused(fixture_release: Path) -> None:
    code, output = run_load("--endpoint", "http://127.0.0.1:9/sparql", "--password", PASSWORD)
    assert code == 2 and "never taken from the command line" in output and PASSWORD not in output
    code, output = run_load("--endpoint", f"http://loader:{PASSWORD}@127.0.0.1:9/sparql")
    assert code == 2 and "holds a password" in output and PASSWORD not in output


def test_a_user_without_a_password_is_told_where_to_put_it(fixture_release: Path) -> None:
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--user", "loader", "--release", str(fixture_release),
        env={"PILOTKG_STORE_PASSWORD": ""},
    )  # fmt: skip
    assert code == 2 and "set the environment variable PILOTKG_STORE_PASSWORD" in output


def test_an_unreachable_endpoint_fails_at_once_with_a_clear_error(fixture_release: Path) -> None:
    port = free_port()  # nothing listens there
    code, output = run_load(
        "--endpoint", f"http://127.0.0.1:{port}/sparql", "--release", str(fixture_release)
    )
    assert code == 2
    assert f"cannot reach http://127.0.0.1:{port}/sparql" in output
    assert "check that the store is running" in output and "Traceback" not in output


def test_no_release_says_to_build_first(tmp_path: Path) -> None:
    """The default release is dist/ beside the sources, where ``pilotkg build`` writes it."""
    for part in ("ontology", "data", "shapes", "queries"):
        (tmp_path / part).mkdir()
    code, output = run_load("--endpoint", "http://127.0.0.1:9/sparql", "--source", str(tmp_path))
    assert code == 2 and "run `pilotkg build` first" in output
    assert str(tmp_path / "dist") in output


def test_a_bad_graph_iri_is_refused(fixture_release: Path) -> None:
    code, output = run_load(
        "--endpoint",
        "http://127.0.0.1:9/sparql",
        "--graph",
        "not an iri",
        "--release",
        str(fixture_release),
    )
    assert code == 2 and "--graph 'not an iri' is not" in output


def test_the_default_graph_is_only_for_verifying(fixture_release: Path) -> None:
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--graph", "default", "--release", str(fixture_release)
    )  # fmt: skip
    assert code == 2 and "--graph default goes only with --verify-only" in output


# ---------------------------------------------------------------------- abandoned staging graphs
# Over HTTP, against a real endpoint (tests/support/sparql_endpoint.py) on 127.0.0.1.

OTHER_GRAPH = "https://example.org/another-dataset"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def endpoint() -> Iterator[OxigraphEndpoint]:
    with running() as started:
        started.put(GRAPH, OLD)
        yield started


def http_store(endpoint: OxigraphEndpoint, **options: object) -> RemoteStore:
    return RemoteStore(
        Endpoints(endpoint.sparql, graph_store=endpoint.store),
        retry=RetryPolicy(attempts=2, first_delay_s=0.0, sleep=lambda _s: None),
        **options,  # type: ignore[arg-type]
    )


def load_into(endpoint: OxigraphEndpoint, release: Path, *args: str) -> tuple[int, str]:
    return run_load(
        "--endpoint", endpoint.sparql, "--graph-store", endpoint.store, "--graph", GRAPH,
        "--release", str(release), *args,
    )  # fmt: skip


def uploads(endpoint: OxigraphEndpoint) -> int:
    return sum(seen.path.startswith("/store") for seen in endpoint.seen)


def test_staging_graph_names_carry_the_target_the_start_and_a_run_id() -> None:
    started = datetime(2025, 7, 27, 10, 15, 0, tzinfo=UTC)
    name = new_staging_graph(GRAPH, now=started)
    assert re.fullmatch(re.escape(GRAPH) + r"/pilotkg-staging/20250727T101500Z-[0-9a-f]{32}", name)
    assert staging_started(GRAPH, name) == started
    assert new_staging_graph(GRAPH, now=started) != name  # two runs in one second differ
    assert staging_started(OTHER_GRAPH, name) is None


@pytest.mark.parametrize(
    "graph",
    [
        f"{GRAPH}/pilotkg-staging/20200101T000000Z-not-a-run-id",
        f"{GRAPH}/pilotkg-staging/20200101T000000Z-{'a' * 32}/more",
        f"{GRAPH}/pilotkg-staging/20201399T000000Z-{'a' * 32}",  # no such date
        f"{GRAPH}/pilotkg-staging/20200101T000000Z-{'A' * 32}",
        f"{GRAPH}x/pilotkg-staging/20200101T000000Z-{'a' * 32}",
        f"{GRAPH}/staging/20200101T000000Z-{'a' * 32}",
        f"urn:pilotkg:staging:{'a' * 32}",
        GRAPH,
    ],
)
def test_only_names_in_the_exact_scheme_are_taken_as_ours(graph: str) -> None:
    assert staging_started(GRAPH, graph) is None


def test_a_killed_load_leaves_its_staging_graph_and_a_later_load_removes_it(
    endpoint: OxigraphEndpoint, fixture_release: Path
) -> None:
    """The load is really killed (SIGKILL, no clean-up runs) while its MOVE is held."""
    endpoint.behaviour.hold_updates_starting = "MOVE"
    killed = subprocess.Popen(
        [sys.executable, "-c", "from pilotkg.cli import main; main()", "load",
         "--endpoint", endpoint.sparql, "--graph-store", endpoint.store, "--graph", GRAPH,
         "--release", str(fixture_release)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert endpoint.behaviour.held.wait(60), "the load never reached its MOVE"
    finally:
        killed.kill()
        killed.wait(30)
    endpoint.behaviour.hold_updates_starting = None
    endpoint.behaviour.release.set()
    [left] = endpoint.graphs() - {GRAPH}
    started = staging_started(GRAPH, left)
    assert started is not None and endpoint.graph(left) == NEW
    assert endpoint.graph(GRAPH) == OLD
    shared = f"{EX}zone/z3"  # in the old graph and the new: a union shows it twice
    assert endpoint.union_count(shared) == 2

    # A load right after it: the staging graph may belong to a load still running.
    code, output = load_into(endpoint, fixture_release)
    assert code == 0, output
    assert "left 1 staging graph of" in output and "a load may still be running" in output
    assert endpoint.graphs() == {GRAPH, left}

    time.sleep(max(0.0, (started + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
    code, output = load_into(endpoint, fixture_release, "--stale-after-s", "1")
    assert code == 0, output
    assert f"removed 1 abandoned staging graph of <{GRAPH}>" in output
    assert endpoint.graphs() == {GRAPH}
    assert endpoint.graph(GRAPH) == NEW
    assert endpoint.union_count(shared) == 1


def test_an_abandoned_staging_graph_is_removed_by_the_next_load(
    endpoint: OxigraphEndpoint, fixture_release: Path
) -> None:
    abandoned = new_staging_graph(GRAPH, now=LONG_AGO)
    endpoint.put(abandoned, NEW)  # what a load killed before its MOVE leaves
    code, output = load_into(endpoint, fixture_release)
    assert code == 0, output
    assert output.splitlines()[0] == (
        f"removed 1 abandoned staging graph of <{GRAPH}> (started more than 3600s ago)"
    )
    assert endpoint.graphs() == {GRAPH}
    assert endpoint.graph(GRAPH) == NEW
    assert len(list(endpoint.db)) == len(NEW)


def test_a_staging_graph_younger_than_the_threshold_is_kept(
    endpoint: OxigraphEndpoint, fixture_release: Path
) -> None:
    live = new_staging_graph(GRAPH, now=datetime.now(UTC) - timedelta(seconds=3500))
    endpoint.put(live, {triple(1)})  # a concurrent load, 58 minutes in
    code, output = load_into(endpoint, fixture_release)
    assert code == 0, output
    assert endpoint.graph(live) == {triple(1)}
    assert endpoint.graph(GRAPH) == NEW
    code, output = run_load("--endpoint", endpoint.sparql, "--graph", GRAPH, "--clean-staging")
    assert code == 0, output
    assert f"removed 0 abandoned staging graphs of <{GRAPH}>" in output
    assert endpoint.graph(live) == {triple(1)}


FOREIGN = [
    f"{GRAPH}/pilotkg-staging/20200101T000000Z-not-a-run-id",
    f"{GRAPH}/pilotkg-staging/20201399T000000Z-{'a' * 32}",
    f"{GRAPH}/pilotkg-staging/20200101T000000Z-{'b' * 32}/inside",
    new_staging_graph(OTHER_GRAPH, now=LONG_AGO),  # another target's: not this load's to judge
    f"urn:pilotkg:staging:{'c' * 32}",  # the old naming: no age, so no proof it is abandoned
    "https://example.org/unrelated",
]


def test_graphs_outside_the_naming_scheme_are_never_removed(
    endpoint: OxigraphEndpoint, fixture_release: Path
) -> None:
    for graph in FOREIGN:
        endpoint.put(graph, {triple(7)})
    code, output = load_into(endpoint, fixture_release, "--stale-after-s", "0")
    assert code == 0, output
    assert "left 3 graphs under" in output and "pilotkg never removes them" in output
    code, output = run_load(
        "--endpoint", endpoint.sparql, "--graph", GRAPH, "--clean-staging", "--stale-after-s", "0"
    )
    assert code == 0, output
    assert "removed 0 abandoned staging graphs" in output
    assert "found 1 staging graph named by an earlier pilotkg" in output
    assert endpoint.graphs() == {GRAPH, *FOREIGN}
    assert all(endpoint.graph(graph) == {triple(7)} for graph in FOREIGN)
    assert endpoint.graph(GRAPH) == NEW


def test_clean_staging_removes_abandoned_graphs_without_loading(
    endpoint: OxigraphEndpoint,
) -> None:
    abandoned = [new_staging_graph(GRAPH, now=LONG_AGO + timedelta(days=i)) for i in range(2)]
    live = new_staging_graph(GRAPH)
    for graph in [*abandoned, live]:
        endpoint.put(graph, NEW)
    code, output = run_load("--endpoint", endpoint.sparql, "--graph", GRAPH, "--clean-staging")
    assert code == 0, output
    assert output.splitlines() == [
        f"removed 2 abandoned staging graphs of <{GRAPH}> (started more than 3600s ago)",
        f"left 1 staging graph of <{GRAPH}> started less than 3600s ago: a load may still "
        "be running (--stale-after-s sets the age)",
    ]
    assert endpoint.graphs() == {GRAPH, live}
    assert endpoint.graph(GRAPH) == OLD  # nothing loaded, no release needed
    assert uploads(endpoint) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--clean-staging", "--verify"), "leave out --verify"),
        (("--clean-staging", "--verify-only"), "leave out --verify"),
        (("--clean-staging", "--graph", "default"), "--clean-staging needs the named graph"),
        (("--graph", f"{GRAPH}/pilotkg-staging/x"), "named like a pilotkg staging graph"),
        (("--stale-after-s", "-1"), "-1"),
    ],
)
def test_clean_staging_usage_errors_are_one_line(
    fixture_release: Path, args: tuple[str, ...], says: str
) -> None:
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--release", str(fixture_release), *args
    )
    assert code == 2 and says in output and "Traceback" not in output
    # One error line; click's own option checks print a usage hint around theirs.
    assert sum(line.lower().startswith("error:") for line in output.splitlines()) == 1


def test_the_clean_up_is_bounded_in_count_and_time(endpoint: OxigraphEndpoint) -> None:
    abandoned = [new_staging_graph(GRAPH, now=LONG_AGO + timedelta(hours=i)) for i in range(5)]
    for graph in abandoned:
        endpoint.put(graph, {triple(1)})
    store = http_store(endpoint)
    nothing = remove_stale_staging(store, GRAPH, budget_s=0)
    assert nothing.removed == () and nothing.more
    first = remove_stale_staging(store, GRAPH, limit=3)
    assert first.removed == tuple(abandoned[:3]) and first.more  # oldest first
    assert "run `pilotkg load --clean-staging` again for the rest" in first.as_lines()[-1]
    second = remove_stale_staging(store, GRAPH, limit=3)
    assert second.removed == tuple(abandoned[3:]) and not second.more
    assert endpoint.graphs() == {GRAPH}


def test_a_load_never_removes_its_own_staging_graph(endpoint: OxigraphEndpoint) -> None:
    """Even with --stale-after-s 0, which takes every other staging graph as abandoned."""
    store = http_store(endpoint)
    summary = load_triples(store, NEW, graph=GRAPH, batch_triples=5, stale_after_s=0)
    assert summary.cleanup is not None and summary.cleanup.removed == ()
    assert endpoint.graph(GRAPH) == NEW and endpoint.graphs() == {GRAPH}


def test_loading_into_a_staging_graph_name_is_refused(endpoint: OxigraphEndpoint) -> None:
    with pytest.raises(RemoteStoreError, match="named like a pilotkg staging graph"):
        load_triples(http_store(endpoint), NEW, graph=new_staging_graph(GRAPH))


def test_a_refused_digest_answer_does_not_poison_later_requests(fixture_release: Path) -> None:
    """urllib's digest handler keeps its count of refusals after it gives up; were it not
    reset, the staging graph could not be dropped after an upload was refused."""
    behaviour = Behaviour(auth="digest", password=PASSWORD, refused_paths={"/store"})
    with running(behaviour) as store:
        store.put(GRAPH, OLD)
        code, output = run_load(
            "--endpoint", store.sparql, "--graph-store", store.store, "--graph", GRAPH,
            "--user", "loader", "--release", str(fixture_release),
            env={"PILOTKG_STORE_PASSWORD": PASSWORD},
        )  # fmt: skip
        assert store.graphs() == {GRAPH} and store.graph(GRAPH) == OLD
    assert code == 2
    assert f"{store.store} refused the credentials of user 'loader' (HTTP 401)" in output
    assert "could not be removed" not in output


# ---------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("http://127.0.0.1/sparql", "http://127.0.0.1:80/other?x=1", True),
        ("http://Store.Example/sparql", "http://store.example/sparql", True),
        ("http://127.0.0.1:8890/sparql", "http://127.0.0.1:8891/sparql", False),
        ("http://store.example/sparql", "https://store.example/sparql", False),
        ("http://store.example/sparql", "http://store.example.evil/sparql", False),
        ("http://store.example/sparql", "http://store.example:99999999/sparql", False),
    ],
)
def test_origins(a: str, b: str, same: bool) -> None:
    assert (origin(a) == origin(b)) is same


@pytest.mark.parametrize("path", ["/sparql", "/store"], ids=["endpoint", "graph-store"])
@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_credentials_never_follow_a_redirect_to_another_origin(
    fixture_release: Path, path: str, status: int, scheme: str
) -> None:
    """The store redirects to another port, where a listener records what reaches it
    and asks for digest credentials: no request, and so no Authorization, ever gets there."""
    with recording() as elsewhere:
        behaviour = Behaviour(
            auth=scheme,
            password=PASSWORD,
            redirects={path: (status, f"{elsewhere.base}{path}?graph=x")},
        )
        with running(behaviour) as store:
            store.put(GRAPH, OLD)
            code, output = run_load(
                "--endpoint", store.sparql, "--graph-store", store.store, "--graph", GRAPH,
                "--user", "loader", "--auth", scheme, "--release", str(fixture_release),
                env={"PILOTKG_STORE_PASSWORD": PASSWORD},
            )  # fmt: skip
            assert store.graphs() == {GRAPH} and store.graph(GRAPH) == OLD
        assert elsewhere.authorizations() == []
        assert elsewhere.seen == []
    assert code == 2 and "Traceback" not in output
    [line] = output.strip().splitlines()
    assert line.startswith(f"error: http://127.0.0.1:{store.base.rsplit(':', 1)[1]}{path} ")
    assert (
        f"with a redirect to {elsewhere.base}{path}?graph=x (HTTP {status}), another origin" in line
    )
    assert PASSWORD not in output
    assert base64.b64encode(f"loader:{PASSWORD}".encode()).decode() not in output


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_a_same_origin_307_is_followed_with_its_body_and_credentials(
    fixture_release: Path, scheme: str
) -> None:
    with running(Behaviour(auth=scheme, password=PASSWORD)) as store:
        store.behaviour.redirects["/old-store"] = (307, "/store")
        code, output = run_load(
            "--endpoint", store.sparql, "--graph-store", f"{store.base}/old-store",
            "--graph", GRAPH, "--user", "loader", "--auth", scheme,
            "--release", str(fixture_release), env={"PILOTKG_STORE_PASSWORD": PASSWORD},
        )  # fmt: skip
        assert code == 0, output
        assert store.graph(GRAPH) == NEW
        followed = [seen for seen in store.seen if seen.path.startswith("/store")]
        signed = ["Authorization" in seen.headers for seen in followed]
        # Basic goes along with the request; digest answers the challenge at the new path.
        assert all(signed) if scheme == "basic" else any(signed) and not all(signed)


def test_a_same_origin_redirect_that_would_drop_the_body_is_refused(
    fixture_release: Path,
) -> None:
    """urllib turns a POST redirected by 302 into a GET without its body: an upload that
    would "succeed" without sending anything."""
    with running() as store:
        store.behaviour.redirects["/old-store"] = (302, f"{store.base}/store")
        code, output = run_load(
            "--endpoint", store.sparql, "--graph-store", f"{store.base}/old-store",
            "--graph", GRAPH, "--release", str(fixture_release),
        )  # fmt: skip
        assert store.graphs() == set()
    assert code == 2 and "Traceback" not in output
    [line] = output.strip().splitlines()
    assert "(HTTP 302), pilotkg follows only 307 and 308" in line
    assert "pass that URL to --graph-store" in line


def test_a_hostile_location_cannot_write_to_the_terminal(fixture_release: Path) -> None:
    """urllib percent-encodes a Location before the message quotes it."""
    with running() as store:
        store.behaviour.redirects["/sparql"] = (307, "http://127.0.0.2:1/\x1b[2Jx")
        code, output = run_load(
            "--endpoint", store.sparql, "--graph", GRAPH, "--release", str(fixture_release)
        )
    assert code == 2 and "\x1b" not in output and "http://127.0.0.2:1/%1B[2Jx" in output


# ---------------------------------------------------------------------- --virtuoso-sql, refused early


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--virtuoso-sql", "127.0.0.1"], "is not HOST:PORT"),
        (["--virtuoso-sql", "127.0.0.1:1111"], "--virtuoso-sql needs --virtuoso-dir DIR"),
        (["--virtuoso-dir", "/tmp"], "--virtuoso-dir and --odbc-driver go with --virtuoso-sql"),
        (["--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/nonexistent"], "--virtuoso-dir /nonexistent: no such folder"),
        (["--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/tmp", "--odbc-driver", "/nonexistent.so"], "--odbc-driver /nonexistent.so: no such file"),
        (["--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/tmp", "--batch-triples", "9"], "--virtuoso-sql sends one file"),
        (["--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/tmp", "--verify-only"], "leave it out with --verify-only"),
    ],
)  # fmt: skip
def test_virtuoso_sql_options_that_cannot_work_are_refused_in_one_line(
    fixture_release: Path, args: list[str], expected: str
) -> None:
    """Refused before any request: the endpoint here answers nothing at all."""
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba", "--release", str(fixture_release), *args,
        env={"PILOTKG_STORE_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert code == 2 and output.count("\n") == 1, output
    assert expected in output and "Traceback" not in output


def test_virtuoso_sql_needs_a_user(fixture_release: Path) -> None:
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--release", str(fixture_release),
        "--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/tmp",
    )  # fmt: skip
    assert code == 2 and "--virtuoso-sql needs --user" in output


def test_virtuoso_sql_without_pyodbc_names_what_to_install(
    fixture_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyodbc", None)  # what `import pyodbc` meets without it
    code, output = run_load(
        "--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba", "--release", str(fixture_release),
        "--virtuoso-sql", "127.0.0.1:1111", "--virtuoso-dir", "/tmp",
        env={"PILOTKG_STORE_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert code == 2 and output.count("\n") == 1, output
    assert "pip install 'pilotkg[virtuoso]' and apt-get install libodbc2" in output


def test_an_sql_error_is_one_line_without_the_password() -> None:
    """Virtuoso's messages come with driver prefixes and line breaks, and a driver may echo
    what it was given: the message keeps Virtuoso's words on one line, never the password."""
    path = VirtuosoSql("127.0.0.1:1111", Credentials("dba", PASSWORD), Path("/tmp"), Path("/x.so"))
    error = path._error(
        Exception(
            "42000",
            f"[42000] [OpenLink][Virtuoso iODBC Driver][Virtuoso Server]SQ074: Line 1:\n"
            f"syntax error near '{PASSWORD}' (-1) (SQLExecDirectW)",
        ),
        what="the swap",
    )
    assert str(error) == (
        "Virtuoso at 127.0.0.1:1111 failed the swap (42000): SQ074: Line 1: syntax error near '***'"
    )


@pytest.mark.parametrize("password", ["a;b", "a}b"])
def test_a_password_the_odbc_driver_cannot_take_is_refused(password: str) -> None:
    with pytest.raises(UsageError, match="Virtuoso's ODBC driver cannot take"):
        VirtuosoSql("127.0.0.1:1111", Credentials("dba", password), Path("/tmp"), Path("/x.so"))
