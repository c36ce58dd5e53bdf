"""Which texts the server answers in its own process (``web/lookups.py``): exactly one triple
pattern with an IRI subject; everything else, however close, goes to a worker."""

from __future__ import annotations

import pytest

from pilotkg.web.guard import judge
from pilotkg.web.lookups import is_subject_lookup

S = "<https://w3id.org/pilotkg/id/zone/shenzhen>"

LOOKUPS = [
    f"SELECT ?p ?o WHERE {{ {S} ?p ?o }}",
    f"select * {{ {S} ?p ?o . }}",
    f"SELECT ?o WHERE {{ {S} a ?o }} LIMIT 10",
    "PREFIX zone: <https://w3id.org/pilotkg/id/zone/> BASE <https://w3id.org/> "
    "SELECT ?o { zone:shenzhen <https://w3id.org/pilotkg/ontology#batch> ?o }",
    f'ASK {{ {S} <http://www.w3.org/2000/01/rdf-schema#label> "深圳"@zh }}',
    f'ASK {{ {S} ?p "3"^^<http://www.w3.org/2001/XMLSchema#integer> }}',
    f"# a comment {{ ?s ?p ?o . ?a ?b ?c }}\nSELECT ?p ?o {{ {S} ?p ?o }} # }} ?x ?y ?z",
]

NOT_LOOKUPS = [
    "SELECT * { ?s ?p ?o }",  # a variable subject
    "SELECT * { [] ?p ?o }",
    "SELECT * { _:b ?p ?o }",
    f"SELECT * {{ {S} ?p ?o . ?o ?q ?r }}",  # two patterns
    f"SELECT * {{ {S} ?p ?o ; ?q ?r }}",
    f"SELECT * {{ {S} ?p ?o , ?r }}",
    f"SELECT * {{ {S} <p>/<q> ?o }}",  # a path
    f"SELECT * {{ {S} <p>* ?o }}",
    f"SELECT * {{ {S} ?p ?o FILTER(?o < 3) }}",
    f"SELECT * {{ {S} ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
    f"SELECT * {{ GRAPH ?g {{ {S} ?p ?o }} }}",
    f"SELECT * FROM <https://w3id.org/pilotkg/dataset> {{ {S} ?p ?o }}",
    f"SELECT * {{ SERVICE <https://query.wikidata.org/sparql> {{ {S} ?p ?o }} }}",
    f"SELECT * {{ {S} ?p ?o }} ORDER BY ?o",
    f"SELECT (COUNT(*) AS ?n) {{ {S} ?p ?o }}",
    f"SELECT * {{ {S} ?p ?o }} LIMIT 1 LIMIT 2",
    # work that is not its answer: every triple of the subject read for a few rows
    f"SELECT DISTINCT ?x {{ {S} ?p ?o }}",
    f"SELECT REDUCED ?x {{ {S} ?p ?o }}",
    f"SELECT * {{ {S} ?p ?o }} OFFSET 100000000",
    f"SELECT * {{ {S} ?p ?o }} LIMIT 5 OFFSET 1",
    # longer than any lookup needs (the guard has lexed it once already)
    f"SELECT * {{ {S} ?p ?o }} #" + "x" * 3000,
    f"SELECT * {{ {S} ?p ?o }} LIMIT ?x",
    f"CONSTRUCT WHERE {{ {S} ?p ?o }}",
    f"DESCRIBE {S}",
    # a code point escape, which the SPARQL grammar decodes before parsing: here it would
    # close the group (pyoxigraph 0.5 refuses the text; it is refused here either way)
    f"SELECT * {{ {S} ?p ?o \\u007D UNION {{ ?s ?p ?o }}",
    "SELECT * { <a\\u003E ?p ?o . ?s> ?p ?o }",
    f"SELECT * {{ {S} ?p ?o }} }}",
    f"SELECT * {{ {S} ?p }}",
    "",
]


@pytest.mark.parametrize("text", LOOKUPS)
def test_a_lookup_is_answered_in_process(text: str) -> None:
    assert is_subject_lookup(text)
    assert judge(text, (), max_depth=64).inline


@pytest.mark.parametrize("text", NOT_LOOKUPS)
def test_anything_more_goes_to_a_worker(text: str) -> None:
    assert not is_subject_lookup(text)
    assert not judge(text, ("https://query.wikidata.org/sparql",), max_depth=64).inline
