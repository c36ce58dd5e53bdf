"""Load throughput into Virtuoso: ``pilotkg load`` over the Graph Store protocol, over
INSERT DATA batches and through Virtuoso's SQL port (``--virtuoso-sql``), beside
Virtuoso's own bulk loader as the reference.

    python scripts/bench_load.py [--sizes real,100k,300k] [--runs 3] [--insert-data-max-triples 100000]

Each size is loaded ``--runs`` times by each method into a fresh graph of a private
Virtuoso (started here with ``scripts/virtuoso.sh`` on free ports, in a temporary
database, and stopped at the end). Sizes: ``real`` is a release of this checkout
(checks skipped); ``100k``, ``1m`` … are graphs written by ``scripts/synth.py``
(deterministic by ``--seed``). The pilotkg figures are whole loads as a user sees
them: sorting, serialising, filling the staging graph, counting it, the swap
and the final count; ``swap_s`` is the swap alone (MOVE, or the SQL transaction,
the staging graph's removal and the checkpoint). A load the store refuses is
reported with its error instead of a time. The bulk loader figure is
``ld_dir`` + ``rdf_loader_run()`` + ``checkpoint`` through ``isql-vt``, timed after
the N-Triples file is written. Results, medians of the runs, go to
``bench/load.json`` and ``bench/load.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pilotkg.build import pipeline  # noqa: E402  (the checkout's package, also when not installed)
from pilotkg.errors import PilotkgError  # noqa: E402
from pilotkg.release import read_release  # noqa: E402
from pilotkg.remote.client import (  # noqa: E402
    Credentials,
    Endpoints,
    RemoteStore,
    RemoteStoreError,
)
from pilotkg.remote.loading import Swap, load_triples, merged_by_value  # noqa: E402
from pilotkg.remote.virtuoso_sql import VirtuosoSql, find_driver  # noqa: E402
from pilotkg.sources import load_sources  # noqa: E402

SCRIPT = ROOT / "scripts" / "virtuoso.sh"
SYNTH = ROOT / "scripts" / "synth.py"
METHODS = ("graph-store", "insert-data", "virtuoso-sql", "bulk-loader")


@dataclass(frozen=True)
class Instance:
    """A private Virtuoso: its ports, database folder and the environment that names them."""

    http_port: int
    isql_port: int
    directory: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "VIRTUOSO_DIR": str(self.directory),
            "VIRTUOSO_HTTP_PORT": str(self.http_port),
            "VIRTUOSO_ISQL_PORT": str(self.isql_port),
        }

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"

    def isql(self, statements: str) -> None:
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql_port}", "dba", "dba", f"exec={statements}"],
            check=True,
            capture_output=True,
            timeout=3600,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_virtuoso(directory: Path) -> Iterator[Instance]:
    """Start a Virtuoso of our own, and stop it whatever happens."""
    instance = Instance(free_port(), free_port(), directory)
    subprocess.run(["bash", str(SCRIPT), "start"], env=instance.env, check=True, timeout=180)
    try:
        yield instance
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=instance.env, timeout=120, check=False)


class TimedStore(RemoteStore):
    """A RemoteStore that also adds up the seconds its MOVE requests take."""

    swap_s = 0.0

    def update(self, text: str, *, what: str, retry: bool = True) -> None:
        started = time.perf_counter()
        super().update(text, what=what, retry=retry)
        if text.startswith("MOVE"):
            self.swap_s += time.perf_counter() - started


class TimedSql(VirtuosoSql):
    """The ``--virtuoso-sql`` path, also adding up the seconds its swap takes."""

    swap_s = 0.0

    def replace(self, **arguments: Any) -> Swap:
        started = time.perf_counter()
        swap = super().replace(**arguments)
        self.swap_s += time.perf_counter() - started
        return swap


def store_for(instance: Instance, method: str) -> TimedStore:
    """dba over digest authentication, as a user would load a real Virtuoso."""
    graph_store = instance.url("/sparql-graph-crud-auth") if method == "graph-store" else None
    return TimedStore(
        Endpoints(instance.url("/sparql-auth"), graph_store=graph_store),
        credentials=Credentials("dba", "dba"),
        timeout_s=600,
    )


def parse_size(text: str) -> int:
    """A size such as 100k or 1m; argparse's usage error (exit 2) for anything else."""
    text = text.strip().lower()
    try:
        return int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 100k or 1m") from None


