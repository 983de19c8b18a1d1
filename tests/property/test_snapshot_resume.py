"""Everything needed to resume is in the snapshot.

Every service-free recorded case is run twice: once with the snapshot kept in memory, once with
the snapshot written to JSON text and read back between every call of the core (as the durable
runtime stores it). Both runs must produce the same history and the same outcome.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"
sys.path.insert(0, str(CASES.parent))

from runner import lambda_handlers  # noqa: E402 - the conformance runner's behaviours


def _cases() -> list[Path]:
    chosen = []
    for path in sorted(CASES.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case["kind"] == "execution" and set(case.get("needs_services") or []) <= {"lambda"}:
            chosen.append(path)
    return chosen


def _run(case: dict[str, Any], *, store: bool) -> str:
    runner = local_runner(
        lambdas=lambda_handlers(case),
        clock="virtual",
        start_ms=1_700_000_000_000,
        store_snapshots=store,
    )
    result = runner.run(
        compile_state_machine(case["definition"]),
        case.get("input"),
        state_machine_name="sm",
        execution_name="resume",
    )
    # Each Lambda invocation gets a fresh request id (and trace id): compare without them.
    outcome = json.dumps(
        [result.status, result.output_text, result.error, result.cause, result.history],
        sort_keys=True,
    )
    outcome = re.sub(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", "T", outcome)
    outcome = re.sub(r"(LogResult[^A-Za-z0-9]+)[A-Za-z0-9+/=]{20,}", r"\1L", outcome)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", outcome)


@pytest.mark.parametrize("path", _cases(), ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_a_stored_and_reloaded_snapshot_resumes_identically(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    if "resources" in case and any(
        isinstance(r, dict) and r.get("type") == "fixture/api placeholder"
        for r in (case.get("resources") or {}).values()
    ):
        pytest.skip("needs fixtures the conformance runner creates")
    assert _run(case, store=True) == _run(case, store=False)
