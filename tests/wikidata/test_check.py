"""``pilotkg link wikidata --check`` against the local fixture endpoint, on a small source folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pilotkg.cli import main
from pilotkg.sources import load_sources
from pilotkg.wikidata.check import check_links
from pilotkg.wikidata.client import SparqlClient
from pilotkg.wikidata.labels import KINDS
from pilotkg.wikidata.local import read_entities
from support.wikidata_endpoint import (
    WIKIDATA_DATA,
    FixtureEndpoint,
    closed_port_url,
    fixture_store,
    make_source,
)

PLANTED = WIKIDATA_DATA / "planted-links.ttl"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["link", "wikidata", *args])


def findings(stdout: str) -> set[tuple[str, ...]]:
    """(entity, property, item, reason) of each mismatch line: ``ENTITY PROP ITEM: REASON: DETAIL``."""
    return {
        (*head.split(), reason)
        for head, reason, _detail in (
            line.split(": ", 2) for line in stdout.splitlines() if line.count(": ") >= 2
        )
    }


def test_the_sample_links_all_pass(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    result = run(
        "--check", "--source", str(source), "--endpoint", endpoint.url,
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "checked 15 links: 0 with mismatches, 0 warnings" in result.stdout


def test_planted_wrong_links_are_found_with_their_reasons(
    tmp_path: Path, endpoint: FixtureEndpoint
) -> None:
    source = make_source(tmp_path / "src", PLANTED)
    result = run(
        "--check", "--source", str(source), "--endpoint", endpoint.url,
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert findings(result.stdout) == {
        ("region/suzhou-jiangsu", "owl:sameAs", "wd:Q360643", "parent"),
        ("region/taizhou", "owl:sameAs", "wd:Q900000201", "redirect"),
        ("region/yangtze-river-delta", "owl:sameAs", "wd:Q900000999", "missing"),
        ("org/huawei", "owl:sameAs", "wd:Q42622", "label"),
        ("org/huawei", "owl:sameAs", "wd:Q42622", "type"),
        ("sector/robotics", "skos:exactMatch", "wd:Q11660", "label"),
        ("sector/robotics", "skos:exactMatch", "wd:Q11660", "shared"),
        ("sector/artificial-intelligence", "skos:exactMatch", "wd:Q11660", "shared"),
    }
    assert "wd:Q900000201 redirects to wd:Q15174: link to wd:Q15174" in result.stdout
    assert "located in (P131) wd:Q40956, but our parent region is wd:Q16963" in result.stdout
    assert "checked 20 links: 6 with mismatches, 0 warnings" in result.stdout
    assert "error: 6 Wikidata links failed the check" in result.stderr


def test_a_closematch_with_other_labels_only_warns(
    tmp_path: Path, endpoint: FixtureEndpoint
) -> None:
    """skos:closeMatch claims likeness, not identity: differing labels are worth a look only."""
    extra = tmp_path / "close.ttl"
    extra.write_text(
        "<https://w3id.org/pilotkg/id/sector/artificial-intelligence> "
        "<http://www.w3.org/2004/02/skos/core#closeMatch> "
        "<http://www.wikidata.org/entity/Q170978> .\n",
        encoding="utf-8",
    )
    source = make_source(tmp_path / "src", extra)
    result = run("--check", "--source", str(source), "--endpoint", endpoint.url, "--no-cache")
    assert result.exit_code == 0, result.output
    assert (
        "warning: sector/artificial-intelligence skos:closeMatch wd:Q170978: label:"
        in result.stderr
    )
    assert "checked 16 links: 0 with mismatches, 1 warnings" in result.stdout


def test_kind_limits_the_check(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src", PLANTED)
    result = run(
        "--check", "--kind", "org", "--source", str(source), "--endpoint", endpoint.url,
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert {found[0] for found in findings(result.stdout)} == {"org/huawei"}


def test_a_region_in_the_wrong_country_fails(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    """P17 is part of a region's type: an administrative unit of China, not of anywhere."""
    store = fixture_store()
    store.update(
        "DELETE DATA { <http://www.wikidata.org/entity/Q16666> "
        "<http://www.wikidata.org/prop/direct/P17> <http://www.wikidata.org/entity/Q148> }"
    )
    source = make_source(tmp_path / "src")
    entities = read_entities(load_sources(source).data, KINDS)
    with FixtureEndpoint(store) as other:
        result = check_links(entities, SparqlClient(other.url, cache_dir=None))
    assert [(m.link.entity.rsplit("/", 1)[-1], m.reason) for m in result.mismatches] == [
        ("nanjing", "country")
    ]


def test_several_sameas_items_on_one_entity_are_reported(
    tmp_path: Path, endpoint: FixtureEndpoint
) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "<https://w3id.org/pilotkg/id/region/nanjing> <http://www.w3.org/2002/07/owl#sameAs> "
        "<http://www.wikidata.org/entity/Q42622> .\n",
        encoding="utf-8",
    )
    source = make_source(tmp_path / "src", extra)
    entities = read_entities(load_sources(source).data, ["region"])
    result = check_links(entities, SparqlClient(endpoint.url, cache_dir=None))
    reasons = {(m.link.qid, m.reason) for m in result.mismatches}
    assert ("Q16666", "several") in reasons and ("Q42622", "several") in reasons
    assert ("Q42622", "label") in reasons


def test_network_failure_exits_2_naming_the_endpoint(tmp_path: Path) -> None:
    url = closed_port_url()
    source = make_source(tmp_path / "src")
    result = run("--check", "--source", str(source), "--endpoint", url, "--no-cache")
    assert result.exit_code == 2
    assert f"cannot reach the SPARQL endpoint {url}" in result.stderr
    assert "Traceback" not in result.output
