"""Benchmark pilotkg against plain rdflib + pyshacl, raw pyoxigraph and Virtuoso.

    python scripts/bench.py [--sizes 10k,100k,1m] [--runs 3] [--out bench/]

For each size, ``scripts/synth.py`` writes a source folder (cached under ``--work``); then every
measurement runs in a fresh Python process (``bench.py --child TASK``), ``--runs`` times, and each
figure is the median of those runs, shown with its minimum and maximum. Comparisons are ratios of
figures taken in the same run of this script on the same input. Writes ``results.json`` (every
run's raw numbers) and ``results.md`` (the tables) into ``--out``.

Tasks, each in its own process:

- ``pipeline``: pilotkg's stages one after another (parse into the store, SHACL, QC queries,
  links, OWL, publish, and each dump format apart), with the process's peak RSS after each stage.
- ``build``: the ``pilotkg build`` command itself, wall time, JVM start included.
- ``baseline``: the same work done the plain way: rdflib memory-store parse, rdflib's four
  serialisers, stock pyshacl. Each part is cut off at ``--cap-s`` and reported as "> cap"; a part
  that hit the cap at a smaller size is not run again at a larger one.
- ``queries``: every canned query through pilotkg's own path (Catalogue, bind, store.query, rows
  read) beside raw pyoxigraph with the same text on the same store (pilotkg's overhead).
- ``rdflib-queries``: the same texts on rdflib's SPARQL engine, each cut off at ``--query-cap-s``.
- ``virtuoso``: the same texts on Virtuoso when it answers on 127.0.0.1:8890 (``scripts/virtuoso.sh
  start``); the data goes into its own named graph, loaded through the Graph Store protocol.
- ``engines``: the violation count and results of every SHACL engine pilotkg uses, on
  ``synth --violations`` fixtures, beside the planted list.

Federated canned queries (``# endpoint:``) need the network and are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

Json = dict[str, Any]
VIRTUOSO = "http://127.0.0.1:8890"  # scripts/virtuoso.sh start; --virtuoso-url for another
ENGINE_SIZES = ("10k", "100k")  # pyshacl, the reference, takes minutes beyond


# ---------------------------------------------------------------------------------------------
# Helpers used in the child processes
# ---------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class OverCap(BaseException):
    """Raised by the alarm: a BaseException, so that libraries' ``except Exception`` let it pass."""


@contextmanager
def cap(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (pure-Python work only: rdflib, pyshacl)."""

    def alarm(_signum: int, _frame: object) -> None:
        raise OverCap

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Stages:
    """Times named stages and records the peak RSS after each."""

    def __init__(self) -> None:
        self.seconds: dict[str, float | None] = {}
        self.rss_mb: dict[str, float] = {}

    def run(self, name: str, work: Callable[[], object], limit: float | None = None) -> object:
        started = time.perf_counter()
        try:
            if limit is None:
                result = work()
            else:
                with cap(limit):
                    result = work()
        except OverCap:
            self.seconds[name] = None
            result = None
        else:
            self.seconds[name] = time.perf_counter() - started
        self.rss_mb[name] = peak_rss_mb()
        return result

    def as_json(self) -> Json:
        return {"seconds": self.seconds, "rss_mb": self.rss_mb}


def canned_queries(source: Path) -> list[tuple[str, str]]:
    """(name, bound text) of every local canned query, bound with its header's example."""
    from pilotkg.queries import Catalogue

    catalogue = Catalogue(source / "queries")
    return [(q.name, q.bind(q.example)) for q in catalogue if not q.federated]


# ---------------------------------------------------------------------------------------------
# Child tasks
# ---------------------------------------------------------------------------------------------


def child_pipeline(source: Path, _args: argparse.Namespace) -> Json:
    from pilotkg.build import checks, reasoning
    from pilotkg.build.ntsort import write_sorted_ntriples
    from pilotkg.build.publish import render_release, write_dump
    from pilotkg.formats import GRAPH_FORMATS
    from pilotkg.sources import load_sources

    stages = Stages()
    sources: Any = stages.run("parse", lambda: load_sources(source))
    engine = checks.shacl_engine()
    stages.run("shacl", lambda: checks.check_shacl(sources.store, sources.shapes, engine=engine))
    stages.run("qc", lambda: checks.run_qc_queries(sources.store, source / "queries" / "qc"))
    stages.run("links", lambda: checks.check_links(sources.store, sources.ontology))
    stages.run("owl", lambda: reasoning.check_consistency(sources.ontology, sources.data))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        release = folder / "release"
        release.mkdir()
        stages.run(
            "publish",
            lambda: render_release(
                sources,
                release,
                version="bench",
                base_url="https://w3id.org/pilotkg/",
                progress=lambda _m: None,
            ),
        )
        ordered = folder / "sorted.nt"
        stages.run("sort", lambda: write_sorted_ntriples(sources.store, ordered))
        for fmt in GRAPH_FORMATS:
            stages.run(f"dump {fmt.extension}", partial(write_dump, ordered, fmt, folder))
    return stages.as_json() | {"triples": len(sources.store), "shacl_engine": engine}


def child_build(source: Path, _args: argparse.Namespace) -> Json:
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "dist")  # the release path becomes a symlink: not the scratch
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pilotkg.cli", "build", "--source", str(source), "--out", out],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    # this process waits for no other child, so the children's peak is the command's own
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": {"build": wall},
        "rss_mb": {"build": peak_mb},
        "exit_code": done.returncode,
        "stderr_tail": done.stderr[-300:],
    }


