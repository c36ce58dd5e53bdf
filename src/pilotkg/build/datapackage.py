"""The release's CSV exports described as a Frictionless Data Package (Data Package v2), so that
the tools of the open-data world (``frictionless``, data portals, spreadsheets' importers) open
them with their schema.

Each CSV is a tabular resource: its canned query's title and description (the standard has one
language per property and keeps whatever other properties a descriptor adds, so the Chinese is
in ``title_zh`` and ``description_zh``), its size and SHA-256 (which ``frictionless validate``
checks against the file), and a Table Schema whose fields are the CSV's columns in order, each
typed from the RDF terms the query returned in this release:

* An IRI is a ``string`` of format ``uri``; when every IRI of a column names a thing of one kind,
  ``rdfType`` is that kind's class.
* A date is a ``string`` constrained to ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``. The graph keeps
  the precision each source gives (``xsd:date``, ``xsd:gYearMonth``, ``xsd:gYear``) and one column
  mixes them; Table Schema's ``date``, ``yearmonth`` and ``year`` each take one precision only,
  so each would reject the others' rows, and ``any`` would say nothing of the form. A column of
  dates is a string of this pattern even when this release has days only, so that its type does
  not change the day a source gives only a month.
* An integer is an ``integer``; a cell the query fills with ``GROUP_CONCAT`` is a ``list`` of
  strings with the query's separator as its delimiter; anything else is a ``string``. A column
  of labels that share a language says so in ``language`` (a BCP 47 tag).

The files start with a UTF-8 byte-order mark, which Excel needs (``tables.results_bytes``). The
encoding is declared ``utf-8``: the standard asks for an IANA character-set name, which
``utf-8-sig`` (Python's codec for UTF-8 that skips the mark) is not, and a byte-order mark is
allowed at the start of UTF-8 text; ``frictionless`` reads past it (the tests check that the
header it reads is the field names).

The package's title, description, licence and version are the release's VoID description's;
its sources are the graph's sources (``pilot:Source``), each with its title and web address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyoxigraph as ox

from ..graphs import to_store
from ..namespaces import (
    BASE,
    DATASET_IRI,
    DATE_DATATYPES,
    DCTERMS,
    ID,
    KIND_CLASSES,
    PILOT,
    RDFS,
    SCHEMA,
    XSD,
)
from ..queries import CannedQuery
from ..release import DATAPACKAGE, DATAPACKAGE_PROFILE, RELEASE_NAME
from .void import LICENSE

#: The lexical forms of xsd:date, xsd:gYearMonth and xsd:gYear (Table Schema anchors patterns).
DATE_PATTERN = r"\d{4}(-\d{2}(-\d{2})?)?"
#: Licences the package can name by their Open Definition / SPDX identifier.
LICENSES = {LICENSE: ("CC-BY-4.0", "Creative Commons Attribution 4.0 International")}
#: XSD datatypes with a Table Schema type of their own (the others are strings).
TYPES = {
    XSD + "integer": "integer",
    XSD + "decimal": "number",
    XSD + "double": "number",
    XSD + "boolean": "boolean",
}
LANGUAGE_NAMES = {"en": ("English", "英文"), "zh": ("Chinese", "中文")}
DATE_WORDS = (
    "A date at the precision its source gives: YYYY-MM-DD, YYYY-MM or YYYY.",
    "按来源给出的精度记录的日期：YYYY-MM-DD、YYYY-MM 或 YYYY。",
)
LIST_WORDS = (
    "Several values separated by “{separator}”, in alphabetical order.",
    "多个值以“{separator}”分隔，按字母顺序排列。",
)

#: A cell of SPARQL JSON results: ``type``, ``value``, and ``datatype`` or ``xml:lang``.
Cell = Mapping[str, str]


@dataclass(frozen=True)
class Table:
    """One CSV export: the canned query it comes from, its name in the release, its columns and
    rows as SPARQL JSON gives them (types and languages kept), and the file's bytes."""

    query: CannedQuery
    name: str
    columns: list[str]
    rows: list[dict[str, Cell]]
    data: bytes


def _kind_class(iri: str) -> str | None:
    """The class of the kind an ``id/`` IRI names (``id/zone/…``: pilot:PilotZone), or None."""
    if not iri.startswith(ID):
        return None
    return KIND_CLASSES.get(iri[len(ID) :].split("/", 1)[0])


def _heading(query: CannedQuery, name: str, lang: str) -> str:
    """A column's heading in ``lang``; a label column (``of=``) is named after the column whose
    IRIs it labels."""
    column = query.column(name)
    if not column.of:
        return column.heading(lang) if lang == "en" else column.headings.get(lang, "")
    other = query.column(column.of)
    return other.heading(lang) if lang == "en" else other.headings.get(lang, "")


