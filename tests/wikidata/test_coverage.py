"""The Wikidata links in data/ are exactly what the evidence supports (issue #6).

``tests/data/wikidata/wikidata.csv`` is a copy of the checked evidence sheet
(``shared/facts/wikidata.csv``): one row per entity with a QID, a confidence and
where it was read. The rules (shared/facts/README.md, design.md):

- regions and organisations: a *high* row is linked with ``owl:sameAs`` to
  exactly that item; sectors: with ``skos:exactMatch``;
- a *medium* row may be linked, with ``skos:closeMatch`` to that item, never ``owl:sameAs``;
- *low* and *not found* rows are not linked at all;
- every link in data/ is backed by a row, and no two entities share an item.

No network: these tests read data/ and the sheet only.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass

import pytest

from pilotkg.namespaces import ID, OWL, SKOS
from pilotkg.sources import CHECKOUT_ROOT, load_sources
from pilotkg.wikidata.labels import KINDS
from pilotkg.wikidata.local import Link, LocalEntity, read_entities, shared_items
from support.wikidata_endpoint import WIKIDATA_DATA

SHEET = WIKIDATA_DATA / "wikidata.csv"

#: Sheet keys whose slug differs from the one data/ uses.
KEY_MAP = {
    "country/china": "region/china",
    "sector/health-care": "sector/healthcare",
    "sector/transport": "sector/transportation",
}

SAME_AS, EXACT, CLOSE = OWL + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch"


@dataclass(frozen=True)
class Row:
    """One row of the evidence sheet, keyed as data/ names the entity."""

    key: str
    qid: str
    confidence: str

    @property
    def kind(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def iri(self) -> str:
        return ID + self.key


def _rows() -> list[Row]:
    with SHEET.open(encoding="utf-8", newline="") as handle:
        return [
            Row(KEY_MAP.get(r["key"], r["key"]), r["qid"].strip(), r["confidence"].strip())
            for r in csv.DictReader(handle)
        ]


ROWS = _rows()
LINKABLE = [r for r in ROWS if r.kind in KINDS]


@pytest.fixture(scope="module")
def entities() -> dict[str, LocalEntity]:
    return read_entities(load_sources(CHECKOUT_ROOT).data, KINDS)


def _links(entity: LocalEntity, prop: str) -> set[str]:
    return {link.qid for link in entity.links if link.prop == prop}


def row_problems(row: Row, entities: dict[str, LocalEntity]) -> list[str]:
    """What is wrong with the data's links for one sheet row (nothing, when it follows the rules)."""
    entity = entities.get(row.iri)
    if row.confidence in ("high", "medium") and entity is None:
        return [f"{row.key}: the sheet has wd:{row.qid} but data/ has no such entity"]
    problems = []
    if row.confidence == "high" and entity is not None:
        prop, name = (EXACT, "skos:exactMatch") if row.kind == "sector" else (SAME_AS, "owl:sameAs")
        if _links(entity, prop) != {row.qid}:
            found = sorted(_links(entity, prop))
            problems.append(f"{row.key}: high: expected {name} wd:{row.qid}, found {found}")
        others = sorted({link.qid for link in entity.links} - {row.qid})
        if others:
            problems.append(f"{row.key}: high: also linked to {others}")
    elif row.confidence == "medium" and entity is not None:
        if _links(entity, SAME_AS) or _links(entity, EXACT):
            problems.append(f"{row.key}: medium: must be skos:closeMatch, not sameAs/exactMatch")
        if not _links(entity, CLOSE) <= {row.qid}:
            problems.append(f"{row.key}: medium: closeMatch to {sorted(_links(entity, CLOSE))}")
    elif row.confidence in ("low", "not found"):
        if entity is not None and entity.links:
            problems.append(f"{row.key}: {row.confidence}: must have no Wikidata link")
        if row.qid:
            linked = sorted(
                e.name for e in entities.values() if row.qid in {x.qid for x in e.links}
            )
            if linked:
                problems.append(
                    f"wd:{row.qid} is {row.confidence} ({row.key}) but linked from {linked}"
                )
    return problems


