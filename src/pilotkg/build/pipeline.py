"""parse → check → publish, shared by ``pilotkg build``, ``pilotkg serve`` and the tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import CheckFailed
from ..namespaces import ONTOLOGY_IRI, OWL
from ..release import CHECKSUMS, Release, memo_folder, staged_release
from ..sources import SOURCE_PARTS, Sources, load_sources, require_shapes
from .checks import run_checks, start_checks
from .memo import Memo
from .publish import default_base_url, render_release
from .report import CheckReport
from .sortkeys import KeyingAhead
from .void import class_counts

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """A progress callback that says nothing."""


@dataclass
class BuildSummary:
    """What a build published, for the closing line of ``pilotkg build``."""

    out_dir: Path
    triples: int
    entities: dict[str, int]
    report: CheckReport
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)

    def as_text(self) -> str:
        per_class = ", ".join(
            f"{count} {cls.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}"
            for cls, count in sorted(self.entities.items())
        )
        return (
            f"published {self.triples} triples to {self.out_dir} in {self.seconds:.1f}s\n"
            f"entities: {per_class}"
        )


def ontology_version(sources: Sources) -> str:
    """The ``owl:versionInfo`` of the ontology, which names the release."""
    version_info = (ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(OWL + "versionInfo"))
    for triple in sources.ontology:
        if (triple.subject, triple.predicate) == version_info and isinstance(
            triple.object, ox.Literal
        ):
            return triple.object.value
    return "unversioned"


def check(
    source_dir: Path, *, skip: tuple[str, ...] = (), progress: Progress = _quiet
) -> tuple[Sources, CheckReport]:
    """Parse and check; raises SourceError on malformed input, returns the report either way."""
    progress(f"parsing {source_dir}")
    sources = load_sources(source_dir)
    progress(f"checking {sources.triples} triples")
    return sources, run_checks(sources, skip=skip)


def _require_passed(report: CheckReport, out_dir: Path) -> None:
    """CheckFailed with every finding when a check failed."""
    if not report.passed:
        raise CheckFailed(report.as_text() + f"\nnothing was published; {out_dir} is unchanged")


def build(
    source_dir: Path,
    out_dir: Path,
    *,
    base_url: str | None = None,
    skip: tuple[str, ...] = (),
    progress: Progress = _quiet,
) -> BuildSummary:
    """Build a checked release into ``out_dir``; CheckFailed (nothing changed) when a check fails.

    The release is written into a staging folder while the checks run (see
    ``checks.RunningChecks``), and takes the place of ``out_dir`` only when
    every check has passed.
    """
    started = time.perf_counter()
    memo = Memo(memo_folder(out_dir))
    progress(f"parsing {source_dir}")
    with KeyingAhead(memo) as keying:  # Chinese labels spelled while the citations compile
        sources = load_sources(source_dir, on_loaded=keying.start)
        if "shacl" not in skip:
            require_shapes(sources)  # before a staging folder exists (the checks would ask too)
        parsed = time.perf_counter()
        with staged_release(out_dir) as staging:
            progress(f"checking {sources.triples} triples while rendering the release")
            running = start_checks(sources, skip=skip, memo=memo)
            try:
                render_release(
                    sources,
                    staging,
                    version=ontology_version(sources),
                    base_url=base_url or default_base_url(),
                    progress=progress,
                    memo=memo,
                    keying=keying,
                )
            except Exception:
                # Sources bad enough to break rendering usually fail a check too, which says more.
                keying.stop()
                _require_passed(running.report(), out_dir)
                raise
            rendered = time.perf_counter()
            report = running.report()
            checked = time.perf_counter()
            _require_passed(report, out_dir)
            progress(f"publishing {out_dir}")
    finished = time.perf_counter()
    return BuildSummary(
        out_dir=out_dir,
        triples=sources.triples,
        entities=class_counts(sources.store),
        report=report,
        seconds=finished - started,
        stages={
            "parse": parsed - started,
            "render": rendered - parsed,
            "checks": checked - parsed,
            "publish": finished - checked,
            **report.seconds,
        },
    )


def newest_source_mtime(source_dir: Path) -> float:
    """The modification time of the newest file in the source folder's four parts."""
    times = [
        path.stat().st_mtime
        for part in SOURCE_PARTS
        for path in (source_dir / part).rglob("*")
        if path.is_file()
    ]
    return max(times, default=0.0)


def ensure_release(
    source_dir: Path,
    out_dir: Path,
    *,
    skip: tuple[str, ...] = (),
    progress: Callable[[str], None],
) -> Release:
    """The release in ``out_dir``, built first when missing or older than the sources."""
    sums = out_dir / CHECKSUMS
    if sums.is_file() and sums.stat().st_mtime >= newest_source_mtime(source_dir):
        progress(f"serving the release in {out_dir} (up to date with {source_dir})")
    else:
        why = "no release yet" if not sums.is_file() else "the sources are newer"
        progress(f"building {out_dir} from {source_dir} ({why})")
        build(source_dir, out_dir, skip=skip, progress=progress)
    return Release.open(out_dir)
