"""Per-state rules (interpreter.definition.rules), through validate_definition."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.definition.rules import MAX_CHOICE_RULE_DEPTH, is_rfc3339, label_error
from interpreter.definition.validation import validate_definition

LAMBDA = "arn:aws:states:::lambda:invoke"


def machine(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states, **top}


def one(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return machine({"S": state}, **top)


def errors(definition: Any, **kwargs: Any) -> list[tuple[str, str, str | None]]:
    return [
        (d.code, d.message, d.location)
        for d in validate_definition(definition, **kwargs)
        if d.is_error
    ]


def warnings(definition: Any) -> list[tuple[str, str | None]]:
    return [(d.code, d.location) for d in validate_definition(definition) if not d.is_error]


def failed(message: str, location: str) -> tuple[str, str, str]:
    return ("SCHEMA_VALIDATION_FAILED", message, location)


# --------------------------------------------------------------------------- Next / End


def test_next_and_end_together() -> None:
    found = errors(
        machine({"S": {"Type": "Pass", "Next": "T", "End": True}, "T": {"Type": "Succeed"}})
    )
    assert found == [failed("The fields 'Next' and 'End' are mutually exclusive", "/States/S")]


@pytest.mark.parametrize("state", [{"Type": "Pass"}, {"Type": "Pass", "End": False}])
def test_neither_next_nor_end(state: dict[str, Any]) -> None:
    found = errors(machine({"S": state, "T": {"Type": "Succeed"}}))
    assert failed("The field 'Next' or 'End' is required but was missing", "/States/S") in found


def test_terminal_types_need_neither() -> None:
    assert errors(one({"Type": "Succeed"})) == []
    assert errors(one({"Type": "Fail", "Error": "E"})) == []


# --------------------------------------------------------------------------- query languages


def test_jsonata_field_in_a_jsonpath_state() -> None:
    assert errors(one({"Type": "Pass", "Output": {"a": 1}, "End": True})) == [
        failed(
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the "
            "'JSONata' QueryLanguage",
            "/States/S",
        )
    ]


@pytest.mark.parametrize(
    "field",
    ["InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result"],
)
def test_jsonpath_field_in_a_jsonata_state(field: str) -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "End": True, field: "$"}
    if field == "Result":
        state = {"Type": "Pass", "End": True, field: 1}
    assert errors(one(state, QueryLanguage="JSONata")) == [
        failed(
            f"The QueryLanguage is set to 'JSONata', but field '{field}' is only supported for "
            "the 'JSONPath' QueryLanguage",
            "/States/S",
        )
    ]


def test_state_level_query_language_overrides_the_machine() -> None:
    assert errors(one({"Type": "Pass", "QueryLanguage": "JSONata", "Output": 1, "End": True})) == []


def test_a_jsonpath_state_inside_a_jsonata_machine_is_refused() -> None:
    found = errors(
        one({"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}, QueryLanguage="JSONata")
    )
    assert found == [
        failed(
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            "/States/S",
        )
    ]


def test_map_children_inherit_the_machine_not_the_map() -> None:
    processor = {
        "StartAt": "Inner",
        "States": {"Inner": {"Type": "Pass", "Output": "{% 1 %}", "End": True}},
    }
    outer = {"Type": "Map", "QueryLanguage": "JSONata", "ItemProcessor": processor, "End": True}
    assert errors(one(outer)) == [
        failed(
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the "
            "'JSONata' QueryLanguage",
            "/States/S/ItemProcessor/States/Inner",
        )
    ]
    processor["States"]["Inner"]["QueryLanguage"] = "JSONata"
    assert errors(one(outer)) == []


def test_parallel_branches_inherit_the_machine_not_the_parallel() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": 1, "End": True}}}
    parallel = {"Type": "Parallel", "QueryLanguage": "JSONata", "Branches": [branch], "End": True}
    assert errors(one(parallel))[0][2] == "/States/S/Branches[0]/States/B"


def test_processors_and_branches_cannot_set_a_query_language() -> None:
    processor = {
        "QueryLanguage": "JSONata",
        "StartAt": "B",
        "States": {"B": {"Type": "Pass", "End": True}},
    }
    assert errors(one({"Type": "Map", "Iterator": processor, "End": True})) == [
        failed("Field 'QueryLanguage' is not supported", "/States/S/Iterator")
    ]


def test_catcher_fields_follow_the_state_language() -> None:
    state = {
        "Type": "Task",
        "Resource": LAMBDA,
        "End": True,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.e"}],
    }
    found = errors(machine({"S": state, "F": {"Type": "Fail"}}, QueryLanguage="JSONata"))
    assert found == [
        failed(
            "The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for "
            "the 'JSONPath' QueryLanguage",
            "/States/S/Catch[0]",
        )
    ]


def test_expressions_in_number_fields_need_jsonata() -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "{% 30 %}", "End": True}
    assert errors(one(state)) == [
        failed(
            "The value for the field 'TimeoutSeconds' must be a positive integer",
            "/States/S/TimeoutSeconds",
        )
    ]
    assert errors(one(state, QueryLanguage="JSONata")) == []


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("InputPath", "foo", "JSONPath"),
        ("OutputPath", "$.a[", "JSONPath"),
        ("ResultPath", "$$.Execution", "ReferencePath"),
        ("ResultPath", "$.a[*]", "ReferencePath"),
        ("ResultPath", "$.a..b", "ReferencePath"),
    ],
)
def test_invalid_paths(field: str, value: str, kind: str) -> None:
    state = {"Type": "Pass", "End": True, field: value}
    assert errors(one(state)) == [
        failed(f"The value for the field '{field}' must be a valid {kind}", f"/States/S/{field}")
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("InputPath", "$$.Execution.Input"),
        ("InputPath", "$answer"),
        ("InputPath", "$.users[?(@.status == 0)]"),
        ("OutputPath", None),
        ("ResultPath", None),
        ("ResultPath", "$.a.b[0]"),
        ("ResultPath", "$"),
    ],
)
def test_valid_paths(field: str, value: str | None) -> None:
    assert errors(one({"Type": "Pass", "End": True, field: value})) == []


def test_items_path_must_select_one_node() -> None:
    processor = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "ItemProcessor": processor, "End": True, "ItemsPath": "$items"}
    assert errors(one(state)) == []
    state["ItemsPath"] = "$.a[*]"
    assert errors(one(state)) == [
        failed(
            "The value for the field 'ItemsPath' must be a valid ReferencePath",
            "/States/S/ItemsPath",
        )
    ]


def test_fail_paths_accept_intrinsics() -> None:
    assert errors(one({"Type": "Fail", "ErrorPath": "States.Format('{}', $.e)"})) == []
    assert errors(one({"Type": "Fail", "CausePath": "States.Nope($.e)"})) == [
        failed(
            "The value for the field 'CausePath' must be a valid JSONPath or a valid intrinsic "
            "function call",
            "/States/S/CausePath",
        )
    ]


# --------------------------------------------------------------------------- payload templates

BAD_TEMPLATE = (
    "The value for the field '{}' must be a valid JSONPath or a valid intrinsic function call"
)


@pytest.mark.parametrize(
    "template",
    [
        {"parsed.$": "not a path"},
        {"outer": {"parsed.$": "$.a["}},
        {"list": [{"parsed.$": 5}]},
        # AWS's recorded refusal: \" is not an escape of intrinsic string literals.
        {"parsed.$": "States.Format('He said, \\\"Hello, {}!\\\"', 'x')"},
        {"parsed.$": 'States.StringToJson(\'{"text":"An \\"escaped\\" quote"}\')'},
    ],
)
def test_dollar_keys_need_a_path_or_an_intrinsic(template: dict[str, Any]) -> None:
    found = errors(one({"Type": "Pass", "Parameters": template, "End": True}))
    assert found == [failed(BAD_TEMPLATE.format("parsed.$"), "/States/S/Parameters")]


@pytest.mark.parametrize("field", ["Parameters", "ResultSelector", "Assign"])
def test_every_jsonpath_template_field_is_checked(field: str) -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "End": True, field: {"x.$": "nope"}}
    assert errors(one(state)) == [failed(BAD_TEMPLATE.format("x.$"), f"/States/S/{field}")]


def test_valid_templates() -> None:
    template = {
        "a.$": "$.a",
        "b.$": "$$.Map.Item.Value",
        "c.$": "$variable.field",
        "d.$": "States.Format('Hello {}', States.ArrayGetItem($.names, 0))",
        "e.$": "States.StringSplit('Hello\nWorld', '\n')",
        "f": {"g.$": "States.UUID()"},
    }
    assert errors(one({"Type": "Pass", "Parameters": template, "End": True})) == []


def test_no_dollar_warning() -> None:
    state = {"Type": "Pass", "Parameters": {"a": "$.x", "b": "plain"}, "End": True}
    assert errors(one(state)) == []
    assert warnings(one(state)) == [("NO_DOLLAR", "/States/S/Parameters")]


def test_pass_result_is_static_warning() -> None:
    state = {"Type": "Pass", "Result": {"a.$": "$.x"}, "End": True}
    assert errors(one(state)) == []
    assert warnings(one(state)) == [("PASS_RESULT_IS_STATIC", "/States/S/Result")]


def test_jsonata_states_use_no_dollar_keys_rule() -> None:
    state = {"Type": "Pass", "Output": {"a.$": "not checked"}, "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == []


# --------------------------------------------------------------------------- JSONata


def test_invalid_jsonata_is_reported_where_it_is() -> None:
    state = {"Type": "Pass", "Output": {"v": "{% a[1,2) %}"}, "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == [
        ("INVALID_JSONATA_EXPRESSION", 'Expected "]", got ","', "/States/S/Output/v")
    ]


@pytest.mark.parametrize(
    ("state", "location"),
    [
        ({"Type": "Pass", "Assign": {"x": "{% 1 + %}"}, "End": True}, "/States/S/Assign/x"),
        (
            {"Type": "Task", "Resource": LAMBDA, "Arguments": ["{% ( %}"], "End": True},
            "/States/S/Arguments[0]",
        ),
        (
            {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $x = %}", "Next": "T"}],
                "Default": "T",
            },
            "/States/S/Choices[0]/Condition",
        ),
        (
            {
                "Type": "Task",
                "Resource": LAMBDA,
                "End": True,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% ] %}", "Next": "T"}],
            },
            "/States/S/Catch[0]/Output",
        ),
        (
            {"Type": "Task", "Resource": LAMBDA, "End": True, "Arguments": {"Next": "{% ) %}"}},
            "/States/S/Arguments/Next",
        ),
    ],
)
def test_every_jsonata_field_is_parsed(state: dict[str, Any], location: str) -> None:
    found = errors(machine({"S": state, "T": {"Type": "Succeed"}}, QueryLanguage="JSONata"))
    assert [where for code, _, where in found if code == "INVALID_JSONATA_EXPRESSION"] == [location]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("phone.number", "Reference to 'phone' at the top level is not supported."),
        ("items[price > 1]", "Reference to 'items' at the top level is not supported."),
        ("$$", "Reference to '$$' is not supported."),
    ],
)
def test_jsonata_cannot_read_the_top_level_context(expression: str, message: str) -> None:
    state = {"Type": "Pass", "Output": {"v": "{% " + expression + " %}"}, "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", message, "/States/S/Output/v")
    ]


@pytest.mark.parametrize(
    "expression",
    ["$states.input.items[price > 1].name", "($x := 1; $x + 1)", "$sum($states.input.v)", "$myVar"],
)
def test_jsonata_reading_states_and_variables_is_fine(expression: str) -> None:
    state = {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == []


def test_strings_that_are_not_expressions_are_literals() -> None:
    state = {"Type": "Pass", "Output": {"a": "{% not closed", "b": " {% 1 %}"}, "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == []


# --------------------------------------------------------------------------- Retry / Catch


def test_states_all_must_be_alone() -> None:
    state = {
        "Type": "Task",
        "Resource": LAMBDA,
        "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL", "States.Timeout"]}],
    }
    assert errors(one(state)) == [
        failed("'States.ALL' must appear alone in 'ErrorEquals'", "/States/S/Retry[0]/ErrorEquals")
    ]


def test_states_all_must_be_last() -> None:
    state = {
        "Type": "Task",
        "Resource": LAMBDA,
        "End": True,
        "Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "F"},
            {"ErrorEquals": ["States.Timeout"], "Next": "F"},
        ],
    }
    assert errors(machine({"S": state, "F": {"Type": "Fail"}})) == [
        failed(
            "A catcher with 'States.ALL' in 'ErrorEquals' must be the last in 'Catch'",
            "/States/S/Catch[0]/ErrorEquals",
        )
    ]


# --------------------------------------------------------------------------- Task


def test_unknown_resource_is_refused_with_aws_wording() -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}
    assert errors(one(state)) == [
        failed(
            "The resource provided arn:aws:states:::dynamodb:query is not recognized. The value is "
            "not a valid resource ARN, or the resource is not available in this region.",
            "/States/S/Resource",
        )
    ]


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            "arn:aws:states:::states:startExecution.sync",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::sns:publish.waitForTaskToken",
            # AWS's text ends with a space before " at <location>".
            "Express state machine does not support '.waitForTaskToken' service integration ",
        ),
        (
            "arn:aws:states:us-east-1:111111111111:activity:work",
            "Express state machine does not support activities",
        ),
    ],
)
def test_express_restrictions(resource: str, message: str) -> None:
    state = {"Type": "Task", "Resource": resource, "End": True}
    assert errors(one(state), state_machine_type="EXPRESS") == [
        failed(message, "/States/S/Resource")
    ]
    assert errors(one(state), state_machine_type="STANDARD") == []


def test_timeout_alternatives_and_heartbeat() -> None:
    state = {
        "Type": "Task",
        "Resource": LAMBDA,
        "End": True,
        "TimeoutSeconds": 10,
        "TimeoutSecondsPath": "$.t",
        "HeartbeatSeconds": 10,
    }
    assert errors(one(state)) == [
        failed(
            "The fields 'TimeoutSeconds' and 'TimeoutSecondsPath' are mutually exclusive",
            "/States/S",
        ),
        failed(
            "The value for the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
            "/States/S/HeartbeatSeconds",
        ),
    ]


# --------------------------------------------------------------------------- Wait


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-13-05T21:29:29Z",
        "05-12-2016T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05 21:29:29Z",
        "2016-12-05T21:29:29",
        "2016-02-30T00:00:00Z",
        "{% '2016-03-14T01:59:00Z' %}",
    ],
)
def test_wait_timestamp_must_be_rfc3339(timestamp: str) -> None:
    state = {"Type": "Wait", "Timestamp": timestamp, "End": True}
    assert errors(one(state)) == [
        failed("String does not match RFC3339 timestamp", "/States/S/Timestamp")
    ]


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.123Z",
        "2016-03-14T01:59:00+02:00",
        "2016-12-31T23:59:60Z",
    ],
)
def test_valid_timestamps(timestamp: str) -> None:
    assert is_rfc3339(timestamp)
    assert errors(one({"Type": "Wait", "Timestamp": timestamp, "End": True})) == []


def test_jsonata_wait_may_compute_its_timestamp() -> None:
    state = {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}
    assert errors(one(state, QueryLanguage="JSONata")) == []


@pytest.mark.parametrize("fields", [{}, {"Seconds": 1, "SecondsPath": "$.s"}])
def test_wait_needs_exactly_one_duration(fields: dict[str, Any]) -> None:
    assert errors(one({"Type": "Wait", "End": True, **fields})) == [
        failed(
            "Exactly one of the fields 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' "
            "must be present",
            "/States/S",
        )
    ]


# --------------------------------------------------------------------------- Fail


def test_fail_alternatives_and_no_path_warning() -> None:
    assert errors(one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"})) == [
        failed("The fields 'Error' and 'ErrorPath' are mutually exclusive", "/States/S")
    ]
    assert warnings(one({"Type": "Fail", "Cause": "$.cause"})) == [("NO_PATH", "/States/S/Cause")]


# --------------------------------------------------------------------------- Map

PROCESSOR = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}


def test_map_needs_one_processor() -> None:
    assert errors(one({"Type": "Map", "End": True})) == [
        failed("The field 'ItemProcessor' is required but was missing", "/States/S")
    ]
    both = {"Type": "Map", "End": True, "ItemProcessor": PROCESSOR, "Iterator": PROCESSOR}
    assert failed(
        "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive", "/States/S"
    ) in errors(one(both))


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("", "Label cannot be empty"),
        ("a b", "Label contains invalid character: ' '"),
        ("a/b", "Label contains invalid character: '/'"),
        ("a\x86", "Label contains invalid character: '\\x86'"),
        ("x" * 41, "Label cannot exceed 40 characters"),
        ("x" * 40, None),
        ("Ok-label_1", None),
    ],
)
def test_map_labels(label: str, reason: str | None) -> None:
    assert label_error(label) == reason
    state = {"Type": "Map", "End": True, "ItemProcessor": PROCESSOR, "Label": label}
    expected = [] if reason is None else [("INVALID_LABEL_NAME", reason, "/States/S/Label")]
    assert errors(one(state)) == expected


def test_duplicate_labels() -> None:
    inner = {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": True}}}
    first = {"Type": "Map", "Label": "L", "ItemProcessor": PROCESSOR, "Next": "M2"}
    second = {"Type": "Map", "Label": "L", "ItemProcessor": inner, "End": True}
    assert errors(machine({"M1": first, "M2": second})) == [
        ("DUPLICATE_LABEL_NAME", "Duplicate Label name: L", "/States/M2/Label")
    ]


# --------------------------------------------------------------------------- Choice


def test_jsonpath_choice_rules_need_one_condition() -> None:
    choice = {
        "Type": "Choice",
        "Choices": [
            {"Next": "T"},
            {"Variable": "$.a", "IsPresent": True, "IsNull": False, "Next": "T"},
            {"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "T"},
        ],
        "Default": "T",
    }
    assert errors(machine({"C": choice, "T": {"Type": "Succeed"}})) == [
        failed(
            "A Choice rule must have exactly one of 'And', 'Or', 'Not', or 'Variable' with a "
            "comparison operator",
            "/States/C/Choices[0]",
        ),
        failed(
            "A Choice rule with 'Variable' must have exactly one comparison operator",
            "/States/C/Choices[1]",
        ),
        failed("String does not match RFC3339 timestamp", "/States/C/Choices[2]/TimestampEquals"),
    ]


def test_jsonata_choice_rules_need_a_condition() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "T"}]}
    found = errors(machine({"C": choice, "T": {"Type": "Succeed"}}, QueryLanguage="JSONata"))
    assert (
        failed("The field 'Condition' is required but was missing", "/States/C/Choices[0]") in found
    )
    assert (
        failed(
            "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for "
            "the 'JSONPath' QueryLanguage",
            "/States/C/Choices[0]",
        )
        in found
    )


def test_deeply_nested_choice_rules_are_refused() -> None:
    rule: dict[str, Any] = {"Variable": "$.a", "IsPresent": True}
    for _ in range(MAX_CHOICE_RULE_DEPTH + 1):
        rule = {"Not": rule}
    rule["Next"] = "T"
    choice = {"Type": "Choice", "Choices": [rule]}
    assert errors(machine({"C": choice, "T": {"Type": "Succeed"}})) == [
        ("TOO_DEEPLY_NESTED", "The Choice rules are too deeply nested", "/States/C/Choices")
    ]


def test_choice_rules_nested_within_the_limit_are_fine() -> None:
    rule: dict[str, Any] = {"Variable": "$.a", "IsPresent": True}
    for _ in range(MAX_CHOICE_RULE_DEPTH - 1):
        rule = {"And": [rule, {"Variable": "$.b", "IsNull": False}]}
    rule["Next"] = "T"
    choice = {"Type": "Choice", "Choices": [rule], "Default": "T"}
    assert errors(machine({"C": choice, "T": {"Type": "Succeed"}})) == []


def test_states_result_and_error_output_are_scoped_to_their_fields() -> None:
    from interpreter import validate_definition

    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.result %}"},
                "Output": "{% $states.result.Payload %}",
                "Assign": {"r": "{% $states.result %}"},
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": "{% $states.errorOutput %}",
                        "Assign": {"bad": "{% $states.result %}"},
                        "Next": "P",
                    }
                ],
                "Next": "P",
            },
            "P": {"Type": "Pass", "Output": "{% $states.errorOutput %}", "End": True},
        },
    }
    found = {(d.location, d.message) for d in validate_definition(definition)}
    assert found == {
        (
            "/States/T/Arguments/Payload",
            "The variable '$states.result' is not available in this field",
        ),
        (
            "/States/T/Catch[0]/Assign/bad",
            "The variable '$states.result' is not available in this field",
        ),
        ("/States/P/Output", "The variable '$states.errorOutput' is not available in this field"),
    }
