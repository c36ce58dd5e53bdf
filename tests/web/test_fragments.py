"""Triple Pattern Fragments over HTTP: the Hydra controls, the counts, paging, the formats,
the one address of a fragment, the caching headers, bad parameters and the HTML view.

The in-process app serves the fixture release (``tests/data/web/data``); every count below
was made by hand from its files. Comunica reading the fragments is ``tests/clients/``.
"""

from __future__ import annotations

import doctest

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from pilotkg.release import read_release
from pilotkg.web import fragments_selector
from pilotkg.web.fragments_selector import Selector
from pilotkg.web.fragments_window import COUNT_LIMIT, MAX_PAGES, PAGE_SIZE, read_window
from support.web import AnyResponse, built_source

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: web_client

ORIGIN = "http://127.0.0.1:8000"
ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
DATASET = ox.NamedNode("https://w3id.org/pilotkg/dataset")
#: The Shenzhen zone's focus areas (zones.ttl).
SHENZHEN_FOCUS = (
    "drones",
    "finance",
    "healthcare",
    "intelligent-chips",
    "intelligent-connected-vehicles",
    "manufacturing",
    "robotics",
    "supply-chain",
    "transportation",
)
SHENZHEN_FOCUS_QUERY = (
    "subject=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fid%2Fzone%2Fshenzhen"
    "&predicate=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fontology%23focusArea"
)
#: ``pilot:batch 1``: the three first-batch zones of zones.ttl.
FIRST_BATCH_QUERY = (
    "predicate=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fontology%23batch"
    "&object=%221%22%5E%5Ehttp%3A%2F%2Fwww.w3.org%2F2001%2FXMLSchema%23integer"
)


def _node(name: str) -> ox.NamedNode:
    return ox.NamedNode(name)


def _get(client: TestClient, query: str, accept: str = "text/turtle") -> AnyResponse:
    path = f"/fragments?{query}" if query else "/fragments"
    return client.get(path, headers={"Accept": accept}, follow_redirects=False)


