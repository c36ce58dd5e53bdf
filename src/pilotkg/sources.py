"""Find the source folder and parse its Turtle, naming file, line and column on any error.

A source folder holds ``ontology/``, ``data/``, ``shapes/`` and ``queries/``.
Every command reads one, so that forks, tests and benchmarks can run the
pipeline on other data (``--source DIR``). Parsing uses pyoxigraph: it parses
in native code, far faster than rdflib (README, "Performance"), and reports
exact error positions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .entailment import entail
from .errors import SourceError
from .namespaces import RDF, SH
from .queries import nesting_problem, read_query_text
from .statements import CitationError, compile_citations

SOURCE_PARTS = ("ontology", "data", "shapes", "queries")
#: pyoxigraph's Turtle and N-Triples parsers hold one token (a literal or an IRI) in a
#: buffer that stops growing at 16 MiB; past it they raise MemoryError.
PARSER_TOKEN_LIMIT = 16 * 1024 * 1024
#: The most bytes one term may take written out as N-Triples. Every dump is parsed
#: again (the dumps stream through a sorted N-Triples file, pyshacl-turbo reads the data
#: as Turtle text, ``pilotkg serve`` loads the Turtle dump), and a term can grow on the
#: way out (escapes), so a term that parsed may not parse back; the margin leaves room
#: for what the parser's buffer holds beside the token.
MAX_TERM_BYTES = PARSER_TOKEN_LIMIT - 64 * 1024
#: The most bytes one character takes written out (``\u0001`` for a raw control character).
_MAX_ESCAPE_GROWTH = 6
#: What a shapes file must declare at least one of: without shapes SHACL checks nothing.
SHAPE_CLASSES = (SH + "NodeShape", SH + "PropertyShape")
#: The SHACL (and SHACL-AF) properties whose values are SPARQL texts the engines parse.
SHACL_SPARQL_PROPERTIES = ("select", "ask", "construct", "update")
PACKAGED_SOURCES = Path(__file__).parent / "_sources"
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def is_source_dir(path: Path) -> bool:
    """True when ``path`` holds all four parts of a source folder."""
    return all((path / part).is_dir() for part in SOURCE_PARTS)


def find_source_dir(explicit: Path | None = None) -> Path:
    """The folder to read: ``explicit``, else the checkout around the working directory,
    else the checkout this package was installed from, else the copy shipped in the wheel."""
    if explicit is not None:
        if not is_source_dir(explicit):
            missing = [p for p in SOURCE_PARTS if not (explicit / p).is_dir()]
            raise SourceError(
                f"{explicit} is not a pilotkg source folder: it lacks {', '.join(p + '/' for p in missing)} "
                "(a source folder holds ontology/, data/, shapes/ and queries/)"
            )
        return explicit
    cwd = Path.cwd()
    for candidate in (cwd, *cwd.parents):
        if is_source_dir(candidate):
            return candidate
    for candidate in (CHECKOUT_ROOT, PACKAGED_SOURCES):
        if is_source_dir(candidate):
            return candidate
    raise SourceError(
        "no source folder found: pass --source DIR (a folder holding ontology/, data/, shapes/, queries/)"
    )


@dataclass(frozen=True)
class SourceTree:
    """The files of one source folder, in a stable order."""

    root: Path

    def _turtle(self, part: str) -> list[Path]:
        return sorted((self.root / part).glob("*.ttl"))

    @property
    def ontology_files(self) -> list[Path]:
        return self._turtle("ontology")

    @property
    def data_files(self) -> list[Path]:
        return self._turtle("data")

    @property
    def shape_files(self) -> list[Path]:
        return self._turtle("shapes")

    @property
    def query_dir(self) -> Path:
        return self.root / "queries"

    def relative(self, path: Path) -> str:
        """``path`` as shown in messages: relative to the source folder when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def _format_syntax_error(shown: str, error: SyntaxError) -> str:
    line, column = error.lineno, error.offset
    message = str(error.msg) if error.msg else str(error)
    # pyoxigraph prefixes its message with the position it also puts in lineno/offset.
    if message.startswith("Parser error"):
        message = message.split(": ", 1)[-1]
    return f"{shown}:{line}:{column}: {message}"


def _first_line_of_length(path: Path, length: int) -> int | None:
    """The number of the first line of ``path`` at least ``length`` bytes long, if any."""
    line, current = 1, 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            start = 0
            while True:
                newline = chunk.find(b"\n", start)
                current += (len(chunk) if newline < 0 else newline) - start
                if current >= length:
                    return line
                if newline < 0:
                    break
                line, current, start = line + 1, 0, newline + 1
    return None


