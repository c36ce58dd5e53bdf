"""Canned-query forms on the real server: pick a value, get a table a reader reads, a CSV a
spreadsheet opens, and one clear line for a value that names nothing or two things.

Expected rows are read from the fixture data (``tests/data/web/data``): Guangdong holds
region:shenzhen and region:guangzhou (regions.ttl); zone:shenzhen is located in Shenzhen
and base:healthcare-guangzhou in Guangzhou (zones.ttl, bases.ttl); nothing else in the
fixture is located in or concerns Guangdong or its cities. zone:jinan-qingdao is located
in Jinan and Qingdao, the one zone with two regions.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import httpx
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from support.web import LiveServer, built_source

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: live_server

HTML = {"Accept": "text/html"}
ID = "https://w3id.org/pilotkg/id/"
BOM = b"\xef\xbb\xbf"
IN_GUANGDONG = {"zone/shenzhen", "base/healthcare-guangzhou"}


def get(server: LiveServer, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(server.url + path, timeout=20, **kwargs)  # type: ignore[arg-type]


def options(page: str, name: str) -> list[tuple[str, str, bool]]:
    """The (value, text, selected) of each option the field ``name`` offers: a select's
    options show their text, a datalist's their ``label``."""
    box = re.search(rf'<(select|datalist) id="(?:param|values)-{name}"[^>]*>(.*?)</\1>', page, re.S)
    assert box is not None, f"no select or datalist for {name}"
    found = re.findall(
        r'<option value="([^"]*)"(?: label="([^"]*)")?( selected)?>([^<]*)</option>', box.group(2)
    )
    return [
        (unescape(value), unescape(label or text).strip(), bool(selected))
        for value, label, selected, text in found
    ]


