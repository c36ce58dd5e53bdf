"""Benchmark ``pilotkg build`` at scale, beside the rdflib + pyshacl baseline, in one sitting.

    flock /tmp/pilotkg-bench.lock python scripts/bench_build.py [--sizes 1m,3m,10m] [--real-runs 5]

Measures, each run in a fresh process:

- the real data (this checkout): ``pilotkg build`` as users run it, wall time from the
  process's start to its exit (interpreter, imports and HermiT's JVM included), ``--real-runs``
  times, and the build's own stage times;
- the baseline at 100k (``scripts/bench.py``'s ``baseline`` task: rdflib memory-store parse,
  stock pyshacl, rdflib's serialisers) on the same graph as RDF 1.1 (``rdf11_source``),
  beside pilotkg at the same 100k;
- synthetic graphs (``scripts/synth.py --triples SIZE``, written once under ``--work``):
  wall time, the build's stage times, the Python process's peak RSS after each stage, and the
  peak RSS of the whole process tree (HermiT's JVM and pyLODE's process included), sampled.

A run whose process tree holds more than ``--rss-cap-gb`` is stopped (the machine is shared)
and reported with the stage it had reached. Medians with min–max of the runs; ratios are of
figures taken in this run. Writes ``bench/results-build.json`` and ``bench/results-build.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import fmt_stat, machine, peak_rss_mb, spawn, summary  # noqa: E402
from pilotkg.release import MEMO_VARIABLE  # noqa: E402

# A build "into a new folder" must find no memo: not one a shared folder (a CI cache) holds.
os.environ.pop(MEMO_VARIABLE, None)

Json = dict[str, Any]
#: How often the watchdog reads the process tree's memory.
POLL_S = 0.5
BASELINE_SIZE = "100k"


def child_build(source: Path, started: float, out_dir: Path | None = None) -> Json:
    """One ``pilotkg build`` in this process; stage times, and the peak RSS after each stage.
    Into a fresh folder, deleted after, unless ``out_dir`` names the release path to build
    over (a rebuild, which finds the build memo of the builds before it)."""
    from pilotkg.build.pipeline import build

    rss: Json = {}

    def progress(message: str) -> None:
        # each message opens a stage: the peak so far closes the one before it
        rss[message.split(" ", 1)[0]] = peak_rss_mb()
        print(f"stage {message}", file=sys.stderr, flush=True)

    fresh = Path(os.environ.get("TMPDIR", "/tmp")) / f"pilotkg-bench-build-{os.getpid()}" / "dist"
    out = out_dir or fresh
    summary_ = build(source, out, progress=progress)
    wall = time.time() - started
    if out_dir is None:
        subprocess.run(["rm", "-rf", str(fresh.parent)], check=True)
    return {
        "wall_s": wall,
        "stages_s": summary_.stages,
        "triples": summary_.triples,
        "rss_mb_after": rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, from /proc."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        todo.extend(int(child) for child in children)
    return total


def run_build(source: Path, args: argparse.Namespace, out_dir: Path | None = None) -> Json:
    """``child_build`` in a fresh process, watched: stopped past the RSS cap or the time cap."""
    command = [sys.executable, __file__, "--child", "--source", str(source)]
    command += ["--started", repr(time.time())]
    command += ["--out-dir", str(out_dir)] if out_dir else []
    log = Path(args.work) / f"build-{source.name}.log"
    started = time.perf_counter()
    with log.open("w") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        peak, stopped = 0.0, ""
        while child.poll() is None:
            peak = max(peak, tree_rss_mb(child.pid))
            elapsed = time.perf_counter() - started
            if peak > args.rss_cap_gb * 1024 or elapsed > args.time_cap_s:
                stopped = f"rss {peak / 1024:.1f} GB" if peak > args.rss_cap_gb * 1024 else "time"
                child.kill()
                break
            time.sleep(POLL_S)
        out, _ = child.communicate()
    elapsed = time.perf_counter() - started
    stages = [line for line in log.read_text().splitlines() if line.startswith("stage ")]
    if stopped or child.returncode != 0:
        return {
            "stopped": stopped or f"exit {child.returncode}",
            "after_s": elapsed,
            "peak_tree_rss_mb": peak,
            "last_stage": stages[-1] if stages else "start",
            "stderr_tail": log.read_text()[-600:],
        }
    result: Json = json.loads(out.strip().splitlines()[-1])
    return result | {"peak_tree_rss_mb": peak}


def synth_source(size: str, args: argparse.Namespace) -> Path:
    """The synthetic source folder for ``size``, written once (``scripts/bench.py``'s cache)."""
    from bench import synth_source as cached

    return Path(cached(size, argparse.Namespace(work=Path(args.work), seed=args.seed)))


def rdf11_source(source: Path, args: argparse.Namespace) -> Path:
    """A source folder rdflib reads: the synthetic data's citation blocks are RDF 1.2, which
    rdflib cannot parse, so its data is the Turtle dump of a pilotkg build of ``source``
    (the same graph, citations compiled, ontology included) and its shapes are the same."""
    from pilotkg.build.pipeline import build

    folder = Path(args.work) / f"{source.name}-rdf11"
    if not (folder / "data" / "pilotkg.ttl").exists():
        release = folder / "release"
        build(source, release)
        for part in ("data", "ontology"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / "shapes", folder / "shapes", dirs_exist_ok=True)
        shutil.copyfile(release / "pilotkg.ttl", folder / "data" / "pilotkg.ttl")
    return folder


def measure(source: Path, runs: int, args: argparse.Namespace, out_dir: Path | None = None) -> Json:
    results = [run_build(source, args, out_dir) for _ in range(runs)]
    done = [r for r in results if "stopped" not in r]
    entry: Json = {"runs": results}
    if done:
        entry["wall_s"] = summary([r["wall_s"] for r in done])
        entry["peak_rss_mb"] = summary([r["peak_tree_rss_mb"] for r in done])
        entry["triples"] = done[0]["triples"]
        names = list(dict.fromkeys(n for r in done for n in r["stages_s"]))
        entry["stages_s"] = {n: summary([r["stages_s"].get(n) for r in done]) for n in names}
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--parts",
        default="real,baseline,sizes",
        help="what to measure: real (the real data, fresh and rebuilt), baseline (100k), sizes",
    )
    parser.add_argument("--sizes", default="1m,3m,10m")
    parser.add_argument("--real-runs", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="runs per synthetic size")
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", default="/tmp/pilotkg-bench")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--rss-cap-gb", type=float, default=20.0)
    parser.add_argument("--time-cap-s", type=float, default=1800.0)
    parser.add_argument("--cap-s", type=float, default=300.0, help="baseline cut-off per part")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_build(args.source, args.started, args.out_dir)))
        return
    Path(args.work).mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results: Json = {"machine": machine(), "settings": vars(args) | {"out": str(args.out)}}

    def save() -> None:
        path = args.out / "results-build.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
        (args.out / "results-build.md").write_text(render(results), encoding="utf-8")

    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if "real" in parts:
        results["real"] = measure(ROOT, args.real_runs, args)
        # A rebuild over the release of the build before it, as `pilotkg build` run again
        # (or `serve --watch`) does: the first, uncounted, fills the build memo.
        rebuilt = Path(args.work) / "real-rebuild" / "dist"
        run_build(ROOT, args, rebuilt)
        results["real_rebuild"] = measure(ROOT, args.real_runs, args, rebuilt)
        save()
    if "baseline" in parts:
        run_baseline(results, args)
        save()
    if "sizes" in parts:
        results["sizes"] = {}
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            results["sizes"][size] = measure(synth_source(size, args), args.runs, args)
            save()
    print(render(results))


