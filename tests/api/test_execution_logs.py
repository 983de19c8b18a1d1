"""Execution logs: the loggingConfiguration of a state machine does what it does on AWS.

The expected records are AWS's, recorded by LocalStack's AWS-validated test_logs suite (the
same source as tests/conformance/cases/logs, whose case files keep only the histories): for
three definitions, each level and both includeExecutionData settings, which events AWS logged
and with which details.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from interpreter.api.errors import StepFunctionsError
from interpreter.api.execution_log import CloudWatchLogsSink, StreamSink
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service

ROLE = "arn:aws:iam::111111111111:role/sfn"
GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:sfn-logs:*"
DEFINITIONS = {
    "pass_result": {
        "StartAt": "State_1",
        "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}},
    },
    "raise_failure": {
        "StartAt": "FailState",
        "States": {
            "FailState": {
                "Type": "Fail",
                "Error": "SomeFailure",
                "Cause": "This state machines raises a 'SomeFailure' failure.",
            }
        },
    },
    "wait_seconds_path": {
        "StartAt": "WaitState",
        "States": {
            "WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}
        },
    },
}
FAILURE = {"cause": "This state machines raises a 'SomeFailure' failure.", "error": "SomeFailure"}
WAIT_FAILURE = {
    "cause": "An error occurred while executing the state 'WaitState' (entered at the event id "
    "#2). The SecondsPath parameter does not reference an input value: $.input.waitSeconds",
    "error": "States.Runtime",
}
NO_DATA = {"truncated": False}
# (definition, level, includeExecutionData) -> [(id, type, previous id, details)], as AWS logged.
RECORDED: dict[tuple[str, str, bool], list[tuple[int, str, int, dict[str, Any]]]] = {
    ("pass_result", "ALL", False): [
        (1, "ExecutionStarted", 0, {"roleArn": ROLE}),
        (2, "PassStateEntered", 0, {"name": "State_1"}),
        (3, "PassStateExited", 2, {"name": "State_1"}),
        (4, "ExecutionSucceeded", 3, {}),
    ],
    ("pass_result", "ALL", True): [
        (1, "ExecutionStarted", 0, {"input": {}, "inputDetails": NO_DATA, "roleArn": ROLE}),
        (2, "PassStateEntered", 0, {"input": {}, "inputDetails": NO_DATA, "name": "State_1"}),
        (
            3,
            "PassStateExited",
            2,
            {"name": "State_1", "output": {"Arg1": "argument1"}, "outputDetails": NO_DATA},
        ),
        (4, "ExecutionSucceeded", 3, {"output": {"Arg1": "argument1"}, "outputDetails": NO_DATA}),
    ],
    ("raise_failure", "ALL", False): [
        (1, "ExecutionStarted", 0, {"roleArn": ROLE}),
        (2, "FailStateEntered", 0, {"name": "FailState"}),
        (3, "ExecutionFailed", 2, FAILURE),
    ],
    ("raise_failure", "ERROR", False): [
        (2, "FailStateEntered", 0, {"name": "FailState"}),
        (3, "ExecutionFailed", 2, FAILURE),
    ],
    ("raise_failure", "ERROR", True): [
        (2, "FailStateEntered", 0, {"input": {}, "inputDetails": NO_DATA, "name": "FailState"}),
        (3, "ExecutionFailed", 2, FAILURE),
    ],
    ("raise_failure", "FATAL", True): [(3, "ExecutionFailed", 2, FAILURE)],
    ("raise_failure", "OFF", True): [],
    ("pass_result", "ERROR", True): [],
    ("pass_result", "FATAL", False): [],
    ("wait_seconds_path", "ALL", False): [
        (1, "ExecutionStarted", 0, {"roleArn": ROLE}),
        (2, "WaitStateEntered", 0, {"name": "WaitState"}),
        (3, "ExecutionFailed", 2, WAIT_FAILURE),
    ],
    ("wait_seconds_path", "ERROR", True): [(3, "ExecutionFailed", 2, WAIT_FAILURE)],
    ("wait_seconds_path", "FATAL", False): [(3, "ExecutionFailed", 2, WAIT_FAILURE)],
}


def _logging(level: str, include: bool) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": include,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}],
    }


def _run(service: StepFunctionsService, name: str, definition: str, logging: Any) -> str:
    machine = service.call(
        "CreateStateMachine",
        {
            "name": name,
            "definition": json.dumps(DEFINITIONS[definition]),
            "roleArn": ROLE,
            "loggingConfiguration": logging,
        },
    )["stateMachineArn"]
    execution = service.call("StartExecution", {"stateMachineArn": machine, "input": "{}"})
    service.run_until_idle()
    return str(execution["executionArn"])


def _shape(record: dict[str, Any]) -> tuple[int, str, int, dict[str, Any]]:
    details = dict(record["details"])
    for key in ("input", "output"):
        if key in details:
            details[key] = json.loads(details[key])
    return int(record["id"]), record["type"], int(record["previous_event_id"]), details


@pytest.mark.parametrize(("definition", "level", "include"), list(RECORDED))
def test_logged_events_are_the_ones_aws_logged(definition: str, level: str, include: bool) -> None:
    service = local_service(clock="virtual", account="111111111111")
    out = io.StringIO()
    service.log_executions(StreamSink(out))
    execution = _run(service, "logged", definition, _logging(level, include))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [_shape(record) for record in records] == RECORDED[definition, level, include]
    for record in records:
        assert record["execution_arn"] == execution
        assert record["redrive_count"] == "0"
        assert record["event_timestamp"].isdigit()


def test_events_after_a_redrive_carry_its_redrive_count() -> None:
    service = local_service(clock="virtual", account="111111111111")
    out = io.StringIO()
    service.log_executions(StreamSink(out))
    execution = _run(service, "redriven", "raise_failure", _logging("ALL", False))
    service.call("RedriveExecution", {"executionArn": execution})
    service.run_until_idle()
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(record["type"], record["redrive_count"]) for record in records] == [
        ("ExecutionStarted", "0"),
        ("FailStateEntered", "0"),
        ("ExecutionFailed", "0"),
        ("ExecutionRedriven", "1"),
        ("FailStateEntered", "1"),
        ("ExecutionFailed", "1"),
    ]
    assert records[3]["details"] == {"redriveCount": 1}


def test_without_a_sink_or_a_level_nothing_is_logged() -> None:
    service = local_service(clock="virtual")
    out = io.StringIO()
    service.log_executions(StreamSink(out))
    _run(service, "quiet", "raise_failure", None)
    assert out.getvalue() == ""


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client(
            "logs",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_log_group(logGroupName="sfn-logs")
        yield client


def test_events_go_to_the_cloudwatch_logs_log_group(logs: Any) -> None:
    service = local_service(clock="virtual", account="111111111111")
    service.log_executions(CloudWatchLogsSink(logs))
    execution = _run(service, "to-cloudwatch", "raise_failure", _logging("ALL", False))
    (stream,) = logs.describe_log_streams(logGroupName="sfn-logs")["logStreams"]
    assert stream["logStreamName"].startswith("states/to-cloudwatch/")
    events = logs.get_log_events(logGroupName="sfn-logs", logStreamName=stream["logStreamName"])
    records = [json.loads(event["message"]) for event in events["events"]]
    assert [_shape(record) for record in records] == RECORDED["raise_failure", "ALL", False]
    assert {record["execution_arn"] for record in records} == {execution}


def test_a_log_group_that_does_not_exist_is_refused(logs: Any) -> None:
    service = local_service(clock="virtual", account="111111111111")
    service.log_executions(CloudWatchLogsSink(logs))
    missing = "arn:aws:logs:us-east-1:111111111111:log-group:nowhere:*"
    with pytest.raises(StepFunctionsError) as refused:
        service.call(
            "CreateStateMachine",
            {
                "name": "lost",
                "definition": json.dumps(DEFINITIONS["pass_result"]),
                "roleArn": ROLE,
                "loggingConfiguration": {
                    "level": "ALL",
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": missing}}],
                },
            },
        )
    assert (refused.value.code, refused.value.message) == (
        "InvalidLoggingConfiguration",
        "Invalid Logging Configuration: Log Destination not found.",
    )


def test_asl_serve_log_executions_chooses_the_sink() -> None:
    import argparse

    from interpreter.cli_serve import _log_executions

    service = local_service(clock="virtual")
    _log_executions(service, argparse.Namespace(aws=False, endpoint_url=None, log_executions=True))
    assert len(service.runtime.history_listeners) == 1
    quiet = local_service(clock="virtual")
    _log_executions(quiet, argparse.Namespace(aws=False, endpoint_url=None, log_executions=False))
    assert quiet.runtime.history_listeners == []
