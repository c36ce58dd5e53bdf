"""Redland's command-line tools from Debian against a real ``pilotkg serve``: rasqal's ``roqet``
as a SPARQL Protocol client (``-p``) and on dumps loaded by URL (``-D``), raptor's ``rapper``
on entity IRIs, dumps and graph answers by their URL."""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlencode

import pytest
from client_matrix import (
    ASK_TRUE,
    CONSTRUCT,
    DESCRIBE,
    DUMPS,
    LONG_SELECT,
    MALFORMED,
    MALFORMED_MESSAGE,
    ROWS,
    SELECT,
    SHENZHEN_FACTS,
    TRIPLES,
    UPDATE,
    Ran,
    Recorder,
    canonical,
    known,
    need,
    release_triples,
    run,
)

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

#: raptor 2.0.15 has no JSON-LD parser, so the JSON-LD dump is not for these tools.
RAPTOR_DUMPS = [d for d in DUMPS if not d.endswith(".jsonld")]


@pytest.fixture(scope="module")
def roqet() -> str:
    need(
        bool(shutil.which("roqet")), "roqet", "apt-get install rasqal-utils (scripts/test.sh does)"
    )
    return "roqet"


@pytest.fixture(scope="module")
def rapper() -> str:
    need(
        bool(shutil.which("rapper")),
        "rapper",
        "apt-get install raptor2-utils (scripts/test.sh does)",
    )
    return "rapper"


def _protocol(roqet: str, endpoint: str, query: str, *options: str) -> Ran:
    return run([roqet, "-i", "sparql11-query", "-p", endpoint, "-e", query, *options])


def _tsv_rows(ran: Ran) -> list[tuple[str, ...]]:
    assert ran.returncode == 0, ran.output
    lines = ran.stdout.splitlines()
    assert lines[0].split("\t") == ["?zone", "?batch"], ran.output
    return [tuple(line.split("\t")) for line in lines[1:] if line]


def _expected_rows() -> list[tuple[str, str]]:
    return [(zone, batch.split('"')[1]) for zone, batch in ROWS]  # integers in short form


def test_select(roqet: str, live_server: LiveServer) -> None:
    ran = _protocol(roqet, live_server.url + "/sparql", SELECT, "-r", "tsv")
    assert _tsv_rows(ran) == _expected_rows()


@known("roqet-ask")
def test_ask(roqet: str, live_server: LiveServer) -> None:
    ran = _protocol(roqet, live_server.url + "/sparql", ASK_TRUE)
    assert "boolean result: true" in ran.output, ran.output


@known("roqet-graph")
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
def test_a_graph_query(roqet: str, live_server: LiveServer, query: str) -> None:
    ran = _protocol(roqet, live_server.url + "/sparql", query, "-r", "ntriples")
    assert ran.returncode == 0 and "error" not in ran.output.lower(), ran.output


def test_a_long_query(roqet: str, recorder: Recorder) -> None:
    """roqet sends every query by GET, however long: the server takes the long URL."""
    ran = _protocol(roqet, recorder.endpoint("roqet-long"), LONG_SELECT, "-r", "tsv")
    assert _tsv_rows(ran) == _expected_rows()
    (seen,) = recorder.seen["roqet-long"]
    assert seen.method == "GET" and len(seen.path) > 2048


def test_a_malformed_query_is_refused(roqet: str, live_server: LiveServer) -> None:
    ran = _protocol(roqet, live_server.url + "/sparql", MALFORMED)
    assert "HTTP status 400" in ran.output


@known("roqet-message")
def test_a_malformed_query_shows_the_server_sentence(roqet: str, live_server: LiveServer) -> None:
    assert MALFORMED_MESSAGE in _protocol(roqet, live_server.url + "/sparql", MALFORMED).output


def test_an_update_is_refused(roqet: str, live_server: LiveServer) -> None:
    ran = run([roqet, "-i", "sparql11-update", "-p", live_server.url + "/sparql", "-e", UPDATE])
    assert "HTTP status 403" in ran.output


def _count(ran: Ran) -> int:
    match = re.search(r'n=string\("(\d+)"', ran.stdout)
    assert ran.returncode == 0 and match, ran.output
    return int(match[1])


@pytest.mark.parametrize("dump", RAPTOR_DUMPS)
def test_a_dump_loads_by_url(roqet: str, live_server: LiveServer, dump: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    data = ("-D", f"{live_server.url}/dumps/{dump}")
    # -W 0: rasqal warns that COUNT(*) binds ?o and leaves its own $$agg$$0 unbound, and exits 2.
    ran = run([roqet, "-W", "0", "-i", "sparql11-query", *data, "-e", count])
    assert _count(ran) == len(release_triples())


# --- rapper -----------------------------------------------------------------------------------


def _parsed(rapper: str, url: str) -> set[str]:
    """The triples rapper makes of ``url`` (it guesses the parser from the Content-Type)."""
    ran = run([rapper, "-q", "-g", "-o", "ntriples", url])
    assert ran.returncode == 0, ran.output
    return canonical(ran.stdout)


@pytest.mark.parametrize("dump", RAPTOR_DUMPS)
def test_rapper_loads_a_dump_by_url(rapper: str, live_server: LiveServer, dump: str) -> None:
    assert _parsed(rapper, f"{live_server.url}/dumps/{dump}") == release_triples()


@pytest.mark.parametrize("suffix", ["", ".ttl", ".nt", ".rdf"])
def test_rapper_loads_an_entity_by_its_iri(
    rapper: str, live_server: LiveServer, suffix: str
) -> None:
    assert _parsed(rapper, f"{live_server.url}/id/zone/shenzhen{suffix}") >= SHENZHEN_FACTS


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
def test_rapper_loads_a_graph_answer_by_its_url(
    rapper: str, live_server: LiveServer, query: str
) -> None:
    """The way round [roqet-graph]: the query's URL, read as the RDF it is."""
    triples = _parsed(rapper, f"{live_server.url}/sparql?{urlencode({'query': query})}")
    if query == CONSTRUCT:
        assert triples == TRIPLES
    else:
        assert triples >= SHENZHEN_FACTS
