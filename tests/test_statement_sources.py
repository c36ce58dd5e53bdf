"""``statement-sources`` on the real data, through ``pilotkg query``: one statement of each kind,
its source and the source's words, each row checked by hand against the fact sheets.

- zone: MIIT's reply letter of 14 October 2019 (facts.md §1, Shenzhen, 中工网 reprint of MIIT);
- MOST zone: Chengdu's letter names 智能空管 (facts-2.md 1.4, 人民网 via zhonghongwang);
- base: the Beijing healthcare base was launched on 10 September 2025 (facts.md §2, China Daily;
  HIT专家网 says the same);
- policy: MOST's Shanghai letter is 国科函规〔2019〕80号 and answers 沪府函〔2019〕44号
  (facts-2.md 1.8, Wikisource and the 0798ci repost);
- person: 王新哲 was MIIT's chief economist at the Pudong launch (facts.md §1, 北青网);
- organisation, region and event: the PBOC's science and technology department (facts.md §2,
  财联社 via eastmoney), Shenzhen in Guangdong, the reform commission's 7th meeting on
  19 March 2019 (facts.md §1, Xinhua/SCIO);
- strategic role: MOST's Changsha letter has the zone lead the central region and the Yangtze
  River Economic Belt (facts-2.md 1.21, 21csp citing the MOST website);
- twin zones: Wuhan's MIIT and MOST zones, "双区联动" (facts-2.md 1.35, Wuhan economy and IT
  bureau), stated from both sides;
- programme count: eighteen MOST zones approved by December 2021 (facts.md §3, the Henan
  science department via solution-board);
- computing power: Qingdao's 12 EFLOPS by 2026, as 12,000 PFLOPS (facts-2.md 2.15, 青政办字
  〔2024〕21号 via huahuize);
- bounds: Guangzhou's "20个以上" platforms is a lower bound, not the value 20 (facts-2.md 2.14,
  Guangzhou industry and IT bureau); the AI+ manufacturing opinions' "3-5" general models a
  range (facts.md §5, 經濟通);
- a person's post: 李兴腾, deputy general manager of the embodied-intelligence base's operator
  (facts-2.md 3.13, Xinhua via coffeeweb);
- a plan and the zone it serves: Jinan's 2024–2026 plan builds both of Jinan's zones (facts-2.md
  1.36, Jinan government office via chuangze).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pilotkg.cli import main

ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"


def rows(entity: str, prop: str | None = None) -> list[tuple[str, str, str, str]]:
    """(property, value, source, evidence) of each answer row, as IRIs and lexical forms."""
    args = ["query", "statement-sources", "--format", "json", "--param", f"entity={ID}{entity}"]
    if prop:
        args += ["--param", f"property={prop}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)

    def value(row: dict[str, dict[str, str]], name: str) -> str:
        return row[name]["value"] if name in row else ""

    return sorted(
        (value(r, "property"), value(r, "value"), value(r, "source"), value(r, "evidence"))
        for r in answer["results"]["bindings"]
    )


def test_a_zone_date_cites_the_ministrys_letter_with_its_words() -> None:
    assert rows("zone/shenzhen", PILOT + "approvalDate") == [
        (
            PILOT + "approvalDate",
            "2019-10-14",
            ID + "source/workercn-2019-10-19",
            "2019年10月14日,为加快推进人工智能创新发展和应用赋能,支持济南-青岛、深圳打造人工智能"
            "核心产业集聚区,工业和信息化部复函",
        )
    ]


def test_a_value_two_sources_state_cites_both() -> None:
    found = rows("zone/most-chengdu", PILOT + "focusArea")
    atm = [r for r in found if r[1] == ID + "sector/air-traffic-management"]
    assert {r[2] for r in atm} == {ID + "source/zhonghongwang", ID + "source/wdsk-2020-11-17"}
    assert (
        PILOT + "focusArea",
        ID + "sector/air-traffic-management",
        ID + "source/zhonghongwang",
        "要在智能空管、普惠金融、智慧医疗等场景加强应用示范",
    ) in atm


def test_a_base_launch_cites_both_reports() -> None:
    found = rows("base/healthcare-beijing", PILOT + "launchDate")
    assert [(r[1], r[2]) for r in found] == [
        ("2025-09-10", ID + "source/chinadaily-2"),
        ("2025-09-10", ID + "source/hit180-2025"),
    ]
    assert all(r[3].startswith("9月10日") for r in found)


def test_a_letter_cites_its_number_and_the_request_it_answers() -> None:
    assert rows("policy/most-letter-shanghai", PILOT + "documentNumber") == [
        (
            PILOT + "documentNumber",
            "国科函规〔2019〕80号",
            ID + "source/wikisource-3",
            "国科函规〔2019〕80号",
        )
    ]
    replies = rows("policy/most-letter-shanghai", PILOT + "repliesTo")
    assert {r[2] for r in replies} == {ID + "source/wikisource-3", ID + "source/0798ci-2019-06-11"}
    assert {r[3] for r in replies} == {"(沪府函〔2019〕44号)收悉"}


def test_a_person_is_cited_for_the_role_the_source_gives() -> None:
    found = rows("person/wang-xinzhe", PILOT + "role")
    assert {r[1] for r in found} == {"工业和信息化部总经济师"}
    assert ID + "source/chinadaily-1" in {r[2] for r in found}


@pytest.mark.parametrize(
    ("entity", "prop", "value", "source"),
    [
        (
            "org/pboc-science-technology-department",
            "http://www.w3.org/ns/org#subOrganizationOf",
            ID + "org/pboc",
            ID + "source/eastmoney",
        ),
        ("region/shenzhen", PILOT + "partOf", ID + "region/guangdong", None),
        (
            "event/ccdr-7th-meeting-2019",
            PILOT + "startDate",
            "2019-03-19",
            ID + "source/scio-2019-03-20",
        ),
    ],
)
def test_organisations_regions_and_events_cite_their_statements(
    entity: str, prop: str, value: str, source: str | None
) -> None:
    found = [r for r in rows(entity, prop) if r[1] == value]
    assert found, f"{entity} {prop} {value} cites nothing"
    if source:
        assert source in {r[2] for r in found}


def test_without_a_property_every_cited_value_of_the_entity_is_listed() -> None:
    every = rows("zone/shenzhen")
    assert {r[0] for r in every} >= {
        PILOT + "approvalDate",
        PILOT + "batch",
        PILOT + "focusArea",
        PILOT + "locatedIn",
        PILOT + "programme",
    }
    assert rows("zone/shenzhen", PILOT + "approvalDate")[0] in every


def test_a_missing_entity_parameter_is_a_one_line_usage_error() -> None:
    result = CliRunner().invoke(main, ["query", "statement-sources"])
    assert result.exit_code == 2
    assert "needs entity" in result.output and "Traceback" not in result.output


def test_a_figure_cites_its_value_unit_and_year() -> None:
    """Jinan's 2018 GDP, CNY 785.66 bn (EqualOcean, 2019-10-19, the seed article)."""
    found = {r[0]: r for r in rows("figure/jinan-gdp-2018")}
    value = found["http://schema.org/value"]
    assert float(value[1]) == 785_660_000_000 and value[2] == ID + "source/equalocean-2019-10-19"
    assert "CNY 785.66 billion" in value[3]
    assert found["http://qudt.org/schema/qudt/unit"][1] == "http://qudt.org/vocab/currency/CNY"
    year = found[PILOT + "referenceYear"]
    assert year[1] == "2018" and year[3].startswith("In 2018,")


