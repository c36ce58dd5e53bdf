"""Canned queries as served: every ``/queries/NAME.json`` of ``pilotkg serve`` against a bare
endpoint answering the same bound text, one request at a time, in one sitting.

    flock /tmp/pilotkg-bench.lock .venv/bin/python scripts/bench_canned.py [--size 3m] [--runs 3]

The goal (issue 17): at ten million triples every canned query answers within 2 s and their
median within 300 ms. ``--size`` is ``real`` (the checkout) or a synthetic graph
(``scripts/synth.py`` through ``bench.py``'s cache under ``--work``: ``3m`` facts make about
9.8 million triples). Its release is built once with every check skipped (the checks have a
benchmark of their own, ``bench_build.py``).

Each query runs with its example values (``# example:``), as a reader's first click does;
the federated ones are left out (they call Wikidata). pilotkg serves with its result cache
off (``query_cache_bytes=0``), so every request is answered afresh, which is what the first
reader of a release waits for, and with no byte limit (``max_result_bytes=0``), so that the
time is measured whatever an answer's size (the server's own texts have no row limit). A
query that fails is reported with its status, and the others run on. The baseline is the bare endpoint of ``bench_serve.py``
(Starlette, the release in a pyoxigraph memory store, the text straight into
``Store.query``), sent the text pilotkg binds for the same values (``queries.prepare``). Both
servers are up for the whole run; each query is asked of each in turn, once to warm up and
then ``--runs`` times, and the figures are medians, with the ratio pilotkg / bare.

Writes ``bench/results-canned.json`` and ``bench/results-canned.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_context import run_context  # noqa: E402
from bench_serve import _free_port, _start_server, _started  # noqa: E402

#: The goal of issue 17 for canned queries at ten million triples.
GOAL_MAX_S = 2.0
GOAL_MEDIAN_S = 0.3
#: How long a server of ten million triples may take to load its release.
START_TIMEOUT_S = 1800.0
SERVERS = ("pilotkg", "bare")


def size_arg(text: str) -> str:
    """``--size``: ``real`` or a size ``synth.py`` reads (300k, 3m); argparse's one-line usage
    error (exit 2) for anything else."""
    from synth import parse_size

    if text != "real":
        try:
            parse_size(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither real nor a size such as 300k or 3m"
            ) from None
    return text


def source_for(size: str, work: Path) -> Path:
    """The source folder of ``size`` with its release: the checkout's as ``pilotkg serve``
    builds it, or a synthetic one's built once with every check skipped."""
    from bench import synth_source
    from pilotkg.build.pipeline import ensure_release
    from pilotkg.release import default_release_dir

    if size == "real":
        ensure_release(ROOT, default_release_dir(ROOT), progress=print)
        return ROOT
    source = Path(synth_source(size, argparse.Namespace(work=work, seed=1)))
    skip = ("shacl", "qc", "links", "owl")
    ensure_release(source, default_release_dir(source), skip=skip, progress=print)
    stale = sorted(
        path.name
        for path in (ROOT / "queries").glob("*.rq")
        if not (source / "queries" / path.name).is_file()
        or (source / "queries" / path.name).read_bytes() != path.read_bytes()
    )
    if stale:  # the folder keeps the queries of the day it was written
        print(
            f"the synthetic folder's queries differ from the checkout's: {', '.join(stale)}; "
            f"they are timed as the folder has them (delete {source} to time the checkout's)",
            flush=True,
        )
    return source


def requests_for(source: Path) -> tuple[dict[str, tuple[str, str]], int]:
    """Per canned query, pilotkg's path and the bare endpoint's path for the same bound text,
    and the release's triples. The texts are bound on a store of the release, freed before
    the servers start (each holds one of its own)."""
    import pyoxigraph as ox

    from pilotkg.queries import Catalogue, prepare
    from pilotkg.release import DUMP, default_release_dir
    from pilotkg.sources import SourceTree

    store = ox.Store()
    store.bulk_load(path=str(default_release_dir(source) / DUMP), format=ox.RdfFormat.TURTLE)
    paths = {}
    for query in Catalogue(SourceTree(source).query_dir):
        if query.federated:
            continue
        example = dict(query.example)
        ours = f"/queries/{query.name}.json" + (f"?{urlencode(example)}" if example else "")
        text = prepare(query, example, store)
        paths[query.name] = (ours, "/sparql?query=" + quote(text, safe=""))
    triples = len(store)
    del store
    gc.collect()
    return paths, triples


