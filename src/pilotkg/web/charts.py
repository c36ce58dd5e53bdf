"""Bar charts of the designations where counts say more than a list: how many zones and bases
each province has, and how many were designated each year.

Each bar is split by programme (the map's colours). A designation in two cities of one
province counts once for it; the year is that of its first dated step. The charts are drawn
as SVG on the server (``bars.svg``); the tables beside them on the page hold the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .i18n import translator
from .knowledge import Knowledge, TermView
from .pictures import Designation, Series, provinces_above, text_width, used_series

#: Font sizes are those the template's <style> sets (a <style> is static text, allowed by its
#: hash: security.inline_style_hashes), so the layout here measures what the browser draws.
WIDTH = 360.0
LABEL_PX = 12.0
ROW_PX = 22.0
BAR_PX = 14.0
TOP_PX = 6.0
#: Room right of the longest bar for its total.
TOTAL_PX = 28.0
#: A segment this wide or wider carries its own count.
COUNTED_PX = 14.0


@dataclass
class Segment:
    series: Series
    count: int
    x: float = 0.0
    width: float = 0.0


@dataclass
class Bar:
    label: str
    link: TermView | None
    segments: list[Segment]
    y: float = 0.0

    @property
    def total(self) -> int:
        return sum(s.count for s in self.segments)

    def count(self, css: str) -> int:
        return sum(s.count for s in self.segments if s.series.css == css)


@dataclass
class BarChart:
    name: str  # "provinces" or "years": the SVG's class and ids
    title: str
    heading: str  # what the bars' labels are, for the table's first column
    series: list[Series]
    bars: list[Bar]
    left: float = 0.0  # where the bars start
    width: float = WIDTH
    height: float = 0.0
    bar_px: float = BAR_PX
    counted_px: float = COUNTED_PX
    uncounted: list[Designation] = field(default_factory=list)


def _bar(
    label: str, link: TermView | None, members: list[Designation], series: list[Series]
) -> Bar:
    counts = Counter(d.series.css for d in members)
    return Bar(label, link, [Segment(s, counts[s.css]) for s in series if counts[s.css]])


def _laid_out(chart: BarChart) -> BarChart:
    """Positions: the labels' column as wide as the longest label, bars scaled to the largest."""
    chart.left = max((text_width(b.label, LABEL_PX) for b in chart.bars), default=0) + 8
    largest = max((b.total for b in chart.bars), default=1) or 1
    unit = (chart.width - chart.left - TOTAL_PX) / largest
    for index, bar in enumerate(chart.bars):
        bar.y = TOP_PX + index * ROW_PX
        x = chart.left
        for segment in bar.segments:
            segment.x, segment.width = x, segment.count * unit
            x += segment.width
    chart.height = TOP_PX * 2 + len(chart.bars) * ROW_PX
    return chart


def per_province(knowledge: Knowledge, found: list[Designation], lang: str) -> BarChart:
    """Zones and bases per provincial-level division, most first."""
    _ = translator(lang)
    members: dict[str, list[Designation]] = {}
    uncounted = []
    for designation in found:
        provinces = {p for r in designation.regions for p in provinces_above(knowledge, r.value)}
        if not provinces:
            uncounted.append(designation)
        for province in provinces:
            members.setdefault(province, []).append(designation)
    series = used_series(found)
    bars = [
        _bar(knowledge.label(iri, lang), knowledge.view_iri(iri, lang), group, series)
        for iri, group in members.items()
    ]
    bars.sort(key=lambda b: (-b.total, *(-b.count(s.css) for s in series), b.label))
    chart = BarChart(
        "provinces",
        _("Pilot zones and pilot test bases per province, by programme"),
        _("Province"),
        series,
        bars,
        uncounted=uncounted,
    )
    return _laid_out(chart)


def per_year(found: list[Designation], lang: str) -> BarChart:
    """Designations per year of their first dated step, every year in the range shown."""
    _ = translator(lang)
    dated = [d for d in found if d.first is not None]
    years: dict[int, list[Designation]] = {}
    for designation in dated:
        assert designation.first is not None
        years.setdefault(int(designation.first.start), []).append(designation)
    series = used_series(found)
    span = range(min(years), max(years) + 1) if years else range(0)
    bars = [_bar(str(year), None, years.get(year, []), series) for year in span]
    chart = BarChart(
        "years",
        _("Pilot zones and pilot test bases per year of their first dated step, by programme"),
        _("Year"),
        series,
        bars,
        uncounted=[d for d in found if d.first is None],
    )
    return _laid_out(chart)
