"""Write a release into ``dist/``: dumps, ontology and its docs, the JSON-LD context, VoID, CSV
exports with their Data Package, checksums.

The output is byte-identical for identical sources: triples are sorted,
nothing carries a timestamp, gzip headers have no mtime, and no blank node is
written. A release is written into a fresh folder beside the target and only
swapped into place once complete, so a failed build leaves the previous
release untouched; ``dist`` is a symlink to the release's folder so that the
swap is a single atomic rename (see ``ReleasePath``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from ..formats import GRAPH_FORMATS, Format, prefixes_for, serialize
from ..graphs import sorted_triples
from ..jsonld import context_document
from ..namespaces import BASE
from ..queries import Catalogue, run
from ..release import (
    CHECKSUMS,
    COLLATION_KEYS,
    CSV_EXPORTS,
    DATAPACKAGE,
    JSONLD_CONTEXT,
    ONTOLOGY_HTML,
    ONTOLOGY_TTL,
    VOID,
    checksums_text,
    csv_name,
    dump_name,
)
from ..sources import Sources
from ..tables import results_bytes
from .datapackage import Table, data_package, dataset_sources
from .memo import Memo
from .ntsort import write_sorted_ntriples
from .ontodoc import ontology_html_process
from .sortkeys import KeyingAhead, collation_keys
from .void import Dump, describe_release

Progress = Callable[[str], None]


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _gzip_file(source: Path, target: Path) -> None:
    """Deterministic gzip (no name, no mtime). Level 6, zlib's default: level 9 is
    several times slower for a slightly smaller file."""
    with (
        source.open("rb") as plain,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as packed,
    ):
        shutil.copyfileobj(plain, packed, 1 << 20)


def write_dump(ordered: Path, fmt: Format, folder: Path) -> Dump:
    """The sorted N-Triples file ``ordered`` written into ``folder`` as the dump in ``fmt``,
    streamed through pyoxigraph's serialiser (N-Triples itself is gzipped)."""
    assert fmt.rdf_format is not None
    name = dump_name(fmt)
    if fmt.rdf_format == ox.RdfFormat.N_TRIPLES:
        media_type = "application/gzip"
        _gzip_file(ordered, folder / name)
    else:
        media_type = fmt.media_type
        # The parser's quads (all in the default graph) straight into the serialiser, which
        # writes them as triples: a Python generator between the two cost a tenth of the time.
        quads = ox.parse(path=ordered, format=ox.RdfFormat.N_TRIPLES)
        ox.serialize(quads, output=folder / name, format=fmt.rdf_format, prefixes=prefixes_for(fmt))
    path = folder / name
    return Dump(name, media_type, path.stat().st_size, _file_sha256(path))


def write_dumps(store: ox.Store, folder: Path) -> list[Dump]:
    """The default graph of ``store`` written into ``folder`` in every graph format, sorted.

    Each dump streams from one sorted N-Triples file (see ``ntsort``) to its
    file, so no dump is ever held in memory, where the four of them together
    would add memory that grows with the graph to the build's peak.
    """
    with tempfile.TemporaryDirectory(prefix=".dumps-", dir=folder) as scratch:
        ordered = Path(scratch) / "sorted.nt"
        write_sorted_ntriples(store, ordered)
        dumps = [write_dump(ordered, fmt, folder) for fmt in GRAPH_FORMATS]
    return sorted(dumps, key=lambda dump: dump.filename)


def export_tables(store: ox.Store, catalogue: Catalogue) -> list[Table]:
    """``csv/NAME.csv`` for each export query that the catalogue holds, run on ``store`` as
    the CLI and the server run it (``queries.run``), with the byte-order mark spreadsheets
    need (``tables.results_bytes``), and its rows with their RDF types for the Data Package.

    The results are read once, as SPARQL JSON, which keeps every term as it was: the CSV is
    written from that text, and the package reads the terms' kinds, datatypes and languages
    from it.
    """
    tables = []
    for name in CSV_EXPORTS:
        if name in catalogue.queries:
            canned = catalogue.get(name)
            results = run(store, canned)
            assert isinstance(results, ox.QuerySolutions)
            text = results.serialize(format=ox.QueryResultsFormat.JSON) or b"{}"
            read = ox.parse_query_results(text, format=ox.QueryResultsFormat.JSON)
            assert isinstance(read, ox.QuerySolutions)
            document = json.loads(text)
            tables.append(
                Table(
                    query=canned,
                    name=csv_name(name),
                    columns=document["head"]["vars"],
                    rows=document["results"]["bindings"],
                    data=results_bytes(read, ox.QueryResultsFormat.CSV),
                )
            )
    return tables


def csv_exports(store: ox.Store, catalogue: Catalogue) -> dict[str, bytes]:
    """The CSV files of ``export_tables``, by name in the release."""
    return {table.name: table.data for table in export_tables(store, catalogue)}


def render_release(
    sources: Sources,
    folder: Path,
    *,
    version: str,
    base_url: str,
    progress: Progress,
    memo: Memo | None = None,
    keying: KeyingAhead | None = None,
) -> None:
    """Write every file of the release into ``folder`` (an empty one, from ``staged_release``);
    ``memo``, the build memo, may already hold the ontology's documentation, and ``keying``
    has spelled the Chinese labels' sort keys since the files were loaded."""
    store = sources.store
    ontology_ttl = serialize(sorted_triples(sources.ontology), GRAPH_FORMATS[0])
    progress("generating ontology documentation (beside the dumps)")
    with ontology_html_process(ontology_ttl, memo) as documentation:
        progress(f"serialising {sources.triples} triples")
        dumps = write_dumps(store, folder)
        digests = {dump.filename: dump.sha256 for dump in dumps}

        def write(name: str, data: bytes) -> None:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            digests[name] = hashlib.sha256(data).hexdigest()

        write(ONTOLOGY_TTL, ontology_ttl)
        context = context_document(sources.ontology, version=version, iri=base_url + JSONLD_CONTEXT)
        write(JSONLD_CONTEXT, context)
        void = describe_release(
            store=store,
            total_triples=sources.triples,
            version=version,
            dumps=dumps,
            base_url=base_url,
        )
        write(VOID, serialize(sorted_triples(void), GRAPH_FORMATS[0]))
        progress("exporting CSV")
        tables = export_tables(store, Catalogue(sources.tree.query_dir))
        for table in tables:
            write(table.name, table.data)
        write(COLLATION_KEYS, collation_keys(store, memo, keying))
        write(ONTOLOGY_HTML, documentation())
        package = data_package(
            tables, void=void, sources=dataset_sources(store), version=version, base_url=base_url
        )
        write(DATAPACKAGE, package)
        write(CHECKSUMS, checksums_text(digests))


def default_base_url() -> str:
    """Where the published dumps and endpoint live: the project's permanent IRIs."""
    return BASE
