"""The defects an audit of data/ and shapes/ found, each asked of the graph so that it stays fixed.

Written by hand against shared/facts/facts.md and facts-2.md (not generated from the data):

1. No pilot test base is "established under" the AI+ Opinions: no source says so, and two bases
   were launched on 2025-07-27, before the Opinions were adopted (2025-07-31) and published
   (2025-08-26). The link is stated once, at programme level: the Opinions call for the bases.
2. No source names the issuer of Fujian's 15th Five-Year Plan proposals (facts.md §6: not
   found), so the graph names none, and no shape may require an issuer, a date, a region…
3. The month of MIIT's Nanjing letter (September 2022) is cited to a page that states it:
   facts-2.md §7, the nanjing.gov.cn page dated 2023-07-25.
4. The Qingdao wing's own fields (ultra-HD video, industrial internet) are not the whole
   Jinan–Qingdao zone's.
5. Every pilot:Source is cited by something; the four low-confidence pages are gone.
6. Public text names things as the sources do, and cites articles by title and publisher,
   never by the project's working names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from pilotkg.build.checks import validate_shacl
from pilotkg.cli import main
from pilotkg.entailment import entail
from pilotkg.graphs import from_rdflib, to_rdflib, to_store
from pilotkg.namespaces import PREFIXES
from pilotkg.sources import Sources

PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
SHAPE_FILES = (ROOT / "shapes" / "pilotkg-shapes.ttl", ROOT / "shapes" / "ontology-shapes.ttl")
VALID_FIXTURE = ROOT / "tests" / "data" / "shapes" / "minimal-valid.ttl"


@pytest.fixture(scope="module")
def graph(real_sources: Sources) -> ox.Store:
    return real_sources.store


def ask(graph: ox.Store, pattern: str) -> bool:
    return bool(graph.query(PROLOGUE + f"ASK {{ {pattern} }}"))


def select(graph: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = graph.query(PROLOGUE + query)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


# ---------------------------------------------------------------------------
# 1. the AI+ Opinions and the pilot test bases
# ---------------------------------------------------------------------------


def test_no_base_is_established_under_the_ai_plus_opinions(graph: ox.Store) -> None:
    found = select(
        graph,
        "SELECT ?b WHERE { ?b a pilot:PilotTestBase ; pilot:establishedUnder policy:ai-plus-opinions }",
    )
    assert found == []
    assert not ask(graph, "?x pilot:establishedUnder policy:ai-plus-opinions"), (
        "no source says the bases, or their programme, were set up under the Opinions"
    )


def test_the_opinions_call_for_the_programme(graph: ox.Store) -> None:
    assert ask(
        graph, "policy:ai-plus-opinions pilot:callsFor programme:ai-application-pilot-test-bases"
    )


def test_the_july_bases_predate_the_opinions(graph: ox.Store) -> None:
    """Why a base-level link was impossible: launched 27 July, adopted 31 July, published 26 August."""
    assert ask(
        graph,
        'base:energy-power pilot:launchDate "2025-07-27"^^xsd:date . '
        'base:finance-inclusive-financial-payment pilot:launchDate "2025-07-27"^^xsd:date . '
        'policy:ai-plus-opinions pilot:adoptionDate "2025-07-31"^^xsd:date ; '
        'pilot:publicationDate "2025-08-26"^^xsd:date',
    )


# ---------------------------------------------------------------------------
# 2. Fujian's proposals: no issuer, and the shapes never force one
# ---------------------------------------------------------------------------


def test_the_fujian_proposal_has_no_issuer(graph: ox.Store) -> None:
    assert ask(
        graph, "policy:fujian-15th-fyp-proposal a pilot:Policy ; pilot:concernsRegion region:fujian"
    )
    assert not ask(graph, "policy:fujian-15th-fyp-proposal pilot:issuedBy|dcterms:creator ?issuer")
    assert not ask(graph, "organisation:cpc-fujian-committee ?p ?o"), (
        "the committee was in the graph only as the guessed issuer"
    )


def _with_ontology(data: rdflib.Graph) -> rdflib.Graph:
    """What the build validates: ontology, data, and the data's sub-property entailments."""
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "pilotkg.ttl", format="turtle")
    onto, facts = from_rdflib(ontology), from_rdflib(data)
    knowledge = to_store(onto + facts)
    entail(knowledge, onto)
    return to_rdflib(knowledge)


