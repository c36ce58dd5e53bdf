"""Content negotiation, one function for every route: a path suffix, then ``format=``, then Accept.

Every route offers representations (HTML and the formats of ``pilotkg.formats``)
in the server's order of preference and calls ``negotiate``, so that a suffix,
a parameter and an Accept header mean the same on an entity, ``/ontology``,
VoID, ``/sparql`` and a canned query. The rules, after RFC 9110 §12.5.1 and
§12.4.2:

* A suffix from the path (``/id/zone/shenzhen.ttl``) names a representation
  outright; an unknown one gets None (the route answers 404 or 406).
* ``format=``, ``output=`` and ``results=`` in the query string or in a POST
  form: Virtuoso, Joseki and rasqal each read one of these names, so SPARQL
  clients (SPARQLWrapper) send all three, some values twice (``rdf+xml`` and
  ``application/rdf+xml``). The first value that names an offer (short name,
  extension, alias or media type) beats Accept; a value that names nothing
  offered is ignored, so the client gets what its Accept allows, not a 406.
* Accept: each media type of an offer takes the q of the most specific range
  matching it (``text/turtle`` before ``text/*`` before ``*/*``). q=0 refuses
  the whole offer, even where a range no more specific admits another of its
  media types: ``text/turtle;q=0, */*`` refuses Turtle, not one of its names.
  The highest q wins, then the most specific match, then the server's order;
  a request without Accept (or with none that parses) gets the first offer.
* The response is labelled with the media type that matched, which is always
  one the format table lists for the chosen format: the client's exact type
  (``application/json`` gets SPARQL JSON labelled so, ``text/plain`` gets
  N-Triples as text/plain), the format's first type under the range for
  ``text/*`` (SPARQL XML as text/xml), its preferred type for ``*/*``.
* Stand-ins: a route may pair formats it does not offer with offers to serve
  in their place. A parameter naming one still beats Accept (after every
  parameter value was tried on the offers); an Accept that admits no offer but
  a stand-in gets its pair instead of a 406. So a CONSTRUCT whose client asks
  for SPARQL results, as rdflib's SPARQLStore and roqet do whatever the query,
  gets Turtle, or JSON-LD for a JSON ask (``formats.GRAPH_STAND_INS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from starlette.datastructures import QueryParams
from starlette.requests import Request

#: The parameters that name a format, read in this order from the query string, then the form.
FORMAT_PARAMETERS = ("format", "output", "results")


class Offer(Protocol):
    """Anything with names and media types: a Format or a Page."""

    @property
    def name(self) -> str: ...
    @property
    def extension(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
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
    aliases: tuple[str, ...] = ()

    @property
    def media_type(self) -> str:
        return self.media_types[0]


#: HTML only as text/html: the pages are not XHTML, so application/xhtml+xml (or a
#: client's ``application/*``) must not get them.
HTML = Page("html", "html", ("text/html",))

OfferT = TypeVar("OfferT", bound=Offer)


@dataclass(frozen=True)
class Choice(Generic[OfferT]):
    """The chosen offer and the media type its response is labelled with."""

    offer: OfferT
    media_type: str


def negotiate(
    request: Request,
    offers: Sequence[OfferT],
    *,
    suffix: str | None = None,
    form: QueryParams | None = None,
    stand_ins: Sequence[tuple[Offer, OfferT]] = (),
) -> Choice[OfferT] | None:
    """The representation ``request`` gets among ``offers``, or None (406, or 404 for a suffix).

    ``suffix`` is the extension the path ends in, if the route found one; ``form`` the
    parameters of a POSTed form; ``stand_ins`` pairs ``(asked, served)``: ``served`` is
    sent when the client names or accepts ``asked`` and no offer.
    """
    if suffix:
        named = _named(suffix, offers)
        return Choice(named, named.media_type) if named is not None else None
    values = format_values(request, form)
    asked = [pair[0] for pair in stand_ins]
    for value in values:
        chosen = _by_value(value, offers)
        if chosen is not None:
            return chosen
    for value in values:
        standing = _by_value(value, asked)
        if standing is not None:
            return _served(standing.offer, stand_ins)
    accept = ", ".join(request.headers.getlist("accept"))
    chosen = by_accept(accept, offers)
    if chosen is not None or not stand_ins:
        return chosen
    standing = by_accept(accept, asked)
    return _served(standing.offer, stand_ins) if standing is not None else None


def format_values(request: Request, form: QueryParams | None = None) -> list[str]:
    """The values of ``format=``, ``output=`` and ``results=``: the query string's, then the form's.

    A ``+`` typed into a URL arrives as a space; no format name or media type has one.
    """
    values = []
    for source in (request.query_params, form):
        if source is None:
            continue
        for parameter in FORMAT_PARAMETERS:
            values += [v.strip().replace(" ", "+") for v in source.getlist(parameter)]
    return [v for v in values if v]


def by_accept(accept: str | None, offers: Sequence[OfferT]) -> Choice[OfferT] | None:
    """The offer the Accept header ranks highest (the first offer when there is none), or None.

    >>> from pilotkg.formats import GRAPH_FORMATS, RESULTS_FORMATS
    >>> by_accept("text/html,*/*;q=0.8", [*GRAPH_FORMATS, HTML]).offer.name
    'html'
    >>> by_accept("text/turtle, */*", [HTML, *GRAPH_FORMATS]).offer.name
    'turtle'
    >>> by_accept("text/turtle;q=0, */*;q=0.5", [*GRAPH_FORMATS]).offer.name
    'ntriples'
    >>> by_accept("text/plain", [HTML, *GRAPH_FORMATS]).media_type
    'text/plain'
    >>> by_accept("text/*", RESULTS_FORMATS).media_type
    'text/xml'
    >>> by_accept("image/png", [HTML]) is None
    True
    """
    ranges = _ranges(accept or "")
    if not ranges:
        return Choice(offers[0], offers[0].media_type) if offers else None
    best: Choice[OfferT] | None = None
    best_key = (0.0, -1)
    for offer in offers:
        ranked = _rank(ranges, offer)
        if ranked is not None and ranked[:2] > best_key:
            best, best_key = Choice(offer, ranked[2]), ranked[:2]
    return best


def asked_profile(accept: str | None, media_type: str, known: Sequence[str]) -> str:
    """The profile of ``known`` the Accept header asks ``media_type`` in, or ''.

    A range for exactly ``media_type`` may carry ``profile``, one IRI or several
    separated by spaces (JSON-LD 1.1 §9: ``application/ld+json;profile="…#compacted"``).
    The ranges are read by q, highest first, then in the header's order: a range with no
    profile takes any form (''), one naming a known IRI gets the first it names, one
    naming only unknown IRIs gives way to the next. A range with q=0 names nothing.

    >>> from pilotkg.jsonld import COMPACTED, PROFILES
    >>> asked_profile(f'application/ld+json;profile="{COMPACTED}"', "application/ld+json", PROFILES)
    'http://www.w3.org/ns/json-ld#compacted'
    >>> asked_profile("application/ld+json", "application/ld+json", PROFILES)
    ''
    """
    asked: list[tuple[float, int, list[str]]] = []
    for position, part in enumerate((accept or "").split(",")):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if media.lower() != media_type:
            continue
        q, profiles = 1.0, []
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            key = key.strip().lower()
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0
            elif key == "profile":
                profiles = value.strip().strip('"').split()
        if q > 0:
            asked.append((-q, position, profiles))
    for _q, _position, profiles in sorted(asked):
        if not profiles:
            return ""
        chosen = next((iri for iri in profiles if iri in known), "")
        if chosen:
            return chosen
    return ""


def offered_types(offers: Sequence[Offer]) -> str:
    """The offers' preferred media types and extensions, for a 406 message."""
    return ", ".join(f"{o.media_type} (.{o.extension})" for o in offers)


