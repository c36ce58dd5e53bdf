"""The Chinese labels' sort keys spelled ahead, while the citations compile (``KeyingAhead``).

What the release's key file holds must not depend on that thread: it keys exactly the texts of
the finished store, takes a key the thread spelled as it is, and spells the rest itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg import collation
from pilotkg.build.memo import Memo
from pilotkg.build.sortkeys import KeyingAhead, collation_keys
from pilotkg.collation import spelled_key
from pilotkg.namespaces import RDFS, SKOS

LABEL = ox.NamedNode(RDFS + "label")
PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")


def zone(number: int) -> ox.NamedNode:
    return ox.NamedNode(f"https://w3id.org/pilotkg/id/zone/z{number}")


def store_of(*labels: tuple[str, ox.NamedNode]) -> ox.Store:
    store = ox.Store()
    for number, (text, predicate) in enumerate(labels):
        store.add(ox.Quad(zone(number), predicate, ox.Literal(text, language="zh")))
    return store


def keys_in(document: bytes) -> dict[str, str]:
    keys: dict[str, str] = json.loads(document)["keys"]
    return keys


def test_the_key_file_holds_the_finished_stores_texts_with_the_keys_spelled_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = store_of(("北京", LABEL), ("上海", LABEL), ("Beijing", LABEL))
    with KeyingAhead() as keying:
        keying.start(store)
        assert keying.keys() == {"上海": "shang4 hai3", "北京": "bei3 jing1"}  # Han texts only
        # From here on a key spelled while the file is written says so: the thread's are used.
        monkeypatch.setattr(collation, "spelled_key", lambda text: f"spelled late: {text}")
        # what the compile does meanwhile: a text goes, a text only a later step states comes
        store.remove(ox.Quad(zone(0), LABEL, ox.Literal("北京", language="zh")))
        store.add(ox.Quad(zone(9), PREF_LABEL, ox.Literal("重庆", language="zh")))
        keys = keys_in(collation_keys(store, None, keying))
    assert keys == {"上海": "shang4 hai3", "重庆": "spelled late: 重庆"}


def test_texts_the_memo_has_keyed_are_not_spelled_again(tmp_path: Path) -> None:
    store = store_of(("北京", LABEL), ("长沙", LABEL))
    memo = Memo(tmp_path / "memo")
    first = collation_keys(store, memo)
    with KeyingAhead(memo) as keying:
        keying.start(store)
        assert keying.keys() == {}
        assert collation_keys(store, memo, keying) == first
    assert keys_in(first) == {"北京": "bei3 jing1", "长沙": "chang2 sha1"}


def test_a_stopped_thread_leaves_the_rest_to_the_key_file() -> None:
    store = store_of(*((f"区{number}", LABEL) for number in range(50)))
    with KeyingAhead() as keying:
        keying.stop()  # before it starts: a build that failed while the thread spelled
        keying.start(store)
        assert keying.keys() == {}
        keys = keys_in(collation_keys(store, None, keying))
    assert len(keys) == 50 and keys["区7"] == spelled_key("区7")