def run_baseline(results: Json, args: argparse.Namespace) -> None:
    """pilotkg and the rdflib + pyshacl baseline at ``BASELINE_SIZE``, in this sitting."""
    small = synth_source(BASELINE_SIZE, args)
    results["pilotkg_100k"] = measure(small, 3, args)
    bench_args = argparse.Namespace(
        cap_s=args.cap_s, query_cap_s=60.0, virtuoso_url="http://127.0.0.1:8890"
    )
    rdf11 = rdf11_source(small, args)
    baseline = [
        spawn("baseline", rdf11, bench_args, BASELINE_SIZE) for _ in range(args.baseline_runs)
    ]
    results["baseline_100k"] = [b for b in baseline if b]


def _baseline_total(runs: list[Json]) -> Json | None:
    """The baseline's parse + SHACL + four serialisations, per run (None: a part hit the cap)."""
    parts = ("parse", "shacl", "dump ttl", "dump nt", "dump jsonld", "dump rdf")
    totals = []
    for run in runs:
        seconds = run.get("seconds", {})
        values = [seconds.get(p) for p in parts]
        totals.append(None if any(v is None for v in values) else sum(values))
    return summary(totals) if totals else None


def _gb(mb: Json | None) -> str:
    if not mb or "median" not in mb:
        return "–"
    return f"{mb['median'] / 1024:.2f} GB"


