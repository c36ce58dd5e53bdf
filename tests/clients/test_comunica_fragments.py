"""Comunica (``@comunica/query-sparql``, ``tests/clients/js``) answers canned queries over the
Triple Pattern Fragments of a real ``pilotkg serve``, with nothing but ``/fragments`` as its
source (no SPARQL endpoint: it finds the Hydra controls and plans the query itself), and
gets the rows ``/sparql`` gives on the same server.

Rows are compared as multisets of bindings. Each query must give rows, and hand-checked rows
of the fixture data (``tests/data/web/data``) are asserted beside the comparison, so that two
empty or equally wrong answers cannot pass. The queries that join values with
``GROUP_CONCAT`` (``zones``, ``bases``, ``policies``, ``provincial-plan-emphases``) are left
out: there the two engines differ whatever the source, Oxigraph keeping the values' common
language tag (``"Jinan; Qingdao"@en``) and leaving a group with no value unbound, Comunica
writing a plain string and ``""``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest
from client_matrix import comunica, release_triples

from pilotkg.queries import Catalogue
from pilotkg.sources import SourceTree
from support.web import LiveServer, built_source

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

#: Canned queries and the values they are run with (a query's own example where the fixture
#: data answers it): joins, OPTIONAL, UNION, VALUES, FILTER, FILTER NOT EXISTS, property
#: paths, sub-queries, aggregates and the reified citations.
QUERIES: dict[str, dict[str, str]] = {
    "organisations": {},
    "zone-focus-areas": {},
    "programmes": {},
    "timeline": {},
    "zone-and-base-regions": {},
    "region-contents": {"region": "region:guangdong"},
    "statement-sources": {"entity": "zone:shenzhen"},
    "entity-sources": {"entity": "zone:shenzhen"},
    "search": {"text": "深圳"},
}
#: Every triple, which Comunica reads by following ``hydra:next`` over every page of the
#: fragment that names nothing; metadata taken for data would be counted too.
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SPARQL_JSON = "application/sparql-results+json"
ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"
Row = dict[str, str]


def _text(name: str) -> str:
    canned = Catalogue(SourceTree(built_source()).query_dir).get(name)
    return canned.bind(QUERIES[name])


def _term(value: dict[str, str]) -> str:
    """A SPARQL JSON term written as ``comunica.mjs`` writes Comunica's (N-Triples-like)."""
    if value["type"] == "uri":
        return f"<{value['value']}>"
    if value["type"] == "bnode":
        return f"_:{value['value']}"
    text = json.dumps(value["value"], ensure_ascii=False)
    if "xml:lang" in value:
        return f"{text}@{value['xml:lang']}"
    datatype = value.get("datatype", "http://www.w3.org/2001/XMLSchema#string")
    return text if datatype.endswith("#string") else f"{text}^^<{datatype}>"


def _multiset(rows: list[Row]) -> Counter[frozenset[tuple[str, str]]]:
    return Counter(frozenset(row.items()) for row in rows)


def _sparql_rows(server: LiveServer, text: str) -> list[Row]:
    answer = httpx.get(
        server.url + "/sparql", params={"query": text}, headers={"Accept": SPARQL_JSON}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    bindings = answer.json()["results"]["bindings"]
    return [{name: _term(value) for name, value in row.items()} for row in bindings]


@pytest.fixture(scope="module")
def answers(live_server: LiveServer) -> dict[str, dict[str, Any]]:
    """Comunica's answer to each query, from one Node process, over the fragments alone."""
    source = [live_server.url + "/fragments"]
    jobs: list[dict[str, object]] = [
        {"id": name, "kind": "bindings", "query": _text(name), "sources": source}
        for name in QUERIES
    ]
    jobs.append({"id": "count", "kind": "bindings", "query": COUNT_ALL, "sources": source})
    return comunica(jobs)


def _rows(answers: dict[str, dict[str, Any]], name: str) -> list[Row]:
    result = answers[name]
    assert "error" not in result, result["error"]
    rows: list[Row] = result["rows"]
    return rows


@pytest.mark.parametrize("name", QUERIES)
def test_comunica_over_fragments_gives_the_rows_of_sparql(
    answers: dict[str, dict[str, Any]], live_server: LiveServer, name: str
) -> None:
    expected = _multiset(_sparql_rows(live_server, _text(name)))
    assert expected, f"{name} gives no rows on the fixture data: the comparison would prove nothing"
    assert _multiset(_rows(answers, name)) == expected


def test_shenzhen_has_its_nine_focus_areas(answers: dict[str, dict[str, Any]]) -> None:
    """zones.ttl gives the Shenzhen zone nine ``pilot:focusArea`` values."""
    sectors = {
        row["sector"]
        for row in _rows(answers, "zone-focus-areas")
        if row["zone"] == f"<{ID}zone/shenzhen>"
    }
    assert sectors == {
        f"<{ID}sector/{slug}>"
        for slug in (
            "drones",
            "finance",
            "healthcare",
            "intelligent-chips",
            "intelligent-connected-vehicles",
            "manufacturing",
            "robotics",
            "supply-chain",
            "transportation",
        )
    }


def test_the_citations_of_shenzhen_are_its_three(answers: dict[str, dict[str, Any]]) -> None:
    """zones.ttl cites the zone's approval date from one source and its batch from two."""
    cited = {(row["property"], row["source"]) for row in _rows(answers, "statement-sources")}
    assert cited == {
        (f"<{PILOT}approvalDate>", f"<{ID}source/workercn-2019-10-19>"),
        (f"<{PILOT}batch>", f"<{ID}source/miit-second-batch-notice-2021>"),
        (f"<{PILOT}batch>", f"<{ID}source/cabos-2021-02-20>"),
    }


def test_every_page_is_read_and_no_metadata_is_taken_for_data(
    answers: dict[str, dict[str, Any]],
) -> None:
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    assert _rows(answers, "count") == [{"n": f'"{len(release_triples())}"^^<{integer}>'}]
