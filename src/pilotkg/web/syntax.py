"""A SPARQL syntax error told in words, at the place of the mistake: for the query page.

The engine (pyoxigraph) reports ``error at LINE:COLUMN: expected …``, where the
position is the furthest point its parser tried, often past the mistake (for
``SELEC * WHERE {}`` it names column 10 and "expected CONSTRUCT", the last
alternative it tried), and where the list mixes keywords with character classes
(``['A' ..= 'Z' | …]``) and internal notes. So the page looks for the mistake
itself, on the tokens of the one lexer (``sparqltext``), trying the usual ones
in turn: a text that does not start with a query form, an undeclared prefix or
a malformed IRI (as the engine says), a selected variable GROUP BY leaves out,
a string left open, brackets that do not pair, a word that is no SPARQL keyword;
else it keeps the engine's position and the readable part of its list.

Columns count characters (code points), as the engine's do; the caret under the
quoted line allows for wide (CJK) characters, which take two columns.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from ..namespaces import PREFIXES
from ..sparqltext import Token, tokens
from .i18n import translator

_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)
_QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
#: Every bare word the grammar has (SPARQL 1.1 Query and Update, and the engine's SPARQL 1.2
#: and extension words), in upper case.
_KEYWORD_LIST = """
    BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE GROUP BY
    HAVING ORDER ASC DESC LIMIT OFFSET VALUES OPTIONAL GRAPH SERVICE SILENT BIND UNDEF MINUS
    UNION FILTER NOT IN EXISTS A TRUE FALSE LATERAL VERSION
    COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN
    UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY
    HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE
    IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE
    TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR HASLANG HASLANGDIR STRLANGDIR ADJUST
    INSERT DELETE DATA LOAD CLEAR DROP CREATE ADD MOVE COPY TO INTO WITH USING DEFAULT ALL
"""
KEYWORDS = frozenset(_KEYWORD_LIST.split())
#: What a misspelt keyword may have meant: the keywords, and the two that are two words.
_SUGGESTIONS = sorted(KEYWORDS | {"GROUP BY", "ORDER BY"})
_OPENERS = {"{": "}", "(": ")", "[": "]"}
_OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">=", "&&", "||"})
_CLOSERS = {closer: opener for opener, closer in _OPENERS.items()}
#: The longest stretch of a line quoted on either side of the column.
_CONTEXT = 60


@dataclass(frozen=True)
class Problem:
    """Where a syntax error is and what is wrong, as the page shows it."""

    line: int  # from 1
    column: int  # from 1, in characters
    message: str  # in the reader's language
    before: str  # the quoted line up to the column ("…" first when cut)
    at: str  # the token (or character) at the column
    after: str
    pad: str  # white space as wide as ``before``, to put a caret under ``at``


def explain(text: str, engine: str, lang: str) -> Problem | None:
    """What is wrong with ``text``, which the engine refused with ``engine`` (its message,
    ``… error at L:C: expected …``); None when the message names no position."""
    match = _POSITION.search(engine)
    if not match:
        return None
    line, column, expected = int(match[1]), int(match[2]), match[3]
    reported = _offset(text, line, column)
    _ = translator(lang)
    toks = tokens(text)
    for rule in _RULES:
        found = rule(text, toks, reported, expected, _)
        if found is not None:
            where, width, message = found
            return _problem(text, where, width, message)
    return None  # not reached: the last rule always answers


# Each rule: (text, tokens, the engine's offset, its "expected …", _) -> (offset, width, message).
Found = tuple[int, int, str] | None
Rule = Callable[[str, list[Token], int, str, Callable[..., str]], Found]


def _query_form(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """The first token after the prologue (BASE, PREFIX) must be a query form."""
    index = 0
    while index < len(toks) and toks[index].is_keyword("base", "prefix"):
        index += 2 if toks[index].is_keyword("base") else 3
    if index >= len(toks):
        return (
            len(text.rstrip()),
            1,
            _("The query is missing: expected SELECT, CONSTRUCT, ASK or DESCRIBE."),
        )
    first = toks[index]
    if first.kind == "keyword" and first.text.upper() in _QUERY_FORMS:
        return None
    message = _(
        "“{found}” does not start a query: expected SELECT, CONSTRUCT, ASK or DESCRIBE.",
        found=first.text,
    )
    close = difflib.get_close_matches(first.text.upper(), _QUERY_FORMS, n=1, cutoff=0.6)
    if close:
        message = _then(_, message, _("Did you mean {word}?", word=close[0]))
    return first.offset, len(first.text), message


def _undeclared_prefix(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """The engine's "Prefix not found": the first prefixed name whose prefix nobody declared."""
    if "Prefix not found" not in expected:
        return None
    declared = set(PREFIXES)
    for index, token in enumerate(toks):
        if token.is_keyword("prefix") and index + 1 < len(toks):
            declared.add(toks[index + 1].text.rstrip(":"))
    for index, token in enumerate(toks):
        prefix = token.text.split(":", 1)[0]
        declaring = index > 0 and toks[index - 1].is_keyword("prefix")
        if token.kind == "pname" and prefix not in declared and not declaring:
            return (
                token.offset,
                len(prefix) + 1,
                _(
                    "The prefix “{prefix}:” is not declared: add PREFIX {prefix}: <…> before the "
                    "query.",
                    prefix=prefix,
                ),
            )
    return None