def _quads(answer: AnyResponse, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> list[ox.Quad]:
    assert answer.status_code == 200, answer.text
    return list(ox.parse(answer.content, format=fmt))


def _one(quads: list[ox.Quad], subject: ox.NamedNode, predicate: str) -> ox.NamedNode | ox.Literal:
    found = [q.object for q in quads if q.subject == subject and q.predicate == _node(predicate)]
    assert len(found) == 1, (subject, predicate, found)
    value = found[0]
    assert isinstance(value, ox.NamedNode | ox.Literal)
    return value


def _count(quads: list[ox.Quad], page: str) -> int:
    total = _one(quads, _node(page), HYDRA + "totalItems")
    assert _one(quads, _node(page), VOID + "triples") == total
    return int(total.value)


def _data(quads: list[ox.Quad]) -> set[ox.Triple]:
    """The page's own triples: those about neither the fragments nor the dataset."""
    own = (ORIGIN, DATASET.value)
    return {
        q.triple
        for q in quads
        if not (isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(own))
    }


def test_the_selector_writes_terms_as_its_docstrings_say() -> None:
    result = doctest.testmod(fragments_selector)
    assert result.attempted and not result.failed


# --- the controls -------------------------------------------------------------------------


def test_the_dataset_offers_the_search_template_and_its_mappings(web_client: TestClient) -> None:
    quads = _quads(_get(web_client, ""))
    search = _one(quads, DATASET, HYDRA + "search")
    assert isinstance(search, ox.NamedNode)
    assert {
        q.object for q in quads if q.subject == DATASET and q.predicate == _node(RDF + "type")
    } == {
        _node(VOID + "Dataset"),
        _node(HYDRA + "Collection"),
    }
    assert _one(quads, search, HYDRA + "template") == ox.Literal(
        f"{ORIGIN}/fragments{{?subject,predicate,object}}"
    )
    assert _one(quads, search, HYDRA + "variableRepresentation") == _node(
        HYDRA + "ExplicitRepresentation"
    )
    mappings = [
        q.object for q in quads if q.subject == search and q.predicate == _node(HYDRA + "mapping")
    ]
    assert {
        (_one(quads, m, HYDRA + "variable").value, _one(quads, m, HYDRA + "property").value)
        for m in mappings
        if isinstance(m, ox.NamedNode)
    } == {
        ("subject", RDF + "subject"),
        ("predicate", RDF + "predicate"),
        ("object", RDF + "object"),
    }
    page = _node(f"{ORIGIN}/fragments")
    assert _node(f"{ORIGIN}/fragments") in {
        q.object for q in quads if q.subject == DATASET and q.predicate == _node(VOID + "subset")
    }
    assert _one(quads, page, RDF + "type") == _node(HYDRA + "PartialCollectionView")
    assert _one(quads, page, HYDRA + "itemsPerPage") == ox.Literal(
        str(PAGE_SIZE), datatype=_node(XSD + "integer")
    )


def test_the_count_of_a_pattern_is_what_the_data_holds(web_client: TestClient) -> None:
    """zones.ttl gives 4 + 6 + 4 + 9 pilot:focusArea values, bases.ttl 2."""
    query = "predicate=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fontology%23focusArea"
    quads = _quads(_get(web_client, query))
    assert _count(quads, f"{ORIGIN}/fragments?{query}") == 25
    assert len(_data(quads)) == 25


def test_a_subject_and_a_predicate_select_the_triples_they_name(web_client: TestClient) -> None:
    quads = _quads(_get(web_client, SHENZHEN_FOCUS_QUERY))
    assert _count(quads, f"{ORIGIN}/fragments?{SHENZHEN_FOCUS_QUERY}") == 9
    assert _data(quads) == {
        ox.Triple(
            _node(ID + "zone/shenzhen"), _node(PILOT + "focusArea"), _node(ID + "sector/" + s)
        )
        for s in SHENZHEN_FOCUS
    }


def test_a_typed_literal_object_is_written_the_tpf_way(web_client: TestClient) -> None:
    quads = _quads(_get(web_client, FIRST_BATCH_QUERY))
    assert _count(quads, f"{ORIGIN}/fragments?{FIRST_BATCH_QUERY}") == 3
    assert {t.subject for t in _data(quads)} == {
        _node(ID + "zone/" + slug) for slug in ("jinan-qingdao", "shanghai-pudong", "shenzhen")
    }


def test_a_literal_with_a_language_selects_its_triple(web_client: TestClient) -> None:
    query = "object=%22%E6%B7%B1%E5%9C%B3%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD%E5%88%9B%E6%96%B0%E5%BA%94%E7%94%A8%E5%85%88%E5%AF%BC%E5%8C%BA%22%40zh"
    quads = _quads(_get(web_client, query))
    assert _data(quads) == {
        ox.Triple(
            _node(ID + "zone/shenzhen"),
            _node("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("深圳人工智能创新应用先导区", language="zh"),
        )
    }


# --- paging -------------------------------------------------------------------------------


def test_following_next_reads_every_triple_once(web_client: TestClient) -> None:
    """The fragment that names nothing is the whole release: its count is the release's size,
    each page holds the next hundred and the last the rest, and ``hydra:next`` ends there."""
    release = read_release(built_source() / "dist")
    seen: list[ox.Triple] = []
    page, number = f"{ORIGIN}/fragments", 1
    while True:
        quads = _quads(_get(web_client, page.removeprefix(f"{ORIGIN}/fragments").lstrip("?")))
        assert _count(quads, page) == len(release)
        data = [q.triple for q in quads if q.triple in release]
        assert len(data) == (
            PAGE_SIZE if number * PAGE_SIZE <= len(release) else len(release) % PAGE_SIZE
        )
        seen += data
        assert _one(quads, _node(page), HYDRA + "first") == _node(f"{ORIGIN}/fragments")
        if number > 1:
            previous = f"{ORIGIN}/fragments" + (f"?page={number - 1}" if number > 2 else "")
            assert _one(quads, _node(page), HYDRA + "previous") == _node(previous)
        links = [
            q.object
            for q in quads
            if q.subject == _node(page) and q.predicate == _node(HYDRA + "next")
        ]
        if not links:
            break
        number += 1
        assert links == [_node(f"{ORIGIN}/fragments?page={number}")]
        assert isinstance(links[0], ox.NamedNode)
        page = links[0].value
    assert number == -(-len(release) // PAGE_SIZE) > 2
    assert len(seen) == len(set(seen)) == len(release)
    assert set(seen) == release
    assert _one(quads, _node(page), HYDRA + "last") == _node(page)


def test_a_page_past_the_last_is_empty_and_points_back(web_client: TestClient) -> None:
    quads = _quads(_get(web_client, SHENZHEN_FOCUS_QUERY + "&page=3"))
    page = f"{ORIGIN}/fragments?{SHENZHEN_FOCUS_QUERY}&page=3"
    assert _data(quads) == set()
    assert _count(quads, page) == 9
    assert _one(quads, _node(page), HYDRA + "previous") == _node(
        f"{ORIGIN}/fragments?{SHENZHEN_FOCUS_QUERY}&page=2"
    )
    assert not [q for q in quads if q.predicate == _node(HYDRA + "next")]


def test_the_count_of_a_large_pattern_stays_bounded() -> None:
    """On a store of 25,000 matches the count stops at COUNT_LIMIT, a lower bound, while a
    deep page is still read and its count is exact once the walk reaches the end."""
    store = ox.Store()
    predicate = _node("https://example.org/p")
    store.bulk_extend(
        ox.Quad(_node(f"https://example.org/s{n}"), predicate, ox.Literal(str(n)))
        for n in range(25_000)
    )
    first = read_window(store, Selector(predicate=predicate))
    assert (len(first.triples), first.more, first.count, first.exact) == (
        PAGE_SIZE,
        True,
        COUNT_LIMIT,
        False,
    )
    last = read_window(store, Selector(predicate=predicate, page=250))
    assert (len(last.triples), last.more, last.count, last.exact) == (
        PAGE_SIZE,
        False,
        25_000,
        True,
    )
    assert not set(first.triples) & set(
        read_window(store, Selector(predicate=predicate, page=2)).triples
    )
    whole = read_window(store, Selector(), total=25_000)
    assert (whole.count, whole.exact) == (25_000, True)


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("application/trig", ox.RdfFormat.TRIG), ("application/ld+json", ox.RdfFormat.JSON_LD)],
)
def test_trig_and_json_ld_keep_the_metadata_in_a_graph_of_its_own(
    web_client: TestClient, accept: str, fmt: ox.RdfFormat
) -> None:
    answer = _get(web_client, SHENZHEN_FOCUS_QUERY, accept)
    assert answer.headers["content-type"].startswith(accept)
    quads = _quads(answer, fmt)
    fragment = f"{ORIGIN}/fragments?{SHENZHEN_FOCUS_QUERY}"
    graph = _node(fragment + "#metadata")
    default = {q.triple for q in quads if q.graph_name == ox.DefaultGraph()}
    assert default == {
        ox.Triple(
            _node(ID + "zone/shenzhen"), _node(PILOT + "focusArea"), _node(ID + "sector/" + s)
        )
        for s in SHENZHEN_FOCUS
    }
    metadata = [q for q in quads if q.graph_name == graph]
    assert len(metadata) + len(default) == len(quads)
    assert ox.Quad(graph, _node(FOAF + "primaryTopic"), _node(fragment), graph) in metadata
    # Comunica takes the last void:subset of the page for the fragment that names the graph.
    subsets = [q.subject for q in metadata if q.predicate == _node(VOID + "subset")]
    assert subsets[-1] == _node(fragment)
    assert _count(metadata, fragment) == 9


def test_n_triples_hold_the_data_and_the_controls(web_client: TestClient) -> None:
    answer = _get(web_client, SHENZHEN_FOCUS_QUERY, "application/n-triples")
    assert answer.headers["content-type"].startswith("application/n-triples")
    quads = _quads(answer, ox.RdfFormat.N_TRIPLES)
    assert len(_data(quads)) == 9
    assert _count(quads, f"{ORIGIN}/fragments?{SHENZHEN_FOCUS_QUERY}") == 9


def test_an_unacceptable_type_gets_406(web_client: TestClient) -> None:
    answer = _get(web_client, "", "image/png")
    assert answer.status_code == 406
    assert "application/trig" in answer.text


# --- one address per fragment, caching ----------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "address"),
    [
        ("subject=&predicate=&object=&page=1", "/fragments"),
        (
            "object=%221%22%5E%5Ehttp%3A%2F%2Fwww.w3.org%2F2001%2FXMLSchema%23integer"
            "&predicate=https://w3id.org/pilotkg/ontology%23batch",
            f"/fragments?{FIRST_BATCH_QUERY}",
        ),
        (
            "predicate=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fontology%23batch"
            "&object=%221%22%5E%5Exsd%3Ainteger",
            f"/fragments?{FIRST_BATCH_QUERY}",
        ),
        ("lang=zh&page=2", "/fragments?page=2&lang=zh"),
    ],
)
def test_another_spelling_is_sent_to_the_fragment_s_address(
    web_client: TestClient, asked: str, address: str
) -> None:
    answer = _get(web_client, asked)
    assert answer.status_code == 301
    assert answer.headers["location"] == address


