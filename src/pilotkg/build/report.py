"""What a check found, and the three ways ``pilotkg check`` prints it (text, JSON, Turtle)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

import pyoxigraph as ox

from ..namespaces import SH

Severity = Literal["Violation", "Warning", "Info"]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: which check saw it, on which node and path, with what value, and why.

    ``focus_node``, ``path`` and ``value`` are N-Triples terms (``<iri>``,
    ``"literal"@zh``) so that they can be printed and parsed back unambiguously.
    """

    check: str
    focus_node: str
    message: str
    path: str = ""
    value: str = ""
    severity: Severity = "Violation"
    component: str = ""
    source_shape: str = ""

    def as_text(self) -> str:
        parts = [f"[{self.check}] {self.severity}: {self.focus_node}"]
        if self.path:
            parts.append(f"path {self.path}")
        if self.value:
            parts.append(f"value {self.value}")
        return " ".join(parts) + f": {self.message}"


@dataclass
class CheckReport:
    """All findings of one run, and how long each check took."""

    findings: list[Finding] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "Violation"]

    @property
    def passed(self) -> bool:
        return not self.violations

    def as_text(self) -> str:
        lines = [f.as_text() for f in sorted(self.findings)]
        verdict = "passed" if self.passed else "FAILED"
        timing = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds.items())
        lines.append(
            f"checks {verdict}: {len(self.violations)} violation(s), "
            f"{len(self.warnings)} warning(s) ({timing})"
        )
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps(
            {
                "passed": self.passed,
                "violations": len(self.violations),
                "warnings": len(self.warnings),
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "findings": [asdict(f) for f in sorted(self.findings)],
            },
            ensure_ascii=False,
            indent=2,
        )

    def as_turtle(self) -> str:
        """A SHACL validation report covering every check, not only SHACL's."""
        report = ox.BlankNode("report")
        triples = [
            ox.Triple(report, ox.NamedNode(SH_TYPE), ox.NamedNode(SH + "ValidationReport")),
            ox.Triple(
                report,
                ox.NamedNode(SH + "conforms"),
                ox.Literal(str(self.passed).lower(), datatype=BOOLEAN),
            ),
        ]
        for index, finding in enumerate(sorted(self.findings)):
            result = ox.BlankNode(f"r{index}")
            triples.append(ox.Triple(report, ox.NamedNode(SH + "result"), result))
            triples.append(
                ox.Triple(result, ox.NamedNode(SH_TYPE), ox.NamedNode(SH + "ValidationResult"))
            )
            triples.append(
                ox.Triple(
                    result, ox.NamedNode(SH + "resultSeverity"), ox.NamedNode(SH + finding.severity)
                )
            )
            triples.append(
                ox.Triple(result, ox.NamedNode(SH + "resultMessage"), ox.Literal(finding.message))
            )
            triples.append(
                ox.Triple(
                    result,
                    ox.NamedNode(SH + "sourceConstraintComponent"),
                    ox.NamedNode(finding.component or COMPONENT_PREFIX + finding.check),
                )
            )
            for predicate, term in (
                ("focusNode", finding.focus_node),
                ("resultPath", finding.path),
                ("value", finding.value),
            ):
                parsed = parse_term(term)
                if parsed is not None:
                    triples.append(ox.Triple(result, ox.NamedNode(SH + predicate), parsed))
        turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={"sh": SH}) or b""
        return turtle.decode("utf-8")


SH_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
COMPONENT_PREFIX = "https://w3id.org/pilotkg/ontology#check-"


def parse_term(text: str) -> ox.NamedNode | ox.Literal | ox.BlankNode | None:
    """An N-Triples term written by ``Finding`` back into a pyoxigraph term (None when empty)."""
    if not text:
        return None
    triples = list(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    term = triples[0].object
    assert isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode)
    return term