def child_baseline(source: Path, args: argparse.Namespace) -> Json:
    import rdflib
    from pyshacl import validate

    skip = set(args.skip_parts or ())
    stages = Stages()

    def parse() -> rdflib.Graph:
        graph = rdflib.Graph()
        for part in ("ontology", "data"):
            for path in sorted((source / part).glob("*.ttl")):
                graph.parse(path, format="turtle")
        return graph

    graph: Any = stages.run("parse", parse, args.cap_s)
    if graph is None:
        return stages.as_json()
    for name, fmt in (
        ("dump ttl", "turtle"),
        ("dump nt", "nt"),
        ("dump jsonld", "json-ld"),
        ("dump rdf", "xml"),
    ):
        if name not in skip:
            stages.run(name, partial(graph.serialize, format=fmt, encoding="utf-8"), args.cap_s)
    if "shacl" not in skip:
        shapes = rdflib.Graph()
        for path in sorted((source / "shapes").glob("*.ttl")):
            shapes.parse(path, format="turtle")
        stages.run(
            "shacl",
            lambda: validate(
                graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
            ),
            args.cap_s,
        )
    return stages.as_json()


def _interleaved(
    measure: dict[str, Callable[[], object]], budget_s: float = 0.3, most: int = 300
) -> dict[str, float]:
    """Median timing of each callable, alternating between them after one warm-up run each.

    A query of a few hundred microseconds timed three times gives a ratio that is
    mostly noise (whichever runs first pays for cold caches), so fast ones are
    repeated until about ``budget_s`` is spent on each (at least 3, at most ``most`` runs).
    """
    warm = {}
    for name, work in measure.items():
        started = time.perf_counter()
        work()
        warm[name] = time.perf_counter() - started
    repeats = max(3, min(most, int(budget_s / max(max(warm.values()), 1e-6))))
    timings: dict[str, list[float]] = {name: [] for name in measure}
    for _ in range(repeats):
        for name, work in measure.items():
            started = time.perf_counter()
            work()
            timings[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in timings.items()}


def _read_only_copy(store: Any, folder: Path) -> Any:
    """``store`` as the server's query workers open it (``web/stores.py``): bulk-loaded into
    RocksDB on disk, flushed, optimised, then opened read-only."""
    import pyoxigraph as ox

    dump = folder / "store.nt"
    store.dump(str(dump), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    disk = ox.Store(str(folder / "store"))
    disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
    disk.flush()
    disk.optimize()
    del disk  # closes the database, so that it opens read-only
    dump.unlink()
    return ox.Store.read_only(str(folder / "store"))


def child_queries(source: Path, _args: argparse.Namespace) -> Json:
    """Each canned query on pilotkg's path (the catalogue's binding) over the store in memory,
    where pages and lookups run, beside the same text on raw pyoxigraph, and over the
    read-only on-disk copy the query workers answer from."""
    import pyoxigraph as ox

    from pilotkg.queries import Catalogue
    from pilotkg.sources import load_sources

    store = load_sources(source).store
    catalogue = Catalogue(source / "queries")
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}

    def consume(results: object) -> int:
        assert isinstance(results, ox.QuerySolutions)
        return sum(1 for _ in results)

    def through_catalogue(on: Any, name: str, example: dict[str, str]) -> int:
        return consume(on.query(catalogue.get(name).bind(example)))

    def raw_text(text: str) -> int:
        return consume(store.query(text))

    with tempfile.TemporaryDirectory() as scratch:
        disk = _read_only_copy(store, Path(scratch))
        for query in catalogue:
            if query.federated:
                continue
            text = query.bind(query.example)
            timing = _interleaved(
                {
                    "pilotkg": partial(through_catalogue, store, query.name, query.example),
                    "raw": partial(raw_text, text),
                    "disk": partial(through_catalogue, disk, query.name, query.example),
                }
            )
            for way, median in timing.items():
                seconds[f"{query.name} {way}"] = median
            rows[query.name] = consume(store.query(text))
        del disk
    return {"seconds": seconds, "rows": rows, "rss_mb": {"queries": peak_rss_mb()}}


