"""Every canned query against the real data, with expected rows checked by hand.

Each expectation below was worked out from data/*.ttl by reading it, not by
running the query: e.g. Shanghai hosts two zones (the MIIT Pudong zone, via
Pudong → Shanghai, and MOST's Shanghai zone) and three bases (finance, clinical
research, manufacturing). The federated queries are tested against a local
endpoint with Wikidata's shape in tests/wikidata/test_federated.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.errors import QueryError
from pilotkg.queries import Catalogue, ParameterError, parse_query_file
from pilotkg.queries import run as run_query
from pilotkg.sources import load_sources

QUERY_DIR = Path(__file__).resolve().parents[1] / "queries"
CATALOGUE = Catalogue(QUERY_DIR)

ID = "https://w3id.org/pilotkg/id/"
PILOT = "https://w3id.org/pilotkg/ontology#"


@pytest.fixture(scope="module")
def run(source_dir: Path):
    store = load_sources(source_dir).store
    catalogue = Catalogue(source_dir / "queries")

    def rows(name: str, **params: str) -> list[dict[str, str]]:
        results = store.query(catalogue.get(name).bind(params))
        assert isinstance(results, ox.QuerySolutions)
        names = [v.value for v in results.variables]
        return [{n: (row[n].value if row[n] is not None else "") for n in names} for row in results]

    return rows


def slugs(rows: list[dict[str, str]], column: str) -> set[str]:
    return {r[column].removeprefix(ID) for r in rows}


def test_zones_by_programme(run) -> None:
    miit = run("zones", programme=ID + "programme/miit-ai-innovation-application-pilot-zones")
    assert len(miit) == 11
    assert {(r["zone"].removeprefix(ID), r["batch"]) for r in miit if r["batch"] == "3"} == {
        ("zone/nanjing", "3"),
        ("zone/wuhan", "3"),
        ("zone/changsha", "3"),
    }
    jinan_qingdao = next(r for r in miit if r["zone"].endswith("/jinan-qingdao"))
    assert set(jinan_qingdao["regions"].split("; ")) == {"Jinan", "Qingdao"}
    assert len(run("zones")) == 29


def test_bases_by_field_and_direction(run) -> None:
    healthcare = run("bases", field=ID + "sector/healthcare")
    assert slugs(healthcare, "base") == {
        "base/healthcare-clinical-medical-research",
        "base/healthcare-zhejiang",
        "base/healthcare-beijing",
        "base/healthcare-guangzhou",
    }
    automobile = run("bases", direction=ID + "sector/automobile")
    assert [(r["base"].removeprefix(ID), r["launched"], r["regions"]) for r in automobile] == [
        ("base/manufacturing-automobile", "2025-10-16", "")
    ], "no source says where the automobile base is: it was launched at a Beijing conference"
    assert len(run("bases")) == 13


def test_policies_by_kind(run) -> None:
    opinions = run("policies", kind=PILOT + "Opinions")
    assert "policy/ai-plus-opinions" in slugs(opinions, "policy")
    ai_plus = next(r for r in opinions if r["policy"].endswith("/ai-plus-opinions"))
    assert (ai_plus["document_number"], ai_plus["issued_by"], ai_plus["signed"]) == (
        "国发〔2025〕11号",
        "State Council of the People's Republic of China",
        "2025-08-21",
    )
    proposals = run("policies", kind=PILOT + "Proposal")
    assert len(proposals) == 9, "eight provincial proposals and the central recommendations"


def test_organisation_roles(run) -> None:
    unionpay = run("organisations", organisation=ID + "org/china-unionpay")
    assert {(r["role"], r["thing"].removeprefix(ID)) for r in unionpay} == {
        ("leads", "base/finance-inclusive-financial-payment")
    }
    ndrc = {
        (r["role"], r["thing"].removeprefix(ID))
        for r in run("organisations", organisation=ID + "org/ndrc")
    }
    assert ("designated", "base/healthcare-clinical-medical-research") in ndrc
    assert ("issued", "policy/ai-plus-energy-opinions") in ndrc


def test_everything_in_guangdong_includes_its_cities(run) -> None:
    rows = run("region-contents", region=ID + "region/guangdong")
    designations = {
        r["thing"].removeprefix(ID)
        for r in rows
        if r["type"] in (PILOT + "PilotZone", PILOT + "PilotTestBase")
    }
    assert designations == {
        "zone/shenzhen",
        "zone/most-shenzhen",
        "zone/guangzhou",
        "zone/most-guangzhou",
        "base/consumption-mobile-terminal",
        "base/healthcare-guangzhou",
    }
    assert "policy/guangdong-15th-fyp-proposal" in slugs(rows, "thing")


def test_timeline_is_ordered_and_filtered(run) -> None:
    rows = run("timeline")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates) and dates[0] == "2019-02", "MOST's Beijing letter, February 2019"
    assert [
        (r["date"], r["step"], r["designation"].removeprefix(ID))
        for r in run("timeline", **{"from": "2026"})
    ] == [("2026-05-16", "launched", "base/embodied-intelligence-hangzhou")]


def test_what_was_set_up_under_the_ai_plus_opinions(run) -> None:
    rows = run("policy-outcomes", policy=ID + "policy/ai-plus-opinions")
    assert ("calls for", "programme/ai-application-pilot-test-bases") in {
        (r["relation"], r["outcome"].removeprefix(ID)) for r in rows
    }
    bases = {r["outcome"] for r in rows if "/base/" in r["outcome"]}
    assert not bases, (
        "no source says a base was set up under the Opinions (two launched before they were "
        "adopted); only the programme is linked, by the Opinions' call for it"
    )


def test_sector_counts_follow_narrower_sectors(run) -> None:
    counts = {
        r["sector"].removeprefix(ID): (int(r["zones"]), int(r["bases"]))
        for r in run("sector-counts")
    }
    assert counts["sector/artificial-intelligence"] == (29, 0)
    assert counts["sector/healthcare"] == (8, 4), (
        "Pudong, Jinan–Qingdao, Shenzhen, Chengdu, Wuhan (智慧医疗), MOST Chengdu (智慧医疗), "
        "MOST Guangzhou (医疗健康), MOST Suzhou (生物医药, narrower); four healthcare bases"
    )
    assert counts["sector/manufacturing"] == (18, 2), (
        "manufacturing or a narrower sector (intelligent, advanced, automobile, smart factories) "
        "in 7 MIIT and 11 MOST zones; the automobile and Shanghai manufacturing bases"
    )
    assert counts["sector/transportation"] == (15, 3)
    assert counts["sector/finance"] == (6, 1), (
        "Pudong, Shenzhen, Hangzhou, Chengdu and MOST Chengdu (普惠金融) and Suzhou (金融服务)"
    )


def test_regions_hosting_both_a_zone_and_a_base(run) -> None:
    found = {
        r["region"].removeprefix(ID): (int(r["zones"]), int(r["bases"]))
        for r in run("zone-and-base-regions")
    }
    assert found == {
        "region/beijing": (2, 1),
        "region/shanghai": (2, 2),  # no source places the finance base in Shanghai
        "region/guangdong": (4, 2),
        "region/shenzhen": (2, 1),
        "region/guangzhou": (2, 1),
        "region/zhejiang": (3, 2),
        "region/hangzhou": (2, 1),
        "region/shandong": (2, 1),
        "region/qingdao": (1, 1),
        "region/sichuan": (2, 1),
    }


def test_provincial_plan_emphases(run) -> None:
    rows = run("provincial-plan-emphases")
    assert slugs(rows, "province") == {
        f"region/{p}"
        for p in (
            "zhejiang",
            "shandong",
            "guangdong",
            "sichuan",
            "hunan",
            "fujian",
            "guizhou",
            "liaoning",
        )
    }
    zhejiang = next(r for r in rows if r["province"].endswith("/zhejiang"))
    assert "humanoid robots" in zhejiang["focus_areas"] and zhejiang["adopted"] == "2025-11-14"
    assert next(r for r in rows if r["province"].endswith("/shandong"))["emphasis_en"] == ""


def test_sources_behind_an_entity(run) -> None:
    rows = run("entity-sources", entity=ID + "zone/shenzhen")
    assert slugs(rows, "source") == {  # with the two that cite its batch
        "source/workercn-2019-10-19",
        "source/equalocean-2019-10-19",
        "source/miit-second-batch-notice-2021",
        "source/cabos-2021-02-20",
        "source/gmw-shenzhen-2023-05-31",  # its twin, Shenzhen's MOST zone (data/zones.ttl)
    }
    equalocean = next(r for r in rows if r["source"].endswith("equalocean-2019-10-19"))
    assert (equalocean["published"], equalocean["url"]) == (
        "2019-10-19",
        "https://legacy.equalocean.com/news/2019101912086",
    )


def test_entities_without_wikidata_links(run) -> None:
    regions = slugs(run("without-wikidata", **{"class": PILOT + "Region"}), "entity")
    assert "region/deqing-county" in regions and "region/huzhou" in regions
    assert "region/shenzhen" not in regions


def test_programmes_with_counts(run) -> None:
    counts = {r["programme"].removeprefix(ID): int(r["designations"]) for r in run("programmes")}
    assert counts == {
        "programme/miit-ai-innovation-application-pilot-zones": 11,
        "programme/most-ai-innovation-development-pilot-zones": 18,
        "programme/ai-application-pilot-test-bases": 13,
    }


def test_programmes_date_range_skips_undated_designations(run) -> None:
    """The mobile-terminal base has no date; the bases still span the first launches
    (27 July 2025, power and finance) to Hangzhou's launch (16 May 2026)."""
    spans = {
        r["programme"].removeprefix(ID): (r.get("earliest"), r.get("latest"))
        for r in run("programmes")
    }
    assert spans["programme/ai-application-pilot-test-bases"] == ("2025-07-27", "2026-05-16")
    assert spans["programme/most-ai-innovation-development-pilot-zones"] == (
        "2019-02",
        "2021-12-07",
    )


