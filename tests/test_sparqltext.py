"""The one SPARQL lexer (pilotkg.sparqltext): every token kind, escapes, the two readings
of ``<``, comments and strings inside each other, and the offsets rewrites rely on."""

from __future__ import annotations

import doctest
import importlib
import time

import pytest

from pilotkg.federation import restrict_service, retarget_service
from pilotkg.sparqltext import (
    Token,
    form_of,
    iri_value,
    nesting_depth,
    service_clauses,
    string_value,
    tokens,
    where_group,
)


def kinds(text: str, *, comments: bool = False) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text, comments=comments)]


@pytest.mark.parametrize("module", ["pilotkg.sparqltext", "pilotkg.federation", "pilotkg.queries"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


# --- each kind of token --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("# a comment", "comment"),
        ("'single'", "string"),
        ('"double"', "string"),
        ("'''long\n'single'\n'''", "string"),
        ('"""long\n"double"\n"""', "string"),
        ("<http://example.org/a#b>", "iri"),
        ("<>", "iri"),
        ("ex:local", "pname"),
        ("ex:", "pname"),
        (":local", "pname"),
        ("ex.a:b.c", "pname"),
        ("ex:a:b", "pname"),
        ("ex:0a", "pname"),
        ("ex:%20a", "pname"),
        ("区:北京", "pname"),
        ("_:b0", "bnode"),
        ("?var", "var"),
        ("$var", "var"),
        ("?1", "var"),
        ("@en-GB", "langtag"),
        ("42", "number"),
        ("4.2", "number"),
        (".5", "number"),
        ("1e10", "number"),
        ("1.5E-3", "number"),
        ("SELECT", "keyword"),
        ("group_concat", "keyword"),
        ("a", "keyword"),
        ("^^", "punct"),
        ("&&", "punct"),
        ("||", "punct"),
        ("!=", "punct"),
        ("<=", "punct"),
        (">=", "punct"),
        ("{", "punct"),
        ("\\", "other"),
        ("`", "other"),
    ],
)
def test_each_kind_of_token_is_one_token(text: str, kind: str) -> None:
    assert kinds(text, comments=True) == [(kind, text)]


def test_whitespace_is_dropped_and_comments_only_on_request() -> None:
    text = " SELECT\t*\r\n# note\nWHERE {}\n"
    assert [t.text for t in tokens(text)] == ["SELECT", "*", "WHERE", "{", "}"]
    assert "# note" in [t.text for t in tokens(text, comments=True)]
    assert tokens("") == [] and tokens(" \n\t ") == []


def test_a_number_is_not_the_end_of_a_triple() -> None:
    """``1.`` is the integer 1 and the "." that ends a triple; signs are operators."""
    assert kinds("?s ?p 1.") == [("var", "?s"), ("var", "?p"), ("number", "1"), ("punct", ".")]
    assert kinds("-1") == [("punct", "-"), ("number", "1")]


def test_a_prefixed_name_does_not_end_with_a_dot() -> None:
    assert kinds("?s ex:p ex:o.") == [
        ("var", "?s"),
        ("pname", "ex:p"),
        ("pname", "ex:o"),
        ("punct", "."),
    ]
    assert kinds("a.b:c") == [("pname", "a.b:c")]
    assert kinds("a.:c") == [("keyword", "a"), ("punct", "."), ("pname", ":c")]
    assert kinds("?o.ex:a") == [("var", "?o"), ("punct", "."), ("pname", "ex:a")]


def test_a_keyword_is_a_keyword_in_any_case_but_not_inside_a_name() -> None:
    assert tokens("sErViCe")[0].is_keyword("service")
    assert [t.kind for t in tokens("?where ex:where where:x $where")] == [
        "var",
        "pname",
        "pname",
        "var",
    ]


# --- escapes ---------------------------------------------------------------------------------


def test_string_escapes_do_not_end_the_string() -> None:
    text = r"""'it\'s' "say \"hi\"" '''a\'''b''' "\\" 'x'"""
    strings = [t for t in tokens(text) if t.kind == "string"]
    assert [string_value(t) for t in strings] == ["it's", 'say "hi"', "a'''b", "\\", "x"]


def test_string_values_decode_echar_and_code_points() -> None:
    (token,) = tokens(r"'\t\n\r\b\f\u0041\U0001F600'")
    assert string_value(token) == "\t\n\r\b\fA\U0001f600"


