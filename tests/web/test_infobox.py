"""Entity pages answer what people ask of each kind first, on the real data: a zone's programme,
batch, place, designating ministry, letter and dates; a base's operator and dates; a policy's
number, issuer and its three dates; a region's zones and bases at any depth below it.

Expected values checked by hand against data/zones.ttl (zone:shenzhen), data/bases.ttl
(base:healthcare-beijing), data/policies.ttl (policy:ai-plus-opinions) and data/regions.ttl
(Shenzhen, Guangzhou and Dongguan are the cities of Guangdong that host zones or bases: two MIIT
zones, two MOST zones, the Guangzhou healthcare base and the Dongguan consumption base).
"""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: real_server


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<sup.*?</sup>|<[^>]+>", " ", html)).split())


def _infobox(server: LiveServer, path: str, lang: str) -> dict[str, list[str]]:
    """The infobox's rows, in page order: each heading with its values as a reader sees them."""
    page = httpx.get(f"{server.url}{path}?lang={lang}", timeout=10)
    assert page.status_code == 200, page.text
    box = re.search(r'<aside class="infobox".*?</aside>', page.text, re.S)
    assert box is not None, f"{path} has no infobox"
    return {
        _text(th): [_text(v) for v in re.findall(r"<li>(.*?)</li>", td, re.S)]
        for th, td in re.findall(r"<tr><th>(.*?)</th>\s*<td>(.*?)</td></tr>", box.group(0), re.S)
    }


def test_a_zones_infobox_names_its_programme_batch_place_letter_and_date(
    real_server: LiveServer,
) -> None:
    box = _infobox(real_server, "/id/zone/shenzhen", "en")
    assert list(box)[:6] == [
        "programme",
        "batch",
        "located in",
        "designated by",
        "designation document",
        "approval date",
    ], "the infobox asks a zone's questions in their order"
    assert box["programme"] == ["National AI Innovation and Application Pilot Zones (MIIT)"]
    assert box["batch"] == ["1"]
    assert box["located in"] == ["Shenzhen"]
    assert box["designated by"] == ["Ministry of Industry and Information Technology"]
    assert box["designation document"] == [
        "MIIT reply letter supporting the Shenzhen AI innovation and application pilot zone"
    ]
    assert box["approval date"] == ["14 October 2019"]
    assert len(box["focus area"]) == 9
    zh = _infobox(real_server, "/id/zone/shenzhen", "zh")
    assert zh["批复日期"] == ["2019年10月14日"]
    assert zh["所在地区"] == ["深圳市"]


def test_a_bases_infobox_names_who_runs_it_and_when_it_started(real_server: LiveServer) -> None:
    box = _infobox(real_server, "/id/base/healthcare-beijing", "en")
    assert box["operator"] == ["Beijing Medical and Health Large Model Co., Ltd."]
    assert box["lead organisation"] == ["China Unicom"]
    assert box["launch date"] == ["10 September 2025"]
    assert box["construction start date"] == ["10 September 2025"]
    assert box["stated investment (yuan)"] == ["CNY 1.716 billion"]  # 1716000000, in words
    assert len(box["guided by"]) == 4
    zh = _infobox(real_server, "/id/base/healthcare-beijing", "zh")
    assert zh["运营单位"] == ["北京医疗健康大模型有限公司"]


def test_a_policys_infobox_names_its_number_issuer_and_each_date(real_server: LiveServer) -> None:
    box = _infobox(real_server, "/id/policy/ai-plus-opinions", "zh")
    assert box["发文字号"] == ["国发〔2025〕11号"]
    assert box["发文机关"] == ["国务院"]
    assert box["审议通过日期"] == ["2025年7月31日"]
    assert box["成文日期"] == ["2025年8月21日"]
    assert box["发布日期"] == ["2025年8月26日"]
    en = _infobox(real_server, "/id/policy/ai-plus-opinions", "en")
    assert en["publication date"] == ["26 August 2025"]


def test_a_letter_named_in_an_infobox_shows_its_document_number(real_server: LiveServer) -> None:
    page = httpx.get(f"{real_server.url}/id/zone/most-hangzhou?lang=zh", timeout=10).text
    box = re.search(r'<aside class="infobox".*?</aside>', page, re.S)
    assert box is not None
    # data/letters.ttl: MOST's letter to Hangzhou is 国科函规〔2019〕184号
    numbers = re.findall(r'<span class="detail">(.*?)</span>', box.group(0))
    assert numbers == ["国科函规〔2019〕184号"]


