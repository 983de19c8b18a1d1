"""No value a task hands back wedges an execution (issue 10).

Handlers and invokers return arbitrary values — nested up to 10,000 levels (lists, objects,
both), strings up to megabytes (ASCII and multi-byte), numbers JSON cannot carry (NaN,
infinity, 5,000-digit integers), Python values that are not JSON (sets, tuples, bytes, objects,
non-string keys, unpaired surrogates), values that contain themselves, and values that share a
part so often that their text would be astronomically long — through Lambda functions (both
Task forms), in-process activity workers, any other invoker's result and a ``.waitForTaskToken``
call's submitted response; inside plain Tasks, Retry/Catch, Map and Parallel states.

Every run, on the in-process runner and on the durable runtime (virtual clock; memory and
SQLite stores), must end in a terminal status within a bounded number of work messages, with a
contiguous history whose terminal event comes once and last, an error name for every failure,
no unhandled exception, and (durable) no work message that failed.

A Lambda handler's result is serialised as AWS's Python runtime serialises it (``json.dumps``),
which writes a shared part out every time it appears: a value sharing parts 2**60 times would
keep it busy as it would keep Lambda busy (like a handler that never returns), so such values go
through the other invokers only, which refuse them without writing them out.

``ASL_HOSTILE_EXAMPLES`` scales the number of examples (default: CI's budget).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from interpreter.adapters.sqlite_store import SqliteStore
from interpreter.app import local_runner, local_service
from interpreter.core.messages import InvokeTask
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.resources import TaskResource
from interpreter.runtime.ports import TaskOutcome

SCALE = float(os.environ.get("ASL_HOSTILE_EXAMPLES", "1"))
ROLE = "arn:aws:iam::123456789012:role/r"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:hostile"
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:hostile"
SERVICE = "arn:aws:states:::sqs:sendMessage"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
TERMINAL_EVENTS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
#: Work messages one execution may take before it counts as wedged.
MESSAGE_BUDGET = 400


# ------------------------------------------------------------------ hostile values


@dataclass(frozen=True)
class Hostile:
    """A recipe for a value (built afresh for each call: some cannot be printed or compared)."""

    kind: str
    size: int = 0
    leaf: Any = None

    def __repr__(self) -> str:
        return f"Hostile({self.kind!r}, size={self.size}, leaf={self.leaf!r})"

    @property
    def lambda_safe(self) -> bool:
        """Whether ``json.dumps`` (a Lambda handler's serialiser) finishes on it."""
        return self.kind != "shared"

    def build(self) -> Any:
        return _BUILDERS[self.kind](self.size, self.leaf)


def _nested(size: int, leaf: Any, wrap: Callable[[Any, int], Any]) -> Any:
    value = leaf
    for level in range(size):
        value = wrap(value, level)
    return value


def _cycle(size: int, leaf: Any) -> Any:
    top: dict[str, Any] = {"leaf": leaf}
    inner: Any = top
    for _ in range(size % 5):
        inner = [inner]
    top["again"] = inner
    return top


def _shared(size: int, leaf: Any) -> Any:
    value: Any = leaf
    for _ in range(size):
        value = [value, value]
    return value


class Opaque:
    """An object no serialiser knows."""


_BUILDERS: dict[str, Callable[[int, Any], Any]] = {
    "json": lambda size, leaf: leaf,
    "deep_list": lambda size, leaf: _nested(size, leaf, lambda v, _: [v]),
    "deep_dict": lambda size, leaf: _nested(size, leaf, lambda v, _: {"k": v}),
    "deep_mixed": lambda size, leaf: _nested(size, leaf, lambda v, n: [v] if n % 2 else {"k": v}),
    "long_ascii": lambda size, leaf: {"text": "x" * size},
    "long_unicode": lambda size, leaf: ["é😀" * (size // 6)],
    "wide": lambda size, leaf: list(range(size)),
    "set": lambda size, leaf: {"items": {1, 2, size}},
    "tuple": lambda size, leaf: {"pair": (leaf, size)},
    "bytes": lambda size, leaf: b"\xff\xfe" * (size % 100),
    "object": lambda size, leaf: [Opaque()],
    "nan": lambda size, leaf: {"n": math.nan},
    "infinity": lambda size, leaf: [-math.inf],
    "big_int": lambda size, leaf: 10 ** (size % 6000),
    "int_key": lambda size, leaf: {size: leaf},
    "surrogate": lambda size, leaf: {"s": "ok\ud800" * (size % 3 + 1)},
    "cycle": _cycle,
    "shared": _shared,
}

json_leaves = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=15,
)
depths = st.sampled_from([0, 1, 254, 255, 256, 257, 600, 999, 1000, 1001, 5000, 10_000]) | (
    st.integers(0, 10_000)
)
lengths = st.sampled_from([0, 262_130, 262_142, 262_143, 262_144, 262_145, 1_000_000]) | (
    st.integers(0, 3_000_000)
)
hostile_values = st.one_of(
    st.builds(Hostile, st.just("json"), st.just(0), json_leaves),
    st.builds(
        Hostile, st.sampled_from(["deep_list", "deep_dict", "deep_mixed"]), depths, json_leaves
    ),
    st.builds(Hostile, st.sampled_from(["long_ascii", "long_unicode"]), lengths),
    st.builds(Hostile, st.just("wide"), st.integers(0, 300_000)),
    st.builds(Hostile, st.just("shared"), st.integers(0, 64), json_leaves),
    st.builds(
        Hostile,
        st.sampled_from(
            [
                "set",
                "tuple",
                "bytes",
                "object",
                "nan",
                "infinity",
                "big_int",
                "int_key",
                "surrogate",
                "cycle",
            ]
        ),
        st.integers(0, 10_000),
        json_leaves,
    ),
)


# ------------------------------------------------------------------ where values come from


class ValueInvoker:
    """Any invoker: answers SQS tasks with the hostile value as its result, or as the response
    a ``.waitForTaskToken`` call submitted."""

    def __init__(self, value: Hostile) -> None:
        self.value = value

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        if resource.service != "sqs":
            return None
        if resource.waits_for_task_token:
            return TaskOutcome(True, submitted_output=self.value.build(), awaiting_callback=True)
        return TaskOutcome(True, output=self.value.build())


def lambda_handler(value: Hostile) -> Callable[[Any, Any], Any]:
    return lambda event, context: value.build()


# ------------------------------------------------------------------ state machines

SOURCES = ("function", "invoke", "service", "callback", "activity")


def task(source: str, **fields: Any) -> dict[str, Any]:
    if source == "function":
        state: dict[str, Any] = {"Type": "Task", "Resource": FUNCTION}
    elif source == "invoke":
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "hostile", "Payload.$": "$"},
        }
    elif source == "service":
        state = {"Type": "Task", "Resource": SERVICE, "Parameters": {"QueueUrl": "q"}}
    elif source == "callback":
        state = {
            "Type": "Task",
            "Resource": CALLBACK,
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 5,
        }
    else:
        state = {"Type": "Task", "Resource": ACTIVITY}
    return {**state, **fields}


