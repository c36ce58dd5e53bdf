"""JSON-LD with the release's published context: the context file, compacted documents when the
client asks for them by profile, the expanded form on request and by default, and the forms
read back by PyLD and rdflib, which fetch the context from the server as any client would."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
import rdflib
from client_matrix import CONSTRUCT, DUMPS, SHENZHEN, TRIPLES, canonical, release_triples
from pyld import jsonld

from pilotkg.jsonld import COMPACTED, EXPANDED, PROFILES
from pilotkg.web.negotiate import asked_profile
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]
pytestmark = pytest.mark.clients

LD = "application/ld+json"
ASK_COMPACTED = {"Accept": f'{LD};profile="{COMPACTED}"'}
ASK_EXPANDED = {"Accept": f'{LD};profile="{EXPANDED}"'}


def _loader(url: str, _options: object = None) -> dict[str, Any]:
    """PyLD's document loader, over httpx (PyLD's own needs requests, not installed here)."""
    response = httpx.get(url, headers={"Accept": LD})
    response.raise_for_status()
    return {"contextUrl": None, "documentUrl": url, "document": response.json()}


def _pyld_triples(document: object) -> set[str]:
    """The triples PyLD reads in a JSON-LD document, fetching its context by URL."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": _loader})
    return canonical(nquads)


def _turtle(server: LiveServer, path: str) -> set[str]:
    """The triples of ``path`` as Turtle, to compare every JSON-LD form with."""
    response = httpx.get(server.url + path, headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    return canonical(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))


def test_the_context_is_published_with_the_release_and_served_at_a_stable_url(
    live_server: LiveServer,
) -> None:
    stable = httpx.get(live_server.url + "/context.jsonld")
    in_dumps = httpx.get(live_server.url + "/dumps/context.jsonld")
    assert stable.status_code == in_dumps.status_code == 200
    assert stable.content == in_dumps.content
    assert stable.headers["content-type"] == LD
    sums = httpx.get(live_server.url + "/dumps/SHA256SUMS").text
    assert f"{hashlib.sha256(stable.content).hexdigest()}  context.jsonld" in sums
    assert stable.headers["etag"] == f'"{hashlib.sha256(stable.content).hexdigest()}"'


def test_the_context_states_its_release_s_version(live_server: LiveServer) -> None:
    document = httpx.get(live_server.url + "/context.jsonld").json()
    void = rdflib.Graph().parse(live_server.url + "/.well-known/void", format="turtle")
    (version,) = set(void.objects(None, rdflib.OWL.versionInfo))
    assert document["owl:versionInfo"] == str(version)
    assert document["@id"] == "https://w3id.org/pilotkg/context.jsonld"


def test_the_context_names_the_ontology_s_terms(live_server: LiveServer) -> None:
    """From ontology/pilotkg.ttl: batch has the range xsd:integer, locatedIn is an object
    property; labels and comments are language maps; the kinds' prefixes (``sector:``) are
    left out, since ``sector`` is also a property: entities compact with ``id:``."""
    context = httpx.get(live_server.url + "/context.jsonld").json()["@context"]
    assert context["batch"] == {"@id": "pilot:batch", "@type": "xsd:integer"}
    assert context["locatedIn"] == {"@id": "pilot:locatedIn", "@type": "@id"}
    assert context["sector"] == {"@id": "pilot:sector", "@type": "@id"}
    assert context["PilotZone"] == "pilot:PilotZone"
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    assert context["id"] == "https://w3id.org/pilotkg/id/"
    assert "@version" not in context  # JSON-LD 1.0 features only: Jena's jsonld10 reads it


def _shenzhen(document: dict[str, Any]) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [n for n in document["@graph"] if n["@id"] == "id:zone/shenzhen"]
    (node,) = nodes
    return node


