"""The order a list is read in: English by its letters, case aside; Chinese by pinyin.

Chinese indexes, directories and government lists run in pinyin order (北京 before 上海 before
深圳); code-point order, what a plain sort gives, follows the character tables and reads as no
order at all. pypinyin reads each name by its phrases, so that 重庆 sorts as chong and 长沙 as
chang; text that is not Chinese passes through and sorts by its letters.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def sort_key(text: str, lang: str) -> tuple[str, str]:
    """The key that puts ``text`` in its place in a list read in ``lang``."""
    if lang == "zh":
        return (" ".join(lazy_pinyin(text, style=Style.TONE3)).casefold(), text)
    return (text.casefold(), text)
