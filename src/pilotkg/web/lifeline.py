"""A child process that ends with its parent, however the parent ends.

A server process of ``serve --processes`` and every query worker ask the kernel
(Linux ``prctl(PR_SET_PDEATHSIG)``) for a signal when the process that started them
ends, so that a ``kill -9`` of ``pilotkg serve`` leaves no process behind holding the
port, the store or memory. Elsewhere the call does nothing and the parent's own
clean-up is what stops its children.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

#: ``prctl`` option: the signal the kernel sends a process when its parent ends (Linux).
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, how: signal.Signals) -> None:
    """Ask the kernel for ``how`` when ``parent`` ends; end now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, how, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)