def test_ai_plus_measures(run) -> None:
    rows = run("ai-plus-measures")
    actions = [r["label_zh"] for r in rows if r["kind"] == "key action"]
    assert actions == [
        "“人工智能+”科学技术",
        "“人工智能+”产业发展",
        "“人工智能+”消费提质",
        "“人工智能+”民生福祉",
        "“人工智能+”治理能力",
        "“人工智能+”全球合作",
    ]
    assert len([r for r in rows if r["kind"] == "foundational support"]) == 8
    assert [r["notation"] for r in rows if r["kind"] == "target"] == ["2027", "2030", "2035"]


@pytest.mark.parametrize("text", ["深圳", "Shenzhen", "shenz", "pudong"])
def test_search_finds_labels_in_both_languages_and_parts_of_words(run, text: str) -> None:
    found = slugs(run("search", text=text), "entity")
    assert ("region/shenzhen" in found) or ("region/pudong-new-area" in found)


def test_documents_by_number(run) -> None:
    rows = run("documents-by-number")
    by_number = {r["document_number"]: r["policy"].removeprefix(ID) for r in rows}
    assert by_number["国科函规〔2019〕194号"] == "policy/most-letter-deqing"
    assert by_number["工信部科〔2017〕315号"] == "policy/miit-ai-three-year-action-plan"
    assert (
        by_number["沪府函〔2019〕44号"] == "policy/shanghai-request-most-zone-2019"
    )  # facts-2 1.8
    assert by_number["成发办〔2020〕97号"] == "policy/chengdu-most-zone-implementation-plan"  # 1.5
    assert by_number["苏府办〔2024〕140号"] == "policy/suzhou-ai-plus-pilot-zone-action-plan"
    assert len(rows) == 29, (
        "13 letters and requests, 8 national policies, 8 city and provincial plans"
    )


