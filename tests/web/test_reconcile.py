"""The reconciliation service at /reconcile (W3C Entity Reconciliation API 0.2, what OpenRefine 3.x
speaks), on a real server over the project's own data.

Every kind of request and answer is checked against the spec's own JSON Schemas (copied unchanged
into ``tests/data/reconciliation-api-0.2/``, with a README saying whose they are), and the spec's own valid and invalid examples are
run through the schemas and, where they are requests, through the service. A hand-checked
column of names is reconciled with a real client library, the PyPI ``reconciler`` (it POSTs
``queries=`` forms, ten queries at a time), and the requests OpenRefine sends are written as
its code writes them (``StandardReconConfig.batchRecon`` and ``createJob``,
``GuessTypesOfColumnCommand``, ``ReconciledDataExtensionJob``, read in OpenRefine's
repository): a ``queries`` form of ``{"q0": {...}, "q1": ...}``, ``type_strict: "should"``
whenever a type is chosen, a reconciled cell as ``{"id", "name"}``, an ``extend`` form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pandas as pd
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from support.interface_words import english_words, names_without_chinese
from support.paths import TEST_DATA
from support.web import LiveServer

pytest_plugins = ["support.web_fixtures"]  # the shared fixtures: real_server

SPEC = TEST_DATA / "reconciliation-api-0.2"
SCHEMAS = SPEC / "schemas"
EXAMPLES = SPEC / "examples"
BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"
#: The spec's example folders, each with the schema (and the part of it) its documents obey.
EXAMPLE_SCHEMAS = {
    "manifest": BASE + "manifest.json",
    "data-extension-metadata": BASE + "manifest.json#/properties/extend",
    "preview-metadata": BASE + "manifest.json#/properties/preview",
    "suggest-metadata": BASE + "manifest.json#/properties/suggest/definitions/service_definition",
    "security-scheme": "http://swagger.io/v2/schema.json#/definitions/securityDefinitions/"
    "additionalProperties",
    "reconciliation-query-batch": BASE + "reconciliation-query.json",
    "reconciliation-result-batch": BASE + "reconciliation-result-batch.json",
    "reconciliation-candidate": BASE
    + "reconciliation-result-batch.json#/patternProperties/^.*$/properties/result/items",
    "suggest-entities-response": BASE + "suggest-entities-response.json",
    "suggest-properties-response": BASE + "suggest-properties-response.json",
    "suggest-types-response": BASE + "suggest-types-response.json",
    "data-extension-property-proposal": "https://reconciliation-api.github.io/specs/draft/"
    "schemas/data-extension-property-proposal.json",
    "data-extension-query": BASE + "data-extension-query.json",
    "data-extension-response": BASE + "data-extension-response.json",
}
#: The spec's example documents that are JSON and that no schema describes.
UNSCHEMED = {"flyout-response"}


# --- the spec's schemas --------------------------------------------------------------------


@cache
def _registry() -> Registry:
    """Every schema of the spec under its own ``$id`` (``openapi.json`` is Swagger 2.0's schema,
    which the manifest's ``authentication`` refers to), so that no reference leaves the disk."""
    if not SCHEMAS.is_dir():
        pytest.fail(
            f"the spec's schemas are not at {SCHEMAS} (copied from the spec: see its README)"
        )
    registry: Registry = Registry()
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        registry = registry.with_resource(schema["$id"].rstrip("#"), resource)
    return registry


def _errors(document: object, uri: str) -> list[str]:
    """The spec schema's complaints about ``document`` (the schema, or the part of it at
    ``uri``'s fragment); [] when it is valid. Draft 7 reads the spec's untagged schemas."""
    validator = jsonschema.Draft7Validator({"$ref": uri}, registry=_registry())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _valid(document: object, schema: str) -> None:
    errors = _errors(document, EXAMPLE_SCHEMAS[schema])
    assert errors == [], f"not a valid {schema}: {errors}"


#: Examples the spec's own schemas judge otherwise than its folders say, and why.
SPEC_DISAGREES = {
    "security-scheme/valid/http_basic_auth": "the manifest schema takes Swagger 2.0's security "
    "schemes (openapi.json), where basic authentication is {'type': 'basic'}; this example is "
    "OpenAPI 3's {'type': 'http', 'scheme': 'basic'} (this service asks for no authentication)",
}


def _examples() -> Iterator[Any]:
    for path in sorted(EXAMPLES.glob("*/*/*.json")):
        kind, verdict = path.parts[-3], path.parts[-2]
        name = f"{kind}/{verdict}/{path.stem}"
        why = SPEC_DISAGREES.get(name)
        marks = [pytest.mark.xfail(reason=why, strict=True)] if why else []
        yield pytest.param(kind, verdict, path, id=name, marks=marks)


@pytest.mark.parametrize(("kind", "verdict", "path"), list(_examples()))
def test_the_specs_examples_pass_and_fail_its_schemas(kind: str, verdict: str, path: Path) -> None:
    """The validator reads the schemas as the spec means them: each valid example passes and
    each invalid one fails, so a pass below says something."""
    if kind in UNSCHEMED:
        assert set(json.loads(path.read_text(encoding="utf-8"))) == {"id", "html"}
        return
    errors = _errors(json.loads(path.read_text(encoding="utf-8")), EXAMPLE_SCHEMAS[kind])
    assert (errors == []) == (verdict == "valid"), errors


def test_every_example_folder_has_its_schema() -> None:
    folders = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and any(p.glob("*/*.json"))}
    assert folders == set(EXAMPLE_SCHEMAS) | UNSCHEMED


