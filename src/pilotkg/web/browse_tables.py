"""The four tables people browse (``/zones``, ``/bases``, ``/policies``, ``/organisations``):
their columns, which columns are facets, and the SPARQL pattern that gives each column's values.

A column's pattern is a SPARQL group written with ``$e`` for the table's entity, ``$v`` for the
value it binds and ``$t`` for a suffix that keeps its own helper variables apart when the same
pattern appears several times in one query (as a column, a filter and a facet). The patterns are
plain SPARQL 1.1, so the query a table shows runs unchanged on any store holding the dumps.

Two values are derived rather than stated:

* **province**: the host region's province, found by following ``pilot:partOf`` from the region
  the thing is ``pilot:locatedIn`` (itself included) to the region whose
  ``pilot:administrativeLevel`` is ``pilot:ProvincialLevel`` (provinces, municipalities and
  autonomous regions alike, as ``data/regions.ttl`` writes them). A thing located in an economic
  area only (which is part of no province) has none.
* **year**: the earliest year among the dated steps of the thing's designation or adoption (for a
  zone its approval, announcement and launch dates). Sources give different subsets of these
  steps (one zone has only its launch date, another only its announcement), and the earliest is
  when the thing first became one; "no step in an earlier year" keeps the pattern an ordinary
  group that a filter and a facet can reuse, where ``MIN`` would need a sub-select of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..namespaces import ORG, PILOT

#: How a column's values are kept and shown: IRIs (labelled links, several per cell), whole
#: numbers, years (derived, shown as a year), dates at their precision, or text.
Kind = Literal["iri", "number", "year", "date", "text"]
#: ``_`` of ``i18n.translator``: a column's or table's words are written as ``lambda _: _("…")``
#: so that the catalogue's extractor finds them.
Words = Callable[[Callable[..., str]], str]

PROVINCE = (
    "$e pilot:locatedIn/pilot:partOf* $v . $v pilot:administrativeLevel pilot:ProvincialLevel ."
)


def earliest_year(*steps: str) -> str:
    """The pattern of ``$v``, the earliest year of the ``steps`` (pilot date properties) of ``$e``."""
    path = "|".join(f"pilot:{step}" for step in steps)
    return (
        f"$e {path} ?date$t . "
        f"FILTER NOT EXISTS {{ $e {path} ?earlier$t . "
        "FILTER(SUBSTR(STR(?earlier$t), 1, 4) < SUBSTR(STR(?date$t), 1, 4)) } "
        "BIND(xsd:integer(SUBSTR(STR(?date$t), 1, 4)) AS $v)"
    )


@dataclass(frozen=True)
class Column:
    """One column: its name in URLs (``?_sort=``, a filter's name), how its values are found,
    and its heading (the property's label in the store, else ``words``)."""

    key: str
    pattern: str
    kind: Kind
    predicate: str = ""
    words: Words | None = None
    facet: bool = False

    @property
    def var(self) -> str:
        """The SPARQL variable its values are projected as (``focus-area`` → ``focus_area``)."""
        return self.key.replace("-", "_")


@dataclass(frozen=True)
class Table:
    """A table: the class of its rows, its entity column's name, its columns and what its
    derived year means."""

    name: str
    entity: str
    cls: str
    columns: tuple[Column, ...]
    title: Words
    #: What the table's year column means (None: it has none).
    year_rule: Words | None = None

    @property
    def facets(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.facet)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def _stated(
    key: str, prop: str, kind: Kind, *, facet: bool = False, words: Words | None = None
) -> Column:
    """A column of the values of one property (headed by ``words`` where the property has no
    label in the store)."""
    return Column(key, f"$e {prop} $v .", kind, predicate=_iri(prop), words=words, facet=facet)


def _iri(prefixed: str) -> str:
    prefix, local = prefixed.split(":", 1)
    return {"pilot": PILOT, "org": ORG}[prefix] + local


def _province() -> Column:
    return Column("province", PROVINCE, "iri", words=lambda _: _("province"), facet=True)


def _year(*steps: str) -> Column:
    return Column("year", earliest_year(*steps), "year", words=lambda _: _("year"), facet=True)


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "zones",
            "zone",
            PILOT + "PilotZone",
            (
                _stated("programme", "pilot:programme", "iri", facet=True),
                _stated("batch", "pilot:batch", "number", facet=True),
                _stated("region", "pilot:locatedIn", "iri"),
                _province(),
                _year("approvalDate", "announcementDate", "launchDate"),
                _stated("approved", "pilot:approvalDate", "date"),
                _stated("announced", "pilot:announcementDate", "date"),
                _stated("launched", "pilot:launchDate", "date"),
                _stated("focus-area", "pilot:focusArea", "iri", facet=True),
            ),
            title=lambda _: _("Pilot zones"),
            year_rule=lambda _: _(
                "Year: the earliest year among the approval, announcement and launch dates."
            ),
        ),
        Table(
            "bases",
            "base",
            PILOT + "PilotTestBase",
            (
                _stated("field", "pilot:field", "iri", facet=True),
                _stated("direction", "pilot:direction", "iri", facet=True),
                _stated("region", "pilot:locatedIn", "iri"),
                _province(),
                _year("approvalDate", "constructionStartDate", "launchDate"),
                _stated("lead-organisation", "pilot:leadOrganisation", "iri", facet=True),
                _stated("operator", "pilot:operator", "iri", facet=True),
                _stated("approved", "pilot:approvalDate", "date"),
                _stated("construction-started", "pilot:constructionStartDate", "date"),
                _stated("launched", "pilot:launchDate", "date"),
            ),
            title=lambda _: _("Pilot test bases"),
            year_rule=lambda _: _(
                "Year: the earliest year among the approval, construction start and launch dates."
            ),
        ),
        Table(
            "policies",
            "policy",
            PILOT + "Policy",
            (
                _stated("kind", "pilot:policyKind", "iri", facet=True),
                _stated("document-number", "pilot:documentNumber", "text"),
                _stated("issued-by", "pilot:issuedBy", "iri", facet=True),
                _year("adoptionDate", "signingDate", "publicationDate"),
                _stated("adopted", "pilot:adoptionDate", "date"),
                _stated("signed", "pilot:signingDate", "date"),
                _stated("published", "pilot:publicationDate", "date"),
                _stated("region-concerned", "pilot:concernsRegion", "iri", facet=True),
            ),
            title=lambda _: _("Policy documents"),
            year_rule=lambda _: _(
                "Year: the earliest year among the adoption, signing and publication dates."
            ),
        ),
        Table(
            "organisations",
            "organisation",
            ORG + "Organization",
            (
                _stated("region", "pilot:locatedIn", "iri", facet=True),
                _province(),
                _stated(
                    "parent",
                    "org:subOrganizationOf",
                    "iri",
                    facet=True,
                    words=lambda _: _("parent organisation"),
                ),
            ),
            title=lambda _: _("Organisations"),
        ),
    )
}
