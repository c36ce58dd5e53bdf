"""The real release as the only graph of a fresh Virtuoso database, as a user's first
``pilotkg load`` leaves it: every canned query answers as on the embedded store.

The session's Virtuoso (tests/support/virtuoso.py) holds the graphs of every other test,
and Virtuoso 7.2 chooses its plans by what the whole database holds: with the release
alone, ``region-contents`` lost the ten policies joined through ``pilot:concernsRegion``
until its ``partOf*`` path moved into a sub-select (queries/region-contents.rq).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilotkg.namespaces import DATASET_IRI
from pilotkg.queries import Catalogue
from pilotkg.release import read_release
from pilotkg.remote.loading import load_triples
from pilotkg.remote.verify import compare_queries
from pilotkg.sources import CHECKOUT_ROOT
from support.remote_graphs import make_store
from support.virtuoso import Virtuoso, private_virtuoso, require_installed

pytestmark = pytest.mark.virtuoso


@pytest.fixture(scope="module")
def lone_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso of this module's own, with a database made for it."""
    require_installed()
    with private_virtuoso(tmp_path_factory.mktemp("lone-virtuoso")) as virtuoso:
        yield virtuoso


def test_the_release_alone_in_a_database_answers_every_canned_query(
    lone_virtuoso: Virtuoso, checkout_release: Path
) -> None:
    store = make_store(lone_virtuoso)
    triples = read_release(checkout_release)
    load_triples(store, triples, graph=DATASET_IRI)
    queries = list(Catalogue(CHECKOUT_ROOT / "queries"))
    comparisons = compare_queries(store, triples, queries, graph=DATASET_IRI)
    assert [c.as_text() for c in comparisons if not c.same] == []
    region = next(c for c in comparisons if c.name == "region-contents")
    assert region.as_text() == "same  region-contents (27 rows)"
