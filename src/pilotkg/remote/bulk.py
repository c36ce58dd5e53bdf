"""Fill a staging graph with Virtuoso's own bulk loader, for ``pilotkg load --bulk-dir``.

The triples are written as N-Triples files into a folder the server may read
(``DirsAllowed`` in its ``virtuoso.ini``) and loaded there by Virtuoso itself;
:mod:`pilotkg.remote.loading` then counts the staging graph and swaps it in as
for any other load. Why it works the way it does:

- **The loader's core, on our files only.** Each file is read by ``TTLP`` over
  ``file_open`` with the transaction log off (``log_enable(2, 1)``), which is what
  ``rdf_loader_run`` does for each file of ``DB.DBA.load_list``; one isql session
  per file, run side by side. Not ``ld_dir`` + ``rdf_loader_run`` themselves: that
  loader takes every pending file of the server's list, other users' included,
  and writes a parse error into the list instead of failing, where a direct call
  fails with the parser's line number. Not over the SPARQL endpoint either: the
  log mode ``log_enable`` sets stays with the HTTP worker thread for later
  requests, other users' among them, and Virtuoso 7.2 crashed loading a large
  file from an HTTP thread.
- **Durable before the swap.** Writes without the transaction log survive a
  crash only once checkpointed; the MOVE that follows is logged. Without the
  ``checkpoint`` a crash between them would replay the MOVE of a staging graph
  the recovered database does not hold, and empty the target.
- **The swap is one SQL transaction, not a SPARQL MOVE.** ``MOVE`` copies every
  quad of the staging graph into the target and deletes it from the staging
  graph, as long again as the load. On the SQL port the target's quads are
  deleted and the staging graph's relabelled (``UPDATE DB.DBA.RDF_QUAD SET G``)
  in one transaction of a session with commits of its own (``set autocommit
  manual``), committed only after every statement has answered without an error
  and rolled back otherwise, or by the server when the session is lost. Readers
  meanwhile see the committed state (the old graph), without waiting; the
  transaction is logged, so it survives a crash once committed.
- **Plain N-Triples.** The server reads the files from a disk it shares with the
  client, where gzip would only spend CPU on both sides.
- **isql's password.** ``isql-vt`` takes the password only on its command line,
  so other users of the loading machine can see it in ``ps`` while a load runs;
  use the bulk path on a machine you trust, or the Graph Store protocol.
"""

from __future__ import annotations

import math
import os
import re
import selectors
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .client import Credentials, Failure, RemoteStoreError, batches

ISQL_COMMAND = "isql-vt"
DEFAULT_ISQL_PORT = 1111
#: Files loaded side by side, one isql session each: one per core of a small server.
DEFAULT_LOADERS = 2
#: ``TTLP`` flags ``rdf_loader_run`` gives N-Triples files (``ld_ttlp_flags``).
TTLP_FLAGS = 255
_ERROR_LINE = re.compile(r"^\*\*\* Error (?P<state>\S+): (?P<text>.*)$")
_DRIVER_PREFIX = re.compile(r"^(\[[^\]]*\])+\s*")
#: What the swap says it did, for the closing line of ``pilotkg load``.
SWAP = "one SQL transaction (DELETE + UPDATE of G)"


