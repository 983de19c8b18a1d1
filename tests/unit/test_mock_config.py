"""Step Functions Local's mock configuration file, through the Python API and ``asl run``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.adapters.mock_config import MockConfig, MockConfigError
from interpreter.cli import main

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Check"

ORDER_FLOW = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {"FunctionName": "Check", "Payload.$": "$"},
            "ResultSelector": {"verdict.$": "$.Payload.verdict"},
            "Retry": [
                {
                    "ErrorEquals": ["Lambda.TooManyRequestsException"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                }
            ],
            "Next": "Notify",
        },
        "Notify": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "https://sqs.example/q", "MessageBody.$": "$.verdict"},
            "ResultPath": "$.sent",
            "End": True,
        },
    },
}

CONFIG = {
    "StateMachines": {
        "Orders": {
            "TestCases": {
                "Happy": {"Check": "Approves", "Notify": "Sent"},
                "Throttled": {"Check": "ThrottledTwiceThenApproves", "Notify": "Sent"},
                "Exhausted": {"Check": "ThrottledOnce", "Notify": "Sent"},
                "Hybrid": {"Check": "Approves"},
            }
        }
    },
    "MockedResponses": {
        "Approves": {"0": {"Return": {"StatusCode": 200, "Payload": {"verdict": "ok"}}}},
        "ThrottledTwiceThenApproves": {
            "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"verdict": "late"}}},
        },
        "ThrottledOnce": {
            "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}}
        },
        "Sent": {"0": {"Return": {"MessageId": "m-1", "MD5OfMessageBody": "x"}}},
    },
}


def _orders() -> StateMachine:
    return StateMachine(ORDER_FLOW, name="Orders")


def test_a_test_case_mocks_the_tasks_it_names() -> None:
    result = _orders().run({"id": 1}, mock_config=CONFIG, test_case="Happy")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"verdict": "ok", "sent": {"MessageId": "m-1", "MD5OfMessageBody": "x"}}
    types = [event["type"] for event in result.history]
    assert types == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = result.history[2]["taskScheduledEventDetails"]
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "Check", "Payload": {"id": 1}}


def test_retries_take_the_next_responses() -> None:
    result = _orders().run({}, mock_config=CONFIG, test_case="Throttled", clock="virtual")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["verdict"] == "late"
    failures = [e for e in result.history if e["type"] == "TaskFailed"]
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == [
        "Lambda.TooManyRequestsException"
    ] * 2


def test_an_invocation_without_a_response_fails_the_execution() -> None:
    result = _orders().run({}, mock_config=CONFIG, test_case="Exhausted", clock="virtual")
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert "no response for invocation 1 of the state 'Check'" in (result.cause or "")


def test_states_the_test_case_does_not_name_call_their_service() -> None:
    result = _orders().run({}, mock_config=CONFIG, test_case="Hybrid")
    # No SQS here: the unmocked Notify state reaches for the real service and cannot.
    assert result.status == "FAILED"
    assert result.history[-2]["type"] == "TaskFailed"
    assert result.history[-2]["taskFailedEventDetails"]["resource"] == "sendMessage"


def test_map_iterations_share_the_state_s_count() -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "Check",
                    "States": {"Check": {"Type": "Task", "Resource": FUNCTION_ARN, "End": True}},
                },
                "End": True,
            }
        },
    }
    config = {
        "StateMachines": {"M": {"TestCases": {"T": {"Check": "Numbers"}}}},
        "MockedResponses": {
            "Numbers": {
                "0": {"Return": {"StatusCode": 200, "Payload": "first"}},
                "1-2": {"Return": {"StatusCode": 200, "Payload": '{"n": 2}'}},
            }
        },
    }
    result = StateMachine(definition, name="M").run(
        ["a", "b", "c"], mock_config=config, test_case="T"
    )
    assert result.status == "SUCCEEDED", result.cause
    # A function ARN's result is the Payload (JSON text is parsed as the Invoke API's is).
    assert result.output == ["first", {"n": 2}, {"n": 2}]
    assert "LambdaFunctionSucceeded" in [e["type"] for e in result.history]


def test_a_callback_task_gets_its_answer_at_once() -> None:
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    config = {
        "StateMachines": {"Approval": {"TestCases": {"Yes": {"Ask": "Approved"}}}},
        "MockedResponses": {"Approved": {"0": {"Return": {"approved": True}}}},
    }
    result = StateMachine(definition, name="Approval").run({}, mock_config=config, test_case="Yes")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"approved": True}
    types = [event["type"] for event in result.history]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


def test_asl_run_reads_a_mock_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "MockConfigFile.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    definition = tmp_path / "Orders.asl.json"
    definition.write_text(json.dumps(ORDER_FLOW), encoding="utf-8")
    common = ["run", str(definition), "--mock-config", str(config), "--clock", "virtual"]
    assert main([*common, "--test-case", "Throttled"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "late"
    assert main([*common, "--test-case", "Nope"]) == 2
    assert "no test case 'Nope' for the state machine 'Orders'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ([], "must be a JSON object"),
        ({"StateMachines": {"M": {}}}, "StateMachines.M.TestCases must be an object"),
        (
            {"StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}}},
            "names the mocked response 'Missing'",
        ),
        ({"MockedResponses": {"R": {"zero": {"Return": 1}}}}, "not an invocation number"),
        ({"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}, "exactly one of"),
        ({"MockedResponses": {"R": {"0": {"Throw": {"Error": "E"}}}}}, "an Error and a Cause"),
        ({"MockedResponses": {"R": {"0-1": {"Return": 1}, "1": {"Return": 2}}}}, "two responses"),
    ],
)
def test_a_malformed_configuration_is_refused_with_where(document: Any, complaint: str) -> None:
    with pytest.raises(MockConfigError, match=complaint):
        MockConfig.load(document)
