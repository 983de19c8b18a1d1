"""The ASL JSON Schema and the AWS wording of its errors (interpreter.definition.schema)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from interpreter.definition.schema import STATE_TYPES, load_schema, validator_for
from interpreter.definition.validation import validate_definition


def machine(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states, **top}


def errors(definition: Any) -> list[tuple[str, str, str | None]]:
    return [(d.code, d.message, d.location) for d in validate_definition(definition) if d.is_error]


NESTED = machine(
    {
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "INLINE"},
                                "StartAt": "Work",
                                "States": {
                                    "Work": {
                                        "Type": "Task",
                                        "Resource": "arn:aws:states:::lambda:invoke",
                                        "End": True,
                                    }
                                },
                            },
                            "End": True,
                        }
                    },
                }
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    }
)


def test_schema_ships_in_the_package_and_is_draft_2020_12() -> None:
    text = resources.files("interpreter.schemas").joinpath("asl.schema.json").read_text("utf-8")
    assert '"$schema": "https://json-schema.org/draft/2020-12/schema"' in text
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["StateHeader"]["properties"]["Type"]["enum"] == list(STATE_TYPES)


def test_whole_schema_accepts_a_nested_definition() -> None:
    # The file on its own (as an editor would use it) validates nested machines too.
    assert list(Draft202012Validator(load_schema()).iter_errors(NESTED)) == []


def test_whole_schema_reaches_states_inside_branches_and_processors() -> None:
    broken = machine(dict(NESTED["States"]))
    work = broken["States"]["Fan"]["Branches"][0]["States"]["Each"]["ItemProcessor"]["States"]
    work["Work"] = {"Type": "Task", "End": True}
    found = list(Draft202012Validator(load_schema()).iter_errors(broken))
    assert any(error.validator == "required" and "Resource" in error.message for error in found)


def test_validators_are_compiled_once() -> None:
    assert validator_for("TaskState") is validator_for("TaskState")


def test_required_field() -> None:
    assert errors(machine({"A": {"End": True}})) == [
        ("SCHEMA_VALIDATION_FAILED", "The field 'Type' is required but was missing", "/States/A"),
    ]


def test_unknown_state_type_lists_aws_types_in_aws_order() -> None:
    found = errors(machine({"A": {"Type": "Nope", "End": True}}))
    assert found[0] == (
        "SCHEMA_VALIDATION_FAILED",
        "The field 'Type' should have one of these values: "
        "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
        "/States/A/Type",
    )


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Pass", "End": True, "Retry": []}, "Retry"),
        ({"Type": "Pass", "End": True, "Catch": []}, "Catch"),
        ({"Type": "Pass", "End": True, "TimeoutSeconds": 3}, "TimeoutSeconds"),
        ({"Type": "Succeed", "Assign": {}}, "Assign"),
        ({"Type": "Fail", "InputPath": "$"}, "InputPath"),
        (
            {
                "Type": "Map",
                "End": True,
                "TimeoutSeconds": 3,
                "Iterator": {"StartAt": "x", "States": {"x": {"Type": "Succeed"}}},
            },
            "TimeoutSeconds",
        ),
        ({"Type": "Pass", "End": True, "Nxet": "A"}, "Nxet"),
    ],
)
def test_field_not_supported_by_the_state_type(state: dict[str, Any], field: str) -> None:
    assert (
        "SCHEMA_VALIDATION_FAILED",
        f"Field '{field}' is not supported",
        "/States/A",
    ) in errors(machine({"A": state}))


def test_top_level_fields() -> None:
    assert errors(machine({"A": {"Type": "Succeed"}}, Coment="typo")) == [
        ("SCHEMA_VALIDATION_FAILED", "Field 'Coment' is not supported", "/")
    ]
    assert errors({"States": {"A": {"Type": "Succeed"}}}) == [
        ("SCHEMA_VALIDATION_FAILED", "The field 'StartAt' is required but was missing", "/")
    ]
    assert errors({"Items": []}) == [
        ("SCHEMA_VALIDATION_FAILED", "The field 'StartAt' is required but was missing", "/"),
        ("SCHEMA_VALIDATION_FAILED", "The field 'States' is required but was missing", "/"),
        ("SCHEMA_VALIDATION_FAILED", "Field 'Items' is not supported", "/"),
    ]


def test_value_types_and_ranges_are_located_at_the_field() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "End": True,
        "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": "3", "BackoffRate": 0.5}],
    }
    assert errors(machine({"T": state})) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The value for the field 'MaxAttempts' must be a non-negative integer",
            "/States/T/Retry[0]/MaxAttempts",
        ),
        (
            "SCHEMA_VALIDATION_FAILED",
            "The value for the field 'BackoffRate' must be greater than or equal to 1",
            "/States/T/Retry[0]/BackoffRate",
        ),
    ]


def test_enumerated_values() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "End": True,
        "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}],
    }
    assert errors(machine({"T": state})) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
            "/States/T/Retry[0]/JitterStrategy",
        )
    ]


def test_empty_branches_are_refused_with_aws_wording() -> None:
    found = errors(machine({"P": {"Type": "Parallel", "Branches": [], "End": True}}))
    assert found == [("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", "/States/P/Branches")]


def test_credentials_need_a_role_arn() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Credentials": {"InvalidField": "x"},
        "End": True,
    }
    assert errors(machine({"S": state})) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The field 'RoleArn' is required but was missing",
            "/States/S/Credentials",
        )
    ]
    state["Credentials"] = {"RoleArn.$": "$.role"}
    assert errors(machine({"S": state})) == []


def test_a_state_that_is_not_an_object() -> None:
    assert errors(machine({"A": 5}))[0] == (
        "SCHEMA_VALIDATION_FAILED",
        "The value for the field 'A' must be an object",
        "/States/A",
    )


def test_number_fields_accept_jsonata_expressions_only_as_whole_strings() -> None:
    state = {"Type": "Wait", "Seconds": "soon", "End": True, "QueryLanguage": "JSONata"}
    assert errors(machine({"W": state})) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "The value for the field 'Seconds' must be a non-negative integer or a JSONata "
            "expression",
            "/States/W/Seconds",
        )
    ]
    state["Seconds"] = "{% 3 %}"
    assert errors(machine({"W": state})) == []


def test_nested_choice_rules_cannot_transition() -> None:
    choice = {
        "Type": "Choice",
        "Choices": [{"Not": {"Variable": "$.a", "IsPresent": True, "Next": "D"}, "Next": "D"}],
    }
    assert errors(machine({"C": choice, "D": {"Type": "Succeed"}})) == [
        ("SCHEMA_VALIDATION_FAILED", "Field 'Next' is not supported", "/States/C/Choices[0]/Not")
    ]


def test_top_level_choice_rules_need_next() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True}], "Default": "D"}
    assert (
        "SCHEMA_VALIDATION_FAILED",
        "The field 'Next' is required but was missing",
        "/States/C/Choices[0]",
    ) in errors(machine({"C": choice, "D": {"Type": "Succeed"}}))
