"""Apache Jena's command-line tools from Debian against a real ``pilotkg serve``.

``rsparql`` asks with its own Accept header (the ``default`` cases) and, with
``format=`` on the service URL, gets each results and graph format in turn, so
each of Jena's readers meets what the server writes; ``rupdate`` is refused;
``arq --data`` loads every dump by URL; ``riot --validate --strict`` checks
every dump and negotiated document, compacted JSON-LD included (it fetches the
context from the server); ``arq --data`` runs the query behind a Chinese table
(``arq:collation``) over the real data's dump. All runs start at once, two JVMs
at a time.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from client_matrix import (
    ASK_FALSE,
    ASK_TRUE,
    CONSTRUCT,
    DESCRIBE,
    DUMPS,
    LONG_SELECT,
    REFUSED,
    REFUSED_MESSAGE,
    ROWS,
    SELECT,
    SHENZHEN,
    SHENZHEN_FACTS,
    TRIPLES,
    UPDATE,
    UPDATE_MESSAGE,
    Jena,
    Ran,
    Recorder,
    canonical,
    known,
    release_triples,
)

from pilotkg.jsonld import COMPACTED
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures", "client_fixtures"]
pytestmark = pytest.mark.clients

RESULTS = ("default", "json", "xml", "csv", "tsv")
GRAPHS = ("default", "ttl", "nt", "jsonld", "rdf")
ZONE = "https://w3id.org/pilotkg/id/zone/"
COMPACT = {"Accept": f'application/ld+json;profile="{COMPACTED}"'}


def _service(server: LiveServer, fmt: str) -> str:
    return server.url + "/sparql" + ("" if fmt == "default" else f"?format={fmt}")


def _documents(server: LiveServer, folder: Path) -> tuple[list[str], list[str]]:
    """Every dump and negotiated document, saved for riot: (RDF files, JSON-LD files)."""
    rdf: list[str] = []
    jsonld: list[str] = []

    def save(name: str, path: str, headers: dict[str, str] | None = None) -> None:
        response = httpx.get(server.url + path, headers=headers or {"Accept": "*/*"})
        assert response.status_code == 200, (path, response.text)
        (folder / name).write_bytes(response.content)
        (jsonld if name.endswith(".jsonld") else rdf).append(str(folder / name))

    for dump in (*DUMPS, "ontology.ttl", "void.ttl", "context.jsonld"):
        save(dump, "/dumps/" + dump)
    for ext in ("ttl", "nt", "rdf", "jsonld"):
        save(f"shenzhen.{ext}", f"/id/zone/shenzhen.{ext}")
        for name, text in (("construct", CONSTRUCT), ("describe", DESCRIBE)):
            query = httpx.QueryParams({"query": text, "format": ext})
            save(f"{name}.{ext}", f"/sparql?{query}")
    save("shenzhen-compacted.jsonld", "/id/zone/shenzhen", COMPACT)
    query = httpx.QueryParams({"query": CONSTRUCT})
    save("construct-compacted.jsonld", f"/sparql?{query}", COMPACT)
    save("ontology-compacted.jsonld", "/ontology", COMPACT)
    return rdf, jsonld


def _browse_query(server: LiveServer, path: str) -> str:
    """The query a browsed table's page links to as its SPARQL."""
    page = httpx.get(server.url + path, timeout=30).text
    link = re.search(r'<a href="/sparql\?([^"]+)">SPARQL</a>', page)
    assert link is not None, f"{path} links to no query"
    return parse_qs(unescape(link.group(1)))["query"][0]


