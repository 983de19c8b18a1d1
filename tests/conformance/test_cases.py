"""Run every conformance case and compare the result with what AWS recorded.

Collection, marks and the ``run_case`` fixture live in conftest.py; the comparison rules in
compare.py; known gaps in known_failures.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from compare import compare_case, format_mismatches
from known_failures import KNOWN_FAILURES

CASES_DIR = Path(__file__).resolve().parent / "cases"


def test_conformance_case(
    conformance_case: dict[str, Any],
    run_case: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    actual = run_case(conformance_case)
    mismatches = compare_case(conformance_case, actual)
    if mismatches:
        pytest.fail(
            f"{conformance_case['name']}: the run differs from AWS's recorded result "
            f"({len(mismatches)} mismatches):\n{format_mismatches(mismatches)}",
            pytrace=False,
        )


def test_known_failures_name_real_cases() -> None:
    """A known failure names a case of the corpus (a stale entry hides nothing)."""
    names = {
        json.loads(path.read_text(encoding="utf-8")).get("name", path.stem)
        for path in CASES_DIR.rglob("*.json")
    }
    stale = sorted(set(KNOWN_FAILURES) - names)
    assert not stale, f"known_failures.KNOWN_FAILURES names no such case: {stale}"
    assert all(reason.strip() for reason in KNOWN_FAILURES.values()), "every entry needs a reason"