def child_rdflib_queries(source: Path, args: argparse.Namespace) -> Json:
    import rdflib

    graph = rdflib.Graph()
    for part in ("ontology", "data"):
        for path in sorted((source / part).glob("*.ttl")):
            graph.parse(path, format="turtle")

    def rdflib_rows(text: str) -> int:
        return len(list(graph.query(text)))

    stages = Stages()
    skip = set(args.skip_parts or ())
    for name, text in canned_queries(source):
        if name not in skip:
            stages.run(name, partial(rdflib_rows, text), args.query_cap_s)
    return stages.as_json()


def _virtuoso_request(
    url: str,
    *,
    data: bytes | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> bytes:
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url.split("/sparql", 1)[0], "dba", "dba")
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with opener.open(request, timeout=600) as response:
        return bytes(response.read())


def virtuoso_running(base: str) -> bool:
    try:
        _virtuoso_request(f"{base}/sparql?query=" + urllib.parse.quote("ASK {}"))
    except (OSError, urllib.error.URLError):
        return False
    return True


def child_virtuoso(source: Path, args: argparse.Namespace) -> Json:
    """Load with pilotkg's own loader (Graph Store protocol, digest, batches: Virtuoso resets
    a connection that sends a whole graph before its digest challenge), then time each query."""
    from bench_load import loadable
    from pilotkg.remote.client import Credentials, Endpoints, RemoteStore
    from pilotkg.remote.loading import load_triples
    from pilotkg.sources import load_sources

    graph = f"urn:pilotkg:bench:{args.size}"
    store = RemoteStore(
        Endpoints(
            f"{args.virtuoso_url}/sparql-auth",
            graph_store=f"{args.virtuoso_url}/sparql-graph-crud-auth",
        ),
        credentials=Credentials("dba", "dba"),
        timeout_s=600,
    )
    triples, _merged = loadable(sorted(set(load_sources(source).knowledge), key=str))
    stages = Stages()
    stages.run("load", lambda: load_triples(store, triples, graph=graph))
    for name, text in canned_queries(source):
        form = urllib.parse.urlencode({"query": text, "default-graph-uri": graph}).encode()
        headers = {
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        stages.run(
            name,
            partial(
                _virtuoso_request,
                f"{args.virtuoso_url}/sparql",
                data=form,
                method="POST",
                headers=headers,
            ),
        )
    store.update(f"DROP SILENT GRAPH <{graph}>", what="dropping the benchmark graph")
    return stages.as_json()


def child_engines(source: Path, _args: argparse.Namespace) -> Json:
    from pilotkg.build import checks
    from pilotkg.sources import load_sources

    sources = load_sources(source)
    expected = json.loads((source / "expected-violations.json").read_text(encoding="utf-8"))
    out: Json = {"planted": len([e for e in expected if e["check"] == "shacl"]), "engines": {}}
    for engine in checks.SHACL_ENGINES:
        started = time.perf_counter()
        findings = [
            f
            for f in checks.check_shacl(sources.store, sources.shapes, engine=engine)
            if f.severity == "Violation"
        ]
        out["engines"][engine] = {
            "violations": len(findings),
            "seconds": time.perf_counter() - started,
            "results": sorted([f.focus_node, f.path, f.component] for f in findings),
        }
    return out


CHILDREN: dict[str, Callable[[Path, argparse.Namespace], Json]] = {
    "pipeline": child_pipeline,
    "build": child_build,
    "baseline": child_baseline,
    "queries": child_queries,
    "rdflib-queries": child_rdflib_queries,
    "virtuoso": child_virtuoso,
    "engines": child_engines,
}


# ---------------------------------------------------------------------------------------------
# The parent: sources, runs, aggregation, tables
# ---------------------------------------------------------------------------------------------


def spawn(
    task: str, source: Path, args: argparse.Namespace, size: str, skip: Sequence[str] = ()
) -> Json | None:
    """Run one task in a fresh process; None when it failed or ran past the safety timeout."""
    command = [
        sys.executable,
        __file__,
        "--child",
        task,
        "--source",
        str(source),
        "--size",
        size,
        "--cap-s",
        str(args.cap_s),
        "--query-cap-s",
        str(args.query_cap_s),
        "--virtuoso-url",
        args.virtuoso_url,
    ]
    for part in skip:
        command += ["--skip-part", part]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.cap_s * 8, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"bench: {task} at {size} ran past {args.cap_s * 8} s", file=sys.stderr)
        return None
    if done.returncode != 0 or not done.stdout.strip():
        print(f"bench: {task} at {size} failed: {done.stderr[-800:]}", file=sys.stderr)
        return None
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def summary(values: list[float | None], cap_s: float | None = None) -> Json:
    """Median, min and max of the runs; a run that hit the cap (``cap_s``, kept with the
    figure, since runs with other caps are merged into one results file) counts as
    infinitely slow."""
    over = [v is None for v in values]
    finite = sorted(v for v in values if v is not None)
    if sum(over) * 2 >= len(values):
        return {"over_cap": True, "runs": len(values), "cap_s": cap_s}
    padded = finite + [float("inf")] * sum(over)
    return {
        "median": statistics.median(padded),
        "min": finite[0],
        "max": max(padded),
        "runs": len(values),
    }


