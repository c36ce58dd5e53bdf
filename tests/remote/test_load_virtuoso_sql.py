"""``pilotkg load --virtuoso-sql``: Virtuoso's bulk loader into the staging graph, then one
SQL transaction in the target's place (src/pilotkg/remote/virtuoso_sql.py), on a real
Virtuoso reached over its SQL port with pyodbc and Virtuoso's own ODBC driver.

Behaviour, not speed (that is scripts/bench_load.py): the same graph as the protocol's
path, a miscount that never reaches the target, a swap nobody sees before its commit,
and one-line errors for what a user can get wrong.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.release import read_release
from pilotkg.remote.client import Credentials, RemoteStoreError
from pilotkg.remote.loading import load_triples, new_staging_graph
from pilotkg.remote.virtuoso_sql import VirtuosoSql, find_driver
from support.remote_graphs import (
    FIXTURE_SOURCES,
    drop_graphs,
    graph_triples,
    make_store,
    month_and_its_first_day,
    staging_graphs,
)
from support.remote_graphs import synthetic as synthetic_triples
from support.virtuoso import Virtuoso

pytestmark = pytest.mark.virtuoso


@pytest.fixture
def folder(virtuoso: Virtuoso) -> Iterator[Path]:
    """A folder of this test's own inside the server's DirsAllowed."""
    path = virtuoso.readable_dir / f"pilotkg-test-{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def fast_path(virtuoso: Virtuoso, folder: Path, *, password: str | None = None) -> VirtuosoSql:
    credentials = Credentials(virtuoso.user, password or virtuoso.password)
    return VirtuosoSql(virtuoso.sql_address, credentials, folder, find_driver())


def test_the_sql_path_loads_the_release_exactly(
    virtuoso: Virtuoso, graph: str, folder: Path, fixture_release: Path
) -> None:
    """Every literal the fixture holds to trip loaders up (languages, datatypes, escapes,
    Chinese text) comes back as written; no staging graph and no file is left."""
    store = make_store(virtuoso)
    triples = read_release(fixture_release)
    load_triples(store, synthetic_triples(40, tag="old"), graph=graph)
    summary = load_triples(store, triples, graph=graph, way=fast_path(virtuoso, folder))
    assert (summary.method, summary.swap) == ("Virtuoso's bulk loader", "one SQL transaction")
    assert graph_triples(store, graph) == triples
    assert staging_graphs(store) == []
    assert list(folder.iterdir()) == []


def test_a_graph_named_in_chinese_is_the_graph_sparql_sees(
    virtuoso: Virtuoso, folder: Path
) -> None:
    """IRIs travel to Virtuoso's SQL as UTF-8, as Virtuoso keeps them, and an apostrophe
    is quoted: the graph the SQL path fills is the one SPARQL names, not a twin."""
    graph = f"urn:pilotkg:test:先导区's-{uuid.uuid4().hex}"
    store = make_store(virtuoso)
    try:
        load_triples(
            store, synthetic_triples(30, tag="zh"), graph=graph, way=fast_path(virtuoso, folder)
        )
        assert store.count(graph) == 30
    finally:
        drop_graphs(store, [graph])


def test_a_count_that_does_not_match_rolls_the_swap_back(
    virtuoso: Virtuoso, graph: str, folder: Path
) -> None:
    """The count inside the transaction decides the commit: a wrong one leaves the old graph."""
    store = make_store(virtuoso)
    old = synthetic_triples(25, tag="old")
    load_triples(store, old, graph=graph)
    path = fast_path(virtuoso, folder)
    staging = new_staging_graph(graph)
    path.stage(sorted(synthetic_triples(60, tag="new"), key=str), staging)
    try:
        with pytest.raises(
            RemoteStoreError, match=r"would hold 60 triples .* where 61 were counted"
        ):
            path.replace(staging=staging, target=graph, expected=61)
        assert graph_triples(store, graph) == old
        assert store.count(staging) == 60
    finally:
        drop_graphs(store, [staging])


def test_a_month_merged_with_its_first_day_stops_before_the_swap(
    virtuoso: Virtuoso, graph: str, folder: Path
) -> None:
    """Virtuoso's bulk loader merges "2025-12"^^xsd:gYearMonth with "2025-12-01"^^xsd:date
    as the protocol does; the staging count catches it and names the pair."""
    store = make_store(virtuoso)
    old = synthetic_triples(10, tag="old")
    load_triples(store, old, graph=graph)
    month, day = month_and_its_first_day()
    with pytest.raises(RemoteStoreError, match="merges literals of equal value: 1 pairs here"):
        load_triples(store, {month, day}, graph=graph, way=fast_path(virtuoso, folder))
    assert graph_triples(store, graph) == old
    assert staging_graphs(store) == []


def test_nothing_of_the_swap_shows_before_its_commit(
    virtuoso: Virtuoso, graph: str, folder: Path
) -> None:
    """Once the target has been emptied and refilled inside the transaction, and counted
    there, another client still reads the old graph; after the commit, the new one.

    (What a reader sees *during* the commit is not tested: Virtuoso releases a large
    transaction's rows a page at a time, and readers at its default isolation can see
    a mix for that moment, with ``MOVE`` as with this path; see the module docstring.)
    """
    store = make_store(virtuoso)
    old = synthetic_triples(300, tag="old")
    load_triples(store, old, graph=graph)
    new = synthetic_triples(500, tag="new")
    path = fast_path(virtuoso, folder)
    staging = new_staging_graph(graph)
    path.stage(sorted(new, key=str), staging)
    inside: list[set[ox.Triple]] = []
    path.replace(
        staging=staging,
        target=graph,
        expected=len(new),
        before_commit=lambda: inside.append(graph_triples(store, graph)),
    )
    assert inside == [old]
    assert graph_triples(store, graph) == new and store.count(staging) == 0


# ---------------------------------------------------------------------- the command


def run_load(virtuoso: Virtuoso, *args: str, password: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["load", "--endpoint", virtuoso.sparql_auth, "--user", virtuoso.user, *args],
        env={"PILOTKG_STORE_PASSWORD": password or virtuoso.password},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_load_and_verify_through_the_sql_port(
    virtuoso: Virtuoso, graph: str, folder: Path, fixture_release: Path
) -> None:
    code, output = run_load(
        virtuoso, "--graph", graph, "--virtuoso-sql", virtuoso.sql_address,
        "--virtuoso-dir", str(folder), "--release", str(fixture_release),
        "--source", str(FIXTURE_SOURCES), "--verify",
    )  # fmt: skip
    assert code == 0, output
    triples = len(read_release(fixture_release))
    assert f"loaded {triples} triples into <{graph}>" in output
    assert "Virtuoso's bulk loader, replaced by one SQL transaction" in output
    assert "all 6 canned queries answer the same on both stores" in output


@pytest.fixture
def forbidden() -> Iterator[Path]:
    """A folder outside the test server's DirsAllowed (which lets it read all of /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="pilotkg-test-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_folder_the_server_may_not_read_is_named_with_the_fix(
    virtuoso: Virtuoso, graph: str, forbidden: Path, fixture_release: Path
) -> None:
    store = make_store(virtuoso)
    old = synthetic_triples(20, tag="old")
    load_triples(store, old, graph=graph)
    code, output = run_load(
        virtuoso, "--graph", graph, "--virtuoso-sql", virtuoso.sql_address,
        "--virtuoso-dir", str(forbidden), "--release", str(fixture_release),
    )  # fmt: skip
    assert code == 2
    assert output.strip().count("\n") == 0, output
    assert f"add {forbidden} to DirsAllowed in the server's virtuoso.ini" in output
    assert graph_triples(store, graph) == old
    assert staging_graphs(store) == []
    assert list(forbidden.iterdir()) == []


def test_a_wrong_sql_password_says_what_to_fix(
    virtuoso: Virtuoso, graph: str, folder: Path, fixture_release: Path
) -> None:
    """A refused SQL login says what to check, and leaves no staging file behind."""
    wrong = f"wrong-{uuid.uuid4().hex}"
    path = fast_path(virtuoso, folder, password=wrong)
    with pytest.raises(RemoteStoreError) as caught:
        path.stage(sorted(synthetic_triples(3, tag="x"), key=str), new_staging_graph(graph))
    message = str(caught.value)
    assert f"Virtuoso at {virtuoso.sql_address} failed the connection" in message
    assert "check --user and the password" in message
    assert list(folder.iterdir()) == []
