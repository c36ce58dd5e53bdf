"""The server's settings: one dataclass, every tunable named with its unit and documented.

Following datasette, a tunable is changed with ``--setting NAME VALUE`` and its
name carries its unit (``query_timeout_s``, ``max_result_rows``), so that no one
has to guess whether 10 means seconds or milliseconds. Each tunable's
documentation lives in the field's metadata, is printed by ``pilotkg serve
--help-settings`` and must appear in the README's settings table (a test checks).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..namespaces import WIKIDATA_SPARQL
from .guard import normalise_endpoint


def _tunable(default: Any, doc: str) -> Any:
    """A field that ``--setting`` may change, with the sentence that documents it."""
    return field(default=default, metadata={"doc": doc, "tunable": True})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where the release is and how the server behaves. Build one with ``with_settings``."""

    release_dir: Path
    """The published release (``dist/``) that is served."""
    source_dir: Path
    """The source folder, for its canned queries (``queries/*.rq``)."""
    store_dir: Path | None = None
    """An on-disk pyoxigraph store to load into and reuse; None keeps the store in memory."""
    base_url: str | None = None
    """The public origin (``https://example.org/pilotkg/``); None uses each request's own."""

    query_timeout_s: float = _tunable(
        10.0,
        "Wall-clock seconds a SPARQL query (from /sparql) may run; past it the worker "
        "process running it is killed and the client gets 503. A lookup of one subject, "
        "answered without a worker, needs no limit: its work is its answer; nor do the "
        "server's own texts (/queries/, the browsed tables), whose cost the graph bounds.",
    )
    max_result_rows: int = _tunable(
        10_000,
        "Rows (SELECT) or triples (CONSTRUCT, DESCRIBE) a query may return; a query that "
        "produces more is stopped and the client gets 422 with advice to add LIMIT. The "
        "server's own texts (/queries/, the browsed tables) return every row they find.",
    )
    query_workers: int = _tunable(
        2,
        "Worker processes that run SPARQL queries, i.e. how many queries run at once, and "
        "as many slots for the server's own texts, run in-process; a request waits up to "
        "query_timeout_s for a free worker or slot, then gets 503.",
    )
    quick_query_s: float = _tunable(
        0.5,
        "Seconds after which a running query counts as long. At most query_workers long "
        "queries run at once, so one more worker always stays free for short ones; a query "
        "that becomes long when that many already run is stopped with 503 and Retry-After.",
    )
    query_memory_mb: int = _tunable(
        1_024,
        "Memory (MiB of address space) a query worker may take beyond what it uses when idle; "
        "a query that needs more is stopped, the client gets 422, and the worker is replaced. "
        "0 leaves workers unbounded.",
    )
    max_result_bytes: int = _tunable(
        16_000_000,
        "Bytes a query result may take once serialised; a larger one is stopped while it is "
        "read and the client gets 422. 0 turns the limit off. The server's own texts "
        "(/queries/, the browsed tables) are not held to it.",
    )
    query_cache_bytes: int = _tunable(
        64_000_000,
        "Bytes of query answers (from /sparql and /queries/) kept in memory and given again "
        "without a worker, least recently used dropped first; only answers given within every "
        "limit (by a sealed worker, or by the server for a lookup of one subject) are kept, "
        "those of the server's own texts for their pages only, never a SERVICE call's or one "
        "that uses RAND, NOW, UUID, STRUUID or BNODE, and a new release starts afresh. 0 runs "
        "every query.",
    )
    max_client_queries: int = _tunable(
        4,
        "Queries one client (peer address) may have running or waiting at once; one more gets "
        "429 with Retry-After. Behind a reverse proxy every client has the proxy's address: "
        "raise it there, or 0 turns the limit off.",
    )
    max_query_nesting_levels: int = _tunable(
        64,
        "How deeply groups, parentheses and brackets may nest in a query text; a deeper one "
        "gets 400 before it is parsed (the parser recurses once per level).",
    )
    max_query_bytes: int = _tunable(
        100_000,
        "Largest accepted query text in bytes (UTF-8); a longer one gets 413.",
    )
    cache_max_age_s: int = _tunable(
        3_600,
        "Seconds clients and proxies may cache pages, dumps and GET query results "
        "(Cache-Control: max-age); 0 asks them to revalidate every time.",
    )
    service_allowlist: tuple[str, ...] = _tunable(
        (WIKIDATA_SPARQL,),
        "Endpoints a query may reach through SERVICE, as exact IRIs separated by commas; "
        "any other SERVICE (loopback and private addresses included) is refused with 403 "
        "before a connection is made. Empty refuses every SERVICE.",
    )
    service_private_networks: tuple[str, ...] = _tunable(
        (),
        "Networks (CIDR, separated by commas) an allowed SERVICE endpoint may resolve to "
        "although they are private, loopback or link-local, e.g. a Wikidata mirror on the "
        "local network; by default such an endpoint is refused with 403.",
    )
    header_timeout_s: float = _tunable(
        10.0,
        "Seconds a client has to send a request's headers, from connecting or from the "
        "previous response on a kept-alive connection; a connection still sending them is "
        "closed, so slow clients (slowloris) cannot hold connections open.",
    )
    page_cache_entries: int = _tunable(
        2_000,
        "Rendered pages and RDF documents kept in memory, least recently used dropped first "
        "(the release does not change while served); 0 renders every request afresh.",
    )
    frozen_release_entries: int = _tunable(
        10,
        "Frozen releases (releases/VERSION/ beside the release, from pilotkg release) served "
        "under /releases/, the newest first; each is loaded into memory the first time one of "
        "its pages is asked for, and an older one gets 404. 0 serves none.",
    )
    max_search_results: int = _tunable(
        50,
        "Results listed by the label search on the home page and at /search.",
    )
    yasgui_cdn_url: str = _tunable(
        "https://cdn.jsdelivr.net/npm/@zazuko/yasgui@4.6.2",
        "Where the query page loads YASGUI from (its build/yasgui.min.js and .css); empty "
        "leaves only the plain query form, which needs no network. The default, pinned "
        "version loads with Subresource Integrity; any other URL loads without it.",
    )

    @classmethod
    def tunables(cls) -> list[dataclasses.Field[Any]]:
        """The fields that ``--setting NAME VALUE`` may change, in declaration order."""
        return [f for f in dataclasses.fields(cls) if f.metadata.get("tunable")]

    def with_settings(self, pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> Settings:
        """A copy with each ``(name, raw value)`` applied; UsageError names a bad one."""
        known = {f.name: f for f in self.tunables()}
        changes: dict[str, Any] = {}
        for name, raw in pairs:
            if name not in known:
                raise UsageError(
                    f"--setting {name}: no such setting (settings: {', '.join(known)})"
                )
            changes[name] = _convert(name, raw, known[name].default)
        return dataclasses.replace(self, **changes)


def _convert(name: str, raw: str, default: Any) -> Any:
    """``raw`` as the type of ``default``; numbers must not be negative."""
    if isinstance(default, tuple):
        parts = tuple(part.strip() for part in raw.replace(" ", ",").split(",") if part.strip())
        for part in parts:
            _check_part(name, part)
        return parts
    if isinstance(default, str):
        return raw
    kind = "a whole number" if isinstance(default, int) else "a number"
    try:
        value = int(raw) if isinstance(default, int) else float(raw)
    except ValueError:
        raise UsageError(f"--setting {name} {raw!r}: expected {kind}") from None
    positive = name in {"query_timeout_s", "query_workers", "quick_query_s", "header_timeout_s"}
    if not math.isfinite(value) or value < 0 or (value == 0 and positive):
        bound = "above 0" if positive else "of 0 or more"
        raise UsageError(f"--setting {name} {raw!r}: expected {kind} {bound}")
    return value


def _check_part(name: str, part: str) -> None:
    """UsageError when one entry of a list setting is not what the setting takes."""
    if name == "service_private_networks":
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise UsageError(
                f"--setting {name} {part!r}: expected a network such as 10.0.0.0/8"
            ) from None
    elif name == "service_allowlist" and normalise_endpoint(part) is None:
        raise UsageError(
            f"--setting {name} {part!r}: expected an http(s) endpoint such as "
            "https://query.wikidata.org/sparql"
        )


def settings_table() -> str:
    """The settings as a Markdown table, for the README (``pilotkg serve --help-settings``)."""
    lines = ["| setting | default | what it does |", "|---|---|---|"]
    for f in Settings.tunables():
        default = ",".join(f.default) if isinstance(f.default, tuple) else f.default
        lines.append(f"| `{f.name}` | `{default}` | {f.metadata['doc']} |")
    return "\n".join(lines)
