"""Data extension: the values of some properties for some reconciled entities, as columns.

A query names entity identifiers and properties (``reconcile_vocabulary``); the answer has a
column description per property (its name in the reader's language, the type of the
entities it holds, and for Wikidata items the reconciliation service that knows them) and,
per entity, the values of each property as cells. An identifier the graph does not know gets
empty cells: it names nothing here. Texts in both languages are given in the reader's.
"""

from __future__ import annotations

from typing import Any

from .i18n import translator
from .knowledge import Knowledge
from .reconcile_match import MAX_BATCH, MAX_LIMIT, BadBatch, read_json
from .reconcile_vocabulary import (
    WIKIDATA_SERVICE,
    Property,
    cell,
    entity_iri,
    find_property,
    in_language,
    value_type,
    values,
)

_EXAMPLE = '{"ids": ["zone/shenzhen"], "properties": [{"id": "programme"}, {"id": "province"}]}'


def read_extension(raw: str, knowledge: Knowledge, lang: str) -> tuple[list[str], list[Property]]:
    """The identifiers and properties of a data extension query (the ``extend`` parameter)."""
    _ = translator(lang)
    form = _(
        "The parameter extend takes a JSON object with ids and properties, as in extend={example}.",
        example=_EXAMPLE,
    )
    try:
        query = read_json(raw)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        query = None
    if not isinstance(query, dict) or not {"ids", "properties"} <= set(query):
        raise BadBatch(400, form)
    ids, properties = query["ids"], query["properties"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadBatch(400, form)
    if not isinstance(properties, list) or not all(
        isinstance(p, dict) and isinstance(p.get("id"), str) for p in properties
    ):
        raise BadBatch(400, form)
    if len(ids) > MAX_BATCH or len(properties) > MAX_LIMIT:
        raise BadBatch(
            413,
            _(
                "Ask for at most {ids} ids and {properties} properties at a time.",
                ids=MAX_BATCH,
                properties=MAX_LIMIT,
            ),
        )
    found = []
    for asked in properties:
        prop = find_property(knowledge, asked["id"])
        if prop is None:
            raise BadBatch(
                400,
                _(
                    "There is no property {pid}; /reconcile/propose_properties lists them.",
                    pid=asked["id"],
                ),
            )
        found.append(prop)
    return ids, found


def extension(
    knowledge: Knowledge, ids: list[str], properties: list[Property], lang: str
) -> dict[str, Any]:
    """The data extension response: the columns' metadata, and each entity's cells."""
    meta = []
    for prop in properties:
        column: dict[str, Any] = {"id": prop.id, "name": prop.name(knowledge, lang)}
        if prop.id == "wikidata":
            column["service"] = WIKIDATA_SERVICE.format(lang=lang)
        elif kind := value_type(knowledge, prop, lang):
            column["type"] = kind
        meta.append(column)
    rows: dict[str, dict[str, list[dict[str, object]]]] = {}
    for one in ids:
        iri = entity_iri(knowledge, one)
        rows[one] = {
            prop.id: [
                cell(knowledge, value, lang, knowledge.label(iri, lang))
                for value in in_language(values(knowledge, iri, prop), lang)
            ]
            if iri
            else []
            for prop in properties
        }
    return {"meta": meta, "rows": rows}
