"""Literals as a reader reads them: dates at their precision in the reader's language, numbers
grouped, no datatype. The RDF view of a page keeps the lexical forms and datatypes; this is
what the reader's view shows instead.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ..namespaces import XSD

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NUMBERS = {XSD + name for name in ("decimal", "integer", "double", "float", "nonNegativeInteger")}


def readable(literal: ox.Literal, lang: str) -> str:
    """``literal`` in words for a reader of ``lang`` ("en" or "zh"); its lexical form when it is
    not a date or a number, or is not a valid one."""
    datatype = literal.datatype.value
    text = literal.value
    try:
        if datatype == XSD + "date":
            year, month, day = (int(part) for part in text.split("-"))
            return (
                f"{year}年{month}月{day}日"
                if lang == "zh"
                else f"{day} {_MONTHS_EN[month - 1]} {year}"
            )
        if datatype == XSD + "gYearMonth":
            year, month = (int(part) for part in text.split("-"))
            return f"{year}年{month}月" if lang == "zh" else f"{_MONTHS_EN[month - 1]} {year}"
        if datatype == XSD + "gYear":
            return f"{int(text)}年" if lang == "zh" else str(int(text))
        if datatype in _NUMBERS:
            return _grouped(Decimal(text))
    except (ValueError, IndexError, InvalidOperation):
        return text
    return text


def _grouped(number: Decimal) -> str:
    """``1716000000`` → ``1,716,000,000``; ``7.50`` → ``7.5``: digits grouped, no trailing zeros."""
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"
