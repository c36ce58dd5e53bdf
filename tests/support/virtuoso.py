"""The ``virtuoso`` fixture: a real Virtuoso on 127.0.0.1 for the remote-loading tests.

It uses the instance already answering on ``$VIRTUOSO_HTTP_PORT`` (default 8890),
else starts a private one with ``scripts/virtuoso.sh start`` on free ports in a
temporary folder, and stops what it started. Without Virtuoso the tests skip on
a developer's machine and fail in CI (``CI`` set), where a skip would hide that
the remote loader went untested. Registered as a plugin by ``tests/conftest.py``.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.paths import PROJECT

SCRIPT = PROJECT / "scripts" / "virtuoso.sh"
PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
START_TIMEOUT_S = 120


@dataclass(frozen=True)
class Virtuoso:
    """Where the test Virtuoso listens, and its account."""

    http_port: int
    isql_port: int
    #: A folder in the server's DirsAllowed (virtuoso.sh adds its database folder there).
    readable_dir: Path
    user: str = "dba"
    password: str = "dba"

    @property
    def sql_address(self) -> str:
        """Virtuoso's SQL port, which ``pilotkg load --virtuoso-sql`` reaches over ODBC."""
        return f"127.0.0.1:{self.isql_port}"

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


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A running Virtuoso: the one already up, else a private one for this session."""
    http_port = int(os.environ.get("VIRTUOSO_HTTP_PORT", "8890"))
    isql_port = int(os.environ.get("VIRTUOSO_ISQL_PORT", "1111"))
    if virtuoso_answers(http_port):
        # One started by virtuoso.sh: its database folder, as virtuoso.sh names it.
        default = Path(os.environ.get("TMPDIR", "/tmp")) / "pilotkg-virtuoso"
        yield Virtuoso(http_port, isql_port, Path(os.environ.get("VIRTUOSO_DIR", default)))
        return
    require_installed()
    with private_virtuoso(tmp_path_factory.mktemp("virtuoso")) as mine:
        yield mine


def require_installed() -> None:
    """Skip without Virtuoso on a developer's machine; fail in CI, where a skip would hide
    that the remote loader went untested."""
    if not virtuoso_installed():
        message = "Virtuoso is not installed: run `scripts/virtuoso.sh install` (needs root)"
        if in_ci():
            pytest.fail(f"{message}; CI must test the remote loader against it")
        pytest.skip(message)


@contextmanager
def private_virtuoso(directory: Path) -> Iterator[Virtuoso]:
    """A Virtuoso of its own, with its database in ``directory``, on free ports; stopped after."""
    mine = Virtuoso(free_port(), free_port(), directory)
    env = {
        **os.environ,
        "VIRTUOSO_DIR": str(directory),
        "VIRTUOSO_HTTP_PORT": str(mine.http_port),
        "VIRTUOSO_ISQL_PORT": str(mine.isql_port),
    }
    started = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"scripts/virtuoso.sh start failed:\n{started.stderr}")
    try:
        yield mine
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60)
