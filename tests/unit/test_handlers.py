"""The serverless deployment's Lambda handlers, on moto's DynamoDB and SQS."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from interpreter.adapters.dynamodb_store import table_definition
from interpreter.cloud.functions import sqs_event

ROLE = "arn:aws:iam::123456789012:role/r"


class _Context:
    """The parts of Lambda's context object the handlers use."""

    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "request"

    def __init__(self, remaining_ms: int = 900_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("ACCOUNT_ID", "123456789012")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(**table_definition("asl-table"))
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="asl-work")["QueueUrl"]
        monkeypatch.setenv("TABLE_NAME", "asl-table")
        monkeypatch.setenv("QUEUE_URL", queue_url)
        from handlers import deployment as module

        module.service.cache_clear()
        yield {"sqs": sqs, "queue_url": queue_url, "dynamodb": dynamodb}
        module.service.cache_clear()


QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:asl-work"


def _record(message_id: str, body: str) -> dict[str, Any]:
    """One record of an SQS event, as the event-source mapping hands it over."""
    message = {"MessageId": message_id, "ReceiptHandle": message_id, "Body": body}
    message["Attributes"] = {"ApproximateReceiveCount": "1"}
    return dict(sqs_event([message], QUEUE_ARN, "us-east-1")["Records"][0])


def _call(action: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from handlers.api import handler

    event = {
        "headers": {"X-Amz-Target": f"AWSStepFunctions.{action}"},
        "body": json.dumps(request),
        "isBase64Encoded": False,
    }
    response = handler(event, _Context())
    return response["statusCode"], json.loads(response["body"])


def _drain(deployment: dict[str, Any], rounds: int = 50) -> int:
    """Feed the work queue to the worker until it is empty; returns the messages handled."""
    from handlers.worker import handler

    handled = 0
    for _ in range(rounds):
        received = (
            deployment["sqs"]
            .receive_message(
                QueueUrl=deployment["queue_url"], MaxNumberOfMessages=10, AttributeNames=["All"]
            )
            .get("Messages", [])
        )
        if not received:
            return handled
        answer = handler(sqs_event(received, QUEUE_ARN, "us-east-1"), _Context())
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        assert not failed
        for message in received:
            deployment["sqs"].delete_message(
                QueueUrl=deployment["queue_url"], ReceiptHandle=message["ReceiptHandle"]
            )
        handled += len(received)
    raise AssertionError("the work queue never emptied")


def test_an_execution_runs_through_the_api_the_queue_and_the_worker(
    deployment: dict[str, Any],
) -> None:
    deployment["dynamodb"].create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    definition = {
        "StartAt": "Save",
        "States": {
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}}},
                "ResultPath": None,
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "Result": "saved", "ResultPath": "$.state", "End": True},
        },
    }
    status, created = _call(
        "CreateStateMachine",
        {"name": "orders", "definition": json.dumps(definition), "roleArn": ROLE},
    )
    assert status == 200
    status, started = _call(
        "StartExecution", {"stateMachineArn": created["stateMachineArn"], "input": '{"id": "o-1"}'}
    )
    assert status == 200
    assert _drain(deployment) >= 2  # a task, then decisions
    status, described = _call("DescribeExecution", {"executionArn": started["executionArn"]})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"id": "o-1", "state": "saved"}
    item = deployment["dynamodb"].get_item(TableName="orders", Key={"id": {"S": "o-1"}})
    assert item["Item"]["id"] == {"S": "o-1"}
    _, history = _call("GetExecutionHistory", {"executionArn": started["executionArn"]})
    assert [event["type"] for event in history["events"]][-1] == "ExecutionSucceeded"


