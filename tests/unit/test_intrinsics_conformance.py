"""The recorded AWS cases of the ``intrinsic_functions`` group, run through the query layer alone.

Each JSONPath case there is one Pass state whose ``Parameters`` call an intrinsic function. This
test evaluates that state's data flow (InputPath, Parameters, ResultPath, OutputPath) with the
query-layer modules directly — no engine — and compares the output with what AWS returned, after
the normalisation the cases README describes. The full engine runs the same cases end to end in
the conformance suite; this proves the query layer on its own.

Cases that are not a single JSONPath Pass state (the JSONata twins of the group) are counted as
not applicable, by a rule, never by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError
from interpreter.query.jsonpath import apply_result_path, compile_reference_path, compile_value_path
from interpreter.query.scope import Scope
from interpreter.query.template import compile_payload_template

CASES_DIR = Path(__file__).resolve().parents[1] / "conformance" / "cases" / "intrinsic_functions"
_DATA_FLOW_FIELDS = {"InputPath", "Parameters", "ResultPath", "OutputPath"}
_PASS_FIELDS = _DATA_FLOW_FIELDS | {"Type", "End", "Next", "Comment"}

# Known gaps: case name -> reason. Empty: every applicable case passes.
KNOWN_GAPS: dict[str, str] = {}


def _single_pass_state(case: dict[str, Any]) -> dict[str, Any] | None:
    """The case's only state if it is a JSONPath Pass state with Parameters, else None."""
    definition = case["definition"]
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        return None
    states = definition["States"]
    if len(states) != 1:
        return None
    state = states[definition["StartAt"]]
    if state.get("Type") != "Pass" or "Parameters" not in state:
        return None
    if state.get("QueryLanguage", "JSONPath") != "JSONPath" or set(state) - _PASS_FIELDS:
        return None
    return state


def _applicable_cases() -> list[Path]:
    paths = []
    for path in sorted(CASES_DIR.glob("*.json")):
        case = json.loads(path.read_text())
        if case["kind"] == "execution" and _single_pass_state(case) is not None:
            paths.append(path)
    return paths


def _context(case: dict[str, Any], state_name: str) -> dict[str, Any]:
    run = case["run_context"]
    return {
        "Execution": {
            "Id": run["execution_arn"],
            "Input": case["input"],
            "Name": run["execution_name"],
            "RoleArn": run["role_arn"],
            "StartTime": "2023-01-01T00:00:00.000Z",
        },
        "StateMachine": {"Id": run["state_machine_arn"], "Name": run["state_machine_name"]},
        "State": {"Name": state_name, "EnteredTime": "2023-01-01T00:00:00.000Z", "RetryCount": 0},
    }


def _run_state(case: dict[str, Any]) -> tuple[str, Any]:
    """Evaluate the Pass state; return ("SUCCEEDED", output) or ("FAILED", (error, detail))."""
    state = _single_pass_state(case)
    assert state is not None
    name = case["definition"]["StartAt"]
    raw = case["input"]
    context = _context(case, name)
    counter = iter(range(1, 1_000_000))

    def scope(value: Any) -> Scope:
        return Scope(
            value,
            context,
            {},
            new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
            random=lambda: 0.5,
        )

    try:
        effective = raw
        if "InputPath" in state:
            effective = compile_value_path(state["InputPath"]).evaluate(scope(raw))
        template = compile_payload_template(state["Parameters"], field="Parameters")
        result = template.evaluate(scope(effective))
        result_path = state.get("ResultPath", "$")
        output = apply_result_path(
            raw, None if result_path is None else compile_reference_path(result_path), result
        )
        if "OutputPath" in state:
            output = compile_value_path(state["OutputPath"]).evaluate(scope(output))
    except QueryRuntimeError as exc:
        return "FAILED", (exc.error, exc.detail)
    return "SUCCEEDED", output


def _normalise(value: Any, case: dict[str, Any]) -> tuple[Any, set[str]]:
    """Apply the README's normalisation to our value; also return the wildcard tokens."""
    text = json.dumps(value)
    wildcards: set[str] = set()
    for transformer in case["compare"]["transformers"]:
        if transformer["type"] != "regex" or transformer["pattern"].startswith("${ref:"):
            wildcards.add(json.dumps(transformer.get("replacement"))[1:-1])
            continue
        text = re.sub(transformer["pattern"], transformer["replacement"], text)
    run = case["run_context"]
    text = text.replace(run["account"], "111111111111").replace("arn:aws:", "arn:<partition>:")
    text = text.replace(run["region"], "<region>")
    return json.loads(text), wildcards


def _matches(actual: Any, expected: Any, wildcards: set[str]) -> bool:
    if isinstance(expected, str) and expected in wildcards:
        return True
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_matches(actual[k], expected[k], wildcards) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_matches(a, e, wildcards) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


CASES = _applicable_cases()


def test_the_group_is_mostly_applicable() -> None:
    """Guard against the selection silently emptying (a renamed field, a moved directory)."""
    total = len(list(CASES_DIR.glob("*.json")))
    assert total >= 100
    assert len(CASES) >= 90


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_intrinsic_case(path: Path) -> None:
    if path.stem in KNOWN_GAPS:
        pytest.skip(KNOWN_GAPS[path.stem])
    case = json.loads(path.read_text())
    expected = case["expected"]
    status, value = _run_state(case)
    assert status == expected["status"], value
    if status == "SUCCEEDED":
        actual, wildcards = _normalise(value, case)
        assert _matches(actual, expected["output"], wildcards), (actual, expected["output"])
    else:
        error, detail = value
        assert error == expected["error"]
        assert expected["cause"].endswith(detail)
