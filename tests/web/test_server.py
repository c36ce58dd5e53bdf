"""``pilotkg serve`` as a real server (uvicorn on a free port of 127.0.0.1) with real SPARQL clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from xml.dom.minidom import Document

import httpx
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, RDFXML, TURTLE, XML, SPARQLWrapper

from support.web import RUNAWAY_QUERY, Listener, LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server

PILOT = rdflib.Namespace("https://w3id.org/pilotkg/ontology#")
ZONES = "PREFIX pilot: <https://w3id.org/pilotkg/ontology#> SELECT ?zone WHERE { ?zone a pilot:PilotZone } ORDER BY ?zone"
#: The time limit of ``short_limit_server``, whose tests wait for it again and again.
SHORT_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def short_limit_server() -> Iterator[LiveServer]:
    """A server whose queries are stopped after one second, for the tests that run queries
    into the limit (each would wait the shared server's whole limit, every time)."""
    with LiveServer((("query_timeout_s", f"{SHORT_TIMEOUT_S:g}"),)) as server:
        yield server


def wrapper(server: LiveServer, query: str, fmt: str = JSON, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def test_sparqlwrapper_select_ask_construct(live_server: LiveServer) -> None:
    for method in ("GET", "POST"):
        results = wrapper(live_server, ZONES, JSON, method).queryAndConvert()
        assert isinstance(results, dict)
        rows = results["results"]["bindings"]
        assert len(rows) == 4 and rows[-1]["zone"]["value"].endswith("/zone/shenzhen")
    xml = wrapper(live_server, ZONES, XML).queryAndConvert()
    assert isinstance(xml, Document) and len(xml.getElementsByTagName("result")) == 4
    csv = wrapper(live_server, ZONES, CSV).queryAndConvert()
    assert isinstance(csv, bytes) and csv.decode().splitlines()[0] == "zone"
    ask = wrapper(live_server, "ASK { ?s ?p ?o }").queryAndConvert()
    assert isinstance(ask, dict) and ask["boolean"] is True
    construct = "CONSTRUCT WHERE { <https://w3id.org/pilotkg/id/zone/shenzhen> ?p ?o }"
    turtle = wrapper(live_server, construct, TURTLE).queryAndConvert()
    assert isinstance(turtle, bytes | str)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) > 10
    graph = wrapper(live_server, construct, RDFXML).queryAndConvert()  # converted by SPARQLWrapper
    assert isinstance(graph, rdflib.Graph) and len(graph) > 10


def test_rdflib_sparqlstore(live_server: LiveServer) -> None:
    graph = rdflib.Graph(store=SPARQLStore(live_server.url + "/sparql", returnFormat="json"))
    zones = set(graph.subjects(rdflib.RDF.type, PILOT.PilotZone))
    assert rdflib.URIRef("https://w3id.org/pilotkg/id/zone/shenzhen") in zones and len(zones) == 4
    rows = list(graph.query(ZONES))
    assert len(rows) == 4


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


@pytest.mark.slow
def test_runaway_query_is_really_stopped(short_limit_server: LiveServer) -> None:
    live_server = short_limit_server
    started = time.monotonic()
    response = httpx.post(
        live_server.url + "/sparql", data={"query": RUNAWAY_QUERY}, timeout=SHORT_TIMEOUT_S + 30
    )
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "stopped after" in response.text and "query_timeout_s" in response.text
    # stopped at the limit, not left to run: the query alone would take hours (the margin is for
    # a machine that other tests load)
    assert took < SHORT_TIMEOUT_S + 8.0, f"the timeout answer took {took:.1f} s"
    # The server answers the next query at once, while the killed worker is replaced.
    again = httpx.get(live_server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=5)
    assert again.status_code == 200 and again.json()["boolean"] is True
    # Nothing is still computing the runaway query: no child process keeps burning CPU.
    time.sleep(1.0)
    before = {pid: _cpu_seconds(pid) for pid in live_server.children()}
    time.sleep(1.0)
    busy = {
        pid: _cpu_seconds(pid) - cpu for pid, cpu in before.items() if _cpu_seconds(pid) - cpu > 0.5
    }
    assert not busy, f"worker processes still busy after the timeout: {busy}"


@pytest.mark.slow
def test_timeouts_do_not_use_up_the_workers(short_limit_server: LiveServer) -> None:
    for _ in range(3):
        response = httpx.get(
            short_limit_server.url + "/sparql",
            params={"query": RUNAWAY_QUERY},
            timeout=SHORT_TIMEOUT_S + 30,
        )
        assert response.status_code == 503
        assert "stopped after 1 s" in response.text
    zones = httpx.get(short_limit_server.url + "/sparql", params={"query": ZONES}, timeout=5)
    assert zones.status_code == 200


def test_row_limit(live_server: LiveServer) -> None:
    response = httpx.get(
        live_server.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=10
    )
    assert response.status_code == 422
    assert "max_result_rows" in response.text and "LIMIT" in response.text
    limited = httpx.get(
        live_server.url + "/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"},
        timeout=10,
    )
    assert limited.status_code == 200 and len(limited.json()["results"]["bindings"]) == 10


