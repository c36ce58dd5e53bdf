"""Two frozen versions of the web fixture, frozen with ``pilotkg release``, for the tests of
the freeze (``tests/test_versions.py``) and of their pages (``tests/web/test_versions.py``).

Version 1.0.0 is the web fixture as it is. Version 1.1.0 changes it in three hand-made ways,
which the tests' expectations are written from:

- ``zone:shenzhen``'s approval date, 14 October 2019, becomes 15 October 2019 (still cited
  by ``source:workercn-2019-10-19``, which the fixture does not describe, so it has no label);
- ``zone:jinan-qingdao`` is no longer located in ``region:qingdao`` (Qingdao, 青岛市);
- a new region, ``region:hangzhou`` (Hangzhou, 杭州市), citing ``source:equalocean-2019-10-19``;

and its ontology says it is 1.1.0 (``owl:versionInfo``, ``owl:versionIRI``), as a release
must before it is frozen under that number.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner

from pilotkg.build import pipeline
from pilotkg.cli import main
from support.paths import PROJECT
from support.web import FIXTURE_DATA, SKIP_ALL

FIRST, SECOND = "1.0.0", "1.1.0"
#: The issue dates the tests freeze them with.
FIRST_DATE, SECOND_DATE = "2026-01-15", "2026-03-01"
ONTOLOGY_FILE = "ontology/pilotkg.ttl"


def set_version(source: Path, version: str) -> None:
    """Make the ontology in ``source`` say it is ``version``."""
    path = source / ONTOLOGY_FILE
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'owl:versionInfo "[^"]*"', f'owl:versionInfo "{version}"', text, count=1)
    text = re.sub(
        r"owl:versionIRI <https://w3id\.org/pilotkg/ontology/[^>]*>",
        f"owl:versionIRI <https://w3id.org/pilotkg/ontology/{version}>",
        text,
        count=1,
    )
    path.write_text(text, encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} no longer holds {old!r}: update support/versions.py"
    path.write_text(text.replace(old, new), encoding="utf-8")


def second_version(source: Path) -> None:
    """The changes of 1.1.0 (see the module's docstring)."""
    set_version(source, SECOND)
    zones = source / "data" / "zones.ttl"
    edit(
        zones,
        'pilot:approvalDate "2019-10-14"^^xsd:date\n\t\t{| prov:wasDerivedFrom source:workercn',
        'pilot:approvalDate "2019-10-15"^^xsd:date\n\t\t{| prov:wasDerivedFrom source:workercn',
    )
    edit(zones, "pilot:locatedIn region:jinan , region:qingdao ;", "pilot:locatedIn region:jinan ;")
    with (source / "data" / "regions.ttl").open("a", encoding="utf-8") as regions:
        regions.write(
            '\nregion:hangzhou a pilot:Region ;\n    rdfs:label "Hangzhou"@en , "杭州市"@zh ;\n'
            "    prov:wasDerivedFrom source:equalocean-2019-10-19 .\n"
        )


def release(*args: str) -> None:
    """``pilotkg release …``, which must succeed."""
    result = CliRunner().invoke(main, ["release", *args])
    assert result.exit_code == 0, result.output


@functools.cache
def two_versions() -> Path:
    """A source folder whose ``releases/`` holds 1.0.0 and 1.1.0 and whose ``dist/`` is 1.1.0."""
    scratch = Path(tempfile.mkdtemp(prefix="pilotkg-versions-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    source = scratch / "source"
    for part in ("ontology", "shapes", "queries"):
        shutil.copytree(PROJECT / part, source / part)
    shutil.copytree(FIXTURE_DATA, source / "data")
    set_version(source, FIRST)
    pipeline.build(source, source / "dist", skip=SKIP_ALL)
    release(FIRST, "--source", str(source), "--date", FIRST_DATE)
    second_version(source)
    pipeline.build(source, source / "dist", skip=SKIP_ALL)
    release(SECOND, "--source", str(source), "--date", SECOND_DATE)
    return source
