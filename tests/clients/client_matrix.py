"""The client matrix: what the real clients are asked, how each is run, and the README's table.

Imported by the ``tests/clients/`` modules, whose fixtures are in
``client_fixtures``. The clients talk to the shared real server (``live_server``: ``pilotkg serve`` on
127.0.0.1, serving the fixture release built from ``tests/data/web/data``).
Every expected answer below was checked by hand against that data.

``MATRIX`` is the README's client table (``test_client_table`` keeps the two
equal, and the versions the ones installed); a cell that fails by the
client's own bug names its note, and its test is marked with ``known(note)``,
an ``xfail(strict=True)`` that turns into a failure the day the client is fixed.

The tools come from Debian (Jena, raptor, rasqal, Node.js) and npm (Comunica,
``tests/clients/js``), installed by ``scripts/test.sh``. Where one is missing a
test skips with the command that installs it, except in CI, where it fails.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import http.server
import json
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from pilotkg.build.reasoning import java_executable
from pilotkg.errors import UsageError
from pilotkg.formats import GRAPH_FORMATS
from pilotkg.release import dump_name
from support.paths import TESTS
from support.virtuoso import in_ci
from support.web import built_source

# --- what the fixture release holds (tests/data/web/data), checked by hand ------------------

PREFIXES = (
    "PREFIX pilot: <https://w3id.org/pilotkg/ontology#>\n"
    "PREFIX zone: <https://w3id.org/pilotkg/id/zone/>\n"
)
ZONE = "https://w3id.org/pilotkg/id/zone/"
PILOT = "https://w3id.org/pilotkg/ontology#"
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
#: zones.ttl: the four zones and their ``pilot:batch``.
ZONE_BATCHES = {"beijing": 2, "jinan-qingdao": 1, "shanghai-pudong": 1, "shenzhen": 1}
#: The SELECT's rows as N-Triples terms, in its ORDER BY.
ROWS = [(f"<{ZONE}{slug}>", f'"{batch}"^^<{INTEGER}>') for slug, batch in ZONE_BATCHES.items()]
SELECT = (
    PREFIXES + "SELECT ?zone ?batch WHERE { ?zone a pilot:PilotZone ; pilot:batch ?batch } "
    "ORDER BY ?zone"
)
ASK_TRUE = PREFIXES + "ASK { zone:shenzhen pilot:batch 1 }"  # a first-batch zone
ASK_FALSE = PREFIXES + "ASK { zone:beijing pilot:batch 1 }"  # Beijing is in the second batch
CONSTRUCT = (
    PREFIXES + "CONSTRUCT { ?zone pilot:batch ?batch } "
    "WHERE { ?zone a pilot:PilotZone ; pilot:batch ?batch }"
)
#: The CONSTRUCT's triples in N-Triples.
TRIPLES = {
    f'<{ZONE}{slug}> <{PILOT}batch> "{batch}"^^<{INTEGER}> .'
    for slug, batch in ZONE_BATCHES.items()
}
SHENZHEN = f"{ZONE}shenzhen"
DESCRIBE = f"DESCRIBE <{SHENZHEN}>"
#: Two of the statements about the Shenzhen zone (zones.ttl) that its description holds.
SHENZHEN_FACTS = {
    f'<{SHENZHEN}> <http://www.w3.org/2000/01/rdf-schema#label> "Shenzhen AI Innovation and '
    'Application Pilot Zone"@en .',
    f'<{SHENZHEN}> <{PILOT}approvalDate> "2019-10-14"^^<http://www.w3.org/2001/XMLSchema#date> .',
}
#: The SELECT over 2 KB: the same four zones among 120 slugs that name nothing.
LONG_SELECT = (
    PREFIXES
    + "SELECT ?zone ?batch WHERE {\n  VALUES ?zone {\n"
    + "".join(f"    zone:{slug}\n" for slug in ZONE_BATCHES)
    + "".join(f"    zone:not-a-zone-{n:03d}\n" for n in range(120))
    + "  }\n  ?zone a pilot:PilotZone ; pilot:batch ?batch\n} ORDER BY ?zone\n"
)
assert len(LONG_SELECT.encode()) > 2048
#: A query no parser accepts: 400 with the engine's "Malformed query" message.
MALFORMED = "SELECT ?zone WHERE { ?zone a }"
MALFORMED_MESSAGE = "Malformed query"
#: A valid query the server refuses, for clients that parse a query before they send it.
REFUSED = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
REFUSED_MESSAGE = "is not allowed"
UPDATE = 'INSERT DATA { <https://example.org/s> <https://example.org/p> "x" }'
UPDATE_MESSAGE = "read-only"
#: Every RDF dump of the release, by the name ``/dumps/`` serves it under.
DUMPS = tuple(dump_name(fmt) for fmt in GRAPH_FORMATS)


def canonical(ntriples: str) -> set[str]:
    """N-Triples lines as pyoxigraph writes them (a client may escape non-ASCII as ``\\u``)."""
    return {
        str(quad.triple) + " ."
        for quad in ox.parse(ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    }


def release_triples() -> set[str]:
    """The fixture release's triples, as the N-Triples lines of its own dump."""
    import gzip

    data = gzip.decompress((built_source() / "dist" / "pilotkg.nt.gz").read_bytes())
    return canonical(data.decode("utf-8"))


