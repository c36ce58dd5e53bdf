"""Exceptions of our own, each carrying a message a user can act on.

The command line maps them to exit codes: ``UsageError`` and ``SourceError``
are bad input (exit 2), ``CheckFailed`` is a check that did not pass (exit 1).
"""

from __future__ import annotations


class PilotkgError(Exception):
    """Base class: anything pilotkg raises on purpose."""

    exit_code = 2


class SourceError(PilotkgError):
    """A source file is missing or malformed; the message names file:line:column."""


class UsageError(PilotkgError):
    """A command was called with arguments that cannot work."""


class QueryError(PilotkgError):
    """A canned query is unknown, malformed, or was given bad parameters."""


class CheckFailed(PilotkgError):
    """One or more checks failed; nothing was published."""

    exit_code = 1
