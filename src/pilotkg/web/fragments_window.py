"""One page of a Triple Pattern Fragment read from the store, and how many triples match.

A fragment is served without the query pool's limits because its cost is bounded by
constants, whatever the size of the graph: the store's pattern index (``quads_for_pattern``)
is walked from the first match, past the pages before this one (at most ``MAX_PAGES`` pages),
over this page, and on only as far as ``COUNT_LIMIT`` matches to count them. So a request
reads at most ``max(COUNT_LIMIT, MAX_PAGES × PAGE_SIZE) + 1`` matches: on a graph a thousand
times this one the same as on this one. The count is exact when the matches end within
that walk; past it, the fragment states the matches walked, a lower bound, as the estimate
TPF asks for (clients use it to order their joins). The pattern that names nothing is the whole graph, whose size
the release's VoID states exactly.

The walk is in index order, which a store that nobody writes to keeps, so page 2 starts
where page 1 stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

from .fragments_selector import Selector

#: Triples per page, as ``hydra:itemsPerPage`` states.
PAGE_SIZE = 100
#: The last page a fragment has; the deepest page skips fewer than this many pages' triples.
MAX_PAGES = 1000
#: Matches counted before the count becomes a lower bound.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Window:
    """The triples of one page, whether a next page has any, and the count of all matches
    (``exact`` False: at least that many)."""

    triples: list[ox.Triple]
    more: bool
    count: int
    exact: bool


def read_window(store: ox.Store, selector: Selector, total: int | None = None) -> Window:
    """The page ``selector`` asks for, from the default graph of ``store`` (the release holds
    no other); ``total`` is the size of the graph, the count of the pattern that names nothing."""
    offset = (selector.page - 1) * PAGE_SIZE
    matches = store.quads_for_pattern(*selector.terms, ox.DefaultGraph())
    skipped = sum(1 for _ in islice(matches, offset))
    triples = [quad.triple for quad in islice(matches, PAGE_SIZE)]
    seen = skipped + len(triples)
    if seen < offset + PAGE_SIZE:
        return Window(triples, False, seen, True)
    budget = max(COUNT_LIMIT - seen, 1)
    after = sum(1 for _ in islice(matches, budget + 1))
    count, exact = (seen + after, True) if after <= budget else (seen + budget, False)
    if total is not None and not selector.bound:
        count, exact = total, True
    return Window(triples, after > 0, count, exact)
