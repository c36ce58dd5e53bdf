"""The checks that stand between the sources and a release.

SHACL (pyshacl) checks the shapes; violation queries in ``queries/qc/`` check
rules SHACL states badly; HermiT (owlready2) checks that ontology and data are
consistent; the link check makes sure every ``id/`` IRI that is pointed at is
described and every entity cites a source. A release is published only when
all of them pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDF as RDFNS
from rdflib.namespace import SH as SHNS

from . import reasoning
from .graphs import to_rdflib, to_store
from .namespaces import DCTERMS, ID, PROV, RDF
from .report import CheckReport, Finding
from .sources import Sources


def _nt(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return str(term.n3())


def validate_shacl(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Finding]:
    """Every SHACL result, with focus node, path, value and message.

    ``data`` is what is published: ontology and facts in one graph, so the
    shapes for the ontology's own terms run in the same pass and ``sh:class``
    sees the ontology's individuals (pyshacl's ``ont_graph`` is only mixed in
    when it runs inference, which we do not). No inference runs on the data,
    because the published graph must hold its types explicitly: the store and
    most users' stores do no reasoning.
    """
    _conforms, results, _text = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert isinstance(results, rdflib.Graph)
    findings = []
    for result in results.subjects(RDFNS.type, SHNS.ValidationResult):
        severity = results.value(result, SHNS.resultSeverity)
        path = results.value(result, SHNS.resultPath)
        messages = sorted(str(m) for m in results.objects(result, SHNS.resultMessage))
        findings.append(
            Finding(
                check="shacl",
                focus_node=_nt(results.value(result, SHNS.focusNode)),
                path="" if isinstance(path, rdflib.BNode) else _nt(path),
                value=_nt(results.value(result, SHNS.value)),
                message="; ".join(messages) or "violates a SHACL shape",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",  # type: ignore[arg-type]
                component=str(results.value(result, SHNS.sourceConstraintComponent) or ""),
                source_shape=_nt(results.value(result, SHNS.sourceShape)),
            )
        )
    return sorted(findings)


def run_qc_queries(store: ox.Store, qc_dir: Path) -> list[Finding]:
    """Rows of every ``queries/qc/*.rq`` violation query: any row is a failure.

    Each query selects ``?focus`` and ``?message``, and may select ``?path``
    and ``?value``; the file name says which rule it checks.
    """
    findings = []
    for path in sorted(qc_dir.glob("*.rq")):
        rule = path.stem
        solutions = store.query(path.read_text(encoding="utf-8"))
        assert isinstance(solutions, ox.QuerySolutions)
        selected = {v.value for v in solutions.variables}
        for row in solutions:
            cells = {
                name: ("" if name not in selected or row[name] is None else row[name])
                for name in ("focus", "message", "path", "value")
            }
            message = cells["message"]
            findings.append(
                Finding(
                    check=f"qc:{rule}",
                    focus_node=str(cells["focus"]),
                    message=message.value
                    if isinstance(message, ox.Literal)
                    else f"violates {rule}",
                    path=str(cells["path"]),
                    value=str(cells["value"]),
                )
            )
    return sorted(findings)


def check_links(data: list[ox.Triple]) -> list[Finding]:
    """Every ``id/`` IRI used as an object is described, every entity cites a source,
    and no blank node appears (blank nodes cannot be linked to or compared across releases)."""
    findings: list[Finding] = []
    rdf_type = ox.NamedNode(RDF + "type")
    typed = {str(t.subject) for t in data if t.predicate == rdf_type}
    citing = {
        str(t.subject)
        for t in data
        if t.predicate.value in (PROV + "wasDerivedFrom", DCTERMS + "source")
    }
    reported: set[str] = set()
    for triple in data:
        for term in (triple.subject, triple.object):
            if isinstance(term, ox.BlankNode):
                findings.append(
                    Finding(
                        "links",
                        str(triple.subject),
                        "blank node in data/: give it an IRI under " + ID,
                        path=str(triple.predicate),
                    )
                )
        obj = triple.object
        if isinstance(obj, ox.NamedNode) and obj.value.startswith(ID) and str(obj) not in typed:
            key = f"{obj}"
            if key not in reported:
                reported.add(key)
                findings.append(
                    Finding(
                        "links",
                        str(obj),
                        f"is pointed at (by {triple.subject} {triple.predicate}) but described nowhere in data/: "
                        "add it with its rdf:type, or fix the IRI",
                        path=str(triple.predicate),
                    )
                )
    for subject in sorted(typed):
        if (
            subject.startswith(f"<{ID}")
            and not subject.startswith(f"<{ID}source/")
            and subject not in citing
        ):
            findings.append(
                Finding(
                    "links",
                    subject,
                    "cites no source: add prov:wasDerivedFrom id:source/…",
                    path=f"<{PROV}wasDerivedFrom>",
                )
            )
    return sorted(findings)


Check = Callable[[], list[Finding]]


def _timed(report: CheckReport, name: str, check: Check) -> None:
    started = time.perf_counter()
    report.findings.extend(check())
    report.seconds[name] = time.perf_counter() - started


def run_checks(sources: Sources, *, skip: Iterable[str] = ()) -> CheckReport:
    """Run every check on parsed sources; ``skip`` names checks to leave out (e.g. ``owl``)."""
    skipped = set(skip)
    report = CheckReport()
    store = to_store(sources.knowledge)
    checks: dict[str, Check] = {
        "shacl": lambda: validate_shacl(to_rdflib(sources.knowledge), to_rdflib(sources.shapes)),
        "qc": lambda: run_qc_queries(store, sources.tree.query_dir / "qc"),
        "links": lambda: check_links(sources.data),
        "owl": lambda: reasoning.check_consistency(sources.ontology, sources.data),
    }
    for name, check in checks.items():
        if name not in skipped:
            _timed(report, name, check)
    return report