def parse_sizes(text: str) -> list[str]:
    """``--sizes``: ``real`` and sizes such as 100k, 1m, separated by commas."""
    sizes = [size.strip() for size in text.split(",") if size.strip()]
    for size in sizes:
        if size != "real":
            parse_size(size)
    return sizes


def triples_for(size: str, *, seed: int, work: Path) -> list[ox.Triple]:
    """The graph for one size: the checkout's release, or a synthetic graph from synth.py."""
    if size == "real":
        out = pipeline.build(ROOT, work / "real" / "dist", skip=("shacl", "qc", "owl", "links"))
        return sorted(read_release(out.out_dir), key=str)
    folder = work / f"synth-{size}"
    subprocess.run(
        [
            sys.executable,
            str(SYNTH),
            "--triples",
            str(parse_size(size)),
            "--seed",
            str(seed),
            "--out",
            str(folder),
        ],
        check=True,
        capture_output=True,
    )
    return sorted(set(load_sources(folder).knowledge), key=str)


def loadable(triples: list[ox.Triple]) -> tuple[list[ox.Triple], int]:
    """``triples`` less one of each pair Virtuoso would merge (a month and its first day …),
    which pilotkg load rightly refuses; returns the rest and how many were dropped."""
    merged = {second for _first, second in merged_by_value(triples)}
    return [t for t in triples if t not in merged], len(merged)


def pilotkg_run(instance: Instance, method: str, triples: list[ox.Triple]) -> tuple[float, float]:
    """One ``pilotkg load`` into a fresh graph: (seconds, seconds of the swap)."""
    store = store_for(instance, method)
    sql = None
    if method == "virtuoso-sql":
        folder = instance.directory / "bench"  # in DirsAllowed: virtuoso.sh adds the database's
        folder.mkdir(exist_ok=True)
        sql = TimedSql(
            f"127.0.0.1:{instance.isql_port}", Credentials("dba", "dba"), folder, find_driver()
        )
    graph = f"urn:pilotkg:bench:{uuid.uuid4().hex}"
    started = time.perf_counter()
    summary = load_triples(store, triples, graph=graph, way=sql)
    seconds = time.perf_counter() - started
    store.update(f"DROP SILENT GRAPH <{graph}>", what="DROP")
    assert summary.triples == len(triples)
    return seconds, (sql or store).swap_s


