"""Literal values as stores compare them: a number is its value, not its spelling.

Stores that keep values rather than spellings (Virtuoso) return ``1`` for
``1.0`` and ``xsd:int`` for ``xsd:integer``; loading and verifying both need
to see such literals as equal.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..namespaces import XSD

_INTEGER_NAMES = (
    "integer int long short byte nonNegativeInteger positiveInteger nonPositiveInteger "
    "negativeInteger unsignedLong unsignedInt unsignedShort unsignedByte"
)
INTEGER_TYPES = frozenset(XSD + name for name in _INTEGER_NAMES.split())
NUMERIC_TYPES = INTEGER_TYPES | {XSD + "decimal", XSD + "float", XSD + "double"}
#: Numbers are compared to this many significant digits (see ``term_key``).
SIGNIFICANT_DIGITS = 12


def number_key(lexical: str) -> str:
    """A numeric literal's value, rounded to SIGNIFICANT_DIGITS, in plain notation."""
    try:
        value = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if value.is_finite() and value != 0:
        value = round(value, SIGNIFICANT_DIGITS - value.adjusted() - 1)
    return format(value.normalize(), "f") if value.is_finite() else str(value)
