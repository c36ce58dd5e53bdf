"""The interface's words in the reader's language: gettext catalogues, one Jinja environment
per language.

The English text is the message id, written in the templates as ``{{ _("Facts") }}`` or with
``{% trans %}``; ``locales/zh/LC_MESSAGES/messages.po`` gives the simplified Chinese. The
catalogue is read with Babel and compiled in memory at start-up, so the repository holds only
the ``.po`` a translator edits, and no compiled ``.mo`` that could fall out of step with it.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
#: The languages the interface speaks; English needs no catalogue.
TRANSLATED = ("zh",)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue for ``lang`` (English: the message ids themselves)."""
    if lang not in TRANSLATED:
        return gettext.NullTranslations()
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def translator(lang: str) -> Callable[..., str]:
    """``_`` for Python code: ``_("There is no page at {path}.", path=p)`` in ``lang``.

    Messages written in Python are marked with ``_`` (so Babel's extractor finds them, as the
    i18n test does) and take their values as named ``str.format`` fields, filled after
    translation, so a translator may move them.
    """
    catalogue = translations(lang)

    def _(message: str, **values: object) -> str:
        text = catalogue.gettext(message)
        return text.format(**values) if values else text

    return _
