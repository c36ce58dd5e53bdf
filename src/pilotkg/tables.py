"""SPARQL results as people read them: a plain-text table for terminals, with IRIs shortened
by the project's prefixes, and the bytes a spreadsheet opens.

Two rules hold wherever a canned query's results leave pilotkg (the CLI, the web, the
release's ``csv/`` files), so that the same query reads the same everywhere:

* The parts of a ``GROUP_CONCAT`` cell come in one order (``in_order``). SPARQL leaves
  it to the engine, and pyoxigraph follows the order the triples were loaded in, which
  differs between the store built from the sources and the one loaded from a release.
* CSV starts with a UTF-8 byte-order mark unless asked not to (``results_bytes``):
  Excel on Windows reads a CSV without one in the machine's ANSI code page, and
  garbles every Chinese label.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping

import pyoxigraph as ox

from .formats import RESULTS_FORMATS, serialize_boolean
from .namespaces import PREFIXES

#: The UTF-8 byte-order mark.
BOM = "\ufeff".encode()

_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def compact(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A short human form: ``id:region/shenzhen``, ``深圳市@zh``, ``2025-07-27``."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in _BY_LENGTH:
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)


def render_table(variables: list[str], rows: list[list[str]]) -> str:
    """Rows under a header, columns padded to their widest cell (East Asian wide characters count double)."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    widths = [max([width(v), *(width(r[i]) for r in rows)]) for i, v in enumerate(variables)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    out = [line(variables), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def solutions_table(solutions: ox.QuerySolutions) -> str:
    """A SELECT result as a table."""
    variables = [v.value for v in solutions.variables]
    rows = [[compact(row[v]) for v in variables] for row in solutions]
    return render_table(variables, rows)


def _part_key(part: str) -> tuple[str, str]:
    return (part.casefold(), part)


def in_order(solutions: ox.QuerySolutions, concatenated: Mapping[str, str]) -> ox.QuerySolutions:
    """``solutions`` with the parts of each ``concatenated`` cell (column: separator) sorted
    alphabetically, ignoring case: "Jinan; Qingdao" whichever the engine met first.

    A separator that is empty or only spaces cannot tell a part from the words of a
    part ("Pudong New Area"), so such a cell is left as it is. The rows are read once,
    through SPARQL JSON, which keeps every term as it was.
    """
    text = json_in_order(
        solutions.serialize(format=ox.QueryResultsFormat.JSON) or b"{}", concatenated
    )
    parsed = ox.parse_query_results(text, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    return parsed


def json_in_order(results: bytes, concatenated: Mapping[str, str]) -> bytes:
    """``in_order`` on results the engine wrote as SPARQL JSON (a worker's answer), as SPARQL
    JSON: only the concatenated cells are read and written again, escaped as the engine
    escapes (``json.dumps`` without ASCII escapes writes the same), and every other byte is
    left as it was; reading and writing a large answer whole costs as long as the engine took
    to find it. The engine writes a literal's ``type`` before its ``value``, and a quote
    inside a string is escaped, so the pattern finds the named cells and nothing else."""
    for name, separator in concatenated.items():
        if separator.strip():
            reorder = functools.partial(_reordered_cell, separator=separator)
            results = _literal_cell(name).sub(reorder, results)
    return results


def _literal_cell(name: str) -> re.Pattern[bytes]:
    """A literal cell of the variable ``name`` in SPARQL JSON; group 1 is its escaped value."""
    key = re.escape(json.dumps(name).encode())
    return re.compile(key + rb':\{"type":"literal","value":"((?:[^"\\]|\\.)*)"')


def _reordered_cell(match: re.Match[bytes], *, separator: str) -> bytes:
    value = json.loads(b'"' + match.group(1) + b'"')
    ordered = separator.join(sorted(value.split(separator), key=_part_key))
    opening = match.group(0)[: match.start(1) - match.start(0)]
    return opening + json.dumps(ordered, ensure_ascii=False).encode("utf-8")[1:-1] + b'"'


def results_bytes(
    results: ox.QuerySolutions | ox.QueryBoolean, fmt: ox.QueryResultsFormat, *, bom: bool = True
) -> bytes:
    """``results`` serialised in ``fmt``; CSV led by the byte-order mark when ``bom``; an ASK
    answer in CSV or TSV as the one-cell table the server sends too (``serialize_boolean``)."""
    if isinstance(results, ox.QueryBoolean):
        body = serialize_boolean(
            results, next(f for f in RESULTS_FORMATS if f.results_format == fmt)
        )
    else:
        body = results.serialize(format=fmt) or b""
    return BOM + body if bom and fmt == ox.QueryResultsFormat.CSV else body