def test_an_invalid_escape_or_an_open_string_is_no_string() -> None:
    """The grammar knows only ECHAR and code point escapes; a string left open (or broken
    by a line break) is read as no string, so the brackets after it count."""
    assert [t.kind for t in tokens(r'"\d"')] == ["other", "other", "keyword", "other"]
    assert kinds("'a\nb'") == [("other", "'"), ("keyword", "a"), ("keyword", "b"), ("other", "'")]
    assert nesting_depth('SELECT * { " { {')[0] == 3


def test_long_strings_close_at_the_first_triple_quote() -> None:
    assert kinds("'''a'''' ?x") == [("string", "'''a'''"), ("other", "'"), ("var", "?x")]
    assert kinds('""""a""" ?x') == [("string", '""""a"""'), ("var", "?x")]


def test_prefixed_names_keep_their_escaped_punctuation() -> None:
    """PN_LOCAL_ESC: ``\\#`` starts no comment, ``\\'`` no string, ``\\(`` no group."""
    assert kinds(r"ex:a\#b ?c") == [("pname", r"ex:a\#b"), ("var", "?c")]
    assert kinds(r"ex:a\'b ?c") == [("pname", r"ex:a\'b"), ("var", "?c")]
    assert kinds(r"ex:a\(b\)") == [("pname", r"ex:a\(b\)")]
    assert nesting_depth(r"SELECT * { ?s ex:a\(\( ?o }")[0] == 1


def test_iris_may_hold_code_point_escapes() -> None:
    (token,) = tokens(r"<http:\u002F\u002Fexample.org/>")
    assert token.kind == "iri" and iri_value(token) == "http://example.org/"


# --- < as an IRI or as less-than ---------------------------------------------------------------


def test_less_than_where_no_iriref_can_match() -> None:
    assert kinds("?a<?b") == [("var", "?a"), ("punct", "<"), ("var", "?b")]
    assert kinds("?a < 3 && ?b > 1") == [
        ("var", "?a"),
        ("punct", "<"),
        ("number", "3"),
        ("punct", "&&"),
        ("var", "?b"),
        ("punct", ">"),
        ("number", "1"),
    ]
    assert kinds("?a<=?b") == [("var", "?a"), ("punct", "<="), ("var", "?b")]
    # IRIREF excludes spaces, '"', '{', '}', '|', '^', '`' and '\' (but not an escape)
    for inside in ("a b", 'a"b', "a{b", "a}b", "a|b", "a^b", "a`b", "a\\b"):
        assert tokens(f"?x<{inside}>")[1] == Token("punct", "<", 2), inside


def test_an_iriref_wherever_the_production_matches() -> None:
    """The grammar's tokenizer is context-free: ``<'>`` is an IRIREF, and what follows
    it on the line a comment, although an engine reads less-than and a string there.
    This is why no security decision about SERVICE rests on these tokens."""
    text = "FILTER(?a<'>#') SERVICE <http://10.0.0.1/> {}\n?b"
    assert kinds(text, comments=True) == [
        ("keyword", "FILTER"),
        ("punct", "("),
        ("var", "?a"),
        ("iri", "<'>"),
        ("comment", "#') SERVICE <http://10.0.0.1/> {}"),
        ("var", "?b"),
    ]
    assert service_clauses(text) == []
    assert kinds("?a<((?b))>?c")[1] == ("iri", "<((?b))>")


def test_brackets_inside_an_iriref_count_towards_nesting() -> None:
    """Where ``<`` was a less-than they are syntax: counting them errs towards refusing."""
    assert nesting_depth("FILTER(?a<((?b))>?c)") == (3, 11)


# --- comments and strings inside each other ------------------------------------------------


def test_a_comment_sign_inside_a_string_or_an_iri_starts_no_comment() -> None:
    assert kinds("'a # b' ?c") == [("string", "'a # b'"), ("var", "?c")]
    assert kinds('"""a\n# b""" ?c') == [("string", '"""a\n# b"""'), ("var", "?c")]
    assert kinds("<http://e/#frag> ?c") == [("iri", "<http://e/#frag>"), ("var", "?c")]


def test_a_quote_inside_a_comment_starts_no_string() -> None:
    text = "SELECT ?a # it's \"open\nWHERE { ?a ?b 'x' }"
    assert kinds(text) == [
        ("keyword", "SELECT"),
        ("var", "?a"),
        ("keyword", "WHERE"),
        ("punct", "{"),
        ("var", "?a"),
        ("var", "?b"),
        ("string", "'x'"),
        ("punct", "}"),
    ]
    assert where_group(text) == text.index("{")


def test_a_comment_ends_at_a_carriage_return_too() -> None:
    assert kinds("# a\r?b") == [("var", "?b")]


# --- positions ---------------------------------------------------------------------------------


