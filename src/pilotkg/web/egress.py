"""Where an allowed SERVICE call would connect: refuse private, loopback and link-local hosts.

The allow-list names endpoints by IRI, but a name can resolve to an address
inside the server's own network (by mistake, or by someone who controls its
DNS). Before a federated query runs, each endpoint's host is resolved and
every address it resolves to must be a public one, unless it lies in a network
the operator opened on purpose (setting ``service_private_networks``, e.g. a
Wikidata mirror at 10.0.0.5). Answers are kept for a minute so that a busy
server does not resolve on every query. The engine resolves the name again
when it connects; that second lookup is outside pilotkg's reach, and the
README says so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_REMEMBER_S = 60.0
_resolved: dict[tuple[str, int], tuple[float, tuple[str, ...]]] = {}


def parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of a ``service_private_networks`` setting (CIDR strings).

    >>> [str(n) for n in parse_networks(("127.0.0.1/32", "10.1.2.3/8"))]
    ['127.0.0.1/32', '10.0.0.0/8']
    """
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


async def _addresses(host: str, port: int) -> tuple[str, ...]:
    key = (host, port)
    now = time.monotonic()
    remembered = _resolved.get(key)
    if remembered and now - remembered[0] < _REMEMBER_S:
        return remembered[1]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = tuple(sorted({str(info[4][0]) for info in infos}))
    _resolved[key] = (now, addresses)
    return addresses


async def refusal(
    endpoints: tuple[str, ...], opened: tuple[Network, ...]
) -> tuple[int, str] | None:
    """The HTTP status and the reason why a query may not call ``endpoints`` (normalised
    http(s) IRIs), or None if it may.

    An address the wall keeps out is 403: the client asked for what may not be done. A
    host that does not resolve is 502: the query was allowed, and the endpoint it names
    cannot be reached from here (the failure of another server, as when it answers badly).
    """
    for endpoint in endpoints:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await _addresses(host, port)
        except OSError:
            return (
                502,
                f"SERVICE <{endpoint}>: its host could not be resolved. Nothing was sent to it.",
            )
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global and not any(ip in network for network in opened):
                return 403, (
                    f"SERVICE <{endpoint}> resolves to {ip}, a private, loopback or link-local "
                    "address, which queries may not reach (setting service_private_networks). "
                    "Nothing was sent to it."
                )
    return None
