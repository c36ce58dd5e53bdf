"""Reading what a client sends: a request body bounded while it is read, and form text that is UTF-8.

Shared by the SPARQL endpoint and the reconciliation service, the two routes that
take POSTed forms, so that both refuse a body past its limit before holding it
whole, and both refuse bytes that are not UTF-8 (raw or percent-encoded) instead
of letting Starlette replace them silently, which would change what was asked.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The request body, read chunk by chunk; None as soon as it grows past ``limit`` bytes
    (a chunked body has no Content-Length to check first)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def is_utf8_form(query_string: bytes) -> bool:
    """Whether ``query_string`` is UTF-8 and so is every percent-decoded name and value of it."""
    try:
        query_string.decode("utf-8")
        parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return False
    return True
