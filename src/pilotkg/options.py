"""Command-line options shared by several commands, defined once so that they read alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

CHECK_NAMES = ("shacl", "qc", "links", "owl")


def source_option(help_text: str = "") -> Callable[[F], F]:
    """``--source DIR``: the folder holding ontology/, data/, shapes/ and queries/."""
    return click.option(
        "--source",
        "source",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help_text
        or "Folder holding ontology/, data/, shapes/, queries/ (default: this checkout, else the packaged copy).",
    )


def skip_option(help_text: str) -> Callable[[F], F]:
    """``--skip CHECK`` (repeatable): leave one of the checks out."""
    return click.option("--skip", multiple=True, type=click.Choice(CHECK_NAMES), help=help_text)


def progress(message: str) -> None:
    """Print a progress line to stderr, so that stdout stays clean for results."""
    click.echo(f"· {message}", err=True)
