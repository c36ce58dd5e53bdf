"""Literals as a reader reads them: dates at their precision in the reader's language, numbers
grouped, no datatype (Babel's CLDR formats). The RDF view of a page keeps the lexical forms and
datatypes; this is what the reader's view shows instead.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from ..namespaces import XSD

#: The CLDR locale of each interface language (British English writes "14 October 2019").
_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}
_NUMBERS = {XSD + name for name in ("decimal", "integer", "double", "float", "nonNegativeInteger")}


def readable(literal: ox.Literal, lang: str) -> str:
    """``literal`` in words for a reader of ``lang`` ("en" or "zh"); its lexical form when it is
    not a date or a number, or is not a valid one."""
    locale = _LOCALES.get(lang, "en_GB")
    datatype, text = literal.datatype.value, literal.value
    try:
        if datatype == XSD + "date":
            return format_date(datetime.date.fromisoformat(text), "long", locale=locale)
        if datatype == XSD + "gYearMonth":
            year, month = (int(part) for part in text.split("-"))
            return format_skeleton("yMMMM", datetime.date(year, month, 1), locale=locale)
        if datatype == XSD + "gYear":
            return format_skeleton("y", datetime.date(int(text), 1, 1), locale=locale)
        if datatype in _NUMBERS:
            return format_decimal(Decimal(text), locale=locale)
    except (ValueError, InvalidOperation):
        return text
    return text