def render(results: Json) -> str:
    m = results["machine"]
    out = [
        "# pilotkg build at scale",
        "",
        f"Fresh process per run; medians (min–max). Machine: {m['cpus']} CPUs shared, "
        f"Python {m['python']}, load average {m['load_average_1m']:.1f} at the start.",
        "",
    ]
    real, again = results.get("real", {}), results.get("real_rebuild", {})
    if "wall_s" in real:
        both = "wall_s" in again
        out += [
            "## The real data",
            "",
            f"`pilotkg build`, interpreter, imports and JVM included ({len(real['runs'])} runs "
            "each; goal ≤ 1.5 s): into a new folder, and again over the release of the build "
            "before (the build memo then holds pyLODE's HTML and HermiT's verdict).",
            "",
            "| | new folder | rebuilt |",
            "|---|---|---|",
            f"| whole command | {fmt_stat(real['wall_s'])} | "
            f"{fmt_stat(again['wall_s']) if both else '–'} |",
            f"| peak RSS | {_gb(real['peak_rss_mb'])} | {_gb(again.get('peak_rss_mb'))} |",
            *(
                f"| {n} | {fmt_stat(s)} | {fmt_stat(again['stages_s'].get(n)) if both else '–'} |"
                for n, s in real["stages_s"].items()
            ),
            "",
        ]
    ours, base = results.get("pilotkg_100k", {}), results.get("baseline_100k")
    if "wall_s" in ours:
        total = _baseline_total(base or [])
        out += [
            "## Baseline at 100k (same sitting)",
            "",
            "| | pilotkg build (whole command) | rdflib parse + pyshacl + 4 serialisers |",
            "|---|---|---|",
            f"| seconds | {fmt_stat(ours['wall_s'])} | {fmt_stat(total, 300)} |",
        ]
        if base:
            seconds = base[0].get("seconds", {})
            out += [
                f"| of which parse | {fmt_stat(ours['stages_s'].get('parse'))} | "
                f"{seconds.get('parse') or '> cap'} |",
                f"| of which SHACL | {fmt_stat(ours['stages_s'].get('shacl'))} | "
                f"{seconds.get('shacl') or '> cap'} |",
            ]
        if total and "median" in total:
            out.append(f"| ratio | {total['median'] / ours['wall_s']['median']:.1f}× faster | |")
        out.append("")
    sizes = results.get("sizes", {})
    if sizes:
        out += [
            "## Synthetic graphs",
            "",
            "| synth --triples | triples built | wall | peak RSS | parse | render | checks "
            "| SHACL | OWL | QC | links |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for size, entry in sizes.items():
            if "wall_s" not in entry:
                run = entry["runs"][0]
                out.append(
                    f"| {size} | – | stopped ({run['stopped']}) after {run['after_s']:.0f} s, "
                    f"in `{run['last_stage']}` | {run['peak_tree_rss_mb'] / 1024:.1f} GB "
                    "| | | | | | | |"
                )
                continue
            st = entry["stages_s"]
            cells = [
                fmt_stat(st.get(n))
                for n in ("parse", "render", "checks", "shacl", "owl", "qc", "links")
            ]
            out.append(
                f"| {size} | {entry['triples']:,} | {fmt_stat(entry['wall_s'])} | "
                f"{_gb(entry['peak_rss_mb'])} | " + " | ".join(cells) + " |"
            )
        out.append("")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
