"""What validate_definition accepts as input: text or JSON, limits, nesting, speed."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from interpreter.definition.validation import (
    MAX_DEFINITION_LENGTH,
    MAX_NESTING_DEPTH,
    is_valid,
    validate_definition,
)

VALID = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}


def codes(definition: Any) -> list[str]:
    return [d.code for d in validate_definition(definition)]


def test_text_and_json_give_the_same_answer() -> None:
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}
    assert validate_definition(json.dumps(broken)) == validate_definition(broken)
    assert validate_definition(json.dumps(VALID)) == []
    assert is_valid(VALID)
    assert not is_valid(broken)


def test_not_json_reports_the_parse_position() -> None:
    [diagnostic] = validate_definition('{"StartAt": "A",\n  "States": {\n')
    assert diagnostic.code == "INVALID_JSON_DESCRIPTION"
    assert diagnostic.message.endswith("at line 3, column 1")
    assert diagnostic.location is None


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', "[-Infinity]"])
def test_non_json_constants_are_refused(text: str) -> None:
    assert codes(text) == ["INVALID_JSON_DESCRIPTION"]


@pytest.mark.parametrize("empty", [None, "", "   \n"])
def test_missing_definition(empty: str | None) -> None:
    assert codes(empty) == ["MISSING_DESCRIPTION"]


@pytest.mark.parametrize("value", [[], 5, "true", '"text"', True])
def test_a_definition_must_be_an_object(value: Any) -> None:
    [diagnostic] = validate_definition(value)
    assert (diagnostic.code, diagnostic.location) == ("SCHEMA_VALIDATION_FAILED", "/")


@pytest.mark.parametrize("value", [{"StartAt": {1, 2}}, {"StartAt": object()}, {"x": float("nan")}])
def test_python_values_that_are_not_json(value: Any) -> None:
    assert codes(value) == ["INVALID_JSON_DESCRIPTION"]


def test_tuples_and_integer_keys_are_read_as_json() -> None:
    definition = {"StartAt": "1", "States": {1: {"Type": "Pass", "End": True, "Result": (1, 2)}}}
    assert validate_definition(definition) == []


def _padded(length: int) -> str:
    """A valid definition exactly ``length`` characters long."""
    base = json.dumps({"Comment": "", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    return base.replace('"Comment": ""', '"Comment": "' + "x" * (length - len(base)) + '"')


def test_definition_length_limit() -> None:
    assert validate_definition(_padded(MAX_DEFINITION_LENGTH)) == []
    [too_large] = validate_definition(_padded(MAX_DEFINITION_LENGTH + 1))
    assert too_large.code == "DEFINITION_TOO_LARGE"
    assert too_large.message == (
        "1 validation error detected: Value at 'definition' failed to satisfy constraint: "
        "Member must have length less than or equal to 1048576"
    )


def test_huge_text_is_refused_without_parsing_it() -> None:
    started = time.perf_counter()
    assert codes("[" * 50_000_000) == ["DEFINITION_TOO_LARGE"]
    assert time.perf_counter() - started < 1.0


def _nested_parameters(depth: int) -> dict[str, Any]:
    payload: Any = 1
    for _ in range(depth):
        payload = {"a": payload}
    return {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": payload, "End": True}}}


def test_nesting_limit() -> None:
    # machine -> States -> A -> Parameters: 3 levels before the payload's own.
    assert validate_definition(_nested_parameters(MAX_NESTING_DEPTH - 4)) == []
    assert codes(_nested_parameters(MAX_NESTING_DEPTH)) == ["TOO_DEEPLY_NESTED"]


@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_deep_nesting_as_text_and_as_json(depth: int) -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": '
    text += '{"a": ' * depth + "1" + "}" * depth + "}}}"
    assert codes(text) == ["TOO_DEEPLY_NESTED"]
    assert codes(_nested_parameters(depth)) == ["TOO_DEEPLY_NESTED"]


def test_a_self_containing_object() -> None:
    looped: dict[str, Any] = {"StartAt": "A"}
    looped["States"] = {"A": looped}
    assert codes(looped) == ["TOO_DEEPLY_NESTED"]


def test_nested_parallel_states_within_the_limit() -> None:
    inner: dict[str, Any] = {"StartAt": "L", "States": {"L": {"Type": "Succeed"}}}
    for level in range(40):
        inner = {
            "StartAt": f"P{level}",
            "States": {f"P{level}": {"Type": "Parallel", "Branches": [inner], "End": True}},
        }
    assert validate_definition(inner) == []


def test_unknown_state_machine_type_is_treated_as_standard() -> None:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "End": True,
    }
    definition = {"StartAt": "T", "States": {"T": task}}
    assert validate_definition(definition, state_machine_type="SOMETHING") == []


def _large_definition(count: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for i in range(count):
        following = f"S{i + 1}"
        states[f"S{i}"] = [
            {
                "Type": "Pass",
                "Parameters": {"a.$": "$.x", "b": [1, {"c.$": "States.UUID()"}]},
                "ResultPath": "$.r",
                "Next": following,
            },
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": following}],
                "Next": following,
            },
            {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.x", "NumericEquals": 1, "Next": following},
                    {
                        "And": [
                            {"Variable": "$.y", "IsPresent": True},
                            {"Not": {"Variable": "$.z", "StringEquals": "a"}},
                        ],
                        "Next": following,
                    },
                ],
                "Default": following,
            },
            {"Type": "Wait", "Seconds": 1, "Next": following},
            {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": {"v": "{% $states.input.x %}"},
                "Next": following,
            },
        ][i % 5]
    states[f"S{count}"] = {"Type": "Succeed"}
    return {"StartAt": "S0", "States": states}


def test_a_thousand_states_validate_quickly() -> None:
    text = json.dumps(_large_definition(1000))
    validate_definition(text)  # compiles the schema validators and imports the query layer
    started = time.perf_counter()
    assert validate_definition(text) == []
    # Measured at ~0.16 s on the 2-core CI machine; the bound only catches a blow-up.
    assert time.perf_counter() - started < 1.5


def test_many_errors_are_all_reported() -> None:
    definition = _large_definition(50)
    for state in definition["States"].values():
        state["Bogus"] = True
    assert codes(definition).count("SCHEMA_VALIDATION_FAILED") == 51
