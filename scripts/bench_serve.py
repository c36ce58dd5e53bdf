"""Benchmark ``pilotkg serve``: requests/s and p50/p99 latency at 1, 16 and 64 concurrent clients.

Three requests: an entity page (HTML), a lookup query (one subject's properties,
SPARQL JSON) and a GROUP BY query (entities per class). Each (request, clients)
pair runs ``--runs`` times for at most ``--seconds`` and ``--max-requests``; the
figures are the medians over the runs. Everything stays on 127.0.0.1: the
script starts its own server (or measures ``--url``), and the clients are a
minimal keep-alive HTTP/1.1 loop on asyncio, so that the client costs little of
the machine the server shares with it.

    .venv/bin/python scripts/bench_serve.py                # the checkout's release
    .venv/bin/python scripts/bench_serve.py --source tests/data/web --skip shacl --skip qc --skip owl --skip links
    .venv/bin/python scripts/bench_serve.py --mix --seconds 60   # SPARQL under page traffic
    .venv/bin/python scripts/bench_serve.py --versus-bare --runs 3   # against a bare endpoint

``--mix`` measures what a flood of mixed users does to SPARQL: half of 64
clients ask for entity pages, half send the lookup query, for ``--seconds``;
the baseline, in the same run and sitting, is the same 32 lookup clients
alone. It prints both throughputs and their ratio (the goal: lookups keep at
least half of their throughput, with no errors).

``--versus-bare`` measures what pilotkg's endpoint costs against the least an
endpoint can do: a bare Starlette app over pyoxigraph (the same release in
memory, the text straight into ``Store.query``, no checks, no limits, no
worker), served by the same uvicorn (h11, asyncio loop, access log on) in the
same run. Both servers are up for the whole run, and each round measures a
lookup, a GROUP BY and a canned query (``zones`` with its example; the bare
app runs the same bound text) at 16 clients on every server in turn, for
``--runs`` rounds; the figures are medians over the rounds, and the ratios
pilotkg / bare are taken per round and of the medians. A third server,
pilotkg with its result cache off (``query_cache_bytes=0``), shows what a
query costs on the worker path, i.e. the first time a text is asked.

Writes bench/serve.json and bench/serve.md (bench/serve-mix.* with --mix,
bench/results-serve.* with --versus-bare), and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from bench_context import run_context

ROOT = Path(__file__).resolve().parents[1]
ENTITY = "https://w3id.org/pilotkg/id/zone/shenzhen"
REQUESTS = {
    "entity page": ("/id/zone/shenzhen", "text/html"),
    "lookup query": (
        "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{ENTITY}> ?p ?o }}", safe=""),
        "application/sparql-results+json",
    ),
    "GROUP BY query": (
        "/sparql?query="
        + quote(
            "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
            safe="",
        ),
        "application/sparql-results+json",
    ),
}
CONCURRENCY = (1, 16, 64)
#: The body's length in a response head. The head is read in one go and searched once, so
#: that a server that sends more header lines costs the client (on the same cores) no more.
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


@dataclass
class Figures:
    request: str
    clients: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


async def _client(
    host: str,
    port: int,
    raw: bytes,
    deadline: float,
    budget: list[int],
    latencies: list[float],
    errors: list[int],
) -> None:
    """One keep-alive connection sending ``raw`` until the deadline or the shared budget runs out."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")  # one read for every header line
            length = _CONTENT_LENGTH.search(head)
            await reader.readexactly(int(length[1]) if length else 0)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