def aggregate(
    runs: list[Json], key: str = "seconds", cap_s: float | None = None
) -> dict[str, Json]:
    names = list(dict.fromkeys(name for run in runs for name in run.get(key, {})))
    return {name: summary([run.get(key, {}).get(name) for run in runs], cap_s) for name in names}


def synth_source(size: str, args: argparse.Namespace, violations: int = 0) -> Path:
    """The synthetic source folder for ``size`` (written once, reused across invocations)."""
    from synth import parse_size, synthesise

    folder: Path = args.work / (f"synth-{size}" + (f"-v{violations}" if violations else ""))
    marker = folder / ".complete"
    if not marker.exists():
        written, _planted = synthesise(
            folder, triples=parse_size(size), seed=args.seed, violations=violations
        )
        marker.write_text(str(written))
    return folder


def over_cap_before(results: Json, task: str, sizes: list[str], size: str) -> list[str]:
    """Parts of ``task`` that hit the cap at a smaller size: not worth running again."""
    parts: list[str] = []
    for smaller in sizes[: sizes.index(size)]:
        for name, stats in results["sizes"].get(smaller, {}).get(task, {}).items():
            if isinstance(stats, dict) and stats.get("over_cap"):
                parts.append(name)
    return parts


def measure_size(size: str, source: Path, args: argparse.Namespace, results: Json) -> Json:
    entry: Json = {"source": str(source)}
    tasks = ["pipeline", "build", "baseline", "queries", "rdflib-queries"]
    if virtuoso_running(args.virtuoso_url):
        tasks.append("virtuoso")
    for task in tasks:
        if task not in args.tasks:
            continue
        skip = (
            over_cap_before(results, task, args.size_list, size) if size in args.size_list else []
        )
        runs = [r for r in (spawn(task, source, args, size, skip) for _ in range(args.runs)) if r]
        print(f"bench: {size} {task}: {len(runs)} run(s)", file=sys.stderr)
        entry[task] = aggregate(
            runs, cap_s=args.query_cap_s if task == "rdflib-queries" else args.cap_s
        )
        entry[task + " rss_mb"] = aggregate(runs, "rss_mb")
        for name in skip:
            entry[task][name] = {
                "over_cap": True,
                "runs": 0,
                "skipped": "over the cap at a smaller size",
            }
        if runs and "triples" in runs[0]:
            entry["triples"] = runs[0]["triples"]
        if runs and "rows" in runs[0]:
            entry["rows"] = runs[0]["rows"]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "pilotkg-bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cap-s", type=float, default=300.0, help="cut-off for baseline parts")
    parser.add_argument(
        "--query-cap-s", type=float, default=60.0, help="cut-off for each rdflib query"
    )
    parser.add_argument("--tasks", default=",".join([*CHILDREN]), help="comma-separated subset")
    parser.add_argument("--virtuoso-url", default=VIRTUOSO, help="Virtuoso's HTTP origin")
    parser.add_argument(
        "--real", action="store_true", help="also time `pilotkg build` on this checkout"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="", help=argparse.SUPPRESS)
    parser.add_argument("--skip-part", dest="skip_parts", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.source, args)))
        return
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.tasks = set(args.tasks.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.json"
    results: Json = json.loads(results_path.read_text()) if results_path.exists() else {"sizes": {}}
    results["machine"] = machine()
    results["settings"] = {
        "runs": args.runs,
        "cap_s": args.cap_s,
        "query_cap_s": args.query_cap_s,
        "seed": args.seed,
    }
    if args.real:
        runs = [r for r in (spawn("build", ROOT, args, "real") for _ in range(args.runs)) if r]
        results["real_build"] = aggregate(runs) | {"exit_codes": [r["exit_code"] for r in runs]}
    for size in args.size_list:
        source = synth_source(size, args)
        results["sizes"][size] = results["sizes"].get(size, {}) | measure_size(
            size, source, args, results
        )
        if "engines" in args.tasks and size in ENGINE_SIZES:
            fixture = synth_source(size, args, violations=26)
            runs = [r for r in (spawn("engines", fixture, args, size) for _ in range(1)) if r]
            results["sizes"][size]["engines"] = runs[0] if runs else None
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        (args.out / "results.md").write_text(render(results), encoding="utf-8")
    print(render(results))


def machine() -> Json:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "platform": platform.platform(),
    }


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _lower_bound(stats: Json, cap: float | None) -> float | None:
    """What a figure over the cap is at least: its own cap, else the one given."""
    bound = stats.get("at_least", stats.get("cap_s"))
    return float(bound) if bound is not None else cap


