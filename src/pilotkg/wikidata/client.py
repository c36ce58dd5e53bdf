"""Asking a SPARQL endpoint, politely, and remembering its answers on disk.

The public Wikidata endpoint is shared and rate-limited, so every answer is
cached under a key that is the SHA-256 of the endpoint and the query text: a
repeated run asks nothing, and a run with no network still works from the
cache. Requests carry a descriptive User-Agent, as Wikimedia's policy asks.
Failures become an :class:`EndpointError` naming the endpoint, never a
traceback.
"""

from __future__ import annotations

import ast
import hashlib
import json
import tempfile
import urllib.error
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ..federation import DEFAULT_ENDPOINT
from .labels import USER_AGENT, EndpointError

#: Where answers are kept unless ``--cache-dir`` says otherwise (relative to the working directory).
DEFAULT_CACHE_DIR = Path(".cache") / "wikidata"

Row = dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]


def cache_key(endpoint: str, query: str) -> str:
    """The file name an answer is cached under: stable across runs and machines."""
    return hashlib.sha256(f"{endpoint}\n{query}".encode()).hexdigest()


def _term(binding: dict[str, str]) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A SPARQL 1.1 JSON results binding as a pyoxigraph term."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def rows_of(results: dict[str, Any]) -> list[Row]:
    """The solutions of a SPARQL JSON results document, as dicts of terms."""
    try:
        return [
            {name: _term(binding) for name, binding in solution.items()}
            for solution in results["results"]["bindings"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise EndpointError(
            f"the endpoint's answer is not SPARQL JSON results ({error})"
        ) from error


class SparqlClient:
    """SELECT queries against one endpoint, with an on-disk cache.

    ``cache_dir=None`` bypasses the cache (nothing read, nothing written).
    ``requests`` counts the queries that really went to the endpoint, so callers
    and tests can see what the cache saved.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        cache_dir: Path | None = DEFAULT_CACHE_DIR,
        timeout_s: float = 60.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.timeout_s = timeout_s
        self.user_agent = user_agent
        self.requests = 0

    def select(self, query: str) -> list[Row]:
        """The solutions of a SELECT query: from the cache when it holds them, else from the endpoint."""
        return rows_of(self._results(query))

    def _results(self, query: str) -> dict[str, Any]:
        path = self._cache_path(query)
        if path is not None and path.is_file():
            try:
                cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["results"]
                return cached
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache entry is asked again and rewritten
        results = self._ask(query)
        if path is not None:
            self._store(path, query, results)
        return results

    def _cache_path(self, query: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{cache_key(self.endpoint, query)}.json"

    def _store(self, path: Path, query: str, results: dict[str, Any]) -> None:
        """Write one cache entry atomically, so a killed run leaves no half-written file."""
        entry = {"endpoint": self.endpoint, "query": query, "results": results}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
            ) as handle:
                json.dump(entry, handle, ensure_ascii=False, sort_keys=True)
            Path(handle.name).replace(path)
        except OSError as error:
            raise EndpointError(
                f"cannot write the Wikidata cache in {path.parent}: {error.strerror} "
                "(pass --cache-dir DIR or --no-cache)"
            ) from error

    def _ask(self, query: str) -> dict[str, Any]:
        sparql = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        sparql.setQuery(query)
        sparql.setMethod(POST)  # long VALUES blocks do not fit in a URL
        sparql.setReturnFormat(JSON)
        sparql.setTimeout(int(max(1, self.timeout_s)))
        self.requests += 1
        try:
            results = sparql.queryAndConvert()
        except SPARQLWrapperException as error:
            detail = _response_text(error)
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} refused the query: {error.msg}"
                + (f" ({detail})" if detail else "")
            ) from error
        except urllib.error.HTTPError as error:
            wait = error.headers.get("Retry-After") if error.headers else None
            hint = f" (rate-limited: wait{f' {wait} s' if wait else ''} and run again; cached answers are kept)"
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} answered HTTP {error.code} {error.reason}"
                + (hint if error.code == 429 else "")
            ) from error
        except urllib.error.URLError as error:
            raise EndpointError(
                f"cannot reach the SPARQL endpoint {self.endpoint}: {error.reason} "
                "(check the network or pass --endpoint URL)"
            ) from error
        except TimeoutError as error:
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} did not answer within {self.timeout_s:g} s"
            ) from error
        except (ConnectionError, ValueError) as error:
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} sent no usable answer: {error}"
            ) from error
        if not isinstance(results, dict):
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} did not answer with SPARQL JSON results"
            )
        return results


def _response_text(error: SPARQLWrapperException) -> str:
    """The first line of the endpoint's error body, for a message a user can read.

    SPARQLWrapper keeps the body only inside its message, as the ``repr`` of bytes.
    """
    _, _, body = str(error).partition("Response:\n")
    try:
        raw = ast.literal_eval(body) if body else b""
    except (ValueError, SyntaxError):
        raw = body
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else ""
