"""The canned-query catalogue: headers, parsing, and parameter binding that cannot be subverted."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib.plugins.sparql import prepareQuery

from pilotkg.cli import main
from pilotkg.errors import QueryError
from pilotkg.queries import (
    MAX_NESTING,
    Catalogue,
    mentioned,
    nesting_problem,
    parse_query_file,
)
from pilotkg.sources import load_sources
from pilotkg.sparqltext import nesting_depth

QUERY_DIR = Path(__file__).resolve().parents[1] / "queries"
CATALOGUE = Catalogue(QUERY_DIR)
#: Guangdong's Wikidata item (data/regions.ttl): an IRI the graph points at and says nothing about.
WIKIDATA_ITEM = "http://www.wikidata.org/entity/Q15174"


def test_catalogue_has_at_least_fifteen_queries() -> None:
    assert len(CATALOGUE) >= 15


@pytest.mark.parametrize("name", sorted(CATALOGUE.queries))
def test_every_query_has_a_complete_header_and_parses(name: str) -> None:
    query = CATALOGUE.get(name)
    assert query.title and query.description, f"{name}: header needs title and description"
    for parameter in query.parameters:
        assert parameter.description, f"{name}: parameter {parameter.name} is undocumented"
        assert f"?{parameter.name}" in query.text, f"{name}: parameter {parameter.name} is not used"
    if query.parameters:
        assert query.example, f"{name}: a query with parameters needs an example"
    prepareQuery(query.bind(query.example))


@pytest.mark.parametrize("path", sorted((QUERY_DIR / "qc").glob("*.rq")), ids=lambda p: p.stem)
def test_qc_queries_select_focus_and_message(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    prepareQuery(text)
    assert "?focus" in text and "?message" in text


def _people() -> ox.Store:
    store = ox.Store()
    for name, value in (("a", 'x" } ; DROP ALL ; { "'), ("b", "}"), ("c", "plain")):
        store.add(
            ox.Quad(
                ox.NamedNode(f"http://example.org/{name}"),
                ox.NamedNode("http://example.org/name"),
                ox.Literal(value),
            )
        )
    return store


@pytest.mark.parametrize(
    "value",
    ['x" } ; DROP ALL ; { "', "}", "a'b", "line\nbreak", "# not a comment", "<http://evil>"],
)
def test_parameters_are_bound_as_terms_and_cannot_change_the_query(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "by-name.rq"
    path.write_text(
        "# title: by name\n# param: name string required  a name\n# example: name=plain\n"
        "SELECT ?who WHERE { ?who <http://example.org/name> ?name }\n",
        encoding="utf-8",
    )
    query = parse_query_file(path)
    text = query.bind({"name": value})
    solutions = _people().query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    rows = list(solutions)
    expected = {
        'x" } ; DROP ALL ; { "': ["http://example.org/a"],
        "}": ["http://example.org/b"],
    }.get(value, [])
    assert [row["who"].value for row in rows] == expected


def test_iri_parameter_rejects_what_is_not_an_iri() -> None:
    query = CATALOGUE.get("region-contents")
    with pytest.raises(QueryError, match="is not an IRI"):
        query.bind({"region": "http://x/a> } DROP ALL {"})


def test_binding_skips_braces_inside_comments_and_strings(tmp_path: Path) -> None:
    path = tmp_path / "tricky.rq"
    path.write_text(
        "# title: tricky\n# param: v string required  a value\n# example: v=1\n"
        "SELECT ?v ?s # { a brace in a comment\n"
        'WHERE { BIND("{" AS ?s) }\n',
        encoding="utf-8",
    )
    text = parse_query_file(path).bind({"v": "1"})
    solutions = ox.Store().query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    row = next(iter(solutions))
    assert row["v"].value == "1" and row["s"].value == "{"


def test_a_sub_select_that_passes_a_parameter_through_is_bound_too(tmp_path: Path) -> None:
    """VALUES go into the outer WHERE group and into each sub-select that projects the
    parameter and neither orders nor groups, where they change nothing but the work: the
    answer is the one the outer VALUES alone give. A sub-select's own ?r that it does not
    project, or one it orders before its LIMIT, is left alone."""
    path = tmp_path / "nested.rq"
    path.write_text(
        "# title: nested\n# param: r iri required  a region\n# example: r=<http://x/r>\n"
        "SELECT * WHERE {\n"
        "  { SELECT DISTINCT ?w ?r WHERE { ?w <http://x/p>* ?r } LIMIT 1000 }\n"
        "  { SELECT ?w WHERE { ?w <http://x/q> ?r } }\n"
        "  { SELECT ?v ?r WHERE { ?v <http://x/s> ?r } ORDER BY ?v LIMIT 9 }\n"
        "}\n",
        encoding="utf-8",
    )
    query = parse_query_file(path)
    text = query.bind({"r": "http://x/r"})
    values = "VALUES ?r { <http://x/r> }"
    assert text.count(values) == 2
    assert f"WHERE {{ {values}  ?w <http://x/p>* ?r }} LIMIT 1000" in text
    assert "{ SELECT ?w WHERE { ?w <http://x/q> ?r } }" in text
    assert "{ SELECT ?v ?r WHERE { ?v <http://x/s> ?r } ORDER BY ?v LIMIT 9 }" in text
    store = ox.Store()
    for s, p, o in [("a", "p", "r"), ("b", "p", "a"), ("c", "p", "d"), ("a", "q", "e")]:
        store.add(ox.Quad(*(ox.NamedNode(f"http://x/{t}") for t in (s, p, o))))
    store.add(ox.Quad(*(ox.NamedNode(f"http://x/{t}") for t in ("f", "s", "r"))))
    outer_only = query.text.replace("SELECT * WHERE {", f"SELECT * WHERE {{ {values}", 1)

    def rows(text: str) -> list[dict[str, str]]:
        solutions = store.query(text)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        found = [{n: str(t) for n, t in zip(names, row, strict=True)} for row in solutions]
        return sorted(found, key=str)

    # Only a reaches r by p and has a q; only f has an s to r.
    expected = [{"r": "<http://x/r>", "w": "<http://x/a>", "v": "<http://x/f>"}]
    assert rows(text) == rows(outer_only) == expected


def test_unknown_and_missing_parameters_are_named() -> None:
    query = CATALOGUE.get("entity-sources")
    with pytest.raises(QueryError, match="needs entity"):
        query.bind({})
    with pytest.raises(QueryError, match="has no parameter colour"):
        query.bind({"entity": "https://w3id.org/pilotkg/id/zone/shenzhen", "colour": "red"})


def test_unknown_query_lists_the_known_ones() -> None:
    with pytest.raises(QueryError, match="pilotkg query --list"):
        CATALOGUE.get("no-such-query")


def test_nesting_depth_counts_brackets_of_the_syntax_only() -> None:
    text = (
        "SELECT * # {{{{ a comment\n"
        'WHERE { ?s ?p "(((" . ?s ?p """[[[\n{{{""" . ?s ?p \'{{\' . '
        "?s ?p <http://example.org/a#b> OPTIONAL { ?s ?p ?o } }"
    )
    assert nesting_depth(text)[0] == 2, "the # in the IRI starts no comment"
    depth, offset = nesting_depth("SELECT * WHERE { { ?s ?p ?o } }")
    assert (depth, offset) == (2, 17)


def test_nesting_depth_errs_towards_counting() -> None:
    """``<`` is less-than too, so brackets inside what looks like an IRI count; an open
    string is no string; and a closer never hides what follows it."""
    assert nesting_depth("FILTER(?a<((?b))>?c)")[0] == 3
    assert nesting_depth('SELECT * { " { {')[0] == 3
    assert nesting_depth(") ) ) { {")[0] == 2


def test_a_query_nested_too_deep_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "deep.rq"
    path.write_text(
        "# title: deep\nSELECT * WHERE\n" + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1),
        encoding="utf-8",
    )
    with pytest.raises(QueryError, match=rf"deep\.rq:3:{MAX_NESTING + 1}: brackets nest more"):
        parse_query_file(path)
    result = CliRunner().invoke(main, ["query", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {path}:3:{MAX_NESTING + 1}: ")


def test_a_query_with_too_many_brackets_is_refused() -> None:
    """However the scanner reads the text, the engine meets no more brackets than it holds."""
    assert nesting_problem("SELECT * { " + "FILTER((1)) " * 400 + "}") is None
    problem = nesting_problem("SELECT * { " + "FILTER((1)) " * 600 + "}")
    assert problem is not None and problem.startswith("holds 1201 opening brackets")


def test_every_shipped_query_is_within_the_limits() -> None:
    for path in sorted(QUERY_DIR.rglob("*.rq")):
        assert nesting_problem(path.read_text(encoding="utf-8")) is None, path


@pytest.mark.parametrize(
    ("kind", "raw", "accepted"),
    [
        ("integer", "42", '"42"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("integer", "-7", '"-7"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("integer", "1_000", None),
        ("integer", "٤٢", None),
        ("date", "2025-07-27", '"2025-07-27"^^<http://www.w3.org/2001/XMLSchema#date>'),
        ("date", "2025-07", '"2025-07"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>'),
        ("date", "2025", '"2025"^^<http://www.w3.org/2001/XMLSchema#gYear>'),
        ("date", "2025-13-45", None),
        ("date", "2025-02-30", None),
        ("date", "２０２５", None),
    ],
)
def test_integer_and_date_parameters_take_ascii_digits_of_a_real_day(
    tmp_path: Path, kind: str, raw: str, accepted: str | None
) -> None:
    path = tmp_path / "typed.rq"
    path.write_text(
        f"# title: typed\n# param: v {kind} required  a value\n# example: v=2025\n"
        "SELECT ?v WHERE { }\n",
        encoding="utf-8",
    )
    query = parse_query_file(path)
    if accepted is None:
        with pytest.raises(QueryError, match=re.escape(f"parameter v={raw!r} is not")):
            query.bind({"v": raw})
    else:
        assert accepted in query.bind({"v": raw})


def test_a_domain_holds_exactly_its_members() -> None:
    """``Domain.holds`` (one index lookup, how a prefixed name is resolved) agrees with
    ``Domain.members`` (the list a bare name is looked up in) for every IRI parameter of every
    shipped query, on each member and on IRIs that are not members: other parameters'
    members, an IRI the graph only points at, and one it does not hold."""
    store = load_sources(QUERY_DIR.parent).store
    assert mentioned(store, WIKIDATA_ITEM)  # the object of a link, never a subject here
    parameters = [p for q in CATALOGUE for p in q.parameters if p.type == "iri"]
    assert {p.domain.how for p in parameters} == {"", "class", "values", "one-of"}
    every = {iri for p in parameters for iri in p.domain.members(store)}
    for parameter in parameters:
        members = set(parameter.domain.members(store))
        assert members, parameter.name
        outsiders = (every - members) | {WIKIDATA_ITEM, "https://example.org/not-here"}
        assert all(parameter.domain.holds(store, iri) for iri in members), parameter.name
        assert not any(parameter.domain.holds(store, iri) for iri in outsiders), parameter.name
