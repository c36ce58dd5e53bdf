"""Where the tests find the checkout and their own data, wherever the test module sits."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
#: The checkout: ontology/, data/, shapes/, queries/, scripts/, src/.
PROJECT = TESTS.parent
#: The tests' own inputs (tests/data/).
TEST_DATA = TESTS / "data"
