"""``pilotkg link``: links from our entities to other datasets; ``link wikidata`` for Wikidata.

Without ``--check`` or ``--propose`` it only counts the links data/ has, with
no network; ``--check`` asks the endpoint about every link and exits 1 on any
mismatch; ``--propose FILE`` writes candidates for unlinked entities to a file
for review, never into data/. Network failures exit 2 with the endpoint named.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..errors import CheckFailed, UsageError
from ..federation import DEFAULT_ENDPOINT
from ..options import progress, source_option
from ..sources import find_source_dir, load_sources
from .check import check_links
from .client import DEFAULT_CACHE_DIR, SparqlClient
from .labels import KINDS
from .local import LocalEntity, read_entities
from .propose import Proposal, propose_links
from .review import write_proposals


@click.group()
def link() -> None:
    """Check and propose links from our entities to other datasets."""


def _summary(entities: dict[str, LocalEntity]) -> str:
    lines = []
    for kind in KINDS:
        members = [e for e in entities.values() if e.kind == kind]
        if not members:
            continue
        by_prop = Counter(link.prop_name for e in members for link in e.links)
        unlinked = sum(1 for e in members if not e.links)
        linked = ", ".join(f"{n} {prop}" for prop, n in sorted(by_prop.items())) or "no links"
        lines.append(f"{kind}: {len(members)} entities; {linked}; {unlinked} unlinked")
    return "\n".join(lines)


def _proposal_line(proposal: Proposal) -> str:
    best = proposal.proposed
    target = f" wd:{best.qid} ({best.facts.display()})" if best else ""
    flags = "".join(f"\n    {flag}" for flag in proposal.flags)
    return f"{proposal.entity.name}: {proposal.status}{target}{flags}"


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


@link.command()
@click.option(
    "--endpoint",
    default=DEFAULT_ENDPOINT,
    show_default=True,
    help="SPARQL endpoint with Wikidata's data model (a mirror or a local copy will do).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(list(KINDS)),
    help="Only entities of this kind (repeatable; default: all).",
)
@click.option(
    "--check", "do_check", is_flag=True, help="Check every existing link; exit 1 on any mismatch."
)
@click.option(
    "--propose",
    "propose_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write candidates for unlinked entities to FILE (.ttl or .csv) for review.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE_DIR,
    show_default=True,
    help="Where endpoint answers are cached (key: SHA-256 of endpoint and query).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option(
    "--timeout-s",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for each answer from the endpoint.",
)
@source_option("Folder holding ontology/, data/, shapes/, queries/ (default: this checkout).")
def wikidata(
    endpoint: str,
    kinds: tuple[str, ...],
    do_check: bool,
    propose_file: Path | None,
    cache_dir: Path,
    no_cache: bool,
    timeout_s: float,
    source: Path | None,
) -> None:
    """Check the Wikidata links of regions, organisations and sectors, or propose new ones."""
    root = find_source_dir(source)
    if propose_file is not None and _inside(propose_file, root / "data"):
        raise UsageError(
            f"--propose {propose_file}: write proposals outside data/; "
            "curators copy accepted links into data/ by hand"
        )
    entities = read_entities(load_sources(root).data, kinds or KINDS)
    if not do_check and propose_file is None:
        click.echo(_summary(entities))
        click.echo("(--check asks the endpoint about each link; --propose FILE suggests new ones)")
        return
    client = SparqlClient(endpoint, cache_dir=None if no_cache else cache_dir, timeout_s=timeout_s)
    failed = 0
    if do_check:
        progress(f"checking Wikidata links against {endpoint}")
        result = check_links(entities, client)
        for mismatch in result.warnings:
            click.echo(f"warning: {mismatch.as_text()}", err=True)
        for mismatch in result.errors:
            click.echo(mismatch.as_text())
        failed = len({(m.link.entity, m.link.qid) for m in result.errors})
        click.echo(
            f"checked {result.links} links: {failed} with mismatches, "
            f"{len(result.warnings)} warnings"
        )
    if propose_file is not None:
        progress(f"looking for candidates on {endpoint}")
        proposals = propose_links(entities, client)
        write_proposals(propose_file, proposals)
        for proposal in proposals:
            click.echo(_proposal_line(proposal))
        picked = sum(1 for p in proposals if p.proposed)
        click.echo(
            f"{len(proposals)} unlinked entities: {picked} with a proposed item; "
            f"candidates written to {propose_file} for review"
        )
    cached = "cache bypassed" if client.cache_dir is None else f"the rest from {cache_dir}"
    progress(f"{client.requests} requests to {endpoint} ({cached})")
    if failed:
        raise CheckFailed(f"{failed} Wikidata links failed the check (see above)")