def fmt_stat(stats: Json | None, cap: float | None = None) -> str:
    """``1.23 s (1.20–1.31)``, or ``> N s`` for a figure over the cap."""
    if not stats:
        return "–"
    if stats.get("over_cap"):
        bound = _lower_bound(stats, cap)
        return f"> {bound:.0f} s" if bound else "> cap"
    return f"{_secs(stats['median'])} ({_secs(stats['min'])}–{_secs(stats['max'])})"


def _secs(value: float) -> str:
    if value == float("inf"):
        return "> cap"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio(slow: Json | None, fast: Json | None, cap: float) -> str:
    """How many times faster ``fast`` is than ``slow`` (medians), "> N×" when slow hit the cap."""
    if not slow or not fast or "median" not in fast:
        return "–"
    if slow.get("over_cap"):
        bound = _lower_bound(slow, cap)
        return f"> {bound / fast['median']:.0f}×" if bound else "–"
    return f"{slow['median'] / fast['median']:.1f}×"


PIPELINE_STAGES = (
    "parse",
    "shacl",
    "qc",
    "links",
    "owl",
    "publish",
    "sort",
    "dump ttl",
    "dump nt",
    "dump jsonld",
    "dump rdf",
)


def render(results: Json) -> str:
    settings = results.get("settings", {})
    cap = settings.get("cap_s", 300.0)
    qcap = settings.get("query_cap_s", 60.0)
    out = [
        "# pilotkg benchmark",
        "",
        "Medians of fresh-process runs (how many: `runs` beside each figure in results.json; "
        "min–max in brackets); a figure over its cut-off reads `> N s`; "
        f"machine: {results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        f"load average {results['machine']['load_average_1m']:.1f} at the start.",
        "",
    ]
    if "real_build" in results:
        out += [
            f"`pilotkg build` on the real data (wall, JVM start included): {fmt_stat(results['real_build'].get('build'))}",
            "",
        ]
    sizes = results["sizes"]
    out += [*_pipeline_table(sizes, cap), "", *_memory_table(sizes), ""]
    for size, entry in sizes.items():
        out += [*_query_table(size, entry, qcap), ""]
    out += _engines_table(sizes)
    return "\n".join(out) + "\n"


