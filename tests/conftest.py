"""The fixtures every test can use, registered as plugins from ``tests/support/``.

The web tests' fixtures (``support.web_fixtures``: ``web_client``, ``live_server``) are
registered by the web test modules themselves, so that the other tests never import the web.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

pytest_plugins = [
    "support.fixtures",  # source_dir, source_copy, release
    "support.virtuoso",  # virtuoso: the remote-loading tests' real Virtuoso
    "support.shacl",  # pyshacl_verdicts: the reference verdict on each shapes fixture, once
]

#: Tests that share a costly session resource, or that time a server's answers, run in one
#: pytest-xdist worker each (``--dist loadgroup``): one Virtuoso, one Chromium, one pyshacl cache,
#: the real clients of ``tests/clients/`` with their one server, recording proxy and JVM
#: class archive, and the timing tests one after another rather than beside each other.
_GROUPS = ("virtuoso", "browser", "clients", "slow")
_PYSHACL_MODULES = ("test_shapes.py", "test_shacl_engines.py")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clients: drives a real third-party client (tests/clients/, the client matrix)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = next((name for name in _GROUPS if item.get_closest_marker(name)), None)
        if group is None and item.path.name in _PYSHACL_MODULES:
            group = "pyshacl"
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under CI (``.ci/run`` sets ``CI``) a skipped test fails: a test that cannot run there
    (a tool missing, a fixture folder not found) has told nobody anything. Expected failures
    (``xfail``) are not skips and stay as they are."""
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI, which must run every test: {reason}"
    return report
