"""One way to run a canned query (pilotkg.queries.prepare, run, engine_errors), shared by
the CLI, the web's /queries/, the release's CSV files and the comparison with a remote store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.build.publish import csv_exports
from pilotkg.cli import main
from pilotkg.errors import QueryError
from pilotkg.namespaces import ID, WIKIDATA_ENTITY, WIKIDATA_SPARQL
from pilotkg.queries import CannedQuery, Catalogue, engine_errors, parse_query_file, prepare, run
from pilotkg.remote.verify import compare_query
from pilotkg.sources import CHECKOUT_ROOT, Sources
from pilotkg.tables import BOM, json_in_order, results_bytes

EX = "http://example.org/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"


def _store() -> ox.Store:
    store = ox.Store()
    for name, label in (("a", "Alpha"), ("b", "Beta")):
        store.add(ox.Quad(ox.NamedNode(EX + name), ox.NamedNode(EX + "label"), ox.Literal(label)))
    store.add(
        ox.Quad(
            ox.NamedNode(EX + "a"), ox.NamedNode(OWL_SAME_AS), ox.NamedNode(WIKIDATA_ENTITY + "Q1")
        )
    )
    return store


def _query(tmp_path: Path, body: str, header: str = "") -> CannedQuery:
    path = tmp_path / "q.rq"
    path.write_text(f"# title: q\n{header}{body}\n", encoding="utf-8")
    return parse_query_file(path)


def test_run_binds_the_parameters_as_terms(tmp_path: Path) -> None:
    canned = _query(
        tmp_path,
        f"SELECT ?who WHERE {{ ?who <{EX}label> ?name }}",
        "# param: name string required  a label\n# example: name=Alpha\n",
    )
    results = run(_store(), canned, {"name": "Beta"})
    assert isinstance(results, ox.QuerySolutions)
    assert [row["who"].value for row in results] == [EX + "b"]
    spliced = run(_store(), canned, {"name": 'x" } ?who ?p ?o { "'})
    assert isinstance(spliced, ox.QuerySolutions) and list(spliced) == []


def test_run_answers_every_form(tmp_path: Path) -> None:
    ask = run(_store(), _query(tmp_path, f"ASK {{ <{EX}a> ?p ?o }}"))
    assert isinstance(ask, ox.QueryBoolean) and bool(ask)
    graph = run(_store(), _query(tmp_path, "CONSTRUCT WHERE { ?s ?p ?o }"))
    assert isinstance(graph, ox.QueryTriples) and len(list(graph)) == 3


def test_an_ask_as_csv_or_tsv_is_the_one_cell_table_the_server_sends(tmp_path: Path) -> None:
    """``pilotkg query --format csv`` writes an ASK as Jena reads it, as ``/sparql`` does,
    not pyoxigraph's bare ``true``."""
    ask = run(_store(), _query(tmp_path, f"ASK {{ <{EX}a> ?p ?o }}"))
    assert isinstance(ask, ox.QueryBoolean)
    csv_answer = results_bytes(ask, ox.QueryResultsFormat.CSV)
    assert csv_answer == BOM + b"_askResult\r\ntrue\r\n"
    assert results_bytes(ask, ox.QueryResultsFormat.TSV) == b"?_askResult\ntrue\n"


def test_run_says_which_value_or_parameter_is_wrong(tmp_path: Path) -> None:
    canned = _query(
        tmp_path,
        "SELECT * WHERE { ?entity ?p ?o }",
        "# param: entity iri required  an entity\n# example: entity=http://example.org/a\n",
    )
    with pytest.raises(QueryError, match="is not an IRI"):
        run(_store(), canned, {"entity": "not an iri"})
    with pytest.raises(QueryError, match="needs entity"):
        run(_store(), canned)
    with pytest.raises(QueryError, match="has no parameter colour"):
        run(_store(), canned, {"entity": EX + "a", "colour": "red"})