def _text(cell: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def table(page: str) -> tuple[list[str], list[list[str]]]:
    """The result table's headings and its cells as text."""
    found = re.search(r'<table class="results readable">(.*?)</table>', page, re.S)
    assert found is not None, "no result table"
    headings = [_text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", found.group(1), re.S)]
    rows = [
        [_text(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", found.group(1).split("</thead>")[1], re.S)
    ]
    return headings, rows


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_page_without_its_required_value_is_the_form_with_the_example(
    live_server: LiveServer,
) -> None:
    response = get(live_server, "/queries/region-contents?lang=en", headers=HTML)
    assert response.status_code == 200, "a form to fill in, not an error"
    page = response.text
    assert '<form class="params"' in page and "This query needs region" in page
    assert '<table class="results' not in page
    picked = [value for value, _text, selected in options(page, "region") if selected]
    assert picked == ["region:guangdong"], "the example is filled in"
    assert 'href="/queries/region-contents?region=region%3Aguangdong&amp;lang=en"' in page
    chinese = get(live_server, "/queries/region-contents?lang=zh", headers=HTML).text
    assert "某一地区内的一切" in chinese and "此查询需要填写“地区”" in chinese
    plain = get(live_server, "/queries/region-contents")
    assert plain.status_code == 400 and plain.text.count("\n") == 1
    assert "needs region; for example: region=region:guangdong" in plain.text


def test_a_value_picked_from_the_select_runs_the_query(live_server: LiveServer) -> None:
    page = get(live_server, "/queries/region-contents?lang=en", headers=HTML).text
    offered = {text: value for value, text, _selected in options(page, "region")}
    assert len(offered) == 10, "the fixture's ten regions, few enough for a select"
    response = get(
        live_server,
        "/queries/region-contents",
        params={"region": offered["Guangdong"], "lang": "en"},
        headers=HTML,
    )
    assert response.status_code == 200
    headings, rows = table(response.text)
    assert headings == ["What", "Kind", "Where"], "the labels fold into the links"
    assert sorted(rows) == [
        [
            "National AI Application Pilot Test Base (Healthcare Field), Guangzhou",
            "AI application pilot test base",
            "Guangzhou",
        ],
        ["Shenzhen AI Innovation and Application Pilot Zone", "AI pilot zone", "Shenzhen"],
    ]
    assert '<a href="/id/zone/shenzhen?lang=en">' in response.text
    picked = [value for value, _text, selected in options(response.text, "region") if selected]
    assert picked == ["region:guangdong"], "the form keeps what was picked"


@pytest.mark.parametrize("value", ["region:guangdong", "guangdong", "Guangdong", "广东省"])
def test_a_prefixed_name_slug_or_label_gives_the_rows_of_the_full_iri(
    live_server: LiveServer, value: str
) -> None:
    full = get(
        live_server, "/queries/region-contents.csv", params={"region": ID + "region/guangdong"}
    )
    short = get(live_server, "/queries/region-contents.csv", params={"region": value})
    assert full.status_code == short.status_code == 200
    assert {r["thing"].removeprefix(ID) for r in csv_rows(full.content)} == IN_GUANGDONG
    assert short.content == full.content


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (
            "/queries/entity-sources?entity=shenzhen",
            "entity=shenzhen names more than one thing: region:shenzhen, zone:shenzhen",
        ),
        (
            "/queries/region-contents?region=guangdon",
            "region=guangdon is not an IRI, nor the prefixed name, slug or label of a value it "
            "takes; pick one from the list or write, for example, region:guangdong or guangdong.",
        ),
        (
            "/queries/region-contents?region=zone:shenzhen",
            "region=zone:shenzhen is not a value it takes in this graph",
        ),
        ("/queries/timeline?from=last%20year", "from=last year is not a date"),
    ],
)
def test_a_bad_value_is_the_form_again_with_one_line(
    live_server: LiveServer, path: str, words: str
) -> None:
    page = get(live_server, path + "&lang=en", headers=HTML)
    assert page.status_code == 400
    assert '<form class="params"' in page.text and '<table class="results' not in page.text
    messages = re.findall(r'<p class="message error" role="alert">(.*?)</p>', page.text, re.S)
    assert len(messages) == 1 and words in unescape(messages[0]) and "\n" not in messages[0]
    plain = get(live_server, path)
    assert plain.status_code == 400 and plain.text.count("\n") == 1 and words in plain.text


def test_a_bad_value_is_explained_in_chinese_on_a_chinese_page(live_server: LiveServer) -> None:
    page = get(live_server, "/queries/entity-sources?entity=shenzhen&lang=zh", headers=HTML)
    assert page.status_code == 400
    assert "entity=shenzhen 指向不止一个对象：region:shenzhen, zone:shenzhen" in page.text


def test_many_values_are_offered_as_type_ahead_in_both_languages(live_server: LiveServer) -> None:
    page = get(live_server, "/queries/entity-sources?lang=en", headers=HTML).text
    assert 'list="values-entity"' in page and '<select id="param-entity"' not in page
    offered = {value: text for value, text, _selected in options(page, "entity")}
    assert len(offered) > 12
    assert offered["zone:shenzhen"] == (
        "Shenzhen AI Innovation and Application Pilot Zone · 深圳人工智能创新应用先导区"
    )
    typed = get(
        live_server,
        "/queries/entity-sources.csv",
        params={"entity": "深圳人工智能创新应用先导区"},
    )
    assert typed.status_code == 200
    assert {r["source"].removeprefix(ID) for r in csv_rows(typed.content)} == {
        "source/equalocean-2019-10-19",  # zone:shenzhen's own sources in zones.ttl
        "source/workercn-2019-10-19",
        "source/miit-second-batch-notice-2021",  # and the two its batch statement cites
        "source/cabos-2021-02-20",
    }


def test_a_csv_starts_with_a_byte_order_mark_unless_asked_not_to(live_server: LiveServer) -> None:
    marked = get(live_server, "/queries/zones.csv")
    assert marked.status_code == 200 and marked.content.startswith(BOM + b"zone,label_en,")
    assert marked.headers["content-type"] == "text/csv; charset=utf-8"
    plain = get(live_server, "/queries/zones.csv?bom=0")
    assert plain.content == marked.content[len(BOM) :]
    accepted = get(live_server, "/queries/zones", headers={"Accept": "text/csv"})
    assert accepted.content == marked.content
    assert not get(live_server, "/queries/zones.tsv").content.startswith(BOM), "CSV only"
    wrong = get(live_server, "/queries/zones.csv?bom=yes")
    assert wrong.status_code == 400 and "bom=yes: write bom=1" in wrong.text
    page = get(live_server, "/queries/zones?lang=en", headers=HTML).text
    assert 'href="/queries/zones.csv?bom=0" type="text/csv">CSV without byte-order mark</a>' in page


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("zones", "csv"), ("zones", "json"), ("timeline", "csv"), ("timeline", "json")],
)
def test_the_server_and_the_cli_give_the_same_cells_in_the_same_order(
    live_server: LiveServer, name: str, fmt: str
) -> None:
    """Byte for byte: zones with its GROUP_CONCAT cells put in order, and timeline, which has
    none, its JSON passed on as the engine wrote it (not read and written again)."""
    served = get(live_server, f"/queries/{name}.{fmt}")
    cli = CliRunner().invoke(
        main, ["query", name, "--source", str(built_source()), "--format", fmt]
    )
    assert served.status_code == 200 and cli.exit_code == 0, cli.output
    assert served.content == cli.stdout_bytes
    if (name, fmt) == ("zones", "csv"):
        jinan_qingdao = next(
            r for r in csv_rows(served.content) if r["zone"] == ID + "zone/jinan-qingdao"
        )
        assert jinan_qingdao["regions"] == "Jinan; Qingdao"


