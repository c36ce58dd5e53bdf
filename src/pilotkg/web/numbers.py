"""Whole-number parameters (pages, counts, cursors, years), read one way wherever a URL carries one."""

from __future__ import annotations

#: Every bound a parameter has lies far below this; a longer number is read as this.
BEYOND = 10**18


def whole_number(raw: str) -> int | None:
    """``raw`` read as a whole number written in ASCII digits (leading zeros allowed), else None.

    Only ASCII digits count: ``str.isdigit`` also takes other scripts' digits and
    superscripts (``"٣"``, ``"³"``), which ``int`` reads or refuses unlike ASCII. A number
    longer than any parameter's bound is read as ``BEYOND`` without being converted:
    ``int`` refuses a string of more than 4,300 digits with a ValueError (which would
    answer 500, not the parameter's one-line refusal), and before that its cost grows
    with the length. Each caller compares the value with its own bounds.
    """
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0")
    return int(digits or "0") if len(digits) < len(str(BEYOND)) else BEYOND