# --- the README's table -----------------------------------------------------------------

OPERATIONS = (
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "query over 2 KB",
    "bad query",
    "update",
    "dump by URL",
)


@dataclass(frozen=True)
class Row:
    """One client of the table: its name, the version tried, one cell per operation."""

    client: str
    version: str
    cells: tuple[str, ...]


#: Why a cell fails, and the way around it; the key is what its cells and tests name.
NOTES: dict[str, str] = {
    "comunica-update": (
        "Comunica reports the refusal (HTTP 403) but drops the body of an update's answer, "
        "so the server's sentence is not shown; send the update with curl to read it."
    ),
    "jena-tsv-ask": (
        "Jena 4.5's TSV reader reads every answer as a table (RowSetReaderTSV.readAny), so an "
        "ASK asked as TSV fails whatever the server writes (`Not a boolean result`). Jena never "
        "asks for TSV on its own: leave `format=tsv` off, or ask CSV."
    ),
    "jena-jsonld": (
        "Debian's Jena 4.5 reads JSON-LD with Titanium, which finds no Jakarta JSON "
        "implementation (Debian packages only the API): `LOADING_DOCUMENT_FAILED`. Ask for "
        "Turtle (Jena's default), or read a downloaded file with `riot --syntax=jsonld10`."
    ),
    "jena-message": (
        "Jena's command-line tools print the status line only (`HttpException: 403 "
        "Forbidden`), not the server's sentence; curl or the query page shows it."
    ),
    "rdflib-csv-ask": (
        "rdflib's CSV and TSV parsers know no ASK form: an ASK asked as CSV or TSV comes back "
        "as a one-row table `_askResult` holding `true` or `false` (so `bool(result)` is always "
        "true); read the cell, or ask XML or JSON (the default)."
    ),
    "rdflib-message": (
        "rdflib's SPARQLStore never shows the server's sentence for a refused query: with GET, "
        "its default, it raises `ValueError: You did something wrong formulating either the "
        "URI or your SPARQL query`; with POST or POST_FORM it returns a tuple such as `(400, "
        "'HTTP Error 400: Bad Request', None)` in place of a result. With GET the HTTPError, body and all, is "
        "the ValueError's `__context__`: `error.__context__.read()`."
    ),
    "roqet-ask": (
        "rasqal 0.9.33 reads a SPARQL XML boolean as an empty table (`Query returned 0 "
        "results`), from any endpoint; roqet answers ASK only for local data (`-D`)."
    ),
    "roqet-graph": (
        "roqet reads every protocol answer with the SPARQL XML results reader, so a CONSTRUCT "
        "or DESCRIBE answer (Turtle) fails with `XML parser error`; give rapper the query URL "
        "(`rapper -g 'http://…/sparql?query=…'`), or run roqet on a dump with `-D`."
    ),
    "roqet-message": (
        "roqet prints the status only (`Resolving URI failed with HTTP status 400`), not the "
        "server's sentence; curl or the query page shows it."
    ),
}

