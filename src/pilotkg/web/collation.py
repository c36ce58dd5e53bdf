"""The order a list is read in: English by its letters, case aside; Chinese by pinyin.

Chinese indexes, directories and government lists run in pinyin order (北京 before 上海 before
深圳); code-point order, what a plain sort gives, follows the character tables and reads as no
order at all. pypinyin reads each name by its phrases, so that 重庆 sorts as chong and 长沙 as
chang; text that is not Chinese passes through and sorts by its letters.

pypinyin loads its phrase dictionary when imported, which takes about as long as importing
the rest of the web app; it is imported by the first Chinese list a process sorts, so that
a server (and every process of ``--processes``) starts without it.
"""

from __future__ import annotations


def sort_key(text: str, lang: str) -> tuple[str, str]:
    """The key that puts ``text`` in its place in a list read in ``lang``."""
    if lang == "zh":
        from pypinyin import Style, lazy_pinyin

        return (" ".join(lazy_pinyin(text, style=Style.TONE3)).casefold(), text)
    return (text.casefold(), text)
