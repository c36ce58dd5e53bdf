"""Where a query is answered: the query pool of an app that serves before its workers are
ready (the release ``serve --watch`` swaps in), where a query that comes first waits for a
worker, or is told none could start; and the lookups of one subject the server answers
itself (``web/lookups.py``), with a worker's answer, row limit and dataset."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pilotkg.web.app import create_app
from pilotkg.web.workers import Job, Outcome, QueryPool
from support.web import make_settings

ZONES = (
    "PREFIX pilot: <https://w3id.org/pilotkg/ontology#> "
    "SELECT ?zone WHERE { ?zone a pilot:PilotZone } ORDER BY ?zone"
)


def test_a_query_sent_before_any_worker_is_ready_waits_for_one_and_is_answered() -> None:
    app = create_app(make_settings(), workers_first=False)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        pool = app.state.site.pool
        # the app is up at once: spawning a worker and opening its store take far longer
        # than the lifespan's startup, which no longer waits for them
        assert pool.workers_ready == 0
        response = client.get(
            "/sparql",
            params={"query": ZONES},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.text
        zones = [row["zone"]["value"] for row in response.json()["results"]["bindings"]]
        assert len(zones) == 4 and zones[-1].endswith("/zone/shenzhen")
        assert pool.workers_ready >= 1
    assert app.state.site.pool is None  # the lifespan closed it


def test_an_app_that_starts_its_workers_first_has_them_all_at_once() -> None:
    app = create_app(make_settings())
    with TestClient(app, base_url="http://127.0.0.1:8000"):
        pool = app.state.site.pool
        settings = app.state.site.settings
        assert pool.workers_ready == settings.query_workers + 1 + bool(settings.service_allowlist)


SHENZHEN = "https://w3id.org/pilotkg/id/zone/shenzhen"
#: Lookups (one triple pattern, an IRI subject), each with a text that asks the same of the
#: store but is not of that shape, so that a worker answers it.
LOOKUPS = {
    f"SELECT ?p ?o WHERE {{ <{SHENZHEN}> ?p ?o }}": (
        f"SELECT ?p ?o WHERE {{ ?s ?p ?o FILTER(?s = <{SHENZHEN}>) }}"
    ),
    "PREFIX zone: <https://w3id.org/pilotkg/id/zone/> SELECT ?o { zone:shenzhen a ?o . }": (
        f"SELECT ?o {{ ?s a ?o FILTER(?s = <{SHENZHEN}>) }}"
    ),
    f"ASK {{ <{SHENZHEN}> ?p ?o }}": f"ASK {{ ?s ?p ?o FILTER(?s = <{SHENZHEN}>) }}",
}


def test_a_lookup_of_one_subject_is_answered_without_a_worker_as_a_worker_would() -> None:
    """``lookups``: one triple pattern with an IRI subject runs in the server's process,
    with the worker's answer; anything more goes to a worker."""
    app = create_app(make_settings(query_cache_bytes=0))  # every answer computed afresh
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        pool = app.state.site.pool

        def rows(text: str) -> tuple[int, list[str]]:
            before = pool.submitted
            answer = client.get("/sparql", params={"query": text}, headers={"Accept": "text/csv"})
            assert answer.status_code == 200, answer.text
            return pool.submitted - before, sorted(answer.text.splitlines())

        for lookup, same in LOOKUPS.items():
            inline_jobs, inline_rows = rows(lookup)
            worker_jobs, worker_rows = rows(same)
            assert (inline_jobs, worker_jobs) == (0, 1), lookup
            assert inline_rows == worker_rows and len(inline_rows) > 1, lookup
        kinds = rows(next(iter(k for k in LOOKUPS if "zone:shenzhen a" in k)))[1]
        assert "https://w3id.org/pilotkg/ontology#PilotZone" in kinds


def test_a_lookup_answered_without_a_worker_keeps_the_row_limit_and_the_dataset() -> None:
    app = create_app(make_settings(query_cache_bytes=0, max_result_rows=3))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        pool = app.state.site.pool
        lookup = next(iter(LOOKUPS))  # zone:shenzhen has far more than 3 triples
        before = pool.submitted
        cut = client.get("/sparql", params={"query": lookup}, headers={"Accept": "text/csv"})
        assert cut.status_code == 422 and "max_result_rows" in cut.text
        assert pool.submitted == before
        # a dataset named in the request is the worker's to read
        named = client.get(
            "/sparql",
            params={"query": lookup, "default-graph-uri": "https://example.org/empty"},
            headers={"Accept": "text/csv"},
        )
        assert named.status_code == 200 and named.text.splitlines() == ["p,o"]
        assert pool.submitted == before + 1


def test_a_query_that_waits_for_workers_that_cannot_start_is_told_so(tmp_path: Path) -> None:
    """A pool started in the background over a store that cannot be opened: the query sent
    first hears that no worker could be started (503), instead of waiting for ever."""

    async def run() -> Outcome:
        pool = QueryPool(str(tmp_path / "no-such-store"), size=1, timeout_s=5)
        pool.start_in_background()
        try:
            return await asyncio.wait_for(pool.run(Job("ASK {}", "json", 10)), timeout=60)
        finally:
            await pool.close()

    outcome = asyncio.run(run())
    assert outcome.status == 503 and "No query worker could be started" in outcome.message


@pytest.mark.parametrize(
    ("limit", "setting"),
    [({"max_result_rows": 3}, "max_result_rows"), ({"max_result_bytes": 100}, "max_result_bytes")],
)
def test_a_canned_query_gives_every_row_where_the_same_text_from_a_user_is_cut(
    limit: dict[str, int], setting: str
) -> None:
    """The limits' advice (add a LIMIT) is for a user's text: a canned query is the server's,
    and answers all it finds (the fixture holds four pilot zones; 3 rows or 100 bytes allowed)."""
    app = create_app(make_settings(query_cache_bytes=0, **limit))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        canned = client.get("/queries/zones.json")
        assert canned.status_code == 200, canned.text
        zones = {row["zone"]["value"] for row in canned.json()["results"]["bindings"]}
        assert len(zones) == 4
        text = "SELECT ?zone WHERE { ?zone a <https://w3id.org/pilotkg/ontology#PilotZone> }"
        cut = client.get("/sparql", params={"query": text}, headers={"Accept": "text/csv"})
        assert cut.status_code == 422 and setting in cut.text
