"""``pilotkg serve`` serves every frozen version read-only under ``/releases/VERSION/``: the series
at ``/releases/``, each version's changes page in both languages, each entity page as that
version had it, and on the latest pages the versions each one links to. The two versions are
those of ``support/versions.py``; the expectations are written from its three changes by hand."""

from __future__ import annotations

import atexit
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from pilotkg.build import pipeline
from pilotkg.web.app import create_app
from pilotkg.web.settings import Settings
from support.versions import FIRST, SECOND, edit, two_versions
from support.web import SKIP_ALL, TEST_SETTINGS, LiveServer

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    running = LiveServer(source=two_versions())
    atexit.register(running.stop)
    yield running
    running.stop()


def _get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers or HTML, timeout=10)


def _text(response: httpx.Response) -> str:
    """What a reader sees: the page less its tags, its spaces collapsed, none before a stop nor
    after an opening bracket or a Chinese stop (a tag's place is a space, as between a heading
    and its cell)."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    return re.sub(r"(?<=[(（：；，。]) | (?=[.,;:)）；：，。])", "", text)


def test_the_series_lists_both_versions_with_their_dates_and_changes(server: LiveServer) -> None:
    page = _get(server, "/releases/?lang=en")
    assert page.status_code == 200
    text = _text(page)
    assert text.index(f"{SECOND} 1 March 2026") < text.index(f"{FIRST} 15 January 2026")
    assert (
        f"Since {FIRST}: 4 entities changed (1 new, 0 removed); 1 fact added, 1 fact removed, "
        "3 values changed." in text
    )
    assert "The first frozen release." in text
    assert f'href="/releases/{SECOND}/changes?lang=en"' in page.text
    turtle = _get(server, "/releases/", Accept="text/turtle")
    assert turtle.headers["content-type"].startswith("text/turtle")
    triples = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)
    }
    dataset = "https://w3id.org/pilotkg/dataset"
    assert (
        f"{dataset}/{SECOND}",
        "http://www.w3.org/ns/dcat#previousVersion",
        f"{dataset}/{FIRST}",
    ) in triples


def test_the_changes_page_names_what_changed_in_english(server: LiveServer) -> None:
    text = _text(_get(server, f"/releases/{SECOND}/changes?lang=en"))
    assert f"What changed in release {SECOND}" in text
    assert f"Issued on 1 March 2026. Compared with release {FIRST}." in text
    assert (
        "Shenzhen AI Innovation and Application Pilot Zone 深圳人工智能创新应用先导区 AI pilot zone "
        "approval date was 14 October 2019 (cited by source:workercn-2019-10-19); "
        "now 15 October 2019 (cited by source:workercn-2019-10-19)"
    ) in text
    assert "located in removed: Qingdao" in text
    assert "Hangzhou 杭州市 region · new in this release" in text
    assert "id/statement/" not in text


def test_the_changes_page_speaks_chinese(server: LiveServer) -> None:
    text = _text(_get(server, f"/releases/{SECOND}/changes?lang=zh"))
    assert f"{SECOND} 版本的变化" in text
    assert (
        "批复日期 原为 2019年10月14日 （引自 source:workercn-2019-10-19）；现为 2019年10月15日"
        in text
    )
    assert "所在地区 删除：青岛市" in text
    assert "杭州市 Hangzhou 地区 · 本版本新增" in text
    for english in ("What changed", "Issued on", "was ", "cited by", "new in this release"):
        assert english not in text


def test_the_changes_page_as_rdf_is_the_changeset(server: LiveServer) -> None:
    turtle = _get(server, f"/releases/{SECOND}/changes", Accept="text/turtle")
    changed = {
        q.object.value
        for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)
        if q.predicate.value == "http://purl.org/vocab/changeset/schema#subjectOfChange"
    }
    assert {
        "https://w3id.org/pilotkg/id/zone/shenzhen",
        "https://w3id.org/pilotkg/id/zone/jinan-qingdao",
        "https://w3id.org/pilotkg/id/region/hangzhou",
    } <= changed


def test_an_old_entity_page_shows_the_old_value(server: LiveServer) -> None:
    old = _get(server, f"/releases/{FIRST}/id/zone/shenzhen?lang=en")
    assert old.status_code == 200
    text = _text(old)
    assert "approval date 14 October 2019" in text and "15 October 2019" not in text
    assert (
        f"This page shows it as release {FIRST} had it, frozen on 15 January 2026. "
        "The latest release has changed it since." in text
    )
    assert 'href="/id/zone/shenzhen?lang=en">The latest release</a>' in old.text
    assert f"pilotkg release {FIRST}" in text  # the footer names the version read
    assert "approval date 15 October 2019" in _text(_get(server, "/id/zone/shenzhen?lang=en"))
    located = (
        "<https://w3id.org/pilotkg/id/zone/jinan-qingdao> "
        "<https://w3id.org/pilotkg/ontology#locatedIn> <https://w3id.org/pilotkg/id/region/qingdao> ."
    )
    assert located in _get(server, f"/releases/{FIRST}/id/zone/jinan-qingdao.nt").text
    assert located not in _get(server, "/id/zone/jinan-qingdao.nt").text
    assert _get(server, f"/releases/{FIRST}/id/region/hangzhou?lang=en").status_code == 404


def test_a_latest_page_links_to_its_earlier_versions_and_says_if_it_changed(
    server: LiveServer,
) -> None:
    changed = _get(server, "/id/zone/shenzhen?lang=en")
    text = _text(changed)
    assert f"release {SECOND} (1 March 2026): as in the latest release" in text
    assert f"release {FIRST} (15 January 2026): changed since then" in text
    assert f'href="/releases/{FIRST}/id/zone/shenzhen?lang=en"' in changed.text
    same = _text(_get(server, "/id/zone/beijing?lang=en"))
    assert f"release {FIRST} (15 January 2026): as in the latest release" in same
    new = _text(_get(server, "/id/region/hangzhou?lang=en"))
    assert f"release {SECOND} (1 March 2026)" in new and f"release {FIRST}" not in new
    chinese = _text(_get(server, "/id/zone/shenzhen?lang=zh"))
    assert f"{FIRST} 版本 （2026年1月15日）：此后有改动" in chinese


def test_a_frozen_version_serves_its_files_as_they_were(server: LiveServer) -> None:
    frozen = two_versions() / "releases" / FIRST
    dump = _get(server, f"/releases/{FIRST}/dumps/pilotkg.ttl", Accept="*/*")
    assert dump.content == (frozen / "pilotkg.ttl").read_bytes()
    listing = _get(server, f"/releases/{FIRST}/dumps/?lang=en").text
    assert f'href="/releases/{FIRST}/dumps/CHANGES.md"' in listing
    void = _get(server, f"/releases/{FIRST}/.well-known/void", Accept="text/turtle")
    assert void.status_code == 200 and b"void:triples" in void.content


def test_what_a_frozen_version_does_not_serve_is_the_latest_releases(server: LiveServer) -> None:
    for asked, where in (
        (f"/releases/{FIRST}/zones?lang=en", "/zones?lang=en"),
        (f"/releases/{FIRST}/search?q=shenzhen", "/search?q=shenzhen"),
        (f"/releases/{FIRST}//evil.example/x", "/evil.example/x"),
        (f"/releases/{FIRST}/%5Cevil.example", "/evil.example"),
    ):
        response = httpx.get(server.url + asked, follow_redirects=False, timeout=10)
        assert (response.status_code, response.headers["location"]) == (307, where), asked
    home = httpx.get(server.url + f"/releases/{FIRST}/", follow_redirects=False, timeout=10)
    assert home.headers["location"] == f"/releases/{FIRST}/changes"


def test_an_unknown_version_is_one_line_and_404(server: LiveServer) -> None:
    for version in ("9.9.9", "latest"):
        response = _get(server, f"/releases/{version}/id/zone/shenzhen", Accept="text/plain")
        assert response.status_code == 404
        assert response.text == (
            f"404 Not found: There is no frozen release {version}; the frozen releases are "
            "listed at /releases/.\n"
        )


def test_only_the_newest_frozen_releases_are_served() -> None:
    settings = Settings(
        release_dir=two_versions() / "dist", source_dir=two_versions()
    ).with_settings((*TEST_SETTINGS, ("frozen_release_entries", "1")))
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    old = client.get(f"/releases/{FIRST}/id/zone/shenzhen", headers={"Accept": "text/plain"})
    assert old.status_code == 404
    assert "serves the newest 1 (the setting frozen_release_entries)" in old.text
    assert client.get(f"/releases/{SECOND}/id/zone/shenzhen").status_code == 200
    listing = client.get("/releases/?lang=en").text
    assert "1 older frozen release is not served here." in listing


def test_a_release_newer_than_every_frozen_one_compares_with_the_newest(tmp_path: Path) -> None:
    """``dist/`` rebuilt after the last freeze: Shenzhen's approval date changed again and
    Hangzhou removed; Beijing stays as frozen in 1.1.0."""
    source = tmp_path / "source"
    shutil.copytree(two_versions(), source, symlinks=True)
    edit(source / "data" / "zones.ttl", '"2019-10-15"^^xsd:date', '"2019-10-16"^^xsd:date')
    hangzhou = (
        (source / "data" / "regions.ttl").read_text(encoding="utf-8").split("\nregion:hangzhou ")
    )
    (source / "data" / "regions.ttl").write_text(hangzhou[0] + "\n", encoding="utf-8")
    pipeline.build(source, source / "dist", skip=SKIP_ALL)
    settings = Settings(release_dir=source / "dist", source_dir=source).with_settings(TEST_SETTINGS)
    client = TestClient(create_app(settings), raise_server_exceptions=False)

    def text(path: str) -> str:
        return _text(client.get(path, headers=HTML))  # type: ignore[arg-type]

    assert f"release {SECOND} (1 March 2026): changed since then" in text(
        "/id/zone/shenzhen?lang=en"
    )
    assert f"release {SECOND} (1 March 2026): as in the latest release" in text(
        "/id/zone/beijing?lang=en"
    )
    assert "The latest release has changed it since." in text(
        f"/releases/{SECOND}/id/zone/shenzhen?lang=en"
    )
    assert client.get("/id/region/hangzhou").status_code == 404
    assert "The latest release no longer holds it." in text(
        f"/releases/{SECOND}/id/region/hangzhou?lang=en"
    )