def machine(shape: str, source: str) -> dict[str, Any]:
    done = {"Type": "Pass", "End": True}
    if shape == "plain":
        return {"StartAt": "T", "States": {"T": task(source, End=True)}}
    if shape == "caught":
        catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}]
        states = {"T": task(source, Catch=catch, Next="Done"), "Done": done}
        return {"StartAt": "T", "States": states}
    if shape == "retried":
        retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}]
        states = {"T": task(source, Retry=retry, ResultPath="$.r", Next="Done"), "Done": done}
        return {"StartAt": "T", "States": states}
    if shape == "map":
        branch = {"StartAt": "T", "States": {"T": task(source, End=True)}}
        state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": branch, "End": True}
        return {"StartAt": "M", "States": {"M": state}}
    branches = [{"StartAt": name, "States": {name: task(source, End=True)}} for name in "AB"]
    state = {"Type": "Parallel", "Branches": branches, "End": True}
    return {"StartAt": "P", "States": {"P": state}}


shapes = st.sampled_from(["plain", "caught", "retried", "map", "parallel"])
INPUT = {"items": [1, 2]}


# ------------------------------------------------------------------ invariants


def check_history(status: str, error: str | None, history: list[dict[str, Any]]) -> None:
    event(f"{status} {error or ''}".strip())  # --hypothesis-show-statistics shows the mix
    assert status in TERMINAL_STATUSES
    ids = [event["id"] for event in history]
    assert ids == list(range(1, len(ids) + 1))
    ends = [event for event in history if event["type"] in TERMINAL_EVENTS]
    assert len(ends) == 1
    assert ends[0] is history[-1]
    if status == "FAILED":
        assert error is not None


