"""Suite-wide pytest plugin: only what the conformance suite needs at the top level.

* ``--conformance-dir PATH`` runs the conformance cases of another directory (same format as
  tests/conformance/cases) instead of the copied corpus. Options must be declared in a
  top-level conftest, hence here; tests/conformance/conftest.py reads it.
* At the end of the session, one line per conformance group and a total::

      conformance GROUP: N passed, M failed, K skipped, X xfailed

  Tests are attributed to a group through the ``conformance_group`` user property that
  tests/conformance/conftest.py sets on each case's test item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

_GROUP_PROPERTY = "conformance_group"
_OUTCOMES = ("passed", "failed", "skipped", "xfailed")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--conformance-dir",
        action="store",
        default=None,
        metavar="PATH",
        help="run the conformance cases found under PATH (default: tests/conformance/cases)",
    )


class _ConformanceSummary:
    """Collects each conformance test's outcome and prints the per-group lines."""

    def __init__(self) -> None:
        self.outcomes: dict[str, tuple[str, str]] = {}  # nodeid -> (group, outcome)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        group = dict(report.user_properties).get(_GROUP_PROPERTY)
        if group is None:
            return
        outcome = _outcome(report)
        if outcome is None:
            return
        previous = self.outcomes.get(report.nodeid)
        # A failing teardown turns a passed test into a failed one, never the reverse.
        if previous is None or outcome == "failed":
            self.outcomes[report.nodeid] = (str(group), outcome)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.outcomes:
            return
        per_group: dict[str, Counter[str]] = defaultdict(Counter)
        for group, outcome in self.outcomes.values():
            per_group[group][outcome] += 1
        total: Counter[str] = Counter()
        terminalreporter.section("conformance")
        for group in sorted(per_group):
            total.update(per_group[group])
            terminalreporter.write_line(f"conformance {group}: {_counts(per_group[group])}")
        terminalreporter.write_line(f"conformance total: {_counts(total)}")


def _outcome(report: pytest.TestReport) -> str | None:
    if report.when == "call":
        if report.skipped:
            return "xfailed" if hasattr(report, "wasxfail") else "skipped"
        return "failed" if report.failed else "passed"
    if report.when == "setup":
        if report.skipped:
            return "xfailed" if hasattr(report, "wasxfail") else "skipped"
        return "failed" if report.failed else None
    return "failed" if report.failed else None


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{counter[outcome]} {outcome}" for outcome in _OUTCOMES)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_ConformanceSummary(), "conformance-summary")


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A dynalite process for the session (tests/dynalite_server.py); skipped, with the reason,
    where Node.js or dynalite is not installed (``scripts/test`` installs it)."""
    from dynalite_server import Dynalite, dynalite_binary

    binary = dynalite_binary()
    if binary is None:
        pytest.skip("dynalite is not installed (npm ci --prefix tools/dynalite; needs Node.js)")
    server = Dynalite(binary, tmp_path_factory.mktemp("dynalite"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