def test_zone_focus_areas(run) -> None:
    rows = run("zone-focus-areas", sector=ID + "sector/intelligent-manufacturing")
    assert slugs(rows, "zone") == {
        "zone/beijing",
        "zone/tianjin-binhai",
        "zone/hangzhou",
        "zone/changsha",  # 湖南日报: 智能制造
        "zone/wuhan",  # 武汉市经信局: 智能制造
        "zone/most-chongqing",  # the MOST letters, via 人民网 and 中评网
        "zone/most-zhengzhou",
        "zone/most-shenyang",
        "zone/most-harbin",
    }


def test_statement_sources(run) -> None:
    rows = run("statement-sources", entity=ID + "zone/shenzhen", property=PILOT + "approvalDate")
    assert [(r["value"], r["source"].removeprefix(ID)) for r in rows] == [
        ("2019-10-14", "source/workercn-2019-10-19")  # facts.md §1: MIIT's letter via 中工网
    ]
    assert rows[0]["evidence"].endswith("工业和信息化部复函")


def test_every_local_canned_query_is_tested_here() -> None:
    tested = {
        "zones",
        "bases",
        "policies",
        "organisations",
        "region-contents",
        "timeline",
        "policy-outcomes",
        "sector-counts",
        "zone-and-base-regions",
        "provincial-plan-emphases",
        "entity-sources",
        "without-wikidata",
        "programmes",
        "ai-plus-measures",
        "search",
        "documents-by-number",
        "zone-focus-areas",
        "statement-sources",  # and in tests/test_statement_sources.py, one statement per kind
    }
    local = {
        q.name
        for q in Catalogue(Path(__file__).resolve().parents[1] / "queries")
        if not q.federated
    }
    assert local == tested


