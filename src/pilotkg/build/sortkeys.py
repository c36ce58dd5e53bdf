"""The release's pinyin sort keys (``pilotkg.collation``): the texts, their keys, the memo.

pypinyin is the slowest step of rendering a large release after the dumps (README,
"Performance"), and the texts it keys are the labels and titles the data files state, there
as soon as the files are loaded. So ``KeyingAhead`` spells them in a thread of its own while
the citations compile, which runs in the store's native code with the GIL released and
leaves a core waiting; ``collation_keys`` then keys the finished store's texts, taking each
key that thread spelled. What the release holds never depends on the thread: a text it did
not see (one a later step of parsing adds, such as a label only an entailment states) is keyed
when the release is written, and a text it saw that the finished store lacks is left out.
"""

from __future__ import annotations

import threading
from types import TracebackType

import pyoxigraph as ox

from ..collation import HAN, KEYED_PREDICATES, keys_document, pinyin_version, spelled_key
from .memo import Memo, digest

#: The Chinese values of the keyed properties (a Han character in them: other text is its
#: own key, case aside, and ``collation.pinyin_key`` needs no file for it).
_TEXTS = """SELECT DISTINCT ?text WHERE {{
  VALUES ?p {{ {predicates} }}
  ?s ?p ?value FILTER(isLITERAL(?value))
  BIND(STR(?value) AS ?text)
  FILTER(REGEX(?text, "[{han}]"))
}}"""
_KIND = "collation"


def sorted_texts(store: ox.Store) -> list[str]:
    """The texts of the store's default graph a Chinese list may sort by, in code-point order."""
    predicates = " ".join(f"<{p}>" for p in KEYED_PREDICATES)
    results = store.query(_TEXTS.format(predicates=predicates, han=HAN))
    assert isinstance(results, ox.QuerySolutions)
    texts = []
    for row in results:
        text = row["text"]
        assert isinstance(text, ox.Literal)
        texts.append(text.value)
    return sorted(texts)


def _memo_key(texts: list[str]) -> str:
    return digest(b"pypinyin", pinyin_version().encode(), "\n".join(texts).encode())


class KeyingAhead:
    """The keys of a store's texts, spelled in a background thread from ``start`` on.

    ``start`` reads the texts (a query, on the caller's thread, so that the store is not
    read while it is changed) and leaves the spelling to the thread; nothing is spelled
    when the memo already holds the key file of those texts, as it does on a rebuild.
    ``stop`` (also on leaving a ``with`` block) tells the thread to end after the text it
    is spelling and does not wait for it: a build that fails, or that finds its key file
    in the memo, goes on at once, and the thread (a daemon, holding only its texts) ends on
    its own, after one text.
    """

    def __init__(self, memo: Memo | None = None) -> None:
        self._memo = memo
        self._keys: dict[str, str] = {}
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, store: ox.Store) -> None:
        """Read the texts of ``store`` and start spelling them."""
        texts = sorted_texts(store)
        if self._memo is not None and self._memo.get(_KIND, _memo_key(texts)) is not None:
            return
        self._thread = threading.Thread(
            target=self._spell, args=(texts,), name="pilotkg-pinyin", daemon=True
        )
        self._thread.start()

    def _spell(self, texts: list[str]) -> None:
        keys = self._keys
        try:
            for text in texts:
                if self._stopped.is_set():
                    return
                keys[text] = spelled_key(text)
        except Exception:  # a broken pypinyin fails again, with its message, in collation_keys
            return

    def keys(self) -> dict[str, str]:
        """The keys the thread spelled, once it has ended: every text it read, unless it was
        stopped or pypinyin failed (none if it never started)."""
        if self._thread is not None:
            self._thread.join()
        return dict(self._keys)

    def stop(self) -> None:
        """Tell the thread to end after the text it is spelling."""
        self._stopped.set()

    def __enter__(self) -> KeyingAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def collation_keys(
    store: ox.Store, memo: Memo | None = None, ahead: KeyingAhead | None = None
) -> bytes:
    """The key file of the release in ``store``; from the memo when the same texts were keyed
    by the same pypinyin before (a rebuild then neither imports pypinyin nor keys a text),
    else with the keys ``ahead`` spelled."""
    texts = sorted_texts(store)
    key = _memo_key(texts)
    remembered = memo.get(_KIND, key) if memo is not None else None
    if remembered is not None:
        if ahead is not None:
            ahead.stop()  # the texts read ahead were not these: what it spells is not needed
        return remembered
    document = keys_document(texts, ahead.keys() if ahead is not None else None)
    if memo is not None:
        memo.put(_KIND, key, document)
    return document
