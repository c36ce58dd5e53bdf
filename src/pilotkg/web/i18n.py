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
