"""Helpers of the web tests: the fixture release, its settings, and a real server process.

The release is built once per test session from the project's own ontology/,
shapes/ and queries/ with the small data subset in ``tests/data/web/data``
(checks skipped: the subset's links dangle). The fixtures that use
these helpers are in ``support/web_fixtures.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import httpx2

from pilotkg.build import pipeline
from pilotkg.web.settings import Settings
from support.paths import PROJECT, TEST_DATA
from support.shared import built_once

FIXTURE_DATA = TEST_DATA / "web" / "data"
SKIP_ALL = ("shacl", "qc", "owl", "links")
#: Small limits so that the limit tests run fast; the same for both kinds of server.
TEST_SETTINGS = (
    ("query_timeout_s", "3"),
    ("max_result_rows", "300"),
    ("query_workers", "2"),
    ("header_timeout_s", "3"),
)
#: An answer as the web tests read it: httpx's (``httpx.get`` to a real server) or httpx2's
#: (starlette's TestClient, the in-process ``web_client``); the two have the same interface.
AnyResponse = httpx.Response | httpx2.Response
#: A query that runs for hours on any graph of a few hundred triples: a four-way cross join.
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _copy_and_build(source: Path, data: Path) -> None:
    """The project's ontology/, shapes/ and queries/ with ``data`` as data/, in ``source``,
    and its release built into ``dist/`` with the checks skipped."""
    for part in ("ontology", "shapes", "queries"):
        shutil.copytree(PROJECT / part, source / part)
    shutil.copytree(data, source / "data")
    pipeline.build(source, source / "dist", skip=SKIP_ALL)


@functools.cache
def built_source() -> Path:
    """A copy of the fixture source folder with its release built into ``dist/``, built once
    per session for every worker (``support.shared``): the tests only read it, or copy it."""
    return built_once("web-fixture", lambda source: _copy_and_build(source, FIXTURE_DATA))


@functools.cache
def built_real_source() -> Path:
    """A copy of the project's own source folder (the real data) with its release built
    (checks skipped: ``pilotkg check`` has tests of its own), for what only the real graph
    shows: a province with several zones, a policy with its outcomes. Built once per session
    for every worker, like ``built_source``."""
    return built_once("web-real", lambda source: _copy_and_build(source, PROJECT / "data"))


def make_settings(**changes: object) -> Settings:
    """Settings for the fixture release with the test limits applied."""
    source = built_source()
    settings = Settings(release_dir=source / "dist", source_dir=source).with_settings(TEST_SETTINGS)
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives and answers
    each with one row of SPARQL JSON results, so that a query that reached it would show it."""

    ROW = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"LEAKED"}}]}}'

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        + f"Content-Length: {len(self.ROW)}\r\nConnection: close\r\n\r\n".encode()
                        + self.ROW
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class LiveServer:
    """``pilotkg serve`` in a subprocess on 127.0.0.1, with the test settings and ``extra`` ones,
    serving the fixture release or the one built in ``source``; ``args`` are more options."""

    def __init__(
        self,
        extra: tuple[tuple[str, str], ...] = (),
        source: Path | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="pilotkg-serve-", suffix=".log")[1])
        settings = [
            arg for name, value in (*TEST_SETTINGS, *extra) for arg in ("--setting", name, value)
        ]
        # ``-m pilotkg`` (its ``__main__``) rather than ``-m pilotkg.cli``: multiprocessing's
        # spawn skips re-running a ``__main__`` module in the query workers, where it would
        # import the whole CLI again (a second a server start on this machine)
        command = [
            sys.executable,
            "-m",
            "pilotkg",
            "serve",
            "--source",
            str(source or built_source()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *settings,
            *args,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pilotkg serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/sparql?query=ASK%7B%7D", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)  # a refused connection costs nothing; a late start costs the wait
        self.stop()
        raise RuntimeError(f"pilotkg serve did not answer within 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def children(self) -> list[int]:
        """The server's child processes (its query workers), from /proc."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids
