"""The checks that stand between the sources and a release.

SHACL checks the shapes; violation queries in ``queries/qc/`` check rules SHACL
states badly; HermiT (the jar owlready2 ships) checks that ontology and data are consistent;
the link check makes sure every ``id/`` IRI that is pointed at is described and
every entity cites a source. A release is published only when all of them pass.

SHACL has two engines that must agree:

- ``pyshacl``, the reference: the W3C test-suite validator everyone uses, on
  rdflib graphs. It is slow: rdflib re-parses each SPARQL constraint for every
  focus node, so parsing, not checking, took most of the time of the shapes'
  SPARQL constraints. ``validate_shacl`` memoises the parsed, translated
  queries by text, across validations, up to a bound (rdflib's own
  prepared-query path, so the verdict cannot change), which removes most of that cost; it is
  still far too slow for large graphs.
- ``turbo``, pyshacl-turbo: a Rust engine with pyshacl's API, many times
  faster on large graphs (README, "Performance"). It had a bug when the shapes
  came as an rdflib graph (false ``sh:in`` results), so they go in as a
  pyoxigraph store here, and the data as Turtle text (see
  ``validate_shacl_turbo``).

``run_checks`` uses ``turbo`` (or the engine named by ``PILOTKG_SHACL_ENGINE``).
That is safe only while both engines give the same results:
``tests/build/test_shacl_engines.py`` runs both on every fixture of
``tests/data/shapes/`` and on synthetic graphs with planted violations, and
requires identical conformance and identical (focus node, path, component)
results. Set ``PILOTKG_SHACL_ENGINE=pyshacl`` to check with the reference.

Both engines validate one graph holding the ontology and the data, with no
ontology graph and no inference. The shapes need the ontology's own
individuals (``pilot:Notice a pilot:PolicyKind``, for ``sh:class``) and the
full description of each ontology term (for the documentation shapes);
pyshacl's ``ont_graph`` copies only class and property axioms into the data
graph, so with it every ``pilot:policyKind`` and ``pilot:administrativeLevel``
was reported as a false ``sh:class`` violation.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..errors import UsageError
from ..graphs import to_rdflib, to_store
from ..namespaces import DCTERMS, ID, PREFIXES, PROV, XSD
from ..queries import read_query_text
from ..sources import Sources, require_shapes
from . import reasoning
from .memo import Memo
from .report import CheckReport, Finding

if TYPE_CHECKING:  # both engines give rdflib graphs; each imports it when it runs
    import rdflib

#: The SHACL engines ``run_checks`` can use, by name.
SHACL_ENGINES = ("turbo", "pyshacl")
#: Environment variable naming the engine ``run_checks`` uses (default: ``turbo``).
SHACL_ENGINE_VARIABLE = "PILOTKG_SHACL_ENGINE"


def _nt(term: rdflib.term.Node | None) -> str:
    from rdflib import BNode

    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term.n3())


def shacl_findings(results: rdflib.Graph) -> list[Finding]:
    """The findings of a SHACL validation report graph (pyshacl's or pyshacl-turbo's)."""
    from rdflib import BNode
    from rdflib.namespace import RDF as RDFNS
    from rdflib.namespace import SH as SHNS

    findings = []
    for result in results.subjects(RDFNS.type, SHNS.ValidationResult):
        severity = results.value(result, SHNS.resultSeverity)
        path = results.value(result, SHNS.resultPath)
        messages = sorted(str(m) for m in results.objects(result, SHNS.resultMessage))
        findings.append(
            Finding(
                check="shacl",
                focus_node=_nt(results.value(result, SHNS.focusNode)),
                path="" if isinstance(path, BNode) else _nt(path),
                value=_nt(results.value(result, SHNS.value)),
                message="; ".join(messages) or "violates a SHACL shape",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",  # type: ignore[arg-type]
                component=str(results.value(result, SHNS.sourceConstraintComponent) or ""),
                source_shape=_nt(results.value(result, SHNS.sourceShape)),
            )
        )
    return sorted(findings)


#: Parsed and translated SPARQL texts, kept across validations (the shapes' queries repeat).
_PREPARED: dict[tuple[str, str | None, frozenset[tuple[str, Any]]], Any] = {}
_PREPARED_MAX = 4096


@contextmanager
def _prepared_sparql_queries() -> Iterator[None]:
    """While open, rdflib parses and translates each distinct SPARQL text once.

    pyshacl sends the same SPARQL constraint text once per focus node, with the
    focus node as an initial binding; rdflib parses the text anew every time,
    and the parse costs more than the evaluation. A translated query is what
    ``rdflib.plugins.sparql.prepareQuery`` returns for reuse with other
    bindings, so evaluating a cached one gives the same answer; the cache is
    keyed by text, base and namespaces, and kept between validations. The
    patch is undone on exit, also on error.
    """
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.processor import SPARQLProcessor

    original = SPARQLProcessor.query

    def query(
        self: SPARQLProcessor,
        query: Any,
        # rdflib's own parameter names, so that keyword calls still reach them
        initBindings: Any = None,
        initNs: Any = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(query, str):
            key = (query, base, frozenset((initNs or {}).items()))
            if key not in _PREPARED:
                if len(_PREPARED) >= _PREPARED_MAX:
                    _PREPARED.clear()
                _PREPARED[key] = translateQuery(parseQuery(query), base, initNs)
            query = _PREPARED[key]
        return original(self, query, initBindings, initNs, base, DEBUG)

    SPARQLProcessor.query = query  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        SPARQLProcessor.query = original  # type: ignore[method-assign]


def validate_shacl(
    data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None
) -> list[Finding]:
    """Every SHACL result from pyshacl (the reference engine), with focus node, path, value and message.

    ``ontology``, when given, is passed as pyshacl's ``ont_graph`` (pyshacl
    copies its class and property axioms into the data graph); ``run_checks``
    passes the ontology inside ``data`` instead (see the module docstring). No
    inference is run on the data itself, because the published graph must hold
    its types explicitly (the store does no reasoning).
    """
    import rdflib
    from pyshacl import validate as pyshacl_validate  # the reference engine, seldom run

    with _prepared_sparql_queries():
        _conforms, results, _text = pyshacl_validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
    assert isinstance(results, rdflib.Graph)
    return shacl_findings(results)


def validate_shacl_turbo(data: ox.Store, shapes: list[ox.Triple]) -> list[Finding]:
    """Every SHACL result from pyshacl-turbo, the fast engine, for the default graph of ``data``,
    with the options of ``validate_shacl``.

    The data goes in as one Turtle text in pyshacl-turbo's own input record
    (``pyshacl_turbo.rdf.Input``, the form its ``validate`` makes of a pyoxigraph
    store): handed a store, it dumps the store twice before its native parser
    reads the dump, work that grows with the graph and gains nothing; handed
    text through its public ``validate``, it builds an rdflib graph first, the
    slow parse the native engine exists to avoid. Turtle rather than N-Triples:
    its native graph then peaks lower (README, "Performance"), and parses no
    slower. The shapes
    go in as a pyoxigraph store: with rdflib shapes, 0.6.5 reports false
    ``sh:in`` results. The native validation releases the GIL, which lets
    ``start_checks`` run it beside the other checks. pyproject pins
    ``pyshacl-turbo<0.7`` because ``Input`` is not in its ``__all__``;
    ``tests/build/test_shacl_engines.py`` catches any drift from pyshacl.
    """
    # native; imported only when used
    import rdflib
    from pyshacl_turbo.rdf import Input

    text = data.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(), prefixes=PREFIXES)
    _conforms, results, _text = _compiled_shapes(shapes).validate(
        Input((text or b"").decode("utf-8"), "turtle", None, {}, preserve_ids=True),
        allow_warnings=True,
    )
    assert isinstance(results, rdflib.Graph)
    return shacl_findings(results)


def _compiled_shapes(shapes: list[ox.Triple]) -> Any:
    """pyshacl-turbo's program for ``shapes``, compiled once per set of shapes a process meets.

    Compiling costs several times what validating a small graph does, and the same shapes
    check graph after graph: fixture after fixture in the tests, rebuild after rebuild under
    ``serve --watch``. A rebuild parses the shapes afresh, and each parse gives the blank
    nodes new labels, so the key (``_shapes_key``) names them by the order they first
    appear in, which is the files' order: the same files give the same key, and a key
    stands for one graph up to the names of its blank nodes, which a program does not
    depend on. pyshacl-turbo's compiled shapes are immutable; a validation keeps its own
    state.
    """
    from pyshacl_turbo import compile_shapes  # native; imported only when used

    key = _shapes_key(shapes)
    program = _PROGRAMS.pop(key, None)
    if program is None:
        program = compile_shapes(to_store(shapes), advanced=True)  # type: ignore[no-untyped-call]
    _PROGRAMS[key] = program  # the newest last
    while len(_PROGRAMS) > _KEPT_PROGRAMS:
        del _PROGRAMS[next(iter(_PROGRAMS))]
    return program


#: Compiled shapes by ``_shapes_key``, the least recently used first; a few, for a process
#: that checks against more than one set.
_PROGRAMS: dict[tuple[str, ...], Any] = {}
_KEPT_PROGRAMS = 4


def _shapes_key(shapes: list[ox.Triple]) -> tuple[str, ...]:
    """``shapes`` as N-Triples lines, each blank node named by the order it first appears in."""
    names: dict[ox.BlankNode, str] = {}

    def term(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
        if isinstance(node, ox.BlankNode):
            return names.setdefault(node, f"_:b{len(names)}")
        return str(node)

    return tuple(f"{term(t.subject)} {t.predicate} {term(t.object)}" for t in shapes)


def shacl_engine() -> str:
    """The engine named by ``PILOTKG_SHACL_ENGINE``, else ``turbo``; an unknown name is an error."""
    name = os.environ.get(SHACL_ENGINE_VARIABLE, SHACL_ENGINES[0]).strip().lower()
    if name not in SHACL_ENGINES:
        raise UsageError(
            f"{SHACL_ENGINE_VARIABLE}={name!r}: choose one of {', '.join(SHACL_ENGINES)}"
        )
    return name


def check_shacl(knowledge: ox.Store, shapes: list[ox.Triple], *, engine: str) -> list[Finding]:
    """SHACL findings for the ontology plus data in the default graph of ``knowledge``,
    with the named engine."""
    if engine == "pyshacl":
        return validate_shacl(to_rdflib(knowledge), to_rdflib(shapes))
    return validate_shacl_turbo(knowledge, shapes)


def run_qc_queries(store: ox.Store, qc_dir: Path) -> list[Finding]:
    """Rows of every ``queries/qc/*.rq`` violation query: any row is a failure.

    Each query selects ``?focus`` and ``?message``, and may select ``?path``
    and ``?value``; the file name says which rule it checks. Each text is read
    through ``read_query_text``, which refuses one nested too deep for the
    engine's parser (QueryError) rather than let it crash the process.
    """
    findings = []
    for path in sorted(qc_dir.glob("*.rq")):
        rule = path.stem
        solutions = _solutions(store, read_query_text(path))
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


#: The triples with a blank node, and those pointing at an ``id/`` IRI that has no type, in
#: one scan of the store (two scans took a third longer at scale; README, "Performance").
_BLANK_OR_UNDESCRIBED = f"""SELECT ?s ?p ?o ?undescribed WHERE {{
  ?s ?p ?o
  BIND(isIRI(?o) && STRSTARTS(STR(?o), "{ID}") && NOT EXISTS {{ ?o a ?type }} AS ?undescribed)
  FILTER(isBlank(?s) || isBlank(?o) || ?undescribed)
}}"""
_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
_UNCITED = f"""SELECT DISTINCT ?s WHERE {{
  ?s a ?type FILTER(STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{ID}source/"))
  FILTER NOT EXISTS {{ ?s <{PROV}wasDerivedFrom> ?cited }}
  FILTER NOT EXISTS {{ ?s <{DCTERMS}source> ?cited }}
}}"""


def check_links(knowledge: ox.Store, ontology: Iterable[ox.Triple] = ()) -> list[Finding]:
    """Every ``id/`` IRI used as an object is described, every entity cites a source,
    and no blank node appears in the data (blank nodes cannot be linked to or compared
    across releases); ``ontology`` names the triples of the store that are not data.

    Two queries on the store, run in its native code; only what they find
    becomes Python objects.
    """
    own = set(ontology)
    findings: list[Finding] = []
    pointers: dict[str, tuple[str, str]] = {}
    for row in _solutions(knowledge, _BLANK_OR_UNDESCRIBED):
        triple = ox.Triple(row["s"], row["p"], row["o"])
        if triple not in own:
            findings.extend(_blank_node_findings(triple))
        if row["undescribed"] == _TRUE:
            target, pointer = str(triple.object), (str(triple.subject), str(triple.predicate))
            pointers[target] = min(pointers.get(target, pointer), pointer)
    for target, (subject, predicate) in pointers.items():
        findings.append(
            Finding(
                "links",
                target,
                f"is pointed at (by {subject} {predicate}) but described nowhere in data/: "
                "add it with its rdf:type, or fix the IRI",
                path=predicate,
            )
        )
    for row in _solutions(knowledge, _UNCITED):
        findings.append(
            Finding(
                "links",
                str(row["s"]),
                "cites no source: add prov:wasDerivedFrom id:source/…",
                path=f"<{PROV}wasDerivedFrom>",
            )
        )
    return sorted(findings)


def _solutions(store: ox.Store, query: str) -> ox.QuerySolutions:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def _blank_node_findings(triple: ox.Triple) -> list[Finding]:
    """One finding for each blank node in the triple (subject, object or both)."""
    return [
        Finding(
            "links",
            str(triple.subject),
            "blank node in data/: give it an IRI under " + ID,
            path=str(triple.predicate),
        )
        for term in (triple.subject, triple.object)
        if isinstance(term, ox.BlankNode)
    ]


Check = Callable[[], list[Finding]]


def _timed(check: Check) -> tuple[list[Finding], float]:
    started = time.perf_counter()
    findings = check()
    return findings, time.perf_counter() - started


class RunningChecks:
    """The checks of one source folder: OWL and SHACL under way in worker threads, the rest to come.

    The OWL check starts first, in a thread of its own: most of its time is
    HermiT's JVM starting and reasoning in a process of its own, which waits on
    neither Python's GIL nor the other checks, so it overlaps everything after it.
    SHACL, the longest check at scale (README, "Performance"; it runs in
    pyshacl-turbo's native code, which releases the GIL), starts next in a
    second thread. The other checks (QC queries, links) run on the caller's
    thread when it asks for the ``report()``; until then that thread is free,
    and ``pipeline.build`` writes the release into a staging folder with it,
    which takes the place of the old release only once every check has passed.
    """

    def __init__(
        self, sources: Sources, *, skip: Iterable[str] = (), memo: Memo | None = None
    ) -> None:
        skipped = set(skip)
        if "shacl" not in skipped:
            require_shapes(sources)
        engine = shacl_engine()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pilotkg-check")
        background: dict[str, Check] = {
            "owl": lambda: reasoning.check_consistency(sources.ontology, sources.data, memo=memo),
            "shacl": lambda: check_shacl(sources.store, sources.shapes, engine=engine),
        }
        self._background = {
            name: self._pool.submit(_timed, check)
            for name, check in background.items()
            if name not in skipped
        }
        later: dict[str, Check] = {
            "qc": lambda: run_qc_queries(sources.store, sources.tree.query_dir / "qc"),
            "links": lambda: check_links(sources.store, sources.ontology),
        }
        self._later = {name: check for name, check in later.items() if name not in skipped}

    def report(self) -> CheckReport:
        """Run the remaining checks here, wait for OWL and SHACL, and report in a fixed order
        (SHACL, QC, links, OWL). A check that raised re-raises, after the others have stopped."""
        try:
            outcomes = {name: _timed(check) for name, check in self._later.items()}
            outcomes |= {name: future.result() for name, future in self._background.items()}
        finally:
            self._pool.shutdown(wait=True)
        report = CheckReport()
        for name in ("shacl", "qc", "links", "owl"):
            if name in outcomes:
                findings, seconds = outcomes[name]
                report.findings.extend(findings)
                report.seconds[name] = seconds
        return report


def start_checks(
    sources: Sources, *, skip: Iterable[str] = (), memo: Memo | None = None
) -> RunningChecks:
    """Start every check on parsed sources; ``skip`` names checks to leave out (e.g. ``owl``),
    ``memo`` is the build memo (``memo.py``). SourceError, before anything starts, when SHACL
    is to run with no shapes to check."""
    return RunningChecks(sources, skip=skip, memo=memo)


def run_checks(sources: Sources, *, skip: Iterable[str] = ()) -> CheckReport:
    """Run every check on parsed sources and wait for the report."""
    return start_checks(sources, skip=skip).report()