def _shapes() -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in SHAPE_FILES:
        shapes.parse(path, format="turtle")
    return shapes


FIXTURE_PREFIXES = """
@prefix pilot: <https://w3id.org/pilotkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <http://schema.org/> .
@prefix zone: <https://w3id.org/pilotkg/id/zone/> .
@prefix base: <https://w3id.org/pilotkg/id/base/> .
@prefix policy: <https://w3id.org/pilotkg/id/policy/> .
@prefix region: <https://w3id.org/pilotkg/id/region/> .
@prefix source: <https://w3id.org/pilotkg/id/source/> .
@prefix event: <https://w3id.org/pilotkg/id/event/> .
@prefix target: <https://w3id.org/pilotkg/id/target/> .
@prefix programme: <https://w3id.org/pilotkg/id/programme/> .
"""

# Entities that carry only what every entity has by construction (type, a label in each
# language, a cited source) and none of the facts a source may leave out.
SPARSE: dict[str, str] = {
    "policy with no issuer, kind, number or date": """
        policy:test-sparse a pilot:Policy ;
            rdfs:label "A proposal nobody signs"@en , "无署名的建议"@zh ;
            prov:wasDerivedFrom source:test-source .""",
    "zone with no dates, batch, programme, region or sector": """
        zone:test-sparse a pilot:PilotZone ;
            rdfs:label "An undated zone"@en , "未注明日期的试点区"@zh ;
            prov:wasDerivedFrom source:test-source .""",
    "base with no region, field, operator or dates": """
        base:test-sparse a pilot:PilotTestBase ;
            rdfs:label "A base of unknown place"@en , "所在地不明的中试基地"@zh ;
            prov:wasDerivedFrom source:test-source .""",
    "event with no date": """
        event:test-sparse a pilot:Event ;
            rdfs:label "An undated meeting"@en , "未注明日期的会议"@zh ;
            prov:wasDerivedFrom source:test-source .""",
    "target with no year": """
        target:test-sparse a pilot:Target ;
            rdfs:label "A goal with no deadline"@en , "未定年份的目标"@zh ;
            prov:wasDerivedFrom source:test-source .""",
    "region with no administrative level": """
        region:test-sparse a pilot:Region ;
            rdfs:label "An area of unstated level"@en , "级别不明的地区"@zh ;
            pilot:partOf region:china ;
            prov:wasDerivedFrom source:test-source .""",
    "source with a web address but no publisher": """
        source:test-sparse a pilot:Source ;
            rdfs:label "A page that names no outlet"@en , "未署媒体名的网页"@zh ;
            schema:url <https://example.org/news/3> .""",
}


def _validate(turtle: str) -> list[str]:
    data = rdflib.Graph().parse(VALID_FIXTURE, format="turtle")
    data.parse(data=FIXTURE_PREFIXES + turtle, format="turtle")
    return [
        f"{r.severity}: {r.focus_node} {r.path or '-'} {r.message}"
        for r in validate_shacl(_with_ontology(data), _shapes())
    ]


@pytest.mark.parametrize("name", sorted(SPARSE))
def test_the_shapes_accept_what_sources_leave_out(name: str) -> None:
    assert _validate(SPARSE[name]) == []


