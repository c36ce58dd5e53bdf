"""The federated canned queries (``queries/wikidata-*.rq``) return joined rows.

Each query is run by pyoxigraph, whose own SERVICE client calls the local
fixture endpoint over HTTP once ``retarget_service`` has pointed the query's
``SERVICE <https://query.wikidata.org/sparql>`` at it. The sample graph gives
exact expected rows; the real data shows the queries fit the graph as built.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyoxigraph as ox
import pytest

from pilotkg.federation import restrict_service, retarget_service
from pilotkg.namespaces import WIKIDATA_ENTITY
from pilotkg.queries import Catalogue
from pilotkg.sources import CHECKOUT_ROOT, load_sources
from support.wikidata_endpoint import WIKIDATA_DATA, FixtureEndpoint, fixture_store

CATALOGUE = Catalogue(CHECKOUT_ROOT / "queries")
REGION = "https://w3id.org/pilotkg/id/region/"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


@pytest.fixture(scope="module")
def sample() -> ox.Store:
    store = ox.Store()
    store.load(path=str(WIKIDATA_DATA / "sample-data.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def run(store: ox.Store, name: str, endpoint: str) -> list[dict[str, str]]:
    """The rows of a canned query, its SERVICE retargeted, as {variable: lexical value}."""
    text = retarget_service(CATALOGUE.get(name).text, endpoint)
    solutions = store.query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [
        {n: solution[n].value for n in names if solution[n] is not None} for solution in solutions
    ]


def iri(term: object) -> str:
    """The IRI of a term that must be a named node."""
    assert isinstance(term, ox.NamedNode), term
    return term.value


def short(rows: list[dict[str, str]], *keys: str) -> list[tuple[str, ...]]:
    return [
        tuple(row[k].removeprefix(REGION).removeprefix(WIKIDATA_ENTITY) for k in keys)
        for row in rows
    ]


def test_region_population_joins_population_and_area(
    sample: ox.Store, endpoint: FixtureEndpoint
) -> None:
    rows = run(sample, "wikidata-region-population", endpoint.url)
    assert short(rows, "region", "item", "population", "area_km2", "zones") == [
        ("shenzhen", "Q15174", "15000000", "2000", "1"),
        ("hangzhou", "Q4970", "12000000", "17000", "1"),
        ("nanjing", "Q16666", "9000000", "6500", "1"),
        ("pudong-new-area", "Q125378", "5000000", "1200", "1"),
    ]


def test_province_density_divides_designations_by_population(
    sample: ox.Store, endpoint: FixtureEndpoint
) -> None:
    rows = run(sample, "wikidata-province-density", endpoint.url)
    assert short(rows, "province", "designations", "population") == [
        ("shanghai", "2", "20000000"),
        ("jiangsu", "2", "80000000"),
        ("zhejiang", "1", "50000000"),
        ("guangdong", "1", "100000000"),
    ]
    assert [Decimal(row["per_million"]) for row in rows] == [
        Decimal("0.1"),
        Decimal("0.025"),
        Decimal("0.02"),
        Decimal("0.01"),
    ]


def test_coordinates_come_back_as_wkt(sample: ox.Store, endpoint: FixtureEndpoint) -> None:
    rows = run(sample, "wikidata-coordinates", endpoint.url)
    assert short(rows, "region", "coordinates") == [
        ("hangzhou", "Point(120.2 30.3)"),
        ("nanjing", "Point(118.8 32)"),
        ("pudong-new-area", "Point(121.6 31.2)"),
        ("shanghai", "Point(121.5 31.2)"),
        ("shenzhen", "Point(114 22.5)"),
    ]


def test_the_service_really_went_over_http(sample: ox.Store) -> None:
    with FixtureEndpoint(fixture_store()) as counted:
        run(sample, "wikidata-coordinates", counted.url)
        assert [r.method for r in counted.requests] == ["POST"]
        assert "/prop/direct/P625>" in counted.requests[0].query


def test_restricting_the_service_to_our_items_gives_the_same_rows(sample: ox.Store) -> None:
    linked = {
        iri(q.object)
        for q in sample.quads_for_pattern(
            None, ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), None
        )
    }
    with FixtureEndpoint(fixture_store()) as counted:
        for name in ("wikidata-region-population", "wikidata-coordinates"):
            text = retarget_service(CATALOGUE.get(name).text, counted.url)
            pinned = restrict_service(text, "item", linked, endpoint=counted.url)
            plain = sample.query(text)
            assert isinstance(plain, ox.QuerySolutions)
            plain_rows = [list(map(str, s)) for s in plain]
            sent_plain = counted.requests[-1].query
            narrowed = sample.query(pinned)
            assert isinstance(narrowed, ox.QuerySolutions)
            assert [list(map(str, s)) for s in narrowed] == plain_rows
            sent_pinned = counted.requests[-1].query
            # Unpinned, the remote is asked about every item; pinned, only about ours.
            assert "entity/Q" not in sent_plain
            assert "VALUES" in sent_pinned and "entity/Q8686>" in sent_pinned


# ---- the real data ----------------------------------------------------------

#: For each query: the local half (which items our data asks about) and the Wikidata
#: property whose fixture values the joined rows must carry.
LOCAL_HALVES = {
    "wikidata-region-population": (
        "SELECT DISTINCT ?item WHERE { ?zone a pilot:PilotZone ; pilot:locatedIn ?region . "
        "?region owl:sameAs ?item }",
        "P1082",
    ),
    "wikidata-coordinates": (
        "SELECT DISTINCT ?item WHERE { VALUES ?kind { pilot:PilotZone pilot:PilotTestBase } "
        "?d a ?kind ; pilot:locatedIn ?region . ?region owl:sameAs ?item }",
        "P625",
    ),
    "wikidata-province-density": (
        "SELECT DISTINCT ?item WHERE { VALUES ?kind { pilot:PilotZone pilot:PilotTestBase } "
        "?province pilot:administrativeLevel pilot:ProvincialLevel ; owl:sameAs ?item . "
        "?d a ?kind ; pilot:locatedIn/pilot:partOf* ?province }",
        "P1082",
    ),
}


@pytest.fixture(scope="module")
def real() -> ox.Store:
    return load_sources(CHECKOUT_ROOT).store


@pytest.mark.parametrize("name", sorted(LOCAL_HALVES))
def test_real_data_joins_every_item_the_fixture_knows(
    name: str, real: ox.Store, endpoint: FixtureEndpoint
) -> None:
    local, prop = LOCAL_HALVES[name]
    prefixes = {
        "pilot": "https://w3id.org/pilotkg/ontology#",
        "owl": "http://www.w3.org/2002/07/owl#",
    }
    asked = real.query(local, prefixes=prefixes)
    assert isinstance(asked, ox.QuerySolutions)
    ours = {iri(s["item"]) for s in asked}
    fixture = fixture_store()
    known = {
        iri(q.subject)
        for q in fixture.quads_for_pattern(
            None, ox.NamedNode(f"http://www.wikidata.org/prop/direct/{prop}"), None
        )
    }
    expected = ours & known
    assert expected, f"{name}: the fixture knows none of the items the real data asks about"
    rows = run(real, name, endpoint.url)
    item_key = "item" if rows and "item" in rows[0] else None
    if item_key is None:  # wikidata-province-density names the province, not the item
        returned = {
            iri(q.object)
            for row in rows
            for q in real.quads_for_pattern(
                ox.NamedNode(row["province"]),
                ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"),
                None,
            )
        }
    else:
        returned = {row["item"] for row in rows}
    assert returned == expected
