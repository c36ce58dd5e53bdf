"""The query page keeps the query on every error a browser meets, on the real server: the form
again with the query in its box, the message beside it, and for a syntax error the line and
column with the line quoted, in words, in the reader's language. The status stays the
protocol's, and a client that asks for results still gets the plain sentence.
"""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from support.web import RUNAWAY_QUERY, LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RESULTS = "application/sparql-results+json"


def _page(live_server: LiveServer, query: str, *, lang: str = "en") -> httpx.Response:
    return httpx.get(
        live_server.url + "/sparql",
        params={"query": query, "lang": lang},
        headers={"Accept": BROWSER},
        timeout=30,
    )


def _kept(page: str) -> str:
    """What the page's query box holds (the browser drops the newline after <textarea>)."""
    found = re.search(r'<textarea id="query-text"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert found, "the page has no query box"
    return unescape(found.group(1))


def _problem(page: str) -> str:
    """The text of the box beside the query that says what went wrong."""
    found = re.search(r'<section id="query-problem".*?</section>', page, re.S)
    assert found, "the page says nothing beside the query"
    return unescape(re.sub(r"<[^>]+>", "", found.group(0)))


def test_a_syntax_error_keeps_the_query_and_says_where_and_what(live_server: LiveServer) -> None:
    response = _page(live_server, "SELEC * WHERE {}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert _kept(response.text) == "SELEC * WHERE {}"
    problem = _problem(response.text)
    # The mistake is the first word, not column 10 where the parser gave up.
    assert "line 1, column 1" in problem
    assert "expected SELECT, CONSTRUCT, ASK or DESCRIBE" in problem
    assert "Did you mean SELECT?" in problem
    assert "<mark>SELEC</mark> * WHERE {}" in response.text  # the line quoted, the word marked
    assert 'aria-describedby="query-problem"' in response.text  # the box names its message


def test_the_line_named_is_the_line_of_the_mistake(live_server: LiveServer) -> None:
    query = (
        "PREFIX pilot: <https://w3id.org/pilotkg/ontology#>\n"
        "SELECT ?zone WHERE {\n"
        "  ?zone a pilot:PilotZone .\n"
        "  FILTER(?zone = )\n"
        "}"
    )
    response = _page(live_server, query)
    assert response.status_code == 400
    assert _kept(response.text) == query
    problem = _problem(response.text)
    assert "line 4, column 16" in problem and "Something must follow “=”" in problem
    assert "  FILTER(?zone <mark>=</mark> )" in response.text
    # The caret sits under the mark: as many columns before it as before the "=".
    caret = re.search(r"│ </span>( *)<span class=\"caret\">\^", response.text)
    assert caret is not None and len(caret.group(1)) == len("  FILTER(?zone ")


@pytest.mark.parametrize(
    ("query", "where", "words"),
    [
        (
            "ASK { ?s ?p ?o } LIMT 5",
            "line 1, column 18",
            "“LIMT” is not a SPARQL keyword. Did you mean LIMIT?",
        ),
        (
            "SELECT * WHERE { ?s foo:bar ?o }",
            "line 1, column 21",
            "The prefix “foo:” is not declared",
        ),
        (
            "SELECT * WHERE { ?s ?p ?o FILTER(?o > 1 }",
            "line 1, column 41",
            "“(” of line 1, column 33 must be closed with “)”",
        ),
        ('SELECT * WHERE { ?s ?p "abc }', "line 1, column 24", "This string is never closed"),
        (
            "SELECT ?x ?s WHERE { ?s ?p ?x } GROUP BY ?s",
            "line 1, column 8",
            "?x is selected but neither grouped nor aggregated",
        ),
        ("SELECT * WHERE { ?s ?p “深圳” }", "line 1, column 24", "straight quotes"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT", "line 1, column 29", "LIMIT takes a number"),
    ],
)
def test_usual_mistakes_are_told_in_words(
    live_server: LiveServer, query: str, where: str, words: str
) -> None:
    response = _page(live_server, query)
    assert response.status_code == 400
    assert _kept(response.text) == query
    problem = _problem(response.text)
    assert where in problem and words in problem
    assert "['A' ..= 'Z'" not in problem.split("The parser's own message")[0]


def test_the_message_is_in_the_readers_language(live_server: LiveServer) -> None:
    response = _page(live_server, "SELEC * WHERE {}", lang="zh")
    problem = _problem(response.text)
    assert "语法错误：第 1 行，第 1 列" in problem
    assert "应为 SELECT、CONSTRUCT、ASK 或 DESCRIBE。是否想写 SELECT？" in problem
    assert "您的查询仍保留在输入框中" in problem


def test_protocol_clients_keep_the_plain_sentence(live_server: LiveServer) -> None:
    for query, status, words in (
        ("SELEC * WHERE {}", 400, "Malformed query: error at 1:10: expected CONSTRUCT"),
        (
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            403,
            "service_allowlist",
        ),
        ("SELECT * WHERE { ?s ?p ?o }", 422, "max_result_rows"),
    ):
        response = httpx.get(
            live_server.url + "/sparql",
            params={"query": query},
            headers={"Accept": RESULTS},
            timeout=30,
        )
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text.startswith(f"{status} ") and words in response.text
        assert "<html" not in response.text and "query-problem" not in response.text


def test_a_refused_service_keeps_the_query(live_server: LiveServer) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = _page(live_server, query)
    assert response.status_code == 403
    assert _kept(response.text) == query
    problem = _problem(response.text)
    assert "HTTP 403" in problem and "is not allowed" in problem and "service_allowlist" in problem


def test_a_result_too_large_keeps_the_query(live_server: LiveServer) -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"  # the fixture holds more than max_result_rows (300)
    response = _page(live_server, query)
    assert response.status_code == 422
    assert _kept(response.text) == query
    assert "max_result_rows" in _problem(response.text) and "LIMIT" in _problem(response.text)


def test_a_stopped_query_keeps_the_query(live_server: LiveServer) -> None:
    response = _page(live_server, RUNAWAY_QUERY)  # stopped after query_timeout_s (3 s)
    assert response.status_code == 503
    assert _kept(response.text) == RUNAWAY_QUERY
    assert "query_timeout_s" in _problem(response.text)
    assert response.headers["cache-control"] == "no-store"


def test_a_query_too_long_keeps_the_query(live_server: LiveServer) -> None:
    query = "ASK { ?s ?p ?o } #" + "x" * 100_000  # over max_query_bytes, under the body bound
    response = httpx.post(
        live_server.url + "/sparql",
        data={"query": query, "format": "csv"},
        headers={"Accept": BROWSER},
        timeout=30,
    )
    assert response.status_code == 413
    assert _kept(response.text) == query
    assert "max_query_bytes" in _problem(response.text)
    assert (
        '<option value="csv" selected translate="no">' in response.text
    )  # the format asked for, still chosen


def test_an_update_keeps_its_text(live_server: LiveServer) -> None:
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    response = httpx.get(
        live_server.url + "/sparql",
        params={"update": update},
        headers={"Accept": BROWSER},
        timeout=10,
    )
    assert response.status_code == 403
    assert _kept(response.text) == update and "read-only" in _problem(response.text)


def test_a_query_that_runs_shows_no_problem_and_examples_are_offered(
    live_server: LiveServer,
) -> None:
    response = _page(live_server, "ASK { ?s ?p ?o }")
    assert response.status_code == 200
    assert 'id="query-problem"' not in response.text and "ASK: <strong>true" in response.text
    examples = re.findall(r'<li><a href="/sparql\?query=[^"]+">', response.text)
    assert len(examples) >= 3
