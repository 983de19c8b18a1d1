"""Values crossing into the engine from tasks are checked once, in the task runner, for every
invoker: a result over AWS's payload limit fails the task with ``States.DataLimitExceeded``; one
nested deeper than ``MAX_INPUT_DEPTH`` or that is not JSON fails it with ``States.Runtime``; a
Distributed Map's items likewise (``States.ItemReaderFailed``). Nothing an invoker returns can
leave an execution RUNNING (issue 10: a Lambda result nested 600 deep did, for good)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from interpreter.app import local_runner, local_service
from interpreter.core.messages import InvokeTask
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.resources import TaskResource
from interpreter.limits import MAX_CAUSE_LENGTH, MAX_INPUT_DEPTH, MAX_PAYLOAD_BYTES
from interpreter.runtime.ports import TaskOutcome
from interpreter.runtime.tasks import TaskRunner

ROLE = "arn:aws:iam::123456789012:role/r"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"


def nested(levels: int, *, as_dict: bool = False) -> Any:
    """A value nested ``levels`` deep (``[]`` is one level), built without recursion."""
    value: Any = {} if as_dict else []
    for _ in range(levels - 1):
        value = {"a": value} if as_dict else [value]
    return value


def task_machine(resource: str = FUNCTION, **task: Any) -> dict[str, Any]:
    states: dict[str, Any] = {"T": {"Type": "Task", "Resource": resource, "End": True, **task}}
    if "Catch" in task:
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "T", "States": states}


def run_durable(
    definition: dict[str, Any], lambdas: dict[str, Any], store: Any = None
) -> dict[str, Any]:
    """Run one execution on the durable runtime (virtual clock), at most 200 messages."""
    service = local_service(lambdas=lambdas, clock="virtual", store=store)
    machine = service.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    arn = service.start_execution(stateMachineArn=machine)["executionArn"]
    handled = 0

    def enough() -> bool:
        nonlocal handled
        handled += 1
        return handled > 200

    assert service.worker is not None
    service.worker.run_until_idle(until=enough)
    described = service.describe_execution(executionArn=arn)
    described["events"] = service.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return described


def failure_of(described: dict[str, Any]) -> tuple[str | None, str | None]:
    return described.get("error"), described.get("cause")


# ------------------------------------------------------------------ the finding itself


@pytest.mark.parametrize("catch", [False, True])
def test_a_result_nested_600_deep_ends_the_execution(catch: bool) -> None:
    """Issue 10: RUNNING forever before (the store's copy recursed on every attempt)."""
    task = {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]} if catch else {}
    described = run_durable(task_machine(**task), {"f": lambda event, context: nested(600)})
    assert described["status"] == "FAILED"
    error, cause = failure_of(described)
    assert error == "States.Runtime"
    assert cause is not None
    assert f"nested more than {MAX_INPUT_DEPTH} levels deep" in cause
    types = [event["type"] for event in described["events"]]
    assert types[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]


