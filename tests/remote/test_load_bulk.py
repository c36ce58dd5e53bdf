"""``pilotkg load --bulk-dir`` against a Virtuoso of its own (``bulk_virtuoso``,
tests/support/virtuoso.py), never the shared one: Virtuoso 7.2 answers some later
property-path queries twice after loads with the transaction log off."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.release import read_release
from pilotkg.remote.bulk import SWAP, BulkLoader
from pilotkg.remote.client import Credentials, RemoteStoreError
from pilotkg.remote.loading import load_triples
from support.virtuoso import (
    Virtuoso,
    graph_triples,
    make_store,
    run_load,
    staging_graphs,
    synthetic,
)

pytestmark = pytest.mark.virtuoso


@pytest.fixture(scope="module")
def virtuoso(bulk_virtuoso: Virtuoso) -> Virtuoso:
    """This module's own Virtuoso, for every fixture that asks for one (``graph``)."""
    return bulk_virtuoso


@pytest.fixture
def bulk_dir(virtuoso: Virtuoso) -> Path:
    """A folder in the test Virtuoso's DirsAllowed that this process may write into."""
    assert virtuoso.bulk_dir is not None
    return virtuoso.bulk_dir


def bulk_of(virtuoso: Virtuoso, folder: Path) -> BulkLoader:
    credentials = Credentials(virtuoso.user, virtuoso.password)
    return BulkLoader(f"127.0.0.1:{virtuoso.isql_port}", folder, credentials)


class BadLineLoader(BulkLoader):
    """Writes one line Virtuoso's parser refuses at the end of the last file, as a release
    written by another tool might hold."""

    def write_files(self, run: Path, triples: Sequence[ox.Triple]) -> list[Path]:
        files = super().write_files(run, triples)
        with files[-1].open("a", encoding="utf-8") as out:
            out.write('<https://w3id.org/pilotkg/id/zone/bad> <urn:p> "unterminated .\n')
        return files


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.glob("pilotkg-bulk-*"))


def test_a_bulk_load_is_counted_and_swapped(
    virtuoso: Virtuoso, graph: str, fixture_release: Path, bulk_dir: Path
) -> None:
    store = make_store(virtuoso)
    load_triples(store, synthetic(40, tag="old"), graph=graph)
    triples = read_release(fixture_release)
    summary = load_triples(store, triples, graph=graph, bulk=bulk_of(virtuoso, bulk_dir))
    assert (summary.method, summary.swap) == ("Virtuoso bulk loader", SWAP)
    assert summary.triples == len(triples) == store.count(graph)
    assert graph_triples(store, graph) == triples  # every literal as the Graph Store path keeps it
    assert staging_graphs(store) == []
    assert leftovers(bulk_dir) == []


class FailingSwap(BulkLoader):
    """A swap whose transaction meets an error after the target's quads were deleted."""

    def swap_statements(self, target: str, staging: str) -> list[str]:
        delete, update = super().swap_statements(target, staging)
        return [delete, "select DB.DBA.PILOTKG_NO_SUCH_PROCEDURE ()", update]


@pytest.mark.parametrize(
    ("loader_class", "message"),
    [
        (BadLineLoader, r"failed on the file part-1\.nt: .*line \d+"),
        (FailingSwap, "PILOTKG_NO_SUCH_PROCEDURE"),
    ],
    ids=["a-bad-line", "a-swap-failing-midway"],
)
def test_a_failed_bulk_load_leaves_the_target_as_it_was_and_no_staging_graph(
    virtuoso: Virtuoso, graph: str, bulk_dir: Path, loader_class: type[BulkLoader], message: str
) -> None:
    store = make_store(virtuoso)
    old = synthetic(40, tag="old")
    load_triples(store, old, graph=graph)
    good = bulk_of(virtuoso, bulk_dir)
    loader = loader_class(good.isql, good.folder, good.credentials)
    with pytest.raises(RemoteStoreError, match=message):
        load_triples(store, synthetic(600, tag="new"), graph=graph, bulk=loader)
    assert store.count(graph) == len(old)
    assert graph_triples(store, graph) == old
    assert staging_graphs(store) == []
    assert leftovers(bulk_dir) == []


def test_the_bulk_path_loads_what_the_graph_store_path_loads(
    virtuoso: Virtuoso, graph: str, fixture_release: Path, bulk_dir: Path
) -> None:
    store = make_store(virtuoso)
    triples = read_release(fixture_release) | synthetic(3000, tag="both")
    other = f"{graph}-graph-store"
    try:
        by_bulk = load_triples(store, triples, graph=graph, bulk=bulk_of(virtuoso, bulk_dir))
        by_protocol = load_triples(store, triples, graph=other)
        assert by_bulk.triples == by_protocol.triples == store.count(graph) == store.count(other)
        assert len(triples) == by_bulk.triples
    finally:
        store.update(f"DROP SILENT GRAPH <{other}>", what="DROP")


def test_bulk_load_from_the_command_line(
    virtuoso: Virtuoso, graph: str, fixture_release: Path, bulk_dir: Path
) -> None:
    code, output = run_load(
        virtuoso, "--bulk-dir", str(bulk_dir), "--isql", f"127.0.0.1:{virtuoso.isql_port}",
        "--graph", graph, "--release", str(fixture_release), password=virtuoso.password,
    )  # fmt: skip
    assert code == 0, output
    assert f"loaded {len(read_release(fixture_release))} triples into <{graph}>" in output
    assert f"Virtuoso bulk loader, replaced by {SWAP}" in output


@pytest.fixture
def forbidden_dir() -> Iterator[Path]:
    """A folder outside the test Virtuoso's DirsAllowed (it may read its temporary folder,
    /tmp, whatever DirsAllowed says)."""
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="pilotkg-test-") as folder:
        yield Path(folder)


def test_a_bulk_dir_outside_dirs_allowed_names_the_setting(
    virtuoso: Virtuoso, graph: str, fixture_release: Path, forbidden_dir: Path
) -> None:
    store = make_store(virtuoso)
    old = synthetic(20, tag="old")
    load_triples(store, old, graph=graph)
    code, output = run_load(
        virtuoso, "--bulk-dir", str(forbidden_dir), "--isql", f"127.0.0.1:{virtuoso.isql_port}",
        "--graph", graph, "--release", str(fixture_release), password=virtuoso.password,
    )  # fmt: skip
    assert code == 2, output
    assert f"Virtuoso may not read {forbidden_dir}: add that folder to DirsAllowed" in output
    assert leftovers(forbidden_dir) == []
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1
    assert graph_triples(store, graph) == old
    assert staging_graphs(store) == []


@dataclass(frozen=True)
class WatchedSwap(BulkLoader):
    """Calls ``watch`` while the swap is done but not committed."""

    watch: Callable[[], None] = lambda: None

    def before_commit(self) -> None:
        self.watch()


def test_readers_see_the_old_graph_until_the_swap_commits(
    virtuoso: Virtuoso, graph: str, bulk_dir: Path
) -> None:
    store = make_store(virtuoso)
    old, new = synthetic(40, tag="old"), synthetic(600, tag="new")
    load_triples(store, old, graph=graph)
    seen: list[tuple[int, set[ox.Triple]]] = []
    good = bulk_of(virtuoso, bulk_dir)
    loader = WatchedSwap(
        good.isql,
        good.folder,
        good.credentials,
        watch=lambda: seen.append((store.count(graph), graph_triples(store, graph))),
    )
    load_triples(store, new, graph=graph, bulk=loader)
    assert seen == [(len(old), old)]  # neither empty nor a mix, and no reader waited for it
    assert graph_triples(store, graph) == new
