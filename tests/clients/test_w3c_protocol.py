"""The W3C SPARQL 1.1 Protocol tests, read from the W3C's manifest, against a real
``pilotkg serve``.

``w3c/protocol-manifest.ttl`` is the W3C's file (see ``w3c/README.md``). Each
case is one of its entries, under its id: the requests it makes, in order (with
``/sparql/`` replaced by the endpoint's path, as the manifest asks), and the
outcome each expects: a status class and, for a success, the result's kind
(boolean, tabular or RDF) and the boolean.

A read-only endpoint serving one release changes three kinds of case, each
named in ``ADAPTED`` with the reason:

* Dataset cases load kasei.us graphs first (``ut:graphData``), which this
  endpoint cannot. Where they are default graphs, each becomes the dataset IRI,
  which names this endpoint's data, and its one resource a zone of that data,
  so the query must still find them; named graphs stay as the manifest names
  them, and since this endpoint has no named graphs the answer is false.
* Update cases expect success; every update is refused (403), and the
  manifest's follow-up ASK then finds nothing written (false).
* Every refusal is, besides its 4xx, one plain-text sentence starting with its
  status.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import rdflib
from rdflib.collection import Collection

from pilotkg.namespaces import DATASET_IRI
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]
pytestmark = pytest.mark.clients

MANIFEST = Path(__file__).parent / "w3c" / "protocol-manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
KASEI = "http://kasei.us/2009/09/sparql/data/"
ZONE = "https://w3id.org/pilotkg/id/zone/"
#: What each result kind may come back as (the manifest's names: XML, JSON, CSV, TSV …).
KINDS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples"),
}


@dataclass(frozen=True)
class Request:
    """One request of a case, as the manifest writes it, and the outcome expected of it."""

    method: str
    params: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: str | None
    encoding: str
    success: bool  # 2xx or 3xx; else a 4xx
    kind: str = ""
    boolean: bool | None = None


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    requests: tuple[Request, ...]
    adapted: str = ""


def _request(graph: rdflib.Graph, node: rdflib.term.Node) -> Request:
    path = urlsplit(str(graph.value(node, HT.absolutePath)))
    assert path.path == "/sparql/", path
    headers = graph.value(node, HT.headers)
    fields = list(Collection(graph, headers)) if headers is not None else []
    body = graph.value(node, HT.body)
    response = graph.value(node, HT.resp)
    statuses = set(graph.objects(response, MF.expectedStatus))
    boolean = graph.value(response, MF.expectedBoolean)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        params=tuple(parse_qsl(path.query, keep_blank_values=True)),
        headers=tuple(
            (str(graph.value(f, HT.fieldName)), str(graph.value(f, HT.fieldValue))) for f in fields
        ),
        body=str(graph.value(body, CNT.chars)) if body is not None else None,
        encoding=str(graph.value(body, CNT.characterEncoding) or "UTF-8") if body else "UTF-8",
        success=HTS.StatusCode2xx in statuses,
        kind=str(graph.value(response, MF.expectedFormat) or ""),
        boolean=bool(boolean.toPython()) if isinstance(boolean, rdflib.Literal) else None,
    )


def _manifest() -> list[Case]:
    graph = rdflib.Graph().parse(MANIFEST, format="turtle")
    (manifest,) = graph.subjects(rdflib.RDF.type, MF.Manifest)
    cases = []
    entries = graph.value(manifest, MF.entries)
    assert entries is not None
    for entry in Collection(graph, entries):
        requests = graph.value(graph.value(entry, MF.action), HT.requests)
        assert requests is not None
        cases.append(
            Case(
                str(entry).rsplit("#", 1)[1],
                str(graph.value(entry, MF.name)),
                tuple(_request(graph, r) for r in Collection(graph, requests)),
            )
        )
    return cases


# --- the adaptations to a read-only endpoint serving one release -----------------------------

#: The manifest's graphs, and the resource each holds, as this endpoint's data and a zone of it.
AS_DATASET = {
    f"{KASEI}data1.rdf": f"{ZONE}shenzhen",
    f"{KASEI}data2.rdf": f"{ZONE}beijing",
    f"{KASEI}data3.rdf": f"{ZONE}shanghai-pudong",
}


def _default_graphs_as_dataset(request: Request) -> Request:
    def text(value: str) -> str:
        for graph, zone in AS_DATASET.items():
            value = value.replace(f"<{graph}>", f"<{zone}>")
        return value

    params = tuple(
        (name, DATASET_IRI if name == "default-graph-uri" and value in AS_DATASET else text(value))
        for name, value in request.params
    )
    return replace(request, params=params, body=text(request.body) if request.body else None)


def _refused(request: Request) -> Request:
    """An update is refused; a query after it finds nothing written."""
    if request.kind == "boolean":
        return replace(request, boolean=False)
    return replace(request, success=False)


def _nothing_found(request: Request) -> Request:
    return replace(request, boolean=False)


NAMED = "its named graphs are kasei.us graphs the manifest loads first; this endpoint has none"
ADAPTED = {
    "query_dataset_default_graphs_get": (
        _default_graphs_as_dataset,
        "its default graphs are kasei.us graphs the manifest loads first: here the dataset IRI",
    ),
    "query_dataset_default_graphs_post": (
        _default_graphs_as_dataset,
        "its default graphs are kasei.us graphs the manifest loads first: here the dataset IRI",
    ),
    "query_dataset_named_graphs_post": (_nothing_found, NAMED),
    "query_dataset_named_graphs_get": (_nothing_found, NAMED),
    "query_dataset_full": (_nothing_found, NAMED),
    "query_multiple_dataset": (_nothing_found, NAMED),
    **{
        name: (_refused, "a read-only endpoint refuses every update (403)")
        for name in (
            "update_dataset_default_graph",
            "update_dataset_default_graphs",
            "update_dataset_named_graphs",
            "update_dataset_full",
            "update_post_form",
            "update_post_direct",
            "update_base_uri",
        )
    },
}


def _cases() -> list[Case]:
    cases = []
    for case in _manifest():
        if case.id in ADAPTED:
            adapt, why = ADAPTED[case.id]
            case = replace(case, requests=tuple(map(adapt, case.requests)), adapted=why)
        cases.append(case)
    return cases


CASES = _cases()


def test_every_manifest_entry_is_a_case_and_every_adaptation_names_one() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)) == 34
    assert set(ADAPTED) <= set(ids)


def _boolean(response: httpx.Response) -> bool:
    if response.headers["content-type"].startswith("application/sparql-results+json"):
        return bool(json.loads(response.content)["boolean"])
    node = ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None and node.text in ("true", "false")
    return node.text == "true"


def _send(server: LiveServer, request: Request) -> httpx.Response:
    with httpx.Client() as client:
        body = request.body.encode(request.encoding) if request.body is not None else None
        built = client.build_request(
            request.method, server.url + "/sparql", params=request.params, content=body
        )
        built.headers.pop("Content-Type", None)  # only what the manifest sends
        built.headers.update(dict(request.headers))
        return client.send(built)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_w3c_protocol(live_server: LiveServer, case: Case) -> None:
    for request in case.requests:
        response = _send(live_server, request)
        status = response.status_code
        if not request.success:
            assert 400 <= status < 500, (case.id, status, response.text)
            assert response.headers["content-type"].startswith("text/plain"), case.id
            assert response.text.startswith(f"{status} "), response.text
            continue
        assert 200 <= status < 400, (case.id, case.adapted, status, response.text)
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in KINDS[request.kind], (case.id, media_type)
        if request.boolean is not None:
            assert _boolean(response) is request.boolean, (case.id, case.adapted)
