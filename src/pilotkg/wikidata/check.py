"""``pilotkg link wikidata --check``: is every existing link still right?

A link goes stale in ways data/ cannot see: the item is deleted or merged into
another (a redirect), or the link was wrong from the start (a homonym: 苏州市
Q42622 and 宿州市 Q360643 are both "Suzhou" in English). For each link the
endpoint is asked whether the item exists, is not a redirect, carries a
matching Chinese or English label or alias, has a compatible type and
country, and, for a region, lies in the item our parent region is linked to.
Two of our entities sharing an item, or one entity with two ``owl:sameAs``
items, is reported too: ``owl:sameAs`` would make them one thing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..namespaces import OWL, SKOS
from .client import SparqlClient
from .items import ItemFacts, fetch_items
from .labels import TYPE_RULES, is_chinese, normalise_label, short_name
from .local import Link, LocalEntity, parent_items, shared_items


@dataclass(frozen=True)
class Mismatch:
    """One reason one link is wrong; a ``warning`` is worth a look but fails nothing."""

    link: Link
    reason: str
    detail: str
    warning: bool = False

    def as_text(self) -> str:
        """``region/shenzhen owl:sameAs wd:Q1: redirect: …``: one line per finding."""
        return (
            f"{short_name(self.link.entity)} {self.link.prop_name} wd:{self.link.qid}: "
            f"{self.reason}: {self.detail}"
        )


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``--check``: how many links were asked about, and what is wrong."""

    links: int
    mismatches: list[Mismatch]

    @property
    def errors(self) -> list[Mismatch]:
        """The mismatches that fail the check."""
        return [m for m in self.mismatches if not m.warning]

    @property
    def warnings(self) -> list[Mismatch]:
        """The mismatches that are only worth a look."""
        return [m for m in self.mismatches if m.warning]

    @property
    def passed(self) -> bool:
        """True when no link is wrong."""
        return not self.errors


def _qids(values: set[str]) -> str:
    return ", ".join(f"wd:{q}" for q in sorted(values, key=lambda q: int(q[1:]))) or "none"


def labels_match(entity: LocalEntity, facts: ItemFacts) -> bool:
    """True when a Chinese label of ours matches a Chinese label or alias of the item,
    or an English one an English one, after :func:`normalise_label`."""
    ours = {
        ("zh" if is_chinese(lang) else lang, normalise_label(text)) for text, lang in entity.labels
    }
    theirs = {
        ("zh" if is_chinese(lang) else lang, normalise_label(text)) for text, lang in facts.names()
    }
    return bool(ours & theirs)


def link_mismatches(
    link: Link, entity: LocalEntity, facts: ItemFacts, parents: set[str]
) -> list[Mismatch]:
    """Everything wrong with one link, given what the endpoint said about its item."""
    if not facts.exists:
        return [Mismatch(link, "missing", "the endpoint knows no such item (deleted, or a typo)")]
    if facts.redirect:
        return [
            Mismatch(
                link,
                "redirect",
                f"wd:{link.qid} redirects to wd:{facts.redirect}: link to wd:{facts.redirect}",
            )
        ]
    found: list[Mismatch] = []
    if not labels_match(entity, facts):
        # skos:closeMatch claims likeness, not identity: its labels may differ
        # ("transportation" and "transport"), so a differing label only warns.
        found.append(
            Mismatch(
                link,
                "label",
                f"no English or Chinese label or alias matches ours ({entity.display()}); "
                f"Wikidata says {facts.display()}",
                warning=link.prop == SKOS + "closeMatch",
            )
        )
    rule = TYPE_RULES[entity.kind]
    if rule.classes and not facts.classes & set(rule.classes):
        found.append(
            Mismatch(
                link,
                "type",
                f"not {rule.class_text()}; its types (P31) are {_qids(facts.types)}",
            )
        )
    if rule.country and rule.country not in facts.countries and link.qid != rule.country:
        found.append(
            Mismatch(
                link, "country", f"country (P17) is {_qids(facts.countries)}, not wd:{rule.country}"
            )
        )
    if parents and not facts.located_in & parents and not (parents & facts.countries):
        found.append(
            Mismatch(
                link,
                "parent",
                f"located in (P131) {_qids(facts.located_in)}, but our parent region is "
                f"{_qids(parents)}",
            )
        )
    return found


def local_mismatches(entities: dict[str, LocalEntity]) -> list[Mismatch]:
    """What is wrong without asking anyone: shared items, and two sameAs items on one entity."""
    found: list[Mismatch] = []
    for qid, links in shared_items(entities.values()).items():
        for link in links:
            others = sorted({short_name(x.entity) for x in links if x.entity != link.entity})
            found.append(
                Mismatch(link, "shared", f"wd:{qid} is also linked from {', '.join(others)}")
            )
    for entity in entities.values():
        same = sorted({x.qid for x in entity.links if x.prop == OWL + "sameAs"})
        if len(same) > 1:
            for link in entity.links:
                if link.prop == OWL + "sameAs":
                    found.append(
                        Mismatch(
                            link,
                            "several",
                            f"owl:sameAs {', '.join('wd:' + q for q in same)} says they are one item",
                        )
                    )
    return found


def check_links(entities: dict[str, LocalEntity], client: SparqlClient) -> CheckResult:
    """Check every Wikidata link of ``entities`` against the client's endpoint."""
    links = [link for entity in entities.values() for link in entity.links]
    classes = {c for entity in entities.values() for c in TYPE_RULES[entity.kind].classes}
    facts = fetch_items(client, {link.qid for link in links}, classes=classes)
    found = local_mismatches(entities)
    for link in links:
        entity = entities[link.entity]
        parents = parent_items(entity, entities) - {link.qid}
        found.extend(link_mismatches(link, entity, facts[link.qid], parents))
    order = defaultdict(lambda: 99, {r: i for i, r in enumerate(REASONS)})
    found.sort(key=lambda m: (m.link.entity, m.link.qid, order[m.reason]))
    return CheckResult(len(links), found)


#: Every reason a link can fail, in report order.
REASONS = ("missing", "redirect", "label", "type", "country", "parent", "shared", "several")