MATRIX: tuple[Row, ...] = (
    Row(
        "Comunica `@comunica/query-sparql` (Node.js)",
        "5.4.1",
        (
            "works (its Accept gets SPARQL JSON)",
            "works",
            "works (Turtle)",
            "works",
            "works (POST form)",
            "refused: shows the server's sentence; Comunica refuses a malformed one itself",
            "refused; sentence not shown [comunica-update]",
            "works: .ttl, .nt.gz, .rdf, .jsonld",
        ),
    ),
    Row(
        "Jena `rsparql`, `rupdate`, `arq --data` (Debian)",
        "4.5.0",
        (
            "works: default, JSON, XML, CSV, TSV",
            "works: default, JSON, XML, CSV; TSV fails [jena-tsv-ask]",
            "works: default, Turtle, N-Triples, RDF/XML; JSON-LD fails [jena-jsonld]",
            "works (default: Turtle)",
            "works (POST on its own)",
            "refused; status only [jena-message]; Jena refuses a malformed one itself",
            "refused; status only [jena-message]",
            "works: .ttl, .nt.gz, .rdf; .jsonld fails [jena-jsonld]",
        ),
    ),
    Row(
        "Jena `riot --validate --strict` (Debian)",
        "4.5.0",
        (
            "—",
            "—",
            "valid: Turtle, N-Triples, RDF/XML, JSON-LD (`--syntax=jsonld10`)",
            "valid: Turtle, N-Triples, RDF/XML, JSON-LD (`--syntax=jsonld10`)",
            "—",
            "—",
            "—",
            "valid: every dump, entity documents (compacted JSON-LD too), `context.jsonld`",
        ),
    ),
    Row(
        "SPARQLWrapper",
        "2.0.0",
        (
            "works: XML (default), JSON, CSV, TSV; GET, POST form, POST direct",
            "works: XML (default), JSON, CSV, TSV",
            "works: RDF/XML (default), Turtle, N3, JSON-LD",
            "works: RDF/XML (default), Turtle, N3, JSON-LD",
            "works with `setMethod(POST)`",
            "refused: `QueryBadFormed` with the sentence (400), in `HTTPError.read()` (403)",
            "refused; sentence in `HTTPError.read()`",
            "—",
        ),
    ),
    Row(
        "rdflib `SPARQLStore` / `SPARQLUpdateStore`",
        "7.6.0",
        (
            "works: XML (default), JSON, CSV, TSV; GET, POST, POST_FORM",
            "works: XML (default), JSON; CSV, TSV as a table [rdflib-csv-ask]",
            "works: XML (default, RDF/XML), JSON (JSON-LD)",
            "works: XML (default, RDF/XML), JSON (JSON-LD)",
            "works with `method='POST'` or `'POST_FORM'`",
            "refused; sentence hidden [rdflib-message]",
            "refused; sentence in `HTTPError.read()`",
            "—",
        ),
    ),
    Row(
        "rdflib `Graph.parse(URL)`",
        "7.6.0",
        (
            "—",
            "—",
            "works: the query's URL",
            "works: the query's URL",
            "—",
            "—",
            "—",
            "works: every dump, entity IRIs in every format, `context.jsonld`",
        ),
    ),
    Row(
        "PyLD (JSON-LD API)",
        "3.3.0",
        (
            "—",
            "—",
            "works: compacted and expanded answers",
            "works: compacted and expanded answers",
            "—",
            "—",
            "—",
            "works: `pilotkg.jsonld`, compacted entity documents",
        ),
    ),
    Row(
        "rasqal `roqet -p` (Debian)",
        "0.9.33",
        (
            "works (SPARQL XML)",
            "fails [roqet-ask]",
            "fails [roqet-graph]",
            "fails [roqet-graph]",
            "works (GET; roqet never POSTs)",
            "refused; status only [roqet-message]",
            "refused (sent as a query); status only [roqet-message]",
            "works with `-D`: .ttl, .nt.gz, .rdf (raptor reads no JSON-LD)",
        ),
    ),
    Row(
        "raptor `rapper` (Debian)",
        "2.0.15",
        (
            "—",
            "—",
            "works: the query's URL",
            "works: the query's URL",
            "—",
            "—",
            "—",
            "works: .ttl, .nt.gz, .rdf, entity IRIs (raptor reads no JSON-LD)",
        ),
    ),
)


