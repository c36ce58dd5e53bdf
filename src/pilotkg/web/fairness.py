"""Pages give way to SPARQL queries in flight, so that one event loop serves both fairly.

asyncio runs every ready callback once per loop turn, in order. A cached page is
answered in the turn after its request arrives; a query needs two turns more
(the turn in which the loop sees its worker's answer on the pipe, and the turn
after, in which the future's waiter resumes). Under a flood of pages each turn is long,
so a query's round trip took twice a page's and lookups lost more than half
their throughput. A page request that finds queries in flight first hands the
loop back for as many turns, which puts both on the same number of turns; with
no query in flight it costs nothing. The SPARQL endpoint and the canned-query pages are
queries themselves and do not give way.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from .site import site_of

#: The loop turns a query's round trip takes beyond a page's (see the module's docstring).
QUERY_EXTRA_TURNS = 2

Endpoint = Callable[[Request], Awaitable[Response]]


def gives_way_to_queries(endpoint: Endpoint) -> Endpoint:
    """``endpoint``, first yielding the loop ``QUERY_EXTRA_TURNS`` times while queries run."""

    @functools.wraps(endpoint)
    async def giving_way(request: Request) -> Response:
        pool = site_of(request).pool
        if pool is not None and pool.in_flight:
            for _ in range(QUERY_EXTRA_TURNS):
                await asyncio.sleep(0)
        return await endpoint(request)

    return giving_way
