"""The dataset IRI names our data on this endpoint as on a store loaded with ``pilotkg load``,
and a query that is not valid UTF-8 is refused the same way by GET, form POST and direct POST."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from starlette.testclient import TestClient

from pilotkg.namespaces import DATASET_IRI
from pilotkg.queries import Catalogue, dataset_graphs, run
from pilotkg.sources import CHECKOUT_ROOT as ROOT
from pilotkg.sources import load_sources

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: web_client

ZONES = "PREFIX pilot: <https://w3id.org/pilotkg/ontology#> SELECT ?zone FROMS WHERE { ?zone a pilot:PilotZone }"


def _rows(response: object) -> int:
    return len(response.json()["results"]["bindings"])  # type: ignore[attr-defined]


def test_from_the_dataset_iri_gives_the_data(web_client: TestClient) -> None:
    plain = _rows(web_client.get("/sparql", params={"query": ZONES.replace("FROMS", "")}))
    assert plain == 4  # the fixture release's zones
    named = ZONES.replace("FROMS", f"FROM <{DATASET_IRI}>")
    assert _rows(web_client.get("/sparql", params={"query": named})) == plain
    assert _rows(web_client.post("/sparql", data={"query": named})) == plain


def test_default_graph_uri_naming_the_dataset_gives_the_data(web_client: TestClient) -> None:
    response = web_client.get(
        "/sparql", params={"query": ZONES.replace("FROMS", ""), "default-graph-uri": DATASET_IRI}
    )
    assert _rows(response) == 4
    elsewhere = web_client.get(
        "/sparql",
        params={"query": ZONES.replace("FROMS", ""), "default-graph-uri": "https://example.org/g"},
    )
    assert _rows(elsewhere) == 0  # any other graph is still the graph it names


def test_from_named_keeps_the_query_s_own_dataset() -> None:
    text = f"SELECT * FROM <{DATASET_IRI}> FROM NAMED <https://example.org/g> WHERE {{ ?s ?p ?o }}"
    assert dataset_graphs(text) is None
    assert dataset_graphs("SELECT * FROM <https://example.org/g> WHERE { ?s ?p ?o }") is None


def test_the_cli_reads_the_dataset_iri_the_same_way(tmp_path: Path) -> None:
    """``queries.run`` (what ``pilotkg query`` uses) on a query naming the dataset in FROM."""
    (tmp_path / "zones.rq").write_text(
        (ROOT / "queries" / "zones.rq").read_text(encoding="utf-8"), encoding="utf-8"
    )
    original = Catalogue(tmp_path).get("zones")
    text = original.text.replace("WHERE", f"FROM <{DATASET_IRI}> WHERE", 1)
    (tmp_path / "named.rq").write_text(text, encoding="utf-8")
    store = load_sources(ROOT).store
    catalogue = Catalogue(tmp_path)
    plain, named = run(store, catalogue.get("zones")), run(store, catalogue.get("named"))
    assert isinstance(plain, ox.QuerySolutions) and isinstance(named, ox.QuerySolutions)
    assert len(list(named)) == len(list(plain)) > 0


def test_the_dataset_iri_alone_in_from_means_the_default_graph() -> None:
    text = f"SELECT * FROM <{DATASET_IRI}> WHERE {{ ?s ?p ?o }}"
    assert dataset_graphs(text) == [ox.DefaultGraph()]


def test_invalid_utf8_is_refused_the_same_way_everywhere(web_client: TestClient) -> None:
    bad = 'ASK { ?s ?p "caf%E9" }'.replace(" ", "%20")
    by_get = web_client.get(f"/sparql?query={bad}")
    by_form = web_client.post(
        "/sparql",
        content=b"query=" + quote('ASK { ?s ?p "').encode() + b"caf%E9" + quote('" }').encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    by_body = web_client.post(
        "/sparql",
        content=b'ASK { ?s ?p "caf\xe9" }',
        headers={"Content-Type": "application/sparql-query"},
    )
    for response in (by_get, by_body):
        assert response.status_code == 400, response.text
        assert "not valid UTF-8" in response.text
    assert by_form.status_code == 400 and "not valid UTF-8" in by_form.text, by_form.text
