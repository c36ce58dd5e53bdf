"""``pilotkg serve --processes N``: every process gives the same answers, and stopping the
command, however it is stopped, leaves no process behind."""

from __future__ import annotations

import http.client
import signal
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from support.web import LiveServer, built_source

#: What each process is asked: a page from its own store, a query run by its own workers.
ASKED = (
    ("/id/zone/shenzhen", "text/turtle"),
    ("/id/zone/shenzhen", "text/html"),
    (
        "/sparql?query="
        + quote(
            "SELECT ?zone WHERE { ?zone a <https://w3id.org/pilotkg/ontology#PilotZone> } ORDER BY ?zone"
        ),
        "application/sparql-results+json",
    ),
)
#: At most this many connections are opened to find every process.
MAX_CONNECTIONS = 200


def _descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` with its start time (so that a reused pid is not taken for it)."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = (int(fields[1]), fields[19])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, started) in parents.items():
            if ppid == parent and child not in found:
                found[child] = started
                frontier.append(child)
    return found


def _alive(processes: dict[int, str]) -> list[int]:
    alive = []
    for pid, started in processes.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[19] == started and fields[0] != "Z":
            alive.append(pid)
    return alive


def _wait_gone(processes: dict[int, str], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := _alive(processes)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def _owner(port: int, client_port: int, candidates: list[int]) -> int | None:
    """The process holding the server's end of the connection from ``client_port``."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            inode = fields[9]
    if inode is None:
        return None
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if str(fd.readlink()) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _answers(connection: http.client.HTTPConnection) -> list[tuple[int, bytes]]:
    answers = []
    for path, accept in ASKED:
        connection.request("GET", path, headers={"Accept": accept})
        response = connection.getresponse()
        answers.append((response.status, response.read()))
    return answers


def test_every_process_gives_the_same_answers() -> None:
    with LiveServer(args=("--processes", "2")) as server:
        candidates = list(_descendants(server.process.pid))
        seen: dict[int, list[tuple[int, bytes]]] = {}
        held = []  # kept open, so that the next connection is a new one
        for _ in range(MAX_CONNECTIONS):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            connection.connect()
            held.append(connection)
            answers = _answers(connection)  # answered, so the connection has been accepted
            owner = _owner(server.port, connection.sock.getsockname()[1], candidates)
            assert owner is not None, "no server process holds the connection"
            seen.setdefault(owner, answers)
            assert answers == seen[owner]
            if len(seen) == 2:
                break
        for connection in held:
            connection.close()
    assert len(seen) == 2, f"{len(held)} connections all reached one process"
    first, second = seen.values()
    assert [status for status, _ in first] == [200, 200, 200]
    assert first == second


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_the_command_stops_every_process(stop: signal.Signals) -> None:
    server = LiveServer(args=("--processes", "2"))
    try:
        below = _descendants(server.process.pid)
        # two server processes, each with its query workers (three per process at query_workers 2)
        assert len(below) >= 2 + 2 * 3
        server.process.send_signal(stop)
        server.process.wait(timeout=30)
        assert _wait_gone(below, 30) == [], "processes outlived pilotkg serve"
    finally:
        server.stop()
    if stop is not signal.SIGKILL:
        assert server.process.returncode == 0, server.log.read_text()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--processes", "2", "--watch"), "--watch serves from one process"),
        (("--watch", "--store", "x"), "--watch keeps each release's store in memory"),
        (("--processes", "2", "--get", "/"), "--get answers one request in-process"),
    ],
)
def test_options_that_cannot_combine_are_one_line(options: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--source", str(built_source()), *options])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: " + message)
    assert len(result.output.strip().splitlines()) == 1
