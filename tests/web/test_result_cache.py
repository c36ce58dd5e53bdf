"""The cache of worker answers (``web/result_cache.py``): the same answers as the workers give,
and not one limit or refusal the less.

The apps here are in-process (Starlette's TestClient) with real query workers; one keeps
answers (the default) and one keeps none (``query_cache_bytes=0``), so every answer from
the cache is compared with the same query answered by a worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from pilotkg.web.app import create_app
from pilotkg.web.execution import result_cache
from pilotkg.web.result_cache import ResultCache, same_each_time
from pilotkg.web.site import Site
from pilotkg.web.workers import Job, Outcome
from support.web import RUNAWAY_QUERY, Listener, make_settings

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/pilotkg/id/zone/shenzhen> ?p ?o } ORDER BY ?p ?o"
JSON = {"Accept": "application/sparql-results+json"}


def _client(**changes: object) -> Iterator[TestClient]:
    app = create_app(make_settings(**changes))
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def kept() -> Iterator[TestClient]:
    """An app that keeps answers."""
    yield from _client()


@pytest.fixture(scope="module")
def fresh() -> Iterator[TestClient]:
    """An app that keeps none: every query goes to a worker."""
    yield from _client(query_cache_bytes=0)


def _site(client: TestClient) -> Site:
    site = client.app.state.site  # type: ignore[attr-defined]
    assert isinstance(site, Site)
    return site


# --- the cache itself --------------------------------------------------------------------


def _ok(body: bytes = b"{}") -> Outcome:
    return Outcome(200, body, "application/sparql-results+json", "solutions", 1)


def test_an_answer_is_kept_for_its_release_and_job_only() -> None:
    cache = ResultCache(1_000_000)
    job = Job("SELECT * { ?s ?p ?o }", "json", 10)
    cache.put("release-a", job, _ok(b"a"))
    assert cache.get("release-a", job) == _ok(b"a")
    assert cache.get("release-a", Job(" SELECT * { ?s ?p ?o }\n", "json", 10)) == _ok(b"a")
    assert cache.get("release-a", dataclasses.replace(job, format_name="csv")) is None
    assert cache.get("release-a", dataclasses.replace(job, default_graphs=("urn:g",))) is None
    assert cache.get("release-a", job, "canned zones csv bom=1") is None
    assert cache.get("release-b", job) is None  # a new release: the old answers are gone
    assert len(cache) == 0 and cache.size == 0
    assert cache.get("release-a", job) is None


def test_only_answers_that_are_the_same_each_time_and_within_bounds_are_kept() -> None:
    cache = ResultCache(80_000)
    refused = Job("SELECT * { SERVICE <http://x/> {} }", "json", 10, check_only="refused")
    cache.put("r", refused, _ok())
    for text in (
        "SELECT (RAND() AS ?r) {}",
        "SELECT (n\\u006Fw() AS ?t) {}",
        "SELECT (UUID() AS ?u) {}",
    ):
        assert not same_each_time(text)
        cache.put("r", Job(text, "json", 10), _ok())
    cache.put("r", Job("ASK {}", "json", 10), Outcome(422, message="too many rows"))
    cache.put("r", Job("SELECT ?big {}", "json", 10), _ok(b"x" * 10_001))  # over an eighth
    assert len(cache) == 0
    assert ResultCache(0).get("r", Job("ASK {}", "json", 10)) is None


def test_the_least_recently_used_answers_go_first_when_the_bytes_run_out() -> None:
    cache = ResultCache(8 * 1_300)
    jobs = [Job(f"SELECT * {{ ?s ?p {n} }}", "json", 10) for n in range(12)]
    cache.put("r", jobs[0], _ok(b"x" * 1_000))
    for job in jobs[1:]:
        assert cache.get("r", jobs[0]) is not None  # kept in use, so kept
        cache.put("r", job, _ok(b"x" * 1_000))
    assert cache.size <= cache.max_bytes
    assert cache.get("r", jobs[0]) is not None
    assert cache.get("r", jobs[1]) is None  # the oldest not used again
    assert cache.get("r", jobs[-1]) is not None


# --- served ------------------------------------------------------------------------------


def test_a_kept_answer_is_the_workers_answer(kept: TestClient, fresh: TestClient) -> None:
    cache = result_cache(_site(kept))
    first = kept.get("/sparql", params={"query": LOOKUP}, headers=JSON)
    hits = cache.hits
    again = kept.get("/sparql", params={"query": LOOKUP}, headers=JSON)
    worker = fresh.get("/sparql", params={"query": LOOKUP}, headers=JSON)
    assert cache.hits == hits + 1
    assert first.status_code == again.status_code == worker.status_code == 200
    assert first.content == again.content == worker.content
    assert again.json()["results"]["bindings"]
    for name in ("content-type", "etag", "cache-control", "vary"):
        assert again.headers[name] == worker.headers[name], name
    assert result_cache(_site(fresh)).hits == 0 and len(result_cache(_site(fresh))) == 0


@pytest.mark.parametrize(
    "accept",
    ["text/csv", "text/tab-separated-values", "application/sparql-results+xml", "text/html"],
)
def test_every_format_is_kept_apart(kept: TestClient, fresh: TestClient, accept: str) -> None:
    answers = [
        client.get("/sparql", params={"query": LOOKUP}, headers={"Accept": accept})
        for client in (kept, kept, fresh)
    ]
    assert {a.status_code for a in answers} == {200}
    assert answers[0].content == answers[1].content == answers[2].content
    assert {a.headers["content-type"] for a in answers} == {answers[2].headers["content-type"]}


def test_a_post_is_answered_alike_and_still_not_cacheable(kept: TestClient) -> None:
    got = kept.get("/sparql", params={"query": LOOKUP}, headers=JSON)
    posted = kept.post("/sparql", data={"query": LOOKUP}, headers=JSON)
    assert posted.status_code == 200 and posted.content == got.content
    assert posted.headers["cache-control"] == "no-store" and "etag" not in posted.headers


def test_a_client_holding_the_answer_gets_304(kept: TestClient) -> None:
    first = kept.get("/sparql", params={"query": LOOKUP}, headers=JSON)
    etag = first.headers["etag"]
    again = kept.get("/sparql", params={"query": LOOKUP}, headers={**JSON, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    csv = kept.get("/sparql", params={"query": LOOKUP}, headers={"Accept": "text/csv"})
    assert csv.headers["etag"] != etag  # another representation, another tag


@pytest.mark.parametrize(
    "path",
    ["/queries/zones.csv", "/queries/zones.csv?bom=0", "/queries/zones.json", "/queries/zones"],
)
def test_a_canned_query_is_answered_alike(kept: TestClient, fresh: TestClient, path: str) -> None:
    answers = [client.get(path) for client in (kept, kept, fresh)]
    assert {a.status_code for a in answers} == {200}, answers[0].text[:300]
    if path != "/queries/zones":  # the page's HTML is rendered afresh each time anyway
        assert answers[0].content == answers[1].content == answers[2].content
    assert answers[0].headers["content-type"] == answers[2].headers["content-type"]


def test_a_new_release_is_answered_by_a_worker(kept: TestClient) -> None:
    site = _site(kept)
    cache = result_cache(site)
    assert kept.get("/sparql", params={"query": LOOKUP}, headers=JSON).status_code == 200
    served = site.release
    site.release = dataclasses.replace(served, release_id="a-new-release")
    try:
        hits = cache.hits
        restarts = site.pool.restarts if site.pool else 0
        answer = kept.get("/sparql", params={"query": LOOKUP}, headers=JSON)
        assert answer.status_code == 200 and cache.hits == hits  # not the old release's answer
        assert cache.release_id == "a-new-release" and len(cache) == 1
        assert (site.pool.restarts if site.pool else 0) == restarts
    finally:
        site.release = served


def test_limits_still_refuse_every_time(kept: TestClient) -> None:
    too_many = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"  # more than the tests' 300 rows
    for _ in range(2):
        response = kept.get("/sparql", params={"query": too_many}, headers=JSON)
        assert response.status_code == 422 and "max_result_rows" in response.text
    for query in (
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "SELECT * { SERVICE <http://127.0.0.1:9/> {} }",
    ):
        for _ in range(2):
            assert kept.get("/sparql", params={"query": query}).status_code == 403


@pytest.mark.slow
def test_a_runaway_is_stopped_every_time(kept: TestClient) -> None:
    site = _site(kept)
    assert site.pool is not None
    for attempt in range(2):
        restarts = site.pool.restarts
        response = kept.get("/sparql", params={"query": RUNAWAY_QUERY}, headers=JSON)
        assert response.status_code == 503, (attempt, response.text)
        assert "query_timeout_s" in response.text
        assert site.pool.restarts > restarts  # its worker was killed and replaced


def test_a_federated_answer_is_never_kept() -> None:
    with Listener() as mirror:
        settings = {
            "service_allowlist": (mirror.url,),
            "service_private_networks": ("127.0.0.1/32",),
        }
        for client in _client(**settings):
            query = f"SELECT ?x WHERE {{ SERVICE <{mirror.url}> {{ ?x ?p ?o }} }}"
            for _ in range(2):
                response = client.get("/sparql", params={"query": query}, headers=JSON)
                assert response.status_code == 200, response.text
            assert mirror.connections == 2
            assert len(result_cache(_site(client))) == 0


def test_a_query_that_asks_for_new_values_runs_each_time(kept: TestClient) -> None:
    cache = result_cache(_site(kept))
    # First a kept answer on the served release: a test before may have left the cache on
    # another release's answers, which the next request would forget.
    assert kept.get("/sparql", params={"query": LOOKUP}, headers=JSON).status_code == 200
    held = len(cache)
    for _ in range(2):
        response = kept.get(
            "/sparql", params={"query": "SELECT (STRUUID() AS ?u) {}"}, headers=JSON
        )
        assert response.status_code == 200
    assert len(cache) == held
