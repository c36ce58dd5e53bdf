"""``/dumps/pilotkg.nt.gz`` as a download and as N-Triples an RDF client loads by URL."""

from __future__ import annotations

import gzip

import httpx
import rdflib
from starlette.testclient import TestClient

from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: web_client, live_server

DUMP = "/dumps/pilotkg.nt.gz"


def _file(web_client: TestClient) -> bytes:
    site = web_client.app.state.site  # type: ignore[attr-defined]
    path = site.release.path("pilotkg.nt.gz")
    return bytes(path.read_bytes())


def test_a_download_gets_the_gzipped_file(web_client: TestClient) -> None:
    for accept in (None, "*/*", "application/gzip"):
        headers = {"Accept": accept} if accept else {}
        response = web_client.get(DUMP, headers={**headers, "Accept-Encoding": "identity"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in response.headers
        assert response.content == _file(web_client), accept
        assert "Accept-Encoding" in response.headers["vary"]


def test_an_rdf_client_gets_ntriples_gunzipped_or_gzip_encoded(web_client: TestClient) -> None:
    expected = gzip.decompress(_file(web_client))
    plain = web_client.get(
        DUMP, headers={"Accept": "application/n-triples", "Accept-Encoding": "identity"}
    )
    assert plain.headers["content-type"].startswith("application/n-triples")
    assert "content-encoding" not in plain.headers and plain.content == expected
    packed = web_client.get(
        DUMP, headers={"Accept": "application/n-triples", "Accept-Encoding": "gzip"}
    )
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == expected  # the client decodes the transfer
    assert len({plain.headers["etag"], packed.headers["etag"]}) == 2


def test_rdflib_loads_the_dump_by_url(live_server: LiveServer) -> None:
    graph = rdflib.Graph().parse(live_server.url + DUMP, format="nt")
    direct = httpx.get(live_server.url + DUMP, headers={"Accept": "application/gzip"})
    lines = [line for line in gzip.decompress(direct.content).splitlines() if line.strip()]
    assert len(graph) == len(lines) > 100


def test_rdflib_negotiates_the_dump_by_url(live_server: LiveServer) -> None:
    """No format given: rdflib sends its RDF Accept header and reads what comes back."""
    graph = rdflib.Graph().parse(live_server.url + DUMP)
    assert len(graph) > 100
