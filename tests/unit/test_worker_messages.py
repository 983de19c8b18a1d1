"""Every work message the durable runtime can produce, through the entry the Lambda worker calls.

The kinds are read from the typed vocabulary (interpreter.core.messages), so a kind added there
and not produced here — or produced and not handled by the worker — fails this test. Each
message goes through ``handlers.worker.handler`` as SQS hands it over: a JSON body in a batch.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from typing import Any

import pytest

import interpreter
from interpreter.app import local_deployment
from interpreter.cloud.functions import sqs_event
from interpreter.core import messages
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.runtime.ports import StateMachineRecord, TaskOutcome

ACCOUNT = "123456789012"
START_MS = 1_700_000_000_000

DEFINITION = {
    "StartAt": "Slow",
    "States": {
        # A handler that takes simulated time: its outcome comes back as a "deliver" message.
        "Slow": {
            "Type": "Task",
            "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:slow",
            "Next": "Nap",
        },
        # A timer: a delayed "decide" wake-up.
        "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Fan"},
        # An ItemReader and a ResultWriter: "read_items" and "write_results" task commands.
        "Fan": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "b", "Key": "items.json"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Echo",
                "States": {"Echo": {"Type": "Pass", "End": True}},
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "b", "Prefix": "out"},
            },
            "End": True,
        },
    },
}


class FakeBucket:
    """An item source and result sink that keeps what it is given (no S3 needed)."""

    def __init__(self) -> None:
        self.written: list[Mapping[str, Any]] = []

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        return None

    def read_items(
        self, reader: Mapping[str, Any], region: str, execution_role: str | None = None
    ) -> Any:
        return [{"n": 1}, {"n": 2}]

    def write_results(
        self,
        writer: Mapping[str, Any],
        map_run_arn: str,
        results: Mapping[str, Any],
        region: str,
        execution_role: str | None = None,
    ) -> Any:
        self.written.append(results)
        return {"Bucket": "b", "Key": "out/manifest.json"}


def _tags(union: Any, member: str) -> set[str]:
    """The literal tags (``kind`` or ``type``) of the TypedDicts in ``union``."""
    tags: set[str] = set()
    for shape in typing.get_args(union):
        tags.update(typing.get_args(typing.get_type_hints(shape)[member]))
    return tags


def _slow(event: Any, context: Any) -> Any:
    interpreter.sleep(5)
    return event


def _batch(message_id: str, body: str) -> dict[str, Any]:
    """An SQS event of one message, as the event-source mapping hands it over."""
    message = {"MessageId": message_id, "ReceiptHandle": message_id, "Body": body}
    message["Attributes"] = {"ApproximateReceiveCount": "1"}
    return sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:asl-work", "us-east-1")


class _Context:
    """The parts of Lambda's context object the worker (and its logger) read."""

    function_name = "worker"
    memory_limit_in_mb = 128
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker"
    aws_request_id = "request"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def test_every_message_kind_goes_through_the_lambda_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from handlers import worker

    bucket = FakeBucket()
    deployment = local_deployment(
        lambdas={"slow": _slow}, invokers=[bucket], clock="virtual", start_ms=START_MS
    )
    monkeypatch.setattr(worker, "runtime", lambda: deployment.runtime)
    record = StateMachineRecord(
        arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:m",
        name="m",
        definition=json.dumps(DEFINITION),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
        revision_id="r1",
    )
    deployment.store.put_state_machine(record)
    started = deployment.runtime.start_execution(record, "e", '{"go": 1}', {"go": 1})

    seen: set[tuple[str, str]] = set()
    queue: Any = deployment.queue
    for number in range(1000):
        due = queue.next_due_ms()
        if due is None:
            break
        deployment.clock.advance_to(due)  # type: ignore[union-attr]
        message = messages.parse_message(queue.pop_due(deployment.clock.now_ms()))
        detail = message["command"]["type"] if message["kind"] == "task" else ""
        seen.add((message["kind"], detail))
        batch = _batch(str(number), json.dumps(message))
        assert worker.handler(batch, _Context()) == {"batchItemFailures": []}

    final = deployment.store.get_execution(started.arn)
    assert final is not None
    assert final.status == "SUCCEEDED"
    output = json.loads(final.output_text or "null")
    assert output["ResultWriterDetails"] == {"Bucket": "b", "Key": "out/manifest.json"}
    assert output["MapRunArn"].startswith(f"arn:aws:states:us-east-1:{ACCOUNT}:mapRun:m/")
    # Both items ran and were exported once.
    assert [len(results["SUCCEEDED"]) for results in bucket.written] == [2]
    # Every message kind, and every task command type, went through the worker.
    assert {kind for kind, _ in seen} == _tags(messages.Message, "kind")
    assert {detail for kind, detail in seen if kind == "task"} == _tags(messages.TaskWork, "type")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"kind": "decide"}),
        json.dumps({"kind": "shout", "arn": "a"}),
        json.dumps({"kind": "task", "arn": "a", "key": "k", "command": {"type": "invoke"}}),
        json.dumps({"kind": "deliver", "arn": "a", "key": "k", "event": {"type": "nope"}}),
    ],
)
def test_a_malformed_message_goes_back_to_the_queue(
    monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    from handlers import worker

    deployment = local_deployment(clock="virtual", start_ms=START_MS)
    monkeypatch.setattr(worker, "runtime", lambda: deployment.runtime)
    batch = _batch("m", body)
    assert worker.handler(batch, _Context()) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
