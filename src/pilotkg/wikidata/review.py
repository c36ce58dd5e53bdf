"""The reviewable file ``--propose FILE`` writes: Turtle (``.ttl``) or CSV (``.csv``).

Both name their fields after SSSOM, the Simple Standard for Sharing Ontological
Mappings (https://w3id.org/sssom/): ``subject_id``, ``predicate_id``,
``object_id``, ``subject_label``, ``object_label``, ``confidence``,
``mapping_justification`` (here always ``semapv:LexicalMatching``: candidates
are found by name). Each candidate is one row (one ``owl:Axiom`` in Turtle)
with the decision and every piece of evidence, so a reviewer can accept or
reject it without running a query. The output is deterministic: the same
answers give the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..errors import UsageError
from ..namespaces import KIND_PREFIXES, OWL, RDFS, SKOS, WIKIDATA_ENTITY, XSD
from .local import LINK_PROPERTIES
from .propose import AMBIGUOUS, PROPOSED, Candidate, Proposal

SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"

CSV_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "decision",
    "status",
    "score",
    "confidence",
    "mapping_justification",
    "evidence",
    "flags",
)

_CURIE_PREFIXES = {iri: name for name, iri in KIND_PREFIXES.items()}


def curie(iri: str) -> str:
    """``region:shenzhen``, ``organisation:huawei``, ``wd:Q148``: as data/ writes them."""
    if iri.startswith(WIKIDATA_ENTITY):
        return "wd:" + iri[len(WIKIDATA_ENTITY) :]
    for namespace, name in _CURIE_PREFIXES.items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace) :]:
            return f"{name}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _subject_label(proposal: Proposal) -> str:
    return proposal.entity.display()


def _rows(proposals: Iterable[Proposal]) -> Iterable[dict[str, str]]:
    for proposal in proposals:
        base = {
            "subject_id": curie(proposal.entity.iri),
            "subject_label": _subject_label(proposal),
            "predicate_id": LINK_PROPERTIES[proposal.prop],
            "status": proposal.status,
            "flags": " | ".join(proposal.flags),
            "mapping_justification": "semapv:LexicalMatching",
        }
        if not proposal.candidates:
            yield {**base, "decision": proposal.status, "mapping_justification": ""}
        for candidate in proposal.candidates:
            yield {
                **base,
                "object_id": f"wd:{candidate.qid}",
                "object_label": candidate.facts.display(),
                "decision": candidate.decision,
                "score": str(candidate.score),
                "confidence": f"{candidate.confidence:.2f}",
                "evidence": "; ".join(candidate.evidence),
            }


def proposals_csv(proposals: Iterable[Proposal]) -> str:
    """The proposals as CSV, one row per candidate (one row for an entity with none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(proposals):
        writer.writerow({column: row.get(column, "") for column in CSV_COLUMNS})
    return out.getvalue()


def _lit(text: str, language: str | None = None) -> str:
    return str(ox.Literal(text, language=language))


def _axiom(proposal: Proposal, candidate: Candidate) -> str:
    entity = proposal.entity
    lines = [
        "[] a owl:Axiom ;",
        f"    owl:annotatedSource {curie(entity.iri)} ;",
        f"    owl:annotatedProperty {LINK_PROPERTIES[proposal.prop]} ;",
        f"    owl:annotatedTarget wd:{candidate.qid} ;",
        "    sssom:mapping_justification semapv:LexicalMatching ;",
    ]
    labels = sorted(entity.labels)
    if labels:
        lines.append(
            "    sssom:subject_label " + " , ".join(_lit(t, lang) for t, lang in labels) + " ;"
        )
    object_labels = sorted(candidate.facts.labels)
    if object_labels:
        lines.append(
            "    sssom:object_label "
            + " , ".join(_lit(t, lang) for t, lang in object_labels)
            + " ;"
        )
    lines.append(f'    sssom:confidence "{candidate.confidence:.2f}"^^xsd:double ;')
    comments = [f"{candidate.decision} (score {candidate.score}, status {proposal.status})"]
    comments += candidate.evidence
    if candidate.decision in (PROPOSED, AMBIGUOUS):
        comments += proposal.flags
    lines.append("    rdfs:comment " + " ,\n        ".join(_lit(c) for c in comments) + " .")
    return "\n".join(lines)


def proposals_turtle(proposals: list[Proposal]) -> str:
    """The proposals as Turtle: an SSSOM-style ``owl:Axiom`` per candidate, grouped by entity."""
    kinds = {curie(p.entity.iri).split(":", 1)[0] for p in proposals}
    prefixes = {
        "owl": OWL,
        "rdfs": RDFS,
        "skos": SKOS,
        "xsd": XSD,
        "sssom": SSSOM,
        "semapv": SEMAPV,
        "wd": WIKIDATA_ENTITY,
        **{name: iri for name, iri in KIND_PREFIXES.items() if name in kinds},
    }
    parts = [f"@prefix {name}: <{iri}> ." for name, iri in sorted(prefixes.items())]
    parts.append(
        "\n# Wikidata link candidates from `pilotkg link wikidata --propose`: review each one;\n"
        "# copy accepted links into data/ by hand (owl:sameAs for regions and organisations\n"
        "# whose item you checked, skos:exactMatch or skos:closeMatch for sectors)."
    )
    for proposal in proposals:
        header = (
            f"\n# {curie(proposal.entity.iri)} ({proposal.entity.display()}): {proposal.status}"
        )
        parts.append(header + "".join(f"\n# {flag}" for flag in proposal.flags))
        parts.extend(_axiom(proposal, candidate) for candidate in proposal.candidates)
    return "\n".join(parts) + "\n"


def write_proposals(path: Path, proposals: list[Proposal]) -> None:
    """Write ``proposals`` to ``path`` as Turtle or CSV, chosen by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".ttl":
        text = proposals_turtle(proposals)
    elif suffix == ".csv":
        text = proposals_csv(proposals)
    else:
        raise UsageError(f"--propose {path}: name a .ttl (Turtle) or .csv file")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from error
