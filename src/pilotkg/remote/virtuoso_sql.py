"""Virtuoso's own way in, for ``pilotkg load --virtuoso-sql``: the bulk loader's parser
fills the staging graph from a file the server reads, and one SQL transaction puts it
in the target's place.

Why not the Graph Store upload and ``MOVE`` that work on every store: on Virtuoso
both are slow, and ``MOVE`` of a large graph fails outright. Virtuoso runs ``MOVE``
as a logged transaction, which it aborts once its log passes
``txn_after_image_limit`` (50 MB unless the server's ini says otherwise): the
3.3-million-triple graph could not be swapped in at all. The steps here:

1. **Stage** with ``DB.DBA.TTLP`` on an N-Triples file written into a folder the
   server may read (``DirsAllowed``), the parser ``rdf_loader_run()`` calls, in
   its parallel, unlogged mode. Strict parsing (flags 0): a line the parser
   cannot read stops the load instead of being skipped.
2. **Count** the staging graph over SPARQL, as every load does
   (:func:`pilotkg.remote.loading.load_triples`).
3. **Swap** in one transaction with the transaction log off
   (``log_enable (0)``, so no after-image limit): delete the target's quads,
   copy the staging graph's quads under the target's graph id, count the target
   inside the transaction, and commit only when the count is right; otherwise
   roll back. Readers see the old graph until the commit and the new one after;
   while Virtuoso commits, which takes a moment for a large graph, a reader at its
   default isolation (read committed) can see some of each: Virtuoso releases a
   large transaction's rows a page at a time, and its own ``MOVE`` shows the same.
   ``UPDATE RDF_QUAD SET G = …`` (what Virtuoso's own ``LDP_RENAME_GRAPH`` does)
   would touch fewer indexes, but on Virtuoso 7.2's column store it moved a
   handful of rows of a large graph and reported success.
4. **Make it durable**: drop the staging graph and ``checkpoint``. Unlogged
   work survives a crash only once a checkpoint holds it; a crash before that
   returns the store to its last checkpoint, where the target still holds its
   old graph.

SQL goes over ODBC (pyodbc and Virtuoso's own driver), not ``isql``: isql
takes its password on the command line, where ``ps`` shows it.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from ..errors import UsageError
from .client import Credentials, Failure, RemoteStoreError
from .loading import Swap

if TYPE_CHECKING:
    import pyodbc

#: Where Debian's libvirtodbc0 puts Virtuoso's ODBC driver. The ANSI build: the Unicode
#: one (virtodbcu) refuses pyodbc's connection strings.
DRIVER_PATTERNS = (
    "/usr/lib/*/odbc/virtodbc_r.so",
    "/usr/lib/odbc/virtodbc_r.so",
    "/usr/local/lib/virtodbc_r.so",
)
T = TypeVar("T")
#: Seconds each SQL statement may take: loading and copying a graph of millions of triples
#: takes minutes (the protocol's ``--timeout-s`` bounds one batch, not a whole graph).
DEFAULT_TIMEOUT_S = 3600.0
#: "[28000] [OpenLink][Virtuoso iODBC Driver][Virtuoso Server]": pyodbc's and the driver's.
_DRIVER_PREFIXES = re.compile(r"^(\s*\[[^\]]*\])+\s*")
#: What the summary line says about the way in and the swap.
METHOD = "Virtuoso's bulk loader"
SWAP = "one SQL transaction"

#: Flags 0: strict; log mode 2: unlogged, parallel. Path and graph are written into the text:
#: Virtuoso 7.2 crashes (GPF in Dkpool.c) when a top-level TTLP call takes them as parameters.
_STAGE = "DB.DBA.TTLP (file_open ({path}), '', {graph}, 0, 2, 0)"
_DELETE = "DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id (?)"
_COPY = (
    "INSERT SOFT DB.DBA.RDF_QUAD (G, S, P, O) SELECT iri_to_id (?), Q.S, Q.P, Q.O "
    "FROM DB.DBA.RDF_QUAD Q WHERE Q.G = iri_to_id (?, 0)"
)
_COUNT = "SELECT COUNT (*) FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id (?, 0)"


def find_driver(explicit: Path | None = None) -> Path:
    """Virtuoso's ODBC driver: ``explicit``, else the first of ``DRIVER_PATTERNS`` found."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--odbc-driver {explicit}: no such file")
        return explicit
    for pattern in DRIVER_PATTERNS:
        found = sorted(Path("/").glob(pattern.lstrip("/")))
        if found:
            return found[0]
    raise UsageError(
        "Virtuoso's ODBC driver (virtodbc_r.so) was not found: install Debian's libvirtodbc0 "
        "and libodbc2 (`scripts/virtuoso.sh install` does), or name it with --odbc-driver"
    )


