"""Numbers JSON cannot carry (NaN, infinity, 1e999, integers beyond Java's) at every boundary:
each gets a clear error in AWS's terms, never a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from interpreter import InvalidExecutionInputError, StateMachine, validate_definition
from interpreter.cli import main
from interpreter.json_types import parse_json


def _pass_with(parameters: dict[str, Any]) -> StateMachine:
    return StateMachine(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    )


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "[1e999]", '{"a": -1e400}'])
def test_the_strict_parser_refuses_what_json_cannot_carry(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a JSON value|out of range"):
        parse_json(text)


def test_the_strict_parser_keeps_ordinary_numbers() -> None:
    assert parse_json("[1, -2.5, 1e308, 123456789012345678901234567890]") == [
        1,
        -2.5,
        1e308,
        123456789012345678901234567890,
    ]


@pytest.mark.parametrize("text", ["NaN", "1e999", "[-1e999]"])
def test_asl_run_refuses_such_input(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    definition = str(Path(__file__).resolve().parents[2] / "samples" / "map-fanout.asl.json")
    status = main(["run", definition, "--input", text])
    assert status == 2
    assert "the input is not JSON" in capsys.readouterr().err


@pytest.mark.parametrize("value", [math.inf, math.nan, {1, 2}])
def test_the_python_api_refuses_such_input(value: Any) -> None:
    machine = _pass_with({"x.$": "$"})
    with pytest.raises(InvalidExecutionInputError, match="Invalid State Machine Execution Input"):
        machine.run({"value": value})


def test_a_definition_with_an_out_of_range_number_is_invalid() -> None:
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1e999, "End": true}}}'
    (diagnostic,) = validate_definition(text)
    assert diagnostic.code == "INVALID_JSON_DESCRIPTION"
    assert "1e999" in diagnostic.message


@pytest.mark.parametrize("text", ["NaN", "1e999", "[Infinity]"])
def test_string_to_json_fails_on_such_text(text: str) -> None:
    result = _pass_with({"x.$": "States.StringToJson($.text)"}).run({"text": text})
    assert result.status == "FAILED"
    assert result.error == "States.IntrinsicFailure"
    assert "is not valid JSON" in (result.cause or "")


def test_jsonata_parse_fails_on_such_text() -> None:
    machine = StateMachine(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": "{% $parse($states.input) %}", "End": True}},
        }
    )
    result = machine.run("1e999")
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"


@pytest.mark.parametrize(
    "call",
    [
        "States.MathRandom($.low, $.high)",
        "States.ArrayRange(0, $.high, $.high)",
        "States.ArrayGetItem($.list, $.high)",
    ],
)
def test_integer_arguments_beyond_a_java_int_fail_the_call(call: str) -> None:
    result = _pass_with({"x.$": call}).run({"low": -1e308, "high": 1e308, "list": [1]})
    assert result.status == "FAILED"
    assert result.error == "States.IntrinsicFailure"
    assert "outside the 32-bit integer range" in (result.cause or "")


def test_a_seed_may_be_a_java_long() -> None:
    result = _pass_with({"x.$": "States.MathRandom(1, 10, $.seed)"}).run({"seed": 2**40})
    assert result.status == "SUCCEEDED"
    assert 1 <= result.output["x"] < 10


def test_a_lambda_result_with_nan_reaches_the_state_as_text() -> None:
    machine = StateMachine(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "End": True,
                }
            },
        }
    )
    # Python's runtime writes NaN into the payload; that text is not JSON.
    result = machine.run({}, lambdas={"f": lambda event, context: {"x": math.nan}})
    assert result.status == "SUCCEEDED"
    assert result.output == '{"x": NaN}'
    assert json.loads(result.output_text or "") == '{"x": NaN}'