def test_a_zone_role_is_cited_in_the_letters_words() -> None:
    found = rows("zone/most-changsha", PILOT + "strategicRole")
    assert [(r[1], r[2]) for r in found] == [
        ("示范带动中部地区和长江经济带高质量发展", ID + "source/csp21-2021-03")
    ]
    assert found[0][3].endswith("示范带动中部地区和长江经济带高质量发展")


def test_twin_zones_cite_the_same_words_from_both_sides() -> None:
    quote = "推进武汉国家人工智能创新应用先导区和国家新一代人工智能创新发展试验区“双区联动”"
    bureau = ID + "source/wuhan-economy-it-bureau-2023-11-02"
    for zone, twin in (("zone/wuhan", "zone/most-wuhan"), ("zone/most-wuhan", "zone/wuhan")):
        found = rows(zone, PILOT + "twinZone")
        assert {r[1] for r in found} == {ID + twin}
        assert (PILOT + "twinZone", ID + twin, bureau, quote) in found


def test_a_programme_count_is_a_figure_of_the_programme() -> None:
    link = rows("programme/most-ai-innovation-development-pilot-zones", PILOT + "figure")
    assert ID + "figure/most-zones-count-2021-12" in {r[1] for r in link}
    found = {r[0]: r for r in rows("figure/most-zones-count-2021-12")}
    value = found["http://schema.org/value"]
    assert float(value[1]) == 18 and value[2] == ID + "source/solution-board"
    assert "18個(gè)城市" in value[3]


