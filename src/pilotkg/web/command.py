"""``pilotkg serve``: build the release if needed, load it, and serve it over HTTP.

``serve --get /path`` answers one request in-process and prints it (as
datasette does), for smoke tests and scripts with no server to start.
``--processes N`` serves with N processes (``processes``); ``--watch`` rebuilds
when the sources change and swaps the release in once it passed (``watch``).
The two do not combine: a swap would have to happen in every process at once.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from starlette.types import ASGIApp

from ..errors import PilotkgError, UsageError
from ..options import progress, skip_option, source_option
from ..release import CHECKSUMS, default_release_dir
from ..sources import find_source_dir
from .settings import Settings, settings_table

#: Builds the release in the second folder from the sources in the first when it is missing
#: or older than them (the CLI passes the build stage's; the web wing builds nothing itself).
PrepareRelease = Callable[[Path, Path, tuple[str, ...]], object]
#: Builds the release in the second folder from the sources in the first whatever their age,
#: publishing it only once every check passed; raises when nothing was published.
BuildRelease = Callable[[Path, Path, tuple[str, ...]], object]


def serve_command(prepare_release: PrepareRelease, build_release: BuildRelease) -> click.Command:
    """The ``serve`` command, with the step that makes sure there is a release to serve and
    the build ``--watch`` runs on every change."""

    @click.command()
    @source_option()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
    @click.option(
        "--base-url",
        default=None,
        help="Public origin the server is reached at, e.g. https://example.org/pilotkg/ (default: each request's own).",
    )
    @click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Keep the store on disk in this folder (reused while the release is unchanged); default: in memory.",
    )
    @click.option(
        "--setting",
        "setting_pairs",
        type=(str, str),
        multiple=True,
        metavar="NAME VALUE",
        help="Change a setting, e.g. --setting query_timeout_s 5 (see --help-settings).",
    )
    @click.option(
        "--processes",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Server processes sharing one listening socket and one on-disk store; "
        "query_workers is divided between them.",
    )
    @click.option(
        "--watch",
        is_flag=True,
        help="Rebuild when ontology/, data/, shapes/ or queries/ change and serve the new "
        "release once every check passed; a failed rebuild is shown on every page.",
    )
    @skip_option("Leave a check out if the release has to be built (not for releases).")
    @click.option(
        "--get",
        "get_path",
        metavar="PATH",
        default=None,
        help="Answer one GET request for PATH in-process, print the body and exit.",
    )
    @click.option("--accept", default=None, metavar="TYPE", help="Accept header for --get.")
    @click.option(
        "--help-settings", is_flag=True, help="Print the settings as a Markdown table and exit."
    )
    def serve(
        source: Path | None,
        host: str,
        port: int,
        base_url: str | None,
        store: Path | None,
        setting_pairs: tuple[tuple[str, str], ...],
        processes: int,
        watch: bool,
        skip: tuple[str, ...],
        get_path: str | None,
        accept: str | None,
        help_settings: bool,
    ) -> None:
        """Serve the knowledge graph: SPARQL endpoint, Linked Data pages, dumps and canned queries."""
        if help_settings:
            click.echo(settings_table())
            return
        _refuse_combinations(processes=processes, watch=watch, store=store, get=get_path)
        source_dir = find_source_dir(source)
        release_dir = default_release_dir(source_dir)
        settings = Settings(  # a bad setting is refused before any rebuild
            release_dir=release_dir, source_dir=source_dir, store_dir=store, base_url=base_url
        ).with_settings(setting_pairs)
        if watch and "cache_max_age_s" not in {name for name, _value in setting_pairs}:
            settings = dataclasses.replace(settings, cache_max_age_s=0)  # a reload shows edits
        failure = _prepare(prepare_release, source_dir, release_dir, skip, keep_going=watch)
        ready = f"serving on http://{host}:{port}/ (SPARQL at /sparql); Ctrl-C stops"
        if processes > 1:
            from .processes import serve_processes

            serve_processes(
                settings,
                host=host,
                port=port,
                processes=processes,
                on_ready=lambda: progress(ready),
            )
            return

        from .app import create_app  # the web stack loads only for the commands that need it

        if get_path is not None:
            sys.exit(_get(create_app(settings), get_path, accept))
        app: ASGIApp
        if watch:
            from .swap import BuildStatus
            from .watch import Watcher

            watcher = Watcher(settings, build_release, skip=skip, status=BuildStatus(failure))
            app = watcher.swappable()
        else:
            app = create_app(settings)
        import uvicorn

        progress(ready + (" (watching the sources)" if watch else ""))
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))

    return serve


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every pilotkg server process runs uvicorn."""
    from .protocol import header_timeout_protocol

    return {
        "log_level": "info",
        "proxy_headers": False,
        # h11 with a deadline for request headers, which uvicorn itself lacks (slowloris)
        "http": header_timeout_protocol(settings.header_timeout_s),
        # asyncio's own loop, never uvloop even where installed: the query pool's reading of
        # worker pipes (add_reader) is tested and benchmarked on this loop
        "loop": "asyncio",
    }


def _refuse_combinations(
    *, processes: int, watch: bool, store: Path | None, get: str | None
) -> None:
    """UsageError for options that cannot work together."""
    if watch and processes > 1:
        raise UsageError("--watch serves from one process: leave out --processes, or --watch")
    if watch and store is not None:
        raise UsageError(
            "--watch keeps each release's store in memory while the next is built: leave out --store"
        )
    if get is not None and (watch or processes > 1):
        raise UsageError("--get answers one request in-process: leave out --watch and --processes")


def _prepare(
    prepare_release: PrepareRelease,
    source_dir: Path,
    release_dir: Path,
    skip: tuple[str, ...],
    *,
    keep_going: bool,
) -> str | None:
    """Make sure there is a release to serve. Under ``--watch`` a build that fails while an
    earlier release exists is shown on every page rather than stopping the server: its text."""
    try:
        prepare_release(source_dir, release_dir, skip)
    except PilotkgError as error:
        if not keep_going or not (release_dir / CHECKSUMS).is_file():
            raise
        progress(f"the build failed; serving the previous release until a rebuild passes:\n{error}")
        return str(error)
    return None


def _get(app: object, path: str, accept: str | None) -> int:
    """Answer one GET in-process and print its body; 0 for 2xx/3xx, 1 otherwise."""
    from starlette.testclient import TestClient

    headers = {"Accept": accept} if accept else {}
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:  # type: ignore[arg-type]
        response = client.get(path, headers=headers, follow_redirects=False)
    click.echo(response.content.decode("utf-8", errors="replace"), nl=False)
    if response.status_code >= 400:
        click.echo(f"{response.status_code} {response.reason_phrase}", err=True)
        return 1
    return 0
