"""What changed between two releases: added and removed triples, grouped by entity."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from ..graphs import triple_sort_key


def diff_releases(
    old: set[ox.Triple], new: set[ox.Triple]
) -> dict[str, dict[str, list[ox.Triple]]]:
    """For each subject that changed: its ``added`` and ``removed`` triples, sorted."""
    changes: dict[str, dict[str, list[ox.Triple]]] = defaultdict(
        lambda: {"added": [], "removed": []}
    )
    for triple in new - old:
        changes[str(triple.subject)]["added"].append(triple)
    for triple in old - new:
        changes[str(triple.subject)]["removed"].append(triple)
    for change in changes.values():
        change["added"].sort(key=triple_sort_key)
        change["removed"].sort(key=triple_sort_key)
    return dict(sorted(changes.items()))


def format_diff(changes: dict[str, dict[str, list[ox.Triple]]]) -> str:
    """A CHANGELOG-ready text: one block per entity, ``+`` added and ``-`` removed lines."""
    if not changes:
        return "no changes"
    lines = []
    added = sum(len(c["added"]) for c in changes.values())
    removed = sum(len(c["removed"]) for c in changes.values())
    lines.append(f"{len(changes)} entities changed: {added} triples added, {removed} removed")
    for subject, change in changes.items():
        lines.append("")
        lines.append(subject)
        lines.extend(f"  + {t.predicate} {t.object}" for t in change["added"])
        lines.extend(f"  - {t.predicate} {t.object}" for t in change["removed"])
    return "\n".join(lines)
