"""SPARQL results as a plain-text table for terminals, with IRIs shortened by the project's prefixes."""

from __future__ import annotations

import pyoxigraph as ox

from .namespaces import PREFIXES

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
