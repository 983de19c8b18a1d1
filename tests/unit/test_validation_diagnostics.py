"""Diagnostics and their AWS renderings (interpreter.definition.diagnostics)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from interpreter.definition.diagnostics import (
    ERROR,
    INVALID_LABEL_NAME,
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    NO_DOLLAR,
    SCHEMA_VALIDATION_FAILED,
    WARNING,
    Diagnostic,
    error,
    has_errors,
    invalid_definition_message,
    validation_response,
    warning,
)

MISSING_C = error(MISSING_TRANSITION_TARGET, "Missing 'Next' target: C", "/States/A/Next")
UNREACHABLE_B = error(MISSING_TRANSITION_TARGET, 'State "B" is not reachable.', "/States/B")
NO_END = error(MISSING_END_STATE, "Workflow has no terminal state")
DOLLAR = warning(NO_DOLLAR, "looks like a path", "/States/A/Parameters")


def test_diagnostic_is_frozen_and_slotted() -> None:
    assert not hasattr(MISSING_C, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        MISSING_C.code = "X"  # type: ignore[misc]


def test_to_json_has_aws_keys_and_omits_a_missing_location() -> None:
    assert MISSING_C.to_json() == {
        "severity": "ERROR",
        "code": "MISSING_TRANSITION_TARGET",
        "message": "Missing 'Next' target: C",
        "location": "/States/A/Next",
    }
    assert NO_END.to_json() == {
        "severity": "ERROR",
        "code": "MISSING_END_STATE",
        "message": "Workflow has no terminal state",
    }


def test_describe_prints_null_for_a_missing_location() -> None:
    assert NO_END.describe() == "MISSING_END_STATE: Workflow has no terminal state at null"
    assert (
        MISSING_C.describe()
        == "MISSING_TRANSITION_TARGET: Missing 'Next' target: C at /States/A/Next"
    )


def test_severity_helpers() -> None:
    assert MISSING_C.is_error
    assert MISSING_C.severity == ERROR
    assert not DOLLAR.is_error
    assert DOLLAR.severity == WARNING
    assert has_errors([DOLLAR, MISSING_C])
    assert not has_errors([DOLLAR])


def test_invalid_definition_message_joins_errors_as_aws_does() -> None:
    # The shape of a real CreateStateMachine answer with two errors.
    message = invalid_definition_message([MISSING_C, DOLLAR, UNREACHABLE_B], "{}")
    assert message == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: C "
        'at /States/A/Next, MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B\''
    )


def test_invalid_definition_message_for_one_error_and_for_none() -> None:
    assert invalid_definition_message([NO_END], "{}") == (
        "Invalid State Machine Definition: "
        "'MISSING_END_STATE: Workflow has no terminal state at null'"
    )
    assert invalid_definition_message([DOLLAR], "{}") == ""
    assert invalid_definition_message([], "{}") == ""


def test_label_errors_quote_the_submitted_definition() -> None:
    text = json.dumps({"StartAt": "M", "States": {}})
    label = error(INVALID_LABEL_NAME, "Label cannot be empty", "/States/M/Label")
    assert invalid_definition_message([MISSING_C, label], text) == (
        f"Error=ValueError Args=['Label cannot be empty'] in definition '{text}'."
    )


def test_label_error_reason_is_rendered_like_a_python_list() -> None:
    label = error(
        INVALID_LABEL_NAME, "Label contains invalid character: '\\x86'", "/States/M/Label"
    )
    assert invalid_definition_message([label], "D") == (
        """Error=ValueError Args=["Label contains invalid character: '\\\\x86'"] """
        "in definition 'D'."
    )


def test_validation_response_shape() -> None:
    assert validation_response([]) == {"result": "OK", "diagnostics": [], "truncated": False}
    response = validation_response([MISSING_C, DOLLAR])
    assert response["result"] == "FAIL"
    assert response["diagnostics"] == [MISSING_C.to_json()]
    assert response["truncated"] is False


def test_validation_response_severity_warning_returns_both() -> None:
    response = validation_response([DOLLAR, MISSING_C], severity=WARNING)
    assert response["diagnostics"] == [DOLLAR.to_json(), MISSING_C.to_json()]
    only_warning = validation_response([DOLLAR], severity=WARNING)
    assert only_warning["result"] == "OK"


def test_validation_response_truncates_like_max_results() -> None:
    many = [error(SCHEMA_VALIDATION_FAILED, f"e{i}", f"/States/S{i}") for i in range(150)]
    capped = validation_response(many, max_results=2)
    assert [d["message"] for d in capped["diagnostics"]] == ["e0", "e1"]  # type: ignore[index,union-attr]
    assert capped["truncated"] is True
    default = validation_response(many, max_results=0)
    assert len(default["diagnostics"]) == 100  # type: ignore[arg-type]
    everything = validation_response(many, max_results=None)
    assert len(everything["diagnostics"]) == 150  # type: ignore[arg-type]
    assert everything["truncated"] is False


def test_diagnostics_compare_by_value() -> None:
    assert Diagnostic("ERROR", "X", "m", "/a") == error("X", "m", "/a")
