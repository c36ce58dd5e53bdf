"""The ``virtuoso`` fixture: a real Virtuoso on 127.0.0.1 for the remote-loading tests.

It uses the instance already answering on ``$VIRTUOSO_HTTP_PORT`` (default 8890),
else starts a private one (``private_virtuoso``: ``scripts/virtuoso.sh start`` on
free ports in a temporary folder), and stops what it started. The tests of
``load --bulk-dir`` get a private one of their own (``bulk_virtuoso``). Without Virtuoso the tests skip on
a developer's machine and fail in CI (``CI`` set), where a skip would hide that
the remote loader went untested. Also ``fixture_release`` (a small release full of
literals loaders get wrong) and ``graph`` (a graph IRI for one test, dropped after it).
Registered as a plugin by ``tests/conftest.py``.

The tests write as ``dba``/``dba`` (a fresh database's account, digest
authentication) and, for the tests that count connections, anonymously:
``virtuoso.sh start`` grants SPARQL updates to the anonymous account.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.build import pipeline
from pilotkg.remote.client import Credentials, Endpoints, RemoteStore
from pilotkg.remote.loading import STAGING_SEGMENT
from support.paths import PROJECT, TEST_DATA

SCRIPT = PROJECT / "scripts" / "virtuoso.sh"
#: The sources of the remote-loading tests' small release, full of literals loaders get wrong.
FIXTURE_SOURCES = TEST_DATA / "load"
SKIPPED_CHECKS = ("shacl", "qc", "owl", "links")
PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
START_TIMEOUT_S = 120


@dataclass(frozen=True)
class Virtuoso:
    """Where the test Virtuoso listens, and its account."""

    http_port: int
    isql_port: int
    user: str = "dba"
    password: str = "dba"
    #: A folder in its DirsAllowed this process may write into (``bulk_virtuoso`` only).
    bulk_dir: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        """Anonymous SPARQL query and update endpoint."""
        return f"{self.base}/sparql"

    @property
    def sparql_auth(self) -> str:
        """SPARQL endpoint behind digest authentication."""
        return f"{self.base}/sparql-auth"

    @property
    def graph_store(self) -> str:
        return f"{self.base}/sparql-graph-crud"

    @property
    def graph_store_auth(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"


def virtuoso_answers(http_port: int) -> bool:
    """True when a Virtuoso answers SPARQL on 127.0.0.1:``http_port``."""
    url = f"http://127.0.0.1:{http_port}/sparql?query=ASK%7B%7D"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return "virtuoso" in response.headers.get("Server", "").lower()
    except OSError:
        return False


def virtuoso_installed() -> bool:
    return bool(shutil.which("virtuoso-t") and shutil.which("isql-vt") and PACKAGED_INI.is_file())


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_virtuoso(folder: Path, *, dirs_allowed: Sequence[Path] = ()) -> Iterator[Virtuoso]:
    """A Virtuoso of its own in ``folder``, on free ports, stopped however the block ends.

    ``dirs_allowed``: folders besides ``folder`` the server may read files from
    (``DirsAllowed``), for ``load --bulk-dir``.
    """
    mine = Virtuoso(free_port(), free_port())
    env = {
        **os.environ,
        "VIRTUOSO_DIR": str(folder),
        "VIRTUOSO_HTTP_PORT": str(mine.http_port),
        "VIRTUOSO_ISQL_PORT": str(mine.isql_port),
        "VIRTUOSO_DIRS_ALLOWED": ", ".join(str(path) for path in dirs_allowed),
    }
    started = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    try:
        if started.returncode != 0:
            pytest.fail(f"scripts/virtuoso.sh start failed:\n{started.stderr}")
        yield mine
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60)


def require_virtuoso() -> None:
    """Skip (fail under CI) when Virtuoso is not installed."""
    if virtuoso_installed():
        return
    message = "Virtuoso is not installed: run `scripts/virtuoso.sh install` (needs root)"
    if in_ci():
        pytest.fail(f"{message}; CI must test the remote loader against it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A running Virtuoso: the one already up, else a private one for this session."""
    http_port = int(os.environ.get("VIRTUOSO_HTTP_PORT", "8890"))
    isql_port = int(os.environ.get("VIRTUOSO_ISQL_PORT", "1111"))
    if virtuoso_answers(http_port):
        yield Virtuoso(http_port, isql_port)
        return
    require_virtuoso()
    with private_virtuoso(tmp_path_factory.mktemp("virtuoso")) as mine:
        yield mine