def test_every_token_knows_where_it_is() -> None:
    text = "PREFIX ex: <http://e/>\n  SELECT ?x WHERE { ?x ex:p 'v'@en } # done"
    for token in tokens(text, comments=True):
        assert text[token.offset : token.end] == token.text, token


def test_positions_count_characters_not_bytes() -> None:
    text = "SELECT ?名 { ?名 <p> '深圳' . ?名 <q> ?o }"
    service = tokens(text)[-2]
    assert service.text == "?o" and text[service.offset :].startswith("?o }")


def test_where_group_is_the_outermost_one() -> None:
    subquery = "SELECT * { { SELECT ?s WHERE { ?s ?p ?o } } }"
    assert where_group(subquery) == subquery.index("{")
    construct = "CONSTRUCT { ?s ?p '{' } WHERE { ?s ?p ?o }"
    assert where_group(construct) == construct.index("WHERE {") + len("WHERE ")
    tricky = "SELECT ?where # WHERE {\n{ BIND('WHERE {' AS ?where) }"
    assert where_group(tricky) == tricky.index("\n{") + 1
    assert where_group("DESCRIBE <x:y>") is None


def test_service_clauses_give_their_target_and_the_offset_of_their_brace() -> None:
    text = (
        "# SERVICE <http://commented/>\n"
        "SELECT * { ?s ?p 'SERVICE <http://quoted/> {' "
        "SERVICE SILENT <http://a/>{ ?s ?p ?o } "
        "service w:sparql { } SERVICE ?where { } SERVICE <http://b/> }"
    )
    clauses = service_clauses(text)
    assert [(c.target.kind, c.target.text, c.silent) for c in clauses] == [
        ("iri", "<http://a/>", True),
        ("pname", "w:sparql", False),
        ("var", "?where", False),
        ("iri", "<http://b/>", False),
    ]
    for clause in clauses[:3]:
        assert text[clause.brace] == "{"
        assert text[clause.target.offset : clause.target.end] == clause.target.text
    assert clauses[3].brace == -1


def test_rewrites_touch_only_real_service_clauses() -> None:
    wikidata = "https://query.wikidata.org/sparql"
    text = (
        f"# endpoint: {wikidata}  SERVICE <{wikidata}> {{\n"
        f"SELECT * {{ ?s ?p 'SERVICE <{wikidata}> {{' "
        f"SERVICE <{wikidata}>\n{{ ?item ?p ?o }} }}"
    )
    moved = retarget_service(text, "http://127.0.0.1:8890/sparql")
    assert moved.count(wikidata) == text.count(wikidata) - 1
    assert moved.endswith("SERVICE <http://127.0.0.1:8890/sparql>\n{ ?item ?p ?o } }")
    pinned = restrict_service(text, "item", ["http://www.wikidata.org/entity/Q148"])
    assert pinned.count("VALUES") == 1
    assert pinned.endswith(
        "\n{ VALUES ?item { <http://www.wikidata.org/entity/Q148> } ?item ?p ?o } }"
    )


# --- forms and nesting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("PREFIX a: <x:> BASE <y:> ask {}", "ask"),
        ("# DELETE\nselect * {}", "select"),
        ("PREFIX insert: <x:> CONSTRUCT WHERE {}", "construct"),
        ("DESCRIBE <x:y>", "describe"),
        ("DROP GRAPH <g:>", "update"),
        ("?x", "unknown"),
        ("", "unknown"),
    ],
)
def test_form_of_a_text_or_its_tokens(text: str, form: str) -> None:
    assert form_of(text) == form_of(tokens(text)) == form


def test_nesting_depth_gives_the_offset_that_first_reaches_it_and_stops_at_a_limit() -> None:
    text = "SELECT * { [ ?p ( 1 ) ] ?q ( ( 2 ) ) }"
    assert nesting_depth(text) == (3, text.index("( 1"))
    assert nesting_depth(text, limit=1) == (2, text.index("["))
    assert nesting_depth("'{' # {\n") == (0, -1)


@pytest.mark.parametrize(
    "text",
    [
        "a." * 50_000,
        "中" * 100_000,
        "a." * 50_000 + ":",
        "<(" * 50_000,
        '"\\q' * 33_000,
        "'''" + "a" * 100_000,
        "ex:" + "a." * 50_000,
    ],
    ids=["dotted-words", "letters", "dotted-prefix", "open-iris", "bad-escapes", "open", "local"],
)
def test_lexing_takes_time_linear_in_the_text(text: str) -> None:
    """The guard lexes any text a client sends (up to max_query_bytes); no text may make
    that cost more than a pass over it."""
    started = time.perf_counter()
    tokens(text)
    nesting_depth(text)
    assert time.perf_counter() - started < 5
