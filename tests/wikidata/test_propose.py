"""``pilotkg link wikidata --propose`` against the local fixture endpoint, on a small source folder."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from pilotkg.cli import main
from pilotkg.namespaces import OWL, RDFS
from pilotkg.wikidata.items import ItemFacts
from pilotkg.wikidata.local import LocalEntity
from pilotkg.wikidata.propose import AMBIGUOUS, PROPOSED, UNSUITABLE, WEAKER, Candidate, decide
from support.wikidata_endpoint import FixtureEndpoint, fixture_store, make_source


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FixtureEndpoint]:
    with FixtureEndpoint(fixture_store()) as running:
        yield running


def propose(source: Path, out: Path, endpoint: str, cache: Path, *more: str) -> Result:
    return CliRunner().invoke(
        main,
        ["link", "wikidata", "--propose", str(out), "--source", str(source),
         "--endpoint", endpoint, "--cache-dir", str(cache), *more],
    )  # fmt: skip


def rows_by_entity(path: Path) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            grouped.setdefault(row["subject_id"], []).append(row)
    return grouped


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_csv_picks_the_right_items_and_flags_homonyms(
    tmp_path: Path, endpoint: FixtureEndpoint
) -> None:
    source = make_source(tmp_path / "src")
    before = tree_digest(source)
    out = tmp_path / "proposals.csv"
    result = propose(source, out, endpoint.url, tmp_path / "cache")
    assert result.exit_code == 0, result.output
    assert tree_digest(source) == before, "--propose must not write into the source folder"
    rows = rows_by_entity(out)
    decided = {
        subject: {row["object_id"]: row["decision"] for row in entity_rows}
        for subject, entity_rows in rows.items()
    }
    assert decided == {
        # 苏州市 (Jiangsu) over 宿州市 (Anhui): the Chinese label and P131 tell them apart.
        "region:suzhou-jiangsu": {"wd:Q42622": PROPOSED, "wd:Q360643": UNSUITABLE},
        # Only "Taizhou" and a parent that is the whole country: nothing tells them apart.
        "region:taizhou": {"wd:Q900000101": AMBIGUOUS, "wd:Q900000102": AMBIGUOUS},
        "region:yangtze-river-delta": {"": "no-candidate"},
        "organisation:huawei": {"wd:Q160120": PROPOSED},
        "sector:robotics": {"wd:Q170978": PROPOSED},
    }
    suzhou = rows["region:suzhou-jiangsu"][0]
    assert suzhou["predicate_id"] == "owl:sameAs"
    assert suzhou["confidence"] == "1.00"
    assert "located in (P131) our parent's item wd:Q16963" in suzhou["evidence"]
    assert "homonym: wd:Q360643 (Suzhou / 宿州市)" in suzhou["flags"]
    anhui = rows["region:suzhou-jiangsu"][1]
    assert "located in (P131) wd:Q40956, not our parent's wd:Q16963" in anhui["evidence"]
    assert rows["sector:robotics"][0]["predicate_id"] == "skos:exactMatch"
    assert "region/taizhou: ambiguous" in result.stdout
    assert "5 unlinked entities: 3 with a proposed item" in result.stdout


def test_turtle_is_valid_and_carries_the_evidence(
    tmp_path: Path, endpoint: FixtureEndpoint
) -> None:
    source = make_source(tmp_path / "src")
    out = tmp_path / "proposals.ttl"
    result = propose(source, out, endpoint.url, tmp_path / "cache")
    assert result.exit_code == 0, result.output
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.TURTLE)
    solutions = store.query(
        """SELECT ?target ?comment WHERE {
             ?axiom owl:annotatedSource <https://w3id.org/pilotkg/id/region/suzhou-jiangsu> ;
                    owl:annotatedProperty owl:sameAs ; owl:annotatedTarget ?target ;
                    rdfs:comment ?comment }""",
        prefixes={"owl": OWL, "rdfs": RDFS},
    )
    assert isinstance(solutions, ox.QuerySolutions)
    comments: dict[str, set[str]] = {}
    for solution in solutions:
        comments.setdefault(solution["target"].value.rsplit("/", 1)[-1], set()).add(
            solution["comment"].value
        )
    assert set(comments) == {"Q42622", "Q360643"}
    assert "proposed (score 12, status proposed)" in comments["Q42622"]
    assert any(c.startswith("unsuitable") for c in comments["Q360643"])


def test_the_same_answers_give_the_same_bytes(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    assert propose(source, first, endpoint.url, tmp_path / "c1").exit_code == 0
    assert propose(source, second, endpoint.url, tmp_path / "c2").exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_kind_limits_the_proposals(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    out = tmp_path / "orgs.csv"
    assert propose(source, out, endpoint.url, tmp_path / "cache", "--kind", "org").exit_code == 0
    assert list(rows_by_entity(out)) == ["organisation:huawei"]


def test_refuses_to_write_into_data(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    result = propose(source, source / "data" / "links.ttl", endpoint.url, tmp_path / "cache")
    assert result.exit_code == 2
    assert "write proposals outside data/" in result.stderr
    assert not (source / "data" / "links.ttl").exists()


def test_refuses_an_unknown_file_type(tmp_path: Path, endpoint: FixtureEndpoint) -> None:
    source = make_source(tmp_path / "src")
    result = propose(source, tmp_path / "proposals.json", endpoint.url, tmp_path / "cache")
    assert result.exit_code == 2
    assert "name a .ttl (Turtle) or .csv file" in result.stderr


def _candidate(qid: str, score: int, *, blocking: bool = False) -> Candidate:
    return Candidate(qid, ItemFacts(qid, labels={("X", "en")}), "region", score, blocking=blocking)


def test_decide_never_picks_among_equals_and_never_picks_a_blocked_item() -> None:
    entity = LocalEntity("https://w3id.org/pilotkg/id/region/x", "region")
    tied = decide(entity, [_candidate("Q2", 6), _candidate("Q1", 6), _candidate("Q3", 4)])
    assert tied.status == AMBIGUOUS and tied.proposed is None
    assert [c.decision for c in tied.candidates] == [AMBIGUOUS, AMBIGUOUS, WEAKER]
    blocked = decide(entity, [_candidate("Q1", 9, blocking=True), _candidate("Q2", 3)])
    assert blocked.proposed is not None and blocked.proposed.qid == "Q2"
    nothing = decide(entity, [_candidate("Q1", 9, blocking=True)])
    assert nothing.status == "no-suitable-candidate" and nothing.proposed is None
