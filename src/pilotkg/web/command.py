"""``pilotkg serve``: build the release if needed, load it, and serve it over HTTP.

``serve --get /path`` answers one request in-process and prints it (as
datasette does), for smoke tests and scripts with no server to start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from ..options import progress, skip_option, source_option
from ..release import default_release_dir
from ..sources import find_source_dir
from .settings import Settings, settings_table

#: Builds the release in the second folder from the sources in the first when it is missing
#: or older than them (the CLI passes the build stage's; the web wing builds nothing itself).
PrepareRelease = Callable[[Path, Path, tuple[str, ...]], object]


def serve_command(prepare_release: PrepareRelease) -> click.Command:
    """The ``serve`` command, with the step that makes sure there is a release to serve."""

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
        skip: tuple[str, ...],
        get_path: str | None,
        accept: str | None,
        help_settings: bool,
    ) -> None:
        """Serve the knowledge graph: SPARQL endpoint, Linked Data pages, dumps and canned queries."""
        if help_settings:
            click.echo(settings_table())
            return
        source_dir = find_source_dir(source)
        release_dir = default_release_dir(source_dir)
        settings = Settings(  # a bad setting is refused before any rebuild
            release_dir=release_dir, source_dir=source_dir, store_dir=store, base_url=base_url
        ).with_settings(setting_pairs)
        prepare_release(source_dir, release_dir, skip)

        from .app import create_app  # the web stack loads only for the commands that need it

        app = create_app(settings)
        if get_path is not None:
            sys.exit(_get(app, get_path, accept))
        import uvicorn

        from .protocol import header_timeout_protocol

        progress(f"serving on http://{host}:{port}/ (SPARQL at /sparql); Ctrl-C stops")
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=False,
            # h11 with a deadline for request headers, which uvicorn itself lacks (slowloris)
            http=header_timeout_protocol(settings.header_timeout_s),
            # asyncio's own loop, never uvloop even where installed: the dispatcher threads'
            # hand-off (call_soon_threadsafe) is tested and benchmarked on this loop
            loop="asyncio",
        )

    return serve


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
