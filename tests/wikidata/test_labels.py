"""The shared Wikidata helpers (labels, SERVICE retargeting) and the caching client."""

from __future__ import annotations

import doctest
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.errors import QueryError
from pilotkg.federation import DEFAULT_ENDPOINT, retarget_service
from pilotkg.queries import Catalogue
from pilotkg.sources import CHECKOUT_ROOT
from pilotkg.wikidata import labels as wikidata
from pilotkg.wikidata.client import SparqlClient, cache_key
from pilotkg.wikidata.labels import (
    USER_AGENT,
    EndpointError,
    kind_of,
    label_variants,
    normalise_label,
    qid_of,
)
from support.wikidata_endpoint import FixtureEndpoint, closed_port_url, fixture_store, make_source

ASK = "ASK { <http://www.wikidata.org/entity/Q42622> ?p ?o }"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


def test_docstring_examples() -> None:
    assert doctest.testmod(wikidata).failed == 0


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Suzhou (Jiangsu)", "Suzhou"),
        ("苏州市", "苏州"),
        ("江苏省", "江苏"),
        ("德清县", "德清"),
        ("Xi’an", "Xi'an"),
        ("  SHANGHAI ", "Shanghai"),
        ("中国（天津）", "中国"),
    ],
)
def test_labels_that_name_the_same_place_match(ours: str, theirs: str) -> None:
    assert normalise_label(ours) == normalise_label(theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("苏州市", "宿州市"), ("台州市", "泰州市"), ("Pudong New Area", "Pudong"), ("市", "")],
)
def test_different_names_do_not_match(ours: str, theirs: str) -> None:
    assert normalise_label(ours) != normalise_label(theirs)


def test_label_variants_cover_the_suffixes() -> None:
    assert label_variants("江苏", "zh", place=True) == ["江苏", "江苏市", "江苏省", "江苏县"]
    assert label_variants("华为", "zh") == ["华为"]
    assert label_variants("Huawei", "en") == ["Huawei"]


def test_qids_and_kinds() -> None:
    assert qid_of("http://www.wikidata.org/entity/Q148") == "Q148"
    assert qid_of("http://www.wikidata.org/entity/P31") is None
    assert qid_of("https://www.wikidata.org/wiki/Q148") is None
    assert kind_of("https://w3id.org/pilotkg/id/org/huawei") == "org"
    assert kind_of("https://w3id.org/pilotkg/id/zone/shenzhen") is None


def test_retarget_changes_only_the_wikidata_service() -> None:
    text = (
        "# endpoint: https://query.wikidata.org/sparql\n"
        "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?a ?b ?c } "
        "SERVICE silent <https://query.wikidata.org/sparql> { ?d ?e ?f } "
        "SERVICE <https://dbpedia.org/sparql> { ?g ?h ?i } }"
    )
    local = "http://127.0.0.1:9/sparql"
    assert retarget_service(text, local) == (
        "# endpoint: https://query.wikidata.org/sparql\n"
        f"SELECT * WHERE {{ SERVICE <{local}> {{ ?a ?b ?c }} "
        f"SERVICE silent <{local}> {{ ?d ?e ?f }} "
        "SERVICE <https://dbpedia.org/sparql> { ?g ?h ?i } }"
    )


@pytest.mark.parametrize("bad", ["127.0.0.1:8000/sparql", "http://x/> } DROP ALL { <", ""])
def test_retarget_refuses_what_is_not_an_endpoint_url(bad: str) -> None:
    with pytest.raises(QueryError, match="not an endpoint URL"):
        retarget_service("SELECT * WHERE {}", bad)


def test_every_federated_canned_query_names_the_endpoint_it_retargets() -> None:
    federated = [q for q in Catalogue(CHECKOUT_ROOT / "queries") if q.federated]
    assert {q.name for q in federated} >= {
        "wikidata-region-population",
        "wikidata-province-density",
        "wikidata-coordinates",
    }
    for query in federated:
        assert query.endpoint == DEFAULT_ENDPOINT
        moved = retarget_service(query.text, "http://127.0.0.1:9/sparql")
        assert f"<{DEFAULT_ENDPOINT}>" not in moved and "<http://127.0.0.1:9/sparql>" in moved


# ---- the client -------------------------------------------------------------


