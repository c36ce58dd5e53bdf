"""The server's own query texts (canned queries, browsed tables) run in-process, in a thread, and
answer exactly what a query worker answers for the same text.

The app is in-process (Starlette's TestClient) on the release of the real data, with real
query workers and no result cache (``query_cache_bytes=0``), so each text sent to ``/sparql``
is answered by a worker. The pool's ``submitted`` count tells which way a request went.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from pilotkg.queries import Catalogue
from pilotkg.release import DUMP
from pilotkg.web.app import create_app
from pilotkg.web.execution import HTML_TABLE_ROWS, _own_slots, result_cache
from pilotkg.web.site import Site
from pilotkg.web.workers import QUERY_BASE, Job, execute
from support.web import Listener, built_real_source, make_settings

JSON = {"Accept": "application/sparql-results+json"}
CATALOGUE = Catalogue(built_real_source() / "queries")
LOCAL = [query.name for query in CATALOGUE if not query.federated]


def _client(**changes: object) -> Iterator[TestClient]:
    source = built_real_source()
    settings = make_settings(
        release_dir=source / "dist", source_dir=source, **{"query_cache_bytes": 0, **changes}
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from _client()


def _site(client: TestClient) -> Site:
    site = client.app.state.site  # type: ignore[attr-defined]
    assert isinstance(site, Site)
    return site


def _submitted(client: TestClient) -> int:
    pool = _site(client).pool
    assert pool is not None
    return pool.submitted


def _cell(term: object) -> str:
    """A cell as compared: the parts of a GROUP_CONCAT ("a; b") in one order, since SPARQL
    leaves their order to the engine, and each store keeps its own."""
    if isinstance(term, ox.Literal) and "; " in term.value:
        return "; ".join(sorted(term.value.split("; ")))
    return str(term)


def _rows(body: bytes) -> list[tuple[str, ...]]:
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return [tuple(_cell(row[name]) for name in names) for row in results]


@pytest.mark.parametrize("name", LOCAL)
def test_a_canned_query_answers_here_what_a_worker_answers(client: TestClient, name: str) -> None:
    query = CATALOGUE.get(name)
    before = _submitted(client)
    canned = client.get(f"/queries/{name}.json", params=query.example)
    assert canned.status_code == 200, canned.text[:300]
    assert _submitted(client) == before, "the canned query went to a worker"
    by_worker = client.get("/sparql", params={"query": query.bind(query.example)}, headers=JSON)
    assert by_worker.status_code == 200, by_worker.text[:300]
    assert _submitted(client) == before + 1
    assert _rows(canned.content) == _rows(by_worker.content)
    assert _rows(canned.content), f"{name}: the example binding gives rows on the real data"


def test_a_browsed_table_runs_its_queries_here(client: TestClient) -> None:
    before = _submitted(client)
    table = client.get("/zones.json", params={"province": "region:guangdong"})
    assert table.status_code == 200, table.text[:300]
    # Shenzhen's and Guangzhou's zones of both programmes (tests/web/test_browse.py)
    assert table.json()["total"] == 4
    assert _submitted(client) == before


def test_a_users_text_still_goes_to_a_worker(client: TestClient) -> None:
    before = _submitted(client)
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
    assert client.get("/sparql", params={"query": text}, headers=JSON).status_code == 200
    assert _submitted(client) == before + 1


def test_a_kept_own_answer_is_never_given_to_sparql() -> None:
    """With the result cache on, a browsed table is answered again from the cache, but its rows
    query, sent to ``/sparql`` as the page's link sends it, goes to a worker: the page's answer
    ran without a worker's limits."""
    for kept in _client(query_cache_bytes=64_000_000):
        path, params = "/zones.json", {"province": "region:guangdong"}
        first = kept.get(path, params=params)
        before = _submitted(kept)
        again = kept.get(path, params=params)
        assert first.status_code == again.status_code == 200
        assert again.json()["rows"] == first.json()["rows"] and _submitted(kept) == before
        rows_query = first.json()["sparql"]
        by_worker = kept.get("/sparql", params={"query": rows_query}, headers=JSON)
        assert by_worker.status_code == 200, by_worker.text[:300]
        assert _submitted(kept) == before + 1
        assert len(_rows(by_worker.content)) == 4  # Guangdong's four zones


def test_no_free_slot_within_the_time_limit_is_503(tmp_path: Path) -> None:
    """With one slot, held here, a canned query waits ``query_timeout_s`` and is refused."""
    for busy in _client(query_workers=1, query_timeout_s=1):
        slots = _own_slots(_site(busy))
        portal = busy.portal
        assert portal is not None
        portal.call(slots.acquire)
        try:
            refused = busy.get("/queries/zones.json")
        finally:
            portal.call(slots.release)
        assert refused.status_code == 503, refused.text[:300]
        assert "All query slots stayed busy for 1 s" in refused.text
        assert refused.headers["retry-after"] == "5"
        assert busy.get("/queries/zones.json").status_code == 200