def sql_string(text: str) -> str:
    """``text`` as a Virtuoso SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def check_bulk_dir(folder: Path) -> Path:
    """``folder`` as an absolute path the SQL text can carry; RemoteStoreError otherwise."""
    folder = folder.expanduser().absolute()
    if not folder.is_dir():
        raise RemoteStoreError(
            f"--bulk-dir {folder} is not a folder: pass a folder in Virtuoso's DirsAllowed"
        )
    if "\\" in str(folder) or "\x00" in str(folder):
        raise RemoteStoreError(f"--bulk-dir {folder} holds a backslash: pass another folder")
    return folder


@dataclass(frozen=True)
class BulkLoader:
    """Where Virtuoso's SQL port listens, as whom, and the folder both sides read."""

    isql: str
    folder: Path
    credentials: Credentials
    loaders: int = DEFAULT_LOADERS
    timeout_s: float = 60.0
    command: str = ISQL_COMMAND

    def stage(self, graph: str, triples: Sequence[ox.Triple]) -> None:
        """Add ``triples`` to ``graph``, checkpointed; RemoteStoreError naming the fix
        otherwise (the graph may then hold part of them: the caller drops it)."""
        run = self.folder / f"pilotkg-bulk-{uuid.uuid4().hex}"
        try:
            run.mkdir()
        except OSError as error:
            raise RemoteStoreError(
                f"cannot write into --bulk-dir {self.folder} ({error.strerror})"
            ) from None
        try:
            files = self.write_files(run, triples)
            self._run_all(
                {
                    f"log_enable(2, 1); TTLP(file_open({sql_string(str(path))}), '', "
                    f"{sql_string(graph)}, {TTLP_FLAGS});": f"the file {path.name}"
                    for path in files
                },
                what="the bulk load",
            )
            self._run_all({"checkpoint;": "the checkpoint"}, what="the bulk load's checkpoint")
        finally:
            shutil.rmtree(run, ignore_errors=True)

    def swap(self, *, target: str, staging: str) -> str:
        """Put the staging graph's quads in the target's place, in one transaction: the
        target's old quads deleted, the staging graph's relabelled; RemoteStoreError naming
        the fix otherwise, the transaction then rolled back and the target unchanged."""
        graph, source = f"iri_to_id({sql_string(target)})", f"iri_to_id({sql_string(staging)})"
        with _Session(self) as session:
            session.run("set autocommit manual", what="the swap's session")
            for statement in self.swap_statements(graph, source):
                session.run(statement, what="the swap")
            self.before_commit()
            session.run("commit work", what="the swap's commit")
        return SWAP

    def swap_statements(self, target: str, staging: str) -> list[str]:
        """The swap's SQL, between the session's start and its commit (SQL IRI_ID expressions)."""
        return [
            f"delete from DB.DBA.RDF_QUAD where G = {target}",
            f"update DB.DBA.RDF_QUAD set G = {target} where G = {staging}",
        ]

    def before_commit(self) -> None:
        """Called with the swap done but not committed (a hook for the tests of atomicity)."""

    def write_files(self, run: Path, triples: Sequence[ox.Triple]) -> list[Path]:
        """The triples as ``loaders`` N-Triples files of consecutive (subject-ordered) slices."""
        size = max(1, math.ceil(len(triples) / self.loaders))
        paths = []
        for index, part in enumerate(batches(triples, size)):
            path = run / f"part-{index}.nt"
            path.write_bytes(ox.serialize(part, format=ox.RdfFormat.N_TRIPLES) or b"")
            path.chmod(0o644)  # the server may run as another user
            paths.append(path)
        run.chmod(0o755)
        return paths

    def _run_all(self, statements: dict[str, str], *, what: str) -> None:
        """Each of ``statements`` (SQL text: what it does, for messages) in an isql session
        of its own, all at once, within ``timeout_s``; the first failure, as one sentence."""
        deadline = time.monotonic() + self.timeout_s
        sessions = [self._start(text) for text in statements]
        outputs: list[str] = []
        try:
            for session in sessions:
                left = max(0.0, deadline - time.monotonic())
                answer, _ = session.communicate(timeout=left)
                outputs.append(answer.decode(errors="replace"))
        except subprocess.TimeoutExpired:
            raise RemoteStoreError(
                f"Virtuoso at {self.isql} did not finish {what} within {self.timeout_s:g}s: "
                "raise --timeout-s",
                failure=Failure.TIMEOUT,
            ) from None
        finally:
            for session in sessions:
                if session.poll() is None:
                    session.kill()
                    session.wait(timeout=10)
        for output, doing in zip(outputs, statements.values(), strict=True):
            problem = self.problem(output, what=doing)
            if problem is not None:
                raise problem

    def _start(self, text: str) -> subprocess.Popen[bytes]:
        return self.popen([f"exec={text}"], stdin=subprocess.DEVNULL)

    def popen(self, extra: list[str], *, stdin: int) -> subprocess.Popen[bytes]:
        """An isql session on the server as the user, its output and errors on one pipe."""
        argv = [self.command, self.isql, self.credentials.user, self.credentials.password]
        try:
            return subprocess.Popen(
                [*argv, *extra],
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except FileNotFoundError:
            raise RemoteStoreError(
                f"{self.command} is not installed: --bulk-dir needs Virtuoso's isql client "
                "(Debian: virtuoso-opensource); leave out --bulk-dir to load over HTTP"
            ) from None

    def _problem(self, output: str, *, what: str) -> str | None:
        """A sentence for the first error isql printed, or None when there was none
        (isql exits 0 after a failed statement, so its output is read)."""
        for line in output.splitlines():
            match = _ERROR_LINE.match(line.strip())
            if match is None:
                continue
            text = _DRIVER_PREFIX.sub("", match["text"]).strip()
            if "CL034" in text or match["state"] == "28000":
                return (
                    f"Virtuoso's SQL port at {self.isql} refused the credentials of user "
                    f"{self.credentials.user!r}: check --user and {self.credentials.origin}"
                )
            if "CL033" in text or match["state"] == "S2801":
                return (
                    f"cannot reach Virtuoso's SQL port at {self.isql}: check that it runs "
                    "and pass its host:port to --isql"
                )
            if "FA003" in text:
                return (
                    f"Virtuoso may not read {self.folder}: add that folder to DirsAllowed in the "
                    "[Parameters] section of its virtuoso.ini and restart Virtuoso, or pass a "
                    "--bulk-dir that is in DirsAllowed"
                )
            if "FA" in text[:6]:  # FA00x: the server cannot open the file
                return (
                    f"Virtuoso cannot open the files written into {self.folder} ({text}): "
                    "--bulk-dir must be the same folder on the server's machine"
                )
            if "SR325" in text and "after image" in text:
                return (
                    f"Virtuoso rolled back {what}: one transaction's log outgrew its limit "
                    "(TransactionAfterImageLimit in the [Parameters] section of virtuoso.ini): "
                    "raise it and restart Virtuoso, or leave out --bulk-dir; the target is unchanged"
                )
            if "SR325" in text or match["state"] == "40001":
                return (
                    f"Virtuoso rolled back {what} for a checkpoint or a deadlock ({text}): "
                    "load again; the target is unchanged"
                )
            return f"Virtuoso's bulk loader failed on {what}: {text}"
        return None

    def problem(self, output: str, *, what: str) -> RemoteStoreError | None:
        """The error isql printed in ``output``, redacted, or None."""
        text = self._problem(output, what=what)
        return (
            None if text is None else RemoteStoreError(self._redact(text), failure=Failure.REJECTED)
        )

    def _redact(self, text: str) -> str:
        password = self.credentials.password
        return text.replace(password, "***") if password else text


class _Session:
    """One interactive isql session: each statement is sent with a marker after it, and its
    output read up to the marker, so that the next is sent only once this one answered.

    Leaving the block ends the session; a transaction it did not commit is rolled back
    (isql's manual mode rolls back at the end, the server on a lost connection).
    """

    def __init__(self, loader: BulkLoader) -> None:
        self.loader = loader
        self.deadline = time.monotonic() + loader.timeout_s
        self.steps = 0
        process = loader.popen([], stdin=subprocess.PIPE)
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stdout, selectors.EVENT_READ)
        self.pending = b""

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.selector.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.stdin.close()
        self.stdout.close()

    def run(self, statement: str, *, what: str) -> None:
        """Send ``statement``; RemoteStoreError for an error it met or for a session ended."""
        self.steps += 1
        marker = f"pilotkg-step-{self.steps}-done"
        try:
            self.stdin.write(f"{statement};\nselect '{marker}';\n".encode())
            self.stdin.flush()
        except OSError:
            self._ended(what)
        output = self._read_to(marker, what=what)
        problem = self.loader.problem(output, what=what)
        if problem is not None:
            raise problem

    def _read_to(self, marker: str, *, what: str) -> str:
        wanted = f"\n{marker}\n".encode()
        while wanted not in self.pending:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise RemoteStoreError(
                    f"Virtuoso at {self.loader.isql} did not finish {what} within "
                    f"{self.loader.timeout_s:g}s: raise --timeout-s",
                    failure=Failure.TIMEOUT,
                )
            if not self.selector.select(timeout=left):
                continue
            chunk = os.read(self.stdout.fileno(), 65536)
            if not chunk:
                problem = self.loader.problem(self.pending.decode(errors="replace"), what=what)
                if problem is not None:
                    raise problem
                self._ended(what)
            self.pending += chunk
        output, _, self.pending = self.pending.partition(wanted)
        return output.decode(errors="replace")

    def _ended(self, what: str) -> None:
        raise RemoteStoreError(
            f"isql's session with Virtuoso at {self.loader.isql} ended during {what}: "
            "check that the server runs (its log names the cause)",
            failure=Failure.REJECTED,
        )
