"""The engine answers every input with an execution result: it never raises and never hangs.

Every recorded definition that runs without emulated AWS services (the conformance cases of kind
``execution``: each state type, JSONPath and JSONata, Retry/Catch, Map and Parallel) is run
with arbitrary JSON inputs instead of its recorded one, which drives it down its error paths:
missing paths, wrong types, intrinsics and JSONata on unexpected values. Each run must end in
a terminal status on the virtual clock, with an error name for every failure (but that of a
Fail state that names none), and a history
whose ids are contiguous and whose terminal event comes once, last.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
sys.path.insert(0, str(CONFORMANCE))

from runner import lambda_handlers  # noqa: E402 - the recorded Lambda behaviours

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
TERMINAL_EVENTS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


def _service_free_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted((CONFORMANCE / "cases").glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        resources = (case.get("resources") or {}).values()
        if (
            case.get("kind") == "execution"
            and set(case.get("needs_services") or []) <= {"lambda"}
            and not any(isinstance(r, dict) and r.get("type") != "lambda" for r in resources)
        ):
            cases.append(case)
    return cases


CASES = _service_free_cases()

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8)
)
# Keys the recorded definitions read, so that paths sometimes find what they look for.
json_keys = st.sampled_from(["a", "b", "Value", "items", "x", "Key"])
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=4)
    ),
    max_leaves=12,
)


def test_there_are_definitions_to_fuzz() -> None:
    assert len(CASES) > 300


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(index=st.integers(min_value=0, max_value=len(CASES) - 1), execution_input=json_values)
def test_any_input_ends_in_a_terminal_status(index: int, execution_input: Any) -> None:
    case = CASES[index]
    runner = local_runner(lambdas=lambda_handlers(case), clock="virtual")
    result = runner.run(compile_state_machine(case["definition"]), execution_input)
    assert result.status in TERMINAL, case["name"]
    if result.status != "SUCCEEDED" and result.error is None:
        # Only a Fail state that names no Error ends an execution without one (as on AWS).
        assert result.history[-2]["type"] == "FailStateEntered", case["name"]
    ids = [event["id"] for event in result.history]
    assert ids == list(range(1, len(ids) + 1)), case["name"]
    ends = [event for event in result.history if event["type"] in TERMINAL_EVENTS]
    assert len(ends) == 1, case["name"]
    assert ends[0] is result.history[-1], case["name"]
