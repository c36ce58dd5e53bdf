"""Benchmark ``pilotkg serve --processes N`` and ``pilotkg serve --watch``.

Processes: one server each with N = 1, 2 and 4 processes, all up for the whole run,
each asked ``bench_serve``'s three requests (an entity page, a lookup query, a GROUP BY
query) at 1, 16 and 64 clients with ``bench_serve``'s load generator, the servers taken in
turn in every round, for ``--runs`` rounds. The baseline is N = 1 (today's server, the
release in memory) in the same run; the ratios N / 1 are taken per round, and the median
of them is printed with their spread.

Watch: ``pilotkg serve --watch`` on a copy of the sources with every check, and
``--edits`` edits of one data file (zone:shenzhen's English label); for each, the seconds
from the write until the entity page shows the new label. The baseline is the build alone
(``pilotkg build`` of the same sources, in a process of its own), timed in the same sitting
between the edits, which says how much of the wait is the build.

    flock /tmp/pilotkg-bench.lock .venv/bin/python scripts/bench_processes.py
    flock /tmp/pilotkg-bench.lock .venv/bin/python scripts/bench_processes.py --seconds 2 --runs 1 --edits 2
    .venv/bin/python scripts/bench_processes.py --parts watch --out bench/results-watch.json

Writes bench/results-processes.json and .md, and prints the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench_context import run_context
from bench_serve import CONCURRENCY, REQUESTS, Figures, _free_port, _median_figures, _run

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = (1, 2, 4)
#: Every benchmark client has the same address, so the per-client query limit is lifted on
#: every server alike (else some answers are 429 and the figures count refusals).
UNLIMITED_CLIENT = ("--setting", "max_client_queries", "0")
PAGE = "/id/zone/shenzhen"
LABEL = re.compile(r'"Shenzhen AI Innovation and Application Pilot Zone[^"]*"@en')


def _serve(
    source: Path, *options: str, timeout_s: float = 300
) -> tuple[subprocess.Popen[bytes], int]:
    """``pilotkg serve`` on a free port of 127.0.0.1, once it answers a page (bounded)."""
    port = _free_port()
    command = [sys.executable, "-m", "pilotkg.cli", "serve", "--source", str(source)]
    command += ["--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(command[2:])} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{PAGE}", timeout=5).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{' '.join(command[2:])} did not answer within {timeout_s:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _processes(args: argparse.Namespace) -> tuple[list[dict[str, object]], str]:
    """Rounds over every server, request and client count; medians and ratios to N = 1."""
    servers: dict[int, tuple[subprocess.Popen[bytes], int]] = {}
    runs: dict[tuple[int, str, int], list[Figures]] = {}
    try:
        for count in PROCESSES:
            servers[count] = _serve(args.source, "--processes", str(count), *UNLIMITED_CLIENT)
        for _process, port in servers.values():  # warm every process's caches
            for path, accept in REQUESTS.values():
                asyncio.run(_run("127.0.0.1", port, path, accept, 16, 1.0, 2_000))
        for round_ in range(args.runs):
            for name, (path, accept) in REQUESTS.items():
                for clients in CONCURRENCY:
                    for count, (_process, port) in servers.items():
                        figures = asyncio.run(
                            _run(
                                "127.0.0.1",
                                port,
                                path,
                                accept,
                                clients,
                                args.seconds,
                                args.max_requests,
                            )
                        )
                        runs.setdefault((count, name, clients), []).append(figures)
                        print(
                            f"round {round_ + 1} {name} {clients} clients N={count}: "
                            f"{figures.requests_per_s:,.0f} req/s, {figures.errors} errors",
                            flush=True,
                        )
    finally:
        for process, _port in servers.values():
            _stop(process)
    rows: list[dict[str, object]] = []
    lines = [
        "| request | clients | N | req/s | p50 ms | p99 ms | errors | × N=1 (median, spread) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in REQUESTS:
        for clients in CONCURRENCY:
            baseline = runs[(1, name, clients)]
            for count in PROCESSES:
                measured = runs[(count, name, clients)]
                median = _median_figures(name, measured)
                ratios = [
                    round(m.requests_per_s / b.requests_per_s, 2)
                    for m, b in zip(measured, baseline, strict=True)
                ]
                ratio = round(statistics.median(ratios), 2)
                rows.append(
                    {
                        "request": name,
                        "clients": clients,
                        "processes": count,
                        "requests_per_s": median.requests_per_s,
                        "p50_ms": median.p50_ms,
                        "p99_ms": median.p99_ms,
                        "errors": median.errors,
                        "requests": median.requests,
                        "ratio_to_one": ratio,
                        "ratios_per_round": ratios,
                    }
                )
                lines.append(
                    f"| {name} | {clients} | {count} | {median.requests_per_s:,.0f} | "
                    f"{median.p50_ms:.2f} | {median.p99_ms:.2f} | {median.errors} | "
                    f"{ratio:.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |"
                )
    return rows, "\n".join(lines)


def _copy_sources(source: Path, into: Path) -> Path:
    copy = into / "source"
    for part in ("ontology", "shapes", "queries", "data"):
        shutil.copytree(source / part, copy / part)
    return copy


def _edit_label(zones: Path, mark: str) -> None:
    text = zones.read_text(encoding="utf-8")
    new = f'"Shenzhen AI Innovation and Application Pilot Zone {mark}"@en'
    edited, count = LABEL.subn(new, text, count=1)
    assert count == 1, "zone:shenzhen's English label is not where it was"
    zones.write_text(edited, encoding="utf-8")


def _visible_after(port: int, mark: str, timeout_s: float) -> float:
    """Seconds until the page shows ``mark`` (polled every 20 ms), from now."""
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while time.perf_counter() - started < timeout_s:
            if mark in client.get(PAGE, headers={"Accept": "text/html"}).text:
                return time.perf_counter() - started
            time.sleep(0.02)
    raise SystemExit(f"the edit {mark} was not visible within {timeout_s:.0f} s")


def _build_alone(copy: Path, out: Path) -> float:
    """Seconds ``pilotkg build`` takes on ``copy`` in a process of its own, import included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pilotkg.cli", "build", "--source", str(copy), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _watch(args: argparse.Namespace) -> tuple[dict[str, object], str]:
    """Edit-to-visible under --watch, against the build alone, alternated."""
    scratch = Path(tempfile.mkdtemp(prefix="pilotkg-bench-watch-"))
    try:
        copy = _copy_sources(args.source, scratch)
        zones = copy / "data" / "zones.ttl"
        process, port = _serve(copy, "--watch")
        visible: list[float] = []
        builds: list[float] = []
        try:
            for edit in range(args.edits):
                mark = f"EDIT-{edit}-{os.getpid()}"
                _edit_label(zones, mark)
                visible.append(round(_visible_after(port, mark, 300), 2))
                builds.append(round(_build_alone(copy, scratch / "alone"), 2))
                print(
                    f"edit {edit + 1}: visible after {visible[-1]:.2f} s; build alone {builds[-1]:.2f} s",
                    flush=True,
                )
                time.sleep(1.0)  # let the previous release finish stopping
        finally:
            _stop(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures: dict[str, object] = {
        "edit_to_visible_s": visible,
        "build_alone_s": builds,
        "edit_to_visible_median_s": round(statistics.median(visible), 2),
        "build_alone_median_s": round(statistics.median(builds), 2),
        "ratio_median": round(
            statistics.median(v / b for v, b in zip(visible, builds, strict=True)), 2
        ),
    }
    table = "\n".join(
        [
            "| what | median s | min–max s |",
            "|---|---:|---|",
            f"| edit of data/zones.ttl until its page shows it (--watch, every check) | "
            f"{figures['edit_to_visible_median_s']:.2f} | {min(visible):.2f}–{max(visible):.2f} |",
            f"| `pilotkg build` alone, same sources (baseline) | "
            f"{figures['build_alone_median_s']:.2f} | {min(builds):.2f}–{max(builds):.2f} |",
            f"| ratio edit-to-visible / build alone | {figures['ratio_median']:.2f} | |",
        ]
    )
    return figures, table


PARTS = ("processes", "watch")


def _parts(text: str) -> tuple[str, ...]:
    """``--parts``: some of ``PARTS``, separated by commas (argparse's usage error otherwise)."""
    parts = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(PARTS)}, not {text!r}")
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="the sources (default: the checkout)"
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="longest run of one cell, seconds"
    )
    parser.add_argument(
        "--max-requests", type=int, default=20_000, help="most requests in one cell"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="rounds over every server (medians kept)"
    )
    parser.add_argument("--edits", type=int, default=5, help="edits timed under --watch")
    parser.add_argument(
        "--parts",
        type=_parts,
        default=PARTS,
        help="comma-separated, of processes and watch (default: both)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-processes.json")
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    rows: list[dict[str, object]] = []
    processes_table = watch_table = "(not run)"
    watch: dict[str, object] = {}
    if "processes" in args.parts:
        rows, processes_table = _processes(args)
        print("\n" + processes_table, flush=True)
    if "watch" in args.parts:
        watch, watch_table = _watch(args)
        print("\n" + watch_table, flush=True)
    changed = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True, text=True
    ).stdout.split()
    context = {
        **run_context(load_at_start),
        "source": str(args.source),
        "seconds_per_cell": args.seconds,
        "max_requests_per_cell": args.max_requests,
        "runs": args.runs,
        "edits": args.edits,
        "uncommitted_files_in_src": [name for name in changed if name.endswith(".py")],
        "note": "clients on the same machine; max_client_queries 0 on every server; the servers taken in turn in every round; medians of rounds",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"context": context, "processes": rows, "watch": watch}, indent=2) + "\n"
    )
    args.out.with_suffix(".md").write_text(
        f"# pilotkg serve --processes and --watch\n\n{context['note']}; {context['cpus']} CPUs; "
        f"load average {context['load_average_1min']}; source {context['source']}.\n\n"
        f"## --processes N (requests/s; ratio to N = 1 in the same rounds)\n\n{processes_table}\n\n"
        f"## --watch: an edit until its page shows it\n\n{watch_table}\n"
    )


if __name__ == "__main__":
    main()
