"""``pilotkg link wikidata --propose``: candidates for entities that have no link yet.

Candidates are the items carrying one of the entity's names exactly (as a label
or alias, in Chinese or English, under the usual written variants). Each is
scored on evidence a reviewer can verify:

========================================  ======
evidence                                  points
========================================  ======
Chinese label (alias) matches             +4 (+3)
English label (alias) matches             +2 (+1)
type compatible (P31/P279*) / not         +2 / −4
country (P17) is China / another country  +1 / −4 (regions)
located in (P131) our parent's item       +3
located in the country our parent is      +1
located in (P131) somewhere else          −3
========================================  ======

A candidate's confidence is its score over the most its kind can score (a
sector, having no type, country or parent evidence, is judged on labels alone).
Names alone are never enough: two Suzhous (苏州市 Q42622, 宿州市 Q360643) or two
Taizhous share their English name. The best candidate is proposed only when it
outscores every other; when two tie it is *ambiguous* and none is proposed; a
proposed item that shares a name with another candidate is flagged as a
*homonym* so the reviewer looks at the evidence that separated them. Nothing is
written into data/: a curator copies what they accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import SparqlClient
from .items import ItemFacts, fetch_items, find_by_labels
from .labels import CHINA, TYPE_RULES, is_chinese, label_variants, normalise_label
from .local import PROPOSED_PROPERTY, LocalEntity, parent_items


def max_score(kind: str) -> int:
    """The most points a candidate of this kind can get: both labels, and the type, country
    and parent evidence that applies to the kind (sectors are judged by their labels alone)."""
    rule = TYPE_RULES[kind]
    return (
        4
        + 2
        + (2 if rule.classes else 0)
        + (1 if kind in ("region", "org") else 0)
        + (3 if kind == "region" else 0)
    )


#: Decisions on a candidate, and statuses of an entity.
PROPOSED, AMBIGUOUS, WEAKER, UNSUITABLE = "proposed", "ambiguous", "weaker", "unsuitable"
NO_CANDIDATE, NO_SUITABLE = "no-candidate", "no-suitable-candidate"


@dataclass
class Candidate:
    """One item that might be the entity, with the evidence for and against."""

    qid: str
    facts: ItemFacts
    kind: str
    score: int = 0
    evidence: list[str] = field(default_factory=list)
    blocking: bool = False
    decision: str = WEAKER
    names: set[str] = field(default_factory=set)

    @property
    def confidence(self) -> float:
        """The score as a fraction of the kind's maximum, within 0..1 (SSSOM's confidence)."""
        return round(min(max(self.score, 0) / max_score(self.kind), 1.0), 2)

    def add(self, points: int, why: str, *, blocking: bool = False) -> None:
        """Record one piece of evidence."""
        self.score += points
        self.evidence.append(f"{why} ({points:+d})")
        self.blocking = self.blocking or blocking


@dataclass
class Proposal:
    """What ``--propose`` says about one unlinked entity."""

    entity: LocalEntity
    prop: str
    candidates: list[Candidate]
    status: str
    flags: list[str] = field(default_factory=list)

    @property
    def proposed(self) -> Candidate | None:
        """The candidate proposed, if one stands out."""
        return next((c for c in self.candidates if c.decision == PROPOSED), None)


def _family(language: str) -> str:
    return "zh" if is_chinese(language) else language


def score_candidate(
    entity: LocalEntity, facts: ItemFacts, matched: dict[str, str], parents: set[str]
) -> Candidate:
    """A candidate with its evidence; ``matched`` maps "zh"/"en" to "label" or "alias"."""
    candidate = Candidate(facts.qid, facts, entity.kind)
    candidate.names = {
        normalise_label(text) for text, lang in facts.names() if _family(lang) in ("en", "zh")
    }
    for language, weights in (("zh", (4, 3)), ("en", (2, 1))):
        how = matched.get(language)
        if how is not None:
            ours = entity.label(language) or ""
            points = weights[0] if how == "label" else weights[1]
            name = "Chinese" if language == "zh" else "English"
            candidate.add(points, f"{name} {how} matches {ours!r}")
    rule = TYPE_RULES[entity.kind]
    if rule.classes:
        if facts.classes & set(rule.classes):
            candidate.add(2, f"type compatible: {rule.class_text()}")
        else:
            types = ", ".join(f"wd:{t}" for t in sorted(facts.types)) or "none"
            candidate.add(-4, f"type incompatible: P31 {types}", blocking=True)
    if CHINA in facts.countries:
        candidate.add(1, f"country (P17) wd:{CHINA}")
    elif rule.country and facts.countries:
        other = ", ".join(f"wd:{c}" for c in sorted(facts.countries))
        candidate.add(-4, f"country (P17) {other}, not wd:{rule.country}", blocking=True)
    if parents:
        shown = ", ".join(f"wd:{p}" for p in sorted(parents))
        if facts.located_in & parents:
            candidate.add(3, f"located in (P131) our parent's item {shown}")
        elif parents & facts.countries:
            candidate.add(1, f"in the country our parent is ({shown})")
        elif facts.located_in:
            where = ", ".join(f"wd:{p}" for p in sorted(facts.located_in))
            candidate.add(-3, f"located in (P131) {where}, not our parent's {shown}", blocking=True)
    return candidate


def decide(entity: LocalEntity, candidates: list[Candidate]) -> Proposal:
    """Rank the candidates and say which, if any, is proposed."""
    ranked = sorted(candidates, key=lambda c: (-c.score, int(c.qid[1:])))
    prop = PROPOSED_PROPERTY[entity.kind]
    if not ranked:
        return Proposal(entity, prop, ranked, NO_CANDIDATE)
    suitable = [c for c in ranked if c.score > 0 and not c.blocking]
    for candidate in ranked:
        candidate.decision = (
            WEAKER if candidate.score > 0 and not candidate.blocking else UNSUITABLE
        )
    if not suitable:
        return Proposal(entity, prop, ranked, NO_SUITABLE)
    best = suitable[0]
    ties = [c for c in suitable if c.score == best.score]
    if len(ties) > 1:
        for candidate in ties:
            candidate.decision = AMBIGUOUS
        shown = ", ".join(f"wd:{c.qid} ({c.facts.display()})" for c in ties)
        return Proposal(
            entity, prop, ranked, AMBIGUOUS, [f"ambiguous: {shown} score the same; none proposed"]
        )
    best.decision = PROPOSED
    flags = []
    homonyms = [c for c in ranked if c is not best and c.names & best.names]
    if homonyms:
        shown = ", ".join(f"wd:{c.qid} ({c.facts.display()})" for c in homonyms)
        flags.append(f"homonym: {shown} shares a name with wd:{best.qid}; check the evidence")
    return Proposal(entity, prop, ranked, PROPOSED, flags)


def _searched(entity: LocalEntity) -> dict[tuple[str, str], str]:
    """Every (variant, language) searched for the entity, mapped to the language family."""
    searched: dict[tuple[str, str], str] = {}
    for text, language in sorted(entity.labels):
        family = _family(language)
        if family not in ("en", "zh"):
            continue
        for variant in label_variants(text, family, place=entity.kind == "region"):
            searched[(variant, family)] = family
    return searched


def propose_links(entities: dict[str, LocalEntity], client: SparqlClient) -> list[Proposal]:
    """A proposal for every entity in ``entities`` that has no Wikidata link."""
    unlinked = [e for e in entities.values() if not e.links]
    searched = {e.iri: _searched(e) for e in unlinked}
    found = find_by_labels(client, {key for keys in searched.values() for key in keys})
    matches: dict[str, dict[str, dict[str, str]]] = {}
    for entity in unlinked:
        per_item: dict[str, dict[str, str]] = {}
        for key, family in searched[entity.iri].items():
            for qid, how in found.get(key, set()):
                current = per_item.setdefault(qid, {})
                if current.get(family) != "label":
                    current[family] = how
        matches[entity.iri] = per_item
    classes = {c for e in unlinked for c in TYPE_RULES[e.kind].classes}
    facts = fetch_items(client, {q for m in matches.values() for q in m}, classes=classes)
    proposals = []
    for entity in unlinked:
        parents = parent_items(entity, entities)
        candidates = [
            score_candidate(entity, facts[qid], matched, parents)
            for qid, matched in matches[entity.iri].items()
            if facts[qid].exists and not facts[qid].redirect
        ]
        proposals.append(decide(entity, candidates))
    return proposals
