"""The TestState API (interpreter.api.teststate): statuses, inspection data, mocks, requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interpreter.api import InvalidDefinition, StepFunctionsError, ValidationException
from interpreter.app import local_runner, run_test_state
from interpreter.definition.compiler import compile_state_machine

ROLE = "arn:aws:iam::111111111111:role/Tester"
NOW_MS = 1_700_000_000_000


def run(definition: Any, state_input: Any = None, **arguments: Any) -> dict[str, Any]:
    """TestState with the definition and input sent as JSON text, as the API receives them."""
    arguments.setdefault("now_ms", NOW_MS)
    text_input = None if state_input is None else json.dumps(state_input)
    return run_test_state(json.dumps(definition), text_input, **arguments)


def inspected(response: dict[str, Any]) -> dict[str, Any]:
    """inspectionData with its JSON-text members parsed."""
    data = dict(response["inspectionData"])
    for key, value in data.items():
        if isinstance(value, str):
            data[key] = json.loads(value)
    return data


def refused(exception: type[StepFunctionsError], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(exception) as raised:
        run(*args, **kwargs)
    return raised.value.message


# ------------------------------------------------------------------------------ data flow


def test_pass_state_shows_each_jsonpath_step_at_debug() -> None:
    definition = {
        "Type": "Pass",
        "InputPath": "$.data",
        "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
        "ResultPath": "$.data.out",
        "OutputPath": "$.data",
        "Next": "After",
    }
    response = run(definition, {"data": {"n": 4}, "other": 1}, inspection_level="DEBUG")
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "After"
    assert json.loads(response["output"]) == {"n": 4, "out": {"doubled": 8}}
    data = inspected(response)
    assert data["input"] == {"data": {"n": 4}, "other": 1}
    assert data["afterInputPath"] == {"n": 4}
    assert data["afterParameters"] == {"doubled": 8}
    assert data["afterResultSelector"] == {"doubled": 8}
    assert data["afterResultPath"] == {"data": {"n": 4, "out": {"doubled": 8}}, "other": 1}
    assert "result" not in data


def test_info_level_has_no_inspection_data_and_trace_equals_debug() -> None:
    definition = {"Type": "Pass", "End": True}
    assert "inspectionData" not in run(definition, {"a": 1})
    debug = run(definition, {"a": 1}, inspection_level="DEBUG")
    trace = run(definition, {"a": 1}, inspection_level="TRACE")
    assert debug["inspectionData"] == trace["inspectionData"]
    assert "nextState" not in debug


def test_pass_result_wins_over_parameters_and_input_path_is_not_evaluated() -> None:
    definition = {
        "Type": "Pass",
        "InputPath": "$.missing.field",
        "Parameters": {"p.$": "$.missing"},
        "Result": {"r": 1},
        "End": True,
    }
    response = run(definition, {"a": 1}, inspection_level="DEBUG")
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == {"r": 1}
    data = inspected(response)
    assert data["result"] == {"r": 1}
    assert "afterInputPath" not in data
    assert "afterParameters" not in data


def test_an_execution_also_gives_pass_result_precedence_over_parameters() -> None:
    machine = compile_state_machine(
        {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Parameters": {"p": 1}, "Result": {"r": 2}, "End": True}
            },
        }
    )
    result = local_runner().run(machine, {})
    assert result.output == {"r": 2}


def test_non_object_payload_texts_use_spaced_separators() -> None:
    response = run({"Type": "Pass", "End": True}, [1, [2, 3], {"k": "v"}])
    assert response["output"] == '[1, [2, 3], {"k": "v"}]'


def test_choice_reports_the_branch_taken_and_fails_when_none_matches() -> None:
    definition = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
        "Default": "Small",
    }
    assert run(definition, {"n": 11})["nextState"] == "Big"
    assert run(definition, {"n": 1})["nextState"] == "Small"
    no_default = {"Type": "Choice", "Choices": definition["Choices"]}
    response = run(no_default, {"n": 1})
    assert response["status"] == "FAILED"
    assert response["error"] == "States.NoChoiceMatched"
    assert "'StateName'" in response["cause"]


def test_fail_state_reports_its_error_and_cause() -> None:
    definition = {"Type": "Fail", "ErrorPath": "$.e", "Cause": "because"}
    response = run(definition, {"e": "Custom"}, inspection_level="DEBUG")
    assert (response["status"], response["error"], response["cause"]) == (
        "FAILED",
        "Custom",
        "because",
    )
    assert inspected(response)["afterInputPath"] == {"e": "Custom"}
    assert "output" not in response


def test_wait_state_does_not_wait() -> None:
    response = run({"Type": "Wait", "Seconds": 86400, "Next": "Later"}, {"x": 1})
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "Later"
    assert json.loads(response["output"]) == {"x": 1}


def test_a_runtime_failure_names_the_state_as_stateName() -> None:
    response = run({"Type": "Pass", "InputPath": "$.nope", "End": True}, {"a": 1})
    assert response["status"] == "FAILED"
    assert response["error"] == "States.Runtime"
    assert response["cause"].startswith("An error occurred while executing the state 'StateName'")


# ------------------------------------------------------------------------------ Task


LAMBDA_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "f", "Payload.$": "$"},
    "ResultSelector": {"body.$": "$.Payload"},
    "ResultPath": "$.out",
    "Next": "Done",
}


def test_mocked_task_result_flows_through_result_selector_and_result_path() -> None:
    mock = {"result": json.dumps({"Payload": {"v": 7}, "StatusCode": 200})}
    response = run(LAMBDA_TASK, {"in": 1}, mock=mock, inspection_level="DEBUG")
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "Done"
    assert json.loads(response["output"]) == {"in": 1, "out": {"body": {"v": 7}}}
    data = inspected(response)
    assert data["afterParameters"] == {"FunctionName": "f", "Payload": {"in": 1}}
    assert data["result"] == {"Payload": {"v": 7}, "StatusCode": 200}
    assert data["afterResultSelector"] == {"body": {"v": 7}}


def test_unmocked_task_runs_the_local_lambda_handler_and_needs_a_role() -> None:
    def handler(event: Any, context: Any) -> Any:
        return {"seen": event}

    definition = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": True}
    message = refused(ValidationException, definition, {"k": 1}, lambdas={"f": handler})
    assert message == "RoleArn must be specified when testing a Task state"
    response = run(definition, {"k": 1}, role_arn=ROLE, lambdas={"f": handler})
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == {"seen": {"k": 1}}


def test_unmocked_task_without_a_runner_fails_clearly() -> None:
    definition = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}
    response = run(definition, {}, role_arn=ROLE)
    assert response["status"] == "FAILED"
    assert "cannot be run locally" in response["cause"]


def test_jsonata_task_shows_arguments_and_result_only() -> None:
    definition = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.x * 2 %}"},
        "Output": "{% $states.result.Payload %}",
        "End": True,
    }
    mock = {"result": json.dumps({"Payload": 42})}
    response = run(definition, {"x": 3}, mock=mock, inspection_level="DEBUG")
    assert response["output"] == "42"
    data = inspected(response)
    assert set(data) == {"input", "afterArguments", "result"}
    assert data["afterArguments"] == {"FunctionName": "f", "Payload": 6}


RETRY_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "f"},
    "Retry": [
        {"ErrorEquals": ["Other"]},
        {"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 3},
    ],
    "Catch": [
        {"ErrorEquals": ["Nope"], "Next": "X"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handler"},
    ],
    "End": True,
}
BOOM = {"errorOutput": {"error": "Boom", "cause": "it broke"}}


def test_a_retriable_failure_reports_the_retrier_and_its_back_off() -> None:
    response = run(
        RETRY_TASK,
        {},
        mock=BOOM,
        state_configuration={"retrierRetryCount": 2},
        inspection_level="DEBUG",
    )
    assert response["status"] == "RETRIABLE"
    assert (response["error"], response["cause"]) == ("Boom", "it broke")
    # 3 * 1.5 ** 2 = 6.75 seconds, reported in whole seconds.
    assert response["inspectionData"]["errorDetails"] == {
        "retryIndex": 1,
        "retryBackoffIntervalSeconds": 6,
    }
    assert "output" not in response


def test_retries_exhausted_fall_through_to_the_catcher() -> None:
    response = run(
        RETRY_TASK,
        {"a": 1},
        mock=BOOM,
        state_configuration={"retrierRetryCount": 3},
        inspection_level="DEBUG",
    )
    assert response["status"] == "CAUGHT_ERROR"
    assert response["nextState"] == "Handler"
    assert json.loads(response["output"]) == {"a": 1, "err": {"Error": "Boom", "Cause": "it broke"}}
    assert response["inspectionData"]["errorDetails"] == {"retryIndex": 1, "catchIndex": 1}


def test_an_unhandled_failure_fails_and_states_runtime_is_never_handled() -> None:
    plain = {k: v for k, v in RETRY_TASK.items() if k not in ("Retry", "Catch")}
    response = run(plain, {}, mock=BOOM, inspection_level="DEBUG")
    assert response["status"] == "FAILED"
    assert "errorDetails" not in response["inspectionData"]
    runtime = {"errorOutput": {"error": "States.Runtime", "cause": "x"}}
    assert run(RETRY_TASK, {}, mock=runtime)["status"] == "FAILED"


# ------------------------------------------------------------------------------ Map, Parallel


MAP = {
    "Type": "Map",
    "ItemsPath": "$.items",
    "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "MaxConcurrency": 2,
    "End": True,
}


def test_map_with_a_mocked_result_shows_its_item_steps() -> None:
    response = run(MAP, {"items": ["a", "b"]}, mock={"result": "[1, 2]"}, inspection_level="DEBUG")
    assert response["status"] == "SUCCEEDED"
    assert response["output"] == "[1, 2]"
    data = inspected(response)
    assert data["afterItemsPath"] == ["a", "b"]
    assert data["afterItemSelector"] == [{"value": "a", "index": 0}, {"value": "b", "index": 1}]
    assert data["maxConcurrency"] == 2
    assert "toleratedFailureCount" not in data


@pytest.mark.parametrize(
    ("tolerance", "failed", "status"),
    [
        ({"ToleratedFailureCount": 1}, 1, "SUCCEEDED"),
        ({"ToleratedFailureCount": 1}, 2, "FAILED"),
        ({"ToleratedFailurePercentage": 50}, 2, "SUCCEEDED"),
        ({"ToleratedFailurePercentage": 50}, 3, "FAILED"),
        ({}, 4, "SUCCEEDED"),
    ],
)
def test_map_iteration_failures_against_the_tolerated_threshold(
    tolerance: dict[str, Any], failed: int, status: str
) -> None:
    definition = {**MAP, **tolerance}
    response = run(
        definition,
        {"items": [1, 2, 3, 4]},
        mock={"result": "[0, 0, 0, 0]"},
        state_configuration={"mapIterationFailureCount": failed},
    )
    assert response["status"] == status
    if status == "FAILED":
        assert response["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_failure_count_cannot_exceed_the_items() -> None:
    message = refused(
        ValidationException,
        MAP,
        {"items": [1]},
        mock={"result": "[1]"},
        state_configuration={"mapIterationFailureCount": 2},
    )
    assert message == (
        "Map iteration failure count must be less than or equal to the number of Map iterations"
    )


def test_map_item_reader_data_stands_in_for_the_reader() -> None:
    definition = {
        **{k: v for k, v in MAP.items() if k not in ("ItemsPath", "ItemSelector")},
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": "b", "Key": "k"},
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": True}},
        },
        "ToleratedFailureCount": 0,
    }
    configuration = {"mapItemReaderData": "[10, 20]", "mapIterationFailureCount": 1}
    response = run(definition, {}, mock={"result": "[1, 2]"}, state_configuration=configuration)
    assert response["error"] == "States.ExceedToleratedFailureThreshold"
    configuration["mapIterationFailureCount"] = 3
    with pytest.raises(ValidationException):
        run(definition, {}, mock={"result": "[1, 2]"}, state_configuration=configuration)


def test_parallel_needs_a_mocked_array() -> None:
    definition = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
        "ResultPath": "$.r",
        "End": True,
    }
    message = refused(InvalidDefinition, definition, {})
    assert message.startswith("TestState API does not support Map or Parallel states.")
    assert refused(ValidationException, definition, {}, mock={"result": "{}"}) == (
        "Mocked result must be an array."
    )
    response = run(definition, {"a": 1}, mock={"result": '["x"]'})
    assert json.loads(response["output"]) == {"a": 1, "r": ["x"]}


# ------------------------------------------------------------------------------ stateName


MACHINE = {
    "QueryLanguage": "JSONata",
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Output": "{% $states.input.v + 1 %}", "Next": "Loop"},
        "Loop": {
            "Type": "Map",
            "Items": "{% $states.input %}",
            "ItemProcessor": {
                "StartAt": "Inner",
                "States": {
                    "Inner": {"Type": "Pass", "Output": "{% $states.input * 10 %}", "End": True}
                },
            },
            "End": True,
        },
    },
}


def test_state_name_picks_a_state_with_its_machine_query_language() -> None:
    response = run(MACHINE, {"v": 1}, state_name="First")
    assert response["output"] == "2"
    assert response["nextState"] == "Loop"


def test_state_name_finds_states_inside_a_map_processor() -> None:
    assert run(MACHINE, 4, state_name="Inner")["output"] == "40"


def test_state_name_that_does_not_exist_is_refused() -> None:
    assert refused(ValidationException, MACHINE, {}, state_name="Nope") == (
        "State not found in definition"
    )


def test_an_invalid_state_is_reported_at_states_stateName() -> None:
    message = refused(InvalidDefinition, {"Type": "Pass", "Next": 3}, {})
    assert message.startswith("Invalid State Machine Definition: ")
    assert "/States/StateName/Next" in message


# ------------------------------------------------------------------------------ context, variables


def test_default_context_is_an_express_execution_of_the_state_named_stateName() -> None:
    definition = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    definition["ResultSelector"] = {"ctx.$": "$$"}
    response = run(
        definition,
        {"in": 1},
        mock={"result": "{}"},
        role_arn=ROLE,
        region="eu-west-1",
        account="222222222222",
    )
    context = json.loads(response["output"])["ctx"]
    execution = context["Execution"]
    machine_name = context["StateMachine"]["Name"]
    assert execution["Id"] == (
        f"arn:aws:states:eu-west-1:222222222222:express:{machine_name}:{execution['Name']}"
    )
    assert execution["Input"] == {"in": 1}
    assert execution["RoleArn"] == ROLE
    assert execution["StartTime"] == "2023-11-14T22:13:20.000Z"
    assert context["State"] == {
        "Name": "StateName",
        "EnteredTime": "2023-11-14T22:13:20.000Z",
        "RetryCount": 0,
    }


def test_a_given_context_replaces_the_default_whole() -> None:
    definition = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "ResultSelector": {"ctx.$": "$$"},
        "End": True,
    }
    given = {"Execution": {"Name": "mine"}}
    response = run(definition, {}, mock={"result": "{}"}, context=json.dumps(given))
    assert json.loads(response["output"]) == {"ctx": given}


def test_context_rules() -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    with_task = {"Task": {"Token": "t"}}
    message = refused(ValidationException, task, {}, mock={"result": "{}"}, context=with_task)
    assert message.startswith("Invalid Context object provided: Context object contains 'Task'")
    callback = {**task, "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"}
    callback["Parameters"] = {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}}
    response = run(callback, {}, mock={"result": "{}"}, context=with_task, inspection_level="DEBUG")
    assert inspected(response)["afterParameters"]["Payload"] == {"token": "t"}
    message = refused(ValidationException, task, {}, role_arn=ROLE, context={})
    assert message == "TestState does not support Context when a mock is not specified."


def test_variables_are_readable_and_reported_with_the_assigned_ones() -> None:
    definition = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Assign": {"total": "{% $base + $states.input.n %}"},
        "Output": "{% $base %}",
        "End": True,
    }
    response = run(definition, {"n": 2}, variables={"base": 40}, inspection_level="DEBUG")
    assert response["output"] == "40"
    assert inspected(response)["variables"] == {"base": 40, "total": 42}
    plain = run({"Type": "Pass", "End": True}, {}, variables={}, inspection_level="DEBUG")
    assert "variables" not in plain["inspectionData"]


# ------------------------------------------------------------------------------ mock validation


START_EXECUTION = {
    "Type": "Task",
    "Resource": "arn:aws:states:::states:startExecution",
    "Parameters": {"StateMachineArn": "arn"},
    "End": True,
}


@pytest.mark.parametrize(
    ("resource", "result", "mode", "message"),
    [
        (
            "arn:aws:states:::states:startExecution",
            {},
            "STRICT",
            "Required field 'ExecutionArn' is missing",
        ),
        (
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            {"executionArn": "a", "startDate": "d"},
            "STRICT",
            "Required field 'ExecutionArn' is missing",
        ),
        (
            "arn:aws:states:::states:startExecution",
            {"StartDate": 5},
            "PRESENT",
            "Field 'StartDate' must be a string",
        ),
        (
            "arn:aws:states:::lambda:invoke",
            {"StatusCode": "200"},
            "STRICT",
            "Field 'StatusCode' must be a number",
        ),
        (
            "arn:aws:states:::events:putEvents",
            {"Entries": {}},
            "STRICT",
            "Field 'Entries' must be an array",
        ),
        (
            "arn:aws:states:::events:putEvents",
            {"Entries": [{"EventId": "ok"}, {"EventId": 1}]},
            "STRICT",
            "Field 'EventId' must be a string",
        ),
        (
            "arn:aws:states:::aws-sdk:s3:getObject",
            {"StorageClass": "Stone"},
            "STRICT",
            "Field 'StorageClass' is not an expected value",
        ),
        (
            "arn:aws:states:::aws-sdk:kms:encrypt",
            {"CiphertextBlob": ""},
            "PRESENT",
            "Field 'CiphertextBlob' is smaller than the minimum length",
        ),
        (
            "arn:aws:states:::aws-sdk:lambda:getFunction",
            {"Configuration": {"MemorySize": 127}},
            "PRESENT",
            "Field 'MemorySize' is less than the minimum value",
        ),
        (
            "arn:aws:states:::aws-sdk:lambda:getFunction",
            {"Configuration": []},
            "PRESENT",
            "Field 'Configuration' must be an object",
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            {"Item": {"k": {"BOOL": "yes"}}},
            "PRESENT",
            "Field 'BOOL' must be a boolean",
        ),
    ],
)
def test_mock_results_are_checked_against_the_service_model(
    resource: str, result: Any, mode: str, message: str
) -> None:
    definition = {**START_EXECUTION, "Resource": resource}
    mock = {"result": json.dumps(result), "fieldValidationMode": mode}
    assert refused(ValidationException, definition, {}, mock=mock) == (
        "Mock result schema validation error: " + message
    )


@pytest.mark.parametrize(
    ("resource", "result", "mode"),
    [
        ("arn:aws:states:::states:startExecution", {}, "PRESENT"),
        ("arn:aws:states:::states:startExecution", {"StartDate": True}, "NONE"),
        ("arn:aws:states:::events:putEvents", {"unknown": [1]}, "STRICT"),
        ("arn:aws:states:::lambda:invoke", {"Payload": {"any": ["json"]}}, "STRICT"),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", {"StatusCode": "x"}, "STRICT"),
        ("arn:aws:lambda:us-east-1:1:function:f", "any value", "STRICT"),
        ("arn:aws:states:::apigateway:invoke", {"StatusCode": "x"}, "STRICT"),
    ],
)
def test_mock_results_the_model_accepts_or_does_not_check(
    resource: str, result: Any, mode: str
) -> None:
    definition = {**START_EXECUTION, "Resource": resource}
    if resource.startswith("arn:aws:lambda"):
        definition.pop("Parameters")
    mock = {"result": json.dumps(result), "fieldValidationMode": mode}
    response = run(definition, {}, mock=mock)
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == result


# ------------------------------------------------------------------------------ request rules


def test_request_rules() -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    both = {"result": "{}", "errorOutput": {"error": "E"}}
    assert refused(ValidationException, task, {}, mock=both) == (
        "A test mock should have only one of the following fields: [result, errorOutput]."
    )
    assert refused(ValidationException, task, {}, mock={"result": "{"}) == (
        "Mocked result must be valid JSON"
    )
    assert refused(ValidationException, task, {}, mock={"result": "{}"}, reveal_secrets=True) == (
        "TestState does not support RevealSecrets when a mock is specified."
    )
    assert refused(ValidationException, {"Type": "Succeed"}, {}, mock={"result": "{}"}) == (
        "State type 'Succeed' is not supported when a mock is specified"
    )
    assert refused(ValidationException, task, {}, inspection_level="LOUD").startswith(
        "1 validation error detected: Value 'LOUD' at 'inspectionLevel'"
    )
    negative = {"retrierRetryCount": -1}
    assert "greater than or equal to 0" in refused(
        ValidationException, task, {}, mock={"result": "{}"}, state_configuration=negative
    )
    callback = {**task, "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}
    assert refused(InvalidDefinition, callback, {}, role_arn=ROLE).startswith(
        "TestState API does not support Activity tasks"
    )


def test_errors_carry_aws_codes() -> None:
    error = ValidationException("bad")
    assert (error.code, error.message, str(error)) == ("ValidationException", "bad", "bad")
    assert InvalidDefinition("x").to_json() == {"__type": "InvalidDefinition", "message": "x"}
