"""The reliability suite: every test here is marked ``reliability``; the chaos runs' reports are
printed at the end of the session (one line per run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_REPORTS: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def reliability_report() -> list[str]:
    """Where a chaos run puts its report line (printed at the end of the session)."""
    return _REPORTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _REPORTS:
        terminalreporter.write_line(f"reliability {line}")
