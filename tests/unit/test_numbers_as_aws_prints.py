"""Family 6 of issue 13: numbers as AWS prints them, in execution output and every history event.

AWS runs on the JVM and writes JSON with Jackson: integers as they are (any size), doubles with
``Double.toString`` — plain decimal for magnitudes in [1e-3, 1e7), ``d.dddE<n>`` outside it,
always with a digit after the point. Each row of the table names its source:

* JAVA: the ``Double.toString(double)`` contract (Java SE API documentation), which Jackson's
  ``JsonGenerator.writeNumber(double)`` uses.
* ISSUE: the forms issue 13 quotes from AWS (``8.031699E-5``, ``1.0E10``, ``0.1``).
* CORPUS: a recorded case's pattern (``tests/conformance/cases``):
  ``services/test_lambda_task__test_invoke_json_values_0.0_*`` (``0.0`` stays ``0.0``),
  ``outputdecl/test_output__test_base_output_any_non_dict_FLOAT_*`` (``0.1``),
  ``intrinsic_functions/test_array__test_array_unique`` (``1.1`` and integers side by side),
  ``assign/test_assign_reference_variables__test_reference_assign_BASE_*`` (``"4.3"``).
* UNSETTLED: no AWS source records it; the row follows the JAVA rule the recorded patterns imply.
"""

from __future__ import annotations

from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.core.history import to_json_text

NUMBER_TABLE: list[tuple[str, Any, str, str]] = [
    # (kind, Python value, AWS's text, source)
    ("integer", 0, "0", "CORPUS test_invoke_json_values_0_*"),
    ("integer", 42, "42", "JAVA (Jackson IntNode)"),
    ("negative integer", -7, "-7", "JAVA (Jackson IntNode)"),
    ("huge integer", 2**64, "18446744073709551616", "JAVA (Jackson BigIntegerNode)"),
    ("huge integer", 10**30, "1000000000000000000000000000000", "JAVA (BigIntegerNode)"),
    ("whole double", 0.0, "0.0", "CORPUS test_invoke_json_values_0.0_*"),
    ("whole double", 1.0, "1.0", "JAVA"),
    ("negative zero", -0.0, "-0.0", "JAVA"),
    ("fraction", 0.1, "0.1", "CORPUS test_base_output_any_non_dict_FLOAT / ISSUE"),
    ("fraction", 1.1, "1.1", "CORPUS test_array_unique"),
    ("negative fraction", -1.5, "-1.5", "CORPUS test_math_add (inputs)"),
    ("fraction at 1e-3", 0.001, "0.001", "JAVA (plain from 1e-3)"),
    ("fraction below 1e-3", 0.0005, "5.0E-4", "JAVA (scientific below 1e-3)"),
    ("fraction below 1e-3", 0.0001, "1.0E-4", "JAVA"),
    ("tiny fraction", 8.031699e-05, "8.031699E-5", "ISSUE"),
    ("tiny negative", -2.5e-10, "-2.5E-10", "JAVA"),
    ("below 1e7", 9999999.0, "9999999.0", "JAVA (plain below 1e7)"),
    ("at 1e7", 1e7, "1.0E7", "JAVA (scientific from 1e7)"),
    ("huge double", 1e10, "1.0E10", "ISSUE"),
    ("huge double", 12345678.9, "1.23456789E7", "JAVA"),
    ("huge double", 1e16, "1.0E16", "JAVA"),
    ("huge double", 1.7976931348623157e308, "1.7976931348623157E308", "JAVA (Double.MAX_VALUE)"),
    ("numeric string", "1e-05", '"1e-05"', "JAVA (a string is not a number)"),
    ("numeric string", "12345678.9", '"12345678.9"', "JAVA"),
    ("boolean", True, "true", "JAVA"),
    ("null", None, "null", "JAVA"),
    ("array", [1, 1.0, 1e-5], "[1,1.0,1.0E-5]", "JAVA; integers stay integers (ISSUE)"),
    ("object", {"a": 1e10, "b": "x"}, '{"a":1.0E10,"b":"x"}', "JAVA"),
]


@pytest.mark.parametrize(
    ("kind", "value", "text", "source"), NUMBER_TABLE, ids=[f"{r[0]}:{r[2]}" for r in NUMBER_TABLE]
)
def test_the_serialiser_writes_numbers_as_aws(
    kind: str, value: Any, text: str, source: str
) -> None:
    assert to_json_text(value) == text


@pytest.mark.parametrize(
    ("kind", "value", "text", "source"), NUMBER_TABLE, ids=[f"{r[0]}:{r[2]}" for r in NUMBER_TABLE]
)
def test_outputs_and_history_events_show_numbers_as_aws(
    kind: str, value: Any, text: str, source: str
) -> None:
    """A Pass state's Result is the state's output: the same text in PassStateExited, in
    ExecutionSucceeded and in the execution's output."""
    machine = StateMachine(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": value, "End": True}}}
    )
    result = machine.run({}, clock="virtual")
    assert result.status == "SUCCEEDED"
    assert result.output_text == text
    exited = next(e for e in result.history if e["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["output"] == text
    succeeded = result.history[-1]
    assert succeeded["executionSucceededEventDetails"]["output"] == text


def test_state_input_and_assigned_variables_show_numbers_as_aws() -> None:
    """The next state's input and the assignedVariables of an exit event are written the same
    way (source: JAVA; CORPUS assign/..._BASE_* records variables as their JSON text)."""
    machine = StateMachine(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": {"v": 1e-5}, "Assign": {"x": 1e10}, "Next": "B"},
                "B": {"Type": "Pass", "End": True},
            },
        }
    )
    result = machine.run({}, clock="virtual")
    exited = next(e for e in result.history if e["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"x": "1.0E10"}
    entered_b = [e for e in result.history if e["type"] == "PassStateEntered"][1]
    assert entered_b["stateEnteredEventDetails"]["input"] == '{"v":1.0E-5}'
