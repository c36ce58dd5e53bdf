"""What the home page's pictures show, read once from the graph: the designations (zones and
bases) with their programme, where they are and their dated steps; and how long a label is.

The map (``china_map``), the timeline (``timeline``) and the bar charts (``charts``) each lay
these out on their own; this module holds what they share, so that a designation carries the
same number on the map, on the timeline and in the tables beside them, in both languages.
Numbers follow the first dated step (then the IRI), which is a fact of the data rather than
of a language's alphabetical order.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import PILOT
from .knowledge import Knowledge, TermView

#: The kinds of designation the pictures show, zones first, with the shape of their marker.
PLACED_KINDS = {PILOT + "PilotZone": "zone", PILOT + "PilotTestBase": "base"}
#: The dated steps of a designation, in the order they usually happen, with a short key
#: (its marker's shape on the timeline).
STEP_PREDICATES = {
    PILOT + "approvalDate": "approval",
    PILOT + "announcementDate": "announcement",
    PILOT + "constructionStartDate": "construction",
    PILOT + "launchDate": "launch",
}
#: How many series the style sheets colour (``series-1`` …); more programmes reuse them.
SERIES_COLOURS = 4

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def date_span(value: str) -> tuple[float, float] | None:
    """A date at its own precision as (start, end) in fractional years; None if unreadable.

    >>> date_span("2025")
    (2025.0, 2026.0)
    >>> date_span("2025-07")
    (2025.5, 2025.5833333333333)
    >>> date_span("2025-13") is None
    True
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


@dataclass(frozen=True)
class Step:
    """One dated step of a designation (approved, announced, construction started, launched)."""

    key: str  # a STEP_PREDICATES value
    what: TermView  # the date property, labelled
    date: TermView  # the literal: its lexical form, and ``shown`` in the reader's language
    start: float
    end: float


@dataclass(frozen=True)
class Series:
    """A programme as the pictures colour it."""

    programme: TermView | None
    css: str  # "series-1" …
    shape: str  # "zone" (a circle) or "base" (a square)


@dataclass
class Designation:
    """A zone or base with what the pictures need of it."""

    number: int
    thing: TermView
    series: Series
    regions: list[TermView]  # where it is (pilot:locatedIn)
    steps: list[Step] = field(default_factory=list)

    @property
    def first(self) -> Step | None:
        return self.steps[0] if self.steps else None


def provinces_above(knowledge: Knowledge, region: str) -> list[str]:
    """The provincial-level regions that are ``region`` or that it is ``pilot:partOf``, at any
    depth (a city's province; a county's, through its city)."""
    return sorted(
        here
        for here in knowledge.regions_above(region)
        if level(knowledge, here) == PILOT + "ProvincialLevel"
    )


def level(knowledge: Knowledge, region: str) -> str:
    """The region's ``pilot:administrativeLevel`` IRI, or ''."""
    levels = knowledge.objects(region, PILOT + "administrativeLevel")
    return levels[0].value if levels else ""


def _steps(knowledge: Knowledge, iri: str, lang: str) -> list[Step]:
    steps = []
    for predicate, key in STEP_PREDICATES.items():
        for value in knowledge.objects(iri, predicate):
            span = date_span(value.value) if isinstance(value, ox.Literal) else None
            if isinstance(value, ox.Literal) and span is not None:
                what = knowledge.view_iri(predicate, lang)
                steps.append(Step(key, what, knowledge.view(value, lang), *span))
    order = list(STEP_PREDICATES.values())
    return sorted(steps, key=lambda s: (s.start, order.index(s.key)))


def _programme(knowledge: Knowledge, iri: str) -> str:
    """The designation's programme ('' when none is stated)."""
    return next(
        (
            o.value
            for o in knowledge.objects(iri, PILOT + "programme")
            if isinstance(o, ox.NamedNode)
        ),
        "",
    )


def designations(knowledge: Knowledge, lang: str) -> list[Designation]:
    """Every zone and base, numbered by their first dated step (undated ones last)."""
    members = [
        (cls, iri, _programme(knowledge, iri))
        for cls in PLACED_KINDS
        for iri in knowledge.subjects_of_type(cls)
    ]
    series: dict[tuple[str, str], Series] = {}
    for cls, programme in sorted(
        {(cls, programme) for cls, _iri, programme in members},
        key=lambda pair: (list(PLACED_KINDS).index(pair[0]), pair[1] == "", pair[1]),
    ):
        view = knowledge.view_iri(programme, lang) if programme else None
        css = f"series-{len(series) % SERIES_COLOURS + 1}"
        series[(cls, programme)] = Series(view, css, PLACED_KINDS[cls])
    found = [
        Designation(
            0,
            knowledge.view_iri(iri, lang),
            series[(cls, programme)],
            sorted(
                (
                    knowledge.view(o, lang)
                    for o in knowledge.objects(iri, PILOT + "locatedIn")
                    if isinstance(o, ox.NamedNode)
                ),
                key=lambda v: v.value,
            ),
            _steps(knowledge, iri, lang),
        )
        for cls, iri, programme in members
    ]
    found.sort(key=lambda d: (d.first is None, d.first.start if d.first else 0, d.thing.value))
    for number, designation in enumerate(found, start=1):
        designation.number = number
    return found


def used_series(found: list[Designation]) -> list[Series]:
    """The series the designations use, in the order they were made (zones first): a legend."""
    seen: dict[str, Series] = {}
    for designation in sorted(found, key=lambda d: d.series.css):
        seen.setdefault(designation.series.css, designation.series)
    return list(seen.values())


def used_steps(found: list[Designation]) -> list[Step]:
    """One step of each kind the designations have, in STEP_PREDICATES' order: a legend."""
    seen: dict[str, Step] = {}
    for designation in found:
        for step in designation.steps:
            seen.setdefault(step.key, step)
    order = list(STEP_PREDICATES.values())
    return sorted(seen.values(), key=lambda s: order.index(s.key))


# --- text -------------------------------------------------------------------------------


def char_width(ch: str) -> float:
    """A character's advance in em, a little generous for the usual sans-serif fonts: wide
    (CJK), narrow or ordinary. Layout only needs to know that two labels will not overlap."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch in "ijlI.,:;'|!()[] ·":
        return 0.34
    if ch in "mwMW—–":
        return 0.92
    if ch.isupper():
        return 0.76
    return 0.63


def text_width(text: str, size: float) -> float:
    """How wide ``text`` is at font size ``size``.

    >>> text_width("深圳", 10)
    20.0
    """
    return sum(char_width(ch) for ch in text) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``width``: English breaks at spaces, Chinese between
    any two characters (never before closing punctuation); a word longer than the line
    stands alone on it rather than being cut.

    >>> wrap("National AI Application Pilot Test Base (Energy Field)", 150, 10)
    ['National AI Application', 'Pilot Test Base (Energy', 'Field)']
    >>> wrap("国家人工智能应用中试基地(医疗领域)·北京", 100, 10)
    ['国家人工智能应用中试', '基地(医疗领域)·北京']
    """
    tokens = re.findall(
        r"[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|[\u2e80-\u9fff\uff00-\uffef]\s*|\s+", text
    )
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = line + token
        if line and text_width(candidate.rstrip(), size) > width and not _closing(token):
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _closing(token: str) -> bool:
    return token[:1] in "，。、；：）」』》〉,.;:)"