def test_a_federated_canned_query_still_runs_in_a_worker(tmp_path: Path) -> None:
    """A canned query that calls an allowed SERVICE is the federated worker's, with its network
    walls and time limit, not the server's own process: the listener is reached, by a worker."""
    source = tmp_path / "source"
    shutil.copytree(built_real_source(), source, symlinks=True)
    with Listener() as mirror:
        (source / "queries" / "federated-probe.rq").write_text(
            "# title: A federated probe\n# title@zh: 联邦查询探针\n"
            "# description: One row from an allowed endpoint.\n# description@zh: 一行。\n"
            f"# endpoint: {mirror.url}\n# tags: test\n"
            f"SELECT ?x WHERE {{ SERVICE <{mirror.url}> {{ ?x ?p ?o }} }}\n",
            encoding="utf-8",
        )
        settings = make_settings(
            release_dir=source / "dist",
            source_dir=source,
            query_cache_bytes=0,
            service_allowlist=(mirror.url,),
            service_private_networks=("127.0.0.1/32",),
        )
        with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as federated:
            before = _submitted(federated)
            answer = federated.get("/queries/federated-probe.json")
            assert answer.status_code == 200, answer.text[:300]
            assert "LEAKED" in answer.text and mirror.connections == 1
            assert _submitted(federated) == before + 1


def test_a_canned_page_counts_the_rows_it_does_not_show(tmp_path: Path) -> None:
    """An own text's rows are not counted as the engine writes them (``Outcome.rows`` is None):
    the HTML table counts them as it reads them, past the ``HTML_TABLE_ROWS`` it shows, and
    the count is the one a worker's COUNT gives for the same graph."""
    source = tmp_path / "source"
    shutil.copytree(built_real_source(), source, symlinks=True)
    (source / "queries" / "every-triple.rq").write_text(
        "# title: Every triple\n# title@zh: 所有三元组\n"
        "# description: Every triple of the graph.\n# description@zh: 图中的所有三元组。\n"
        "# tags: test\nSELECT ?s ?p ?o WHERE { ?s ?p ?o }\n",
        encoding="utf-8",
    )
    settings = make_settings(release_dir=source / "dist", source_dir=source)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as every:
        page = every.get("/queries/every-triple", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text[:300]
        shown = re.search(r'<p class="count">(\d+) rows · the first (\d+) are shown', page.text)
        assert shown is not None, page.text[:2000]
        body = page.text.split('<table class="results readable">', 1)[1].split("</table>", 1)[0]
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        counted = every.get("/sparql", params={"query": text}, headers=JSON)
        assert counted.status_code == 200, counted.text[:300]
        total = int(counted.json()["results"]["bindings"][0]["n"]["value"])
        assert total > HTML_TABLE_ROWS  # the real data's 21,000-odd triples
        assert int(shown.group(1)) == total and int(shown.group(2)) == HTML_TABLE_ROWS
        assert body.count("<tr>") == HTML_TABLE_ROWS + 1  # the heading's row and those shown
        # the count is kept with the answer, so the page asked again reads only what it shows
        kept = [o for (_job, v), o in result_cache(_site(every))._entries.items() if "canned" in v]
        assert [o.rows for o in kept] == [total]
        again = every.get("/queries/every-triple", headers={"Accept": "text/html"})
        assert again.status_code == 200 and shown.group(0) in again.text


def test_an_own_text_is_written_by_the_engine_and_left_uncounted() -> None:
    """With neither a row nor a byte limit, a SELECT's answer is the engine's own SPARQL JSON,
    its rows not counted; with a limit, the rows are counted on the way (through TSV)."""
    store = ox.Store()
    store.bulk_load(path=str(built_real_source() / "dist" / DUMP), format=ox.RdfFormat.TURTLE)
    text = "SELECT ?zone WHERE { ?zone a <https://w3id.org/pilotkg/ontology#PilotZone> }"
    own = execute(store, Job(text, "json", None))
    assert own.status == 200 and own.rows is None
    engine = store.query(text, base_iri=QUERY_BASE)
    assert isinstance(engine, ox.QuerySolutions)
    assert own.body == engine.serialize(format=ox.QueryResultsFormat.JSON)
    limited = execute(store, Job(text, "json", 10_000))
    assert limited.rows == len(_rows(own.body)) > 0
    assert _rows(limited.body) == _rows(own.body)
