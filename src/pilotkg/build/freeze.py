"""``pilotkg release VERSION``: freeze a built release into ``releases/VERSION/``, for good.

A frozen version is the release's files as they were built, byte for byte (each checked
against the release's SHA256SUMS while it is copied), and beside them what only the freeze
knows, listed with them in the frozen SHA256SUMS:

- the version's own VoID and DCAT (``VERSION_DESCRIPTION``): the release's description moved
  to the version IRI (``https://w3id.org/pilotkg/dataset/0.2.0``), its dumps at their frozen
  URLs, with ``dcat:version``, ``dcterms:issued``, ``dcat:previousVersion`` and ``dcat:inSeries``;
- what changed since the previous frozen version, as a changeset (``CHANGES_RDF``, from
  ``diff.diff_releases``) and in words (``CHANGES_TEXT``), both read through
  ``versions.read_changes``;

and ``releases/`` holds the DCAT dataset series of every frozen version (``SERIES``), written
again on every freeze. Nothing a freeze writes carries a time but the version's issue date,
so freezing the same release twice gives the same bytes. A version is frozen once: asking
again with the same release changes nothing, with another release is refused, and a new
version must come after the newest one frozen (its ``dcat:previousVersion`` never changes).
The release must say it is that version (the ontology's ``owl:versionInfo`` and
``owl:versionIRI``), so that every file of the frozen copy names the same version.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..errors import UsageError
from ..formats import GRAPH_FORMATS, serialize
from ..graphs import Term, sorted_triples
from ..namespaces import (
    DATASET_IRI,
    DCAT,
    DCTERMS,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    VOID,
    XSD,
)
from ..release import (
    CHANGES_RDF,
    CHANGES_TEXT,
    CHECKSUMS,
    ONTOLOGY_TTL,
    SERIES,
    VERSION_DESCRIPTION,
    Release,
    checksums_text,
    read_release,
)
from ..release import (
    VOID as VOID_FILE,
)
from ..statements import STATEMENT_BASE
from ..tables import compact
from ..versions import (
    ADDITION,
    CHANGE_SET,
    CHANGED,
    CS,
    DERIVED_FROM,
    NEW,
    REMOVAL,
    REMOVED,
    SERIES_IRI,
    STATUS_TYPES,
    SUBJECT_OF_CHANGE,
    ChangeLog,
    Counts,
    EntityChange,
    Fact,
    Version,
    frozen_versions,
    holds,
    read_changes,
    read_record,
)
from .diff import diff_releases

ADMS = "http://www.w3.org/ns/adms#"
_TYPE = ox.NamedNode(RDF + "type")
_LABEL = ox.NamedNode(RDFS + "label")
_SUB_PROPERTY_OF = ox.NamedNode(RDFS + "subPropertyOf")
#: What a citation's context in the changeset holds: the statement it cites, and its source.
_CITATION_CONTEXT = tuple(
    ox.NamedNode(iri)
    for iri in (
        RDF + "subject",
        RDF + "predicate",
        RDF + "object",
        DERIVED_FROM,
    )
)

Index = dict[Term, list[ox.Triple]]


@dataclass(frozen=True)
class Frozen:
    """What ``freeze`` did: the version, where it is, when it was issued, what came before it,
    what changed since, and whether it was frozen already."""

    version: Version
    folder: Path
    issued: str
    previous: Version | None
    counts: Counts
    already: bool = False

    def as_text(self) -> str:
        if self.already:
            return f"{self.folder} already holds this release as {self.version}: nothing changed"
        return f"froze {self.version} into {self.folder} (issued {self.issued}): " + summary(
            self.counts, self.previous
        )


def summary(counts: Counts, previous: Version | None) -> str:
    """The changes in one sentence: "since 0.1.0, 3 entities changed (1 new, 0 removed): …"."""
    if previous is None:
        return "the first frozen release"
    if not counts.entities:
        return f"nothing changed since {previous}"
    return (
        f"since {previous}, {_n(counts.entities, 'entity', 'entities')} changed "
        f"({counts.new} new, {counts.removed} removed): {_n(counts.facts_added, 'fact')} added, "
        f"{counts.facts_removed} removed, {counts.facts_changed} changed"
    )


def _n(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def freeze(
    release_dir: Path, version: Version, *, into: Path, issued: str | None, base_url: str
) -> Frozen:
    """Freeze the release in ``release_dir`` as ``version`` into ``into/VERSION/`` and write the
    series again; UsageError (nothing written) when it cannot be frozen so."""
    release = Release.open(release_dir)
    _require_version(release, version, release_dir)
    date = _issued(issued, release)
    target = into / version.text
    if os.path.lexists(target):
        if (target / CHECKSUMS).is_file() and holds(Release.open(target), release):
            write_series(into)
            record = read_record(into, version)
            counts = _counts(target)
            return Frozen(version, target, record.issued, record.previous, counts, already=True)
        raise UsageError(
            f"VERSION {version}: {target} already holds another release; a frozen version is "
            "never replaced: choose a new VERSION"
        )
    existing = frozen_versions(into)
    if existing and not existing[-1] < version:
        raise UsageError(
            f"VERSION {version}: {into} already holds {existing[-1]}; a new version must come "
            f"after the newest one frozen"
        )
    previous = existing[-1] if existing else None
    try:
        into.mkdir(parents=True, exist_ok=True)
        staging = into / f".staging-{version}-{secrets.token_hex(4)}"
        staging.mkdir()
    except OSError as error:
        raise UsageError(
            f"--into {into}: cannot create {error.filename}: {error.strerror}"
        ) from None
    try:
        log = _write_version(release, staging, version, previous, date, base_url, into)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_series(into)
    return Frozen(version, target, date, previous, log.counts())


def _require_version(release: Release, version: Version, named: Path) -> None:
    """UsageError unless the release's ontology says it is ``version`` (info and IRI)."""
    path = release.path(ONTOLOGY_TTL)
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    found: dict[str, str] = {}
    if path is not None:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if quad.subject == ontology and quad.predicate.value in (
                OWL + "versionInfo",
                OWL + "versionIRI",
            ):
                found[quad.predicate.value] = quad.object.value
    info, iri = found.get(OWL + "versionInfo", "none"), found.get(OWL + "versionIRI", "none")
    if info != version.text or iri != version.ontology_iri:
        raise UsageError(
            f"VERSION {version}: {named} is release {info} (its ontology's owl:versionInfo, "
            f'owl:versionIRI <{iri}>); give the ontology owl:versionInfo "{version}" and '
            f"owl:versionIRI <{version.ontology_iri}> and build again, or freeze it as {info}"
        )