def test_the_story_puts_every_dated_step_in_order(real_server: LiveServer) -> None:
    page = httpx.get(f"{real_server.url}/id/zone/shenzhen?lang=en", timeout=10).text
    story = re.search(r'<ol class="story">(.*?)</ol>', page, re.S)
    assert story is not None
    dates = re.findall(r'<time datetime="([^"]+)">', story.group(1))
    assert dates == sorted(dates)
    # the CCDR meeting it implements (19 March 2019), then its own approval date and its letter's
    assert dates[0] == "2019-03-19" and dates.count("2019-10-14") == 2


GUANGDONG_ZONES = [
    "Guangzhou National AI Innovation and Application Pilot Zone",
    "Guangzhou National New Generation AI Innovation and Development Pilot Zone",
    "Shenzhen AI Innovation and Application Pilot Zone",
    "Shenzhen National New Generation AI Innovation and Development Pilot Zone",
]
GUANGDONG_BASES = [
    "National AI Application Pilot Test Base (Consumption Field, Mobile Terminal Direction)",
    "National AI Application Pilot Test Base (Healthcare Field), Guangzhou",
]


def _listed(page: str, kind: str) -> tuple[int, list[str]]:
    heading = re.search(
        rf'<h3 id="in-{kind}">.*?\((\d+)\).*?</h3>\s*<ul class="members">(.*?)</ul>', page, re.S
    )
    assert heading is not None, f"no {kind} list"
    return int(heading.group(1)), [
        _text(li) for li in re.findall(r"<li>(.*?)</li>", heading.group(2), re.S)
    ]


def test_guangdongs_page_lists_its_four_zones_and_two_bases(real_server: LiveServer) -> None:
    page = httpx.get(f"{real_server.url}/id/region/guangdong?lang=en", timeout=10).text
    assert _listed(page, "zone") == (4, GUANGDONG_ZONES)
    assert _listed(page, "base") == (2, GUANGDONG_BASES)
    # ten policies concern Guangdong or a region in it, the Binhaiwan measures two levels down
    # (Binhaiwan New Area is part of Dongguan, part of Guangdong)
    count, policies = _listed(page, "policy")
    assert count == 10 and len(policies) == 10
    assert (
        "Measures for Supporting High-Quality Development of the AI Industry in Dongguan's "
        "Binhaiwan New Area" in policies
    )
    query = re.search(r'href="([^"]*/queries/region-contents\?region=[^"]+)"', page)
    assert query is not None
    answer = httpx.get(
        real_server.url + unescape(query.group(1)), headers={"Accept": "text/csv"}, timeout=10
    )
    assert answer.status_code == 200
    for name in GUANGDONG_ZONES + GUANGDONG_BASES:
        assert name in answer.text, f"the canned query the page links to lacks {name}"


@pytest.mark.parametrize("path", ["/id/zone/shenzhen", "/id/base/consumption-mobile-terminal"])
def test_a_designation_names_the_others_of_its_province(real_server: LiveServer, path: str) -> None:
    page = httpx.get(f"{real_server.url}{path}?lang=en", timeout=10).text
    section = re.search(r'<section class="neighbours">(.*?)</section>', page, re.S)
    assert section is not None
    text = _text(section.group(1))
    assert text.startswith("Also in Guangdong")
    others = [n for n in GUANGDONG_ZONES + GUANGDONG_BASES if n in text]
    assert len(others) == 5, "the other five designations of Guangdong, not itself"


def test_a_chinese_list_runs_in_pinyin_order(real_server: LiveServer) -> None:
    """重庆 (chong) before 上海 (shang) before 深圳 (shen): in code-point order 上 (U+4E0A) would
    come first and 重 (U+91CD) last."""
    page = httpx.get(f"{real_server.url}/id/region/?lang=zh", timeout=10).text
    names = [_text(a) for a in re.findall(r'<li><a href="[^"]*/id/region/[^"]*">(.*?)</a>', page)]
    wanted = [names.index(name) for name in ("北京市", "重庆市", "上海市", "深圳市")]
    assert wanted == sorted(wanted), names


def test_a_figures_infobox_reads_its_value_with_its_unit(real_server: LiveServer) -> None:
    # data/figures.ttl: Qingdao's 2018 GDP, schema:value 1200150000000.0 cur:CNY (EqualOcean:
    # "CNY 1,200.15 billion"), reference year 2018
    assert _infobox(real_server, "/id/figure/qingdao-gdp-2018", "zh")["数值"] == ["12,001.5亿元"]
    en = _infobox(real_server, "/id/figure/qingdao-gdp-2018", "en")
    assert en["value"] == ["CNY 1,200.15 billion"] and en["reference year"] == ["2018"]