def _parser_overflow(shown: str, path: Path, error: MemoryError) -> SourceError:
    """The SourceError for a MemoryError from pyoxigraph's parser: a term too long to read.

    pyoxigraph says only that its buffer is full, not where; the line is found
    as the first one long enough to hold such a term (a term written on one line,
    the usual case), else the message names the file alone.
    """
    if "maximal size" not in str(error):
        return SourceError(f"{shown}: out of memory while parsing ({error})")
    line = _first_line_of_length(path, MAX_TERM_BYTES)
    where = shown if line is None else f"{shown}:{line}"
    return SourceError(
        f"{where}: a literal or IRI longer than {PARSER_TOKEN_LIMIT // 2**20} MiB, more than "
        "the RDF parser reads as one term: shorten it (or publish the text elsewhere and link to it)"
    )


def parse_turtle(path: Path, *, shown: str | None = None) -> list[ox.Triple]:
    """All triples of one Turtle file; a syntax error raises SourceError naming file:line:column."""
    with _parse_errors(shown or str(path), path):
        return [quad.triple for quad in ox.parse(path=os.fspath(path), format=ox.RdfFormat.TURTLE)]


@contextmanager
def _parse_errors(shown: str, path: Path) -> Iterator[None]:
    """The parser's errors on ``path`` as one SourceError naming ``shown`` (file:line:column)."""
    try:
        yield
    except SyntaxError as error:
        raise SourceError(_format_syntax_error(shown, error)) from error
    except MemoryError as error:
        raise _parser_overflow(shown, path, error) from error
    except OSError as error:
        raise SourceError(f"{shown}: cannot read: {error.strerror}") from error


class TripleView:
    """The triples of a store's default graph less some excluded ones, read afresh on each pass.

    A Python list of ``ox.Triple`` objects costs several times the store's
    own memory at scale, and the store already holds every triple. A view
    lets the checks that walk the data (links, OWL) iterate it as often as
    they need without a copy.
    """

    def __init__(self, store: ox.Store, excluded: frozenset[ox.Triple] = frozenset()) -> None:
        self._store = store
        self._excluded = excluded

    def __iter__(self) -> Iterator[ox.Triple]:
        excluded = self._excluded
        for quad in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            triple = quad.triple
            if triple not in excluded:
                yield triple

    def with_predicates(self, predicates: Iterable[str]) -> Iterator[ox.Triple]:
        """The triples whose predicate is one of ``predicates``, found in the store's index."""
        for predicate in sorted(predicates):
            node = ox.NamedNode(predicate)
            excluded = {t for t in self._excluded if t.predicate == node}
            for quad in self._store.quads_for_pattern(None, node, None, ox.DefaultGraph()):
                triple = quad.triple
                if not excluded or triple not in excluded:
                    yield triple

    def __len__(self) -> int:
        # every excluded triple is in the store: Sources loads the ontology first
        return len(self._store) - len(self._excluded)


@dataclass
class Sources:
    """The parsed contents of a source folder, parsed once.

    The knowledge (ontology, what data/ states and its sub-property
    entailments) lives only in ``store``, in the default graph: checks,
    publisher and queries all read it there. The ontology and the shapes are
    small and also kept as triples; ``ontology`` holds them as the store does
    (blank nodes included), so that ``data`` can leave them out exactly.
    """

    tree: SourceTree
    store: ox.Store
    ontology: list[ox.Triple] = field(default_factory=list)
    shapes: list[ox.Triple] = field(default_factory=list)
    entailed: int = 0
    #: How many citations of statements by sources the data's citation blocks gave.
    citations: int = 0
    #: How many shapes each shapes file declares, by its name in messages (see ``require_shapes``).
    shape_counts: dict[str, int] = field(default_factory=dict)
    #: How many triples ``store`` holds once loaded: counted once, as ``len(store)`` walks them all.
    triples: int = 0

    @property
    def data(self) -> TripleView:
        """The facts as published: what data/ states plus its sub-property entailments."""
        return TripleView(self.store, frozenset(self.ontology))

    @property
    def knowledge(self) -> TripleView:
        """Ontology and data together: what is published and served."""
        return TripleView(self.store)


def _load_into(store: ox.Store, tree: SourceTree, paths: Iterable[Path]) -> None:
    """Load Turtle files into the default graph; SourceError names file:line:column.

    ``Store.load`` (a transaction per file) rather than ``bulk_load``: on a
    large graph spread over many files it was the quicker of the two and
    peaked no higher.
    """
    for path in paths:
        with _parse_errors(tree.relative(path), path):
            store.load(path=os.fspath(path), format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())


