"""The home page's timeline: one row per zone or base, its dated steps on that row.

A step is drawn at its date with the precision the source gave: a day is a point, a month or
a year a bar as long as that month or year, with the step's mark in its middle. Each row is
labelled with the designation's number (the map's) and its whole name, wrapped, never cut.

Two layouts of the same rows: ``wide`` puts the names in a column left of the years, for a
desktop; ``narrow`` puts each name above its row of years, for a phone, where a column would
leave the years no room. The page shows the one that fits (style.css); ``/timeline.svg``
serves the wide one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .i18n import translator
from .pictures import Designation, Step, text_width, wrap

#: Font sizes are those the template's <style> sets (a <style> is static text, allowed by its
#: hash: security.inline_style_hashes), so the layout here measures what the browser draws.
NAME_PX = 13.0
LINE_PX = 16.0
CAPTION_PX = 11.0
BADGE_R = 8.0
AXIS_PX = 22.0
#: Steps closer than this on a row are set one above the other (a mark is about 13 wide).
CLOSE_PX = 12.0
LAYOUTS = {
    #: width, where the names start, how wide they may be, where the years start and end
    "wide": (960.0, 22.0, 380.0, 420.0, 950.0),
    "narrow": (360.0, 22.0, 334.0, 8.0, 352.0),
}


@dataclass
class Mark:
    step: Step
    x: float  # where the step is (the middle of its month or year)
    start: float  # the span of its month or year, if it has one
    end: float
    y: float = 0.0  # the row's line, or a little above or below it beside a step as close


@dataclass
class Row:
    designation: Designation
    top: float
    height: float
    lines: list[str]
    text_y: float  # the first line's baseline
    lane_y: float
    marks: list[Mark] = field(default_factory=list)
    caption: str = ""  # the steps' dates, in words, beside them
    caption_x: float = 0.0
    caption_anchor: str = "start"


@dataclass
class Timeline:
    layout: str
    rows: list[Row]
    undated: list[Designation]
    years: list[tuple[int, float, float]]  # (year, x of its start, x of its middle)
    end_x: float  # x of the end of the last year
    width: float
    height: float
    top_axis: float  # baseline of the years written above the rows
    bottom_axis: float  # and below them
    text_x: float
    title: str
    line_px: float = LINE_PX
    badge_r: float = BADGE_R


def _spread(marks: list[Mark]) -> int:
    """Marks of steps that fall within a few days of each other, one above the other (their
    ``y`` set as offsets from the row's line); how many are stacked at most."""
    clusters: list[list[Mark]] = []
    for mark in sorted(marks, key=lambda m: m.x):
        if clusters and mark.x - clusters[-1][-1].x < CLOSE_PX:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    for cluster in clusters:
        for index, mark in enumerate(cluster):
            mark.y = (index - (len(cluster) - 1) / 2) * CLOSE_PX
    return max((len(c) for c in clusters), default=0)


def _caption(row: Row, right: float) -> None:
    """The steps' dates beside their marks: right of them, or left where the row ends."""
    shown = list(dict.fromkeys(m.step.date.shown for m in row.marks))
    row.caption = " · ".join(shown)
    width = text_width(row.caption, CAPTION_PX)
    last = max(max(m.x, m.end) for m in row.marks)
    if last + 10 + width <= right:
        row.caption_x = last + 10
    else:
        row.caption_x, row.caption_anchor = min(min(m.x, m.start) for m in row.marks) - 10, "end"


def timeline(found: list[Designation], lang: str, layout: str = "wide") -> Timeline:
    """The dated designations in rows, in the order of their numbers (their first step)."""
    _ = translator(lang)
    width, text_x, name_width, lane_x0, lane_x1 = LAYOUTS[layout]
    dated = [d for d in found if d.steps]
    title = _(
        "Timeline of the pilot zones and pilot test bases: one row each, with its dated steps"
    )
    if not dated:
        return Timeline(layout, [], found, [], 0, width, 0, 0, 0, text_x, title)
    first = math.floor(min(s.start for d in dated for s in d.steps))
    last = max(first + 1, math.ceil(max(s.end for d in dated for s in d.steps)))

    def x_of(t: float) -> float:
        return lane_x0 + (t - first) / (last - first) * (lane_x1 - lane_x0)

    rows: list[Row] = []
    y = AXIS_PX + 4
    for designation in dated:
        lines = wrap(designation.thing.text, name_width, NAME_PX)
        text_height = len(lines) * LINE_PX
        marks = [
            Mark(step, (x_of(step.start) + x_of(step.end)) / 2, x_of(step.start), x_of(step.end))
            for step in designation.steps
        ]
        stacked = _spread(marks)  # marks' offsets from the row's line
        if layout == "wide":
            height = max(text_height, 2 * BADGE_R, stacked * CLOSE_PX) + 8
            lane_y = y + height / 2
            text_y = y + (height - text_height) / 2 + LINE_PX * 0.78
        else:
            height = text_height + 18 + max(12, stacked * CLOSE_PX)
            text_y = y + 4 + LINE_PX * 0.78
            lane_y = y + 4 + text_height + 6 + max(12, stacked * CLOSE_PX) / 2
        for mark in marks:
            mark.y += lane_y
        row = Row(designation, y, height, lines, text_y, lane_y, marks)
        _caption(row, lane_x1)
        rows.append(row)
        y += height
    years = [(year, x_of(year), x_of(year + 0.5)) for year in range(first, last)]
    return Timeline(
        layout=layout,
        rows=rows,
        undated=[d for d in found if not d.steps],
        years=years,
        end_x=x_of(last),
        width=width,
        height=y + AXIS_PX + 4,
        top_axis=AXIS_PX - 6,
        bottom_axis=y + AXIS_PX - 4,
        text_x=text_x,
        title=title,
    )