@pytest.fixture(scope="module")
def bulk_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso for the tests of ``load --bulk-dir`` alone, never the shared one: loads with
    the transaction log off leave Virtuoso 7.2 in a state where later property-path queries
    answer rows twice. Its ``bulk_dir`` is in its ``DirsAllowed``."""
    require_virtuoso()
    bulk_dir = tmp_path_factory.mktemp("bulk")
    with private_virtuoso(
        tmp_path_factory.mktemp("bulk-virtuoso"), dirs_allowed=[bulk_dir]
    ) as mine:
        yield replace(mine, bulk_dir=bulk_dir)


# ---------------------------------------------------------------------- talking to a test Virtuoso


def build(source: Path, out: Path) -> Path:
    """A release of ``source``, its checks skipped (they are tested elsewhere)."""
    pipeline.build(source, out, skip=SKIPPED_CHECKS)
    return out


def make_store(
    virtuoso: Virtuoso, *, graph_store: bool = True, auth: bool = True, **options: object
) -> RemoteStore:
    """A RemoteStore on the test Virtuoso: as dba with digest auth, or anonymous."""
    sparql = virtuoso.sparql_auth if auth else virtuoso.sparql
    crud = virtuoso.graph_store_auth if auth else virtuoso.graph_store
    credentials = Credentials(virtuoso.user, virtuoso.password) if auth else None
    return RemoteStore(
        Endpoints(sparql, graph_store=crud if graph_store else None),
        credentials=credentials,
        **options,  # type: ignore[arg-type]
    )


#: Virtuoso's packaged ini answers at most ResultSetMaxRows = 10,000 rows per query, a CONSTRUCT
#: included, without saying that it cut the answer, and sorts no more than that for OFFSET: the
#: graph is read subject by subject, a few hundred subjects per CONSTRUCT.
SUBJECTS_PER_QUERY = 300


def graph_triples(store: RemoteStore, graph: str) -> set[ox.Triple]:
    """Every triple of ``graph``, read past Virtuoso's cap on the rows of one answer."""
    answer = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(answer, ox.QuerySolutions)
    subjects = [str(row["s"]) for row in answer]
    assert len(subjects) < 10_000, "more subjects than one answer holds"
    found: set[ox.Triple] = set()
    for start in range(0, len(subjects), SUBJECTS_PER_QUERY):
        batch = " ".join(subjects[start : start + SUBJECTS_PER_QUERY])
        triples = store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {batch} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            graph_result=True,
        )
        assert isinstance(triples, list) and len(triples) < 10_000
        found.update(triples)
    return found


def staging_graphs(store: RemoteStore) -> list[str]:
    """Every non-empty graph in pilotkg's staging naming, of any target."""
    answer = store.query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(CONTAINS(STR(?g), "{STAGING_SEGMENT}")) }}'
    )
    assert isinstance(answer, ox.QuerySolutions)
    return [row["g"].value for row in answer]


def synthetic(count: int, *, tag: str) -> set[ox.Triple]:
    """``count`` distinct triples, their literals long enough to span many TCP segments."""
    return {
        ox.Triple(
            ox.NamedNode(f"https://w3id.org/pilotkg/id/zone/{tag}-{i // 8}"),
            ox.NamedNode(f"https://w3id.org/pilotkg/ontology#p{i % 8}"),
            ox.Literal(f"{tag} {i}: 人工智能先导区 “{i}” " + "x" * 80, language="zh"),
        )
        for i in range(count)
    }


def run_load(virtuoso: Virtuoso, *args: str, password: str) -> tuple[int, str]:
    """``pilotkg load`` on the test Virtuoso as its user: (exit code, output)."""
    from pilotkg.cli import main  # here: this plugin is loaded by every test, the web's too

    result = CliRunner().invoke(
        main,
        ["load", "--endpoint", virtuoso.sparql_auth, "--user", virtuoso.user, *args],
        env={"PILOTKG_STORE_PASSWORD": password},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of tests/data/load: small, and full of literals loaders get wrong."""
    return build(FIXTURE_SOURCES, tmp_path_factory.mktemp("fixture") / "dist")


@pytest.fixture
def graph(virtuoso: Virtuoso) -> Iterator[str]:
    """A graph IRI for one test, dropped afterwards."""
    iri = f"urn:pilotkg:test:{uuid.uuid4().hex}"
    yield iri
    make_store(virtuoso).update(f"DROP SILENT GRAPH <{iri}>", what="DROP")