# --- the header in both languages, the columns, and what a parameter takes -----------------

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("name", sorted(CATALOGUE.queries))
def test_every_query_speaks_chinese_too(name: str) -> None:
    query = CATALOGUE.get(name)
    assert CJK.search(query.title_zh), f"{name}: '# title@zh:' missing or not Chinese"
    assert CJK.search(query.description_zh), f"{name}: '# description@zh:' missing"
    for parameter in query.parameters:
        assert CJK.search(parameter.description_zh), f"{name}: no '# param@zh: {parameter.name}'"
    assert query.title_in("zh") == query.title_zh and query.title_in("en") == query.title


@pytest.fixture(scope="module")
def answers(real_sources) -> dict[str, list[str]]:
    """The variables of every non-federated query's answer (with its example), on the real data."""
    found = {}
    for query in CATALOGUE:
        if not query.federated:
            results = run_query(real_sources.store, query, query.example)
            assert isinstance(results, ox.QuerySolutions)
            found[query.name] = [v.value for v in results.variables]
    return found


@pytest.mark.parametrize("name", sorted(CATALOGUE.queries))
def test_every_column_has_a_heading_in_both_languages_or_labels_another(
    name: str, answers: dict[str, list[str]]
) -> None:
    query = CATALOGUE.get(name)
    variables = answers.get(name) or list(query.columns)  # federated: the header's own list
    assert set(query.columns) == set(variables), f"{name}: '# column:' lines ≠ the variables"
    for variable in variables:
        column = query.column(variable)
        if column.of:
            assert column.of in variables, f"{name}: {variable} labels ?{column.of}, not selected"
        else:
            assert column.headings.get("en") and CJK.search(column.headings.get("zh", "")), (
                f"{name}: ?{variable} needs '# column:' and '# column@zh:' headings"
            )


