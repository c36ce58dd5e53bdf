"""SPARQL text as tokens: the one lexer behind everything that reads or rewrites query text.

Binding a canned query's parameters, measuring how deeply a query nests,
recognising an update, pointing ``SERVICE`` at a mirror or pinning its group
to our items: each of these must know where a comment, a string or an IRI
starts and ends, or a ``{`` or a ``SERVICE`` inside one is taken for syntax.
When each did its own lexing they disagreed on exactly those edges, so they
share this lexer, and every rewrite happens at the offset of a real token.

The tokens follow the lexical rules of the SPARQL 1.1 grammar (section 19.8 of
the Recommendation): ``#`` comments to the end of the line; the four string
forms with their escapes (``ECHAR``); IRIREFs; prefixed names, whose local part
may hold ``\\``-escaped punctuation (``PN_LOCAL_ESC``) and ``%`` escapes;
blank node labels; variables; language tags; numbers (unsigned: a sign is
punctuation, as in ``?a-1``); keywords (any word, compared case-insensitively);
and punctuation. Code point escapes (``\\u0041``, ``\\U0001F600``) are decoded
before the grammar applies, which this lexer allows for by accepting them
inside strings and IRIREFs. Whitespace is dropped; a character no token can
start with becomes an ``other`` token of its own, so a string left open is read
as no string at all.

This is a lexer, not a parser, and one place of the grammar cannot be lexed
without knowing where the parser is: ``<`` starts an IRIREF and is also
less-than. Like the grammar's own tokenizer, this one reads an IRIREF wherever
the IRIREF production matches (``<`` followed by characters an IRI may hold,
then ``>``), and reads ``<`` as an operator everywhere else. In
``FILTER(?a<'>#')`` an engine, which knows it is inside an expression, reads a
less-than and a string, where a context-free lexer reads the IRI ``<'>`` and a
comment. So no security decision about ``SERVICE`` rests on these tokens (the
web guard decides on a parser's tree and on a check that needs no lexer), and
what is measured here errs towards refusing: brackets inside what was read as
an IRIREF count towards nesting, since where ``<`` was a less-than they are
syntax.

>>> [(t.kind, t.text) for t in tokens('ASK { ?s <p> "}" } # }')]
[('keyword', 'ASK'), ('punct', '{'), ('var', '?s'), ('iri', '<p>'), ('string', '"}"'), ('punct', '}')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

Kind = Literal[
    "comment",
    "string",
    "iri",
    "pname",
    "bnode",
    "var",
    "langtag",
    "number",
    "keyword",
    "punct",
    "other",
]
Form = Literal["select", "ask", "construct", "describe", "update", "unknown"]

# The grammar's character classes (SPARQL 1.1, section 19.8), for use inside [...].
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf\\"']"""
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_EXPONENT = "[eE][+-]?[0-9]+"

_RULES: tuple[tuple[str, str], ...] = (
    ("comment", r"\#[^\r\n]*"),
    (
        "string",
        rf"'''(?:(?:''?)?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''"
        rf'|"""(?:(?:""?)?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*"""'
        rf"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'"
        rf'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*"',
    ),
    ("iri", rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>"),
    ("bnode", rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"),
    ("pname", rf"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("var", rf"[?$]{_VARNAME}"),
    ("langtag", r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*"),
    (
        "number",
        rf"[0-9]+\.[0-9]*{_EXPONENT}|\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}|[0-9]*\.[0-9]+|[0-9]+",
    ),
    ("keyword", r"[A-Za-z][A-Za-z0-9_]*"),
    ("punct", r"\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*=<>!+\-/^|?]"),
    ("other", r"[^ \t\r\n]"),
)
#: One token other than a prefixed name, and the whitespace (the grammar's WS) before it.
_TOKEN = re.compile(
    "[ \t\r\n]*(?:"
    + "|".join(f"(?P<{kind}>{rule})" for kind, rule in _RULES if kind != "pname")
    + ")"
)
_PNAME = re.compile(dict(_RULES)["pname"])
#: The characters a prefix is made of: a prefixed name ends its run of these with ":".
_NAME_RUN = re.compile(rf"[{_PN_CHARS}.]*")
_PREFIX_START = re.compile(rf"[{_PN_CHARS_BASE}]")

#: A code point escape, which SPARQL decodes anywhere in a text before it parses it.
CODE_POINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_STRING_ESCAPE = re.compile(rf"{_ECHAR}|{_UCHAR}")
_ECHAR_VALUES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}

_UPDATE_KEYWORDS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}
)
_QUERY_KEYWORDS = frozenset({"select", "ask", "construct", "describe"})
_DEPTH_CHANGE = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}


