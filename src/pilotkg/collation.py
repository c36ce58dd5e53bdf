"""The pinyin sort key of a Chinese text, computed once per release, not once per view.

Chinese lists run in pinyin order (see ``web/collation.py``). pypinyin reads a
name by its phrases, which is slow enough that keying a large table's labels on
its first Chinese view is seen by the reader, and at ten million triples the
browsed tables hold more labels than a bounded cache keeps, so every Chinese
view would pay for them again (README, "Performance").

So the build keys every text a list sorts (the labels and titles of
``KEYED_PREDICATES``) once, and writes the keys into the release
(``release.COLLATION_KEYS``); a process that serves the release reads that file
the first time it sorts a Chinese list (``learn``), and computes only a text the
file lacks. Those computed keys are cached within a bound: ``arq:collation`` is
open to user queries, so a cache that grew with what it is asked would be a
memory attack, while the release's own keys grow only with the releases the
operator built. A key file written by another pypinyin version is ignored, since
its keys might not be the ones this process computes for the texts it lacks.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from .namespaces import DCTERMS, PILOT, RDFS, SKOS

#: The properties whose Chinese values lists sort by: labels, titles, and the document
#: numbers the policies table sorts by (``web/browse_tables.py``'s text column).
KEYED_PREDICATES = (
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    DCTERMS + "title",
    PILOT + "documentNumber",
)
#: The keys of texts outside the release files read, per process.
COMPUTED_KEYS = 65536
#: The characters pypinyin spells (CJK ideographs, extension A, compatibility, extensions B–F):
#: a text with none of them is its own key, case aside, and needs no pypinyin.
HAN = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN = re.compile(f"[{HAN}]")

_log = logging.getLogger(__name__)


def pinyin_version() -> str:
    """The installed pypinyin's version: keys depend on its dictionary."""
    return version("pypinyin")


def spelled_key(text: str) -> str:
    """The text spelled in pinyin with tone numbers, case aside (non-Chinese passes through)."""
    from pypinyin import Style, lazy_pinyin  # its dictionary loads on import: only when needed

    return " ".join(lazy_pinyin(text, style=Style.TONE3)).casefold()


#: ``spelled_key`` within a bound, for the texts a served list sorts that no key file holds.
computed_key = lru_cache(maxsize=COMPUTED_KEYS)(spelled_key)


def keys_document(texts: Iterable[str], known: Mapping[str, str] | None = None) -> bytes:
    """The key file of a release: each text's key, and the pypinyin version that made them;
    ``known`` holds keys already spelled by this pypinyin (``spelled_key``), which are used
    as they are."""
    given = known or {}
    keys = {
        text: key if (key := given.get(text)) is not None else spelled_key(text)
        for text in sorted(set(texts))
    }
    document = {"pypinyin": pinyin_version(), "keys": keys}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class _ReleaseKeys:
    """The keys of the key files registered with ``learn``, read when first needed."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}
        self.pending: list[Path] = []
        self.read: set[Path] = set()
        self.lock = threading.Lock()

    def learn(self, path: Path) -> None:
        with self.lock:
            if path not in self.read and path not in self.pending:
                self.pending.append(path)

    def get(self, text: str) -> str | None:
        if self.pending:
            with self.lock:
                for path in self.pending:
                    self.known.update(_read_keys(path))
                    self.read.add(path)
                self.pending.clear()
        return self.known.get(text)


def _read_keys(path: Path) -> dict[str, str]:
    """The keys of one file, or none (logged) when it is missing, unreadable or another
    pypinyin's: keys are then computed, as they would be without the file."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        _log.warning("%s: no sort keys read (%s); Chinese lists compute their own", path, error)
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("keys"), dict):
        _log.warning("%s: not a key file; Chinese lists compute their own keys", path)
        return {}
    if document.get("pypinyin") != pinyin_version():
        _log.warning(
            "%s: keys of pypinyin %s, not the installed %s; Chinese lists compute their own",
            path,
            document.get("pypinyin"),
            pinyin_version(),
        )
        return {}
    return {str(text): str(key) for text, key in document["keys"].items()}


_RELEASE_KEYS = _ReleaseKeys()


def learn(path: Path) -> None:
    """Use the key file at ``path`` (a release's) from the next Chinese key on."""
    _RELEASE_KEYS.learn(path)


def pinyin_key(text: str) -> str:
    """The sort key of ``text`` in a Chinese list: its letters when it has no Han character
    (what pypinyin would give, without importing it), else the release's key, else computed
    (a text the server makes, such as the year label 2019年, the first time it sorts one)."""
    if not _HAN.search(text):
        return text.casefold()
    known = _RELEASE_KEYS.get(text)
    return known if known is not None else computed_key(text)
