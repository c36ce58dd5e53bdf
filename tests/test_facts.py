"""The fact sheet's high- and medium-confidence rows (shared/facts/facts.md), asked of the graph.

Each entry is written by hand from a row of the sheet; a failing test lists the facts the graph
cannot answer. Low-confidence rows and "not found" values must stay out, and are checked too.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.namespaces import PREFIXES
from pilotkg.sources import load_sources

PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


@pytest.fixture(scope="module")
def graph(source_dir: Path) -> ox.Store:
    return load_sources(source_dir).store


def ask(graph: ox.Store, pattern: str) -> bool:
    return bool(graph.query(PROLOGUE + f"ASK {{ {pattern} }}"))


def select(graph: ox.Store, query: str) -> ox.QuerySolutions:
    solutions = graph.query(PROLOGUE + query)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def count(graph: ox.Store, pattern: str) -> int:
    row = next(iter(select(graph, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")))
    return int(row["n"].value)


MIIT = "programme:miit-ai-innovation-application-pilot-zones"
MOST = "programme:most-ai-innovation-development-pilot-zones"
BASES = "programme:ai-application-pilot-test-bases"


def test_eleven_miit_zones_in_three_batches(graph: ox.Store) -> None:
    assert count(graph, f"?x pilot:programme {MIIT}") == 11
    batches = {
        1: {"shanghai-pudong", "shenzhen", "jinan-qingdao"},
        2: {"beijing", "tianjin-binhai", "hangzhou", "guangzhou", "chengdu"},
        3: {"nanjing", "wuhan", "changsha"},
    }
    for batch, slugs in batches.items():
        found = {
            r["x"].value.rsplit("/", 1)[-1]
            for r in select(
                graph, f"SELECT ?x WHERE {{ ?x pilot:programme {MIIT} ; pilot:batch {batch} }}"
            )
        }
        assert found == slugs, batch


def test_eighteen_most_zones_and_their_letters(graph: ox.Store) -> None:
    assert count(graph, f"?x pilot:programme {MOST}") == 18
    letters = {
        "most-beijing": "国科函规〔2019〕27号",
        "most-shanghai": "国科函规〔2019〕80号",
        "most-tianjin": "国科函规〔2019〕182号",
        "most-shenzhen": "国科函规〔2019〕183号",
        "most-hangzhou": "国科函规〔2019〕184号",
        "most-hefei": "国科函规〔2019〕185号",
        "most-deqing": "国科函规〔2019〕194号",
    }
    for zone, number in letters.items():
        assert ask(
            graph,
            f'zone:{zone} pilot:designationDocument ?l . ?l pilot:documentNumber "{number}" ; pilot:issuedBy organisation:most',
        ), zone
    assert ask(
        graph,
        'policy:most-letter-shanghai pilot:signingDate "2019-05-22"^^xsd:date ; pilot:addressedTo organisation:shanghai-government',
    )
    assert ask(
        graph,
        'policy:most-letter-shenzhen pilot:signingDate "2019-10-17"^^xsd:date ; pilot:addressedTo organisation:guangdong-government',
    )
    assert ask(
        graph,
        'policy:most-letter-deqing pilot:signingDate "2019-11-02"^^xsd:date . zone:most-deqing pilot:locatedIn region:deqing-county . region:deqing-county pilot:partOf region:huzhou',
    )
    for zone in ("most-chongqing", "most-chengdu", "most-xian", "most-jinan"):
        assert ask(graph, f'zone:{zone} pilot:announcementDate "2020-03-09"^^xsd:date'), zone
    for zone in ("most-zhengzhou", "most-shenyang", "most-harbin"):
        assert ask(graph, f'zone:{zone} pilot:announcementDate "2021-12-07"^^xsd:date'), zone
    for zone in ("most-suzhou", "most-changsha"):
        assert ask(
            graph,
            f'zone:{zone} pilot:designationDocument ?l . ?l pilot:signingDate "2021-03-24"^^xsd:date',
        ), zone
    assert ask(
        graph,
        "zone:most-suzhou pilot:locatedIn region:suzhou-jiangsu . region:suzhou-jiangsu owl:sameAs <http://www.wikidata.org/entity/Q42622>",
    )


def test_miit_zone_dates(graph: ox.Store) -> None:
    assert ask(graph, 'zone:shanghai-pudong pilot:launchDate "2019-05-21"^^xsd:date')
    assert ask(
        graph,
        "zone:shenzhen pilot:designationDocument ?l . ?l pilot:addressedTo organisation:shenzhen-government ; pilot:issuedBy organisation:miit",
    )
    assert ask(
        graph,
        'zone:jinan-qingdao pilot:approvalDate "2019-10-14"^^xsd:date ; pilot:designationDocument ?l . ?l pilot:addressedTo organisation:shandong-government',
    )
    assert ask(
        graph,
        'zone:beijing pilot:announcementDate "2021-02-19"^^xsd:date ; pilot:launchDate "2021-06-09"^^xsd:date',
    )
    assert ask(graph, 'zone:wuhan pilot:approvalDate "2022-09"^^xsd:gYearMonth')
    # facts-2.md §7: the Nanjing bureau's page of 2023-07-25 dates the Nanjing letter to September 2022
    assert ask(
        graph,
        'policy:miit-letter-nanjing-zone pilot:signingDate "2022-09"^^xsd:gYearMonth ;'
        " prov:wasDerivedFrom ?s . ?s schema:url ?u ."
        ' FILTER(STRSTARTS(STR(?u), "https://www.nanjing.gov.cn/"))',
    )
    assert ask(
        graph,
        "zone:nanjing pilot:designationDocument ?l . ?l pilot:addressedTo organisation:jiangsu-government",
    )
    assert ask(
        graph,
        "zone:changsha pilot:designationDocument ?l . ?l pilot:addressedTo organisation:hunan-government",
    )
    assert ask(
        graph,
        'policy:guangzhou-zone-construction-plan pilot:issuedBy organisation:guangzhou-industry-it-bureau ; pilot:publicationDate ?d . FILTER(STR(?d) = "2021-12-10")',
    )


def test_ai_plus_opinions(graph: ox.Store) -> None:
    assert ask(
        graph,
        'policy:ai-plus-opinions pilot:documentNumber "国发〔2025〕11号" ; pilot:adoptionDate "2025-07-31"^^xsd:date ;'
        ' pilot:signingDate "2025-08-21"^^xsd:date ; pilot:publicationDate "2025-08-26"^^xsd:date ;'
        ' pilot:adoptedAt ?meeting ; dcterms:title "国务院关于深入实施“人工智能+”行动的意见"@zh',
    )
    for year in ("2027", "2030", "2035"):
        assert ask(
            graph,
            f'policy:ai-plus-opinions pilot:target ?t . ?t pilot:targetYear "{year}"^^xsd:gYear',
        ), year
    assert ask(
        graph,
        'policy:ai-plus-opinions pilot:target ?t . ?t pilot:targetYear "2027"^^xsd:gYear ; rdfs:comment ?c FILTER(CONTAINS(?c, "70"))',
    )
    assert ask(
        graph,
        'policy:ai-plus-opinions pilot:target ?t . ?t pilot:targetYear "2030"^^xsd:gYear ; rdfs:comment ?c FILTER(CONTAINS(?c, "90"))',
    )
    assert ask(graph, 'measure:ai-plus-consumption rdfs:label "“人工智能+”消费提质"@zh')


def test_other_national_policies(graph: ox.Store) -> None:
    assert ask(
        graph,
        'policy:new-generation-ai-development-plan pilot:documentNumber "国发〔2017〕35号" ; pilot:signingDate "2017-07-08"^^xsd:date ; pilot:issuedBy organisation:state-council',
    )
    assert ask(
        graph,
        'policy:miit-ai-three-year-action-plan pilot:documentNumber "工信部科〔2017〕315号" ; pilot:publicationDate "2017-12-14"^^xsd:date',
    )
    assert ask(
        graph,
        'policy:most-pilot-zone-guideline-2019 pilot:documentNumber "国科发规〔2019〕298号" ; pilot:signingDate "2019-08-29"^^xsd:date ; pilot:publicationDate "2019-09-05"^^xsd:date',
    ), "facts-2.md 1.28 and conflict C1: dated 29 August, released by MOST on 5 September"
    assert ask(  # ... and posted on gov.cn on 6 September: the date of the cited gov.cn page
        graph,
        'policy:most-pilot-zone-guideline-2019 prov:wasDerivedFrom source:gov-cn-2019-09-06 . source:gov-cn-2019-09-06 pilot:publicationDate "2019-09-06"^^xsd:date',
    )
    assert ask(
        graph,
        'policy:most-pilot-zone-guideline-2020 pilot:documentNumber "国科发规〔2020〕254号" ; dcterms:replaces policy:most-pilot-zone-guideline-2019',
    )
    assert ask(
        graph,
        'policy:ai-plus-energy-opinions pilot:issuedBy organisation:ndrc , organisation:nea ; pilot:publicationDate "2025-09-08"^^xsd:date',
    )
    assert ask(
        graph,
        "policy:ai-plus-manufacturing-opinions pilot:issuedBy organisation:miit ; pilot:target ?t",
    )
    assert ask(
        graph,
        "policy:ai-plus-transport-opinions pilot:issuedBy organisation:mot , organisation:ndrc",
    )
    assert ask(
        graph, 'policy:central-15th-fyp-recommendations pilot:adoptionDate "2025-10-23"^^xsd:date'
    )


def test_provincial_proposal_dates(graph: ox.Store) -> None:
    assert ask(
        graph,
        'policy:zhejiang-15th-fyp-proposal pilot:adoptionDate "2025-11-14"^^xsd:date ; pilot:publicationDate "2025-12-03"^^xsd:date',
    )
    assert ask(graph, 'policy:sichuan-15th-fyp-proposal pilot:adoptionDate "2025-11-27"^^xsd:date')
    assert ask(graph, 'policy:liaoning-15th-fyp-proposal pilot:adoptionDate "2025-11-25"^^xsd:date')
    assert ask(
        graph, 'policy:guangdong-15th-fyp-proposal pilot:publicationDate "2025-12-08"^^xsd:date'
    )


def test_pilot_test_bases_beyond_the_seed(graph: ox.Store) -> None:
    assert count(graph, f"?x pilot:programme {BASES}") == 13
    assert ask(
        graph,
        'base:healthcare-beijing pilot:launchDate "2025-09-10"^^xsd:date ; pilot:operator organisation:beijing-medical-health-llm-company',
    )
    assert ask(graph, 'base:healthcare-guangzhou pilot:launchDate "2025-09-19"^^xsd:date')
    assert ask(
        graph,
        'base:embodied-intelligence-hangzhou pilot:locatedIn region:hangzhou ; pilot:launchDate "2026-05-16"^^xsd:date',
    )
    assert ask(
        graph,
        "base:finance-inclusive-financial-payment pilot:designatedBy organisation:ndrc ; pilot:guidedBy organisation:pboc-science-technology-department",
    )


def test_low_confidence_and_not_found_facts_stay_out(graph: ox.Store) -> None:
    assert not ask(graph, '?x rdfs:label ?l . FILTER(CONTAINS(STR(?l), "家居家电"))'), (
        "Haier home-appliance base is low confidence"
    )
    assert not ask(graph, "base:healthcare-zhejiang pilot:direction ?d"), (
        "the Zhejiang base's direction is unconfirmed"
    )
    assert not ask(
        graph,
        "?x owl:sameAs|skos:closeMatch ?q . FILTER(?x IN (region:deqing-county, organisation:dji))",
    ), "low-confidence Wikidata rows are not linked"
    assert not ask(graph, "zone:shanghai-pudong pilot:approvalDate ?d"), (
        "Pudong's approval date was not found"
    )
    assert not ask(
        graph,
        "base:consumption-mobile-terminal pilot:approvalDate|pilot:constructionStartDate ?d",
    ), "the mobile-terminal base was approved and begun 'recently' before an October 2025 report"
    assert not ask(graph, "base:manufacturing-automobile pilot:locatedIn region:beijing"), (
        "the launch venue is not the base's location"
    )
    assert not ask(
        graph, '?s a pilot:Source ; schema:url ?u . FILTER(CONTAINS(STR(?u), "tubex.chat"))'
    ), "tubex.chat is unreliable"
    for host in ("gmt8press.com", "comecchina.org", "yydec.com", "mingjiangtw.com"):
        assert not ask(graph, f'?s schema:url ?u . FILTER(CONTAINS(STR(?u), "{host}"))'), (
            f"{host} backs only low-confidence rows"
        )
    assert not ask(graph, "policy:fujian-15th-fyp-proposal pilot:issuedBy ?issuer"), (
        "Fujian's proposal: name, date and issuer not found"
    )
    assert not ask(graph, "base:manufacturing-shanghai pilot:leadOrganisation|pilot:operator ?o"), (
        "the Shanghai manufacturing base's builder was not found"
    )
    assert not ask(
        graph,
        "VALUES ?b { base:transportation-qingdao base:transportation-mianyang base:transportation-xiamen }"
        " ?b pilot:operator|pilot:leadOrganisation ?o",
    ), "the transport bases' operators were not found (Xiamen's is low confidence)"
