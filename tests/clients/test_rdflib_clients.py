"""rdflib against a real ``pilotkg serve``: ``SPARQLStore`` with its defaults (GET, XML) and each
return format and method, ``SPARQLUpdateStore`` refused, and ``Graph.parse(URL)`` on entity
IRIs in every format, every dump, and CONSTRUCT and DESCRIBE answers by their URL."""

from __future__ import annotations

import urllib.error
from typing import Any
from urllib.parse import urlencode

import pytest
import rdflib
from client_matrix import (
    ASK_FALSE,
    ASK_TRUE,
    CONSTRUCT,
    DESCRIBE,
    DUMPS,
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
    known,
    release_triples,
)
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

from pilotkg.formats import ASK_VARIABLE
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

#: SPARQLStore's settings: its defaults, then each return format and method.
SETTINGS: list[dict[str, Any]] = [
    {},
    {"returnFormat": "json"},
    {"returnFormat": "xml"},
    {"returnFormat": "csv"},
    {"returnFormat": "tsv"},
    {"method": "POST"},
    {"method": "POST_FORM"},
]
IDS = ["default", "json", "xml", "csv", "tsv", "POST", "POST_FORM"]
#: Graph answers have no CSV or TSV form (the server answers 406, as rdflib asks only those).
GRAPH_SETTINGS = [s for s in SETTINGS if s.get("returnFormat") not in ("csv", "tsv")]
GRAPH_IDS = [i for i in IDS if i not in ("csv", "tsv")]


def _nt(graph: rdflib.Graph) -> set[str]:
    return canonical(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))


def _term(node: Any) -> str:
    return str(node.n3())


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_select(live_server: LiveServer, settings: dict[str, Any]) -> None:
    result = SPARQLStore(live_server.url + "/sparql", **settings).query(SELECT)
    rows = [(_term(zone), _term(batch)) for zone, batch in result]  # type: ignore[misc]
    if settings.get("returnFormat") == "csv":  # CSV carries no types: IRIs guessed, plain numbers
        assert rows == [(zone, f'"{batch.split(chr(34))[1]}"') for zone, batch in ROWS]
    else:
        assert rows == ROWS


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_ask(live_server: LiveServer, settings: dict[str, Any]) -> None:
    store = SPARQLStore(live_server.url + "/sparql", **settings)
    yes, no = store.query(ASK_TRUE), store.query(ASK_FALSE)
    if settings.get("returnFormat") in ("csv", "tsv"):  # [rdflib-csv-ask]: a one-row table
        assert [str(v) for v in yes.vars or []] == [ASK_VARIABLE]
        assert [str(row[0]) for row in yes] == ["true"]  # type: ignore[index]
        assert [str(row[0]) for row in no] == ["false"]  # type: ignore[index]
    else:
        assert yes.askAnswer is True and no.askAnswer is False


@known("rdflib-csv-ask")
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_ask_as_csv_or_tsv_is_a_boolean(live_server: LiveServer, fmt: str) -> None:
    assert SPARQLStore(live_server.url + "/sparql", returnFormat=fmt).query(ASK_FALSE).type == "ASK"


@pytest.mark.parametrize("settings", GRAPH_SETTINGS, ids=GRAPH_IDS)
def test_construct(live_server: LiveServer, settings: dict[str, Any]) -> None:
    result = SPARQLStore(live_server.url + "/sparql", **settings).query(CONSTRUCT)
    assert result.graph is not None and _nt(result.graph) == TRIPLES


@pytest.mark.parametrize("settings", GRAPH_SETTINGS, ids=GRAPH_IDS)
def test_describe(live_server: LiveServer, settings: dict[str, Any]) -> None:
    result = SPARQLStore(live_server.url + "/sparql", **settings).query(DESCRIBE)
    assert result.graph is not None and _nt(result.graph) >= SHENZHEN_FACTS