def test_requests_say_who_is_asking(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    before = len(endpoint.requests)
    SparqlClient(endpoint.url, cache_dir=None).select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    assert [r.user_agent for r in endpoint.requests[before:]] == [USER_AGENT]
    assert USER_AGENT.startswith("pilotkg/") and "https://w3id.org/pilotkg" in USER_AGENT


def test_answers_are_cached_by_endpoint_and_query(tmp_path: Path) -> None:
    query = "SELECT ?label WHERE { <http://www.wikidata.org/entity/Q42622> ?p ?label }"
    with FixtureEndpoint(fixture_store()) as running:
        first = SparqlClient(running.url, cache_dir=tmp_path)
        rows = first.select(query)
        again = SparqlClient(running.url, cache_dir=tmp_path)
        assert again.select(query) == rows and again.requests == 0
        url = running.url
    # The endpoint is gone: the cache still answers, so repeated runs work offline.
    offline = SparqlClient(url, cache_dir=tmp_path)
    assert offline.select(query) == rows and offline.requests == 0
    entry = json.loads((tmp_path / f"{cache_key(url, query)}.json").read_text(encoding="utf-8"))
    assert entry["endpoint"] == url and entry["query"] == query
    assert cache_key(url, query) != cache_key(DEFAULT_ENDPOINT, query)
    with pytest.raises(EndpointError, match=f"cannot reach the SPARQL endpoint {url}"):
        SparqlClient(url, cache_dir=None).select(query)


def test_a_damaged_cache_entry_is_asked_again(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    query = "SELECT ?o WHERE { <http://www.wikidata.org/entity/Q148> ?p ?o }"
    (tmp_path / f"{cache_key(endpoint.url, query)}.json").write_text("{", encoding="utf-8")
    client = SparqlClient(endpoint.url, cache_dir=tmp_path)
    assert client.select(query) and client.requests == 1


def test_a_refused_query_names_the_endpoint_and_the_reason(endpoint: FixtureEndpoint) -> None:
    with pytest.raises(EndpointError) as raised:
        SparqlClient(endpoint.url, cache_dir=None).select("SELECT ?x WHERE {")
    message = str(raised.value)
    assert message.startswith(f"the SPARQL endpoint {endpoint.url} refused the query")
    assert "malformed query" in message


def test_rate_limiting_is_explained() -> None:
    with FixtureEndpoint(fixture_store()) as running:
        running.fail_with = 429
        with pytest.raises(EndpointError, match=r"HTTP 429.*rate-limited"):
            SparqlClient(running.url, cache_dir=None).select(ASK.replace("ASK", "SELECT * WHERE"))


def test_an_answer_that_is_not_select_results_is_an_error(endpoint: FixtureEndpoint) -> None:
    with pytest.raises(EndpointError, match="not SPARQL JSON results"):
        SparqlClient(endpoint.url, cache_dir=None).select(ASK)


def test_no_cache_neither_reads_nor_writes(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    cache = tmp_path / "cache"
    args = ["link", "wikidata", "--check", "--source", str(source), "--endpoint", endpoint.url]
    assert CliRunner().invoke(main, [*args, "--no-cache", "--cache-dir", str(cache)]).exit_code == 0
    assert not cache.exists()
    first = CliRunner().invoke(main, [*args, "--cache-dir", str(cache)])
    assert first.exit_code == 0 and any(cache.iterdir())
    again = CliRunner().invoke(main, [*args, "--cache-dir", str(cache)])
    assert "· 0 requests to" in again.stderr


def test_without_a_task_it_counts_links_offline(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src")
    result = CliRunner().invoke(
        main, ["link", "wikidata", "--source", str(source), "--endpoint", closed_port_url()]
    )
    assert result.exit_code == 0, result.output
    assert "region: 13 entities; 10 owl:sameAs; 3 unlinked" in result.stdout
    assert "sector: 3 entities; 1 skos:closeMatch, 1 skos:exactMatch; 1 unlinked" in result.stdout


def test_federated_canned_queries_are_pinned_to_our_linked_items(source_dir) -> None:
    """The SERVICE group asks Wikidata only about items our data links, not about all of Wikidata."""
    from pilotkg.federation import pin_linked_items
    from pilotkg.queries import Catalogue
    from pilotkg.sources import load_sources

    store = load_sources(source_dir).store
    query = Catalogue(source_dir / "queries").get("wikidata-region-population")
    pinned = pin_linked_items(query.text, store)
    service = pinned[pinned.index("SERVICE <https://query.wikidata.org/sparql>") :]
    values = service[service.index("VALUES ?item {") : service.index("}")]
    assert "<http://www.wikidata.org/entity/Q15174>" in values  # Shenzhen
    assert "<http://www.wikidata.org/entity/Q148>" in values  # China
    assert pin_linked_items("SELECT * WHERE { ?s ?p ?o }", store) == "SELECT * WHERE { ?s ?p ?o }"
