"""The ``pilotkg`` command: build, check, query and diff the knowledge graph.

Exit codes: 0 success, 1 a check failed, 2 bad input or usage. Errors are one
sentence that names what to fix; no traceback is shown for expected failures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox

from .build import pipeline
from .build.diff import diff_releases, format_diff
from .build.freeze import freeze
from .build.publish import default_base_url
from .errors import PilotkgError, QueryError
from .formats import by_name
from .options import progress, skip_option, source_option
from .queries import Catalogue, engine_errors, run
from .release import default_release_dir, read_release
from .remote.command import load
from .sources import SourceTree, find_source_dir, load_sources
from .tables import results_bytes, solutions_table
from .versions import Version, frozen_dir
from .web.command import serve_command
from .wikidata.command import link


class PilotkgGroup(click.Group):
    """Turns pilotkg's own errors into a one-line message and their exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PilotkgError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=PilotkgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pilotkg")
def main() -> None:
    """pilotkg: China's national AI pilot programmes as a checked linked-data graph."""


@main.command()
@source_option()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Release folder (default: dist/ beside the sources, where serve and load look).",
)
@click.option(
    "--base-url",
    default=None,
    help="Public origin the dumps and endpoint live under (default: https://w3id.org/pilotkg/).",
)
@skip_option("Leave a check out (not for releases).")
def build(
    source: Path | None, out: Path | None, base_url: str | None, skip: tuple[str, ...]
) -> None:
    """Parse, check and publish a release into OUT (left untouched if anything fails)."""
    source_dir = find_source_dir(source)
    out = out or default_release_dir(source_dir)
    summary = pipeline.build(source_dir, out, base_url=base_url, skip=skip, progress=progress)
    for finding in summary.report.warnings:
        click.echo(f"warning: {finding.as_text()}", err=True)
    click.echo(summary.as_text())


@main.command()
@source_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
)
@skip_option("Leave a check out.")
def check(source: Path | None, fmt: str, skip: tuple[str, ...]) -> None:
    """Run every check (parse, SHACL, QC queries, OWL consistency, links) and report."""
    progress_to = progress if fmt == "text" else pipeline._quiet
    _sources, report = pipeline.check(find_source_dir(source), skip=skip, progress=progress_to)
    output = {"text": report.as_text, "json": report.as_json, "turtle": report.as_turtle}[fmt]()
    click.echo(output)
    sys.exit(0 if report.passed else 1)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryError(f"--param {pair!r}: write KEY=VALUE")
        key, value = pair.split("=", 1)
        params[key] = value
    return params


@main.command()
@source_option()
@click.argument("name", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Bind a query parameter (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "xml"]),
    default="table",
    show_default=True,
)
@click.option(
    "--bom/--no-bom",
    default=True,
    show_default=True,
    help="Start CSV with a UTF-8 byte-order mark, which Excel needs to read Chinese.",
)
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries.")
def query(
    source: Path | None,
    name: str | None,
    params: tuple[str, ...],
    fmt: str,
    bom: bool,
    list_queries: bool,
) -> None:
    """Run a canned query NAME (or a .rq FILE) against the graph.

    An IRI parameter takes a full IRI, a prefixed name (region:guangdong) or a slug
    (guangdong) where only one of its values has it.
    """
    root = find_source_dir(source)
    catalogue = Catalogue(SourceTree(root).query_dir)
    if list_queries or not name:
        for canned in catalogue:
            names = " ".join(
                f"{p.name}:{p.type}{'' if p.required else '?'}" for p in canned.parameters
            )
            click.echo(f"{canned.name:32} {canned.title}" + (f"  [{names}]" if names else ""))
        return
    canned = catalogue.get(name)
    values = _parse_params(params)
    store = load_sources(root).store
    with engine_errors(canned):  # a SERVICE call fails while the rows are read
        results = run(store, canned, values)
        if isinstance(results, ox.QuerySolutions | ox.QueryBoolean) and fmt == "table":
            shown = solutions_table(results) if isinstance(results, ox.QuerySolutions) else ""
            click.echo(shown or str(bool(results)).lower())
            return
        if isinstance(results, ox.QuerySolutions | ox.QueryBoolean):
            results_format = by_name(fmt, kind="results")
            assert results_format is not None and results_format.results_format is not None
            output = results_bytes(results, results_format.results_format, bom=bom)
        else:
            output = ox.serialize(results, format=ox.RdfFormat.TURTLE) or b""
    click.echo(output, nl=False)


@main.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
def diff(old: Path, new: Path) -> None:
    """What changed between two releases (folders or dumps): triples added and removed, by entity."""
    click.echo(format_diff(diff_releases(read_release(old), read_release(new))))


@main.command()
@source_option()
@click.argument("version")
@click.option(
    "--release",
    "release_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The built release to freeze (default: dist/ beside the sources).",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder of frozen versions (default: releases/ beside the release, where serve looks).",
)
@click.option(
    "--date",
    "issued",
    default=None,
    metavar="YYYY-MM-DD",
    help="The version's issue date (default: the day the release was built).",
)
@click.option(
    "--base-url",
    default=None,
    help="Public origin the frozen versions are served under (default: https://w3id.org/pilotkg/).",
)
def release(
    source: Path | None,
    version: str,
    release_dir: Path | None,
    into: Path | None,
    issued: str | None,
    base_url: str | None,
) -> None:
    """Freeze the built release as VERSION (such as 0.2.0) into releases/VERSION/, with what
    changed since the previous frozen version; a frozen version is never replaced."""
    wanted = Version.parse(version)
    release_dir = release_dir or default_release_dir(find_source_dir(source))
    frozen = freeze(
        release_dir,
        wanted,
        into=into or frozen_dir(release_dir),
        issued=issued,
        base_url=base_url or default_base_url(),
    )
    click.echo(frozen.as_text())


main.add_command(load)

main.add_command(
    serve_command(
        lambda source_dir, out_dir, skip: pipeline.ensure_release(
            source_dir, out_dir, skip=skip, progress=progress
        ),
        lambda source_dir, out_dir, skip: pipeline.build(
            source_dir, out_dir, skip=skip, progress=progress
        ),
    )
)


main.add_command(link)


if __name__ == "__main__":  # pragma: no cover
    main()