def test_a_too_deep_result_is_terminal_even_for_a_catcher_that_names_it() -> None:
    """``States.Runtime`` is terminal (the engine lets nothing retry or catch it): a Catcher must
    not send the execution down a path AWS, which takes 1,000 levels, would not take."""
    task = {
        "Retry": [{"ErrorEquals": ["States.Runtime"], "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}],
    }
    described = run_durable(task_machine(**task), {"f": lambda event, context: nested(600)})
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    types = [event["type"] for event in described["events"]]
    assert types.count("LambdaFunctionScheduled") == 1


def test_a_result_nested_600_deep_on_the_sqlite_store(tmp_path: Path) -> None:
    from interpreter.adapters.sqlite_store import SqliteStore

    store = SqliteStore(tmp_path / "state.db")
    described = run_durable(
        task_machine(), {"f": lambda event, context: nested(600, as_dict=True)}, store
    )
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")


def test_a_result_at_the_depth_limit_is_taken() -> None:
    value = nested(MAX_INPUT_DEPTH)
    described = run_durable(task_machine(), {"f": lambda event, context: value})
    assert described["status"] == "SUCCEEDED"


# ------------------------------------------------------------------ every invoker, one check


class ValueInvoker:
    """Answers every SQS sendMessage task with a fixed outcome (any invoker would do)."""

    def __init__(self, outcome: TaskOutcome) -> None:
        self.outcome = outcome

    def invoke(self, resource: TaskResource, command: InvokeTask, now_ms: int) -> TaskOutcome:
        return self.outcome


SQS = "arn:aws:states:::sqs:sendMessage"


def run_with(outcome: TaskOutcome, **task: Any) -> Any:
    runner = local_runner(invokers=[ValueInvoker(outcome)])
    return runner.run(compile_state_machine(task_machine(SQS, **task)), {})


cycle: list[Any] = []
cycle.append(cycle)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({1, 2}, "type set"),
        (b"bytes", "type bytes"),
        (math.nan, "not a JSON number"),
        ([math.inf], "not a JSON number"),
        (object(), "type object"),
        (cycle, "contains itself"),
        ({1: "a"}, "key must be a string"),
        (("a", "b"), "type tuple"),
        ("\ud800", "unpaired surrogate"),
        (10**5000, "too many digits"),
        (nested(MAX_INPUT_DEPTH + 1), "levels deep"),
        (nested(10_000, as_dict=True), "levels deep"),
    ],
    ids=[
        "set",
        "bytes",
        "nan",
        "infinity",
        "object",
        "cycle",
        "int key",
        "tuple",
        "lone surrogate",
        "5000 digits",
        "257 deep",
        "10000 deep",
    ],
)
def test_a_result_that_is_not_json_fails_the_task_with_states_runtime(
    value: Any, problem: str
) -> None:
    """Before, most of these escaped ``run`` as Python exceptions (TypeError, ValueError,
    RecursionError, UnicodeEncodeError) or were kept as they were."""
    result = run_with(TaskOutcome(True, output=value))
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert problem in result.cause
    assert result.history[-2]["type"] == "TaskFailed"


def test_a_result_over_the_payload_limit_fails_with_data_limit_exceeded_and_is_caught() -> None:
    big = {"text": "é" * (MAX_PAYLOAD_BYTES // 2)}
    result = run_with(
        TaskOutcome(True, output=big),
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    )
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.DataLimitExceeded"
    assert result.output["Cause"] == (
        "The state/task 'sqs' returned a result with a size exceeding the maximum number of "
        "bytes service limit."
    )


def test_the_task_runner_refuses_an_oversized_result_before_anyone_stores_it() -> None:
    command: InvokeTask = {
        "type": "invoke",
        "key": "k",
        "execution": "arn:aws:states:us-east-1:123456789012:execution:m:e",
        "frame": "0",
        "state": "T",
        "resource": SQS,
        "input": {},
    }
    for output in ("x" * (MAX_PAYLOAD_BYTES + 1), ["a"] * MAX_PAYLOAD_BYTES):
        outcome = TaskRunner([ValueInvoker(TaskOutcome(True, output=output))]).run(command, 0)
        assert (outcome.succeeded, outcome.error) == (False, "States.DataLimitExceeded")


def test_a_shared_part_counts_as_often_as_it_is_written() -> None:
    """A value built from one part shared over and over is as large as its text: refused
    without writing that text out (2**40 leaves)."""
    value: Any = []
    for _ in range(40):
        value = [value, value]
    result = run_with(TaskOutcome(True, output=value))
    assert result.error == "States.DataLimitExceeded"


def test_a_submitted_response_is_checked_too() -> None:
    outcome = TaskOutcome(True, submitted_output=nested(600), awaiting_callback=True)
    result = run_with(outcome)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "TaskSubmitted" not in [event["type"] for event in result.history]


def test_a_failure_s_error_and_cause_are_cut_to_the_api_s_lengths() -> None:
    result = run_with(TaskOutcome(False, error="E" * 1000, cause="c" * 1_000_000))
    assert result.status == "FAILED"
    assert result.error == "E" * 256
    assert result.cause == "c" * MAX_CAUSE_LENGTH


def test_an_activity_worker_returning_a_set_fails_its_activity() -> None:
    """Before: ``TypeError: 'NoneType' object is not callable`` out of ``run``."""
    definition = task_machine("arn:aws:states:us-east-1:123456789012:activity:a")
    runner = local_runner(activities={"a": lambda task_input: {1, 2}})
    result = runner.run(compile_state_machine(definition), {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    types = [event["type"] for event in result.history]
    assert types[-4:] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivityFailed",
        "ExecutionFailed",
    ]


def test_a_lambda_result_too_deep_to_serialise_is_a_marshal_error() -> None:
    """As AWS's Python runtime reports any response it cannot serialise."""
    runner = local_runner(lambdas={"f": lambda event, context: nested(5000)})
    result = runner.run(compile_state_machine(task_machine()), {})
    assert (result.status, result.error) == ("FAILED", "Runtime.MarshalError")


# ------------------------------------------------------------------ Distributed Map items

MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
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
            "End": True,
        }
    },
}


