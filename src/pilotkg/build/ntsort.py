"""The triples of a store as sorted N-Triples, in bounded memory.

Releases are byte-identical for identical sources, so every dump lists its
triples in one fixed order: by N-Triples line. That is the order by subject,
then predicate, then object in their N-Triples form: a line is ``s p o .``
and the space after a term sorts below any character that can continue a term
(control characters are escaped), and UTF-8 bytes sort in code-point order, as
Python strings do.

Sorting every line in one list holds them all at once, beside the store, in
memory that grows with the graph. This is an external merge sort instead: the
store writes its N-Triples to a file, runs of ``RUN_LINES`` lines are sorted and
written to temporary files, and ``heapq.merge`` reads the runs back in order, so
the memory it needs is bounded by one run, whatever the size of the graph.
"""

from __future__ import annotations

import heapq
import itertools
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pyoxigraph as ox

#: Lines sorted in memory at a time: one run's worth bounds the sort's memory, and
#: fewer, larger runs make a cheaper merge.
RUN_LINES = 250_000


def _sorted_runs(unsorted: Path, folder: Path) -> list[Path]:
    """``unsorted`` cut into runs of RUN_LINES lines, each sorted into a file of ``folder``."""
    runs = []
    with unsorted.open("rb") as lines:
        for number in itertools.count():
            run = list(itertools.islice(lines, RUN_LINES))
            if not run:
                break
            run.sort()
            path = folder / f"run-{number}.nt"
            with path.open("wb") as out:
                out.writelines(run)
            runs.append(path)
    return runs


def write_sorted_ntriples(store: ox.Store, path: Path) -> None:
    """Write the default graph of ``store`` to ``path`` as N-Triples lines in sorted order
    (a store holds each triple once, so the lines are unique)."""
    with tempfile.TemporaryDirectory(prefix=".sort-", dir=path.parent) as scratch:
        folder = Path(scratch)
        unsorted = folder / "unsorted.nt"
        store.dump(output=unsorted, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        runs = _sorted_runs(unsorted, folder)
        unsorted.unlink()
        with ExitStack() as opened, path.open("wb") as out:
            out.writelines(heapq.merge(*(opened.enter_context(run.open("rb")) for run in runs)))
