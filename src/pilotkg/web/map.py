"""The home page's map: China's provinces as the boundary data draws them, and each zone and
base as a numbered badge at the city or province the graph places it in.

A designation is placed by following ``pilot:locatedIn`` and then ``pilot:partOf`` to the
first region the boundary data has an outline for, found by its Chinese label within its
province (``深圳市`` in ``广东省``; a county such as 浦东新区 goes up to 上海市); the dot is the
point inside that outline farthest from its edges (``geography``), never an invented
coordinate. Designations with no such region are listed beside the map instead.

Labels are always visible (a touch screen has no hover): each place gets one label, its name
and its designations' numbers, set where it overlaps no other label or dot, tried nearest
first in several directions, with a leader line back to its dot when it had to move away.
The map is framed on the places (China's east), not on the whole country.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..namespaces import PILOT
from .geography import Outlines, Province, outlines
from .i18n import translator
from .knowledge import Knowledge, TermView
from .pictures import Designation, level, provinces_above, text_width

#: Font sizes are those the template's <style> sets (a <style> is static text, allowed by its
#: hash: security.inline_style_hashes), so the layout here measures what the browser draws.
NAME_PX = 14.0  # a place's name
BADGE_R = 9.0  # a designation's numbered badge
BADGE_GAP = 3.0
BADGES_PER_ROW = 6
PAD = 3.0  # inside a label's box
DOT_R = 3.5
PROVINCE_PX = 11.0
#: How far a label may go from its dot, nearest first (map units), and in which directions.
RADII = (DOT_R + 3, 12.0, 24.0, 40.0, 60.0, 84.0, 112.0, 145.0)
DIRECTIONS = tuple(
    (math.cos(math.radians(a)), -math.sin(math.radians(a)))
    for a in (0, 180, 30, -30, 150, -150, 90, -90, 60, -60, 120, -120, 15, -15, 165, -165)
)
#: Room around the dots where labels may go (the sea to the east takes many).
ROOM_X, ROOM_Y = 170.0, 70.0
MARGIN = 12.0
MIN_WIDTH = 640.0
SCALE_KM = 500

Box = tuple[float, float, float, float]  # x, y, width, height


@dataclass
class Badge:
    designation: Designation
    x: float  # centre
    y: float


@dataclass
class Place:
    """A city or province with designations: its dot and its label."""

    region: TermView
    key: str
    x: float
    y: float
    designations: list[Designation]
    box: Box = (0.0, 0.0, 0.0, 0.0)
    name_x: float = 0.0
    name_y: float = 0.0
    badges: list[Badge] = field(default_factory=list)
    leader: tuple[float, float, float, float] | None = None

    @property
    def size(self) -> tuple[float, float]:
        rows = max(1, math.ceil(len(self.designations) / BADGES_PER_ROW))
        in_row = min(len(self.designations), BADGES_PER_ROW)
        width = (
            2 * PAD + text_width(self.region.text, NAME_PX) + 5 + in_row * (2 * BADGE_R + BADGE_GAP)
        )
        return width - BADGE_GAP, 2 * PAD + rows * 2 * BADGE_R + (rows - 1) * BADGE_GAP


@dataclass
class ProvinceShape:
    province: Province
    region: TermView | None  # the graph's region for it, when the graph has one
    has: bool  # a designation is placed in it
    label: tuple[float, float] | None = None  # where its name is written, if it fits


@dataclass
class ChinaMap:
    frame: Box
    provinces: list[ProvinceShape]
    places: list[Place]
    unplaced: list[Designation]
    title: str
    scale: tuple[float, float, float, str]  # x, y, length in map units, its label
    badge_r: float = BADGE_R
    dot_r: float = DOT_R


def locate(
    knowledge: Knowledge, region: str, places: dict[str, tuple[float, float]]
) -> tuple[str, str] | None:
    """The region drawn for ``region`` (itself or the nearest region above it that the
    boundary data has) and its key in ``places``; None above a province."""
    for here in knowledge.regions_above(region):
        if level(knowledge, here) == PILOT + "Country":
            continue
        name = knowledge.labels.get(here, {}).get("zh")
        if name:
            provinces = provinces_above(knowledge, here)
            keys = (
                [name]
                if here in provinces
                else [f"{knowledge.labels.get(p, {}).get('zh')}/{name}" for p in provinces]
            )
            for key in keys:
                if key in places:
                    return here, key
    return None


# --- labels -------------------------------------------------------------------------------


def _overlaps(a: Box, b: Box, margin: float = 2.0) -> bool:
    return (
        a[0] < b[0] + b[2] + margin
        and b[0] < a[0] + a[2] + margin
        and a[1] < b[1] + b[3] + margin
        and b[1] < a[1] + a[3] + margin
    )


def _crosses(x1: float, y1: float, x2: float, y2: float, box: Box) -> bool:
    """Whether the segment passes through ``box`` (Liang–Barsky clipping)."""
    low, high = 0.0, 1.0
    dx, dy = x2 - x1, y2 - y1
    for p, q in (
        (-dx, x1 - box[0]),
        (dx, box[0] + box[2] - x1),
        (-dy, y1 - box[1]),
        (dy, box[1] + box[3] - y1),
    ):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
    return True


def _nearest_point(x: float, y: float, box: Box) -> tuple[float, float]:
    return min(max(x, box[0]), box[0] + box[2]), min(max(y, box[1]), box[1] + box[3])


def _dot_box(place: Place) -> Box:
    return (place.x - DOT_R - 1, place.y - DOT_R - 1, 2 * DOT_R + 2, 2 * DOT_R + 2)


def place_labels(places: list[Place], room: Box) -> None:
    """Sets each place's label box, nearest free spot first; the most crowded places first,
    so that the places with the fewest choices choose before the others fill them."""
    dots = {id(p): _dot_box(p) for p in places}

    def crowding(place: Place) -> tuple[int, float]:
        near = sum(
            1 for o in places if o is not place and math.dist((o.x, o.y), (place.x, place.y)) < 90
        )
        return -near, -place.size[0]

    taken: list[Box] = []
    leaders: list[tuple[float, float, float, float]] = []
    for place in sorted(places, key=crowding):
        width, height = place.size
        chosen: Box | None = None
        for radius in RADII:
            for dx, dy in DIRECTIONS:
                cx = place.x + dx * (radius + width / 2)
                cy = place.y + dy * (radius + height / 2)
                box = (cx - width / 2, cy - height / 2, width, height)
                if not (room[0] <= box[0] and box[0] + width <= room[0] + room[2]):
                    continue
                if not (room[1] <= box[1] and box[1] + height <= room[1] + room[3]):
                    continue
                if any(_overlaps(box, other) for other in taken):
                    continue
                if any(_overlaps(box, dot, 1.0) for key, dot in dots.items() if key != id(place)):
                    continue
                nx, ny = _nearest_point(place.x, place.y, box)
                if radius > RADII[0] and (
                    any(_crosses(place.x, place.y, nx, ny, other) for other in taken)
                    or any(_segments_cross((place.x, place.y, nx, ny), line) for line in leaders)
                    or any(
                        _crosses(place.x, place.y, nx, ny, dot)
                        for key, dot in dots.items()
                        if key != id(place)
                    )
                ):
                    continue
                chosen = box
                break
            if chosen is not None:
                break
        if chosen is None:  # nowhere free: next to the dot, overlapping (never dropped)
            chosen = (place.x + DOT_R + 2, place.y - height / 2, width, height)
        place.box = chosen
        taken.append(chosen)
        nx, ny = _nearest_point(place.x, place.y, chosen)
        if math.dist((nx, ny), (place.x, place.y)) > DOT_R + 6:
            place.leader = (place.x, place.y, nx, ny)
            leaders.append(place.leader)
        _fill_label(place)


def _segments_cross(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> bool:
    def side(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    d1 = side(b[0], b[1], b[2], b[3], a[0], a[1])
    d2 = side(b[0], b[1], b[2], b[3], a[2], a[3])
    d3 = side(a[0], a[1], a[2], a[3], b[0], b[1])
    d4 = side(a[0], a[1], a[2], a[3], b[2], b[3])
    return d1 * d2 < 0 and d3 * d4 < 0


def _fill_label(place: Place) -> None:
    """The name and the badges inside the label's box."""
    x, y, _w, _h = place.box
    place.name_x = x + PAD
    place.name_y = y + PAD + BADGE_R + NAME_PX * 0.36
    first = x + PAD + text_width(place.region.text, NAME_PX) + 5 + BADGE_R
    for index, designation in enumerate(place.designations):
        row, column = divmod(index, BADGES_PER_ROW)
        place.badges.append(
            Badge(
                designation,
                first + column * (2 * BADGE_R + BADGE_GAP),
                y + PAD + BADGE_R + row * (2 * BADGE_R + BADGE_GAP),
            )
        )