@pytest.fixture(scope="module")
def runs(
    jena: Jena,
    live_server: LiveServer,
    real_server: LiveServer,
    recorder: Recorder,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Ran]:
    folder = tmp_path_factory.mktemp("jena-runs")
    queries = {
        "select": SELECT,
        "ask": ASK_TRUE,
        "ask-false": ASK_FALSE,
        "construct": CONSTRUCT,
        "describe": DESCRIBE,
        "long": LONG_SELECT,
        "refused": REFUSED,
        "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    }
    queries["browse-zh"] = _browse_query(real_server, "/zones?lang=zh")
    for name, text in queries.items():
        (folder / f"{name}.rq").write_text(text, encoding="utf-8")

    def rsparql(service: str, query: str, results: str) -> tuple[str, ...]:
        rq = str(folder / f"{query}.rq")
        return ("arq.rsparql", "--service", service, "--query", rq, f"--results={results}")

    jobs: dict[str, tuple[str, ...]] = {}
    for fmt in RESULTS:
        jobs[f"select-{fmt}"] = rsparql(_service(live_server, fmt), "select", "tsv")
        jobs[f"ask-{fmt}"] = rsparql(_service(live_server, fmt), "ask", "text")
    jobs["ask-false-csv"] = rsparql(_service(live_server, "csv"), "ask-false", "text")
    for fmt in GRAPHS:
        jobs[f"construct-{fmt}"] = rsparql(_service(live_server, fmt), "construct", "nt")
    jobs["describe"] = rsparql(_service(live_server, "default"), "describe", "nt")
    jobs["long"] = rsparql(recorder.endpoint("jena-long"), "long", "tsv")
    jobs["refused"] = rsparql(_service(live_server, "default"), "refused", "tsv")
    turtle = f"{real_server.url}/dumps/{next(d for d in DUMPS if d.endswith('.ttl'))}"
    browse = str(folder / "browse-zh.rq")
    jobs["browse-zh"] = ("arq.sparql", "--data", turtle, "--query", browse, "--results=tsv")
    jobs["update"] = ("arq.rupdate", "--service", live_server.url + "/sparql", UPDATE)
    for dump in DUMPS:
        data = ("--data", f"{live_server.url}/dumps/{dump}")
        jobs[f"dump-{dump}"] = ("arq.sparql", *data, "--query", str(folder / "count.rq"))
    rdf, jsonld = _documents(live_server, folder)
    jobs["riot"] = ("riotcmd.riot", "--validate", "--strict", *rdf)
    jobs["riot-jsonld"] = ("riotcmd.riot", "--validate", "--strict", "--syntax=jsonld10", *jsonld)
    ask_tsv = httpx.get(live_server.url + "/sparql", params={"query": ASK_TRUE, "format": "tsv"})
    (folder / "ask.tsv").write_bytes(ask_tsv.content)
    jobs["rset-ask-tsv"] = ("arq.rset", "--in=tsv", str(folder / "ask.tsv"))
    return jena.batch(jobs)


def _tsv_rows(ran: Ran) -> list[tuple[str, ...]]:
    assert ran.returncode == 0, ran.output
    lines = ran.stdout.splitlines()
    assert lines[0].split("\t") == ["?zone", "?batch"], ran.output
    return [tuple(line.split("\t")) for line in lines[1:] if line]


def _triples(ran: Ran) -> set[str]:
    assert ran.returncode == 0, ran.output
    return canonical(ran.stdout)


def _expected_rows(fmt: str) -> list[tuple[str, str]]:
    """Jena's TSV of the zones: integers in short form; from CSV, which has no term
    types, every value a plain string."""
    if fmt == "csv":
        return [(f'"{zone[1:-1]}"', f'"{batch.split(chr(34))[1]}"') for zone, batch in ROWS]
    return [(zone, batch.split('"')[1]) for zone, batch in ROWS]


@pytest.mark.parametrize("fmt", RESULTS)
def test_select(runs: dict[str, Ran], fmt: str) -> None:
    assert _tsv_rows(runs[f"select-{fmt}"]) == _expected_rows(fmt)


@pytest.mark.parametrize(
    "fmt", [f if f != "tsv" else pytest.param(f, marks=known("jena-tsv-ask")) for f in RESULTS]
)
def test_ask(runs: dict[str, Ran], fmt: str) -> None:
    ran = runs[f"ask-{fmt}"]
    assert ran.returncode == 0, ran.output
    assert ran.stdout.strip() == "Ask => Yes"


def test_ask_false_as_csv(runs: dict[str, Ran]) -> None:
    """Jena's CSV reader takes the server's ``_askResult`` table for the boolean it is."""
    ran = runs["ask-false-csv"]
    assert ran.returncode == 0, ran.output
    assert ran.stdout.strip() == "Ask => No"


def test_jena_tsv_reader_reads_the_ask_answer(runs: dict[str, Ran]) -> None:
    """``rset --in tsv`` reads the server's TSV ASK answer as the one-row ``_askResult`` table
    (the bare ``true`` the server sent before was "not a variable" to this reader)."""
    ran = runs["rset-ask-tsv"]
    assert ran.returncode == 0, ran.output
    assert "| _askResult |" in ran.stdout and "| true       |" in ran.stdout


GRAPH_CASES = [f if f != "jsonld" else pytest.param(f, marks=known("jena-jsonld")) for f in GRAPHS]


@pytest.mark.parametrize("fmt", GRAPH_CASES)
def test_construct(runs: dict[str, Ran], fmt: str) -> None:
    assert _triples(runs[f"construct-{fmt}"]) == TRIPLES


def test_describe(runs: dict[str, Ran]) -> None:
    """DESCRIBE meets the graph readers CONSTRUCT does; here in Jena's own choice."""
    triples = _triples(runs["describe"])
    assert triples >= SHENZHEN_FACTS
    assert {line.split(" ", 1)[0] for line in triples} == {f"<{SHENZHEN}>"}


def test_a_long_query_is_posted(runs: dict[str, Ran], recorder: Recorder) -> None:
    assert _tsv_rows(runs["long"]) == _expected_rows("default")
    assert [seen.method for seen in recorder.seen["jena-long"]] == ["POST"]


def test_a_refused_query_fails(runs: dict[str, Ran]) -> None:
    ran = runs["refused"]
    assert ran.returncode != 0 and "403" in ran.output


@known("jena-message")
def test_a_refused_query_shows_the_server_sentence(runs: dict[str, Ran]) -> None:
    assert REFUSED_MESSAGE in runs["refused"].output


def test_an_update_is_refused(runs: dict[str, Ran]) -> None:
    ran = runs["update"]
    assert ran.returncode != 0 and "403" in ran.output


@known("jena-message")
def test_an_update_refusal_shows_the_server_sentence(runs: dict[str, Ran]) -> None:
    assert UPDATE_MESSAGE in runs["update"].output


@pytest.mark.parametrize(
    "dump",
    [
        d if not d.endswith(".jsonld") else pytest.param(d, marks=known("jena-jsonld"))
        for d in DUMPS
    ],
)
def test_a_dump_loads_by_url(runs: dict[str, Ran], dump: str) -> None:
    ran = runs[f"dump-{dump}"]
    assert ran.returncode == 0, ran.output
    assert f"| {len(release_triples())} |" in ran.stdout


@pytest.mark.parametrize("run", ["riot", "riot-jsonld"])
def test_riot_validates_every_dump_and_document(runs: dict[str, Ran], run: str) -> None:
    ran = runs[run]
    assert ran.returncode == 0, ran.output
    assert "ERROR" not in ran.output and "WARN" not in ran.output, ran.output


def test_a_chinese_tables_query_runs_in_jena_in_pinyin_order(
    runs: dict[str, Ran], real_server: LiveServer
) -> None:
    """The query behind /zones?lang=zh orders by ``arq:collation("zh", ?label)``, ARQ's own
    function, so it runs in Jena unchanged and lists the zones in Java's Chinese collation.
    Java differs from the page twice: it reads each character alone, so 重庆 (Chongqing) goes
    under zhong, last, where pypinyin reads the phrase as chong; and it ignores hyphens, so
    济南-青岛 sorts as 济南青岛, after 济南国家 (guo), where the page keeps the hyphen as a
    break and lists it first. Every other zone stands where the page has it."""
    ran = runs["browse-zh"]
    assert ran.returncode == 0, ran.output
    lines = ran.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["?zone", "?label"], ran.output
    jena = [line.split("\t")[0].strip("<>") for line in lines[1:] if line]
    document = httpx.get(real_server.url + "/zones.json?lang=zh", timeout=30).json()
    page = [row["zone"][0]["iri"] for row in document["rows"]]
    chongqing, jinan, jinan_qingdao = (
        ZONE + z for z in ("most-chongqing", "most-jinan", "jinan-qingdao")
    )
    assert jena[-1] == chongqing and page.index(chongqing) < len(page) // 2
    rest = [z for z in page if z != chongqing]
    first = rest.index(jinan_qingdao)
    assert rest[first + 1] == jinan, "the page lists 济南-青岛 just before 济南国家"
    rest[first : first + 2] = [jinan, jinan_qingdao]
    assert jena == [*rest, chongqing]