# --- the rules ----------------------------------------------------------------------------

Range = tuple[str, str, float]


def _ranges(accept: str) -> list[Range]:
    """``(type, subtype, q)`` of each media range of an Accept header; a bad q counts as 1, a
    lone ``*`` (sent by some old clients) as ``*/*``, anything else without a ``/`` is skipped."""
    out = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if media == "*":
            media = "*/*"
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
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


def _match(ranges: list[Range], media_type: str) -> tuple[float, int] | None:
    """``(q, specificity)`` of the most specific ranges matching ``media_type`` (2 for the type
    itself, 1 for ``type/*``, 0 for ``*/*``), or None when none matches."""
    main, _, sub = media_type.partition("/")
    found: tuple[float, int] | None = None
    for r_main, r_sub, q in ranges:
        if r_main == main and r_sub == sub:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif r_main == "*":
            specificity = 0
        else:
            continue
        if found is None or (specificity, q) > (found[1], found[0]):
            found = (q, specificity)
    return found


def _rank(ranges: list[Range], offer: Offer) -> tuple[float, int, str] | None:
    """``(q, specificity, media type)`` of the offer's best-matched media type, or None when the
    offer is refused: no range admits it, or a q=0 range at least as specific as the best
    admitting one names one of its media types."""
    best: tuple[float, int, str] | None = None
    refused = -1
    for media_type in offer.media_types:
        matched = _match(ranges, media_type)
        if matched is None:
            continue
        q, specificity = matched
        if q == 0:
            refused = max(refused, specificity)
        elif best is None or (q, specificity) > best[:2]:
            best = (q, specificity, media_type)
    if best is None or refused >= best[1]:
        return None
    return best


def _named(word: str, offers: Sequence[OfferT]) -> OfferT | None:
    """The offer whose name or extension is ``word``, else the first with it as an alias (so
    ``xml`` is SPARQL XML among results, RDF/XML among graph formats)."""
    wanted = word.lower().lstrip(".")
    for offer in offers:
        if wanted in (offer.name, offer.extension):
            return offer
    return next((o for o in offers if wanted in o.aliases), None)


def _by_value(value: str, offers: Sequence[OfferT]) -> Choice[OfferT] | None:
    """The offer a parameter value names: a media type (labelled so) or a name."""
    media_type = value.split(";")[0].strip().lower()
    for offer in offers:
        if media_type in offer.media_types:
            return Choice(offer, media_type)
    named = _named(value, offers)
    return Choice(named, named.media_type) if named is not None else None


def _served(asked: Offer, stand_ins: Sequence[tuple[Offer, OfferT]]) -> Choice[OfferT]:
    served = next(pair[1] for pair in stand_ins if pair[0] is asked)
    return Choice(served, served.media_type)
