"""One way to run a canned query (pilotkg.queries.prepare, run, engine_errors), shared by
the CLI, the web's /queries/ and the comparison with a remote store."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pilotkg.cli import main
from pilotkg.errors import QueryError
from pilotkg.namespaces import WIKIDATA_ENTITY, WIKIDATA_SPARQL
from pilotkg.queries import CannedQuery, engine_errors, parse_query_file, prepare, run
from pilotkg.remote.verify import compare_query
from pilotkg.sources import CHECKOUT_ROOT

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
    from pilotkg.queries import Catalogue
    from pilotkg.sources import load_sources

    catalogue = Catalogue(CHECKOUT_ROOT / "queries")
    canned = catalogue.get("region-contents")
    results = run(load_sources(CHECKOUT_ROOT).store, canned, canned.example)
    assert isinstance(results, ox.QuerySolutions)
    expected = (results.serialize(format=ox.QueryResultsFormat.CSV) or b"").decode()
    params = [arg for k, v in canned.example.items() for arg in ("--param", f"{k}={v}")]
    result = CliRunner().invoke(main, ["query", "region-contents", *params, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected.splitlines()


def test_the_comparison_with_a_remote_store_reports_what_cannot_run_here(tmp_path: Path) -> None:
    canned = _query(tmp_path, "SELECT * WHERE { ?s ?p }")
    comparison = compare_query(canned, _store(), None, graph=None)  # type: ignore[arg-type]
    assert comparison.problem.startswith("cannot run it here: ") and "q.rq" in comparison.problem
