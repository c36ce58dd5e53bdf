"""The walls around a query worker: no network, bounded memory, a deep enough stack.

These are defence in depth behind the guard (``guard.py``), each for a way a
query can hurt the server that no text check can rule out for sure:

* **No network.** A worker that runs queries without an allowed ``SERVICE``
  moves itself into a network namespace of its own before it opens the store.
  The namespace has only a loopback interface that is down, so a ``SERVICE``
  call the guard failed to see finds no route to anything (127.0.0.1 inside is
  not the host's 127.0.0.1), and no DNS. As root this is ``unshare(CLONE_NEWNET)``;
  otherwise a user namespace is created with it, where the kernel allows that.
* **Bounded memory.** ``RLIMIT_AS`` caps the worker's address space at what it
  uses once ready plus ``query_memory_mb``; an allocation past it fails, and
  the engine aborts the process, which the pool reports and replaces.
* **A deep stack.** The engine's parser and evaluator recurse on nested groups;
  jobs run on a thread with a large stack so that the nesting the guard lets
  through (and more) cannot overflow it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import resource
import threading
from collections.abc import Callable
from pathlib import Path

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
#: The stack of the thread that runs queries: address space reserved, touched only when used.
QUERY_STACK_BYTES = 256 * 1024 * 1024


def seal_network() -> bool:
    """Move this process into an empty network namespace; False when the kernel refuses."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return True
    return bool(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)


def address_space_bytes() -> int:
    """The address space this process uses now (VmSize), in bytes."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_memory(extra_mb: int) -> None:
    """Cap the address space at what is used now plus ``extra_mb`` MiB (0 leaves it unlimited)."""
    if extra_mb <= 0:
        return
    limit = address_space_bytes() + extra_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_on_deep_stack(target: Callable[[], None]) -> None:
    """Run ``target`` on a new thread with a ``QUERY_STACK_BYTES`` stack and wait for it."""
    previous = threading.stack_size(QUERY_STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name="pilotkg-query", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
