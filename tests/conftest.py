"""The fixtures every test can use, registered as plugins from ``tests/support/``.

The web tests' fixtures (``support.web_fixtures``: ``web_client``, ``live_server``) are
registered by the web test modules themselves, so that the other tests never import the web.
"""

from __future__ import annotations

pytest_plugins = [
    "support.fixtures",  # source_dir, source_copy, release
    "support.virtuoso",  # virtuoso: the remote-loading tests' real Virtuoso
    "support.shacl",  # pyshacl_verdicts: the reference verdict on each shapes fixture, once
]
