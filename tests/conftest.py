"""The fixtures every test can use, registered as plugins from ``tests/support/``.

The web tests' fixtures (``support.web_fixtures``: ``web_client``, ``live_server``) are
registered by the web test modules themselves, so that the other tests never import the web.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from support import shared

pytest_plugins = [
    "support.fixtures",  # source_dir, source_copy, release
    "support.virtuoso",  # virtuoso: the remote-loading tests' real Virtuoso
    "support.remote_fixtures",  # fixture_release, checkout_release, graph: what they load
    "support.shacl",  # pyshacl_verdicts: the reference verdict on each shapes fixture, once
]

#: Tests that share a costly session resource, or that time a server's answers, run in one
#: pytest-xdist worker each (``--dist loadgroup``): one Virtuoso, one Chromium, the real clients
#: of ``tests/clients/`` with their one server, recording proxy and JVM class archive, and the
#: timing tests one after another rather than beside each other. (The pyshacl verdicts need no
#: group: every worker reads them from the session's scratch folder, ``support.shacl``.)
_GROUPS = ("virtuoso", "browser", "clients", "slow")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clients: drives a real third-party client (tests/clients/, the client matrix)"
    )
    if not hasattr(config, "workerinput"):  # the controller, or the one process of a serial run
        shared.start_session()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        shared.end_session()


def _group(item: pytest.Item) -> str | None:
    return next((name for name in _GROUPS if item.get_closest_marker(name)), None)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which sends the ids to the scheduler
def pytest_collection_finish(session: pytest.Session) -> None:
    """In a pytest-xdist worker under ``--dist loadgroup``: each grouped test's id ends in
    ``@group``, which is all the scheduler reads. pytest-xdist writes the suffix into an
    attribute that pytest 9.2 no longer reads the id from (the id became structured), so
    without this the groups are silently ignored and every grouped test goes to any worker.
    The suffix is added only where pytest-xdist's own did not take."""
    if not getattr(session.config.option, "loadgroup", False):  # set in workers only
        return
    from _pytest.nodeid import NodeId  # pytest >= 9.2, the only versions that need this

    for item in session.items:
        group = _group(item)
        if group is not None and not item.nodeid.endswith(f"@{group}"):
            item._id = NodeId.parse(f"{item.nodeid}@{group}")


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