class Token(NamedTuple):
    """One token of a SPARQL text: its kind, its text as written, and where it starts."""

    kind: Kind
    text: str
    offset: int

    @property
    def end(self) -> int:
        """The offset just past the token."""
        return self.offset + len(self.text)

    def is_keyword(self, *words: str) -> bool:
        """Whether the token is one of the keywords ``words`` (given in lower case).

        >>> tokens("Service")[0].is_keyword("service", "silent")
        True
        """
        return self.kind == "keyword" and self.text.lower() in words

    def is_punct(self, text: str) -> bool:
        """Whether the token is the punctuation ``text``."""
        return self.kind == "punct" and self.text == text


def scan(text: str, *, comments: bool = False) -> Iterator[Token]:
    """The tokens of ``text`` one by one, whitespace dropped, comments only if asked for.

    >>> [t.text for t in scan("SELECT ?x # why\\n{}", comments=True)]
    ['SELECT', '?x', '# why', '{', '}']
    """
    position = run_end = 0
    while match := _TOKEN.match(text, position):
        kind = match.lastgroup or "other"
        start, position = match.start(kind), match.end()
        # Where a prefixed name can start, it is the longest match, and what was read
        # here (a keyword, or a character no other token starts with) is only its
        # beginning. It can start only where the run of prefix characters from here
        # ends in ":" and is a valid PN_PREFIX (a letter first, no "." last). Tried
        # everywhere instead, it made a text such as "a.a.a.a…" cost time quadratic
        # in its length, one failed attempt per word.
        if kind in ("keyword", "other"):
            if start >= run_end:
                run_end = _run_end(text, start)
            if text.startswith(":", run_end) and (
                run_end == start
                or (text[run_end - 1] != "." and _PREFIX_START.match(text, start) is not None)
            ):
                pname = _PNAME.match(text, start)
                assert pname is not None  # a valid prefix and ":" were just seen
                kind, position = "pname", pname.end()
        if kind != "comment" or comments:
            yield Token(kind, text[start:position], start)  # type: ignore[arg-type]


def _run_end(text: str, start: int) -> int:
    """Where the run of characters a prefix may hold, from ``start``, ends."""
    run = _NAME_RUN.match(text, start)
    return start if run is None else run.end()


def tokens(text: str, *, comments: bool = False) -> list[Token]:
    """Every token of ``text`` (see ``scan``).

    >>> [(t.kind, t.text, t.offset) for t in tokens("ex:a\\\\#b ?c")]
    [('pname', 'ex:a\\\\#b', 0), ('var', '?c', 8)]
    >>> [(t.kind, t.text) for t in tokens("?a < ?b && ?c<?d")]
    [('var', '?a'), ('punct', '<'), ('var', '?b'), ('punct', '&&'), ('var', '?c'), ('punct', '<'), ('var', '?d')]
    """
    return list(scan(text, comments=comments))


