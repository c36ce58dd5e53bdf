"""The pinyin sort keys a release carries (``collation-zh.json``), and the server using them.

The build keys every Chinese label and title once; a served Chinese table and the endpoint's
``arq:collation`` then read the release's key, not one computed per view. That the server
reads the file is shown by changing a key in a copy of the real release: 郑州 (zheng) is the
last zone in pinyin order and 北京 (bei) the first, but with the key ``a`` the file gives
郑州's zone, it comes first.
A file written by another pypinyin version is not used, so the order is pinyin's again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilotkg.collation import KEYED_PREDICATES, computed_key, pinyin_key, pinyin_version
from pilotkg.release import COLLATION_KEYS, Release
from pilotkg.web.browse_tables import TABLES
from support.web import LiveServer, built_real_source

ZONE = "https://w3id.org/pilotkg/id/zone/"
ZHENGZHOU = "郑州国家新一代人工智能创新发展试验区"  # zone:most-zhengzhou's Chinese label
ZHENGZHOU_IRI = ZONE + "most-zhengzhou"


def _keys(release_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((release_dir / COLLATION_KEYS).read_bytes())
    return document


def test_the_release_keys_every_chinese_label_with_pypinyin() -> None:
    release = Release.open(built_real_source() / "dist")
    assert COLLATION_KEYS in release.files  # listed in SHA256SUMS, served under /dumps/
    document = _keys(release.root)
    assert document["pypinyin"] == pinyin_version()
    keys = document["keys"]
    # by phrase, as pypinyin reads it: 重庆 is chong, 长沙 chang (data/regions.ttl's labels)
    assert keys["重庆市"] == "chong2 qing4 shi4"
    assert keys["长沙市"] == "chang2 sha1 shi4"
    assert keys[ZHENGZHOU] == computed_key(ZHENGZHOU)
    assert all(any("\u3400" <= c <= "\u9fff" for c in text) for text in keys)
    assert "Shenzhen AI Innovation and Application Pilot Zone" not in keys


@pytest.mark.parametrize(
    "text", ["1", "2019", "AI Pilot Zone", "Ünïcode café", "ＡＢＣ", "한국어", "にほんご", "Straße"]
)
def test_a_text_without_han_is_its_own_key_as_pypinyin_says(text: str) -> None:
    """Texts with no Han character (numbers, the year and batch cells) are keyed without
    pypinyin, and get the key pypinyin would give."""
    assert pinyin_key(text) == computed_key(text) == text.casefold()


def test_every_sorted_text_column_is_keyed() -> None:
    """A table's text column sorted in Chinese would otherwise fall back to per-view keys."""
    text_columns = [c for table in TABLES.values() for c in table.columns if c.kind == "text"]
    assert text_columns, "the policies table sorts by its document numbers"
    assert {column.predicate for column in text_columns} <= set(KEYED_PREDICATES)


def _copy_with_keys(tmp_path: Path, change: dict[str, Any]) -> Path:
    """A copy of the real source folder and its release, the key file changed by ``change``."""
    source = tmp_path / "source"
    shutil.copytree(built_real_source(), source, symlinks=True)
    release_dir = (source / "dist").resolve()
    document = _keys(release_dir)
    document.update(change)
    (release_dir / COLLATION_KEYS).write_bytes(json.dumps(document, ensure_ascii=False).encode())
    return source


def _zones(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(server.url + "/zones.json?lang=zh", timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _first_zone(document: dict[str, Any]) -> str:
    first: str = document["rows"][0]["zone"][0]["iri"]
    return first


def _first_single_province(document: dict[str, Any]) -> str:
    """The first of the provinces with one zone in the province facet (sorted in-process)."""
    facet = next(f for f in document["facets"] if f["column"] == "province")
    first: str = next(v["label"] for v in facet["values"] if v["count"] == 1)
    return first


def _collation_of(server: LiveServer, text: str) -> str:
    query = (
        "PREFIX arq: <http://jena.apache.org/ARQ/function#>\n"
        f'SELECT ?key WHERE {{ BIND(arq:collation("zh", "{text}") AS ?key) }}'
    )
    response = httpx.get(
        server.url + "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    value: str = response.json()["results"]["bindings"][0]["key"]["value"]
    return value


def test_a_served_chinese_table_and_the_endpoint_sort_by_the_release_keys(
    tmp_path: Path,
) -> None:
    keys = _keys((built_real_source() / "dist").resolve())["keys"]
    source = _copy_with_keys(tmp_path, {"keys": {**keys, ZHENGZHOU: "a", "河南省": "a"}})
    with LiveServer(source=source) as server:
        zones = _zones(server)
        assert _first_zone(zones) == ZHENGZHOU_IRI  # the rows query, run in-process
        assert _first_single_province(zones) == "河南省"  # not 安徽省 (an): the server's own sort
        # a user's query, answered by a query worker, reads the same file
        assert _collation_of(server, ZHENGZHOU) == f"a\t{ZHENGZHOU}"
        assert _collation_of(server, "长沙市") == "chang2 sha1 shi4\t长沙市"


def test_keys_of_another_pypinyin_are_not_used(tmp_path: Path) -> None:
    keys = _keys((built_real_source() / "dist").resolve())["keys"]
    changed = {**keys, ZHENGZHOU: "a", "河南省": "a"}
    source = _copy_with_keys(tmp_path, {"pypinyin": "0.0.0", "keys": changed})
    with LiveServer(source=source) as server:
        zones = _zones(server)
        assert _first_zone(zones) == ZONE + "beijing"
        assert _first_single_province(zones) == "安徽省"
        assert _collation_of(server, ZHENGZHOU) == f"{computed_key(ZHENGZHOU)}\t{ZHENGZHOU}"
        assert "keys of pypinyin 0.0.0, not the installed" in server.log.read_text()


@pytest.mark.parametrize("broken", [b"{not json", b'{"keys": []}'])
def test_an_unreadable_key_file_leaves_the_keys_to_pypinyin(tmp_path: Path, broken: bytes) -> None:
    source = tmp_path / "source"
    shutil.copytree(built_real_source(), source, symlinks=True)
    (source / "dist" / COLLATION_KEYS).resolve().write_bytes(broken)
    serve = [sys.executable, "-m", "pilotkg", "serve", "--source", str(source)]
    done = subprocess.run(
        [*serve, "--get", "/zones.json?lang=zh"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _first_zone(json.loads(done.stdout)) == ZONE + "beijing"
    assert b"Chinese lists compute their own" in done.stderr