def field(
    query: CannedQuery, name: str, cells: Iterable[Cell], *, labels_iris: bool = True
) -> dict[str, object]:
    """The Table Schema field of column ``name``, typed by the ``cells`` it holds;
    ``labels_iris``: an ``of=`` column labels the IRIs of its column ("label in Chinese"),
    else it gives that column's words in a language ("Role, in Chinese")."""
    present = list(cells)
    kinds = {cell["type"] for cell in present}
    datatypes = {cell.get("datatype", XSD + "string") for cell in present}
    languages = {cell.get("xml:lang", "") for cell in present}
    described: dict[str, object] = {"name": name}
    title, title_zh = _heading(query, name, "en"), _heading(query, name, "zh")
    language = languages.pop() if len(languages) == 1 and kinds == {"literal"} else ""
    if query.column(name).of and language in LANGUAGE_NAMES:
        english, chinese = LANGUAGE_NAMES[language]
        if labels_iris:
            title, title_zh = (
                f"{title}: label in {english}",
                title_zh and f"{title_zh}：{chinese}名称",
            )
        else:
            title, title_zh = f"{title}, in {english}", title_zh and f"{title_zh}（{chinese}）"
    described["title"] = title
    if title_zh:
        described["title_zh"] = title_zh
    separator = query.concatenated.get(name, "")
    if kinds == {"uri"}:
        described.update(type="string", format="uri")
        classes = {_kind_class(cell["value"]) for cell in present}
        if len(classes) == 1 and None not in classes:
            described["rdfType"] = classes.pop()
    elif present and kinds == {"literal"} and datatypes <= DATE_DATATYPES:
        described.update(type="string", constraints={"pattern": DATE_PATTERN})
        described["description"], described["description_zh"] = DATE_WORDS
    elif separator.strip():
        described.update(type="list", delimiter=separator, itemType="string")
        described["description"], described["description_zh"] = (
            words.format(separator=separator) for words in LIST_WORDS
        )
    elif kinds == {"literal"} and len(datatypes) == 1:
        described["type"] = TYPES.get(datatypes.pop(), "string")
    else:
        described["type"] = "string"
    if language:
        described["language"] = language
    return described


def resource(table: Table) -> dict[str, object]:
    """The Data Resource of one CSV export, its path relative to the descriptor."""
    query = table.query
    described: dict[str, object] = {
        "name": query.name,
        "type": "table",
        "path": str(PurePosixPath(table.name).relative_to(PurePosixPath(DATAPACKAGE).parent)),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": query.title,
    }
    if query.title_zh:
        described["title_zh"] = query.title_zh
    described["description"] = query.description
    if query.description_zh:
        described["description_zh"] = query.description_zh
    described["bytes"] = len(table.data)
    described["hash"] = "sha256:" + hashlib.sha256(table.data).hexdigest()
    described["schema"] = {
        "fields": [
            field(
                query,
                name,
                (row[name] for row in table.rows if name in row),
                labels_iris=_holds_iris(table, query.column(name).of),
            )
            for name in table.columns
        ]
    }
    return described


def _holds_iris(table: Table, column: str) -> bool:
    """Whether ``column`` of ``table`` holds IRIs (a column no row binds counts as one)."""
    cells = [row[column] for row in table.rows if column in row]
    return not cells or any(cell["type"] == "uri" for cell in cells)


def dataset_sources(store: ox.Store) -> list[dict[str, str]]:
    """Every source the graph cites, by IRI: its English title (else any) and its web address
    (else its IRI, which has a page), as the package's ``sources``."""
    solutions = store.query(
        f"""SELECT ?source (MIN(?english) AS ?en) (MIN(?any) AS ?title) (MIN(STR(?page)) AS ?url)
            WHERE {{
              ?source a <{PILOT}Source> .
              OPTIONAL {{ ?source <{RDFS}label> ?english FILTER(LANGMATCHES(LANG(?english), "en")) }}
              OPTIONAL {{ ?source <{RDFS}label> ?any }}
              OPTIONAL {{ ?source <{SCHEMA}url> ?page }}
            }} GROUP BY ?source ORDER BY ?source"""
    )
    assert isinstance(solutions, ox.QuerySolutions)
    sources = []
    for row in solutions:
        iri, english, title, url = (row[name] for name in ("source", "en", "title", "url"))
        sources.append(
            {
                "title": (english or title or iri).value,
                "path": url.value if url is not None else iri.value,
            }
        )
    return sources


def _about_dataset(void: ox.Store, predicate: str) -> list[ox.NamedNode | ox.Literal]:
    """The dataset's ``predicate`` values in VoID, sorted."""
    quads = void.quads_for_pattern(ox.NamedNode(DATASET_IRI), ox.NamedNode(predicate), None)
    found = [q.object for q in quads if isinstance(q.object, ox.NamedNode | ox.Literal)]
    return sorted(found, key=str)


def _texts(void: ox.Store, predicate: str) -> dict[str, str]:
    """The dataset's ``predicate`` texts in VoID, by language ('' for none)."""
    found: dict[str, str] = {}
    for value in _about_dataset(void, predicate):
        if isinstance(value, ox.Literal):
            found.setdefault(value.language or "", value.value)
    return found


def _licenses(void: ox.Store) -> list[dict[str, str]]:
    """The dataset's licences in VoID, named when the package knows their identifier."""
    licenses = []
    for value in _about_dataset(void, DCTERMS + "license"):
        known = LICENSES.get(value.value)
        licenses.append(
            {"name": known[0], "path": value.value, "title": known[1]}
            if known
            else {"path": value.value}
        )
    return licenses


def data_package(
    tables: list[Table],
    *,
    void: list[ox.Triple],
    sources: list[dict[str, str]],
    version: str,
    base_url: str = BASE,
) -> bytes:
    """``datapackage.json`` for ``tables``, described as the release's VoID (``void``) describes
    the dataset; the same arguments give the same bytes."""
    about = to_store(void)
    titles, descriptions = _texts(about, DCTERMS + "title"), _texts(about, DCTERMS + "description")
    package: dict[str, object] = {
        "$schema": DATAPACKAGE_PROFILE,
        "name": RELEASE_NAME,
        "id": DATASET_IRI,
    }
    for key, texts in (("title", titles), ("description", descriptions)):
        if "en" in texts:
            package[key] = texts["en"]
        if "zh" in texts:
            package[f"{key}_zh"] = texts["zh"]
    package["version"] = version
    package["homepage"] = base_url
    package["languages"] = ["en", "zh"]
    package["licenses"] = _licenses(about)
    package["sources"] = sources
    package["resources"] = [resource(table) for table in tables]
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
