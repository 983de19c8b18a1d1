"""Family 4 of issue 13 (error names): a value read at run time that is unusable fails with
States.QueryEvaluationError in a JSONata state (an EvaluationFailed event names the field) and
with States.Runtime in a JSONPath state, field by field.

Sources: CORPUS scenarios/test_map_state_items_eval_jsonata_fail_* (Items, JSONata),
assign/test_assign_reference_variables__test_undefined_reference_* (Arguments, Output, Assign),
scenarios/test_wait_timestamp_jsonata_* (Timestamp), scenarios/test_invalid_jsonpath_* and
test_max_concurrency_path_* / test_map_state_tolerated_failure_*_path_* (JSONPath fields);
EVENTS.md (EvaluationFailed: error, cause, location, state). Rows marked UNSETTLED have no
recording for that field: they follow the recorded rule of the query language.
"""

from __future__ import annotations

from typing import Any

import pytest

from interpreter import StateMachine

PROCESSOR = {
    "ProcessorConfig": {"Mode": "INLINE"},
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "End": True}},
}
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:Echo"


def _machine(language: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": language, "StartAt": "S", "States": {"S": {"End": True, **state}}}


# (field, JSONata state, JSONPath state, source)
FIELDS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "Items",
        {"Type": "Map", "Items": "{% $states.input.v %}", "ItemProcessor": PROCESSOR},
        {"Type": "Map", "ItemsPath": "$.v", "ItemProcessor": PROCESSOR},
        "CORPUS test_map_state_items_eval_jsonata_fail_*; SNAPSHOT test_state_map_context_object",
    ),
    (
        "MaxConcurrency",
        {"Type": "Map", "MaxConcurrency": "{% $states.input.v %}", "ItemProcessor": PROCESSOR},
        {"Type": "Map", "MaxConcurrencyPath": "$.v", "ItemProcessor": PROCESSOR},
        "CORPUS test_max_concurrency_path_NoNumber; JSONata: UNSETTLED",
    ),
    (
        "ToleratedFailureCount",
        {
            "Type": "Map",
            "ToleratedFailureCount": "{% $states.input.v %}",
            "ItemProcessor": PROCESSOR,
        },
        {"Type": "Map", "ToleratedFailureCountPath": "$.v", "ItemProcessor": PROCESSOR},
        "CORPUS test_map_state_tolerated_failure_count_path_NoNumber; JSONata: UNSETTLED",
    ),
    (
        "ToleratedFailurePercentage",
        {
            "Type": "Map",
            "ToleratedFailurePercentage": "{% $states.input.v %}",
            "ItemProcessor": PROCESSOR,
        },
        {"Type": "Map", "ToleratedFailurePercentagePath": "$.v", "ItemProcessor": PROCESSOR},
        "CORPUS test_map_state_tolerated_failure_percentage_path_NoNumber; JSONata: UNSETTLED",
    ),
    (
        "Seconds",
        {"Type": "Wait", "Seconds": "{% $states.input.v %}"},
        {"Type": "Wait", "SecondsPath": "$.v"},
        "SNAPSHOT test_base_wait_seconds_path; JSONata: UNSETTLED",
    ),
    (
        "Timestamp",
        {"Type": "Wait", "Timestamp": "{% $states.input.v %}"},
        {"Type": "Wait", "TimestampPath": "$.v"},
        "CORPUS test_wait_timestamp_jsonata_*, test_wait_timestamp_path_*",
    ),
    (
        "TimeoutSeconds",
        {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "{% $states.input.v %}"},
        {"Type": "Task", "Resource": LAMBDA, "TimeoutSecondsPath": "$.v"},
        "CORPUS test_invalid_jsonpath_ST.INVALID_JSONPATH_IN_TIMEOUTSECONDSPATH; JSONata: "
        "UNSETTLED",
    ),
    (
        "HeartbeatSeconds",
        {
            "Type": "Task",
            "Resource": LAMBDA,
            "TimeoutSeconds": 100,
            "HeartbeatSeconds": "{% $states.input.v %}",
        },
        {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 100, "HeartbeatSecondsPath": "$.v"},
        "CORPUS test_invalid_jsonpath_ST.INVALID_JSONPATH_IN_HEARTBEATSECONDSPATH; JSONata: "
        "UNSETTLED",
    ),
    (
        "Arguments",
        {"Type": "Task", "Resource": LAMBDA, "Arguments": "{% $states.input.missing %}"},
        {"Type": "Task", "Resource": LAMBDA, "Parameters": {"a.$": "$.missing"}},
        "CORPUS test_undefined_reference_BASE_UNDEFINED_ARGUMENTS; "
        "test_invalid_jsonpath_INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH",
    ),
    (
        "Output",
        {"Type": "Pass", "Output": "{% $states.input.missing %}"},
        {"Type": "Pass", "OutputPath": "$.missing"},
        "CORPUS test_undefined_reference_BASE_UNDEFINED_OUTPUT; "
        "test_invalid_jsonpath_ST.INVALID_JSONPATH_IN_OUTPUTPATH",
    ),
    (
        "Assign",
        {"Type": "Pass", "Assign": {"x": "{% $states.input.missing %}"}},
        {"Type": "Pass", "Assign": {"x.$": "$.missing"}},
        "CORPUS test_undefined_reference_BASE_UNDEFINED_ASSIGN; JSONPath: the payload wording",
    ),
    (
        "Error",
        {"Type": "Fail", "Error": "{% $states.input.missing %}"},
        {"Type": "Fail", "ErrorPath": "$.missing"},
        "CORPUS test_invalid_jsonpath_INVALID_JSONPATH_IN_ERRORPATH; JSONata: UNSETTLED",
    ),
]


def _runs(language: str, state: dict[str, Any], value: Any) -> Any:
    if state["Type"] == "Fail":
        state = {k: v for k, v in state.items()}
        definition = {"QueryLanguage": language, "StartAt": "S", "States": {"S": state}}
    else:
        definition = _machine(language, state)
    document = {"v": value, "items": [1]}
    return StateMachine(definition).run(document, lambdas={"Echo": lambda e, c: e}, clock="virtual")


@pytest.mark.parametrize(
    ("field", "jsonata_state", "jsonpath_state", "source"), FIELDS, ids=[f[0] for f in FIELDS]
)
@pytest.mark.parametrize("value", [None, "NoNumber", {"a": 1}, "2016-13-45"], ids=repr)
def test_error_names_by_query_language(
    field: str,
    jsonata_state: dict[str, Any],
    jsonpath_state: dict[str, Any],
    source: str,
    value: Any,
) -> None:
    jsonata = _runs("JSONata", jsonata_state, value)
    assert (jsonata.status, jsonata.error) == ("FAILED", "States.QueryEvaluationError")
    failed = [e for e in jsonata.history if e["type"] == "EvaluationFailed"]
    assert len(failed) == 1
    details = failed[0]["evaluationFailedEventDetails"]
    assert details["error"] == "States.QueryEvaluationError"
    assert details["state"] == "S"
    assert details.get("location", field).split("/")[0] == field

    jsonpath = _runs("JSONPath", jsonpath_state, value)
    assert (jsonpath.status, jsonpath.error) == ("FAILED", "States.Runtime")
    assert not [e for e in jsonpath.history if e["type"] == "EvaluationFailed"]