class FailedMessages(logging.Handler):
    """Counts the work messages the durable runtime's worker saw fail."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("work message failed"):
            self.failures.append(record.getMessage()[:200])


@pytest.fixture(scope="module")
def failed_messages() -> Iterator[FailedMessages]:
    watcher = FailedMessages()
    logger = logging.getLogger("interpreter.runtime")
    logger.addHandler(watcher)
    yield watcher
    logger.removeHandler(watcher)


def source_for(value: Hostile, source: str) -> str:
    return source if value.lambda_safe or source not in ("function", "invoke") else "service"


# ------------------------------------------------------------------ the properties


def examples(count: int) -> int:
    return max(1, round(count * SCALE))


@settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(value=hostile_values, shape=shapes, source=st.sampled_from(SOURCES))
def test_the_in_process_runner_ends_every_execution(
    value: Hostile, shape: str, source: str
) -> None:
    source = source_for(value, source)
    runner = local_runner(
        lambdas={"hostile": lambda_handler(value)},
        activities={"hostile": lambda task_input: value.build()},
        invokers=[ValueInvoker(value)],
    )
    result = runner.run(compile_state_machine(machine(shape, source)), INPUT)
    check_history(result.status, result.error, result.history)


def run_durable(service: Any, value: Hostile, shape: str, source: str) -> None:
    name = f"m-{uuid.uuid4().hex[:12]}"
    definition = json.dumps(machine(shape, source))
    arn = service.create_state_machine(name=name, definition=definition, roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = service.start_execution(stateMachineArn=arn, input=json.dumps(INPUT))[
        "executionArn"
    ]
    handled = 0

    def wedged() -> bool:
        nonlocal handled
        handled += 1
        return handled > MESSAGE_BUDGET

    service.worker.run_until_idle(until=wedged)
    assert handled <= MESSAGE_BUDGET, "the execution is still being worked on: wedged"
    described = service.describe_execution(executionArn=execution)
    history = service.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    check_history(described["status"], described.get("error"), history)


DURABLE_SOURCES = st.sampled_from(("function", "invoke", "service", "callback"))


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(value=hostile_values, shape=shapes, source=DURABLE_SOURCES)
def test_the_durable_runtime_ends_every_execution_in_memory(
    failed_messages: FailedMessages, value: Hostile, shape: str, source: str
) -> None:
    source = source_for(value, source)
    service = local_service(
        lambdas={"hostile": lambda_handler(value)}, invokers=[ValueInvoker(value)], clock="virtual"
    )
    failed_messages.failures.clear()
    run_durable(service, value, shape, source)
    assert failed_messages.failures == []


@pytest.fixture(scope="module")
def sqlite_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory) / "state.db"


@settings(
    max_examples=examples(80),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(value=hostile_values, shape=shapes, source=DURABLE_SOURCES)
def test_the_durable_runtime_ends_every_execution_on_sqlite(
    failed_messages: FailedMessages, sqlite_path: Path, value: Hostile, shape: str, source: str
) -> None:
    source = source_for(value, source)
    service = local_service(
        lambdas={"hostile": lambda_handler(value)},
        invokers=[ValueInvoker(value)],
        clock="virtual",
        store=SqliteStore(sqlite_path),
        recover=False,
    )
    failed_messages.failures.clear()
    run_durable(service, value, shape, source)
    assert failed_messages.failures == []
