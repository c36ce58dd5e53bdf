"""Literals as a reader reads them: dates at their precision in the reader's language, numbers
grouped, no datatype (Babel's CLDR formats). The RDF view of a page keeps the lexical forms and
datatypes; this is what the reader's view shows instead.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from ..namespaces import QUDT_CURRENCY, QUDT_UNIT, XSD

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


#: How each interface language names the QUDT units the figures use, around the number (the
#: unit's own label, "percent" or 个数, reads as a column heading, not beside a number).
_UNIT_WORDS: dict[str, dict[str, str]] = {
    QUDT_UNIT + "PERCENT": {"en": "{n}%", "zh": "{n}%"},
    QUDT_UNIT + "NUM": {"en": "{n}", "zh": "{n}"},
    QUDT_UNIT + "YR": {"en": "{n} years", "zh": "{n}年"},
    QUDT_UNIT + "KiloM": {"en": "{n} km", "zh": "{n}公里"},
    QUDT_UNIT + "PetaFLOPS": {"en": "{n} PFLOPS", "zh": "{n} PFLOPS"},
}
_YUAN = QUDT_CURRENCY + "CNY"
#: Chinese writes large sums of money in 亿 (10^8) and 万 (10^4); English in billions and millions.
_MAGNITUDES = {
    "zh": ((Decimal(10) ** 8, "{n}亿元"), (Decimal(10) ** 4, "{n}万元"), (Decimal(1), "{n}元")),
    "en": (
        (Decimal(10) ** 9, "CNY {n} billion"),
        (Decimal(10) ** 6, "CNY {n} million"),
        (Decimal(1), "CNY {n}"),
    ),
}


def amount(value: ox.Literal, unit: str, lang: str) -> str:
    """A figure as a reader of ``lang`` reads it, its unit around the number: "40%", "17.16亿元",
    "CNY 1.716 billion", "4,500 PFLOPS"; every digit the source gives is kept (a sum is scaled,
    never rounded). The number alone, in words, for a unit this table does not know."""
    try:
        number = Decimal(value.value)
    except InvalidOperation:
        return value.value
    locale = _LOCALES.get(lang, "en_GB")
    if unit == _YUAN:
        for scale, pattern in _MAGNITUDES["zh" if lang == "zh" else "en"]:
            if abs(number) >= scale:
                return pattern.format(
                    n=format_decimal(number / scale, locale=locale, decimal_quantization=False)
                )
        return pattern.format(n=format_decimal(number, locale=locale, decimal_quantization=False))
    words = _UNIT_WORDS.get(unit)
    shown = format_decimal(number, locale=locale, decimal_quantization=False)
    return words["zh" if lang == "zh" else "en"].format(n=shown) if words else shown


def language_name(code: str, lang: str) -> str:
    """A language tag by its name in ``lang`` ("zh" → "Chinese", 中文), per CLDR; the tag itself
    when CLDR does not know it."""
    name = Locale.parse(_LOCALES.get(lang, "en_GB")).languages.get(code.split("-")[0])
    return str(name) if name else code