# --- talking to the service ----------------------------------------------------------------


def _service(server: LiveServer) -> str:
    return server.url + "/reconcile"


def _post(server: LiveServer, **form: str) -> httpx.Response:
    return httpx.post(_service(server), data=form, timeout=30)


def _batch(server: LiveServer, queries: dict[str, Any]) -> dict[str, Any]:
    _valid(queries, "reconciliation-query-batch")
    response = _post(server, queries=json.dumps(queries, ensure_ascii=False))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    found: dict[str, Any] = response.json()
    _valid(found, "reconciliation-result-batch")
    assert set(found) == set(queries)
    return found


def _one_line(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    text = response.text.strip()
    assert "\n" not in text and "Traceback" not in text
    for word in words:
        assert word in text, text


def test_the_manifest(real_server: LiveServer) -> None:
    response = httpx.get(_service(real_server), headers={"Origin": "http://127.0.0.1:3333"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"  # CORS, as the API asks
    manifest = response.json()
    _valid(manifest, "manifest")
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://w3id.org/pilotkg/id/"
    assert manifest["schemaSpace"] == "https://w3id.org/pilotkg/ontology#"
    assert manifest["batchSize"] == 100
    types = {t["id"]: t["name"] for t in manifest["defaultTypes"]}
    assert list(types)[:5] == ["zone", "base", "policy", "region", "organisation"]
    assert types["zone"] == "AI pilot zone"
    assert set(manifest["suggest"]) == {"entity", "type", "property"}
    assert "propose_properties" in manifest["extend"]
    # The view template leads to the entity's page, whether the client puts the identifier in
    # as it is (OpenRefine's encodeURI) or as a URI component, as the spec says clients must.
    for identifier in ("zone/shenzhen", "zone%2Fshenzhen"):
        page = httpx.get(manifest["view"]["url"].replace("{{id}}", identifier), headers=_HTML)
        assert page.status_code == 200 and "深圳人工智能创新应用先导区" in page.text
    preview = httpx.get(manifest["preview"]["url"].replace("{{id}}", "zone%2Fshenzhen"))
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")


def test_the_manifest_in_chinese_keeps_the_language_in_its_links(real_server: LiveServer) -> None:
    manifest = httpx.get(_service(real_server) + "?lang=zh").json()
    _valid(manifest, "manifest")
    assert manifest["name"] == "pilotkg：中国人工智能试点区、中试基地与政策"
    assert {"id": "zone", "name": "人工智能试点区"} in manifest["defaultTypes"]
    assert manifest["view"]["url"].endswith("/id/{{id}}?lang=zh")
    assert manifest["preview"]["url"].endswith("/reconcile/preview?id={{id}}&lang=zh")


# --- the spec's requests through the service ---------------------------------------------

#: What the spec's examples (written for the German National Library's service) name, and
#: the type or property of this service that stands in for it.
OURS = {
    "DifferentiatedPerson": "zone",
    "professionOrOccupation": "programme",
    "affiliation": "region",
    "uid": "wikidata",
    "variantName": "label_zh",
    "geographicAreaCode": "province",
    "wikidataId": "wikidata",
}
FOREIGN = re.compile("|".join(OURS))


def _requests(kind: str) -> list[Any]:
    return [
        pytest.param(path, path.parts[-2] == "valid", id=f"{path.parts[-2]}/{path.stem}")
        for path in sorted((EXAMPLES / kind).glob("*/*.json"))
    ]


@pytest.mark.parametrize(("path", "valid"), _requests("reconciliation-query-batch"))
def test_the_specs_query_batches(real_server: LiveServer, path: Path, valid: bool) -> None:
    """An invalid batch gets 400 and one line; a valid one is answered, or refused with one line
    naming the type or property of another service that it names; with ours in their place
    every valid one is answered with a valid result batch."""
    text = path.read_text(encoding="utf-8")
    response = _post(real_server, queries=text)
    if not valid:
        _one_line(response, 400, "Query q")
        return
    foreign = FOREIGN.findall(text)
    if foreign:
        _one_line(response, 400, "there is no")
        assert any(name in response.text for name in foreign), response.text
        text = FOREIGN.sub(lambda m: OURS[m[0]], text)
    found = _batch(real_server, json.loads(text))
    assert all(isinstance(answer["result"], list) for answer in found.values())


@pytest.mark.parametrize(("path", "valid"), _requests("data-extension-query"))
def test_the_specs_extension_queries(real_server: LiveServer, path: Path, valid: bool) -> None:
    text = path.read_text(encoding="utf-8")
    assert valid
    _one_line(_post(real_server, extend=text), 400, "There is no property variantName")
    ours = json.loads(FOREIGN.sub(lambda m: OURS[m[0]], text))
    response = _post(real_server, extend=json.dumps(ours))
    assert response.status_code == 200, response.text
    _valid(response.json(), "data-extension-response")
    # The GND identifiers name nothing here: every cell is empty.
    assert all(cells == [] for row in response.json()["rows"].values() for cells in row.values())


# --- the hand-checked column, through the `reconciler` library -----------------------------

#: (name, type, property id, property value, the expected top candidate, whether it is a
#: match). Each checked by hand against data/: the labels in zones.ttl and most-zones.ttl,
#: the regions in regions.ttl (one Suzhou, in Jiangsu: "not to be confused with the Anhui city
#: of the same romanised name"; no Taizhou at all), the document numbers in policies.ttl and
#: letters.ttl, the short names in web/abbreviations.toml.
COLUMN = [
    # Zones by their labels, in both languages, and by their names less the designation.
    ("深圳人工智能创新应用先导区", "zone", "", "", "zone/shenzhen", True),
    (
        "Hangzhou National AI Innovation and Application Pilot Zone",
        "zone",
        "",
        "",
        "zone/hangzhou",
        True,
    ),
    ("杭州国家新一代人工智能创新发展试验区", "zone", "", "", "zone/most-hangzhou", True),
    ("南京", "zone", "", "", "zone/nanjing", True),  # MIIT's third batch; MOST has no Nanjing zone
    ("Deqing", "zone", "", "", "zone/most-deqing", True),  # "Deqing County National New …"
    ("Jinan-Qingdao", "zone", "", "", "zone/jinan-qingdao", True),  # the label's dash is "–"
    ("Xi’an", "zone", "", "", "zone/most-xian", True),
    ("合肥市", "zone", "", "", "zone/most-hefei", True),  # the city's name, 市 and all
    # Two zones by one name: MIIT's and MOST's, ranked equal, no match.
    ("深圳", "zone", "", "", "zone/shenzhen", False),
    ("Shanghai", "zone", "", "", "zone/most-shanghai", False),  # and MIIT's Shanghai (Pudong)
    ("Taizhou", "zone", "", "", None, False),
    ("泰州", "zone", "", "", None, False),
    # The programme tells them apart: by its ministry's short name, or its own name.
    ("深圳", "zone", "programme", "MIIT", "zone/shenzhen", True),
    ("Shenzhen", "zone", "programme", "科技部", "zone/most-shenzhen", True),
    ("上海", "zone", "programme", "工信部", "zone/shanghai-pudong", True),
    ("北京", "zone", "programme", "国家新一代人工智能创新发展试验区", "zone/most-beijing", True),
    # 济南 names MOST's Jinan zone; MIIT's is Jinan–Qingdao: first, but not a sure match.
    ("济南", "zone", "programme", "MIIT", "zone/jinan-qingdao", False),
    # Cities and provinces against Region.
    ("苏州", "region", "", "", "region/suzhou-jiangsu", True),
    ("Suzhou", "region", "", "", "region/suzhou-jiangsu", False),  # there is an Anhui Suzhou
    ("Jiangsu Province", "region", "", "", "region/jiangsu", True),
    ("广东", "region", "", "", "region/guangdong", True),
    ("Pudong", "region", "", "", "region/pudong-new-area", True),
    ("宿州", "region", "", "", None, False),  # the Anhui Suzhou is not in the graph
    ("Taizhou City", "region", "", "", None, False),
    # The region they are in tells the Suzhous apart.
    ("Suzhou", "region", "region", "Jiangsu", "region/suzhou-jiangsu", True),
    ("Suzhou City", "region", "region", "江苏省", "region/suzhou-jiangsu", True),
    ("Guangzhou", "region", "region", "广东", "region/guangzhou", True),
    # Documents by their numbers, however the brackets are written; ministries by short names.
    ("国发〔2025〕11号", "policy", "", "", "policy/ai-plus-opinions", True),
    ("国科函规(2019)183号", "policy", "", "", "policy/most-letter-shenzhen", True),
    ("工信部", "organisation", "", "", "org/miit", True),
    ("NDRC", "organisation", "", "", "org/ndrc", True),
    ("Ministry of Magic", "organisation", "", "", None, False),
]


def _reconciled(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, ...], Any]:
    """The column reconciled with ``reconciler``, one call per type and property (the library
    takes one type per call, and one value per property and name), top candidate per name."""
    import numpy
    from reconciler import reconcile

    # reconciler 0.2.2 writes numpy.NaN for a name with no candidate, a name NumPy 2 removed
    # (AttributeError); the alias it meant is numpy.nan. Nothing else of it is touched.
    monkeypatch.setattr(numpy, "NaN", numpy.nan, raising=False)
    found: dict[tuple[str, ...], Any] = {}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for name, kind, pid, value, _expected, _match in COLUMN:
        groups.setdefault((kind, pid), []).append((name, value))
    for (kind, pid), rows in groups.items():
        names = pd.Series([name for name, _ in rows])
        mapping = {pid: pd.Series([value for _, value in rows])} if pid else None
        table = reconcile(
            names,
            type_id=kind,
            top_res=1,
            property_mapping=mapping,
            reconciliation_endpoint=_service(server),
        )
        for record in table.to_dict("records"):
            found[(record["input_value"], kind, pid)] = record
    return found


@pytest.mark.clients
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # reconciler's own pandas call
def test_a_hand_checked_column_through_a_client_library(
    real_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _reconciled(real_server, monkeypatch)
    got, wanted = [], []
    for name, kind, pid, _value, expected, match in COLUMN:
        record = found[(name, kind, pid)]
        top = record["id"] if isinstance(record["id"], str) else None
        got.append((name, kind, pid, top, bool(record["match"])))
        wanted.append((name, kind, pid, expected, match))
    assert got == wanted
    assert len(COLUMN) >= 30


# --- OpenRefine's own request shapes ---------------------------------------------------------


def _openrefine_batch(jobs: list[dict[str, Any]]) -> str:
    """The ``queries`` value as ``StandardReconConfig.batchRecon`` writes it: ``"q" + i`` keys,
    each job's JSON as ``createJob`` makes it (query, type and type_strict "should" when a
    type is chosen, properties when columns are matched, no limit when it is 0)."""
    parts = []
    for i, job in enumerate(jobs):
        query: dict[str, Any] = {"query": job["query"]}
        if job.get("type"):
            query |= {"type": job["type"], "type_strict": "should"}
        if job.get("properties"):
            query["properties"] = job["properties"]
        parts.append(f'"q{i}":' + json.dumps(query, ensure_ascii=False, separators=(",", ":")))
    return "{" + ",".join(parts) + "}"


def test_openrefines_requests_by_post_and_by_get(real_server: LiveServer) -> None:
    queries = _openrefine_batch(
        [
            {"query": "深圳", "type": "zone"},
            {"query": "深圳", "type": "zone", "properties": [{"pid": "programme", "v": "MIIT"}]},
            # A column reconciled before is sent as the entity it was matched to.
            {
                "query": "Suzhou",
                "type": "region",
                "properties": [{"pid": "region", "v": {"id": "region/jiangsu", "name": "Jiangsu"}}],
            },
            {"query": "Hangzhou"},
        ]
    )
    posted = _post(real_server, queries=queries)
    got = httpx.get(_service(real_server), params={"queries": queries})
    assert posted.status_code == got.status_code == 200
    assert posted.json() == got.json()
    found = posted.json()
    _valid(found, "reconciliation-result-batch")
    # 深圳 alone: both zones named so, equal, neither a match; the programme decides.
    first, second = found["q0"]["result"][:2]
    assert {first["id"], second["id"]} == {"zone/shenzhen", "zone/most-shenzhen"}
    assert first["score"] == second["score"] and not first["match"] and not second["match"]
    assert [(c["id"], c["match"]) for c in found["q1"]["result"]] == [
        ("zone/shenzhen", True),
        ("zone/most-shenzhen", False),
    ]
    assert found["q1"]["result"][0]["score"] > found["q1"]["result"][1]["score"]
    assert found["q2"]["result"][0]["id"] == "region/suzhou-jiangsu"
    assert found["q2"]["result"][0]["match"] is True
    # Without a type: the city, and both of its zones, every candidate typed as OpenRefine
    # reads types (objects with id and name).
    assert {"region/hangzhou", "zone/hangzhou", "zone/most-hangzhou"} <= {
        c["id"] for c in found["q3"]["result"][:3]
    }
    for answer in found.values():
        for candidate in answer["result"]:
            assert set(candidate["type"][0]) == {"id", "name"}
            assert candidate["description"]  # what tells namesakes apart


def test_openrefines_type_guess(real_server: LiveServer) -> None:
    """``GuessTypesOfColumnCommand`` sends sample cells with limit 3 and counts the results'
    types: a column of city names guesses Region first."""
    samples = ["苏州", "Nanjing", "广州市", "Wuhan", "Chengdu"]
    queries = {f"q{i}": {"query": s, "limit": 3} for i, s in enumerate(samples)}
    found = _batch(real_server, queries)
    firsts = [answer["result"][0]["type"][0]["id"] for answer in found.values()]
    assert all(len(answer["result"]) <= 3 for answer in found.values())
    assert firsts.count("region") >= 3


def test_a_query_by_properties_alone(real_server: LiveServer) -> None:
    found = _batch(
        real_server, {"q0": {"properties": [{"pid": "wikidata", "v": "Q42622"}], "type": "region"}}
    )
    assert [(c["id"], c["match"]) for c in found["q0"]["result"]] == [
        ("region/suzhou-jiangsu", True)
    ]
    found = _batch(
        real_server, {"q0": {"properties": [{"pid": "region", "v": "江苏"}], "type": "zone"}}
    )
    # Jiangsu holds MIIT's Nanjing zone and MOST's Suzhou zone: both, neither sure.
    assert sorted(c["id"] for c in found["q0"]["result"]) == ["zone/most-suzhou", "zone/nanjing"]
    assert not any(c["match"] for c in found["q0"]["result"])


def test_limits_and_identifiers(real_server: LiveServer) -> None:
    found = _batch(
        real_server,
        {
            "q0": {"query": "AI", "limit": 1},
            "q1": {"query": "AI"},
            "q2": {"query": "zone/most-suzhou"},
            "q3": {"query": "Guangdong", "type": ["region", "organisation"], "limit": 25},
        },
    )
    assert len(found["q0"]["result"]) == 1 and len(found["q1"]["result"]) == 10
    assert [(c["id"], c["match"]) for c in found["q2"]["result"][:1]] == [
        ("zone/most-suzhou", True)
    ]
    kinds = {c["type"][0]["id"] for c in found["q3"]["result"]}
    assert kinds == {"region", "organisation"}


BAD = [
    ("queries", "not json", 400, "The parameter queries takes a JSON object"),
    ("queries", "[]", 400, "The parameter queries takes a JSON object"),
    ("queries", '{"q0": {"query": "x", "limit": 26}}', 400, "a whole number from 1 to 25"),
    ("queries", '{"q0": {"query": "x", "limit": 0}}', 400, "a whole number from 1 to 25"),
    ("queries", '{"q0": {"query": "x", "limit": 2.5}}', 400, "a whole number from 1 to 25"),
    ("queries", '{"q0": {"query": "x", "limit": Infinity}}', 400, "takes a JSON object"),
    ("queries", '{"q0": "深圳"}', 400, "Query q0 is not an object"),
    (
        "queries",
        '{"q0": {"query": "x", "properties": [{"pid": "batch", "v": NaN}]}}',
        400,
        "takes a JSON object",
    ),
    ("queries", "[" * 5000 + "]" * 5000, 400, "The parameter queries takes a JSON object"),
    ("queries", '{"q0": {"query": "x", "type": "planet"}}', 400, "there is no type planet"),
    ("queries", '{"q0": {"query": "x", "props": []}}', 400, "Query q0: props takes nothing"),
    ("queries", '{"q0": {"query": ""}}', 400, "Query q0: query takes a name"),
    (
        "queries",
        '{"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}',
        400,
        "there is no property colour",
    ),
    ("queries", '{"q0": {"query": "x", "properties": [{"pid": "region"}]}}', 400, "pid and v"),
    ("queries", '{"q0": {"query": "x", "type_strict": "maybe"}}', 400, "any, should or all"),
    ("queries", json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), 413, "at most 100"),
    (
        "queries",
        json.dumps({"q0": {"properties": [{"pid": "region", "v": "江苏"}] * 11}}),
        413,
        "Query q0 gives 11 properties; give at most 10",
    ),
    (
        "queries",
        json.dumps({"q0": {"properties": [{"pid": "region", "v": ["江苏"] * 11}]}}),
        413,
        "Query q0 gives 11 values for region; give at most 10",
    ),
    (
        "queries",
        json.dumps(
            {f"q{i}": {"properties": [{"pid": "region", "v": ["江苏"] * 10}]} for i in range(51)}
        ),
        413,
        "This batch gives 510 property values; send at most 500 at a time",
    ),
    ("extend", '{"ids": ["zone/shenzhen"]}', 400, "The parameter extend takes"),
    ("extend", "[" * 5000 + "]" * 5000, 400, "The parameter extend takes"),
    (
        "extend",
        '{"ids": ["zone/shenzhen"], "properties": [{"id": "colour"}]}',
        400,
        "no property colour",
    ),
]


@pytest.mark.parametrize(("field", "value", "status", "words"), BAD, ids=[b[3][:30] for b in BAD])
def test_bad_requests_get_one_line(
    real_server: LiveServer, field: str, value: str, status: int, words: str
) -> None:
    _one_line(_post(real_server, **{field: value}), status, words)
    _one_line(httpx.get(_service(real_server), params={field: value}), status, words)


def test_what_the_service_does_not_take(real_server: LiveServer) -> None:
    _one_line(httpx.get(_service(real_server), params={"callback": "cb"}), 400, "no JSONP")
    _one_line(httpx.post(_service(real_server), json={"queries": {}}), 415, "POST a form")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"queries=%FF", b"queries=\xff"):  # a percent-encoded and a raw bad byte
        raw = httpx.post(_service(real_server), content=body, headers=form)
        _one_line(raw, 400, "not valid UTF-8")
    _one_line(httpx.post(_service(real_server), data={"other": "1"}), 400, "queries or an extend")
    both = {"queries": '{"q0": {"query": "x"}}', "extend": '{"ids": [], "properties": []}'}
    _one_line(httpx.post(_service(real_server), data=both), 400, "not both")
    zh = httpx.get(_service(real_server), params={"queries": "[]", "lang": "zh"})
    _one_line(zh, 400, "参数 queries 应为由各查询组成的 JSON 对象")
    # A browser reaches it from another origin: the preflight of a POST is allowed.
    preflight = httpx.options(
        _service(real_server),
        headers={"Origin": "http://127.0.0.1:3333", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


# --- suggest, preview, extend ---------------------------------------------------------------


def _suggest(server: LiveServer, what: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{_service(server)}/suggest/{what}", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    _valid(
        found,
        {
            "entity": "suggest-entities-response",
            "type": "suggest-types-response",
            "property": "suggest-properties-response",
        }[what],
    )
    return found


def test_suggest_entities(real_server: LiveServer) -> None:
    found = _suggest(real_server, "entity", prefix="深圳")
    ids = [r["id"] for r in found["result"]]
    assert {"zone/shenzhen", "zone/most-shenzhen", "region/shenzhen"} <= set(ids[:3])
    assert len(ids) == 10
    zone = found["result"][ids.index("zone/shenzhen")]
    assert zone["notable"] == [{"id": "zone", "name": "AI pilot zone"}]
    assert "(MIIT)" in zone["description"]
    more = _suggest(real_server, "entity", prefix="深圳", cursor="10")["result"]
    assert more and not {r["id"] for r in more} & set(ids)  # the next ten, none again
    regions = _suggest(real_server, "entity", prefix="Su", type="region")["result"]
    assert regions and all(r["id"].startswith("region/") for r in regions)
    assert _suggest(real_server, "entity", prefix="苏州", lang="zh")["result"][0]["name"] in (
        "苏州市",
        "苏州国家新一代人工智能创新发展试验区",
    )
    _one_line(httpx.get(f"{_service(real_server)}/suggest/entity"), 400, "prefix")
    _one_line(
        httpx.get(
            f"{_service(real_server)}/suggest/entity", params={"prefix": "x", "cursor": "-1"}
        ),
        400,
        "cursor",
    )
    # more digits than Python's int() reads: still the parameter's refusal, not a 500
    _one_line(
        httpx.get(
            f"{_service(real_server)}/suggest/entity", params={"prefix": "x", "cursor": "9" * 5000}
        ),
        400,
        "cursor",
    )


def test_suggest_types_and_properties(real_server: LiveServer) -> None:
    assert _suggest(real_server, "type", prefix="zo")["result"] == [
        {"id": "zone", "name": "AI pilot zone"}
    ]
    assert _suggest(real_server, "type", prefix="地区")["result"][0]["id"] == "region"
    found = _suggest(real_server, "property", prefix="appr")["result"]
    assert found[0]["id"] == "approvalDate" and found[0]["name"] == "approval date"
    zh = _suggest(real_server, "property", prefix="省", type="zone", lang="zh")["result"]
    assert {"id": "province", "name": "所在省份"} in zh
    _one_line(
        httpx.get(
            f"{_service(real_server)}/suggest/property", params={"prefix": "", "type": "planet"}
        ),
        400,
        "type",
    )


def test_propose_properties(real_server: LiveServer) -> None:
    response = httpx.get(f"{_service(real_server)}/propose_properties", params={"type": "zone"})
    assert response.status_code == 200
    found = response.json()
    _valid(found, "data-extension-property-proposal")
    ids = [p["id"] for p in found["properties"]]
    assert ids[:2] == ["programme", "batch"]  # as the zone's infobox orders them
    assert {"approvalDate", "province", "region", "label_zh"} <= set(ids)
    assert "wikidata" not in ids  # no zone is linked to Wikidata
    regions = httpx.get(
        f"{_service(real_server)}/propose_properties", params={"type": "region", "limit": "3"}
    ).json()
    _valid(regions, "data-extension-property-proposal")
    assert regions["limit"] == 3 and len(regions["properties"]) == 3
    every = httpx.get(
        f"{_service(real_server)}/propose_properties", params={"type": "region"}
    ).json()
    assert "wikidata" in [p["id"] for p in every["properties"]]
    _one_line(httpx.get(f"{_service(real_server)}/propose_properties"), 400, "type")


def test_data_extension_as_openrefine_asks(real_server: LiveServer) -> None:
    """``ReconciledDataExtensionJob`` POSTs ``extend={"ids": [...], "properties": [{"id": …}]}``;
    the cells are checked by hand against zones.ttl, most-zones.ttl and regions.ttl."""
    query = {
        "ids": [
            "zone/shenzhen",
            "zone/most-beijing",
            "zone/jinan-qingdao",
            "region/suzhou-jiangsu",
            "zone/atlantis",
        ],
        "properties": [
            {"id": p} for p in ("programme", "batch", "approvalDate", "province", "wikidata")
        ],
    }
    _valid(query, "data-extension-query")
    response = _post(real_server, extend=json.dumps(query))
    assert response.status_code == 200, response.text
    found = response.json()
    _valid(found, "data-extension-response")
    meta = {m["id"]: m for m in found["meta"]}
    assert meta["programme"]["type"] == {"id": "programme", "name": "pilot programme"}
    assert meta["province"] == {
        "id": "province",
        "name": "host province",
        "type": {"id": "region", "name": "region"},
    }
    assert meta["wikidata"]["service"] == "https://wikidata.reconci.link/en/api"
    rows = found["rows"]
    miit = {
        "id": "programme/miit-ai-innovation-application-pilot-zones",
        "name": "National AI Innovation and Application Pilot Zones (MIIT)",
    }
    assert rows["zone/shenzhen"] == {
        "programme": [miit],
        "batch": [{"int": 1}],
        "approvalDate": [{"date": "2019-10-14T00:00:00Z"}],  # "2019-10-14"^^xsd:date
        "province": [{"id": "region/guangdong", "name": "Guangdong"}],
        "wikidata": [],
    }
    # MOST's Beijing zone: no batch; approved "2019-02"^^xsd:gYearMonth, kept at its precision.
    assert rows["zone/most-beijing"]["batch"] == []
    assert rows["zone/most-beijing"]["approvalDate"] == [{"str": "2019-02"}]
    # Jinan–Qingdao is in two cities of one province: Shandong once.
    assert rows["zone/jinan-qingdao"]["province"] == [{"id": "region/shandong", "name": "Shandong"}]
    assert rows["region/suzhou-jiangsu"]["wikidata"] == [
        {"id": "Q42622", "name": "Suzhou (Jiangsu)"}
    ]
    assert rows["region/suzhou-jiangsu"]["province"] == [
        {"id": "region/jiangsu", "name": "Jiangsu"}
    ]
    assert all(cells == [] for cells in rows["zone/atlantis"].values())
    zh = httpx.post(_service(real_server) + "?lang=zh", data={"extend": json.dumps(query)}).json()
    assert zh["rows"]["zone/shenzhen"]["province"] == [{"id": "region/guangdong", "name": "广东省"}]
    assert {m["id"]: m["name"] for m in zh["meta"]}["approvalDate"] == "批复日期"


_HTML = {"Accept": "text/html"}


def _text(page: str) -> str:
    page = re.sub(r"<(code|script|style)\b.*?</\1>", " ", page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_preview_card(real_server: LiveServer) -> None:
    url = f"{_service(real_server)}/preview"
    en = httpx.get(url, params={"id": "zone/shenzhen"})
    assert en.status_code == 200 and en.headers["content-type"] == "text/html; charset=utf-8"
    text = " ".join(_text(en.text).split())
    assert "Shenzhen AI Innovation and Application Pilot Zone" in text
    assert "深圳人工智能创新应用先导区" in text  # the other language's name
    assert "programme National AI Innovation and Application Pilot Zones (MIIT)" in text
    assert "batch 1" in text
    assert 'href="/id/zone/shenzhen?lang=en"' in en.text
    assert "<script" not in en.text and "style=" not in en.text
    # OpenRefine shows it in a frame of its own origin: this response may be framed, with the
    # rest of the site's policy; the pages themselves may not.
    policy = en.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "default-src 'self'" in policy
    assert "x-frame-options" not in en.headers
    page = httpx.get(real_server.url + "/id/zone/shenzhen", headers=_HTML)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_the_preview_card_in_chinese(real_server: LiveServer) -> None:
    zh = httpx.get(
        f"{_service(real_server)}/preview", params={"id": "region/suzhou-jiangsu", "lang": "zh"}
    )
    assert zh.status_code == 200 and '<html lang="zh">' in zh.text
    text = " ".join(_text(zh.text).split())
    assert "苏州市" in text and "隶属于 江苏省" in text and "行政级别 地级" in text
    # What is marked English is the data's own English name, not interface.
    chinese = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", zh.text, flags=re.S)
    assert english_words(_text(chinese), names_without_chinese(real_server)) == []


def test_a_preview_of_nothing(real_server: LiveServer) -> None:
    url = f"{_service(real_server)}/preview"
    _one_line(
        httpx.get(url, params={"id": "zone/atlantis"}), 404, "There is no entity zone/atlantis"
    )
    _one_line(httpx.get(url), 400, "id=zone/shenzhen")
    refused = httpx.get(url, params={"id": "zone/atlantis"})
    assert "frame-ancestors 'none'" in refused.headers["content-security-policy"]
