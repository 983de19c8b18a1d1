"""Child executions: what a ``states:startExecution.sync`` task gets when its child ends.

A ``.sync`` task whose child runs in the same deployment does not poll: the child's record names
its parent task (``ExecutionRecord.parent``), and when the child ends the runtime delivers the
outcome to the parent's inbox — the child's DescribeExecution as the AWS SDK for Java reports it
(``ExecutionArn``, ``Status``, dates as epoch milliseconds, ``Input``/``Output`` as JSON text, or
as JSON for ``.sync:2``). A child that did not succeed fails the task with
``States.TaskFailed`` and that description as the cause, as AWS reports it.
"""

from __future__ import annotations

from typing import Any

from interpreter.core.history import to_json_text
from interpreter.core.messages import TaskFailed, TaskSucceeded
from interpreter.json_types import JSON, parse_json
from interpreter.limits import MAX_CAUSE_LENGTH
from interpreter.runtime.ports import ExecutionRecord


def described(child: ExecutionRecord, sync_version: int) -> dict[str, JSON]:
    """The child's DescribeExecution in the SDK for Java's member names."""
    description: dict[str, Any] = {
        "ExecutionArn": child.arn,
        "StateMachineArn": child.state_machine_arn,
        "Name": child.name,
        "Status": child.status,
        "StartDate": child.start_ms,
    }
    if child.stop_ms is not None:
        description["StopDate"] = child.stop_ms
    description["Input"] = child.input_text
    description["InputDetails"] = {"Included": True}
    if child.status == "SUCCEEDED":
        description["Output"] = child.output_text
        description["OutputDetails"] = {"Included": True}
    if child.error is not None:
        description["Error"] = child.error
    if child.cause is not None:
        description["Cause"] = child.cause
    if sync_version == 2:
        # ``.sync:2`` gives the child's input and output as JSON, not as JSON text.
        for member in ("Input", "Output"):
            if isinstance(description.get(member), str):
                description[member] = parse_json(description[member])
    return description


def sync_outcome(child: ExecutionRecord, key: str, sync_version: int) -> TaskSucceeded | TaskFailed:
    """The event that answers the parent's task ``key`` for an ended ``child``."""
    description = described(child, sync_version)
    if child.status == "SUCCEEDED":
        return {"type": "task_succeeded", "key": key, "output": description}
    return {
        "type": "task_failed",
        "key": key,
        "error": "States.TaskFailed",
        "cause": to_json_text(description)[:MAX_CAUSE_LENGTH],
    }
