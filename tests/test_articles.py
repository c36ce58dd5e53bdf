"""One test per seed article: the facts it states, listed by hand, each asked of the graph with SPARQL.

Each fact is an ASK pattern; a failing test names the facts the graph does not answer.
The facts were read off the articles in shared/seeds/ (and checked against the fact sheet);
they are not generated from the data.
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


def unanswered(graph: ox.Store, facts: dict[str, str]) -> list[str]:
    missing = []
    for fact, pattern in facts.items():
        if not bool(graph.query(PROLOGUE + f"ASK {{ {pattern} }}")):
            missing.append(fact)
    return missing


SEED_000 = {  # 36Kr / Urban Evolution Theory, October 2025: the pilot test bases
    "automobile base launched on 16 October 2025": 'base:manufacturing-automobile pilot:launchDate "2025-10-16"^^xsd:date ; pilot:direction sector:automobile ; pilot:field sector:manufacturing',
    "mobile-terminal base approved, built jointly by Dongguan and Shenzhen": "base:consumption-mobile-terminal pilot:locatedIn region:dongguan , region:shenzhen ; pilot:direction sector:mobile-terminal ; pilot:field sector:consumption ; rdfs:comment ?c . FILTER(CONTAINS(?c, '近日正式获批'))",
    "State Council issued the AI+ Opinions in August 2025": 'policy:ai-plus-opinions pilot:issuedBy organisation:state-council ; pilot:publicationDate ?d . FILTER(STRSTARTS(STR(?d), "2025-08"))',
    "the Opinions call for national AI application pilot test bases": "policy:ai-plus-opinions pilot:callsFor programme:ai-application-pilot-test-bases",
    "power base led by China Southern Power Grid, launched 27 July": 'base:energy-power pilot:leadOrganisation organisation:china-southern-power-grid ; pilot:launchDate "2025-07-27"^^xsd:date ; pilot:direction sector:power ; pilot:field sector:energy',
    "UnionPay's finance base launched 27 July with four partners": 'base:finance-inclusive-financial-payment pilot:leadOrganisation organisation:china-unionpay ; pilot:launchDate "2025-07-27"^^xsd:date ; pilot:partnerOrganisation organisation:bank-of-communications , organisation:fudan-university , organisation:shanghai-ai-lab , organisation:shanghai-fintech-industry-alliance',
    "Zhongshan Hospital approved in August 2025 for the clinical research base": 'base:healthcare-clinical-medical-research pilot:leadOrganisation organisation:zhongshan-hospital-fudan ; pilot:approvalDate "2025-08"^^xsd:gYearMonth ; pilot:direction sector:clinical-medical-research',
    "Zhejiang started building a healthcare base in August": 'base:healthcare-zhejiang pilot:locatedIn region:zhejiang ; pilot:field sector:healthcare ; pilot:constructionStartDate ?d . FILTER(STRSTARTS(STR(?d), "2025-08"))',
    "Beijing started building a healthcare base in September": 'base:healthcare-beijing pilot:locatedIn region:beijing ; pilot:field sector:healthcare ; pilot:constructionStartDate ?d . FILTER(STRSTARTS(STR(?d), "2025-09"))',
    "Guangzhou Digital Technology Group's healthcare base launched in September": 'base:healthcare-guangzhou pilot:leadOrganisation organisation:guangzhou-digital-technology-group ; pilot:launchDate ?d . FILTER(STRSTARTS(STR(?d), "2025-09"))',
    "three transport bases in Qingdao, Mianyang and Xiamen started on 9 September": 'base:transportation-qingdao pilot:locatedIn region:qingdao ; pilot:constructionStartDate "2025-09-09"^^xsd:date . base:transportation-mianyang pilot:locatedIn region:mianyang . base:transportation-xiamen pilot:locatedIn region:xiamen',
    "the deployment meeting was held in Qingdao on 9 September 2025": 'event:transport-pilot-bases-deployment-meeting-2025-09-09 pilot:locatedIn region:qingdao ; pilot:startDate "2025-09-09"^^xsd:date',
    "manufacturing base launched in Shanghai on 11 September": 'base:manufacturing-shanghai pilot:locatedIn region:shanghai ; pilot:launchDate "2025-09-11"^^xsd:date ; pilot:field sector:manufacturing',
    "the bases belong to the NDRC-coordinated programme": "programme:ai-application-pilot-test-bases prov:wasAttributedTo organisation:ndrc",
    "every base cites the article": "FILTER NOT EXISTS { ?b a pilot:PilotTestBase FILTER NOT EXISTS { ?b prov:wasDerivedFrom ?s } }",
}

SEED_001 = {  # MIIT notice on the second batch of pilot zones (February 2021)
    "five second-batch zones": "SELECT (COUNT(?z) AS ?n) WHERE { ?z pilot:batch 2 } HAVING (COUNT(?z) = 5)",
    "Beijing zone, batch 2": "zone:beijing pilot:batch 2 ; pilot:locatedIn region:beijing ; pilot:designatedBy organisation:miit",
    "Tianjin zone in Binhai New Area, batch 2": "zone:tianjin-binhai pilot:batch 2 ; pilot:locatedIn region:binhai-new-area . region:binhai-new-area pilot:partOf region:tianjin",
    "Hangzhou, Guangzhou and Chengdu zones, batch 2": "zone:hangzhou pilot:batch 2 . zone:guangzhou pilot:batch 2 . zone:chengdu pilot:batch 2",
    "the five were designated by one MIIT notice": "?n pilot:policyKind pilot:Notice ; pilot:issuedBy organisation:miit . zone:beijing pilot:designationDocument ?n . zone:chengdu pilot:designationDocument ?n",
    "after Shanghai (Pudong), Shenzhen and Jinan–Qingdao: eight MIIT zones": "SELECT (COUNT(?z) AS ?n) WHERE { ?z pilot:programme programme:miit-ai-innovation-application-pilot-zones ; pilot:batch ?b FILTER(?b <= 2) } HAVING (COUNT(?z) = 8)",
    "Beijing focuses on intelligent manufacturing, connected vehicles, smart city, sci-tech Winter Olympics": "zone:beijing pilot:focusArea sector:intelligent-manufacturing , sector:intelligent-connected-vehicles , sector:smart-city , sector:sci-tech-winter-olympics",
    "Tianjin focuses on intelligent manufacturing, smart port, smart community": "zone:tianjin-binhai pilot:focusArea sector:intelligent-manufacturing , sector:smart-port , sector:smart-community",
    "Hangzhou focuses on urban management, intelligent manufacturing, intelligent finance": "zone:hangzhou pilot:focusArea sector:urban-governance , sector:intelligent-manufacturing , sector:intelligent-finance",
    "Guangzhou names computer vision": "zone:guangzhou pilot:focusArea sector:computer-vision",
    "Guangzhou's core industries are key smart devices, software and equipment (not terminals)": 'zone:guangzhou pilot:focusArea sector:smart-devices-software-equipment . sector:smart-devices-software-equipment rdfs:label "关键智能器件、智能软件、智能装备"@zh . FILTER NOT EXISTS { zone:guangzhou pilot:focusArea sector:intelligent-terminals }',
    "Chengdu focuses on medical and financial industries": "zone:chengdu pilot:focusArea sector:healthcare , sector:finance",
    "the notice is cited as a source": "zone:hangzhou prov:wasDerivedFrom source:miit-second-batch-notice-2021",
}

SEED_002 = {  # Economic Daily, 8 September 2025: six key actions, eight supports
    "the Opinions are State Council opinions": "policy:ai-plus-opinions pilot:issuedBy organisation:state-council ; pilot:policyKind pilot:Opinions",
    "six key actions": "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { policy:ai-plus-opinions pilot:keyAction ?a } HAVING (COUNT(DISTINCT ?a) = 6)",
    "eight foundational supports": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { policy:ai-plus-opinions pilot:foundationalSupport ?s } HAVING (COUNT(DISTINCT ?s) = 8)",
    "actions include science and technology and global cooperation": "policy:ai-plus-opinions pilot:keyAction measure:ai-plus-science-technology , measure:ai-plus-global-cooperation",
    "supports include models, data, computing power, open source, talent and safety": "policy:ai-plus-opinions pilot:foundationalSupport measure:model-capability , measure:data-supply , measure:intelligent-computing-power , measure:open-source-ecosystem , measure:talent , measure:safety-capability",
    "the article is a source of the Opinions": "policy:ai-plus-opinions prov:wasDerivedFrom source:jingji-ribao-2025-09-08",
    "pilot bases serve manufacturing, healthcare, transportation, finance and energy": "programme:ai-application-pilot-test-bases pilot:sector sector:manufacturing , sector:healthcare , sector:transportation , sector:finance , sector:energy",
}

SEED_003 = {  # EqualOcean, October 2019: Jinan–Qingdao and Shenzhen after Shanghai
    "Jinan–Qingdao approved by MIIT, spanning two cities": "zone:jinan-qingdao pilot:designatedBy organisation:miit ; pilot:locatedIn region:jinan , region:qingdao",
    "Shenzhen approved by MIIT": "zone:shenzhen pilot:designatedBy organisation:miit ; pilot:locatedIn region:shenzhen . region:shenzhen pilot:partOf region:guangdong",
    "Pudong was first, in May 2019": 'zone:shanghai-pudong pilot:batch 1 ; pilot:launchDate ?d ; pilot:locatedIn region:pudong-new-area . FILTER(STRSTARTS(STR(?d), "2019-05"))',
    "Pudong's fields: manufacturing, medical care, transportation, finance": "zone:shanghai-pudong pilot:focusArea sector:manufacturing , sector:healthcare , sector:transportation , sector:finance",
    "Shenzhen focuses on smart chips, drones, connected cars, robots, supply chain": "zone:shenzhen pilot:focusArea sector:intelligent-chips , sector:drones , sector:intelligent-connected-vehicles , sector:robotics , sector:supply-chain",
    "Jinan–Qingdao: manufacturing, medical, smart home, rail transit": "zone:jinan-qingdao pilot:focusArea sector:manufacturing , sector:healthcare , sector:smart-home , sector:rail-transit",
    "the zones follow the Central Comprehensively Deepening Reforms Commission": "zone:shenzhen pilot:implements ?e . ?e pilot:organisedBy organisation:central-commission-deepening-reform",
    "Qingdao and Jinan are in Shandong; Pudong in Shanghai": "region:qingdao pilot:partOf region:shandong . region:jinan pilot:partOf region:shandong . region:pudong-new-area pilot:partOf region:shanghai",
    "2018 GDP: Qingdao CNY 1,200.15 bn, Jinan CNY 785.66 bn, Shenzhen CNY 2,400 bn": 'region:qingdao rdfs:comment ?q FILTER(CONTAINS(?q, "1,200.15")) . region:jinan rdfs:comment ?j FILTER(CONTAINS(?j, "785.66")) . region:shenzhen rdfs:comment ?s FILTER(CONTAINS(?s, "2,400"))',
    "the article is cited": "zone:jinan-qingdao prov:wasDerivedFrom source:equalocean-2019-10-19",
}

SEED_004 = {  # Economic Information Daily, 5 December 2025: provincial 15th FYP proposals
    "eight provinces' proposals": "SELECT (COUNT(?p) AS ?n) WHERE { ?p pilot:policyKind pilot:Proposal ; pilot:concernsRegion ?r . ?r pilot:administrativeLevel pilot:ProvincialLevel } HAVING (COUNT(?p) = 8)",
    "Zhejiang: humanoid robots, brain–computer interfaces, quantum information, biomanufacturing": "policy:zhejiang-15th-fyp-proposal pilot:concernsRegion region:zhejiang ; pilot:focusArea sector:humanoid-robots , sector:brain-computer-interface , sector:quantum-information , sector:biomanufacturing",
    "Sichuan: AI, robotics, biomanufacturing, quantum technology": "policy:sichuan-15th-fyp-proposal pilot:focusArea sector:artificial-intelligence , sector:robotics , sector:biomanufacturing , sector:quantum-technology",
    "Hunan: AI + advanced manufacturing, AI + seed industry, quantum, aerospace, ocean": "policy:hunan-15th-fyp-proposal pilot:focusArea sector:advanced-manufacturing , sector:seed-industry , sector:quantum-technology , sector:aerospace , sector:ocean",
    "Guizhou: computing power": "policy:guizhou-15th-fyp-proposal pilot:focusArea sector:computing-power",
    "Fujian: industry vertical models": "policy:fujian-15th-fyp-proposal pilot:focusArea sector:industry-large-models",
    "Liaoning: an ecosystem of computing power, algorithms, data and applications": 'policy:liaoning-15th-fyp-proposal pilot:aiEmphasis ?e . FILTER(LANG(?e) = "en" && CONTAINS(?e, "computing power"))',
    "Guangdong: electronic information and equipment manufacturing": "policy:guangdong-15th-fyp-proposal pilot:focusArea sector:electronic-information , sector:equipment-manufacturing",
    "Shandong's proposal exists and concerns Shandong": "policy:shandong-15th-fyp-proposal pilot:concernsRegion region:shandong ; pilot:issuedBy organisation:cpc-shandong-committee",
    "every proposal has an AI emphasis in both languages, except Shandong's (the article gives none)": 'FILTER NOT EXISTS { ?p pilot:policyKind pilot:Proposal ; pilot:concernsRegion ?r . FILTER(?r != region:shandong) FILTER NOT EXISTS { ?p pilot:aiEmphasis ?en , ?zh FILTER(LANG(?en) = "en" && LANG(?zh) = "zh") } }',
    "the article is cited": "policy:guizhou-15th-fyp-proposal prov:wasDerivedFrom source:economic-information-daily-2025-12-05",
}


def _as_ask(pattern: str) -> str:
    return f"{{ {pattern} }}" if pattern.startswith("SELECT") else pattern


@pytest.mark.parametrize(
    "facts",
    [SEED_000, SEED_001, SEED_002, SEED_003, SEED_004],
    ids=[
        "000-pilot-test-bases",
        "001-second-batch-zones",
        "002-ai-plus-opinions",
        "003-first-batch-zones",
        "004-provincial-proposals",
    ],
)
def test_the_graph_answers_every_fact_of_the_article(
    graph: ox.Store, facts: dict[str, str]
) -> None:
    assert unanswered(graph, {k: _as_ask(v) for k, v in facts.items()}) == []
