"""Versioned releases: semantic versions and their IRIs, the folder of frozen releases, and what
changed between two of them in a reader's terms.

``pilotkg release VERSION`` (``build.freeze``) copies a built release into
``releases/VERSION/`` beside ``dist/`` and writes, beside its unchanged files, the version's
own description and its changes since the previous frozen version as a changeset
(``CHANGES_RDF``). The server (``web.versions``) serves the frozen releases and reads the
same changeset. Both read it through ``read_changes`` here, so the changelog in words and the
changes page tell the same story: the triples a release added and removed, folded into the
facts of the entities they are about (a citation is part of the fact it cites, and a value the
build entailed for a super-property is not a fact of its own).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, total_ordering
from pathlib import Path

import pyoxigraph as ox

from .entailment import SUB_PROPERTY_OF, super_properties
from .errors import UsageError
from .graphs import Term
from .namespaces import DATASET_IRI, DCAT, DCTERMS, ONTOLOGY_IRI, PROV, RDF, RDFS, SCHEMA
from .release import CHECKSUMS, FROZEN_FOLDER, VERSION_DESCRIPTION, Release
from .statements import STATEMENT_BASE

#: MAJOR.MINOR.PATCH with an optional pre-release (semver.org 2.0.0). Build metadata (``+…``)
#: is refused: semantic versioning gives ``1.0.0+a`` and ``1.0.0+b`` the same precedence, so
#: the series could not tell which came first.
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
)
#: The server's path of the frozen versions, below its root (``/releases/0.2.0/…``).
RELEASES_PATH = "releases/"
#: The series every frozen version is in.
SERIES_IRI = DATASET_IRI + "/releases"
#: The changeset vocabulary (Talis): a ``cs:ChangeSet`` per changed subject, with the triples
#: it added and removed as reified statements.
CS = "http://purl.org/vocab/changeset/schema#"
CHANGE_SET = CS + "ChangeSet"
SUBJECT_OF_CHANGE = CS + "subjectOfChange"
ADDITION = CS + "addition"
REMOVAL = CS + "removal"
#: What a change set did to its subject, as a second type: made it, removed it, or changed it.
NEW, REMOVED, CHANGED = "new", "removed", "changed"
STATUS_TYPES = {
    NEW: SCHEMA + "AddAction",
    REMOVED: SCHEMA + "DeleteAction",
    CHANGED: SCHEMA + "UpdateAction",
}
DERIVED_FROM = PROV + "wasDerivedFrom"
#: What names an entity rather than says something of it.
_HEADING = (RDF + "type", RDFS + "label")


@total_ordering
@dataclass(frozen=True)
class Version:
    """A release's semantic version, ordered by semantic-versioning precedence."""

    text: str

    @classmethod
    def parse(cls, text: str) -> Version:
        """The version ``text`` names; UsageError, naming the expected form, when it names none."""
        if not _SEMVER.fullmatch(text):
            raise UsageError(
                f"VERSION {text!r}: expected a semantic version MAJOR.MINOR.PATCH such as "
                "0.2.0 (a pre-release such as 0.2.0-rc.1 is allowed, build metadata is not)"
            )
        return cls(text)

    @classmethod
    def named(cls, text: str) -> Version | None:
        """The version ``text`` names, or None (a folder or a path segment that is none)."""
        return cls(text) if _SEMVER.fullmatch(text) else None

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """Precedence: the numbers, then a release above its pre-releases, whose identifiers
        compare numerically when numeric, below the alphanumeric ones otherwise."""
        match = _SEMVER.fullmatch(self.text)
        assert match is not None
        major, minor, patch, pre = match.groups()
        if pre is None:
            return (int(major), int(minor), int(patch), 1, ())
        parts = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
        )
        return (int(major), int(minor), int(patch), 0, parts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.text

    @property
    def iri(self) -> str:
        """The version's dataset IRI: ``https://w3id.org/pilotkg/dataset/0.2.0``."""
        return f"{DATASET_IRI}/{self.text}"

    @property
    def ontology_iri(self) -> str:
        """The ``owl:versionIRI`` the ontology of this version carries."""
        return f"{ONTOLOGY_IRI}/{self.text}"

    def url(self, base_url: str) -> str:
        """Where the server serves this version under ``base_url`` (ending in '/')."""
        return f"{base_url}{RELEASES_PATH}{self.text}/"

    @property
    def changes_iri(self) -> str:
        """The changeset of this version against the one before it."""
        return f"{self.iri}/changes"


def frozen_dir(release_dir: Path) -> Path:
    """``releases/`` beside the release folder (``dist/``): where versions are frozen and served."""
    return release_dir.absolute().parent / FROZEN_FOLDER


def frozen_versions(folder: Path) -> list[Version]:
    """The versions frozen in ``folder``, oldest first: the folders named by a version that
    hold a release (a folder being frozen has another name until it is complete)."""
    if not folder.is_dir():
        return []
    found = [
        version
        for entry in folder.iterdir()
        if (version := Version.named(entry.name)) is not None and (entry / CHECKSUMS).is_file()
    ]
    return sorted(found)


def holds(frozen: Release, release: Release) -> bool:
    """Whether the frozen version ``frozen`` holds every file of ``release``, byte for byte
    (by SHA-256): it is that release frozen, or the release is that version rebuilt unchanged."""
    return all(
        name in frozen.files and frozen.files[name].sha256 == info.sha256
        for name, info in release.files.items()
        if name != CHECKSUMS
    )


@dataclass(frozen=True)
class Record:
    """What a frozen version says of itself (``VERSION_DESCRIPTION``): when it was issued, and
    which version came before it."""

    version: Version
    issued: str
    previous: Version | None


def read_record(folder: Path, version: Version) -> Record:
    """The record of ``version`` frozen in ``folder``."""
    path = folder / version.text / VERSION_DESCRIPTION
    subject = ox.NamedNode(version.iri)
    values = {
        q.predicate.value: q.object.value
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        if q.subject == subject
        and q.predicate.value in (DCTERMS + "issued", DCAT + "previousVersion")
    }
    previous = values.get(DCAT + "previousVersion", "")
    return Record(
        version,
        values.get(DCTERMS + "issued", ""),
        Version.named(previous.rsplit("/", 1)[-1]) if previous else None,
    )


# --- what changed, in a reader's terms -------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One value of one property of an entity, with the sources that cite it in the release
    that states it."""

    predicate: ox.NamedNode
    value: Term
    sources: tuple[ox.NamedNode, ...] = ()


@dataclass(frozen=True)
class Recited:
    """A value both releases state whose citations changed: sources that cite it now, sources
    that no longer do, and sources whose quoted words changed."""

    predicate: ox.NamedNode
    value: Term
    cited: tuple[ox.NamedNode, ...] = ()
    uncited: tuple[ox.NamedNode, ...] = ()
    requoted: tuple[ox.NamedNode, ...] = ()


@dataclass
class EntityChange:
    """What changed about one entity: whether it is new, removed or changed; its facts added
    and removed; the values that changed (the old fact and the new); the citations that changed."""

    entity: ox.NamedNode
    status: str
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)
    changed: list[tuple[Fact, Fact]] = field(default_factory=list)
    recited: list[Recited] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """A changelog in numbers: entities new, removed and changed; facts added, removed, changed."""

    new: int
    removed: int
    changed: int
    facts_added: int
    facts_removed: int
    facts_changed: int

    @property
    def entities(self) -> int:
        return self.new + self.removed + self.changed


@dataclass
class ChangeLog:
    """The changes of one version against the one before it, with the labels of what they name."""

    entities: list[EntityChange]
    labels: dict[str, dict[str, str]]
    types: dict[str, list[str]]

    def of(self, iri: str) -> EntityChange | None:
        """The change of the entity ``iri``, if this version changed it."""
        return self._by_iri.get(iri)

    @cached_property
    def _by_iri(self) -> dict[str, EntityChange]:
        return {change.entity.value: change for change in self.entities}

    def counts(self) -> Counts:
        return Counts(
            new=sum(e.status == NEW for e in self.entities),
            removed=sum(e.status == REMOVED for e in self.entities),
            changed=sum(e.status == CHANGED for e in self.entities),
            facts_added=sum(len(e.added) for e in self.entities),
            facts_removed=sum(len(e.removed) for e in self.entities),
            facts_changed=sum(len(e.changed) for e in self.entities),
        )


#: (subject, predicate, value) of a fact, the key citations are matched on.
_FactKey = tuple[Term, ox.NamedNode, Term]


def read_changes(triples: Iterable[ox.Triple]) -> ChangeLog:
    """The changelog a changeset states (``build.freeze`` writes it; see the module's docstring).

    The changeset holds, beside the change sets, what reading it needs: the labels and types
    of what it names, the super-properties of its properties, and the statement each citation
    it touches is about (a citation whose quoted words changed keeps its IRI, so its change
    set alone would not say which value it cites).
    """
    about: dict[Term, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    hierarchy: list[ox.Triple] = []
    for triple in triples:
        about[triple.subject][triple.predicate.value].append(triple.object)
        if triple.predicate == SUB_PROPERTY_OF:
            hierarchy.append(triple)
    supers = super_properties(hierarchy)

    def one(node: Term, predicate: str) -> Term | None:
        values = about.get(node, {}).get(predicate, [])
        return values[0] if values else None

    def reified(node: Term) -> ox.Triple:
        subject, predicate, value = (
            one(node, RDF + name) for name in ("subject", "predicate", "object")
        )
        assert isinstance(subject, ox.NamedNode) and isinstance(predicate, ox.NamedNode)
        assert value is not None
        return ox.Triple(subject, predicate, value)

    added: dict[Term, list[ox.Triple]] = defaultdict(list)
    removed: dict[Term, list[ox.Triple]] = defaultdict(list)
    status: dict[Term, str] = {}
    for props in about.values():
        if ox.NamedNode(CHANGE_SET) not in props.get(RDF + "type", []):
            continue
        subject = props[SUBJECT_OF_CHANGE][0]
        kinds = {t.value for t in props[RDF + "type"] if isinstance(t, ox.NamedNode)}
        status[subject] = next((s for s, t in STATUS_TYPES.items() if t in kinds), CHANGED)
        added[subject] = [reified(n) for n in props.get(ADDITION, [])]
        removed[subject] = [reified(n) for n in props.get(REMOVAL, [])]

    cited: dict[_FactKey, list[ox.NamedNode]] = defaultdict(list)
    uncited: dict[_FactKey, list[ox.NamedNode]] = defaultdict(list)
    requoted: dict[_FactKey, list[ox.NamedNode]] = defaultdict(list)
    for node in [n for n in status if _is_citation(n)]:
        fact = reified(node)
        source = one(node, DERIVED_FROM)
        assert isinstance(source, ox.NamedNode)
        key = (fact.subject, fact.predicate, fact.object)
        if any(t.predicate.value == RDF + "subject" for t in added[node]):
            cited[key].append(source)
        elif any(t.predicate.value == RDF + "subject" for t in removed[node]):
            uncited[key].append(source)
        else:
            requoted[key].append(source)
    subjects = {s for s in status if not _is_citation(s)}
    subjects |= {key[0] for changes in (cited, uncited, requoted) for key in changes}
    entities = []
    for subject in sorted(subjects, key=str):
        assert isinstance(subject, ox.NamedNode)
        change = _entity_change(
            subject,
            status.get(subject, CHANGED),
            added.get(subject, []),
            removed.get(subject, []),
            (cited, uncited, requoted),
            supers,
        )
        if change.added or change.removed or change.changed or change.recited:
            entities.append(change)
    labels: dict[str, dict[str, str]] = {}
    types: dict[str, list[str]] = {}
    for node, props in about.items():
        if isinstance(node, ox.NamedNode):
            for label in props.get(RDFS + "label", []):
                if isinstance(label, ox.Literal):
                    labels.setdefault(node.value, {}).setdefault(label.language or "", label.value)
            types[node.value] = sorted(
                t.value for t in props.get(RDF + "type", []) if isinstance(t, ox.NamedNode)
            )
    return ChangeLog(entities, labels, types)


def _is_citation(term: Term) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(STATEMENT_BASE)


def _entity_change(
    entity: ox.NamedNode,
    status: str,
    added: list[ox.Triple],
    removed: list[ox.Triple],
    citations: tuple[dict[_FactKey, list[ox.NamedNode]], ...],
    supers: dict[ox.NamedNode, set[ox.NamedNode]],
) -> EntityChange:
    """One entity's triples added and removed as facts, with the citations folded in: a
    citation that came or went with its value is that value's source, one of a value both
    releases state is a change of its own. The entity-level ``prov:wasDerivedFrom`` the build
    adds for each source its citations name is left out where a citation says it already."""
    cited, uncited, requoted = citations

    def sources(
        found: dict[_FactKey, list[ox.NamedNode]], predicate: Term, value: Term
    ) -> tuple[ox.NamedNode, ...]:
        return tuple(sorted(found.get((entity, predicate, value), []), key=str))  # type: ignore[arg-type]

    citing = {
        s for found in citations for key, names in found.items() if key[0] == entity for s in names
    }

    def facts(triples: list[ox.Triple], found: dict[_FactKey, list[ox.NamedNode]]) -> list[Fact]:
        by_value: dict[Term, set[ox.NamedNode]] = defaultdict(set)
        for triple in triples:
            by_value[triple.object].add(triple.predicate)
        return [
            Fact(t.predicate, t.object, sources(found, t.predicate, t.object))
            for t in sorted(triples, key=str)
            if not any(t.predicate in supers.get(other, ()) for other in by_value[t.object])
            and not (t.predicate.value == DERIVED_FROM and t.object in citing)
        ]

    if status != CHANGED:  # a new or removed entity's type and labels are its heading
        added = [t for t in added if t.predicate.value not in _HEADING]
        removed = [t for t in removed if t.predicate.value not in _HEADING]
    new_facts, old_facts = facts(added, cited), facts(removed, uncited)
    changed = _pairs(old_facts, new_facts)
    paired = {fact for pair in changed for fact in pair}
    stated = {(t.predicate, t.object) for t in (*added, *removed)}
    kept = {(key[1], key[2]) for found in citations for key in found if key[0] == entity}
    recited = [
        Recited(
            predicate,
            value,
            sources(cited, predicate, value),
            sources(uncited, predicate, value),
            sources(requoted, predicate, value),
        )
        for predicate, value in sorted(kept - stated, key=str)
    ]
    return EntityChange(
        entity,
        status,
        [f for f in new_facts if f not in paired],
        [f for f in old_facts if f not in paired],
        changed,
        recited,
    )


def _pairs(old: list[Fact], new: list[Fact]) -> list[tuple[Fact, Fact]]:
    """The values that changed: where one value of a property (in one language, for text)
    was removed and one added."""

    def key(fact: Fact) -> tuple[str, str]:
        language = fact.value.language if isinstance(fact.value, ox.Literal) else None
        return (fact.predicate.value, language or "")

    olds: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    news: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in old:
        olds[key(fact)].append(fact)
    for fact in new:
        news[key(fact)].append(fact)
    return [
        (olds[k][0], news[k][0])
        for k in sorted(olds)
        if len(olds[k]) == 1 and len(news.get(k, [])) == 1
    ]