def test_a_failed_execution_is_redriven_on_the_serverless_deployment(
    deployment: dict[str, Any],
) -> None:
    definition = {
        "StartAt": "Stamp",
        "States": {
            "Stamp": {"Type": "Pass", "Result": "stamped", "ResultPath": "$.stamp", "Next": "Save"},
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "later", "Item": {"id": {"S.$": "$.id"}}},
                "ResultPath": None,
                "End": True,
            },
        },
    }
    _, created = _call(
        "CreateStateMachine",
        {"name": "later", "definition": json.dumps(definition), "roleArn": ROLE},
    )
    _, started = _call(
        "StartExecution", {"stateMachineArn": created["stateMachineArn"], "input": '{"id": "x"}'}
    )
    arn = started["executionArn"]
    _drain(deployment)
    _, failed = _call("DescribeExecution", {"executionArn": arn})
    assert (failed["status"], failed["redriveStatus"]) == ("FAILED", "REDRIVABLE")
    # The table the Task writes to did not exist; once it does, the redrive saves the item.
    deployment["dynamodb"].create_table(
        TableName="later",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    status, answer = _call("RedriveExecution", {"executionArn": arn, "clientToken": "t"})
    assert status == 200
    assert "redriveDate" in answer
    _drain(deployment)
    _, described = _call("DescribeExecution", {"executionArn": arn})
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    item = deployment["dynamodb"].get_item(TableName="later", Key={"id": {"S": "x"}})
    assert item["Item"]["id"] == {"S": "x"}
    _, history = _call("GetExecutionHistory", {"executionArn": arn})
    types = [event["type"] for event in history["events"]]
    assert types.count("PassStateEntered") == 1
    assert types[types.index("ExecutionFailed") + 1 :][:2] == [
        "ExecutionRedriven",
        "TaskStateEntered",
    ]


def test_api_errors_come_back_in_the_protocol(deployment: dict[str, Any]) -> None:
    status, refused = _call(
        "DescribeExecution", {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:x"}
    )
    assert status == 400
    assert refused["__type"] == "ExecutionDoesNotExist"


def test_a_bad_message_goes_back_and_the_rest_of_the_batch_succeeds(
    deployment: dict[str, Any],
) -> None:
    from handlers.worker import handler

    records = [
        _record("bad", "not json"),
        _record("fine", json.dumps({"kind": "decide", "arn": "arn:unknown"})),
    ]
    answer = handler({"Records": records}, _Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_near_its_time_limit_the_worker_hands_messages_back(deployment: dict[str, Any]) -> None:
    from handlers.worker import handler

    records = [_record(str(n), "{}") for n in range(3)]
    answer = handler({"Records": records}, _Context(remaining_ms=5_000))
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["0", "1", "2"]


def test_the_sweep_resends_overdue_decisions(deployment: dict[str, Any]) -> None:
    from handlers.sweep import handler

    definition = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    _, created = _call(
        "CreateStateMachine",
        {"name": "nap", "definition": json.dumps(definition), "roleArn": ROLE},
    )
    _call("StartExecution", {"stateMachineArn": created["stateMachineArn"]})
    # The decision message is lost (purged): only the sweep can wake the execution now.
    deployment["sqs"].purge_queue(QueueUrl=deployment["queue_url"])
    # A function with little time left sweeps once (it sweeps every SWEEP_INTERVAL_SECONDS
    # until its time is nearly up).
    assert handler({}, _Context(remaining_ms=5_000)) == {"resent": 0}  # not due yet
    time.sleep(1.05)
    assert handler({}, _Context(remaining_ms=5_000)) == {"resent": 1}
    _drain(deployment)
    _, listed = _call("ListExecutions", {"stateMachineArn": created["stateMachineArn"]})
    assert [entry["status"] for entry in listed["executions"]] == ["SUCCEEDED"]


def test_activity_workers_take_tasks_through_the_api_function(
    deployment: dict[str, Any],
) -> None:
    # The worker function schedules the task in the table; GetActivityTask on the API function
    # (another process on AWS) hands it out; SendTaskSuccess completes it.
    _, activity = _call("CreateActivity", {"name": "review"})
    definition = {
        "StartAt": "Review",
        "States": {"Review": {"Type": "Task", "Resource": activity["activityArn"], "End": True}},
    }
    _, created = _call(
        "CreateStateMachine",
        {"name": "reviews", "definition": json.dumps(definition), "roleArn": ROLE},
    )
    _, started = _call(
        "StartExecution", {"stateMachineArn": created["stateMachineArn"], "input": '{"doc": 7}'}
    )
    _drain(deployment)
    status, task = _call(
        "GetActivityTask", {"activityArn": activity["activityArn"], "workerName": "w1"}
    )
    assert status == 200
    assert json.loads(task["input"]) == {"doc": 7}
    _call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": '{"ok": true}'})
    _drain(deployment)
    _, described = _call("DescribeExecution", {"executionArn": started["executionArn"]})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"ok": True}
    _, history = _call("GetExecutionHistory", {"executionArn": started["executionArn"]})
    types = [event["type"] for event in history["events"]]
    assert types[types.index("ActivityScheduled") : types.index("ActivitySucceeded") + 1] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
    ]


def test_the_serverless_worker_passes_sqs_s_receive_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, every delivery counted as the first: a failing decision or task went back to
    the queue until SQS dead-lettered it, and the execution stayed RUNNING."""
    from handlers import worker
    from interpreter.runtime.durable import RuntimeCounters

    attempts: list[int] = []

    class Runtime:
        counters = RuntimeCounters()

        def handle(self, message: Any, attempt: int = 1) -> None:
            attempts.append(attempt)

    monkeypatch.setattr(worker, "runtime", Runtime)
    body = json.dumps({"kind": "decide", "arn": "arn:aws:states:us-east-1:1:execution:m:e"})
    records = [
        {"messageId": "a", "body": body, "attributes": {"ApproximateReceiveCount": "3"}},
        {"messageId": "b", "body": body, "attributes": {"ApproximateReceiveCount": "1"}},
    ]
    assert worker.handler({"Records": records}, _Context()) == {"batchItemFailures": []}
    assert attempts == [3, 1]


def test_a_message_that_fails_comes_back_after_a_short_doubling_wait(
    deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not after the queue's 90-minute visibility timeout: a store out of reach for a moment
    # costs seconds.
    from botocore.exceptions import EndpointConnectionError

    import handlers.worker as worker

    changes: list[dict[str, Any]] = []

    class Queue:
        def change_message_visibility(self, **arguments: Any) -> None:
            changes.append(arguments)

    def down(message: Any, attempt: int = 1) -> None:
        raise EndpointConnectionError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(worker, "queue_client", Queue)
    monkeypatch.setattr(worker.runtime(), "handle", down)
    body = json.dumps({"kind": "decide", "arn": "arn:aws:states:us-east-1:1:execution:m:e"})
    waits = []
    for attempt in (1, 2, 3, 10):
        record = _record("m", body)
        record["attributes"]["ApproximateReceiveCount"] = str(attempt)
        answer = worker.handler({"Records": [record]}, _Context())
        assert answer == {"batchItemFailures": [{"itemIdentifier": "m"}]}
        waits.append(changes[-1]["VisibilityTimeout"])
        assert changes[-1]["ReceiptHandle"] == "m"
    assert waits == [2, 4, 8, worker.RETRY_MAX_S]
