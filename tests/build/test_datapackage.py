"""The release's ``csv/datapackage.json``: a Frictionless Data Package (v2) that ``frictionless
validate`` (the PyPI package's own command) passes, whose every resource is one of the CSV
files with the file's header as its fields, typed so that every row validates, and that names
the licence, the sources and the version of the release."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from frictionless import Package
from frictionless.resources import TableResource

from pilotkg.tables import BOM

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def _validate(descriptor: Path) -> dict[str, Any]:
    """The report of ``frictionless validate --json`` on ``descriptor``; its exit code with it."""
    command = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(command), "validate", "--json", str(descriptor)],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    report["exit_code"] = result.returncode
    return report


def _package(release: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(
        (release / "csv" / "datapackage.json").read_text(encoding="utf-8")
    )
    return document


def _resources(release: Path) -> list[dict[str, object]]:
    resources = _package(release)["resources"]
    assert isinstance(resources, list)
    return resources


def _header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _data_rows(path: Path) -> int:
    return len(list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))) - 1


def _table(release: Path, name: str) -> TableResource:
    """Resource ``name`` of the release's package, as frictionless reads it."""
    resource = Package(str(release / "csv" / "datapackage.json")).get_resource(name)
    assert isinstance(resource, TableResource)
    return resource


def test_frictionless_validate_passes_on_every_row(release: Path) -> None:
    report = _validate(release / "csv" / "datapackage.json")
    assert report["exit_code"] == 0 and report["valid"] is True, report
    checked = {task["name"]: task["stats"]["rows"] for task in report["tasks"]}
    assert checked == {path.stem: _data_rows(path) for path in (release / "csv").glob("*.csv")}, (
        "every CSV was read to its last row"
    )
    assert checked["zones"] == 29 and checked["bases"] == 13, (
        "29 zones (11 MIIT, 18 MOST), 13 bases"
    )


def test_each_resource_is_a_csv_whose_header_is_its_field_list(release: Path) -> None:
    folder = release / "csv"
    resources = _resources(release)
    assert sorted(str(r["path"]) for r in resources) == sorted(p.name for p in folder.glob("*.csv"))
    for resource in resources:
        schema = resource["schema"]
        assert isinstance(schema, dict)
        names = [f["name"] for f in schema["fields"]]
        assert names == _header(folder / str(resource["path"])), resource["name"]


def test_the_byte_order_mark_is_read_past(release: Path) -> None:
    """The files start with a BOM (for Excel), declared as UTF-8, the IANA name the standard asks
    for; frictionless reads the header without it, so the first field is ``zone``, not
    ``\\ufeffzone``."""
    zones = release / "csv" / "zones.csv"
    assert zones.read_bytes().startswith(BOM)
    resource = _table(release, "zones")
    assert resource.encoding in ("utf-8", "utf-8-sig")
    rows = resource.read_rows()
    assert resource.header[0] == "zone"
    shenzhen = next(r for r in rows if r["zone"] == "https://w3id.org/pilotkg/id/zone/shenzhen")
    assert shenzhen["label_zh"] == "深圳人工智能创新应用先导区"


def test_rows_read_with_their_types(release: Path) -> None:
    """A batch is an integer, the cities of a zone a list, and dates keep each precision: the
    Jinan–Qingdao zone sits in two cities and was approved on 2019-10-14; the MOST Beijing zone
    was approved in February 2019, a month only (data/zones.ttl, data/most-zones.ttl)."""
    resource = _table(release, "zones")
    rows = {row["zone"].rsplit("/", 1)[-1]: row for row in resource.read_rows()}
    assert rows["jinan-qingdao"]["batch"] == 1
    assert rows["jinan-qingdao"]["regions"] == ["Jinan", "Qingdao"]
    assert rows["jinan-qingdao"]["approved"] == "2019-10-14"
    assert rows["most-beijing"]["approved"] == "2019-02"
    fields = {f.name: f for f in resource.schema.fields}
    assert fields["batch"].type == "integer" and fields["regions"].type == "list"
    assert fields["approved"].type == "string"
    assert (
        fields["zone"].to_descriptor()["rdfType"] == "https://w3id.org/pilotkg/ontology#PilotZone"
    )


