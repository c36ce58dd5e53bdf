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

``--mix`` measures what a flood of mixed users does to SPARQL: half of 64
clients ask for entity pages, half send the lookup query, for ``--seconds``;
the baseline, in the same run and sitting, is the same 32 lookup clients
alone. It prints both throughputs and their ratio (the goal: lookups keep at
least half of their throughput, with no errors).

Writes bench/serve.json and bench/serve.md (bench/serve-mix.* with --mix), and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

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
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status.startswith(b"HTTP/1.1 200"):
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
    source: Path, skip: list[str], settings: list[str]
) -> tuple[subprocess.Popen[bytes], int]:
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
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"pilotkg serve exited with {process.returncode}: run it by hand to see why"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("pilotkg serve did not start within 300 s")


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
    args = parser.parse_args()
    if args.out is None:
        args.out = ROOT / "bench" / ("serve-mix.json" if args.mix else "serve.json")

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
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_1min": {
            "start": round(load_at_start, 2),
            "end": round(os.getloadavg()[0], 2),
        },
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


if __name__ == "__main__":
    main()