class Items:
    """An item source (and an invoker that serves nothing) answering with ``items``."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def invoke(self, resource: TaskResource, command: InvokeTask, now_ms: int) -> None:
        return None

    def read_items(self, reader: Any, region: str, execution_role: str | None = None) -> Any:
        if isinstance(self.items, Exception):
            raise self.items
        return self.items


@pytest.mark.parametrize(
    ("items", "cause"),
    [
        ([nested(MAX_INPUT_DEPTH + 1)], f"nested more than {MAX_INPUT_DEPTH} levels deep"),
        ([{1, 2}], "type set"),
        (ConnectionError("connection refused"), "ConnectionError: connection refused"),
    ],
    ids=["too deep", "not JSON", "raises"],
)
def test_items_a_map_cannot_take_fail_the_item_reader(items: Any, cause: str) -> None:
    """Before: a reader that raised took the whole run down with it."""
    result = local_runner(invokers=[Items(items)]).run(compile_state_machine(MAP), {})
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")
    assert cause in result.cause


def test_items_within_the_limits_are_mapped() -> None:
    items = [nested(MAX_INPUT_DEPTH), {"a": 1}]
    result = local_runner(invokers=[Items(items)]).run(compile_state_machine(MAP), {})
    assert result.status == "SUCCEEDED"


# ------------------------------------------------------------------ StopExecution


def test_stop_execution_ends_an_execution_holding_a_value_no_decision_can_take(
    tmp_path: Path,
) -> None:
    """``asl serve --state`` (SQLite): a 600-deep task result already in the inbox (stored before
    results were checked) makes every decision recurse; StopExecution still ends it (issue 10:
    it answered 500 and the execution could not be stopped)."""
    from interpreter.adapters.sqlite_store import SqliteStore

    store = SqliteStore(tmp_path / "state.db")
    service = local_service(lambdas={"f": lambda event, context: {}}, clock="virtual", store=store)
    machine = service.create_state_machine(
        name="m", definition=json.dumps(task_machine()), roleArn=ROLE
    )["stateMachineArn"]
    arn = service.start_execution(stateMachineArn=machine)["executionArn"]
    record = store.get_execution(arn)
    assert record is not None
    (key,) = record.tasks
    store.put_inbox(arn, key, {"type": "task_succeeded", "key": key, "output": nested(600)})
    with pytest.raises(RecursionError):
        service.runtime.decide(arn)

    answer = service.call("StopExecution", {"executionArn": arn, "error": "E", "cause": "c"})
    assert "stopDate" in answer
    service.run_until_idle()
    described = service.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "E", "c")
    events = service.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "ExecutionAborted"
