"""Which JSON-LD form an answer takes: expanded by default, compacted when the client asks.

Entity pages, ``/ontology``, CONSTRUCT and DESCRIBE answers all come here once
``negotiate`` has chosen JSON-LD. The Accept header's ``profile`` decides the
form (``negotiate.asked_profile``); a compacted document names the release's
context by its URL on this server (``/context.jsonld``, served by ``dumps``),
so a client can always fetch what the document needs. The default stays the
expanded form: it needs no second request, no network and no JSON-LD context
processing, which is what clients that turn JSON-LD into triples (rdflib,
Jena, Comunica) want, and it is what the dump holds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request

from ..formats import Format
from ..jsonld import COMPACTED, PROFILES, Context, labelled
from ..release import JSONLD_CONTEXT
from .negotiate import Choice, Page, asked_profile
from .site import Site


@dataclass(frozen=True)
class Form:
    """The Content-Type an answer is labelled with, and the context to compact it with
    (None: the expanded form, or not JSON-LD at all)."""

    media_type: str
    context: Context | None = None


def jsonld_form(request: Request, site: Site, chosen: Choice[Format | Page]) -> Form:
    """The form of the answer ``chosen`` for ``request``: its media type as negotiated, with the
    profile it honours when it is JSON-LD (a release with no context stays expanded)."""
    offer = chosen.offer
    if not isinstance(offer, Format) or offer.rdf_format != ox.RdfFormat.JSON_LD:
        return Form(chosen.media_type)
    accept = ", ".join(request.headers.getlist("accept"))
    profile = asked_profile(accept, chosen.media_type, PROFILES)
    if profile != COMPACTED:
        return Form(labelled(chosen.media_type, profile))
    context = published_context(site, request)
    if context is None:
        return Form(chosen.media_type)
    return Form(labelled(chosen.media_type, COMPACTED), context)


def published_context(site: Site, request: Request) -> Context | None:
    """The release's context, named by its URL on this server; None for a release built
    before contexts were published."""
    path = site.release.path(JSONLD_CONTEXT)
    if path is None:
        return None
    return Context(site.origin(request) + JSONLD_CONTEXT, _read(path))


@functools.cache
def _read(path: Path) -> bytes:
    """A release file's bytes, read once: a release folder never changes once published."""
    return path.read_bytes()