def test_fragments_are_cached_by_their_whole_address(web_client: TestClient) -> None:
    """ETag, Last-Modified and Cache-Control like every page, a 304 for a client that holds
    the page, and two query strings on the one path get their own answers (a fragment is not
    remembered by its path alone)."""
    first = _get(web_client, SHENZHEN_FOCUS_QUERY, "text/html")
    assert first.status_code == 200
    assert {"etag", "last-modified", "cache-control"} <= set(first.headers)
    assert "Accept" in first.headers["vary"]
    again = web_client.get(
        f"/fragments?{SHENZHEN_FOCUS_QUERY}",
        headers={"Accept": "text/html", "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    other = _get(web_client, FIRST_BATCH_QUERY, "text/html")
    assert other.headers["etag"] != first.headers["etag"]
    assert "shanghai-pudong" in other.text and "shanghai-pudong" not in first.text


# --- bad parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "form"),
    [
        ("subject=shenzhen", "subject", "an absolute IRI"),
        ("subject=https://w3id.org/pilotkg/id/zone/a%20b", "subject", "an absolute IRI"),
        ("subject=%22Shenzhen%22%40en", "subject", "an absolute IRI"),
        ("predicate=%22batch%22", "predicate", "an absolute IRI"),
        ("object=1", "object", '"1"^^http://www.w3.org/2001/XMLSchema#integer'),
        ("object=%22unclosed", "object", '"text"@zh'),
        ("object=%22x%22%40not%20a%20tag", "object", '"text"@zh'),
        ("object=%221%22%5E%5Enot%20an%20iri", "object", '"text"@zh'),
        ("page=0", "page", "a whole number from 1"),
        ("page=two", "page", "a whole number from 1"),
        (f"page={MAX_PAGES + 1}", "page", f"goes up to {MAX_PAGES}"),
        (f"page={'9' * 5000}", "page", f"goes up to {MAX_PAGES}"),
        ("page=%C2%B3", "page", "a whole number from 1"),
        (
            "subject=https://example.org/a&subject=https://example.org/b",
            "subject",
            "more than once",
        ),
    ],
)
def test_a_bad_parameter_gets_one_line_naming_it(
    web_client: TestClient, query: str, parameter: str, form: str
) -> None:
    answer = _get(web_client, query)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.count("\n") == 1
    assert answer.text.startswith(f"400 Bad request: The parameter {parameter} ")
    assert form in answer.text


# --- the HTML view ------------------------------------------------------------------------


def test_a_browser_gets_the_triples_the_form_and_the_page_links(web_client: TestClient) -> None:
    page = _get(web_client, SHENZHEN_FOCUS_QUERY, "text/html,*/*;q=0.8")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Triple Pattern Fragments</h1>" in html
    assert 'value="https://w3id.org/pilotkg/id/zone/shenzhen"' in html
    assert "9 triples match this pattern." in html
    assert html.count("<tr><td>") == 9
    assert "sector:drones" in html
    assert (
        'href="/fragments?object=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fid%2Fsector%2Fdrones&amp;lang=en"'
        in html
    )
    assert f'href="/fragments?{SHENZHEN_FOCUS_QUERY.replace("&", "&amp;")}&amp;format=trig"' in html
    assert 'rel="next"' not in html
    whole = _get(web_client, "", "text/html").text
    assert 'rel="next" href="/fragments?page=2&amp;lang=en"' in whole


def test_the_view_speaks_chinese(web_client: TestClient) -> None:
    html = _get(web_client, "page=2&lang=zh", "text/html").text
    assert "<h1>三元组模式片段</h1>" in html
    assert "第 2 页" in html
    assert 'rel="prev" href="/fragments?lang=zh"' in html
    assert "上一页" in html and "下一页" in html