async def _run(
    host: str, port: int, path: str, accept: str, clients: int, seconds: float, max_requests: int
) -> Figures:
    raw = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = [0]
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(host, port, raw, deadline, budget, latencies, errors) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Figures(
        request="",
        clients=clients,
        requests_per_s=len(ordered) / elapsed,
        p50_ms=1000 * ordered[len(ordered) // 2],
        p99_ms=1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        requests=len(ordered),
        errors=errors[0],
    )


async def _mix(
    host: str, port: int, clients: int, seconds: float, with_pages: bool
) -> tuple[Figures, Figures | None]:
    """Lookup clients (and as many page clients when ``with_pages``) for ``seconds``."""

    def raw(name: str) -> bytes:
        path, accept = REQUESTS[name]
        return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n\r\n".encode()

    started = time.perf_counter()
    deadline = started + seconds
    buckets: dict[str, tuple[list[float], list[int]]] = {
        "lookup query": ([], [0]),
        "entity page": ([], [0]),
    }
    budget = [10**9]  # bounded by the deadline
    names = ["lookup query"] * clients + (["entity page"] * clients if with_pages else [])
    await asyncio.gather(
        *(_client(host, port, raw(name), deadline, budget, *buckets[name]) for name in names)
    )
    elapsed = time.perf_counter() - started

    def figures(name: str) -> Figures:
        latencies, errors = buckets[name]
        ordered = sorted(latencies)
        return Figures(
            request=name + (" (with pages)" if with_pages else " (alone)"),
            clients=len(names),
            requests_per_s=round(len(ordered) / elapsed, 1),
            p50_ms=round(1000 * ordered[len(ordered) // 2], 2),
            p99_ms=round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            requests=len(ordered),
            errors=errors[0],
        )

    return figures("lookup query"), figures("entity page") if with_pages else None


def _median_figures(name: str, runs: list[Figures]) -> Figures:
    return Figures(
        request=name,
        clients=runs[0].clients,
        requests_per_s=round(statistics.median(r.requests_per_s for r in runs), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in runs), 2),
        p99_ms=round(statistics.median(r.p99_ms for r in runs), 2),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(
    source: Path, skip: list[str], settings: list[str], *, timeout_s: float = 300.0
) -> tuple[subprocess.Popen[bytes], int]:
    """``pilotkg serve`` on a free port of 127.0.0.1 (it builds the release when stale), given
    ``timeout_s`` to listen."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "pilotkg.cli",
        "serve",
        "--source",
        str(source),
        "--port",
        str(port),
    ]
    command += [arg for name in skip for arg in ("--skip", name)]
    command += [arg for pair in settings for arg in ("--setting", *pair.split("=", 1))]
    return _started(command, port, timeout_s=timeout_s)


def _started(
    command: list[str], port: int, *, timeout_s: float = 300.0
) -> tuple[subprocess.Popen[bytes], int]:
    """Run ``command`` and wait until it listens on ``port``, at most ``timeout_s``."""
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"{' '.join(command[2:5])} exited with {process.returncode}: run it by hand"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{' '.join(command[2:5])} did not start within {timeout_s:g} s")


# --- the bare endpoint, the baseline of --versus-bare ------------------------------------


def bare_app(release: Path) -> object:
    """The least a SPARQL endpoint can be: Starlette, the release in a pyoxigraph memory store,
    GET /sparql?query= straight into ``Store.query``, results as SPARQL JSON."""
    import pyoxigraph as ox
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from pilotkg.namespaces import PREFIXES
    from pilotkg.release import DUMP

    store = ox.Store()
    store.bulk_load(path=str(release / DUMP), format=ox.RdfFormat.TURTLE)

    async def sparql(request: Request) -> Response:
        results = store.query(request.query_params["query"], prefixes=PREFIXES)
        if isinstance(results, ox.QueryTriples):
            body = results.serialize(format=ox.RdfFormat.N_TRIPLES)
            return Response(body, media_type="application/n-triples")
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, media_type="application/sparql-results+json")

    return Starlette(routes=[Route("/sparql", sparql)])


def _serve_bare(release: Path, port: int) -> None:
    """Serve ``bare_app`` as ``pilotkg serve`` is served: one uvicorn process, h11, asyncio."""
    import uvicorn

    uvicorn.run(
        bare_app(release),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="info",
        http="h11",
        loop="asyncio",
    )


def _canned_requests(source: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """The canned query ``CANNED`` with its example: pilotkg's address, and the bare app's
    address for the same bound text."""
    from urllib.parse import urlencode

    import pyoxigraph as ox

    from pilotkg.queries import Catalogue, prepare
    from pilotkg.release import DUMP, default_release_dir
    from pilotkg.sources import SourceTree

    query = Catalogue(SourceTree(source).query_dir).queries[CANNED]
    store = ox.Store()  # the values are looked up in the graph, as the server does
    store.bulk_load(path=str(default_release_dir(source) / DUMP), format=ox.RdfFormat.TURTLE)
    text = prepare(query, dict(query.example), store)
    accept = "application/sparql-results+json"
    ours = f"/queries/{CANNED}.json?{urlencode(query.example)}"
    return (ours, accept), ("/sparql?query=" + quote(text, safe=""), accept)


#: The canned query --versus-bare measures (a cheap plan, GROUP_CONCAT cells put in order).
CANNED = "zones"
#: The servers --versus-bare alternates, and the settings of pilotkg's two.
SERVERS = ("bare", "pilotkg", "pilotkg, cache off")


def _versus_bare(args: argparse.Namespace) -> tuple[list[dict[str, object]], str]:
    """The --versus-bare rounds: every request on every server in turn, ``args.runs`` times."""
    from pilotkg.release import default_release_dir

    processes: list[subprocess.Popen[bytes]] = []
    ports: dict[str, int] = {}
    try:
        for name, extra in (("pilotkg", []), ("pilotkg, cache off", ["query_cache_bytes=0"])):
            process, ports[name] = _start_server(args.source, args.skip, args.setting + extra)
            processes.append(process)
        port = _free_port()
        release = default_release_dir(args.source)
        bare = [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(release)]
        process, ports["bare"] = _started([*bare, "--port", str(port)], port)
        processes.append(process)
        ours, theirs = _canned_requests(args.source)
        requests = {
            "lookup query": {s: REQUESTS["lookup query"] for s in SERVERS},
            "GROUP BY query": {s: REQUESTS["GROUP BY query"] for s in SERVERS},
            f"canned query ({CANNED})": {"bare": theirs, "pilotkg": ours, SERVERS[2]: ours},
        }
        for per_server in requests.values():
            for server, (path, accept) in per_server.items():
                asyncio.run(_run("127.0.0.1", ports[server], path, accept, 4, 1.0, 500))  # warm
        rounds: dict[tuple[str, str], list[Figures]] = {}
        for _ in range(args.runs):
            for request, per_server in requests.items():
                for server, (path, accept) in per_server.items():
                    figures = asyncio.run(
                        _run(
                            "127.0.0.1",
                            ports[server],
                            path,
                            accept,
                            16,
                            args.seconds,
                            args.max_requests,
                        )
                    )
                    rounds.setdefault((request, server), []).append(figures)
                    print(f"{request} · {server}: {figures.requests_per_s:,.0f} req/s", flush=True)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    return _compared(rounds, list(requests))


def _compared(
    rounds: dict[tuple[str, str], list[Figures]], requests: list[str]
) -> tuple[list[dict[str, object]], str]:
    """Medians per (request, server), pilotkg / bare ratios per round and of the medians, and
    the Markdown table of them."""
    rows: list[dict[str, object]] = []
    lines = [
        "| request | server | req/s (median) | req/s per round | p50 ms | p99 ms "
        "| ratio to bare | ratio per round | errors |",
        "|---|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for request in requests:
        bare = rounds[(request, "bare")]
        bare_median = statistics.median(f.requests_per_s for f in bare)
        for server in SERVERS:
            runs = rounds[(request, server)]
            median = _median_figures(request, runs)
            ratio = median.requests_per_s / bare_median
            per_round = [
                round(ours.requests_per_s / theirs.requests_per_s, 2)
                for ours, theirs in zip(runs, bare, strict=True)
            ]
            rows.append(
                {
                    **asdict(median),
                    "server": server,
                    "requests_per_s_runs": [round(f.requests_per_s, 1) for f in runs],
                    "p99_ms_runs": [round(1000 * f.p99_ms) / 1000 for f in runs],
                    "ratio_to_bare": round(ratio, 3),
                    "ratio_to_bare_runs": per_round,
                }
            )
            spread = " / ".join(f"{f.requests_per_s:,.0f}" for f in runs)
            lines.append(
                f"| {request} | {server} | {median.requests_per_s:,.0f} | {spread} "
                f"| {median.p50_ms:.2f} | {median.p99_ms:.2f} | {ratio:.2f} "
                f"| {', '.join(map(str, per_round))} | {median.errors} |"
            )
    return rows, "\n".join(lines)


def _run_mix(host: str, port: int, seconds: float, runs: int) -> list[Figures]:
    """Lookups alone and with pages, alternated ``runs`` times in one sitting; medians and ratio."""
    asyncio.run(
        _run(host, port, REQUESTS["lookup query"][0], REQUESTS["lookup query"][1], 4, 1.0, 500)
    )
    alone: list[Figures] = []
    mixed: list[Figures] = []
    pages: list[Figures] = []
    for _ in range(runs):
        alone.append(asyncio.run(_mix(host, port, 32, seconds, with_pages=False))[0])
        lookups, page_figures = asyncio.run(_mix(host, port, 32, seconds, with_pages=True))
        mixed.append(lookups)
        assert page_figures is not None
        pages.append(page_figures)
    results = [
        _median_figures(alone[0].request, alone),
        _median_figures(mixed[0].request, mixed),
        _median_figures(pages[0].request, pages),
    ]
    ratio = results[1].requests_per_s / results[0].requests_per_s
    spread = [
        round(m.requests_per_s / a.requests_per_s, 2) for a, m in zip(alone, mixed, strict=True)
    ]
    print(f"lookups with pages / alone: {ratio:.2f} (runs: {spread}); goal >= 0.50", flush=True)
    return results


def _table(figures: list[Figures]) -> str:
    lines = [
        "| request | clients | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {f.request} | {f.clients} | {f.requests_per_s:,.0f} | {f.p50_ms:.2f} | {f.p99_ms:.2f} | {f.errors} |"
        for f in figures
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="source folder to serve (default: the checkout)"
    )
    parser.add_argument(
        "--skip", action="append", default=[], help="check to skip if the release must be built"
    )
    parser.add_argument(
        "--setting", action="append", default=[], metavar="NAME=VALUE", help="a serve setting"
    )
    parser.add_argument(
        "--url", default=None, help="measure a running server (http://127.0.0.1:PORT) instead"
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="longest run, seconds")
    parser.add_argument("--max-requests", type=int, default=20_000, help="most requests in one run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is kept)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--mix",
        action="store_true",
        help="SPARQL lookups under page traffic, against lookups alone",
    )
    parser.add_argument(
        "--versus-bare",
        action="store_true",
        help="lookup, GROUP BY and canned query at 16 clients, against a bare endpoint",
    )
    parser.add_argument("--bare-server", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server is not None:  # the baseline's own process, started by --versus-bare
        _serve_bare(args.bare_server, args.port)
        return
    if args.out is None:
        name = "serve-mix.json" if args.mix else "serve.json"
        args.out = ROOT / "bench" / ("results-serve.json" if args.versus_bare else name)
    if args.versus_bare:
        _write_versus_bare(args)
        return

    process = None
    if args.url:
        host, port = args.url.split("//", 1)[1].rstrip("/").split(":")
        port = int(port)
    else:
        process, port = _start_server(args.source, args.skip, args.setting)
        host = "127.0.0.1"
    assert host in ("127.0.0.1", "localhost", "[::1]"), "benchmarks only target this machine"
    load_at_start = os.getloadavg()[0]
    results: list[Figures] = []
    try:
        if args.mix:
            results = _run_mix(host, port, args.seconds, args.runs)
        for name, (path, accept) in ({} if args.mix else REQUESTS).items():
            asyncio.run(_run(host, port, path, accept, 4, 1.0, 500))  # warm up
            for clients in CONCURRENCY:
                runs = [
                    asyncio.run(
                        _run(host, port, path, accept, clients, args.seconds, args.max_requests)
                    )
                    for _ in range(args.runs)
                ]
                results.append(_median_figures(name, runs))
                print(_table(results[-1:]).splitlines()[-1], flush=True)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    table = _table(results)
    context = {
        **run_context(load_at_start),
        "source": str(args.source),
        "seconds_per_run": args.seconds,
        "max_requests_per_run": args.max_requests,
        "runs": args.runs,
        "note": "one uvicorn process; clients on the same machine; medians of runs",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"context": context, "results": [asdict(r) for r in results]}, indent=2) + "\n"
    )
    args.out.with_suffix(".md").write_text(
        f"# pilotkg serve benchmark\n\n{context['note']}; {context['cpus']} CPUs; "
        f"load average {context['load_average_1min']}; source {context['source']}.\n\n{table}\n"
    )
    print("\n" + table)


def _write_versus_bare(args: argparse.Namespace) -> None:
    """Run --versus-bare and write its results (JSON and Markdown) to ``args.out``."""
    load_at_start = os.getloadavg()[0]
    rows, table = _versus_bare(args)
    context = {
        **run_context(load_at_start),
        "source": str(args.source),
        "settings": args.setting,
        "clients": 16,
        "seconds_per_run": args.seconds,
        "max_requests_per_run": args.max_requests,
        "rounds": args.runs,
        "note": (
            "bare Starlette + pyoxigraph, pilotkg serve and pilotkg serve with "
            "query_cache_bytes=0, each one uvicorn process (h11, asyncio loop), all up at "
            "once; every request on every server in turn, per round; clients on the same "
            "machine; medians of the rounds"
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"context": context, "results": rows}, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(
        f"# pilotkg serve against a bare endpoint\n\n{context['note']}; {context['cpus']} CPUs; "
        f"load average {context['load_average_1min']}; source {context['source']}; settings "
        f"{' '.join(args.setting) or 'default'}; {args.runs} rounds of {args.seconds:g} s.\n\n"
        f"{table}\n"
    )
    print("\n" + table)


if __name__ == "__main__":
    main()