def timed_get(port: int, path: str) -> tuple[float, int]:
    """Seconds to the last byte of one GET, and the rows of its SPARQL JSON answer."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Accept": "application/sparql-results+json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        body = response.read()
    seconds = time.perf_counter() - started
    return seconds, len(json.loads(body)["results"]["bindings"])


def measure(
    ports: dict[str, int], paths: dict[str, tuple[str, str]], runs: int
) -> list[dict[str, object]]:
    """Each query on each server in turn: one warm-up, then ``runs`` timed requests."""
    rows: list[dict[str, object]] = []
    for name, (ours, theirs) in paths.items():
        times: dict[str, list[float]] = {server: [] for server in SERVERS}
        counts: dict[str, int] = {}
        try:
            for attempt in range(runs + 1):
                for server, path in zip(SERVERS, (ours, theirs), strict=True):
                    seconds, counts[server] = timed_get(ports[server], path)
                    if attempt:
                        times[server].append(seconds)
        except (OSError, ValueError, KeyError) as error:  # HTTP errors, timeouts, bad bodies
            why = f"HTTP {error.code}" if isinstance(error, urllib.error.HTTPError) else repr(error)
            rows.append({"query": name, "failed": f"{why} from {server}"})
            print(f"{name:28} failed: {rows[-1]['failed']}", flush=True)
            continue
        if counts["pilotkg"] != counts["bare"]:
            failed = (
                f"{counts['pilotkg']} rows from pilotkg, {counts['bare']} from the bare endpoint"
            )
            rows.append({"query": name, "failed": failed})
            print(f"{name:28} failed: {failed}", flush=True)
            continue
        median = {server: statistics.median(times[server]) for server in SERVERS}
        rows.append(
            {
                "query": name,
                "rows": counts["pilotkg"],
                "pilotkg_s": round(median["pilotkg"], 4),
                "pilotkg_runs_s": [round(t, 4) for t in times["pilotkg"]],
                "bare_s": round(median["bare"], 4),
                "bare_runs_s": [round(t, 4) for t in times["bare"]],
                "ratio": round(median["pilotkg"] / median["bare"], 2),
            }
        )
        print(
            f"{name:28} {counts['pilotkg']:>7} rows  pilotkg {median['pilotkg']:.3f} s  bare {median['bare']:.3f} s",
            flush=True,
        )
    return rows


def verdict(rows: list[dict[str, object]]) -> list[str]:
    """The goal's two lines: the slowest query and the median, pilotkg's and the bare one's."""
    failed = [str(r["query"]) for r in rows if "failed" in r]
    rows = [r for r in rows if "failed" not in r]
    if not rows:
        return [f"every query failed ({', '.join(failed)}): not met"]
    ours = [float(str(r["pilotkg_s"])) for r in rows]
    theirs = [float(str(r["bare_s"])) for r in rows]
    over = failed + [str(r["query"]) for r in rows if float(str(r["pilotkg_s"])) > GOAL_MAX_S]
    slowest = max(rows, key=lambda r: float(str(r["pilotkg_s"])))
    median, bare_median = statistics.median(ours), statistics.median(theirs)
    return [
        f"every query ≤ {GOAL_MAX_S:g} s: slowest {slowest['query']} {slowest['pilotkg_s']:.2f} s "
        f"(bare {slowest['bare_s']:.2f} s); over: {', '.join(over) or 'none'}: "
        + ("met" if not over else "not met"),
        f"median ≤ {GOAL_MEDIAN_S * 1000:g} ms (of the {len(rows)} answered): {median * 1000:.0f} ms (bare {bare_median * 1000:.0f} ms, "
        f"ratio {median / bare_median:.2f}): " + ("met" if median <= GOAL_MEDIAN_S else "not met"),
    ]


def markdown(result: dict[str, object]) -> str:
    rows = result["queries"]
    assert isinstance(rows, list)
    lines = [
        f"# Canned queries served at {result['triples']:,} triples",
        "",
        f"Medians of {result['runs']} requests after a warm-up, one at a time; pilotkg with its "
        "result cache off, the bare endpoint sent the same bound text.",
        "",
        "| query | rows | pilotkg | bare endpoint | pilotkg / bare |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['query']} | failed: {r['failed']} | | | |"
        if "failed" in r
        else f"| {r['query']} | {r['rows']} | {1000 * r['pilotkg_s']:.0f} ms "
        f"| {1000 * r['bare_s']:.0f} ms | {r['ratio']:.2f} |"
        for r in rows
    ]
    verdicts = result["goal"]
    assert isinstance(verdicts, list)
    return "\n".join([*lines, "", *verdicts]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", default="3m", type=size_arg, help="real, or a synthetic size (3m: 9.8M triples)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/pilotkg-bench"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    load_at_start = os.getloadavg()[0]
    source = source_for(args.size, args.work)
    paths, triples = requests_for(source)
    from pilotkg.release import default_release_dir

    release = default_release_dir(source)
    processes = []
    try:
        process, pilotkg_port = _start_server(
            source,
            [],
            ["query_cache_bytes=0", "max_result_bytes=0"],
            timeout_s=START_TIMEOUT_S,
        )
        processes.append(process)
        port = _free_port()
        bare = [
            sys.executable,
            str(ROOT / "scripts" / "bench_serve.py"),
            "--bare-server",
            str(release),
        ]
        process, bare_port = _started([*bare, "--port", str(port)], port, timeout_s=START_TIMEOUT_S)
        processes.append(process)
        rows = measure({"pilotkg": pilotkg_port, "bare": bare_port}, paths, args.runs)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    result: dict[str, object] = {
        "size": args.size,
        "triples": triples,
        "runs": args.runs,
        "context": run_context(load_at_start),
        "queries": rows,
        "goal": verdict(rows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-canned.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    text = markdown(result)
    (args.out / "results-canned.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