def test_run_names_the_file_of_a_query_the_engine_rejects(tmp_path: Path) -> None:
    canned = _query(tmp_path, "SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryError, match=r"q\.rq: error at"):
        run(_store(), canned)


def test_a_failing_service_is_a_query_error_while_the_rows_are_read(tmp_path: Path) -> None:
    """The engine calls SERVICE lazily, when the first row is asked for."""
    canned = _query(tmp_path, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match="query q failed: "), engine_errors(canned):
        results = run(_store(), canned)
        assert isinstance(results, ox.QuerySolutions)
        list(results)


def test_the_cli_reports_a_failing_service_in_one_line(tmp_path: Path) -> None:
    canned = _query(tmp_path, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    result = CliRunner().invoke(main, ["query", str(canned.path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: query q failed: ") and "Traceback" not in result.output


def test_prepare_pins_only_the_wikidata_service_groups(tmp_path: Path) -> None:
    text = (
        f"SELECT * WHERE {{ ?x <{OWL_SAME_AS}> ?item . # SERVICE <{WIKIDATA_SPARQL}> {{\n"
        f"  SERVICE <{WIKIDATA_SPARQL}> {{ ?item ?p ?o }} "
        "SERVICE <https://dbpedia.org/sparql> { ?item ?q ?r } }"
    )
    prepared = prepare(_query(tmp_path, text, f"# endpoint: {WIKIDATA_SPARQL}\n"), None, _store())
    pin = f"VALUES ?item {{ <{WIKIDATA_ENTITY}Q1> }}"
    assert prepared.count(pin) == 1
    assert f"SERVICE <{WIKIDATA_SPARQL}> {{ {pin} ?item ?p ?o }}" in prepared
    plain = _query(tmp_path, "SELECT * WHERE { ?s ?p ?o }")
    assert prepare(plain, {}, _store()) == plain.text


def test_the_cli_and_run_give_the_same_answer() -> None:
    from pilotkg.sources import load_sources

    catalogue = Catalogue(CHECKOUT_ROOT / "queries")
    canned = catalogue.get("region-contents")
    results = run(load_sources(CHECKOUT_ROOT).store, canned, canned.example)
    assert isinstance(results, ox.QuerySolutions)
    expected = results_bytes(results, ox.QueryResultsFormat.CSV)
    params = [arg for k, v in canned.example.items() for arg in ("--param", f"{k}={v}")]
    result = CliRunner().invoke(main, ["query", "region-contents", *params, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == expected and expected.startswith(BOM)
    plain = CliRunner().invoke(
        main, ["query", "region-contents", *params, "--format", "csv", "--no-bom"]
    )
    assert plain.exit_code == 0 and plain.stdout_bytes == expected[len(BOM) :]


def _located(order: tuple[str, ...]) -> ox.Store:
    """One zone in the cities ``order``, added in that order: the engine's GROUP_CONCAT
    follows the order the triples were loaded in."""
    store = ox.Store()
    for city in order:
        store.add(
            ox.Quad(
                ox.NamedNode(EX + "zone"), ox.NamedNode(EX + "in"), ox.NamedNode(EX + quote(city))
            )
        )
        store.add(
            ox.Quad(ox.NamedNode(EX + quote(city)), ox.NamedNode(EX + "label"), ox.Literal(city))
        )
    return store


def test_run_puts_the_parts_of_a_group_concat_in_one_order(tmp_path: Path) -> None:
    canned = _query(
        tmp_path,
        f'SELECT ?zone (GROUP_CONCAT(DISTINCT ?name; separator="; ") AS ?cities)\n'
        f"WHERE {{ ?zone <{EX}in> ?city . ?city <{EX}label> ?name }} GROUP BY ?zone",
    )
    assert canned.concatenated == {"cities": "; "}
    stores = [_located(("Qingdao", "Jinan")), _located(("Jinan", "Qingdao"))]
    raw: set[str] = set()
    for store in stores:
        solutions = store.query(canned.text)
        assert isinstance(solutions, ox.QuerySolutions)
        raw.update(row["cities"].value for row in solutions)
    assert raw == {"Qingdao; Jinan", "Jinan; Qingdao"}, "the engine follows the loading order"
    for store in stores:
        results = run(store, canned)
        assert isinstance(results, ox.QuerySolutions)
        assert [row["cities"].value for row in results] == ["Jinan; Qingdao"]


def test_a_space_separated_group_concat_is_left_as_the_engine_gives_it(tmp_path: Path) -> None:
    """A space cannot tell the parts from the words of a part, so nothing is reordered."""
    canned = _query(
        tmp_path,
        f"SELECT (GROUP_CONCAT(?name) AS ?cities) WHERE {{ ?zone <{EX}in> ?city . "
        f"?city <{EX}label> ?name }}",
    )
    store = _located(("Pudong New Area", "Jinan"))
    raw = store.query(canned.text)
    results = run(store, canned)
    assert isinstance(raw, ox.QuerySolutions) and isinstance(results, ox.QuerySolutions)
    cells = [row["cities"].value for row in results]
    assert cells == [row["cities"].value for row in raw]
    assert cells[0] in ("Pudong New Area Jinan", "Jinan Pudong New Area"), "words kept together"


def test_the_release_csv_files_have_a_bom_and_cells_in_order(real_sources: Sources) -> None:
    """The build's csv/ files come from the same run as the CLI (jinan-qingdao: two cities)."""
    catalogue = Catalogue(CHECKOUT_ROOT / "queries")
    exports = csv_exports(real_sources.store, catalogue)
    zones = exports["csv/zones.csv"]
    assert zones.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(zones.decode("utf-8-sig"))))
    jinan_qingdao = next(r for r in rows if r["zone"].endswith("/zone/jinan-qingdao"))
    assert jinan_qingdao["regions"] == "Jinan; Qingdao"
    cli = CliRunner().invoke(main, ["query", "zones", "--format", "csv"])
    assert cli.exit_code == 0 and cli.stdout_bytes == zones


@pytest.mark.parametrize(
    "value",
    [
        "https://w3id.org/pilotkg/id/region/guangdong",
        "region:guangdong",
        "guangdong",
        "Guangdong",
        "广东省",
    ],
)
def test_the_cli_takes_a_prefixed_name_a_slug_or_a_label(value: str) -> None:
    """Guangdong holds four zones (Shenzhen and Guangzhou, one of each programme) and two
    bases (healthcare in Guangzhou; consumption/mobile terminal in Dongguan and Shenzhen),
    read from data/zones.ttl, most-zones.ttl, bases.ttl and regions.ttl."""
    result = CliRunner().invoke(
        main, ["query", "region-contents", "--param", f"region={value}", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    designations = {
        r["thing"].removeprefix(ID)
        for r in rows
        if "/zone/" in r["thing"] or "/base/" in r["thing"]
    }
    assert designations == {
        "zone/shenzhen",
        "zone/most-shenzhen",
        "zone/guangzhou",
        "zone/most-guangzhou",
        "base/healthcare-guangzhou",
        "base/consumption-mobile-terminal",
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["entity-sources", "--param", "entity=shenzhen"],
            "entity='shenzhen' is ambiguous: it names region:shenzhen, zone:shenzhen",
        ),
        (
            ["region-contents", "--param", "region=guangdon"],
            "region='guangdon' is not an IRI, nor the prefixed name, slug or label",
        ),
        (
            ["region-contents", "--param", "region=region:atlantis"],
            "region=region:atlantis is not a value it takes in this graph",
        ),
        (
            ["region-contents", "--param", "region=zone:shenzhen"],
            "region=zone:shenzhen is not a value it takes",
        ),
    ],
)
def test_the_cli_refuses_an_ambiguous_or_unknown_name_in_one_line(
    args: list[str], words: str
) -> None:
    result = CliRunner().invoke(main, ["query", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: parameter ") and words in result.stderr


def test_the_comparison_with_a_remote_store_reports_what_cannot_run_here(tmp_path: Path) -> None:
    canned = _query(tmp_path, "SELECT * WHERE { ?s ?p }")
    comparison = compare_query(canned, _store(), None, graph=None)  # type: ignore[arg-type]
    assert comparison.problem.startswith("cannot run it here: ") and "q.rq" in comparison.problem


def test_concatenated_cells_are_reordered_within_the_engines_own_json() -> None:
    """Only the named cells change, written as the engine writes them: the reordered answer is
    byte for byte what pyoxigraph writes for the same solutions, quotes and control characters
    included, and a cell of another column (or with a space-only separator) is left alone."""
    store = ox.Store()
    subject, predicate = (
        ox.NamedNode("https://example.org/s"),
        ox.NamedNode("https://example.org/p"),
    )
    for text in ["Qingdao", "jinan", 'say "hi"\x01', "Ürümqi"]:
        store.add(ox.Quad(subject, predicate, ox.Literal(text)))
    query = (
        'SELECT (GROUP_CONCAT(?o; separator="; ") AS ?all) (GROUP_CONCAT(?o; separator="; ") AS ?other) '
        "WHERE { ?s ?p ?o }"
    )
    results = store.query(query)
    assert isinstance(results, ox.QuerySolutions)
    written = results.serialize(format=ox.QueryResultsFormat.JSON) or b""
    ordered = json_in_order(written, {"all": "; "})
    solutions = ox.parse_query_results(ordered, format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    row = next(iter(solutions))
    assert str(row["all"].value) == 'jinan; Qingdao; say "hi"\x01; Ürümqi'
    again = ox.parse_query_results(ordered, format=ox.QueryResultsFormat.JSON)
    assert isinstance(again, ox.QuerySolutions)
    assert ordered == again.serialize(format=ox.QueryResultsFormat.JSON)
    untouched = json.loads(written)["results"]["bindings"][0]["other"]
    assert json.loads(ordered)["results"]["bindings"][0]["other"] == untouched
    assert json_in_order(written, {"all": " "}) == written
