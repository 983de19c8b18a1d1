"""Malformed API requests are refused in AWS's terms before any action runs."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.api.errors import StepFunctionsError
from interpreter.app import local_service

ROLE = "arn:aws:iam::123456789012:role/r"
DEFINITION = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'


def _refusal(action: str, request: dict[str, Any]) -> StepFunctionsError:
    service = local_service(clock="virtual")
    with pytest.raises(StepFunctionsError) as refused:
        service.call(action, request)
    return refused.value


def test_missing_required_members_are_named() -> None:
    refusal = _refusal("CreateStateMachine", {"name": "m"})
    assert refusal.code == "ValidationException"
    assert refusal.message == (
        "2 validation errors detected: "
        "Value null at 'definition' failed to satisfy constraint: Member must not be null; "
        "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
    )


def test_a_member_the_action_needs_is_required_too() -> None:
    # The model makes neither member of ListExecutions required; without one there is no list.
    refusal = _refusal("ListExecutions", {})
    assert refusal.code == "ValidationException"
    assert "Value null at 'stateMachineArn'" in refusal.message


@pytest.mark.parametrize(
    ("action", "request_body"),
    [
        ("CreateStateMachine", {"name": 5, "definition": DEFINITION, "roleArn": ROLE}),
        ("CreateStateMachine", {"name": "m", "definition": {"StartAt": "P"}, "roleArn": ROLE}),
        ("StartExecution", {"stateMachineArn": "arn", "input": {"a": 1}}),
        ("ListExecutions", {"stateMachineArn": "arn", "maxResults": "ten"}),
        (
            "CreateStateMachine",
            {"name": "m", "definition": DEFINITION, "roleArn": ROLE, "publish": 1},
        ),
    ],
)
def test_a_member_of_the_wrong_type_cannot_be_deserialised(
    action: str, request_body: dict[str, Any]
) -> None:
    refusal = _refusal(action, request_body)
    assert refusal.code == "SerializationException"


def test_a_value_outside_its_enumeration() -> None:
    refusal = _refusal(
        "CreateStateMachine",
        {"name": "m", "definition": DEFINITION, "roleArn": ROLE, "type": "FAST"},
    )
    assert refusal.code == "ValidationException"
    assert refusal.message == (
        "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [STANDARD, EXPRESS]"
    )


def test_a_well_formed_request_still_runs() -> None:
    service = local_service(clock="virtual")
    created = service.call(
        "CreateStateMachine", {"name": "m", "definition": DEFINITION, "roleArn": ROLE}
    )
    started = service.call(
        "StartExecution", {"stateMachineArn": created["stateMachineArn"], "input": "{}"}
    )
    assert started["executionArn"].startswith("arn:aws:states:")