@pytest.mark.parametrize(
    "target",
    [
        "<http://127.0.0.1:{port}/sparql>",
        "<http://localhost:{port}/sparql>",
        "<http://[::1]:{port}/sparql>",
        "x:sparql",
        "<http:\\u002F\\u002F127.0.0.1:{port}/sparql>",
    ],
)
def test_service_to_loopback_is_refused_before_connecting(
    live_server: LiveServer, target: str
) -> None:
    listener = Listener()
    try:
        query = (
            f"PREFIX x: <http://127.0.0.1:{listener.port}/> "
            f"SELECT * WHERE {{ SERVICE {target.format(port=listener.port)} {{ ?s ?p ?o }} }}"
        )
        response = httpx.post(live_server.url + "/sparql", data={"query": query}, timeout=10)
        assert response.status_code == 403, response.text
        assert "not allowed" in response.text and "service_allowlist" in response.text
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_update_is_refused(live_server: LiveServer) -> None:
    update = (
        "INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }"
    )
    response = httpx.post(
        live_server.url + "/sparql",
        content=update,
        headers={"Content-Type": "application/sparql-update"},
        timeout=10,
    )
    assert response.status_code == 403 and "read-only" in response.text
    client = SPARQLWrapper(live_server.url + "/sparql", updateEndpoint=live_server.url + "/sparql")
    client.setQuery(update)
    client.setMethod("POST")
    with pytest.raises(Exception, match="403"):
        client.query()
    ask = "ASK { <https://example.org/a> ?p ?o }"
    assert (
        httpx.get(live_server.url + "/sparql", params={"query": ask}, timeout=5).json()["boolean"]
        is False
    )


def test_literals_are_escaped(live_server: LiveServer) -> None:
    page = httpx.get(
        live_server.url + "/id/org/xss-test", headers={"Accept": "text/html"}, timeout=10
    ).text
    assert "&lt;script&gt;window.__xss = 1;" in page
    assert "<script>window" not in page and "<img src=x" not in page
    assert 'href="javascript:' not in page


def test_headers_over_the_wire(live_server: LiveServer) -> None:
    response = httpx.get(
        live_server.url + "/id/zone/shenzhen", headers={"Accept": "text/turtle"}, timeout=10
    )
    assert response.headers["content-type"].startswith("text/turtle")
    assert "Accept" in response.headers["vary"] and response.headers["etag"]
    assert response.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(
        live_server.url + "/id/zone/shenzhen",
        headers={"Accept": "text/turtle", "If-None-Match": response.headers["etag"]},
        timeout=10,
    )
    assert again.status_code == 304