def bulk_loader_run(instance: Instance, triples: list[ox.Triple]) -> tuple[float, float]:
    """Virtuoso's bulk loader on an N-Triples file in a folder of its DirsAllowed."""
    folder = instance.directory / "bench" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    (folder / "data.nt.gz").write_bytes(
        gzip.compress(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", compresslevel=1)
    )
    graph = f"urn:pilotkg:bench:{uuid.uuid4().hex}"
    started = time.perf_counter()
    instance.isql(f"ld_dir('{folder}', 'data.nt.gz', '{graph}'); rdf_loader_run(); checkpoint;")
    seconds = time.perf_counter() - started
    store = store_for(instance, "insert-data")
    loaded = store.count(graph)
    store.update(f"DROP SILENT GRAPH <{graph}>", what="DROP")
    assert loaded == len(triples), f"the bulk loader loaded {loaded} of {len(triples)} triples"
    return seconds, 0.0


@dataclass
class Result:
    size: str
    triples: int
    method: str
    seconds: list[float] = field(default_factory=list)
    swap_seconds: list[float] = field(default_factory=list)
    skipped: str = ""
    failed: str = ""

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def triples_per_s(self) -> float | None:
        median = self.median_s
        return self.triples / median if median else None

    def as_dict(self) -> dict[str, object]:
        swap = statistics.median(self.swap_seconds) if self.swap_seconds else None
        return {
            **asdict(self),
            "median_s": self.median_s,
            "triples_per_s": self.triples_per_s,
            "swap_median_s": swap,
        }


def measure(
    instance: Instance,
    size: str,
    method: str,
    triples: list[ox.Triple],
    runs: int,
    insert_data_max: int,
) -> Result:
    result = Result(size, len(triples), method)
    if method == "insert-data" and len(triples) > insert_data_max:
        result.skipped = f"over --insert-data-max-triples {insert_data_max}"
        return result
    run: Callable[[], tuple[float, float]] = (
        (lambda: bulk_loader_run(instance, triples))
        if method == "bulk-loader"
        else (lambda: pilotkg_run(instance, method, triples))
    )
    for _ in range(runs):
        try:
            seconds, swap_s = run()
        except RemoteStoreError as error:
            result.failed = str(error)[:300]
            print(f"  {size:>6} {method:12} failed: {result.failed}", file=sys.stderr)
            return result
        result.seconds.append(seconds)
        result.swap_seconds.append(swap_s)
        print(f"  {size:>6} {method:12} {seconds:8.2f}s", file=sys.stderr)
    return result


def markdown(results: list[Result], runs: int) -> str:
    lines = [
        f"| graph | triples | method | median of {runs} (s) | triples/s | swap (s) | "
        "of the bulk loader's rate |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    reference = {r.size: r.triples_per_s for r in results if r.method == "bulk-loader"}
    for r in results:
        if r.skipped or r.failed:
            why = f"skipped: {r.skipped}" if r.skipped else f"failed: {r.failed}"
            lines.append(f"| {r.size} | {r.triples:,} | {r.method} | {why} | | | |")
            continue
        swap = statistics.median(r.swap_seconds) if r.method != "bulk-loader" else None
        base = reference.get(r.size)
        ratio = f"{r.triples_per_s / base:.2f}" if base and r.triples_per_s else ""
        lines.append(
            f"| {r.size} | {r.triples:,} | {r.method} | {r.median_s:.2f} | {r.triples_per_s:,.0f} | "
            f"{'' if swap is None else f'{swap:.2f}'} | {ratio} |"
        )
    return "\n".join([*lines, "", *goal_lines(results)]) + "\n"


#: The goal of issue 17: an atomic, counted load into Virtuoso at this rate, at about a million.
GOAL_TRIPLES_PER_S = 100_000


def goal_lines(results: list[Result]) -> list[str]:
    """One line per graph of about a million triples or more: the fastest atomic pilotkg path
    against the goal and against the bulk loader of the same run."""
    lines = []
    for size in dict.fromkeys(r.size for r in results):
        runs = [r for r in results if r.size == size and r.triples_per_s]
        atomic = [r for r in runs if r.method != "bulk-loader"]
        bulk = next((r for r in runs if r.method == "bulk-loader"), None)
        if not atomic or atomic[0].triples < 900_000:
            continue
        best = max(atomic, key=lambda r: r.triples_per_s or 0.0)
        rate = best.triples_per_s or 0.0
        against = (
            f", {rate / bulk.triples_per_s:.2f} of the bulk loader"
            if bulk and bulk.triples_per_s
            else ""
        )
        verdict = "met" if rate >= GOAL_TRIPLES_PER_S else "not met"
        lines.append(
            f"goal ≥ {GOAL_TRIPLES_PER_S:,} triples/s counted and swapped at {best.triples:,} triples: "
            f"{rate:,.0f} ({best.method}{against}): {verdict}"
        )
    return lines


def virtuoso_version(instance: Instance) -> str:
    with urllib.request.urlopen(instance.url("/sparql?query=ASK%7B%7D"), timeout=10) as response:
        return str(response.headers.get("Server", "")).strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default="real,100k,300k",
        help="comma-separated: real and/or sizes such as 100k, 300k (synth.py facts; 300k makes about a million triples)",
    )
    parser.add_argument(
        "--methods", default=",".join(METHODS), help=f"comma-separated, of {', '.join(METHODS)}"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--insert-data-max-triples",
        type=parse_size,
        default=100_000,
        help="skip INSERT DATA above this size (about 5k triples/s: 1M takes minutes per run)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "load.json")
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    results: list[Result] = []
    dropped: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="pilotkg-bench-load-") as tmp:
        work = Path(tmp)
        with private_virtuoso(work / "virtuoso") as instance:
            for size in args.sizes:
                triples, dropped[size] = loadable(triples_for(size, seed=args.seed, work=work))
                print(
                    f"{size}: {len(triples):,} triples ({dropped[size]} dropped)", file=sys.stderr
                )
                for method in methods:
                    results.append(
                        measure(
                            instance, size, method, triples, args.runs, args.insert_data_max_triples
                        )
                    )
            server = virtuoso_version(instance)
    table = markdown(results, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "virtuoso": server,
        "runs": args.runs,
        "seed": args.seed,
        "dropped_as_merged_by_virtuoso": dropped,
        "results": [r.as_dict() for r in results],
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)


def run() -> None:
    """``main``, with a failed run as one line on stderr and exit 1 instead of a traceback:
    what failed is Virtuoso (its own output is shown above the line), or a load."""
    try:
        main()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise SystemExit(f"bench_load: {' '.join(map(str, error.cmd))[:200]}: {error}") from None
    except (PilotkgError, AssertionError, OSError) as error:
        raise SystemExit(f"bench_load: the run failed: {error}") from None


if __name__ == "__main__":
    run()
