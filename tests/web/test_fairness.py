"""Pages give way to SPARQL queries in flight (web/fairness.py): a page handler hands the event
loop back QUERY_EXTRA_TURNS times while the query pool has work out, and never otherwise. The
throughput this buys is measured by scripts/bench_serve.py --mix; here only the turns are
counted, with a real Starlette request whose app carries a site with a pool counter."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pilotkg.web.fairness import QUERY_EXTRA_TURNS, gives_way_to_queries


@gives_way_to_queries
async def page(_request: Request) -> Response:
    return PlainTextResponse("page")


def _turns_before_the_page_answers(in_flight: int) -> int:
    """How many loop turns a ticker task gets before ``page`` answers."""
    pool = SimpleNamespace(in_flight=in_flight)
    app = SimpleNamespace(state=SimpleNamespace(site=SimpleNamespace(pool=pool)))
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "app": app})

    async def run() -> int:
        turns = 0
        answered = False

        async def ticker() -> None:
            nonlocal turns
            while not answered:
                turns += 1
                await asyncio.sleep(0)

        ticking = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)  # the ticker starts
        start = turns
        await page(request)
        answered = True
        await ticking
        return turns - start

    return asyncio.run(run())


@pytest.mark.parametrize(("in_flight", "turns"), [(0, 0), (3, QUERY_EXTRA_TURNS)])
def test_a_page_gives_the_loop_back_only_while_queries_run(in_flight: int, turns: int) -> None:
    assert _turns_before_the_page_answers(in_flight) == turns
