"""Content negotiation driven by the format table: Accept, suffix or ?format= picks a representation.

Every router offers a list of representations (HTML and the formats of
``pilotkg.formats``) in the server's order of preference; ``choose`` returns the
one the client ranks highest, ties going to the server's order, so ``*/*``
gets the first offer. A suffix (``.ttl``) or ``?format=`` overrides Accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..formats import Format


class Offer(Protocol):
    """Anything with a name, an extension and media types: a Format or a Page."""

    @property
    def name(self) -> str: ...
    @property
    def extension(self) -> str: ...
    @property
    def media_types(self) -> tuple[str, ...]: ...
    @property
    def media_type(self) -> str: ...


@dataclass(frozen=True)
class Page:
    """A representation made by the server itself rather than by a serialiser (HTML)."""

    name: str
    extension: str
    media_types: tuple[str, ...]

    @property
    def media_type(self) -> str:
        return self.media_types[0]


HTML = Page("html", "html", ("text/html", "application/xhtml+xml"))

OfferT = TypeVar("OfferT", bound=Offer)


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` for each media range of an Accept header; bad q counts as 1."""
    out = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        main, sub = media.split("/", 1)
        q = 1.0
        for parameter in pieces[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 1.0
        out.append((main, sub, q))
    return out


def _quality(ranges: list[tuple[str, str, float]], media_type: str) -> tuple[float, int]:
    """The q the most specific matching range gives ``media_type``, with that specificity."""
    main, sub = media_type.split("/", 1)
    best = (-1.0, -1)
    for r_main, r_sub, q in ranges:
        if r_main == main and r_sub == sub:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif r_main == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity)
    return best


def choose(accept: str | None, offers: Sequence[OfferT]) -> OfferT | None:
    """The offer the Accept header ranks highest (first offer when no header), or None.

    >>> from pilotkg.formats import GRAPH_FORMATS
    >>> choose("text/html,*/*;q=0.8", [*GRAPH_FORMATS, HTML]).name
    'html'
    >>> choose("application/ld+json", [HTML, *GRAPH_FORMATS]).name
    'jsonld'
    >>> choose("image/png", [HTML]) is None
    True
    """
    if not accept or not accept.strip():
        return offers[0] if offers else None
    ranges = _ranges(accept)
    best: OfferT | None = None
    best_q = 0.0
    for offer in offers:
        q = max((_quality(ranges, m)[0] for m in offer.media_types), default=-1.0)
        if q > best_q:
            best, best_q = offer, q
    return best


def by_suffix(suffix: str, offers: Sequence[OfferT]) -> OfferT | None:
    """The offer whose extension, name or alias is ``suffix`` (``ttl``, ``jsonld``, ``html``)."""
    wanted = suffix.lower().lstrip(".")
    for offer in offers:
        names = offer.names if isinstance(offer, Format) else (offer.name, offer.extension)
        if wanted in names:
            return offer
    return None


def by_format_parameter(value: str, offers: Sequence[OfferT]) -> OfferT | None:
    """The offer named by ``?format=``: a short name, extension or media type."""
    if "/" in value:
        wanted = value.split(";")[0].strip().lower()
        return next((o for o in offers if wanted in o.media_types), None)
    return by_suffix(value, offers)


def offered_types(offers: Sequence[Offer]) -> str:
    """The offers' preferred media types and extensions, for a 406 message."""
    return ", ".join(f"{o.media_type} (.{o.extension})" for o in offers)