def unescape(text: str) -> str:
    """``text`` with SPARQL's ``\\u``/``\\U`` code point escapes decoded, as a parser first does.

    >>> unescape("SERVIC\\\\u0045")
    'SERVICE'
    """

    def decode(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return CODE_POINT_ESCAPE.sub(decode, text)


def iri_value(token: Token) -> str:
    """The IRI an ``iri`` token writes, without its ``<>`` and with code point escapes decoded.

    >>> iri_value(tokens("<http:\\\\u002F/e/>")[0])
    'http://e/'
    """
    return unescape(token.text[1:-1])


def string_value(token: Token) -> str:
    """The text a ``string`` token stands for: quotes dropped, escapes decoded.

    >>> string_value(tokens(r"'it\\'s\\t'")[0])
    "it's\\t"
    >>> string_value(tokens('\"\"\"two\\nlines\"\"\"')[0])
    'two\\nlines'
    """
    quote = 3 if token.text[:3] in ("'''", '"""') else 1
    body = token.text[quote:-quote]

    def decode(match: re.Match[str]) -> str:
        escape = match.group()
        if escape[1] in "uU":
            return unescape(escape)
        return _ECHAR_VALUES.get(escape[1], escape[1])

    return _STRING_ESCAPE.sub(decode, body)


def form_of(text_or_tokens: str | Iterable[Token]) -> Form:
    """The query form named by the first keyword after the prologue (``BASE``, ``PREFIX``).

    >>> form_of("PREFIX a: <x:> BASE <y:> ask {}")
    'ask'
    >>> form_of(tokens("# SELECT\\nINSERT DATA { <a:b> <a:c> <a:d> }"))
    'update'
    """
    toks = scan(text_or_tokens) if isinstance(text_or_tokens, str) else iter(text_or_tokens)
    for token in toks:
        word = token.text.lower()
        if word == "base":
            next(toks, None)
        elif word == "prefix":
            next(toks, None)
            next(toks, None)
        elif token.kind == "keyword" and word in _QUERY_KEYWORDS:
            return word  # type: ignore[return-value]
        elif token.kind == "keyword" and word in _UPDATE_KEYWORDS:
            return "update"
        else:
            return "unknown"
    return "unknown"


def nesting_depth(text: str, *, limit: int | None = None) -> tuple[int, int]:
    """How deep ``{ }``, ``( )`` and ``[ ]`` nest in ``text``, and the offset of the bracket
    that first reaches that depth (-1 when there is none); with ``limit``, the scan stops
    at the first bracket deeper than that.

    Brackets in comments and strings are not syntax and are not counted. Brackets
    inside an IRIREF are: a real IRI rarely holds any, and where ``<`` is a less-than
    they are syntax, so counting them errs towards refusing. A string left open is
    read as no string, for the same reason (an engine rejects it, but only after it
    has parsed what comes before). A closer never takes the depth below zero.

    >>> nesting_depth('SELECT * { ?s ?p "{{{" FILTER((?o)) }')
    (3, 30)
    >>> nesting_depth("FILTER(?a<((?b))>?c)")
    (3, 11)
    """
    depth = deepest = 0
    where = -1
    for token in scan(text):
        if token.kind not in ("punct", "iri"):
            continue
        for offset, char in enumerate(token.text, token.offset):
            change = _DEPTH_CHANGE.get(char)
            if change is None:
                continue
            depth = max(0, depth + change)
            if depth > deepest:
                deepest, where = depth, offset
                if limit is not None and depth > limit:
                    return deepest, where
    return deepest, where


def where_group(text: str) -> int | None:
    """The offset of the ``{`` that opens the query's outermost WHERE group, or None.

    That is the first ``{`` after a ``WHERE`` outside every group, or, in a query
    that leaves the keyword out (``ASK { … }``, ``SELECT * { … }``), the first
    ``{`` outside every group. A ``WHERE`` in a subquery, a comment, a string or a
    name is not the query's.

    >>> text = "CONSTRUCT { ?s ?p '{' } # WHERE {\\nWHERE { { SELECT * WHERE { } } }"
    >>> where_group(text) == text.index("{ { SELECT")
    True
    >>> where_group("SELECT ?where { ?where ?p ?o }")
    14
    >>> where_group("DESCRIBE <x:y>") is None
    True
    """
    depth = 0
    seen_where = False
    first: int | None = None
    for token in scan(text):
        if token.is_punct("{"):
            if depth == 0:
                if seen_where:
                    return token.offset
                if first is None:
                    first = token.offset
            depth += 1
        elif token.is_punct("}"):
            depth = max(0, depth - 1)
        elif depth == 0 and token.is_keyword("where"):
            seen_where = True
    return first


def subselect_groups(text: str, variable: str) -> list[int]:
    """The offsets of the ``{`` opening the WHERE group of each sub-select that projects
    ``?variable`` as itself (listed, or ``SELECT *``) and orders, offsets and groups nothing.

    A value bound to the query's ``?variable`` may also be bound inside such a
    sub-select without changing the answer: the sub-select's rows for other values are
    dropped by the join anyway, and without ORDER BY its LIMIT may keep any rows. Bound
    there, an engine need not compute the rows for every value first (a ``partOf*``
    path with both ends free, for every node in the graph).

    >>> text = "SELECT * { { SELECT ?w ?r { ?w <p>* ?r } LIMIT 9 } { SELECT (1 AS ?r) {} } }"
    >>> subselect_groups(text, "r") == [text.index("{ ?w")]
    True
    >>> subselect_groups("SELECT * { { SELECT ?w ?r { ?w <p>* ?r } ORDER BY ?w LIMIT 9 } }", "r")
    []

    A sub-select inside one that does not pass ``?variable`` through has a ``?variable``
    of its own, and is left alone too:

    >>> subselect_groups("SELECT * { { SELECT ?w { { SELECT ?w ?r { ?w <p> ?r } } } } }", "r")
    []
    """
    toks = tokens(text)
    found = []
    #: The token spans of the sub-selects that do not pass ``?variable`` through.
    opaque: list[tuple[int, int]] = []
    depth = 0
    for index, token in enumerate(toks):
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        elif depth > 0 and token.is_keyword("select"):
            if any(start < index <= end for start, end in opaque):
                continue
            group = _projecting_group(toks, index, variable)
            if group is not None:
                found.append(toks[group].offset)
            else:
                opaque.append((index, _closing(toks, index, depth=1)))
    return found


def _closing(toks: list[Token], start: int, depth: int = 0) -> int:
    """The index of the ``}`` that closes the group open at ``toks[start]``: the ``{`` there
    (``depth`` 0), or, from inside a group (``depth`` 1), the one holding it; the last token
    if the text ends first."""
    for index in range(start, len(toks)):
        if toks[index].is_punct("{"):
            depth += 1
        elif toks[index].is_punct("}"):
            depth -= 1
            if depth == 0:
                return index
    return len(toks) - 1


def _projecting_group(toks: list[Token], select: int, variable: str) -> int | None:
    """For the sub-select starting at ``toks[select]``: the index of its WHERE group's ``{``
    if it projects ``?variable`` plainly and has no ORDER BY, OFFSET or GROUP BY; else None."""
    projects = False
    index = select + 1
    nested = 0
    while index < len(toks) and not (nested == 0 and toks[index].is_punct("{")):
        token = toks[index]
        if token.is_punct("("):
            nested += 1
        elif token.is_punct(")"):
            nested -= 1
        elif nested == 0 and (
            token.is_punct("*") or (token.text[1:] == variable and token.kind == "var")
        ):
            projects = True
        index += 1
    if not projects or index == len(toks):
        return None
    brace = index
    for token in toks[_closing(toks, brace) + 1 :]:
        if token.is_punct("}"):
            break  # the end of the group holding the sub-select: its modifiers are all read
        if token.is_keyword("order", "offset", "group", "having"):
            return None
    return brace


@dataclass(frozen=True, slots=True)
class ServiceClause:
    """One ``SERVICE [SILENT] target { … }`` as written in a text."""

    keyword: Token
    silent: bool
    #: What follows the keyword: an ``iri``, ``pname`` or ``var`` token in a valid query.
    target: Token
    #: The offset of the ``{`` that opens the clause's group; -1 when none follows the target.
    brace: int


def service_clauses(text: str) -> list[ServiceClause]:
    """Every ``SERVICE`` keyword in ``text`` (not in comments, strings or names), in order.

    >>> [(c.target.text, c.silent, c.brace) for c in service_clauses(
    ...     "SELECT * { SERVICE silent <http://e/s> { } # SERVICE <x:>\\n SERVICE ?e {} }")]
    [('<http://e/s>', True, 39), ('?e', False, 70)]
    """
    toks = tokens(text)
    clauses = []
    for index, token in enumerate(toks):
        if not token.is_keyword("service"):
            continue
        position = index + 1
        silent = position < len(toks) and toks[position].is_keyword("silent")
        position += silent
        if position >= len(toks):
            continue
        target = toks[position]
        follows = toks[position + 1] if position + 1 < len(toks) else None
        brace = follows.offset if follows is not None and follows.is_punct("{") else -1
        clauses.append(ServiceClause(token, silent, target, brace))
    return clauses