def test_a_date_of_another_form_fails_validation(release: Path, tmp_path: Path) -> None:
    """The pattern is checked: 14/10/2019 is no date of the graph's, though its file's size and
    hash are declared right."""
    folder = tmp_path / "csv"
    shutil.copytree(release / "csv", folder)
    zones = folder / "zones.csv"
    data = zones.read_bytes()
    assert b",2019-10-14," in data
    zones.write_bytes(data.replace(b",2019-10-14,", b",14/10/2019,", 1))
    descriptor = folder / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in package["resources"]:
        if resource["path"] == "zones.csv":
            resource["bytes"] = zones.stat().st_size
            resource["hash"] = "sha256:" + hashlib.sha256(zones.read_bytes()).hexdigest()
    descriptor.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    report = _validate(descriptor)
    assert report["valid"] is False and report["exit_code"] != 0
    errors = [error for task in report["tasks"] for error in task["errors"]]
    assert {(e["type"], e["fieldName"]) for e in errors} == {("constraint-error", "approved")}


def test_titles_and_descriptions_come_from_the_queries_in_both_languages(release: Path) -> None:
    """queries/zones.rq's header: its title in English and Chinese, its columns' headings."""
    zones = next(r for r in _resources(release) if r["name"] == "zones")
    assert zones["title"] == "Pilot zones by programme and batch"
    assert zones["title_zh"] == "按计划和批次列出的人工智能试点区"
    assert str(zones["description"]).startswith("Every AI pilot zone")
    assert str(zones["description_zh"]).startswith("每个人工智能试点区")
    schema = zones["schema"]
    assert isinstance(schema, dict)
    fields = {f["name"]: f for f in schema["fields"]}
    assert (fields["approved"]["title"], fields["approved"]["title_zh"]) == ("Approved", "批准日期")
    assert fields["label_zh"]["language"] == "zh" and fields["label_en"]["language"] == "en"
    assert zones["encoding"] == "utf-8" and zones["mediatype"] == "text/csv"


def test_a_column_of_words_in_chinese_is_titled_as_such_not_as_a_label(release: Path) -> None:
    """organisations' role_zh gives the Chinese of the query's own words (role, of=role), not the
    label of an IRI as label_zh does (of=organisation)."""
    organisations = next(r for r in _resources(release) if r["name"] == "organisations")
    schema = organisations["schema"]
    assert isinstance(schema, dict)
    fields = {f["name"]: f for f in schema["fields"]}
    assert (fields["role_zh"]["title"], fields["role_zh"]["title_zh"]) == (
        "Role, in Chinese",
        "角色（中文）",
    )
    assert fields["label_zh"]["title"] == "Organisation: label in Chinese"


@pytest.mark.parametrize("key", ["licenses", "sources", "version"])
def test_the_package_names_licence_sources_and_version(release: Path, key: str) -> None:
    """CC BY 4.0, the data's licence (README, "Licences"); the release's version (the ontology's
    owl:versionInfo, 0.1.0); every pilot:Source, such as the Hubei Daily reprint in
    data/sources.ttl, with its web address."""
    package = _package(release)
    if key == "licenses":
        assert package["licenses"] == [
            {
                "name": "CC-BY-4.0",
                "path": CC_BY,
                "title": "Creative Commons Attribution 4.0 International",
            }
        ]
    elif key == "version":
        assert package["version"] == "0.1.0"
        assert package["title_zh"] == "pilotkg：中国国家人工智能试点项目知识图谱"
    else:
        sources = package["sources"]
        assert isinstance(sources, list) and len(sources) == 163
        assert {
            "title": "Hubei Daily (reprint): MOST supports Wuhan's AI innovation and development pilot zone",
            "path": "http://2018eiz.cn/news/202009/08/173741.html",
        } in sources