def test_computing_power_is_in_qudt_petaflops() -> None:
    found = {r[0]: r for r in rows("figure/qingdao-computing-power-target-2026")}
    assert found["http://qudt.org/schema/qudt/unit"][1] == "http://qudt.org/vocab/unit/PetaFLOPS"
    value = found["http://schema.org/value"]
    assert float(value[1]) == 12_000 and value[2] == ID + "source/huahuize-qingdao-2024"
    assert value[3].endswith("算力总规模达到12EFLOPS")
    assert found[PILOT + "referenceYear"][1] == "2026"


def test_more_than_is_a_lower_bound_and_a_range_has_two_bounds() -> None:
    platforms = {r[0]: r for r in rows("figure/guangzhou-zone-public-platforms-target-2023")}
    assert "http://schema.org/value" not in platforms
    bound = platforms["http://schema.org/minValue"]
    assert float(bound[1]) == 20 and bound[3] == "支持20个以上人工智能公共服务平台"
    models = rows("figure/ai-plus-manufacturing-general-models-target-2027")
    by_property = {(r[0], r[2]): r for r in models}
    etnet = ID + "source/etnet-3"
    assert float(by_property[("http://schema.org/minValue", etnet)][1]) == 3
    assert float(by_property[("http://schema.org/maxValue", etnet)][1]) == 5
    assert (
        by_property[("http://schema.org/maxValue", etnet)][3]
        == "推動3-5個通用大模型在製造業深度應用"
    )


def test_a_person_holds_a_post_in_an_organisation() -> None:
    words = "杭州具身智能中试基地科技有限公司副总经理李兴腾表示"
    source = ID + "source/coffeeweb"
    assert rows("person/li-xingteng", "http://www.w3.org/ns/org#memberOf") == [
        (
            "http://www.w3.org/ns/org#memberOf",
            ID + "org/hangzhou-embodied-ai-pilot-base-company",
            source,
            words,
        )
    ]
    assert rows("person/li-xingteng", PILOT + "role") == [
        (PILOT + "role", "杭州具身智能中试基地科技有限公司副总经理", source, words)
    ]


def test_a_city_plan_names_the_zones_it_serves() -> None:
    found = rows("policy/jinan-ai-action-plan-2024-2026", PILOT + "concernsDesignation")
    assert {r[1] for r in found} == {ID + "zone/jinan-qingdao", ID + "zone/most-jinan"}
    assert {r[2] for r in found} == {ID + "source/chuangze-jinan-2024"}
    assert all("双区同建" in r[3] for r in found)