def coverage_problems(entities: dict[str, LocalEntity], rows: list[Row] = ROWS) -> list[str]:
    """Every way the data's Wikidata links depart from the sheet's rules."""
    problems = [p for row in rows if row.kind in KINDS for p in row_problems(row, entities)]
    backed = {(r.iri, r.qid) for r in rows if r.confidence in ("high", "medium")}
    problems += [
        f"{entity.name} {link.prop_name} wd:{link.qid}: no high or medium row backs this link"
        for entity in entities.values()
        for link in entity.links
        if (entity.iri, link.qid) not in backed
    ]
    problems += [
        f"wd:{qid} is linked from {sorted({entities[x.entity].name for x in links})}"
        for qid, links in shared_items(entities.values()).items()
    ]
    return problems


def test_the_sheet_is_the_one_the_rules_expect() -> None:
    assert {r.confidence for r in ROWS} <= {"high", "medium", "low", "not found"}
    assert all(r.qid for r in ROWS if r.confidence != "not found")
    assert [r.qid for r in ROWS if r.key == "region/suzhou-jiangsu"] == ["Q42622"]
    assert sum(1 for r in ROWS if r.kind in ("region", "org") and r.confidence == "high") >= 40


@pytest.mark.parametrize("row", [r for r in ROWS if r.kind in KINDS], ids=lambda r: r.key)
def test_each_row_is_linked_as_its_confidence_allows(
    row: Row, entities: dict[str, LocalEntity]
) -> None:
    assert row_problems(row, entities) == []


def test_every_link_is_backed_and_no_item_is_shared(entities: dict[str, LocalEntity]) -> None:
    assert coverage_problems(entities) == []


def test_the_suzhou_homonym_is_linked_the_right_way_round(entities: dict[str, LocalEntity]) -> None:
    """宿州市 (Anhui, Q360643) is "Suzhou" in English too; only 苏州市 (Jiangsu) is ours."""
    suzhou = entities[ID + "region/suzhou-jiangsu"]
    assert _links(suzhou, SAME_AS) == {"Q42622"}
    assert ("苏州市", "zh") in suzhou.labels
    assert not any("Q360643" in {x.qid for x in e.links} for e in entities.values())


def test_the_rules_catch_planted_mistakes(entities: dict[str, LocalEntity]) -> None:
    """The checks above are only worth something if they fail: plant one mistake of each kind."""
    broken = copy.deepcopy(entities)

    def relink(key: str, *links: tuple[str, str]) -> None:
        entity = broken[ID + key]
        entity.links = [Link(entity.iri, prop, qid) for prop, qid in links]

    relink("region/suzhou-jiangsu", (SAME_AS, "Q360643"))  # the homonym
    relink("org/china-unionpay", (SAME_AS, "Q719625"))  # medium made sameAs
    relink("org/dji", (SAME_AS, "Q1153603"))  # a low row linked
    relink("sector/artificial-intelligence", (CLOSE, "Q11660"))  # high sector not exactMatch
    relink("region/huzhou", (SAME_AS, "Q4970"))  # unbacked, and Hangzhou's item
    problems = "\n".join(coverage_problems(broken))
    for expected in (
        "region/suzhou-jiangsu: high: expected owl:sameAs wd:Q42622, found ['Q360643']",
        "org/china-unionpay: medium: must be skos:closeMatch",
        "org/dji: low: must have no Wikidata link",
        "sector/artificial-intelligence: high: expected skos:exactMatch wd:Q11660, found []",
        "region/huzhou owl:sameAs wd:Q4970: no high or medium row backs this link",
        "wd:Q4970 is linked from ['region/hangzhou', 'region/huzhou']",
    ):
        assert expected in problems