def _bad_iri(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """The engine's "IRI parsing failed": the IRI that ends at or before its position."""
    if "IRI parsing failed" not in expected:
        return None
    start = text.rfind("<", 0, reported + 1)
    if start < 0:
        return None
    end = text.find(">", start)
    width = (end + 1 if end >= 0 else reported) - start
    return (
        start,
        max(1, width),
        _(
            "This IRI is not valid: write it in full, as in <https://example.org/thing>, with no "
            "spaces, quotes or braces (or declare a BASE for relative ones)."
        ),
    )


def _grouping(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """The engine's notes on GROUP BY: SELECT * with it, or a selected variable left out of it."""
    if "SELECT * is not authorized with GROUP BY" in expected:
        star = next((t for t in toks if t.is_punct("*")), None)
        where = star.offset if star else reported
        return where, 1, _("SELECT * cannot be used with GROUP BY: list the variables to select.")
    if "The SELECT contains a variable that is unbound" not in expected:
        return None
    grouped = {t.text[1:] for t in _grouped(toks)}
    missing = next((t for t in _selected(toks) if t.text[1:] not in grouped), None)
    if missing is None:
        return None
    return (
        missing.offset,
        len(missing.text),
        _(
            "{variable} is selected but neither grouped nor aggregated: add it to GROUP BY, or "
            "select an aggregate of it, such as (SAMPLE({variable}) AS ?one).",
            variable=missing.text,
        ),
    )


def _selected(toks: list[Token]) -> list[Token]:
    """The variables the first (outermost) SELECT lists by name, not inside an expression."""
    start = next((i for i, t in enumerate(toks) if t.is_keyword("select")), len(toks))
    depth = 0
    found = []
    for token in toks[start + 1 :]:
        if token.is_punct("{") or token.is_keyword("where"):
            break
        depth += token.is_punct("(") - token.is_punct(")")
        if depth == 0 and token.kind == "var":
            found.append(token)
    return found


def _grouped(toks: list[Token]) -> list[Token]:
    """The variables of the last GROUP BY (the outermost query's, written last)."""
    starts = [
        i
        for i, t in enumerate(toks)
        if t.is_keyword("by") and i and toks[i - 1].is_keyword("group")
    ]
    found = []
    for token in toks[starts[-1] + 1 :] if starts else ():
        if token.is_keyword("having", "order", "limit", "offset", "values") or token.is_punct("}"):
            break
        if token.kind == "var":
            found.append(token)
    return found


def _stray_character(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """A character no token starts with: curly quotes, full-width punctuation, or a stray one."""
    token = next((t for t in toks if t.kind == "other" and t.text not in ("'", '"')), None)
    if token is None:
        return None
    if token.text in "“”‘’「」":
        message = _(
            "Strings are written between straight quotes, \"…\" or '…', not {quote}.",
            quote=token.text,
        )
    elif (plain := unicodedata.normalize("NFKC", token.text)) != token.text and plain.isascii():
        message = _(
            "“{found}” is a full-width character: write “{plain}”.", found=token.text, plain=plain
        )
    else:
        message = _("“{found}” cannot appear here.", found=token.text)
    return token.offset, 1, message


def _open_string(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """A quote the lexer could not read a string from: the string is never closed."""
    for token in toks:
        if token.kind == "other" and token.text in ("'", '"'):
            return (
                token.offset,
                1,
                _(
                    "This string is never closed: end it with {quote} on the same line "
                    "(text over several lines goes in {long}…{long}).",
                    quote=token.text,
                    long=token.text * 3,
                ),
            )
    return None


def _brackets(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """Brackets that do not pair: a closer with nothing open, the wrong closer, one left open."""
    stack: list[Token] = []
    for token in toks:
        if token.kind != "punct":
            continue
        if token.text in _OPENERS:
            stack.append(token)
        elif token.text in _CLOSERS:
            if not stack:
                return (
                    token.offset,
                    1,
                    _(
                        "This “{closer}” closes nothing: no “{opener}” is open here.",
                        closer=token.text,
                        opener=_CLOSERS[token.text],
                    ),
                )
            opener = stack.pop()
            if _OPENERS[opener.text] != token.text:
                line, column = _position(text, opener.offset)
                return (
                    token.offset,
                    1,
                    _(
                        "This “{closer}” comes where the “{opener}” of line {line}, column "
                        "{column} must be closed with “{expected}”.",
                        closer=token.text,
                        opener=opener.text,
                        line=line,
                        column=column,
                        expected=_OPENERS[opener.text],
                    ),
                )
    if stack:
        opener = stack[-1]
        return (
            opener.offset,
            1,
            _(
                "This “{opener}” is never closed: end it with “{closer}”.",
                opener=opener.text,
                closer=_OPENERS[opener.text],
            ),
        )
    return None


def _unknown_word(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """A bare word that is no keyword: a misspelling, or a name without its ? or prefix."""
    for token in toks:
        if token.kind != "keyword" or token.text.upper() in KEYWORDS:
            continue
        close = difflib.get_close_matches(token.text.upper(), _SUGGESTIONS, n=1, cutoff=0.75)
        if close:
            hint = _("Did you mean {word}?", word=close[0])
        else:
            hint = _(
                "Write variables with ? (?{word}), names with their prefix (pilot:{word}) and "
                "IRIs in full (<https://…>).",
                word=token.text,
            )
        return (
            token.offset,
            len(token.text),
            _then(_, _("“{word}” is not a SPARQL keyword.", word=token.text), hint),
        )
    return None


def _dangling_operator(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """A comparison or logical operator with nothing after it: ``FILTER(?o = )``."""
    for token, following in pairwise(toks):
        if token.text in _OPERATORS and token.kind == "punct" and following.is_punct(")"):
            return (
                token.offset,
                len(token.text),
                _("Something must follow “{operator}”.", operator=token.text),
            )
    return None


def _engine(
    text: str, toks: list[Token], reported: int, expected: str, _: Callable[..., str]
) -> Found:
    """The engine's own position, with what it expected there where that is readable."""
    items = _readable(expected)
    if not text[reported:].strip():
        last = toks[-1] if toks else None
        where = last.offset if last else reported
        found = last.text if last else ""
        message = _("The query ends too early, after “{found}”.", found=found)
        if last is not None and last.is_keyword("limit", "offset"):
            number = _("{keyword} takes a number, as in {keyword} 10.", keyword=found.upper())
            message = _then(_, message, number)
        elif items:
            listed = _("Expected one of: {expected}.", expected=", ".join(items))
            message = _then(_, message, listed)
        return where, len(found) or 1, message
    token = next((t for t in toks if t.end > reported), None)
    where = token.offset if token else reported
    found = token.text if token else text[reported]
    if items:
        message = _(
            "Unexpected “{found}”: expected one of: {expected}.",
            found=found,
            expected=", ".join(items),
        )
    else:
        message = _("The query cannot be read from “{found}” on.", found=found)
    return where, len(found), message


_RULES: tuple[Rule, ...] = (
    _query_form,
    _open_string,
    _stray_character,
    _undeclared_prefix,
    _bad_iri,
    _unknown_word,
    _grouping,
    _brackets,
    _dangling_operator,
    _engine,
)


def _then(_: Callable[..., str], sentence: str, another: str) -> str:
    """Two sentences one after the other, as the language writes them (Chinese puts no space
    between them)."""
    return _("{sentence} {another}", sentence=sentence, another=another)


def _readable(expected: str) -> list[str]:
    """The keywords and punctuation of the engine's "expected one of …" list (its character
    classes and notes left out); none when there are too many to help."""
    listed = expected.removeprefix("expected ").removeprefix("one of ")
    items = []
    for item in (part.strip() for part in listed.split(", ")):
        if re.fullmatch(r"[A-Za-z_]+", item) and item.upper() in KEYWORDS:
            items.append(item.upper())
        elif re.fullmatch(r'"[^"\sA-Za-z]{1,3}"', item):
            items.append(item[1:-1])
    return items if len(items) <= 8 else []


def _offset(text: str, line: int, column: int) -> int:
    """The offset of a (line, column) the engine names, clamped to the text."""
    start = 0
    for _number in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    return min(len(text), start + max(0, column - 1))


def _position(text: str, offset: int) -> tuple[int, int]:
    """The (line, column) of an offset, both from 1."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _problem(text: str, offset: int, width: int, message: str) -> Problem:
    """The Problem at ``offset``: its line quoted (cut around the column when long)."""
    line, column = _position(text, offset)
    start = offset - column + 1
    end = text.find("\n", start)
    whole = text[start : len(text) if end < 0 else end].rstrip("\r")
    at_index = column - 1
    before, at, after = (
        whole[:at_index],
        whole[at_index : at_index + width],
        whole[at_index + width :],
    )
    if len(before) > _CONTEXT:
        before = "…" + before[-_CONTEXT:]
    if len(after) > _CONTEXT:
        after = after[:_CONTEXT] + "…"
    pad = "".join(
        char if char == "\t" else "  " if unicodedata.east_asian_width(char) in "WF" else " "
        for char in before
    )
    return Problem(line, column, message, before, at or " ", after, pad)
