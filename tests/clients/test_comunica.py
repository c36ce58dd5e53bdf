"""Comunica (``@comunica/query-sparql`` from npm, pinned in ``tests/clients/js``) against a real
``pilotkg serve``: the endpoint as a SPARQL source, and each dump and an entity as a file
source it fetches by URL. Every job runs in one Node process (``js/comunica.mjs``)."""

from __future__ import annotations

from typing import Any

import pytest
from client_matrix import (
    ASK_FALSE,
    ASK_TRUE,
    CONSTRUCT,
    DESCRIBE,
    DUMPS,
    LONG_SELECT,
    REFUSED,
    REFUSED_MESSAGE,
    ROWS,
    SELECT,
    SHENZHEN,
    SHENZHEN_FACTS,
    TRIPLES,
    UPDATE,
    UPDATE_MESSAGE,
    Recorder,
    comunica,
    known,
    release_triples,
)

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def results(live_server: LiveServer, recorder: Recorder) -> dict[str, dict[str, Any]]:
    endpoint = [{"type": "sparql", "value": live_server.url + "/sparql"}]
    jobs: list[dict[str, object]] = [
        {"id": "select", "kind": "bindings", "query": SELECT, "sources": endpoint},
        {"id": "ask", "kind": "boolean", "query": ASK_TRUE, "sources": endpoint},
        {"id": "ask-false", "kind": "boolean", "query": ASK_FALSE, "sources": endpoint},
        {"id": "construct", "kind": "quads", "query": CONSTRUCT, "sources": endpoint},
        {"id": "describe", "kind": "quads", "query": DESCRIBE, "sources": endpoint},
        {
            "id": "long",
            "kind": "bindings",
            "query": LONG_SELECT,
            "sources": [{"type": "sparql", "value": recorder.endpoint("comunica-long")}],
        },
        {"id": "refused", "kind": "bindings", "query": REFUSED, "sources": endpoint},
        {"id": "update", "kind": "void", "query": UPDATE, "sources": endpoint},
        {
            "id": "entity",
            "kind": "quads",
            "query": DESCRIBE,
            "sources": [live_server.url + "/id/zone/shenzhen"],
        },
    ]
    jobs += [
        {
            "id": dump,
            "kind": "bindings",
            "query": COUNT,
            "sources": [f"{live_server.url}/dumps/{dump}"],
        }
        for dump in DUMPS
    ]
    return comunica(jobs)


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in result, result["error"]
    return result


def _rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = _ok(result)["rows"]
    assert isinstance(rows, list)
    return [(row["zone"], row["batch"]) for row in rows]


def test_select(results: dict[str, dict[str, Any]]) -> None:
    assert _rows(results["select"]) == ROWS


def test_ask(results: dict[str, dict[str, Any]]) -> None:
    assert _ok(results["ask"])["boolean"] is True
    assert _ok(results["ask-false"])["boolean"] is False


def test_construct(results: dict[str, dict[str, Any]]) -> None:
    assert set(_ok(results["construct"])["triples"]) == TRIPLES


def test_describe(results: dict[str, dict[str, Any]]) -> None:
    triples = set(_ok(results["describe"])["triples"])
    assert triples >= SHENZHEN_FACTS
    assert {t.split(" ", 1)[0] for t in triples} == {f"<{SHENZHEN}>"}


def test_a_long_query_is_posted(results: dict[str, dict[str, Any]], recorder: Recorder) -> None:
    assert _rows(results["long"]) == ROWS
    posted = [seen for seen in recorder.seen["comunica-long"] if seen.method == "POST"]
    assert posted and all(seen.method == "POST" for seen in recorder.seen["comunica-long"])


def test_a_refused_query_shows_the_server_sentence(results: dict[str, dict[str, Any]]) -> None:
    error = str(results["refused"].get("error", ""))
    assert "403" in error and REFUSED_MESSAGE in error


def test_an_update_is_refused(results: dict[str, dict[str, Any]]) -> None:
    assert "403" in str(results["update"].get("error", ""))


@known("comunica-update")
def test_an_update_refusal_shows_the_server_sentence(
    results: dict[str, dict[str, Any]],
) -> None:
    assert UPDATE_MESSAGE in str(results["update"].get("error", ""))


@pytest.mark.parametrize("dump", DUMPS)
def test_a_dump_loads_by_url(results: dict[str, dict[str, Any]], dump: str) -> None:
    rows = _ok(results[dump])["rows"]
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    assert rows == [{"n": f'"{len(release_triples())}"^^<{integer}>'}]


def test_an_entity_loads_by_its_iri(results: dict[str, dict[str, Any]]) -> None:
    """The entity's page, fetched by Comunica with its RDF Accept header, as a file source."""
    assert set(_ok(results["entity"])["triples"]) >= SHENZHEN_FACTS