def test_a_column_heading_falls_back_to_the_variable_in_words(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "# title: q\n# column: zone Pilot zone\n# column@zh: zone 试点区\n"
        "SELECT ?zone ?construction_started WHERE {}\n",
        encoding="utf-8",
    )
    query = parse_query_file(path)
    assert query.column("zone").heading("zh") == "试点区"
    assert query.column("zone").heading("en") == "Pilot zone"
    assert query.column("construction_started").heading("zh") == "Construction started"


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ("# param: r iri required kind=pilot:Region  a region\n", "class=, values= or one-of="),
        ("# param: r string required class=pilot:Region  a region\n", "class=, values= or one-of="),
        ("# param: r iri required class=nowhere:Region  a region\n", "'nowhere:Region' is neither"),
        ("# param: r iri required  a region\n# param@zh: s 地区\n", "'# param@zh: s …' has no"),
        ("# column: a A\n# column@zh: b 乙\n", "'# column@zh: b …' has no '# column: b …' line"),
    ],
)
def test_a_bad_header_line_names_the_file_and_the_line(
    tmp_path: Path, lines: str, words: str
) -> None:
    path = tmp_path / "bad.rq"
    path.write_text(f"# title: bad\n{lines}SELECT * WHERE {{ ?r ?p ?o }}\n", encoding="utf-8")
    with pytest.raises(QueryError, match=re.escape(words)) as raised:
        parse_query_file(path)
    assert str(path) in str(raised.value)


def test_where_a_parameters_values_come_from(real_sources) -> None:
    store = real_sources.store
    programme = CATALOGUE.get("zones").parameters[0]
    assert programme.candidates(store) == [  # data/programmes.ttl
        ID + "programme/ai-application-pilot-test-bases",
        ID + "programme/miit-ai-innovation-application-pilot-zones",
        ID + "programme/most-ai-innovation-development-pilot-zones",
    ]
    kind = CATALOGUE.get("policies").parameters[0]
    assert {PILOT + k for k in ("Letter", "Notice", "Opinions")} <= set(kind.candidates(store))
    assert all(c.startswith(PILOT) for c in kind.candidates(store)), "policy kinds only"
    classes = CATALOGUE.get("without-wikidata").parameters[0].candidates(store)
    assert classes == sorted(
        [PILOT + "Region", "http://www.w3.org/ns/org#Organization", PILOT + "Sector"]
    )
    regions = CATALOGUE.get("region-contents").parameters[0].candidates(store)
    assert ID + "region/guangdong" in regions and ID + "zone/shenzhen" not in regions


@pytest.mark.parametrize(
    "value", [ID + "region/guangdong", "region:guangdong", "guangdong", "GuangDong", "广东省"]
)
def test_a_region_by_prefixed_name_slug_or_label_gives_the_rows_of_its_iri(
    real_sources, value: str
) -> None:
    """The six designations in Guangdong, read from the data (see
    test_everything_in_guangdong_includes_its_cities), whichever way the region is named."""
    query = CATALOGUE.get("region-contents")
    results = run_query(real_sources.store, query, {"region": value})
    assert isinstance(results, ox.QuerySolutions)
    things = {row["thing"].value.removeprefix(ID) for row in results}
    assert {t for t in things if t.startswith(("zone/", "base/"))} == {
        "zone/shenzhen",
        "zone/most-shenzhen",
        "zone/guangzhou",
        "zone/most-guangzhou",
        "base/consumption-mobile-terminal",
        "base/healthcare-guangzhou",
    }


@pytest.mark.parametrize(
    ("name", "value", "kind", "choices"),
    [
        ("entity-sources", "shenzhen", "ambiguous", ("region:shenzhen", "zone:shenzhen")),
        ("region-contents", "guangdon", "unknown", ()),
        ("region-contents", "zone:shenzhen", "absent", ()),
        ("region-contents", "https://w3id.org/pilotkg/id/region/atlantis", "absent", ()),
    ],
)
def test_a_name_that_is_unknown_or_names_two_things_is_refused(
    real_sources, name: str, value: str, kind: str, choices: tuple[str, ...]
) -> None:
    query = CATALOGUE.get(name)
    parameter = query.parameters[0]
    with pytest.raises(ParameterError) as raised:
        run_query(real_sources.store, query, {parameter.name: value})
    problem = raised.value
    assert (problem.kind, problem.parameter, problem.value) == (kind, parameter.name, value)
    assert problem.choices == choices and "\n" not in str(problem)
