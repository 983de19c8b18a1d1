"""Activities in local runs, checked against AWS's recordings of activity tasks.

The recordings (tests/conformance/cases/activities) ran with a worker outside the case: it took
the task as ``BASE_ID_ACTIVITY_CONSUMER`` and answered with the task's input, or failed it with
``Programmatic Error`` and the input as the cause. The workers below do the same in process, so
the run must reproduce each recorded history, output, error and cause.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.runtime.activities import ActivityFailure, ActivityWorker

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
sys.path.insert(0, str(CONFORMANCE))

from compare import compare_case, format_mismatches  # noqa: E402
from runner import run_case_with_activities  # noqa: E402

PLACEHOLDER = "${create_activity#1.activityArn}"
ACTIVITY_ARN = "arn:aws:states:us-east-1:111111111111:activity:activity-00000001"
WORKER = "BASE_ID_ACTIVITY_CONSUMER"


def _echo(task_input: Any) -> Any:
    return task_input


def _programmatic_error(task_input: Any) -> Any:
    raise ActivityFailure("Programmatic Error", json.dumps(task_input))


@pytest.mark.parametrize(
    ("case_name", "worker"),
    [
        ("test_activities__test_activity_task", _echo),
        ("test_activities__test_activity_task_with_heartbeat", _echo),
        ("test_activities__test_activity_task_failure", _programmatic_error),
        ("test_activities__test_activity_task_on_deleted", None),
    ],
)
def test_the_recorded_activity_runs_are_reproduced(case_name: str, worker: Any) -> None:
    case = json.loads((CONFORMANCE / "cases" / "activities" / f"{case_name}.json").read_text())
    # No worker: the recording deleted the activity before the execution.
    workers = {} if worker is None else {ACTIVITY_ARN: ActivityWorker(worker, WORKER)}
    actual = run_case_with_activities(case, {PLACEHOLDER: ACTIVITY_ARN}, workers)
    mismatches = compare_case(case, actual)
    assert not mismatches, format_mismatches(mismatches)


def test_a_worker_that_raises_fails_the_task_with_the_exception_name() -> None:
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:count",
                "Retry": [{"ErrorEquals": ["ZeroDivisionError"], "MaxAttempts": 1}],
                "End": True,
            }
        },
    }
    calls: list[Any] = []

    def count(task_input: Any) -> Any:
        calls.append(task_input)
        return 1 / (len(calls) - 1)

    result = StateMachine(definition).run({"n": 1}, activities={"count": count})
    assert result.status == "SUCCEEDED"
    assert result.output == 1.0
    types = [event["type"] for event in result.history]
    assert types.count("ActivityFailed") == 1
    failed = next(e for e in result.history if e["type"] == "ActivityFailed")
    assert failed["activityFailedEventDetails"] == {
        "error": "ZeroDivisionError",
        "cause": "division by zero",
    }
    started = next(e for e in result.history if e["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"] == {"workerName": "count"}


def test_an_activity_without_a_worker_does_not_exist() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:activity:nobody"
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    result = StateMachine(definition).run({})
    # States.Runtime is not caught by States.ALL.
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause == (
        "An error occurred while executing the state 'Work' (entered at the event id #2). "
        f"The activity {arn} does not exist."
    )
    assert [e["type"] for e in result.history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ExecutionFailed",
    ]


def test_an_unclaimed_activity_task_times_out_and_is_not_handed_out_late() -> None:
    from interpreter.app import local_service

    service = local_service(clock="virtual", activity_poll_seconds=0)
    arn = service.call("CreateActivity", {"name": "slow"})["activityArn"]
    definition = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": arn, "TimeoutSeconds": 10, "End": True}},
    }
    machine = service.call(
        "CreateStateMachine",
        {
            "name": "m",
            "definition": json.dumps(definition),
            "roleArn": "arn:aws:iam::123456789012:role/r",
        },
    )
    started = service.call("StartExecution", {"stateMachineArn": machine["stateMachineArn"]})
    service.run_until_idle()
    described = service.call("DescribeExecution", {"executionArn": started["executionArn"]})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Timeout"
    events = service.call("GetExecutionHistory", {"executionArn": started["executionArn"]})
    types = [event["type"] for event in events["events"]]
    assert types == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityTimedOut",
        "ExecutionFailed",
    ]
    # The task ended with its execution: a worker polling now gets nothing.
    assert service.call("GetActivityTask", {"activityArn": arn, "workerName": "late"}) == {}