def table() -> str:
    """``MATRIX`` and its notes as the README shows them (Markdown)."""
    lines = [
        "| client | version | " + " | ".join(OPERATIONS) + " |",
        "|---|---|" + "---|" * len(OPERATIONS),
    ]
    lines += [f"| {r.client} | {r.version} | " + " | ".join(r.cells) + " |" for r in MATRIX]
    lines.append("")
    lines += [f"- **[{name}]** {text}" for name, text in NOTES.items()]
    return "\n".join(lines) + "\n"


def known(note: str) -> pytest.MarkDecorator:
    """The mark of a test that fails by the client's bug the README's note ``note`` describes."""
    return pytest.mark.xfail(strict=True, reason=NOTES[note])


# --- running the tools ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """What a command-line client printed, and how it exited."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(command: Sequence[str], *, stdin: str | None = None, timeout: float = 60) -> Ran:
    done = subprocess.run(
        list(command), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def need(ready: bool, what: str, install: str) -> None:
    """Skip (fail in CI, where a skip would hide an untested client) when ``what`` is missing."""
    if not ready:
        message = f"{what} is not installed: {install}"
        if in_ci():
            pytest.fail(f"{message}; CI must run every client of the matrix")
        pytest.skip(message)


# --- Jena: Debian ships the jars, no launcher -------------------------------------------------

JAVA_LIBS = Path("/usr/share/java")
#: libapache-jena-java's jars and those of the packages it depends on, with one SLF4J binding
#: (slf4j-simple: with slf4j-nop, `riot --validate` would print nothing at all).
JENA_CLASSPATH = (
    *(
        f"jena-{part}.jar"
        for part in (
            "arq", "base", "cmds", "core", "dboe-base", "dboe-index", "dboe-storage",
            "dboe-trans-data", "dboe-transaction", "iri", "rdfconnection", "shacl", "shex",
            "tdb", "tdb2",
        )
    ),
    "slf4j-api.jar", "slf4j-simple.jar", "commons-cli.jar", "commons-codec.jar",
    "commons-compress.jar", "commons-csv.jar", "commons-io.jar", "commons-lang3.jar",
    "dexx.collection.jar", "gson.jar", "guava.jar", "httpclient.jar", "httpcore.jar",
    "httpclient-cache.jar", "jsonld-java.jar", "jackson-core.jar", "jackson-databind.jar",
    "jackson-annotations.jar", "thrift.jar", "protobuf.jar", "titanium-json-ld.jar",
    "jakarta.json-api.jar",
)  # fmt: skip
#: Start-up flags for short runs: no optimising compiler, the serial collector, and no JVM
#: log lines (the class archive's notes) among the tool's output.
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:disable")


class Jena:
    """Jena's command-line tools (``arq.rsparql``, ``riotcmd.riot`` …) on Debian's jars.

    Debian moved the Xerces copy inside jena-core to the package ``xerces`` but left
    its message files under ``org/apache/jena/ext/xerces``, so every tool dies in
    XSDDatatype's static initialiser ("internal error"); a folder holding the files
    where the classes look for them goes on the classpath. The first run writes a
    class-data archive that the others map, which halves each one's start-up.
    """

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        fix = scratch / "xerces-messages"
        with zipfile.ZipFile(JAVA_LIBS / "jena-core.jar") as jar:
            for name in jar.namelist():
                if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                    target = fix / name.removeprefix("org/apache/jena/ext/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(jar.read(name))
        self.classpath = ":".join([*(str(JAVA_LIBS / jar) for jar in JENA_CLASSPATH), str(fix)])
        self.archive = scratch / "jena.jsa"
        self._warm = threading.Lock()

    @staticmethod
    def version() -> str:
        """The version of Debian's Jena, from the Maven properties inside jena-arq.jar."""
        with zipfile.ZipFile(JAVA_LIBS / "jena-arq.jar") as jar:
            text = jar.read("META-INF/maven/org.apache.jena/jena-arq/pom.properties").decode()
        return next(
            line.split("=", 1)[1] for line in text.splitlines() if line.startswith("version=")
        )

    @staticmethod
    def installed() -> bool:
        try:
            java_executable()
        except UsageError:
            return False
        return all((JAVA_LIBS / jar).is_file() for jar in JENA_CLASSPATH)

    def run(self, main: str, *args: str, stdin: str | None = None) -> Ran:
        """``main`` (a tool's class) with ``args``; the first call writes the class archive."""
        with self._warm:
            if not self.archive.exists():
                share = f"-XX:ArchiveClassesAtExit={self.archive}"
                return self._java(share, main, *args, stdin=stdin)
        return self._java(f"-XX:SharedArchiveFile={self.archive}", main, *args, stdin=stdin)

    def _java(self, share: str, main: str, *args: str, stdin: str | None) -> Ran:
        command = [java_executable(), share, *JVM_FLAGS, "-cp", self.classpath, main, *args]
        return run(command, stdin=stdin, timeout=120)

    def batch(self, jobs: dict[str, tuple[str, ...]], workers: int = 2) -> dict[str, Ran]:
        """Every job (name → main class and arguments), ``workers`` at a time."""
        names = list(jobs)
        results = {names[0]: self.run(*jobs[names[0]])} if names else {}
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = {name: pool.submit(self.run, *jobs[name]) for name in names[1:]}
            results.update({name: future.result() for name, future in futures.items()})
        return results


# --- Comunica: one Node process for all its jobs ------------------------------------------

JS = TESTS / "clients" / "js"
#: Comunica 5's SPARQL parser (@traqula) declares Node.js ^20.19 (Debian 13 ships 20.19; Debian
#: 12's 18 cannot run it); undici is held at 7 in js/package.json, since 8 needs Node.js 22.19.
NODE_AT_LEAST = (20, 19, 0)


def node_version() -> tuple[int, ...]:
    if not shutil.which("node"):
        return ()
    text = run(["node", "--version"]).stdout.strip().lstrip("v")
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def comunica_version() -> str:
    package = JS / "node_modules" / "@comunica" / "query-sparql" / "package.json"
    return str(json.loads(package.read_text())["version"]) if package.is_file() else ""


def comunica(jobs: list[dict[str, object]]) -> dict[str, dict[str, Any]]:
    """The results of Comunica's jobs (see ``js/comunica.mjs``), from one Node process."""
    need(
        bool(comunica_version()),
        "Comunica",
        "cd tests/clients/js && npm ci (scripts/test.sh does)",
    )
    version = node_version()
    need(
        version >= NODE_AT_LEAST,
        f"Node.js {'.'.join(map(str, NODE_AT_LEAST))} or later (found {version or 'none'})",
        "Comunica 5 needs it; Debian 13 ships Node.js 20.19",
    )
    ran = run(["node", str(JS / "comunica.mjs")], stdin=json.dumps(jobs), timeout=120)
    assert ran.returncode == 0, ran.stderr
    results: dict[str, dict[str, Any]] = json.loads(ran.stdout)
    return results


# --- a recording proxy: what a client sent ------------------------------------------------


@dataclass
class Seen:
    """One request as a client sent it."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class Recorder:
    """A proxy on 127.0.0.1 in front of the live server that records each request by the
    first segment of its path: a client given ``{url}/long/sparql`` reaches ``/sparql``,
    and ``seen["long"]`` says how it asked (the method of a long query, its Accept)."""

    def __init__(self, target: str) -> None:
        self.seen: dict[str, list[Seen]] = {}
        host, port = target.removeprefix("http://").rstrip("/").split(":")
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _forward(self) -> None:
                first, slash, rest = self.path[1:].partition("/")
                label, path = (first, "/" + rest) if slash and "?" not in first else ("", self.path)
                headers = dict(self.headers.items())
                recorder.seen.setdefault(label, []).append(Seen(self.command, path, headers))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(host, int(port), timeout=60)
                upstream.request(self.command, path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_HEAD = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def endpoint(self, label: str) -> str:
        return f"{self.url}/{label}/sparql"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