def _issued(issued: str | None, release: Release) -> str:
    """``--date`` checked, else the day (UTC) the release was built: its own time, the one the
    server gives as its Last-Modified."""
    if issued is None:
        return datetime.datetime.fromtimestamp(release.modified, datetime.UTC).date().isoformat()
    try:
        if len(issued) == len("2026-12-01"):
            return datetime.date.fromisoformat(issued).isoformat()
    except ValueError:
        pass
    raise UsageError(f"--date {issued!r}: expected a date YYYY-MM-DD such as 2026-12-01")


def _copy_verified(release: Release, folder: Path) -> dict[str, str]:
    """Copy every file the release lists into ``folder``; each one's SHA-256, checked."""
    digests = {}
    for name, info in sorted(release.files.items()):
        if name == CHECKSUMS:
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(release.root / name, target)
        with target.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != info.sha256:
            raise UsageError(
                f"{release.root / name}: its SHA-256 is not the one {CHECKSUMS} lists; "
                "build the release again"
            )
        digests[name] = digest
    return digests


def _write_version(
    release: Release,
    folder: Path,
    version: Version,
    previous: Version | None,
    issued: str,
    base_url: str,
    into: Path,
) -> ChangeLog:
    """Every file of the frozen version, written into ``folder``; its changelog."""
    digests = _copy_verified(release, folder)
    new = read_release(release.root)
    old = read_release(into / previous.text) if previous is not None else set()
    changeset = changeset_triples(version, diff_releases(old, new), old, new) if previous else []
    log = read_changes(changeset)

    def write(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()

    write(
        CHANGES_RDF,
        ox.serialize(
            sorted_triples(changeset), format=ox.RdfFormat.TURTLE, prefixes={**PREFIXES, "cs": CS}
        )
        or b"",
    )
    write(CHANGES_TEXT, changes_text(version, previous, issued, log).encode("utf-8"))
    description = version_triples(release, version, previous, issued, base_url, log.counts())
    write(VERSION_DESCRIPTION, serialize(sorted_triples(description), GRAPH_FORMATS[0]))
    write(CHECKSUMS, checksums_text(digests))
    return log


def _counts(folder: Path) -> Counts:
    path = folder / CHANGES_RDF
    return read_changes(
        q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    ).counts()


# --- the changeset ------------------------------------------------------------------------


def _index(triples: set[ox.Triple]) -> Index:
    about: Index = {}
    for triple in triples:
        about.setdefault(triple.subject, []).append(triple)
    return about


def _node(base: str, text: str) -> ox.NamedNode:
    return ox.NamedNode(f"{base}#{hashlib.sha256(text.encode()).hexdigest()[:20]}")


def changeset_triples(
    version: Version,
    diff: dict[str, dict[str, list[ox.Triple]]],
    old: set[ox.Triple],
    new: set[ox.Triple],
) -> list[ox.Triple]:
    """The changeset of ``diff``: a ``cs:ChangeSet`` per changed subject (typed new, removed or
    changed), each triple it added or removed reified; and the context ``read_changes`` needs,
    from the new release, else the old: what each touched citation cites, the labels and
    types of everything named, and the super-properties of the properties."""
    old_about, new_about = _index(old), _index(new)
    base = version.changes_iri
    out: list[ox.Triple] = []
    named: set[ox.NamedNode] = set()

    def add(subject: ox.NamedNode, predicate: str, value: Term) -> None:
        out.append(ox.Triple(subject, ox.NamedNode(predicate), value))

    def context(subject: Term, predicates: tuple[ox.NamedNode, ...]) -> list[ox.Triple]:
        about = new_about.get(subject) or old_about.get(subject, [])
        return [t for t in about if t.predicate in predicates]

    for change in diff.values():
        subject = (change["added"] or change["removed"])[0].subject
        assert isinstance(subject, ox.NamedNode)
        status = (
            NEW if subject not in old_about else REMOVED if subject not in new_about else CHANGED
        )
        node = _node(base, str(subject))
        add(node, RDF + "type", ox.NamedNode(CHANGE_SET))
        add(node, RDF + "type", ox.NamedNode(STATUS_TYPES[status]))
        add(node, SUBJECT_OF_CHANGE, subject)
        for kind, triples in ((ADDITION, change["added"]), (REMOVAL, change["removed"])):
            for triple in triples:
                statement = _node(base, f"{kind} {triple}")
                add(node, kind, statement)
                add(statement, RDF + "type", ox.NamedNode(RDF + "Statement"))
                add(statement, RDF + "subject", triple.subject)
                add(statement, RDF + "predicate", triple.predicate)
                add(statement, RDF + "object", triple.object)
                named.update(t for t in triple if isinstance(t, ox.NamedNode))
        if subject.value.startswith(STATEMENT_BASE):
            cites = context(subject, _CITATION_CONTEXT)
            out.extend(cites)
            named.update(t.object for t in cites if isinstance(t.object, ox.NamedNode))
        else:
            types = context(subject, (_TYPE,))
            out.extend(types)
            named.update(t.object for t in types if isinstance(t.object, ox.NamedNode))
    for iri in sorted(named, key=str):
        out.extend(context(iri, (_LABEL, _SUB_PROPERTY_OF)))
    return out


# --- the version's description and the series -----------------------------------------------


def version_triples(
    release: Release,
    version: Version,
    previous: Version | None,
    issued: str,
    base_url: str,
    counts: Counts,
) -> list[ox.Triple]:
    """The version's VoID and DCAT: the release's own description (``VOID_FILE``) moved to the
    version IRI, with its dumps at their frozen URLs and no SPARQL endpoint (a frozen version
    is files and pages), and the version's number, date, predecessor, series and the version of
    the ontology it follows (the ``owl:versionIRI`` its ontology carries: ``_require_version``)."""
    path = release.path(VOID_FILE)
    assert path is not None
    dumps = version.url(base_url) + "dumps/"
    described = [
        ox.Triple(_moved(q.subject, version, dumps), q.predicate, _moved(q.object, version, dumps))  # type: ignore[arg-type]
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        if q.predicate.value != VOID + "sparqlEndpoint"
    ]
    subject = ox.NamedNode(version.iri)

    def add(predicate: str, value: Term, about: ox.NamedNode = subject) -> None:
        described.append(ox.Triple(about, ox.NamedNode(predicate), value))

    add(DCAT + "version", ox.Literal(version.text))
    add(DCTERMS + "issued", ox.Literal(issued, datatype=ox.NamedNode(XSD + "date")))
    add(DCTERMS + "isVersionOf", ox.NamedNode(DATASET_IRI))
    add(DCAT + "inSeries", ox.NamedNode(SERIES_IRI))
    notes = summary(counts, previous)
    add(ADMS + "versionNotes", ox.Literal(notes[:1].upper() + notes[1:] + ".", language="en"))
    add(RDFS + "seeAlso", ox.NamedNode(version.url(base_url) + "changes"))
    if previous is not None:
        add(DCAT + "previousVersion", ox.NamedNode(previous.iri))
    add(DCTERMS + "conformsTo", ox.NamedNode(version.ontology_iri))  # the ontology's versionIRI
    return described


def _moved(term: Term, version: Version, dumps: str) -> Term:
    """``term`` in the version's description: the dataset and its parts under the version
    IRI, a download URL (``…/dumps/NAME``) at the frozen version's."""
    if not isinstance(term, ox.NamedNode):
        return term
    if term.value == DATASET_IRI or term.value.startswith(DATASET_IRI + "#"):
        return ox.NamedNode(version.iri + term.value[len(DATASET_IRI) :])
    head, marker, name = term.value.rpartition("/dumps/")
    return ox.NamedNode(dumps + name) if marker and head else term


def write_series(folder: Path) -> None:
    """``SERIES`` in ``folder``: every frozen version's description, the ``dcat:DatasetSeries``
    they form, and the dataset's versions; replaced in one rename."""
    versions = frozen_versions(folder)
    triples: list[ox.Triple] = []
    for version in versions:
        path = folder / version.text / VERSION_DESCRIPTION
        triples.extend(q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    series, dataset = ox.NamedNode(SERIES_IRI), ox.NamedNode(DATASET_IRI)

    def add(subject: ox.NamedNode, predicate: str, value: Term) -> None:
        triples.append(ox.Triple(subject, ox.NamedNode(predicate), value))

    add(series, RDF + "type", ox.NamedNode(DCAT + "DatasetSeries"))
    add(series, DCTERMS + "title", ox.Literal("pilotkg: the frozen releases", language="en"))
    add(series, DCTERMS + "title", ox.Literal("pilotkg：各个冻结版本", language="zh"))
    add(dataset, RDF + "type", ox.NamedNode(DCAT + "Dataset"))
    for version in versions:
        add(series, DCAT + "seriesMember", ox.NamedNode(version.iri))
        add(dataset, DCAT + "hasVersion", ox.NamedNode(version.iri))
    if versions:
        add(series, DCAT + "first", ox.NamedNode(versions[0].iri))
        add(series, DCAT + "last", ox.NamedNode(versions[-1].iri))
        add(dataset, DCAT + "hasCurrentVersion", ox.NamedNode(versions[-1].iri))
    pending = folder / f".{SERIES}.{secrets.token_hex(4)}"
    pending.write_bytes(serialize(sorted_triples(triples), GRAPH_FORMATS[0]))
    pending.replace(folder / SERIES)


# --- the changelog in words -----------------------------------------------------------------


def changes_text(version: Version, previous: Version | None, issued: str, log: ChangeLog) -> str:
    """``CHANGES_TEXT``: the changes entity by entity, by their English labels (else Chinese),
    each value with the sources that cite it."""

    def label(term: Term) -> str:
        if isinstance(term, ox.NamedNode):
            labels = log.labels.get(term.value, {})
            return (
                labels.get("en") or labels.get("zh") or next(iter(labels.values()), compact(term))
            )
        if isinstance(term, ox.Literal) and term.language:
            return f"“{term.value}” ({term.language})"
        return compact(term) if isinstance(term, ox.Literal) else str(term)

    def cited(fact: Fact, words: str = "cited by") -> str:
        return f" ({words} {'; '.join(label(s) for s in fact.sources)})" if fact.sources else ""

    lines = [f"# pilotkg {version}", "", f"Issued {issued}; {summary(log.counts(), previous)}."]
    for change in sorted(log.entities, key=lambda c: label(c.entity).casefold()):
        lines += ["", f"## {label(change.entity)}", "", _heading_line(change, log, label)]
        if change.status == REMOVED:
            lines.append(f"- removed, with its {_n(len(change.removed), 'fact')}")
            continue
        for old, new in change.changed:
            lines.append(
                f"- {label(new.predicate)} changed from {label(old.value)}{cited(old, 'cited by')} "
                f"to {label(new.value)}{cited(new)}"
            )
        lines += [f"- {label(f.predicate)}: added {label(f.value)}{cited(f)}" for f in change.added]
        lines += [
            f"- {label(f.predicate)}: removed {label(f.value)}{cited(f, 'was cited by')}"
            for f in change.removed
        ]
        for r in change.recited:
            parts = [
                f"{words} {'; '.join(label(s) for s in sources)}"
                for words, sources in (
                    ("now also cited by", r.cited),
                    ("no longer cited by", r.uncited),
                    ("the words quoted from", r.requoted),
                )
                if sources
            ]
            if r.requoted:
                parts[-1] += " changed"
            lines.append(f"- {label(r.predicate)} {label(r.value)}: {', '.join(parts)}")
    return "\n".join(lines) + "\n"


def _heading_line(change: EntityChange, log: ChangeLog, label: Callable[[Term], str]) -> str:
    """Under an entity's heading: its Chinese label, its kind, whether it is new, its IRI."""
    labels = log.labels.get(change.entity.value, {})
    kinds = [label(ox.NamedNode(t)) for t in log.types.get(change.entity.value, [])]
    parts = [labels["zh"]] if labels.get("zh") and labels.get("zh") != labels.get("en") else []
    parts += kinds[:1]
    parts += ["new"] if change.status == NEW else ["removed"] if change.status == REMOVED else []
    parts.append(f"<{change.entity.value}>")
    return " · ".join(parts)
