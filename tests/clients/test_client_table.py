"""The README's client table is ``client_matrix.MATRIX``, tried with the versions installed."""

from __future__ import annotations

import importlib.metadata
import re
import shutil

import pytest
from client_matrix import MATRIX, NOTES, Jena, comunica_version, need, run, table

from support.paths import PROJECT

pytestmark = pytest.mark.clients

BEGIN, END = "<!-- client table: tests/clients/client_matrix.py -->", "<!-- end of client table -->"


def test_the_readme_shows_the_matrix() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme, "README.md has no client table"
    shown = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert shown == table(), "README.md's client table differs from client_matrix.table()"


def test_every_note_is_named_by_a_cell_and_every_named_note_exists() -> None:
    named = {
        name for row in MATRIX for cell in row.cells for name in re.findall(r"\[([\w-]+)\]", cell)
    }
    assert named == set(NOTES)


def _tool_version(command: str) -> str:
    need(bool(shutil.which(command)), command, "scripts/test.sh installs it")
    return run([command, "-v"]).stdout.strip()


def _installed() -> dict[str, str]:
    """The version of each client of the table that is installed here."""
    need(Jena.installed(), "Jena", "scripts/test.sh installs it")
    need(bool(comunica_version()), "Comunica", "scripts/test.sh installs it")
    jena = Jena.version()
    rdflib = importlib.metadata.version("rdflib")
    return {
        "Comunica `@comunica/query-sparql` (Node.js)": comunica_version(),
        "Jena `rsparql`, `rupdate`, `arq --data` (Debian)": jena,
        "Jena `riot --validate --strict` (Debian)": jena,
        "SPARQLWrapper": importlib.metadata.version("SPARQLWrapper"),
        "rdflib `SPARQLStore` / `SPARQLUpdateStore`": rdflib,
        "rdflib `Graph.parse(URL)`": rdflib,
        "PyLD (JSON-LD API)": importlib.metadata.version("PyLD"),
        "rasqal `roqet -p` (Debian)": _tool_version("roqet"),
        "raptor `rapper` (Debian)": _tool_version("rapper"),
    }


def test_the_table_names_the_versions_tried() -> None:
    """A new version of a client is tried before the table claims it: update MATRIX then."""
    assert {row.client: row.version for row in MATRIX} == _installed()
