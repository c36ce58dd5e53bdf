"""SPARQLWrapper against a real ``pilotkg serve``: its defaults (GET, XML results, RDF/XML
graphs, and the ``format=``/``output=``/``results=`` parameters it always adds), then each
return format and request method it offers."""

from __future__ import annotations

import urllib.error
from typing import Any
from xml.dom.minidom import Document, Element, Text

import pytest
import rdflib
from client_matrix import (
    ASK_FALSE,
    ASK_TRUE,
    CONSTRUCT,
    DESCRIBE,
    LONG_SELECT,
    MALFORMED,
    MALFORMED_MESSAGE,
    REFUSED,
    REFUSED_MESSAGE,
    ROWS,
    SELECT,
    SHENZHEN_FACTS,
    TRIPLES,
    UPDATE,
    UPDATE_MESSAGE,
    Recorder,
    canonical,
)
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from pilotkg.formats import ASK_VARIABLE
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

DEFAULT = None  # SPARQLWrapper's own choice of return format


def _wrapper(endpoint: str, query: str, fmt: str | None = DEFAULT, **how: str) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(endpoint)
    wrapper.setQuery(query)
    if fmt is not None:
        wrapper.setReturnFormat(fmt)
    if "method" in how:
        wrapper.setMethod(how["method"])
    if "request" in how:
        wrapper.setRequestMethod(how["request"])
    return wrapper


def _text(element: Element) -> str:
    """The text of an element of SPARQL XML results."""
    return "".join(node.data for node in element.childNodes if isinstance(node, Text))


def _rows(converted: Any, fmt: str | None) -> list[tuple[str, str]]:
    """The zones and batches of a converted SELECT answer, as N-Triples terms."""
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    if fmt == JSON:
        return [
            (f"<{b['zone']['value']}>", f'"{b["batch"]["value"]}"^^<{b["batch"]["datatype"]}>')
            for b in converted["results"]["bindings"]
        ]
    if fmt in (DEFAULT, XML):
        assert isinstance(converted, Document)
        rows = []
        for result in converted.getElementsByTagName("result"):
            cells = {b.getAttribute("name"): b for b in result.getElementsByTagName("binding")}
            zone = _text(cells["zone"].getElementsByTagName("uri")[0])
            literal = cells["batch"].getElementsByTagName("literal")[0]
            datatype = literal.getAttribute("datatype")
            rows.append((f"<{zone}>", f'"{_text(literal)}"^^<{datatype}>'))
        return rows
    text = converted.decode("utf-8")
    separator = "," if fmt == CSV else "\t"
    lines = [line.split(separator) for line in text.splitlines()[1:] if line]
    if fmt == CSV:  # CSV has no term syntax: IRIs and numbers are bare
        return [(f"<{zone}>", f'"{batch}"^^<{integer}>') for zone, batch in lines]
    return [(zone, f'"{batch}"^^<{integer}>') for zone, batch in lines]


@pytest.mark.parametrize("fmt", [DEFAULT, XML, JSON, CSV, TSV])
@pytest.mark.parametrize(
    "how",
    [{}, {"method": POST}, {"method": POST, "request": POSTDIRECTLY}],
    ids=["GET", "POST-form", "POST-direct"],
)
def test_select(live_server: LiveServer, fmt: str | None, how: dict[str, str]) -> None:
    converted = _wrapper(live_server.url + "/sparql", SELECT, fmt, **how).query().convert()
    assert _rows(converted, fmt) == ROWS


def _boolean(converted: Any, fmt: str | None) -> bool:
    if fmt == JSON:
        return bool(converted["boolean"])
    if fmt in (DEFAULT, XML):
        return {"true": True, "false": False}[_text(converted.getElementsByTagName("boolean")[0])]
    header, value = converted.decode("ascii").splitlines()
    assert header == (ASK_VARIABLE if fmt == CSV else f"?{ASK_VARIABLE}")
    return {"true": True, "false": False}[value]


@pytest.mark.parametrize("fmt", [DEFAULT, XML, JSON, CSV, TSV])
def test_ask(live_server: LiveServer, fmt: str | None) -> None:
    """CSV and TSV come back raw: the server's one-column ``_askResult`` table (Jena's form)."""
    endpoint = live_server.url + "/sparql"
    assert _boolean(_wrapper(endpoint, ASK_TRUE, fmt).query().convert(), fmt) is True
    assert _boolean(_wrapper(endpoint, ASK_FALSE, fmt).query().convert(), fmt) is False


def _graph(converted: Any) -> set[str]:
    """N-Triples lines of a converted graph answer (rdflib Graph, or raw Turtle bytes)."""
    graph = converted
    if isinstance(converted, bytes):
        graph = rdflib.Graph().parse(data=converted.decode("utf-8"), format="turtle")
    return canonical(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))


GRAPH_FORMATS = [DEFAULT, XML, RDFXML, TURTLE, N3, JSONLD]


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_construct(live_server: LiveServer, fmt: str | None) -> None:
    converted = _wrapper(live_server.url + "/sparql", CONSTRUCT, fmt).query().convert()
    assert _graph(converted) == TRIPLES


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_describe(live_server: LiveServer, fmt: str | None) -> None:
    converted = _wrapper(live_server.url + "/sparql", DESCRIBE, fmt).query().convert()
    assert _graph(converted) >= SHENZHEN_FACTS


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY])
def test_a_long_query_is_posted(
    live_server: LiveServer, recorder: Recorder, request_method: str
) -> None:
    label = f"sparqlwrapper-long-{request_method}"
    wrapper = _wrapper(
        recorder.endpoint(label), LONG_SELECT, JSON, method=POST, request=request_method
    )
    assert _rows(wrapper.query().convert(), JSON) == ROWS
    assert [seen.method for seen in recorder.seen[label]] == ["POST"]


def test_a_malformed_query_shows_the_server_sentence(live_server: LiveServer) -> None:
    with pytest.raises(QueryBadFormed) as raised:
        _wrapper(live_server.url + "/sparql", MALFORMED).query()
    assert MALFORMED_MESSAGE in str(raised.value)


def _refusal(wrapper: SPARQLWrapper) -> str:
    """The server's sentence, which SPARQLWrapper leaves in the HTTPError of a 403."""
    with pytest.raises(urllib.error.HTTPError) as raised:
        wrapper.query()
    assert raised.value.code == 403
    return raised.value.read().decode("utf-8")


def test_a_refused_query_shows_the_server_sentence(live_server: LiveServer) -> None:
    assert REFUSED_MESSAGE in _refusal(_wrapper(live_server.url + "/sparql", REFUSED))


def test_an_update_is_refused(live_server: LiveServer) -> None:
    wrapper = _wrapper(live_server.url + "/sparql", UPDATE, method=POST)
    assert UPDATE_MESSAGE in _refusal(wrapper)