def test_an_entity_page_is_compacted_when_asked(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/id/zone/shenzhen", headers=ASK_COMPACTED)
    assert response.headers["content-type"] == f'{LD}; profile="{COMPACTED}"'
    assert "Accept" in response.headers["vary"]
    document = response.json()
    assert document["@context"] == live_server.url + "/context.jsonld"
    node = _shenzhen(document)  # zones.ttl
    assert node["type"] == "PilotZone"
    assert node["label"] == {
        "en": "Shenzhen AI Innovation and Application Pilot Zone",
        "zh": "深圳人工智能创新应用先导区",
    }
    assert node["batch"] == "1"
    assert node["locatedIn"] == "id:region/shenzhen"
    assert node["approvalDate"] == {"@type": "xsd:date", "@value": "2019-10-14"}


@pytest.mark.parametrize("path", ["/id/zone/shenzhen", "/id/region/guangdong", "/ontology"])
def test_a_compacted_document_holds_the_same_triples(live_server: LiveServer, path: str) -> None:
    compacted = httpx.get(live_server.url + path, headers=ASK_COMPACTED).json()
    assert _pyld_triples(compacted) == _turtle(live_server, path)


def test_rdflib_reads_a_compacted_document_fetching_its_context(live_server: LiveServer) -> None:
    url = live_server.url + "/id/zone/shenzhen"
    text = httpx.get(url, headers=ASK_COMPACTED).text
    graph = rdflib.Graph().parse(data=text, format="json-ld", base=url)
    nt = canonical(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))
    assert nt == _turtle(live_server, "/id/zone/shenzhen")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_construct_answer_is_compacted_when_asked(live_server: LiveServer, method: str) -> None:
    if method == "GET":
        response = httpx.get(
            live_server.url + "/sparql", params={"query": CONSTRUCT}, headers=ASK_COMPACTED
        )
    else:
        response = httpx.post(
            live_server.url + "/sparql",
            content=CONSTRUCT,
            headers={**ASK_COMPACTED, "Content-Type": "application/sparql-query"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f'{LD}; profile="{COMPACTED}"'
    document = response.json()
    batches = {node["@id"]: node["batch"] for node in document["@graph"]}
    assert batches == {
        "id:zone/beijing": "2",
        "id:zone/jinan-qingdao": "1",
        "id:zone/shanghai-pudong": "1",
        "id:zone/shenzhen": "1",
    }
    assert _pyld_triples(document) == TRIPLES


def test_the_expanded_form_is_the_default_and_is_labelled_when_asked(
    live_server: LiveServer,
) -> None:
    url = live_server.url + "/id/zone/shenzhen"
    plain = httpx.get(url, headers={"Accept": LD})
    expanded = httpx.get(url, headers=ASK_EXPANDED)
    assert plain.headers["content-type"] == LD
    assert expanded.headers["content-type"] == f'{LD}; profile="{EXPANDED}"'
    assert plain.content == expanded.content
    document = json.loads(plain.content)
    assert isinstance(document, list) and "@context" not in plain.text
    assert jsonld.expand(document) == jsonld.expand(jsonld.expand(document))
    assert _pyld_triples(document) == _turtle(live_server, "/id/zone/shenzhen")


def test_pyld_reads_the_json_ld_dump(live_server: LiveServer) -> None:
    (dump,) = [d for d in DUMPS if d.endswith(".jsonld")]
    document = httpx.get(f"{live_server.url}/dumps/{dump}").json()
    assert _pyld_triples(document) == release_triples()


def test_a_profile_on_another_media_type_changes_nothing(live_server: LiveServer) -> None:
    response = httpx.get(
        live_server.url + "/id/zone/shenzhen",
        headers={"Accept": f'text/turtle;profile="{COMPACTED}"'},
    )
    assert response.headers["content-type"].startswith("text/turtle")
    assert f"<{SHENZHEN}>" in response.text or "zone:shenzhen" in response.text


@pytest.mark.parametrize(
    ("accept", "profile"),
    [
        (f'{LD};profile="{COMPACTED}"', COMPACTED),
        (f"{LD};profile={COMPACTED}", COMPACTED),  # unquoted: one IRI needs no quotes
        (f'{LD};profile="{EXPANDED}"', EXPANDED),
        (LD, ""),
        (f'{LD};profile="{COMPACTED}";q=0, {LD}', ""),  # q=0 refuses the compacted form
        (f'{LD};q=0.5;profile="{COMPACTED}", {LD};profile="{EXPANDED}"', EXPANDED),
        (f'{LD};profile="{COMPACTED}";q=0.5, {LD}', ""),  # any form, preferred
        # an unknown profile gives way; of several IRIs, the first known one is used
        (f'{LD};profile="http://example.org/p", {LD};profile="{COMPACTED}";q=0.9', COMPACTED),
        (f'{LD};profile="http://www.w3.org/ns/json-ld#flattened {COMPACTED}"', COMPACTED),
        (f'text/turtle;profile="{COMPACTED}"', ""),
    ],
)
def test_the_asked_profile(accept: str, profile: str) -> None:
    assert asked_profile(accept, LD, PROFILES) == profile