# --- the map ------------------------------------------------------------------------------


def china_map(knowledge: Knowledge, found: list[Designation], lang: str) -> ChinaMap:
    """The designations placed at their cities or provinces on China's outlines."""
    _ = translator(lang)
    shapes = outlines()
    places: dict[str, Place] = {}
    unplaced: list[Designation] = []
    for designation in found:
        located = [locate(knowledge, r.value, shapes.places) for r in designation.regions]
        keys = {hit[1]: hit[0] for hit in located if hit is not None}
        if not keys:
            unplaced.append(designation)
        for key, region in sorted(keys.items()):
            if key not in places:
                x, y = shapes.places[key]
                places[key] = Place(knowledge.view_iri(region, lang), key, x, y, [])
            places[key].designations.append(designation)
    for place in places.values():
        place.designations.sort(key=lambda d: d.number)
    drawn = sorted(places.values(), key=lambda p: p.key)
    if drawn:
        xs, ys = [p.x for p in drawn], [p.y for p in drawn]
        room = (
            min(xs) - ROOM_X,
            min(ys) - ROOM_Y,
            max(xs) - min(xs) + 2 * ROOM_X,
            max(ys) - min(ys) + 2 * ROOM_Y,
        )
    else:
        room = _extent(shapes)
    place_labels(drawn, room)
    frame = _frame(drawn, room)
    provinces = _province_shapes(knowledge, shapes, drawn, lang, frame)
    length = SCALE_KM / shapes.unit_km
    scale = (frame[0] + MARGIN, frame[1] + frame[3] - MARGIN, length, _("{km} km", km=SCALE_KM))
    return ChinaMap(
        frame=frame,
        provinces=provinces,
        places=drawn,
        unplaced=unplaced,
        title=_("Map of China's provinces with the pilot zones and pilot test bases in each city"),
        scale=scale,
    )