_LONG_TERMS = """SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(
  STRLEN(STR(?p)) > {n} || (isIRI(?s) && STRLEN(STR(?s)) > {n})
  || (!isBlank(?o) && STRLEN(STR(?o)) > {n})
  || (isLiteral(?o) && STRLEN(STR(DATATYPE(?o))) > {n})) }}"""


def _check_term_sizes(store: ox.Store, tree: SourceTree, paths: list[Path]) -> None:
    """SourceError naming the file when a term of ``store`` is too long to be parsed back
    once written out (see ``MAX_TERM_BYTES``).

    A term comes from one token of one file and grows at most sixfold on the way out,
    so files smaller than that share of the limit need no look; otherwise one query
    finds the long terms, and only then are the files read again to say which one.
    """
    shortest = MAX_TERM_BYTES // _MAX_ESCAPE_GROWTH
    if all(path.stat().st_size <= shortest for path in paths):
        return
    found = _too_long(store, shortest)
    if found is None:
        return
    triple, term, size = found
    raise SourceError(
        f"{_file_stating(term, tree, paths)}: "
        f"{'the literal' if isinstance(term, ox.Literal) else 'an IRI'} of "
        f"{_shortened(triple.subject)} {_shortened(triple.predicate)} takes "
        f"{size / 2**20:.1f} MiB written out, more than the "
        f"{MAX_TERM_BYTES / 2**20:.1f} MiB the RDF parsers read back as one term: shorten it"
    )


def _too_long(
    store: ox.Store, shortest: int
) -> tuple[ox.Triple, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, int] | None:
    """The first triple with a term longer than ``MAX_TERM_BYTES`` written out, that term and
    its size. Its own function so that the query's solutions are released on the thread that
    made them (``compile_citations`` runs the check in a worker): pyoxigraph refuses to drop
    them on another, which the error's traceback would make happen."""
    results = store.query(_LONG_TERMS.format(n=shortest))
    assert isinstance(results, ox.QuerySolutions)
    row = None
    try:
        for row in results:
            triple = ox.Triple(row["s"], row["p"], row["o"])
            term = max(triple, key=lambda term: len(str(term).encode()))
            size = len(str(term).encode())
            if size > MAX_TERM_BYTES:
                return triple, term, size
        return None
    finally:
        del results, row  # not kept by the traceback of an error raised while reading them


def _file_stating(term: object, tree: SourceTree, paths: list[Path]) -> str:
    """The first of ``paths`` with a triple that holds ``term`` (as messages show it)."""
    for path in paths:
        for quad in ox.parse(path=os.fspath(path), format=ox.RdfFormat.TURTLE):
            if term in quad.triple:
                return tree.relative(path)
    return str(tree.root)


def _named_owner(node: ox.NamedNode | ox.BlankNode | ox.Triple, triples: list[ox.Triple]) -> object:
    """The IRI ``node`` hangs from (a SPARQL constraint is a blank node under its shape),
    or ``node`` itself when it is an IRI or hangs from none."""
    seen = set()
    while isinstance(node, ox.BlankNode) and node not in seen:
        seen.add(node)
        parent = next((t.subject for t in triples if t.object == node), None)
        if parent is None:
            break
        node = parent
    return node


def _shortened(term: object, length: int = 80) -> str:
    text = str(term)
    return text if len(text) <= length else text[: length - 1] + "…"


def _load_shapes(tree: SourceTree) -> tuple[list[ox.Triple], dict[str, int]]:
    """The triples of every shapes file, and how many shapes each declares (by the file's
    name in messages); SourceError when a SPARQL text in them nests too deep to parse."""
    rdf_type = ox.NamedNode(RDF + "type")
    shape_classes = {ox.NamedNode(cls) for cls in SHAPE_CLASSES}
    sparql = {ox.NamedNode(SH + name): f"sh:{name}" for name in SHACL_SPARQL_PROPERTIES}
    shapes: list[ox.Triple] = []
    counts: dict[str, int] = {}
    for path in tree.shape_files:
        shown = tree.relative(path)
        triples = parse_turtle(path, shown=shown)
        counts[shown] = len(
            {t.subject for t in triples if t.predicate == rdf_type and t.object in shape_classes}
        )
        for triple in triples:
            name = sparql.get(triple.predicate)
            if name is not None and isinstance(triple.object, ox.Literal):
                problem = nesting_problem(triple.object.value)
                if problem is not None:
                    owner = _shortened(_named_owner(triple.subject, triples))
                    raise SourceError(f"{shown}: the {name} of {owner}: {problem}")
        _refuse_triple_terms(shown, triples)
        shapes.extend(triples)
    return shapes, counts


