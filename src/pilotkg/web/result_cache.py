"""Answers the query workers gave, kept in memory and served again without a worker.

The release never changes while it is served, so a query that a worker answered
once has the same answer for as long as the same release is served. The cost of
a query on pilotkg's path is mostly the trip to the worker process (which is the
price of a time limit that can really stop a query), not the engine's work; an
answer kept here costs no worker at all. QLever keeps query results the same
way, in a cache bounded in size; pyoxigraph's own server keeps none, and needs
none, since it sets no time limit.

What an answer kept here cannot break, and why:

* **The guard.** Only a text the guard judged to run in a *sealed* worker, with
  no ``check_only``, is looked up or kept, and the lookup comes after the guard
  and the egress check, so every query still passes them. A federated answer is
  never kept: it comes from a remote endpoint whose data is not the release's.
  Nothing here runs a query: an entry is filled from a worker's answer, or from one
  the server gave in-process (a lookup of one subject, or one of its own texts),
  and only a sealed-lane text is ever answered in-process, so none reached a
  ``SERVICE``.
* **The limits.** An entry ``/sparql`` can be given is an answer with status 200
  to the very same job, by a worker (within ``query_timeout_s`` and
  ``query_memory_mb``) or for a lookup of one subject (whose work is its answer),
  cut by ``max_result_rows`` and ``max_result_bytes``; the settings do not change
  while the server runs. The server's own texts (``/queries/``, the browsed
  tables) ran in-process without the worker's time and memory limits, so their
  answers are kept under a variant of their own (``own …``): they answer the
  pages that asked again, never a ``/sparql`` request for the same text.
* **The answer itself.** The key is the release's checksum with the whole job
  the worker was given (the text with surrounding white space stripped, which
  SPARQL ignores; the format; the dataset's graphs; the limits; the JSON-LD
  context and the URL it is named by, which comes from the request's origin),
  and the name of what the caller did to the answer before serving it (a canned
  query's cells put in order and written in the format asked for).
  A text that asks for something new on each run (``RAND``, ``NOW``, ``UUID``,
  ``STRUUID``, ``BNODE``, found after ``\\u`` escapes are decoded, anywhere in the
  text) is never kept. A lookup with another release's checksum empties the
  cache first, so a new release never sees the old one's answers.
* **Memory.** The entries' bodies and texts are bounded by ``query_cache_bytes``,
  least recently used dropped first; an answer larger than an eighth of that is
  not kept, so that one big result cannot push out every small one.

An answer served from here still takes one of its client's ``max_client_queries``
slots while it is looked up, so a client at its limit gets 429 whether or not
the answer is kept: the limits read the same from outside.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace

from ..sparqltext import unescape
from .workers import Job, Outcome

#: Functions whose value differs from one evaluation to the next (SPARQL 1.1 Query §17.4).
_FRESH_EACH_TIME = re.compile(r"\b(?:rand|now|uuid|struuid|bnode)\b", re.IGNORECASE)
#: The share of the budget one answer may take at most.
_LARGEST_SHARE = 8


def same_each_time(text: str) -> bool:
    """Whether ``text`` names none of the functions that give a new value on each run.

    >>> same_each_time("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    True
    >>> same_each_time("SELECT (R\\\\u0041ND() AS ?r) {}")
    False
    """
    return not _FRESH_EACH_TIME.search(unescape(text))


class ResultCache:
    """Worker answers by (release checksum, job), at most ``max_bytes`` of them (0: none)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.release_id = ""
        self.size = 0
        self.hits = 0
        self._entries: OrderedDict[tuple[Job, str], Outcome] = OrderedDict()
        self._lock = threading.Lock()  # the threadpool's canned pages may share one cache

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def keeps(job: Job) -> bool:
        """Whether an answer to ``job`` may be kept (see the module's docstring)."""
        return not job.check_only and same_each_time(job.query)

    def get(self, release_id: str, job: Job, variant: str = "") -> Outcome | None:
        """The kept answer to ``job`` (finished as ``variant`` names) under ``release_id``."""
        if not self.max_bytes:
            return None
        key = _key(job, variant)
        with self._lock:
            self._serve(release_id)
            outcome = self._entries.get(key)
            if outcome is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return outcome

    def put(self, release_id: str, job: Job, outcome: Outcome, variant: str = "") -> None:
        """Keep ``outcome``, a worker's answer to ``job`` (finished as ``variant`` names), if
        it may be kept and fits."""
        if not self.max_bytes or outcome.status != 200:  # the cheap refusals first
            return
        key = _key(job, variant)
        size = _size(key, outcome)
        if size > self.max_bytes // _LARGEST_SHARE or not self.keeps(job):
            return
        with self._lock:
            self._serve(release_id)
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= _size(key, previous)
            self._entries[key] = outcome
            self.size += size
            while self.size > self.max_bytes:
                old_key, old = self._entries.popitem(last=False)
                self.size -= _size(old_key, old)

    def _serve(self, release_id: str) -> None:
        """Forget every answer of another release than ``release_id`` (called under the lock)."""
        if release_id != self.release_id:
            self._entries.clear()
            self.size = 0
            self.release_id = release_id


def _key(job: Job, variant: str) -> tuple[Job, str]:
    """The job as the cache knows it (its text without the white space SPARQL ignores), and
    what was done to its answer."""
    text = job.query.strip()
    return (job if text == job.query else replace(job, query=text)), variant


def _size(key: tuple[Job, str], outcome: Outcome) -> int:
    """What an entry takes, roughly: its body, its text and some bookkeeping."""
    return len(outcome.body) + len(key[0].query) + 256