@pytest.mark.parametrize(
    ("turtle", "phrase"),
    [
        (
            """source:test-lost a pilot:Source ;
                   rdfs:label "A page nobody can find"@en , "无从查找的网页"@zh .""",
            "pilot:publisherName",
        ),
        (
            """zone:test-unsourced a pilot:PilotZone ;
                   rdfs:label "A zone from nowhere"@en , "无来源的试点区"@zh .""",
            "Cites no source",
        ),
        (
            """policy:test-two-kinds a pilot:Policy ;
                   rdfs:label "A letter and a notice"@en , "既是函又是通知"@zh ;
                   pilot:policyKind pilot:Letter , pilot:Notice ;
                   prov:wasDerivedFrom source:test-source .""",
            "more than one pilot:policyKind",
        ),
    ],
    ids=["source-neither-publisher-nor-url", "zone-without-source", "policy-two-kinds"],
)
def test_the_relaxed_shapes_still_reject_what_is_wrong(turtle: str, phrase: str) -> None:
    results = _validate(turtle)
    assert results and all(phrase in r for r in results), results


def test_pilotkg_check_passes_on_a_policy_with_no_issuer_and_a_zone_with_no_dates(
    source_copy: Path,
) -> None:
    """The whole check (SHACL, QC queries, links, OWL) on the real data plus two sparse entities."""
    (source_copy / "data" / "zz-sparse.ttl").write_text(
        FIXTURE_PREFIXES
        + """
policy:test-unsigned-proposal a pilot:Policy ;
    rdfs:label "A provincial proposal with no known issuer"@en , "发布机关不明的省级建议"@zh ;
    pilot:policyKind pilot:Proposal {| prov:wasDerivedFrom source:economic-information-daily-2025-12-05 |} ;
    pilot:concernsRegion region:fujian {| prov:wasDerivedFrom source:economic-information-daily-2025-12-05 |} ;
    prov:wasDerivedFrom source:economic-information-daily-2025-12-05 .

zone:test-undated a pilot:PilotZone ;
    rdfs:label "A zone with no known dates"@en , "日期不明的试点区"@zh ;
    pilot:programme programme:miit-ai-innovation-application-pilot-zones
        {| prov:wasDerivedFrom source:peoples-daily-jiangsu-2022-10-08 |} ;
    pilot:locatedIn region:nanjing {| prov:wasDerivedFrom source:peoples-daily-jiangsu-2022-10-08 |} ;
    prov:wasDerivedFrom source:peoples-daily-jiangsu-2022-10-08 .
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source_copy)])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------
# 3. the month of the Nanjing letter
# ---------------------------------------------------------------------------


def test_the_nanjing_letter_month_cites_a_page_that_states_it(graph: ox.Store) -> None:
    assert ask(graph, 'policy:miit-letter-nanjing-zone pilot:signingDate "2022-09"^^xsd:gYearMonth')
    # facts-2.md §7: "Issued in September 2022 ('去年9月', said in 2023)", nanjing.gov.cn page
    # dated 2023-07-25. Reports of 8 October and 7 November 2022 say only "recently".
    stating = select(
        graph,
        """SELECT ?s ?url WHERE {
             policy:miit-letter-nanjing-zone prov:wasDerivedFrom ?s .
             ?s a pilot:Source ; schema:url ?url ; pilot:publicationDate "2023-07-25"^^xsd:date .
             FILTER(STRSTARTS(STR(?url), "https://www.nanjing.gov.cn/"))
           }""",
    )
    assert len(stating) == 1, stating
    assert ask(
        graph,
        f'zone:nanjing pilot:approvalDate "2022-09"^^xsd:gYearMonth ; prov:wasDerivedFrom <{stating[0]["s"]}>',
    )


# ---------------------------------------------------------------------------
# 4. the Qingdao wing's fields
# ---------------------------------------------------------------------------


def test_the_qingdao_wing_fields_are_qingdaos_not_the_whole_zones(graph: ox.Store) -> None:
    for sector in ("ultra-hd-video", "industrial-internet"):
        assert not ask(graph, f"zone:jinan-qingdao pilot:focusArea sector:{sector}"), sector
        assert ask(
            graph,
            f"region:qingdao pilot:focusArea sector:{sector} ; prov:wasDerivedFrom source:qingdao-daily-2019-11-20",
        ), sector
    # the fields EqualOcean gives for the whole zone stay on the zone
    assert ask(
        graph,
        "zone:jinan-qingdao pilot:focusArea sector:manufacturing , sector:healthcare , sector:smart-home , sector:rail-transit",
    )


# ---------------------------------------------------------------------------
# 5. sources
# ---------------------------------------------------------------------------


def test_every_source_is_cited(graph: ox.Store) -> None:
    uncited = select(
        graph,
        """SELECT ?s WHERE { ?s a pilot:Source .
             FILTER NOT EXISTS { ?x ?p ?s FILTER(?x != ?s) } }""",
    )
    assert uncited == []


@pytest.mark.parametrize(
    "host", ["gmt8press.com", "comecchina.org", "yydec.com", "mingjiangtw.com"]
)
def test_low_confidence_pages_are_not_sources(graph: ox.Store, host: str) -> None:
    assert not ask(graph, f'?s schema:url ?u . FILTER(CONTAINS(STR(?u), "{host}"))'), host


# ---------------------------------------------------------------------------
# 6. public text
# ---------------------------------------------------------------------------

#: The project's working names for its articles and notes. "seed industry" (种业) is a sector.
WORKING_WORDS = re.compile(r"seed(?!s?\s+industry)|种子|fact\s*sheet", re.IGNORECASE)


def _literals(sources: Sources) -> list[tuple[str, str, str]]:
    return [
        (str(t.subject), str(t.predicate), t.object.value)
        for t in sources.data
        if isinstance(t.object, ox.Literal)
    ]


def test_no_literal_uses_a_working_name(real_sources: Sources) -> None:
    found = [(s, p, o[:120]) for s, p, o in _literals(real_sources) if WORKING_WORDS.search(o)]
    assert found == []


def test_only_the_seed_industry_is_exempt() -> None:
    assert WORKING_WORDS.search("as seed 000 reports")
    assert WORKING_WORDS.search("种子文章称")
    assert WORKING_WORDS.search("per the Fact Sheet")
    assert not WORKING_WORDS.search("AI plus the seed industry")


def test_the_reform_commission_is_called_a_commission(
    graph: ox.Store, real_sources: Sources
) -> None:
    """中央全面深化改革委员会 is a commission of the Central Committee, not the Central Committee."""
    assert ask(
        graph,
        'organisation:central-commission-deepening-reform rdfs:label "Central Commission for Comprehensively Deepening Reform"@en',
    )
    assert ask(
        graph,
        'event:ccdr-7th-meeting-2019 rdfs:label "7th meeting of the Central Commission for Comprehensively Deepening Reform"@en',
    )
    wrong = [
        (s, o[:80])
        for s, _p, o in _literals(real_sources)
        if "Central Committee for Comprehensively" in o
    ]
    assert wrong == []


def test_operators_are_named_as_their_organisation_is(graph: ox.Store) -> None:
    """A base's comment names its operator with the operator's own English label."""
    rows = select(
        graph,
        """SELECT ?base ?name WHERE {
             ?base pilot:operator ?org ; rdfs:comment ?c . FILTER(LANG(?c) = "en")
             ?org rdfs:label ?name . FILTER(LANG(?name) = "en")
             FILTER(!CONTAINS(?c, ?name)) }""",
    )
    assert rows == []
    assert ask(
        graph,
        'organisation:hangzhou-embodied-ai-pilot-base-company rdfs:label "杭州具身智能中试基地科技有限公司"@zh',
    )


def test_turtle_comments_match_the_data() -> None:
    bases = (DATA_DIR / "bases.ttl").read_text(encoding="utf-8")
    assert "so no pilot:locatedIn" not in bases, "the automobile base is placed in China"
    assert "another helper" not in (DATA_DIR / "events.ttl").read_text(encoding="utf-8")
