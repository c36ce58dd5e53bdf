"""The query pool of an app that serves before its workers are ready (the release
``serve --watch`` swaps in): a query that comes first waits for a worker, then is answered."""

from __future__ import annotations

from starlette.testclient import TestClient

from pilotkg.web.app import create_app
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