def _refuse_triple_terms(shown: str, triples: Iterable[ox.Triple]) -> None:
    """SourceError for an RDF 1.2 triple term (a citation block, ``<<( … )>>``) outside data/:
    citations are compiled in the data only, and nothing downstream reads triple terms."""
    for triple in triples:
        if isinstance(triple.subject, ox.Triple) or isinstance(triple.object, ox.Triple):
            raise SourceError(
                f"{shown}: {_shortened(triple.subject)} {_shortened(triple.predicate)} "
                f"{_shortened(triple.object)}: an RDF 1.2 triple term or citation block; "
                "they belong in data/ only"
            )


def require_shapes(sources: Sources) -> None:
    """SourceError unless the shapes folder has files and each declares a shape.

    SHACL with no shapes reports conformance, so an emptied shapes folder, or a
    shapes file truncated to its prefixes, would let any data pass unchecked and
    be published. Only the SHACL check needs shapes: commands that read the data
    alone (``pilotkg query``, ``pilotkg link``) do not ask for them.
    """
    if not sources.shape_counts:
        raise SourceError(
            f"{sources.tree.root / 'shapes'}: no .ttl files: SHACL would check nothing "
            "(the shapes folder must hold the shapes the data is checked against)"
        )
    for shown, count in sources.shape_counts.items():
        if not count:
            raise SourceError(
                f"{shown}: declares no sh:NodeShape or sh:PropertyShape, so SHACL would check "
                "nothing with it: add its shapes, or remove the file"
            )


def _compile_citations(store: ox.Store, tree: SourceTree, first: Callable[[], None]) -> int:
    """``statements.compile_citations``, its refusals as SourceError naming file and statement;
    ``first`` (the term-size check) sees the store before the blocks are compiled, and its
    error comes before theirs."""
    try:
        return compile_citations(store, alongside=first)
    except CitationError as error:
        statement = error.statement
        raise SourceError(
            f"{_file_of_citation(error, tree)}: {_shortened(statement.subject)} "
            f"{_shortened(statement.predicate)} {_shortened(statement.object)}: {error}"
        ) from error


def _file_of_citation(error: CitationError, tree: SourceTree) -> str:
    """The data file whose citation blocks ``error`` is about: the first that fails the same
    way compiled alone; else (a statement stated or cited in two files) the first that
    mentions the statement."""
    for path in tree.data_files:
        alone = ox.Store()
        alone.load(path=os.fspath(path), format=ox.RdfFormat.TURTLE)
        try:
            compile_citations(alone)
        except CitationError as same:
            if str(same) == str(error):
                return tree.relative(path)
    return _file_stating(error.statement, tree, tree.data_files)


def _check_queries(tree: SourceTree) -> None:
    """Read every query of ``queries/`` and ``queries/qc/`` as ``read_query_text`` does,
    so that a query too deeply nested for the engines stops the run before one parses it."""
    for path in [*sorted(tree.query_dir.glob("*.rq")), *sorted(tree.query_dir.glob("qc/*.rq"))]:
        read_query_text(path, tree.relative(path))


def load_sources(root: Path, *, on_loaded: Callable[[ox.Store], None] | None = None) -> Sources:
    """Parse every Turtle file under ``root``; the first malformed file stops with its position.
    ``on_loaded`` sees the store once every file is in it, before the citations compile: the
    build starts there, in a thread of its own, work that needs only what the files state
    (``build.sortkeys.KeyingAhead``), while the compile leaves a core waiting.

    Whatever would make a later stage crash is refused here, with the file it is in,
    before any check or release starts: queries nested too deep for a SPARQL parser,
    terms too long to parse back. (Shapes that check nothing are refused by the SHACL
    check, through ``require_shapes``: other commands read sources without shapes.)

    The files go straight into a store: parsing them into Python objects
    first adds a second pass over every triple and holds each one twice.
    """
    tree = SourceTree(root)
    if not tree.data_files:
        raise SourceError(f"{root / 'data'}: no .ttl files: the data folder is empty")
    _check_queries(tree)
    shapes, shape_counts = _load_shapes(tree)
    store = ox.Store()
    _load_into(store, tree, tree.ontology_files)
    ontology = [quad.triple for quad in store]
    _refuse_triple_terms(", ".join(map(tree.relative, tree.ontology_files)), ontology)
    _load_into(store, tree, tree.data_files)
    if on_loaded is not None:
        on_loaded(store)
    files = [*tree.ontology_files, *tree.data_files]
    citations = _compile_citations(store, tree, lambda: _check_term_sizes(store, tree, files))
    entailed = entail(store, ontology)
    return Sources(
        tree=tree,
        store=store,
        ontology=ontology,
        shapes=shapes,
        citations=citations,
        entailed=entailed,
        shape_counts=shape_counts,
        triples=len(store),
    )
