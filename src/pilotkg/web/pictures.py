"""The home page's map of zones and bases and its timeline, drawn on the server as SVG.

The data holds no coordinates, and coordinates are facts that need a source, so
the map is schematic: each provincial-level division is a square tile at its
conventional position on a tile-grid map of China (the layout below is a
drawing convention, not a fact about the data). A zone or base sits in the
tile of the province found by following ``pilot:locatedIn`` and then
``pilot:partOf`` until a region of ``pilot:ProvincialLevel``. The timeline puts
each designation or launch at its date with the precision the source gave: a
day is a point, a month or a year a bar as long as that month or year.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import deque
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import ID, PILOT
from .knowledge import Knowledge, TermView

#: slug → (column, row, Chinese short name, English short name). Conventional tile-grid layout.
PROVINCE_TILES: dict[str, tuple[int, int, str, str]] = {
    "heilongjiang": (8, 0, "黑龙江", "Heilongjiang"),
    "jilin": (8, 1, "吉林", "Jilin"),
    "xinjiang": (1, 2, "新疆", "Xinjiang"),
    "inner-mongolia": (5, 2, "内蒙古", "Inner Mongolia"),
    "beijing": (6, 2, "北京", "Beijing"),
    "liaoning": (7, 2, "辽宁", "Liaoning"),
    "qinghai": (2, 3, "青海", "Qinghai"),
    "gansu": (3, 3, "甘肃", "Gansu"),
    "ningxia": (4, 3, "宁夏", "Ningxia"),
    "shanxi": (5, 3, "山西", "Shanxi"),
    "hebei": (6, 3, "河北", "Hebei"),
    "tianjin": (7, 3, "天津", "Tianjin"),
    "tibet": (2, 4, "西藏", "Tibet"),
    "shaanxi": (4, 4, "陕西", "Shaanxi"),
    "henan": (5, 4, "河南", "Henan"),
    "shandong": (6, 4, "山东", "Shandong"),
    "sichuan": (3, 5, "四川", "Sichuan"),
    "chongqing": (4, 5, "重庆", "Chongqing"),
    "hubei": (5, 5, "湖北", "Hubei"),
    "anhui": (6, 5, "安徽", "Anhui"),
    "jiangsu": (7, 5, "江苏", "Jiangsu"),
    "shanghai": (8, 5, "上海", "Shanghai"),
    "yunnan": (3, 6, "云南", "Yunnan"),
    "guizhou": (4, 6, "贵州", "Guizhou"),
    "hunan": (5, 6, "湖南", "Hunan"),
    "jiangxi": (6, 6, "江西", "Jiangxi"),
    "zhejiang": (7, 6, "浙江", "Zhejiang"),
    "guangxi": (4, 7, "广西", "Guangxi"),
    "guangdong": (5, 7, "广东", "Guangdong"),
    "fujian": (6, 7, "福建", "Fujian"),
    "taiwan": (7, 7, "台湾", "Taiwan"),
    "hainan": (4, 8, "海南", "Hainan"),
    "macao": (5, 8, "澳门", "Macao"),
    "hong-kong": (6, 8, "香港", "Hong Kong"),
}
TILE_PX = 76
GAP_PX = 4
MARKER_PX = 11
MARKERS_PER_ROW = 5
MAX_MARKERS_PER_TILE = 15

#: The kinds of thing placed on the map and the timeline, with their marker style.
PLACED_KINDS = {PILOT + "PilotZone": "zone", PILOT + "PilotTestBase": "base"}
#: Date properties shown on the timeline, and what they mark.
TIMELINE_PREDICATES = {
    PILOT + "approvalDate": "designation",
    PILOT + "announcementDate": "designation",
    PILOT + "launchDate": "launch",
    PILOT + "constructionStartDate": "launch",
}


@dataclass
class Marker:
    thing: TermView
    kind: str  # "zone" or "base"
    x: float = 0.0
    y: float = 0.0


@dataclass
class Tile:
    slug: str
    column: int
    row: int
    name: str
    english: str
    region: TermView | None = None
    markers: list[Marker] = field(default_factory=list)
    hidden: int = 0

    @property
    def x(self) -> int:
        return self.column * (TILE_PX + GAP_PX)

    @property
    def y(self) -> int:
        return self.row * (TILE_PX + GAP_PX)


@dataclass
class ChinaMap:
    tiles: list[Tile]
    unplaced: list[Marker]
    width: int
    height: int
    marker_px: int = MARKER_PX
    tile_px: int = TILE_PX


def provinces_of(knowledge: Knowledge, iri: str) -> set[str]:
    """The provincial-level regions ``iri`` is in: locatedIn, then partOf to any depth."""
    provincial = ox.NamedNode(PILOT + "ProvincialLevel")
    queue = deque(
        o.value for o in knowledge.objects(iri, PILOT + "locatedIn") if isinstance(o, ox.NamedNode)
    )
    seen: set[str] = set()
    found: set[str] = set()
    while queue:
        region = queue.popleft()
        if region in seen:
            continue
        seen.add(region)
        if provincial in knowledge.objects(region, PILOT + "administrativeLevel"):
            found.add(region)
            continue
        queue.extend(
            o.value
            for o in knowledge.objects(region, PILOT + "partOf")
            if isinstance(o, ox.NamedNode)
        )
    return found


def _tile_for(knowledge: Knowledge, region: str, tiles: dict[str, Tile]) -> Tile | None:
    """The tile of a provincial region: by slug, else by its Chinese or English name."""
    slug = region[len(ID + "region/") :] if region.startswith(ID + "region/") else ""
    if slug in tiles:
        return tiles[slug]
    names = knowledge.labels.get(region, {})
    for tile in tiles.values():
        if names.get("zh", "").startswith(tile.name) or names.get("en", "").startswith(
            tile.english
        ):
            return tile
    return None


def china_map(knowledge: Knowledge, lang: str) -> ChinaMap:
    """Zones and bases placed in their provinces' tiles."""
    tiles = {slug: Tile(slug, c, r, zh, en) for slug, (c, r, zh, en) in PROVINCE_TILES.items()}
    unplaced: list[Marker] = []
    for cls, kind in PLACED_KINDS.items():
        for iri in knowledge.subjects_of_type(cls):
            marker = Marker(knowledge.view(ox.NamedNode(iri), lang), kind)
            placed = False
            for region in sorted(provinces_of(knowledge, iri)):
                tile = _tile_for(knowledge, region, tiles)
                if tile is not None:
                    tile.region = knowledge.view(ox.NamedNode(region), lang)
                    tile.markers.append(Marker(marker.thing, kind))
                    placed = True
            if not placed:
                unplaced.append(marker)
    for tile in tiles.values():
        tile.markers.sort(key=lambda m: (m.kind != "zone", m.thing.text))
        tile.hidden = max(0, len(tile.markers) - MAX_MARKERS_PER_TILE)
        tile.markers = tile.markers[:MAX_MARKERS_PER_TILE]
        for index, marker in enumerate(tile.markers):
            marker.x = tile.x + 6 + (index % MARKERS_PER_ROW) * (MARKER_PX + 3)
            marker.y = tile.y + 34 + (index // MARKERS_PER_ROW) * (MARKER_PX + 3)
    columns = 1 + max(c for c, _r, _zh, _en in PROVINCE_TILES.values())
    rows = 1 + max(r for _c, r, _zh, _en in PROVINCE_TILES.values())
    return ChinaMap(
        tiles=sorted(tiles.values(), key=lambda t: (t.row, t.column)),
        unplaced=sorted(unplaced, key=lambda m: m.thing.text),
        width=columns * (TILE_PX + GAP_PX),
        height=rows * (TILE_PX + GAP_PX),
    )


# --- the timeline ------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
TIMELINE_WIDTH_PX = 920
LANE_PX = 20
LEFT_PX = 10
TOP_PX = 10
AXIS_PX = 26
MAX_LABEL_CHARS = 26


def date_span(value: str) -> tuple[float, float] | None:
    """A date at its own precision as (start, end) in fractional years; None if unreadable.

    >>> date_span("2025")
    (2025.0, 2026.0)
    >>> date_span("2025-07")
    (2025.5, 2025.5833333333333)
    """
    match = _DATE.match(value)
    if not match:
        return None
    year = int(match[1])
    if match[2] is None:
        return float(year), float(year + 1)
    month = int(match[2])
    if not 1 <= month <= 12:
        return None
    if match[3] is None:
        return year + (month - 1) / 12, year + month / 12
    days = 366 if calendar.isleap(year) else 365
    day_of_year = sum(calendar.monthrange(year, m)[1] for m in range(1, month)) + int(match[3]) - 1
    point = year + day_of_year / days
    return point, point


@dataclass
class Event:
    thing: TermView
    kind: str  # "designation" or "launch"
    what: str  # the date property's label
    date: str
    start: float
    end: float
    x: float = 0.0
    x_end: float = 0.0
    y: float = 0.0
    caption: str = ""
    anchor: str = "start"


@dataclass
class Timeline:
    events: list[Event]
    years: list[tuple[int, float, float]]  # (year, x of its start, x of its middle)
    width: int
    height: int
    axis_y: int
    end_x: float = 0.0


def _text_width(text: str) -> int:
    return sum(12 if ord(ch) > 0x2E7F else 7 for ch in text)


def timeline(knowledge: Knowledge, lang: str) -> Timeline:
    """Designations and launches of zones and bases, in lanes so that labels do not overlap."""
    events: list[Event] = []
    for cls in PLACED_KINDS:
        for iri in knowledge.subjects_of_type(cls):
            thing = knowledge.view(ox.NamedNode(iri), lang)
            for predicate, kind in TIMELINE_PREDICATES.items():
                for value in knowledge.objects(iri, predicate):
                    span = date_span(value.value) if isinstance(value, ox.Literal) else None
                    if span is not None:
                        what = knowledge.label(predicate, lang)
                        events.append(Event(thing, kind, what, value.value, *span))
    if not events:
        return Timeline([], [], TIMELINE_WIDTH_PX, 0, 0)
    events.sort(key=lambda e: (e.start, e.thing.text))
    first = int(min(e.start for e in events))
    last = max(first + 1, math.ceil(max(e.end for e in events)))
    span_px = TIMELINE_WIDTH_PX - 2 * LEFT_PX

    def x_of(t: float) -> float:
        return LEFT_PX + (t - first) / (last - first) * span_px

    lane_ends: list[float] = []
    for event in events:
        event.x, event.x_end = x_of(event.start), max(x_of(event.end), x_of(event.start))
        text = event.thing.text
        event.caption = text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
        left, right = event.x, event.x_end + 8 + _text_width(event.caption)
        if right > TIMELINE_WIDTH_PX:  # no room on the right: write the caption to the left
            event.anchor = "end"
            left, right = event.x - 8 - _text_width(event.caption), event.x_end + 8
        for lane, end in enumerate(lane_ends):
            if end < left - 2:
                lane_ends[lane] = right
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(right)
        event.y = TOP_PX + lane * LANE_PX + LANE_PX / 2
    axis_y = TOP_PX + len(lane_ends) * LANE_PX + 6
    years = [(year, x_of(year), x_of(year + 0.5)) for year in range(first, last)]
    return Timeline(events, years, TIMELINE_WIDTH_PX, axis_y + AXIS_PX, axis_y, x_of(last))
