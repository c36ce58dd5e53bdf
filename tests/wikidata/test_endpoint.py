"""The tests' stand-in for query.wikidata.org (``support/wikidata_endpoint.py``) itself:
the SPARQL 1.1 Protocol as the code under test speaks it, and a fixture that models
Wikidata's redirects and homonyms."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from support.wikidata_endpoint import FixtureEndpoint, fixture_store

ASK_SUZHOU = 'ASK { <http://www.wikidata.org/entity/Q42622> ?p "苏州市"@zh }'


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


def _fetch(request: urllib.request.Request) -> dict[str, object]:
    with urllib.request.urlopen(request, timeout=10) as response:
        loaded: dict[str, object] = json.load(response)
        return loaded


def test_answers_get_and_both_kinds_of_post(endpoint: FixtureEndpoint) -> None:
    encoded = urllib.parse.urlencode({"query": ASK_SUZHOU})
    get = urllib.request.Request(f"{endpoint.url}?{encoded}")
    form = urllib.request.Request(endpoint.url, data=encoded.encode(), method="POST")
    direct = urllib.request.Request(
        endpoint.url,
        data=ASK_SUZHOU.encode(),
        headers={"Content-Type": "application/sparql-query"},
        method="POST",
    )
    for request in (get, form, direct):
        assert _fetch(request)["boolean"] is True


def test_speaks_xml_when_asked(endpoint: FixtureEndpoint) -> None:
    request = urllib.request.Request(
        f"{endpoint.url}?{urllib.parse.urlencode({'query': ASK_SUZHOU})}",
        headers={"Accept": "application/sparql-results+xml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/sparql-results+xml"
        assert b"<boolean>true</boolean>" in response.read()


def test_rejects_a_malformed_query_with_400(endpoint: FixtureEndpoint) -> None:
    request = urllib.request.Request(f"{endpoint.url}?query=SELECT")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400


def test_fixture_models_redirects_and_homonyms_as_wikidata_does() -> None:
    store = fixture_store()
    suzhous = store.query(
        'SELECT ?item WHERE { ?item rdfs:label "Suzhou"@en } ORDER BY ?item',
        prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    )
    assert isinstance(suzhous, ox.QuerySolutions)
    assert [str(s["item"]) for s in suzhous] == [
        "<http://www.wikidata.org/entity/Q360643>",
        "<http://www.wikidata.org/entity/Q42622>",
    ]
    redirected = ox.NamedNode("http://www.wikidata.org/entity/Q900000201")
    redirect = list(store.quads_for_pattern(redirected, None, None))
    assert [q.predicate.value for q in redirect] == ["http://www.w3.org/2002/07/owl#sameAs"]
