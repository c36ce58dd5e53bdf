"""``pilotkg load``: replace a graph in a remote SPARQL store with a release, then check it.

The work is done by :mod:`pilotkg.remote.client`, :mod:`pilotkg.remote.loading` and :mod:`pilotkg.remote.verify`; this module turns options into a
``RemoteStore``, reads the password from the environment (never from the
command line, where ``ps`` and shell history would show it), draws the
progress bar and prints the closing line. ``--clean-staging`` removes what
killed loads left behind (see :mod:`pilotkg.remote.loading`) without loading.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click
import pyoxigraph as ox

from ..errors import CheckFailed, UsageError
from ..namespaces import DATASET_IRI
from ..options import source_option
from ..queries import Catalogue
from ..release import NTRIPLES_DUMP, default_release_dir, read_release
from ..sources import SourceTree, find_source_dir
from .client import (
    GRAPH_STORE_BATCH_TRIPLES,
    UPDATE_BATCH_TRIPLES,
    Credentials,
    Endpoints,
    RemoteStore,
)
from .loading import (
    DEFAULT_STALE_AFTER_S,
    STAGING_SEGMENT,
    is_staging_graph,
    load_triples,
    remove_stale_staging,
)
from .verify import compare_queries
from .virtuoso_sql import DEFAULT_TIMEOUT_S as SQL_TIMEOUT_S
from .virtuoso_sql import VirtuosoSql, check_address, find_driver, import_pyodbc

DEFAULT_PASSWORD_ENV = "PILOTKG_STORE_PASSWORD"
#: ``--graph default``: the store's default graph (stores loaded from a dump, such as QLever).
DEFAULT_GRAPH = "default"


def credentials_from_env(
    user: str | None, password_env: str, scheme: str, environ: Mapping[str, str]
) -> Credentials | None:
    """Credentials for ``user`` with the password read from ``environ[password_env]``."""
    if user is None:
        return None
    password = environ.get(password_env)
    if not password:
        raise UsageError(
            f"--user {user} needs a password: set the environment variable {password_env} "
            "(or name another one with --password-env); it is never read from the command line"
        )
    return Credentials(
        user,
        password,
        "basic" if scheme == "basic" else "digest",
        origin=f"the password in ${password_env}",
    )


def _refuse_password(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            "passwords are never taken from the command line: put it in an environment "
            f"variable and name it with --password-env (default {DEFAULT_PASSWORD_ENV})"
        )


def read_triples(release: Path | None, source: Path | None) -> set[ox.Triple]:
    """The triples of ``release``, by default the release ``pilotkg build`` writes for the
    sources (``dist/`` beside them); UsageError naming the fix when there is none."""
    if release is None:
        release = default_release_dir(find_source_dir(source))
        if not release.exists():
            raise UsageError(
                f"no release in {release}: run `pilotkg build` first, or pass --release DIR|FILE"
            )
    return read_release(release)


def check_graph_iri(graph: str, *, verify_only: bool, clean_staging: bool = False) -> str | None:
    """``graph`` if it is an absolute IRI, None for ``default`` (the store's default graph,
    for --verify-only); UsageError otherwise."""
    if graph == DEFAULT_GRAPH and clean_staging:
        raise UsageError(
            "--clean-staging needs the named graph the loads replaced (--graph IRI): "
            "staging graphs are named after it, and the default graph has none"
        )
    if graph == DEFAULT_GRAPH:
        if not verify_only:
            raise UsageError(
                "--graph default goes only with --verify-only: loads go into a named graph, "
                "so that one MOVE can replace it"
            )
        return None
    try:
        ox.NamedNode(graph)
    except ValueError as error:
        raise UsageError(f"--graph {graph!r} is not an IRI ({error})") from error
    if ":" not in graph:
        raise UsageError(f"--graph {graph!r} is not an absolute IRI")
    if is_staging_graph(graph) and not verify_only:
        raise UsageError(
            f"--graph {graph!r} is named like a pilotkg staging graph ({STAGING_SEGMENT}): "
            "pass the graph it was staging for"
        )
    return graph


def virtuoso_path(
    address: str | None,
    folder: Path | None,
    driver: Path | None,
    credentials: Credentials | None,
    *,
    timeout_s: float,
    verify_only: bool = False,
    clean_staging: bool = False,
    batch_triples: int | None = None,
) -> VirtuosoSql | None:
    """The way in ``--virtuoso-sql`` asks for, or None (the protocol's); UsageError naming
    what is missing."""
    if address is None:
        if folder is not None or driver is not None:
            raise UsageError("--virtuoso-dir and --odbc-driver go with --virtuoso-sql HOST:PORT")
        return None
    check_address(address)
    if verify_only or clean_staging:
        raise UsageError(
            "--virtuoso-sql is for loading: leave it out with --verify-only and --clean-staging"
        )
    if batch_triples is not None:
        raise UsageError(
            "--batch-triples sets the protocol's batches: --virtuoso-sql sends one file"
        )
    if credentials is None:
        raise UsageError("--virtuoso-sql needs --user (a Virtuoso account allowed to run SQL)")
    if folder is None:
        raise UsageError(
            "--virtuoso-sql needs --virtuoso-dir DIR: a folder the server reads by the same "
            "path, listed in DirsAllowed of its virtuoso.ini"
        )
    if not folder.is_dir():
        raise UsageError(f"--virtuoso-dir {folder}: no such folder")
    import_pyodbc()  # a missing package or libodbc.so.2 fails before anything is written
    # absolute(), not resolve(): DirsAllowed may name the folder through a symbolic link.
    return VirtuosoSql(
        address,
        credentials,
        folder.absolute(),
        find_driver(driver),
        timeout_s=max(timeout_s, SQL_TIMEOUT_S),
    )


@contextmanager
def progress_bar(total: int, batch: int) -> Iterator[Callable[[int], None]]:
    """A callback drawing a bar with triples per second on stderr, for loads of several batches."""
    if total <= batch:
        yield lambda _count: None
        return

    def show(rate: str | None) -> str | None:
        return rate

    started = time.perf_counter()
    with click.progressbar(
        length=total, label="loading", file=sys.stderr, show_pos=True, item_show_func=show
    ) as bar:

        def advance(count: int) -> None:
            rate = (bar.pos + count) / max(time.perf_counter() - started, 1e-9)
            bar.update(count, current_item=f"{rate:,.0f} triples/s")

        yield advance


def _verify(
    store: RemoteStore, triples: set[ox.Triple], source: Path | None, graph: str | None
) -> None:
    root = find_source_dir(source)
    catalogue = Catalogue(SourceTree(root).query_dir)
    comparisons = compare_queries(store, triples, list(catalogue), graph=graph)
    if not comparisons:
        click.echo(f"no canned queries in {SourceTree(root).query_dir}: nothing to compare")
        return
    for comparison in comparisons:
        click.echo(comparison.as_text())
    federated = [canned.name for canned in catalogue if canned.federated]
    if federated:
        click.echo(f"skip  {', '.join(federated)} (federated: they reach other endpoints)")
    different = [c.name for c in comparisons if not c.same]
    if different:
        raise CheckFailed(
            f"{len(different)} of {len(comparisons)} canned queries answer differently on "
            f"the store and the embedded store: {', '.join(different)}"
        )
    click.echo(f"all {len(comparisons)} canned queries answer the same on both stores")


@click.command("load")
@click.option("--endpoint", required=True, metavar="URL", help="SPARQL query endpoint.")
@click.option(
    "--update-endpoint", metavar="URL", help="SPARQL Update endpoint (default: --endpoint)."
)
@click.option(
    "--graph-store",
    metavar="URL",
    help="SPARQL Graph Store protocol endpoint; when given, uploads use it (faster) instead of INSERT DATA.",
)
@click.option(
    "--graph",
    default=DATASET_IRI,
    show_default=True,
    metavar="IRI",
    help="Named graph to replace; `default` (with --verify-only) checks the store's default graph.",
)
@click.option("--user", metavar="NAME", help="User for HTTP authentication.")
@click.option(
    "--password-env",
    default=DEFAULT_PASSWORD_ENV,
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the password of --user.",
)
@click.option("--password", hidden=True, expose_value=False, callback=_refuse_password)
@click.option("--auth", type=click.Choice(["basic", "digest"]), default="digest", show_default=True)
@click.option(
    "--batch-triples",
    type=click.IntRange(min=1),
    default=None,
    help=f"Triples per request (default: {GRAPH_STORE_BATCH_TRIPLES} with --graph-store, {UPDATE_BATCH_TRIPLES} with INSERT DATA).",
)
@click.option(
    "--timeout-s",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for each answer (with --virtuoso-sql, each SQL statement waits at least an hour).",
)
@click.option(
    "--release",
    type=click.Path(path_type=Path),
    default=None,
    help=f"A release folder (its {NTRIPLES_DUMP}) or one RDF file (default: dist/ beside the sources).",
)
@source_option(
    "Folder whose queries/ --verify runs (default: this checkout, else the packaged copy)."
)
@click.option(
    "--verify",
    is_flag=True,
    help="After loading, run every canned query on the store and on the embedded store; exit 1 on any difference.",
)
@click.option("--verify-only", is_flag=True, help="Compare as --verify does, without loading.")
@click.option(
    "--stale-after-s",
    type=click.FloatRange(min=0),
    default=DEFAULT_STALE_AFTER_S,
    show_default=True,
    help="A staging graph of --graph started this many seconds ago or more was abandoned by a killed load, and is removed; keep it above your longest load.",
)
@click.option(
    "--clean-staging",
    is_flag=True,
    help="Only remove the abandoned staging graphs of --graph (see --stale-after-s), without loading.",
)
@click.option(
    "--virtuoso-sql",
    metavar="HOST:PORT",
    help="Virtuoso only: stage with its bulk loader and swap in one SQL transaction, through its SQL port (ODBC); needs --user and --virtuoso-dir.",
)
@click.option(
    "--virtuoso-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --virtuoso-sql: a folder in the server's DirsAllowed, read by the same path; the release is written there while it loads.",
)
@click.option(
    "--odbc-driver",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --virtuoso-sql: Virtuoso's ODBC driver (default: Debian's virtodbc_r.so).",
)
def load(
    endpoint: str,
    update_endpoint: str | None,
    graph_store: str | None,
    graph: str,
    user: str | None,
    password_env: str,
    auth: str,
    batch_triples: int | None,
    timeout_s: float,
    release: Path | None,
    source: Path | None,
    verify: bool,
    verify_only: bool,
    stale_after_s: float,
    clean_staging: bool,
    virtuoso_sql: str | None,
    virtuoso_dir: Path | None,
    odbc_driver: Path | None,
) -> None:
    """Replace GRAPH in a remote SPARQL 1.1 store with the release, atomically.

    The triples go into a staging graph, are counted there, and replace the
    target in one MOVE (with --virtuoso-sql: one SQL transaction); on any
    failure the target keeps its old contents. Staging graphs that killed
    loads left behind are removed once they are older than --stale-after-s.
    """
    if clean_staging and (verify or verify_only):
        raise UsageError("--clean-staging only removes staging graphs: leave out --verify")
    credentials = credentials_from_env(user, password_env, auth, os.environ)
    way = virtuoso_path(
        virtuoso_sql,
        virtuoso_dir,
        odbc_driver,
        credentials,
        timeout_s=timeout_s,
        verify_only=verify_only,
        clean_staging=clean_staging,
        batch_triples=batch_triples,
    )
    store = RemoteStore(
        Endpoints(endpoint, update_endpoint, graph_store),
        credentials=credentials,
        timeout_s=timeout_s,
    )
    target = check_graph_iri(graph, verify_only=verify_only, clean_staging=clean_staging)
    if clean_staging:
        assert target is not None
        cleanup = remove_stale_staging(store, target, stale_after_s=stale_after_s, legacy=True)
        for line in cleanup.as_lines(always=True):
            click.echo(line)
        return
    triples = read_triples(release, source)
    if target is not None and not verify_only:
        batch = batch_triples or store.default_batch_triples
        # Virtuoso's way sends one file: no batches to draw.
        with progress_bar(len(triples), len(triples) if way else batch) as advance:
            summary = load_triples(
                store,
                triples,
                graph=target,
                batch_triples=batch,
                on_progress=advance,
                stale_after_s=stale_after_s,
                way=way,
            )
        for line in [*(summary.cleanup.as_lines() if summary.cleanup else []), *summary.notes]:
            click.echo(line)
        click.echo(summary.as_text())
    if verify or verify_only:
        _verify(store, triples, source, target)