def _pipeline_table(sizes: Json, cap: float) -> list[str]:
    header = [
        "stage",
        *(f"pilotkg {s}" for s in sizes),
        *(f"rdflib/pyshacl {s}" for s in sizes),
        *(f"speed-up {s}" for s in sizes),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for stage in (*PIPELINE_STAGES, "stages one after another", "check + publish (pilotkg build)"):
        ours = [_stage(entry, stage) for entry in sizes.values()]
        theirs = [_baseline(entry, stage) for entry in sizes.values()]
        cells = [fmt_stat(o) for o in ours] + [fmt_stat(t, cap) for t in theirs]
        cells += [ratio(t, o, cap) for o, t in zip(ours, theirs, strict=True)]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return ["## Pipeline stages (seconds)", "", *lines]


def _stage(entry: Json, stage: str) -> Json | None:
    pipeline: dict[str, Json] = entry.get("pipeline", {})
    if stage == "check + publish (pilotkg build)":
        # the command as users run it: parse included, SHACL beside the rest (checks.RunningChecks)
        build: Json | None = entry.get("build", {}).get("build")
        return build
    if stage == "stages one after another":
        parts = [pipeline.get(s) for s in ("parse", "shacl", "qc", "links", "owl", "publish")]
        return _sum(parts)
    return pipeline.get(stage)


def _baseline(entry: Json, stage: str) -> Json | None:
    baseline: dict[str, Json] = entry.get("baseline", {})
    if stage in ("stages one after another", "check + publish (pilotkg build)"):
        return _sum(
            [
                baseline.get(s)
                for s in ("parse", "shacl", "dump ttl", "dump nt", "dump jsonld", "dump rdf")
            ]
        )
    return baseline.get(stage)


def _sum(parts: list[Json | None]) -> Json | None:
    """The sum of medians (and of mins and maxes); over the cap when any part is, and then at
    least the finite parts plus the caps of the others."""
    if any(p is None for p in parts):
        return None
    if any(p.get("over_cap") for p in parts if p):
        at_least = sum(
            (p.get("cap_s") or 0.0) if p.get("over_cap") else p["median"] for p in parts if p
        )
        return {"over_cap": True, "at_least": at_least}
    return {k: sum(p[k] for p in parts if p) for k in ("median", "min", "max")}


def _memory_table(sizes: Json) -> list[str]:
    lines = [
        "## Peak memory (RSS, MB, median of runs) after each pilotkg stage, stages one after another",
        "",
        "| stage | " + " | ".join(sizes) + " |",
        "|" + "---|" * (len(sizes) + 1),
    ]
    rows = [(stage, "pipeline rss_mb", stage) for stage in PIPELINE_STAGES]
    rows.append(("pilotkg build (whole command)", "build rss_mb", "build"))
    for label, task, stage in rows:
        cells = [entry.get(task, {}).get(stage) for entry in sizes.values()]
        lines.append(
            f"| {label} | "
            + " | ".join(f"{c['median']:.0f}" if c and "median" in c else "–" for c in cells)
            + " |"
        )
    return lines


def _query_table(size: str, entry: Json, qcap: float) -> list[str]:
    queries = entry.get("queries", {})
    names = sorted({name.rsplit(" ", 1)[0] for name in queries})
    has_virtuoso = "virtuoso" in entry
    header = [
        "query",
        "rows",
        "pilotkg",
        "raw pyoxigraph",
        "pilotkg / raw",
        "workers' on-disk store",
        "on disk / in memory",
        "rdflib",
        "rdflib / pilotkg",
    ]
    header += ["Virtuoso", "Virtuoso / pilotkg"] if has_virtuoso else []
    lines = [
        f"## Canned queries at {size} ({entry.get('triples', '?')} triples)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name in names:
        ours, raw = queries.get(f"{name} pilotkg"), queries.get(f"{name} raw")
        slow = entry.get("rdflib-queries", {}).get(name)
        cells = [name, str(entry.get("rows", {}).get(name, "")), fmt_stat(ours), fmt_stat(raw)]
        cells.append(
            f"{ours['median'] / raw['median']:.2f}" if ours and raw and "median" in ours else "–"
        )
        disk = queries.get(f"{name} disk")
        cells += [fmt_stat(disk), ratio(disk, ours, qcap)]
        cells += [fmt_stat(slow, qcap), ratio(slow, ours, qcap)]
        if has_virtuoso:
            v = entry["virtuoso"].get(name)
            cells += [
                fmt_stat(v),
                f"{v['median'] / ours['median']:.2f}" if v and ours and "median" in v else "–",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _engines_table(sizes: Json) -> list[str]:
    lines = [
        "## SHACL engines on planted violations",
        "",
        "| size | planted (SHACL findings) | engine | violations | seconds | same results as pyshacl |",
        "|---|---|---|---|---|---|",
    ]
    for size, entry in sizes.items():
        engines = (entry.get("engines") or {}).get("engines", {})
        reference = engines.get("pyshacl", {}).get("results")
        for name, result in engines.items():
            same = "yes" if result["results"] == reference else "NO"
            lines.append(
                f"| {size} | {entry['engines']['planted']} | {name} | {result['violations']} | {result['seconds']:.2f} | {same} |"
            )
    return lines


if __name__ == "__main__":
    main()
