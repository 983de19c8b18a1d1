"""JSONata expressions of the conformance corpus whose AWS answer follows from the case's input.

Generic rules, no case named:

* evaluate_jsonata: in a one-state machine, a Pass state's ``Output`` template gives the
  execution's output; a Map state's ``Items`` template (iterated by a lone Pass that passes its
  item through) gives the output array; a numeric field (MaxConcurrency, TimeoutSeconds...) of a
  case that succeeded evaluates to a non-negative integer.
* every group: when the *first* state of an execution failed with an ``EvaluationFailed`` event
  (so it saw the execution input and no variables), evaluating the expression at the event's
  ``location`` gives AWS's cause (after the ``An error occurred while executing the state``
  prefix, which the core adds) — undefined results, function results and ``Items`` values of the
  wrong type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError
from interpreter.query.jsonata import (
    compile_jsonata,
    compile_jsonata_template,
    is_jsonata_string,
    unexpected_result_type,
)

CASES = Path(__file__).parent.parent / "conformance" / "cases"
NUMERIC_FIELDS = (
    "MaxConcurrency",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
)
PREFIX = re.compile(
    r"^An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. "
)


def _load(group: str) -> Iterator[tuple[str, dict[str, Any]]]:
    files = (CASES / group).glob("*.json") if group else CASES.rglob("*.json")
    for file in sorted(files):
        yield file.stem, json.loads(file.read_text())


def _bare_pass(processor: dict[str, Any]) -> bool:
    states = processor.get("States", {})
    return len(states) == 1 and all(
        s.get("Type") == "Pass" and not ({"Output", "Assign"} & s.keys()) for s in states.values()
    )


def _evaluate_jsonata_params() -> list[Any]:
    params = []
    for name, case in _load("evaluate_jsonata"):
        states = case["definition"]["States"]
        expected = case["expected"]
        if len(states) != 1 or expected["status"] != "SUCCEEDED":
            continue
        (state,) = states.values()
        if state["Type"] == "Pass" and "Output" in state:
            params.append(pytest.param(case, "Output", expected["output"], id=f"{name}-Output"))
        if state["Type"] == "Map" and _bare_pass(state.get("ItemProcessor", {})):
            params.append(pytest.param(case, "Items", expected["output"], id=f"{name}-Items"))
        params.extend(
            pytest.param(case, field, None, id=f"{name}-{field}")
            for field in NUMERIC_FIELDS
            if is_jsonata_string(state.get(field))
        )
    return params


@pytest.mark.parametrize(("case", "field", "expected"), _evaluate_jsonata_params())
def test_evaluate_jsonata_cases(case: dict[str, Any], field: str, expected: Any) -> None:
    (state,) = case["definition"]["States"].values()
    template = compile_jsonata_template(state[field], field=field)
    value = template.evaluate({"input": case["input"]}, {})
    if field in NUMERIC_FIELDS:
        # AWS accepted the value (the execution succeeded): a non-negative integer.
        assert isinstance(value, int)
        assert not isinstance(value, bool)
        assert value >= 0
    else:
        assert json.dumps(value, sort_keys=True) == json.dumps(expected, sort_keys=True)


def _first_state_failures() -> list[Any]:
    params = []
    for name, case in _load(""):
        definition = case.get("definition")
        if case.get("kind") != "execution" or not isinstance(definition, dict):
            continue
        for event in case["expected"].get("history") or []:
            details = event.get("evaluationFailedEventDetails")
            if not details or details.get("state") != definition.get("StartAt"):
                continue
            if "The JSONata expression" not in details.get("cause", ""):
                continue  # a field's own check (a Wait Timestamp's format), not the query layer
            state = definition["States"][details["state"]]
            if _field_value(state, details["location"]) is not None:
                params.append(pytest.param(case, details, id=name))
    return params


def _field_value(state: dict[str, Any], location: str) -> Any:
    value: Any = state
    for part in location.split("/"):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if is_jsonata_string(value) else None


@pytest.mark.parametrize(("case", "details"), _first_state_failures())
def test_first_state_evaluation_failures(case: dict[str, Any], details: dict[str, Any]) -> None:
    state = case["definition"]["States"][details["state"]]
    location = details["location"]
    expression = compile_jsonata(_field_value(state, location)[2:-2])
    states = {"input": case["input"]}
    try:
        value = expression.evaluate_field(states, {}, location=location)
    except QueryRuntimeError as err:
        error = err
    else:
        # AWS refuses an Items value that is not an array, objects included (the corpus).
        if location == "Items" and not isinstance(value, list):
            error = unexpected_result_type(expression, location, "array", value)
        else:
            pytest.fail(f"evaluated to {value!r}, AWS failed")
    assert error.error == details["error"]
    assert error.location == location
    assert error.detail == PREFIX.sub("", details["cause"])
