"""A local handler still running when its Task's TimeoutSeconds passes is abandoned: the Task
times out on time, on the real clock, in the in-process runner and in the durable runtime
(``asl serve``); the handler finishes in the background and its result is dropped."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.app import local_service

ROLE = "arn:aws:iam::123456789012:role/r"


def _machine(resource: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {"Type": "Task", "Resource": resource, "TimeoutSeconds": 1}
    if parameters is not None:
        task["Parameters"] = parameters
    task["End"] = True
    return {"StartAt": "Slow", "States": {"Slow": task}}


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Slow"
INVOKE = "arn:aws:states:::lambda:invoke"


class SlowHandler:
    """Blocks until released (at most 30 s), then records that it finished and returns."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()
        self.calls = 0
        self.ended = threading.Semaphore(0)
        self.waited = 0

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls += 1
        print("working")
        self.release.wait(30)
        print("done, too late")
        self.finished.set()
        self.ended.release()
        return {"late": True}

    def wait_for_all(self) -> None:
        """Let every abandoned invocation end (within the test, so its output is captured)."""
        self.release.set()
        while self.waited < self.calls:
            assert self.ended.acquire(timeout=5)
            self.waited += 1
        time.sleep(0.05)  # their END and REPORT lines follow the handler's return


@pytest.fixture
def slow() -> Iterator[SlowHandler]:
    handler = SlowHandler()
    yield handler
    handler.wait_for_all()


@pytest.mark.parametrize(
    ("resource", "parameters", "timed_out"),
    [
        (FUNCTION_ARN, None, "LambdaFunctionTimedOut"),
        (INVOKE, {"FunctionName": "Slow", "Payload.$": "$"}, "TaskTimedOut"),
    ],
)
def test_the_task_times_out_on_time_and_the_late_result_is_dropped(
    slow: SlowHandler,
    resource: str,
    parameters: dict[str, Any] | None,
    timed_out: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    machine = StateMachine(_machine(resource, parameters))
    started = time.monotonic()
    result = machine.run({}, lambdas={"Slow": slow}, clock="real")
    elapsed = time.monotonic() - started
    assert result.status == "FAILED"
    assert result.error == "States.Timeout"
    assert 0.9 <= elapsed < 2.5
    assert not slow.finished.is_set()  # still running when the execution ended
    types = [event["type"] for event in result.history]
    assert timed_out in types
    timed_out_event = next(event for event in result.history if event["type"] == timed_out)
    scheduled = next(event for event in result.history if event["type"].endswith("Scheduled"))
    assert 950 <= timed_out_event["timestamp"] - scheduled["timestamp"] < 1500
    # The abandoned handler runs on to its end; what it returns changes nothing.
    slow.wait_for_all()
    assert "[Slow] done, too late" in capfd.readouterr().err
    assert types[-1] == "ExecutionFailed"


def test_a_handler_within_its_deadline_answers_as_before(capfd: pytest.CaptureFixture[str]) -> None:
    def quick(event: Any, context: Any) -> Any:
        print("quick work")
        return {"n": event["n"] + 1}

    machine = StateMachine(_machine(FUNCTION_ARN))
    result = machine.run({"n": 1}, lambdas={"Slow": quick}, clock="real")
    assert result.status == "SUCCEEDED"
    assert result.output == {"n": 2}
    assert "[Slow] quick work" in capfd.readouterr().err


def test_a_timed_out_attempt_is_retried_with_a_new_invocation(slow: SlowHandler) -> None:
    definition = _machine(FUNCTION_ARN)
    definition["States"]["Slow"]["Retry"] = [
        {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}
    ]
    started = time.monotonic()
    result = StateMachine(definition).run({}, lambdas={"Slow": slow}, clock="real")
    assert result.status == "FAILED"
    assert result.error == "States.Timeout"
    assert slow.calls == 2
    assert time.monotonic() - started < 4.5  # two 1 s attempts and a 1 s back-off


def test_the_virtual_clock_still_counts_simulated_time_only() -> None:
    from interpreter import sleep

    def simulated(event: Any, context: Any) -> Any:
        sleep(60)  # virtual: adds 60 s to the invocation, takes none
        return {}

    started = time.monotonic()
    result = StateMachine(_machine(FUNCTION_ARN)).run({}, lambdas={"Slow": simulated})
    assert result.error == "States.Timeout"
    assert time.monotonic() - started < 1


def test_the_durable_runtime_abandons_the_handler_and_frees_its_worker(slow: SlowHandler) -> None:
    service = local_service(lambdas={"Slow": slow}, clock="real")
    service.start_workers(1)  # one worker: it must come back to run the timeout
    try:
        arn = service.create_state_machine(
            name="Slow", definition=json.dumps(_machine(FUNCTION_ARN)), roleArn=ROLE
        )["stateMachineArn"]
        started = time.monotonic()
        execution = service.start_execution(arn, "run-1", "{}")["executionArn"]
        deadline = time.monotonic() + 10
        described = service.describe_execution(execution)
        while described["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
            described = service.describe_execution(execution)
        assert described["status"] == "FAILED"
        assert described["error"] == "States.Timeout"
        assert time.monotonic() - started < 3
        assert not slow.finished.is_set()
        types = [event["type"] for event in service.runtime.history(execution)]
        assert "LambdaFunctionTimedOut" in types
        assert "LambdaFunctionSucceeded" not in types
    finally:
        service.stop_workers()