def import_pyodbc() -> Any:
    """pyodbc, imported only for ``--virtuoso-sql``: no other command needs it or unixODBC."""
    try:
        import pyodbc
    except ImportError as error:  # the package, or libodbc.so.2 it links to
        raise UsageError(
            f"--virtuoso-sql needs pyodbc and unixODBC ({error}): "
            "pip install 'pilotkg[virtuoso]' and apt-get install libodbc2"
        ) from None
    return pyodbc


def sql_string(text: str) -> str:
    """``text`` as a Virtuoso SQL string literal. Virtuoso reads backslash escapes in
    literals, so text with a backslash or a line break is refused rather than guessed at."""
    if any(c in text for c in "\\\n\r\0"):
        raise UsageError(
            f"{text!r} holds a backslash or a line break, which Virtuoso's SQL would read as "
            "an escape: choose a --virtuoso-dir (or a graph IRI) without one"
        )
    return "'" + text.replace("'", "''") + "'"


def check_address(address: str) -> str:
    """``HOST:PORT`` of Virtuoso's SQL port; UsageError for anything else."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(
            f"--virtuoso-sql {address!r} is not HOST:PORT (Virtuoso's SQL port, 1111 by default)"
        )
    return address


@dataclass
class VirtuosoSql:
    """Virtuoso's own way in for :func:`pilotkg.remote.loading.load_triples` (its ``way``).

    ``folder`` is a directory both this process and the server can read by the same
    path, listed in the server's ``DirsAllowed``; the N-Triples file lives there only
    while the staging graph is filled. ``timeout_s`` bounds each SQL statement: the
    bulk load and the copy take time in proportion to the graph.
    """

    address: str
    credentials: Credentials
    folder: Path
    driver: Path
    timeout_s: float = DEFAULT_TIMEOUT_S
    method: str = METHOD

    def __post_init__(self) -> None:
        for name, value in (
            ("--user", self.credentials.user),
            ("the password", self.credentials.password),
        ):
            if any(c in value for c in ";{}"):
                # Virtuoso's driver reads neither braces nor escapes in a connection string.
                raise UsageError(
                    f"{name} holds ';', '{{' or '}}', which Virtuoso's ODBC driver cannot take "
                    "in a connection string: --virtuoso-sql needs an account without them"
                )
        sql_string(str(self.folder))  # a folder Virtuoso's SQL cannot name fails here, not later

    def stage(
        self,
        triples: Sequence[ox.Triple],
        staging: str,
        on_progress: Callable[[int], None] = lambda _count: None,
    ) -> None:
        """Fill ``staging`` with ``triples`` through the bulk loader's parser, in one step."""
        path = self.folder / f"pilotkg-{uuid.uuid4().hex}.nt"
        text = _STAGE.format(path=sql_string(str(path)), graph=sql_string(staging))
        with self._connection(autocommit=True) as cursor:  # wrong credentials fail before the file
            try:
                try:
                    ox.serialize(triples, str(path), format=ox.RdfFormat.N_TRIPLES)
                    path.chmod(0o644)  # the server may run as another user
                except OSError as error:
                    raise UsageError(
                        f"--virtuoso-dir {self.folder}: cannot write the staging file "
                        f"({error.strerror})"
                    ) from None
                self._execute(cursor, text, what="the bulk load")
            finally:
                path.unlink(missing_ok=True)
        on_progress(len(triples))

    def replace(
        self,
        *,
        staging: str,
        target: str,
        expected: int,
        before_commit: Callable[[], None] | None = None,
    ) -> Swap:
        """Put ``staging`` in ``target``'s place in one transaction, counted before its
        commit; then drop ``staging`` and checkpoint (see the module docstring).
        ``before_commit`` runs inside the transaction once the count is right.

        Raises before the commit, when the target is unchanged. What fails after it
        no longer undoes the load: it comes back as sentences for the user.
        """
        with self._connection(autocommit=False) as cursor:
            connection = cursor.connection
            try:
                self._execute(cursor, "log_enable (0, 1)", what="the swap")
                self._execute(cursor, _DELETE, target, what="the swap")
                self._execute(cursor, _COPY, target, staging, what="the swap")
                self._execute(cursor, _COUNT, target, what="the swap's count")
                found = int(self._call(cursor.fetchone, what="the swap's count")[0])
                if found != expected:
                    raise RemoteStoreError(
                        f"<{target}> would hold {found} triples after the swap where {expected} "
                        "were counted in the staging graph; the swap was rolled back"
                    )
                if before_commit is not None:
                    before_commit()
                self._call(connection.commit, what="the swap's commit")
            except BaseException:
                with suppress(Exception):  # the first error is the one to report
                    connection.rollback()
                raise
        return Swap(SWAP, tuple(self._tidy(staging)))

    def _tidy(self, staging: str) -> list[str]:
        """Drop ``staging`` and checkpoint, after a committed swap; sentences for what failed."""
        notes = []
        try:
            with self._connection(autocommit=True) as cursor:
                self._execute(cursor, "log_enable (2, 1)", what="the staging graph's removal")
                self._execute(cursor, _DELETE, staging, what="the staging graph's removal")
        except RemoteStoreError as error:
            notes.append(
                f"the target was replaced, but {error}: remove <{staging}> with DROP SILENT GRAPH, "
                "or let a load more than --stale-after-s seconds later remove it"
            )
        try:
            with self._connection(autocommit=True) as cursor:
                self._execute(cursor, "checkpoint", what="the checkpoint")
        except RemoteStoreError as error:
            notes.append(
                f"the target was replaced, but {error}: until Virtuoso checkpoints (run "
                "`checkpoint;` in isql), a crash would bring the old graph back"
            )
        return notes

    # ------------------------------------------------------------------ ODBC

    @contextmanager
    def _connection(self, *, autocommit: bool) -> Iterator[pyodbc.Cursor]:
        pyodbc = import_pyodbc()
        text = (
            f"DRIVER={self.driver};HOST={self.address};"
            f"UID={self.credentials.user};PWD={self.credentials.password}"
        )
        try:
            connection = pyodbc.connect(text, autocommit=autocommit, timeout=10)
        except pyodbc.Error as error:
            raise self._error(error, what="the connection", failure=Failure.UNREACHABLE) from None
        try:
            # IRIs and paths go as UTF-8 narrow strings, which is how Virtuoso keeps IRIs.
            connection.setencoding(encoding="utf-8", ctype=pyodbc.SQL_CHAR)
            connection.setdecoding(pyodbc.SQL_CHAR, encoding="utf-8")
            connection.timeout = max(1, math.ceil(self.timeout_s))
            yield self._call(connection.cursor, what="the connection")
        finally:
            with suppress(Exception):
                connection.close()

    def _execute(self, cursor: pyodbc.Cursor, text: str, *args: object, what: str) -> None:
        self._call(lambda: cursor.execute(text, *args), what=what)

    def _call(self, function: Callable[[], T], *, what: str) -> T:
        """``function()``, with a pyodbc error turned into a one-line RemoteStoreError."""
        pyodbc = import_pyodbc()
        try:
            return function()
        except pyodbc.Error as error:
            raise self._error(error, what=what) from None

    def _error(
        self, error: Exception, *, what: str, failure: Failure = Failure.SERVER
    ) -> RemoteStoreError:
        """One line: what failed, Virtuoso's words (driver prefixes and the password cut)."""
        state, message = (str(part) for part in [*error.args, "", ""][:2])
        words = " ".join(_DRIVER_PREFIXES.sub("", message).split(" (-1)")[0].split())
        words = words or " ".join(str(error).split())
        for secret in self.credentials.secrets():
            if secret:
                words = words.replace(secret, "***")
        hint = ""
        if "FA003" in message:
            hint = f": add {self.folder} to DirsAllowed in the server's virtuoso.ini"
        elif "CL033" in message:
            hint = ": is that Virtuoso's SQL port (ServerPort under [Parameters] in virtuoso.ini)?"
        elif state in ("28000", "08004") or "Bad login" in message:
            hint = f": check --user and {self.credentials.origin}"
            failure = Failure.AUTH
        return RemoteStoreError(
            f"Virtuoso at {self.address} failed {what} ({state}): {words}{hint}", failure=failure
        )