@pytest.mark.parametrize("method", ["POST", "POST_FORM"])
def test_a_long_query_is_posted(live_server: LiveServer, recorder: Recorder, method: str) -> None:
    label = f"rdflib-long-{method}"
    result = SPARQLStore(recorder.endpoint(label), method=method).query(LONG_SELECT)
    assert [(_term(zone), _term(batch)) for zone, batch in result] == ROWS  # type: ignore[misc]
    assert [seen.method for seen in recorder.seen[label]] == ["POST"]


def _sentence(error: BaseException | None) -> str:
    """The server's sentence an rdflib error carries: an HTTPError's body, read once."""
    assert isinstance(error, urllib.error.HTTPError), repr(error)
    return error.read().decode("utf-8")


@known("rdflib-message")
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("query", [MALFORMED, REFUSED], ids=["malformed", "refused"])
def test_a_bad_query_shows_the_server_sentence(
    live_server: LiveServer, method: str, query: str
) -> None:
    with pytest.raises(Exception) as raised:
        SPARQLStore(live_server.url + "/sparql", method=method).query(query)
    assert (MALFORMED_MESSAGE if query == MALFORMED else REFUSED_MESSAGE) in str(raised.value)


@pytest.mark.parametrize("query", [MALFORMED, REFUSED], ids=["malformed", "refused"])
def test_a_bad_query_s_sentence_is_in_the_error_s_context(
    live_server: LiveServer, query: str
) -> None:
    """The way round [rdflib-message]: with GET the HTTPError is the ValueError's context."""
    with pytest.raises(ValueError) as raised:
        SPARQLStore(live_server.url + "/sparql").query(query)
    context = raised.value.__context__
    assert isinstance(context, urllib.error.HTTPError) and context.code in (400, 403)
    assert (MALFORMED_MESSAGE if query == MALFORMED else REFUSED_MESSAGE) in _sentence(context)


def test_an_update_is_refused(live_server: LiveServer) -> None:
    endpoint = live_server.url + "/sparql"
    with pytest.raises(urllib.error.HTTPError) as raised:
        SPARQLUpdateStore(endpoint, endpoint).update(UPDATE)
    assert raised.value.code == 403 and UPDATE_MESSAGE in _sentence(raised.value)


# --- Graph.parse(URL) -------------------------------------------------------------------------


@pytest.mark.parametrize("dump", DUMPS)
def test_a_dump_loads_by_url(live_server: LiveServer, dump: str) -> None:
    assert _nt(rdflib.Graph().parse(f"{live_server.url}/dumps/{dump}")) == release_triples()


@pytest.mark.parametrize("suffix", ["", ".ttl", ".nt", ".jsonld", ".rdf"])
def test_an_entity_loads_by_its_iri(live_server: LiveServer, suffix: str) -> None:
    """With no suffix rdflib negotiates with its RDF Accept header."""
    graph = rdflib.Graph().parse(f"{live_server.url}/id/zone/shenzhen{suffix}")
    assert _nt(graph) >= SHENZHEN_FACTS


def test_the_other_release_files_load_by_url(live_server: LiveServer) -> None:
    """The ontology and VoID, and the JSON-LD context, which states the release's version
    (VoID's) in its one triple."""
    assert len(rdflib.Graph().parse(f"{live_server.url}/dumps/ontology.ttl")) > 20
    void = rdflib.Graph().parse(f"{live_server.url}/dumps/void.ttl")
    versions = set(void.objects(None, rdflib.OWL.versionInfo))
    assert len(versions) == 1
    context = _nt(rdflib.Graph().parse(f"{live_server.url}/dumps/context.jsonld"))
    iri = "<https://w3id.org/pilotkg/context.jsonld>"
    assert context == {f"{iri} <{rdflib.OWL.versionInfo}> {versions.pop().n3()} ."}


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
def test_a_graph_answer_loads_by_its_url(live_server: LiveServer, query: str) -> None:
    triples = _nt(rdflib.Graph().parse(f"{live_server.url}/sparql?{urlencode({'query': query})}"))
    if query == CONSTRUCT:
        assert triples == TRIPLES
    else:
        assert triples >= SHENZHEN_FACTS