def test_a_result_table_reads_as_words_in_the_readers_language(live_server: LiveServer) -> None:
    english = get(live_server, "/queries/zones?lang=en", headers=HTML).text
    headings, rows = table(english)
    assert headings[:4] == ["Pilot zone", "Programme", "Batch", "Regions"]
    assert not any(h.startswith("?") or "_" in h for h in headings)
    shenzhen = next(r for r in rows if r[0] == "Shenzhen AI Innovation and Application Pilot Zone")
    assert shenzhen[2] == "1" and "14 October 2019" in shenzhen
    assert [r[3] for r in rows if r[0].startswith("Jinan")] == ["Jinan; Qingdao"]
    body = english.split('<table class="results readable">')[1]
    assert "xsd:" not in body and "@en" not in body, "no datatype or language tags"
    chinese = get(live_server, "/queries/zones?lang=zh", headers=HTML).text
    headings, rows = table(chinese)
    assert headings[:4] == ["试点区", "计划", "批次", "所在地区"]
    assert "深圳人工智能创新应用先导区" in [r[0] for r in rows]
    assert "2019年10月14日" in next(r for r in rows if r[0] == "深圳人工智能创新应用先导区")


def test_words_a_query_writes_itself_read_in_the_readers_language(
    live_server: LiveServer,
) -> None:
    """The timeline's step is a word the query writes ("approved"), with its Chinese beside it
    (``step_zh of=step``): each reader reads their own, and the downloads keep both."""
    shenzhen = {
        "en": ("14 October 2019", "Shenzhen AI Innovation and Application Pilot Zone"),
        "zh": ("2019年10月14日", "深圳人工智能创新应用先导区"),
    }
    for lang, step in (("en", "approved"), ("zh", "批准")):
        page = get(live_server, f"/queries/timeline?lang={lang}", headers=HTML).text
        headings, rows = table(page)
        assert headings == (
            ["Date", "Step", "Designation", "Kind"]
            if lang == "en"
            else ["日期", "步骤", "试点", "类型"]
        ), "the Chinese column is read in the step's place, not beside it"
        assert [r[1] for r in rows if (r[0], r[2]) == shenzhen[lang]] == [step]
    downloaded = csv_rows(get(live_server, "/queries/timeline.csv").content)
    approved = [r for r in downloaded if r["designation"] == ID + "zone/shenzhen"]
    assert [(r["step"], r["step_zh"]) for r in approved] == [("approved", "批准")]


def test_the_list_of_queries_has_their_chinese_titles(live_server: LiveServer) -> None:
    chinese = get(live_server, "/queries/?lang=zh", headers=HTML).text
    assert ">某一地区内的一切</a>" in chinese and ">按计划和批次列出的人工智能试点区</a>" in chinese
    assert "地区" in chinese and "运行示例" in chinese