def _extent(shapes: Outlines) -> Box:
    xs = [x for x, _y in shapes.places.values()]
    ys = [y for _x, y in shapes.places.values()]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _frame(drawn: list[Place], room: Box) -> Box:
    """What the map shows: the dots and labels with a margin, and room for the scale bar; at
    least MIN_WIDTH wide, so that a few places close together still show their surroundings."""
    if not drawn:
        return room
    left = min(min(p.x, p.box[0]) for p in drawn) - MARGIN
    top = min(min(p.y, p.box[1]) for p in drawn) - MARGIN
    right = max(max(p.x, p.box[0] + p.box[2]) for p in drawn) + MARGIN
    bottom = max(max(p.y, p.box[1] + p.box[3]) for p in drawn) + MARGIN + 24
    widen = max(0.0, MIN_WIDTH - (right - left)) / 2
    left, right = left - widen, right + widen
    return round(left), round(top), round(right - left), round(bottom - top)


def _province_shapes(
    knowledge: Knowledge, shapes: Outlines, drawn: list[Place], lang: str, frame: Box
) -> list[ProvinceShape]:
    """Every province of the boundary data, with the graph's region for it and, where it
    fits among the places' labels, its name (only provinces the graph names are named)."""
    regions = {
        knowledge.labels.get(iri, {}).get("zh", ""): iri
        for iri in knowledge.subjects_of_type(PILOT + "Region")
        if level(knowledge, iri) == PILOT + "ProvincialLevel"
    }
    taken = [p.box for p in drawn] + [_dot_box(p) for p in drawn]
    named_places = {p.key for p in drawn}
    result = []
    for province in shapes.provinces:
        iri = regions.get(province.name)
        region = knowledge.view_iri(iri, lang) if iri else None
        has = any(p.key.split("/")[0] == province.name for p in drawn)
        shape = ProvinceShape(province, region, has)
        if region is not None and province.name not in named_places:
            x, y = shapes.places[province.name]
            width = text_width(region.text, PROVINCE_PX)
            box = (x - width / 2, y - PROVINCE_PX, width, PROVINCE_PX * 1.3)
            inside = (
                frame[0] <= box[0]
                and box[0] + width <= frame[0] + frame[2]
                and frame[1] <= box[1]
                and box[1] + box[3] <= frame[1] + frame[3]
            )
            if inside and not any(_overlaps(box, other) for other in taken):
                shape.label = (x, y)
                taken.append(box)
        result.append(shape)
    return result
