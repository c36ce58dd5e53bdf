"""Settings, the ``serve`` command, the SPARQL text guard and the docstring examples of pilotkg.web."""

from __future__ import annotations

import doctest
import importlib
import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pilotkg.build.pipeline import ensure_release
from pilotkg.cli import main
from pilotkg.errors import UsageError
from pilotkg.release import Release
from pilotkg.sparqltext import form_of, tokens
from pilotkg.web.app import create_app
from pilotkg.web.guard import judge, service_targets
from pilotkg.web.settings import Settings, settings_table
from pilotkg.web.stores import open_stores
from pilotkg.web.workers import Job, execute
from support.paths import PROJECT
from support.web import SKIP_ALL, built_source, make_settings

ROOT = PROJECT


def test_every_setting_is_documented_in_the_settings_table() -> None:
    """Each row of ``pilotkg serve --help-settings`` stands in the README as it is printed,
    so that what the README says a setting does is what the code says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    rows = {row.split("`")[1]: row for row in settings_table().splitlines()[2:]}
    for setting in Settings.tunables():
        assert setting.metadata["doc"], f"{setting.name} has no documentation in settings.py"
        assert rows[setting.name] in readme, (
            f"setting {setting.name}: its row in the settings table of README.md is missing "
            "or differs: paste `pilotkg serve --help-settings` there"
        )


def test_every_setting_name_carries_a_unit_or_is_a_list() -> None:
    units = (
        "_s",
        "_rows",
        "_bytes",
        "_workers",
        "_results",
        "_entries",
        "_url",
        "_allowlist",
        "_mb",
        "_queries",
        "_levels",
        "_networks",
    )
    for setting in Settings.tunables():
        assert setting.name.endswith(units), f"{setting.name} does not say its unit"


def test_with_settings_parses_and_rejects() -> None:
    base = Settings(release_dir=Path("dist"), source_dir=Path())
    changed = base.with_settings(
        [
            ("query_timeout_s", "2.5"),
            ("max_result_rows", "7"),
            ("service_allowlist", "https://a/sparql, https://b/sparql"),
        ]
    )
    assert changed.query_timeout_s == 2.5 and changed.max_result_rows == 7
    assert changed.service_allowlist == ("https://a/sparql", "https://b/sparql")
    assert base.with_settings([("service_allowlist", "")]).service_allowlist == ()
    with pytest.raises(UsageError, match=r"no such setting.*query_timeout_s"):
        base.with_settings([("timeout", "5")])
    with pytest.raises(UsageError, match="expected a number"):
        base.with_settings([("query_timeout_s", "soon")])
    with pytest.raises(UsageError, match="above 0"):
        base.with_settings([("query_workers", "0")])
    for value in ("nan", "inf"):  # a time limit that never fires is no limit
        with pytest.raises(UsageError, match="above 0"):
            base.with_settings([("query_timeout_s", value)])
    with pytest.raises(UsageError, match="of 0 or more"):
        base.with_settings([("query_memory_mb", "-1")])
    assert base.with_settings([("query_memory_mb", "0")]).query_memory_mb == 0
    with pytest.raises(UsageError, match="expected an http"):
        base.with_settings([("service_allowlist", "notaurl")])
    with pytest.raises(UsageError, match="expected a network"):
        base.with_settings([("service_private_networks", "10.0.0.0/99")])


def test_serve_get_answers_one_request_in_process() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["serve", "--source", str(built_source()), "--get", "/id/zone/shenzhen.nt"]
    )
    assert result.exit_code == 0, result.output
    triples = list(ox.parse(result.stdout.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert any(t.subject.value == "https://w3id.org/pilotkg/id/zone/shenzhen" for t in triples)
    missing = runner.invoke(
        main, ["serve", "--source", str(built_source()), "--get", "/id/zone/atlantis"]
    )
    assert missing.exit_code == 1 and "404" in missing.output


def test_serve_reports_a_bad_setting_in_one_line() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--source", str(built_source()), "--setting", "speed", "11", "--get", "/"]
    )
    assert result.exit_code == 2
    assert "error: --setting speed: no such setting" in result.output
    assert "Traceback" not in result.output


# --- the guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "select"),
        ("PREFIX a: <x:> ASK {}", "ask"),
        ("BASE <http://e/> CONSTRUCT WHERE { ?s ?p ?o }", "construct"),
        ("describe <http://e/>", "describe"),
        ("LOAD <http://10.0.0.1/x>", "update"),
        ("WITH <g:> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
        ("# INSERT\nSELECT * {}", "select"),
    ],
)
def test_guard_finds_the_form(text: str, form: str) -> None:
    assert form_of(tokens(text)) == form


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ('SELECT * { ?s ?p "SERVICE <http://10.0.0.1/>" }', []),
        ("SELECT * { ?s ?p ?o } # SERVICE <http://10.0.0.1/>", []),
        ("SELECT * { SERVICE <http://127.0.0.1/> {} }", ["http://127.0.0.1/"]),
        ("SELECT * { service silent <http://10.0.0.1/> {} }", ["http://10.0.0.1/"]),
        ("SELECT * { SERVICE <http:\\u002F\\u002F10.0.0.1/> {} }", ["http://10.0.0.1/"]),
        (
            "PREFIX w: <http://10.0.0.1/> SELECT * { SERVICE w:sparql {} }",
            ["http://10.0.0.1/sparql"],
        ),
        ("SELECT * { SERVICE ?where {} }", [None]),
        (
            "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\'b ?o . SERVICE <http://10.0.0.1/> {} }",
            ["http://10.0.0.1/"],
        ),
        (
            "SELECT * { BIND(1 AS ?a) FILTER(?a<'>') SERVICE <http://127.0.0.1:9/s> {} FILTER(?a!='') }",
            ["http://127.0.0.1:9/s"],
        ),
    ],
)
def test_guard_reads_every_service_as_the_grammar_does(
    text: str, targets: list[str | None]
) -> None:
    assert [iri for _, iri in service_targets(text)] == targets


WIKIDATA = ("https://query.wikidata.org/sparql",)


def test_guard_allows_only_allowlisted_endpoints_after_normalisation() -> None:
    for target in (
        "<https://query.wikidata.org/sparql>",
        "<HTTPS://Query.Wikidata.ORG:443/sparql>",
    ):
        verdict = judge(f"SELECT * {{ SERVICE {target} {{ ?s ?p ?o }} }}", WIKIDATA, max_depth=64)
        assert (verdict.status, verdict.lane) == (0, "federated"), verdict
    for target in (
        "<https://query.wikidata.org/sparql/../x>",
        "<https://query.wikidata.org.evil/sparql>",
        "<https://query.wikidata.org@127.0.0.1/sparql>",
        "<https://query.wikidata.org:8443/sparql>",
        "?x",
    ):
        verdict = judge(f"SELECT * {{ SERVICE {target} {{}} }}", WIKIDATA, max_depth=64)
        assert verdict.status == 403 and "not allowed" in verdict.message, target


def test_guard_sends_queries_without_service_to_sealed_workers() -> None:
    for text in ("SELECT ?service { ?service ?p ?o }", "ASK { ?s ?p 'no service here' }", "ASK {}"):
        verdict = judge(text, WIKIDATA, max_depth=64)
        assert (verdict.status, verdict.lane, verdict.check_only) == (0, "sealed", ""), text


def test_guard_refuses_a_federated_query_that_mentions_service_elsewhere() -> None:
    for text in (
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p 'service' } }",
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } } # service",
        "SELECT * { SERVICE <https://query.wikidata.org/sparql> { ?s ?p '\\u0041' } }",
    ):
        verdict = judge(text, WIKIDATA, max_depth=64)
        assert verdict.status == 403 and "only as the keyword" in verdict.message, text


def test_guard_leaves_what_it_cannot_read_to_a_parse_only_check() -> None:
    for text in (
        "SELECT * { BIND(1 AS ?a) FILTER(?a<'>#') SERVICE <http://127.0.0.1:9/s> { ?x ?p ?o } }",
        "SELECT * { ?s <x:y#> ?o SERVICE<http://10.0.0.1/>{} }",  # rdflib stumbles on this one
    ):
        verdict = judge(text, WIKIDATA, max_depth=64)
        assert verdict.lane == "sealed" and "cannot read" in verdict.check_only, text


def test_guard_refuses_deep_nesting_before_parsing() -> None:
    verdict = judge("SELECT * WHERE " + "{" * 5000 + "}" * 5000, WIKIDATA, max_depth=64)
    assert verdict.status == 400 and "5000 levels deep" in verdict.message
    assert judge("SELECT * WHERE " + "{" * 64 + "}" * 64, WIKIDATA, max_depth=64).status == 0


def test_worker_execute_limits_rows_and_serialises_every_results_format() -> None:
    store = ox.Store()
    node = ox.NamedNode("https://example.org/a")
    for index in range(5):
        store.add(
            ox.Quad(
                node,
                ox.NamedNode(f"https://example.org/p{index}"),
                ox.Literal(f"v{index}", language="en"),
            )
        )
    assert execute(store, Job("SELECT * { ?s ?p ?o }", "json", 4)).status == 422
    for name in ("json", "xml", "csv", "tsv"):
        outcome = execute(store, Job("SELECT * { ?s ?p ?o }", name, 5))
        assert outcome.status == 200 and outcome.rows == 5, outcome.message
    tsv = execute(store, Job("SELECT ?o { ?s ?p ?o } ORDER BY ?o LIMIT 1", "tsv", 5)).body.decode()
    assert tsv.splitlines()[1] == '"v0"@en'
    assert execute(store, Job("SELECT * {", "json", 5)).status == 400


@pytest.mark.parametrize(
    "module",
    [
        "pilotkg.web.guard",
        "pilotkg.web.negotiate",
        "pilotkg.web.knowledge",
        "pilotkg.web.pictures",
        "pilotkg.web.egress",
        "pilotkg.web.security",
        "pilotkg.web.lookups",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


# --- release, stores, base URL ------------------------------------------------------------------


def test_ensure_release_rebuilds_only_when_sources_are_newer(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(built_source(), source)
    said: list[str] = []
    release = ensure_release(source, source / "dist", skip=SKIP_ALL, progress=said.append)
    assert "up to date" in said[-1] and release.files
    later = time.time() + 5
    os.utime(source / "data" / "zones.ttl", (later, later))
    ensure_release(source, source / "dist", skip=SKIP_ALL, progress=said.append)
    assert any("the sources are newer" in line for line in said)
    assert (source / "dist" / "SHA256SUMS").stat().st_mtime >= later - 5


def test_store_on_disk_is_reused_while_the_release_is_unchanged(tmp_path: Path) -> None:
    release = Release.open(built_source() / "dist")
    stores = open_stores(release, tmp_path / "store")
    triples = len(stores.main)
    del stores
    marker = next((tmp_path / "store").glob("*.sha256"))
    loaded_at = marker.stat().st_mtime
    again = open_stores(release, tmp_path / "store")
    assert len(again.main) == triples and marker.stat().st_mtime == loaded_at
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        open_stores(release, foreign)


def test_base_url_sets_links_and_the_endpoint_iri() -> None:
    settings = make_settings(base_url="https://example.org/pilotkg/", query_workers=1)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/id/zone/shenzhen", headers={"Accept": "text/html"}).text
        assert 'href="/pilotkg/id/region/shenzhen?lang=en"' in page
        assert 'href="/pilotkg/static/style.css"' in page
        description = client.get("/sparql", headers={"Accept": "application/n-triples"}).text
        assert "<https://example.org/pilotkg/sparql>" in description
        head = client.head("/id/zone/shenzhen.ttl")
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"]
