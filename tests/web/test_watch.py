"""``pilotkg serve --watch`` on a copy of the real sources: an edit that passes every check is
served, with no request dropped while the release is swapped; an edit that fails one is never
served, and every page names the failing check until a later edit passes."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from support.paths import PROJECT
from support.web import LiveServer

pytestmark = pytest.mark.slow  # every test builds the real release more than once

#: The checks a rebuild runs: every one but the OWL reasoner (its JVM start-up is most of a
#: build, and its failures are tested with the build).
SKIPPED = ("--skip", "owl")
PAGE = "/id/zone/shenzhen"
LABEL = '"Shenzhen AI Innovation and Application Pilot Zone"@en'
LABEL_QUERY = "/sparql?query=" + quote(
    "SELECT ?label WHERE { <https://w3id.org/pilotkg/id/zone/shenzhen> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
#: How long one rebuild and swap may take on a loaded machine.
WAIT_S = 120.0


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    """A server watching a copy of the real sources, and that copy's zones file."""
    source = tmp_path / "source"
    for part in ("ontology", "shapes", "queries", "data"):
        shutil.copytree(PROJECT / part, source / part)
    with LiveServer(source=source, args=("--watch", *SKIPPED)) as server:
        yield server, source / "data" / "zones.ttl"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _until(server: LiveServer, path: str, done: Callable[[httpx.Response], bool]) -> httpx.Response:
    """The first answer to GET ``path`` that ``done`` accepts, within ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        response = httpx.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
        if done(response):
            return response
        time.sleep(0.1)
    raise AssertionError(f"{path} did not change within {WAIT_S:.0f} s:\n{server.log.read_text()}")


def _label(server: LiveServer) -> set[str]:
    response = httpx.get(
        server.url + LABEL_QUERY, headers={"Accept": "application/sparql-results+json"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return {row["label"]["value"] for row in response.json()["results"]["bindings"]}


class Traffic:
    """Requests sent one after another on one kept-alive connection until stopped, each answer
    recorded: a swap must not drop or fail any of them."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.statuses: list[int] = []
        self.errors: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def _send(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            while self.running:
                for path, accept in (
                    (PAGE, "text/html"),
                    (LABEL_QUERY, "application/sparql-results+json"),
                ):
                    try:
                        response = client.get(path, headers={"Accept": accept})
                        self.statuses.append(response.status_code)
                    except httpx.HTTPError as error:
                        self.errors.append(repr(error))

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=60)


def test_an_edit_that_passes_is_served_without_dropping_a_request(
    watched: tuple[LiveServer, Path],
) -> None:
    server, zones = watched
    traffic = Traffic(server)
    try:
        _edit(zones, LABEL, LABEL.replace("Pilot Zone", "Pilot Zone EDITED"))
        page = _until(server, PAGE, lambda r: "Pilot Zone EDITED" in r.text)
        assert "build-failure" not in page.text and "pilotkg-build-failure" not in page.headers
        assert "Shenzhen AI Innovation and Application Pilot Zone EDITED" in _label(server)
        # and once more, so that a swapped-in release is itself swapped out
        _edit(zones, "Pilot Zone EDITED", "Pilot Zone EDITED TWICE")
        _until(server, PAGE, lambda r: "EDITED TWICE" in r.text)
    finally:
        traffic.stop()
    assert traffic.errors == [] and set(traffic.statuses) == {200}, traffic.errors
    assert len(traffic.statuses) > 10


def test_a_failing_edit_is_never_served(watched: tuple[LiveServer, Path]) -> None:
    server, zones = watched
    original = zones.read_text(encoding="utf-8")
    # A changed label with a sector that does not exist: SHACL fails on the zone's pilot:sector.
    _edit(zones, LABEL, LABEL.replace("Pilot Zone", "Pilot Zone FAILING"))
    _edit(
        zones,
        "zone:shenzhen a pilot:PilotZone ;",
        "zone:shenzhen a pilot:PilotZone ;\n    pilot:sector sector:no-such-sector ;",
    )
    page = _until(server, PAGE, lambda r: "build-failure" in r.text)
    assert "FAILING" not in page.text
    banner = page.text.split('class="build-failure"', 1)[1].split("</section>", 1)[0]
    assert "[shacl] Violation: &lt;https://w3id.org/pilotkg/id/zone/shenzhen&gt;" in banner
    assert "path &lt;https://w3id.org/pilotkg/ontology#sector&gt;" in banner
    # the old release, with the banner on every page and a header on every other answer
    assert _label(server) == {
        "Shenzhen AI Innovation and Application Pilot Zone",
        "深圳人工智能创新应用先导区",
    }
    turtle = httpx.get(server.url + PAGE, headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and "FAILING" not in turtle.text
    assert "Violation: <https://w3id.org/pilotkg/id/" in turtle.headers["pilotkg-build-failure"]
    missing = httpx.get(server.url + "/no/such/page", headers={"Accept": "text/html"}, timeout=30)
    assert missing.status_code == 404 and "build-failure" in missing.text

    # A file that does not parse: the banner names it and its line.
    zones.write_text(original + "\nzone:broken pilot:batch .\n", encoding="utf-8")
    page = _until(server, PAGE, lambda r: "zones.ttl:" in r.text)
    assert "FAILING" not in page.text

    # Fixed: the next edit that passes is served and the banner goes.
    zones.write_text(
        original.replace(LABEL, LABEL.replace("Pilot Zone", "Pilot Zone FIXED")), encoding="utf-8"
    )
    page = _until(server, PAGE, lambda r: "Pilot Zone FIXED" in r.text)
    assert "build-failure" not in page.text and "pilotkg-build-failure" not in page.headers
