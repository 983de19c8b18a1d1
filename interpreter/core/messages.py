"""The typed vocabulary that crosses the core's boundary: commands, events and work messages.

Everything here is a ``TypedDict`` tagged by a literal (``type`` for commands and events, ``kind``
for work messages), so each value *is* its JSON form: it is stored in an execution record, put in
an inbox or sent on a queue as it is, and replay fixtures hold it verbatim. Consumers branch on the
tag and end with :func:`typing.assert_never`, so mypy rejects a consumer that forgets a kind.

* :data:`Command` — what :func:`interpreter.core.engine.step` asks the runtime to do: invoke a
  task, start a timer, read a Distributed Map's items, export its results.
* :data:`Event` — what the runtime delivers back into ``step``: task outcomes, a timer firing, the
  reader's and writer's answers, a stop request, a Map Run's new limits (UpdateMapRun).
* :data:`Message` — what travels on the durable runtime's work queue: a decision, a task to run,
  a task outcome to deliver later.

At an untrusted boundary (a queue message, an inbox entry read back from storage)
:func:`parse_message` and :func:`parse_event` check the tag and the members and raise
:class:`MalformedMessageError` with what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, cast

from interpreter.json_types import JSON

# ---------------------------------------------------------------------------------- commands


class InvokeTask(TypedDict):
    """Invoke a Task state's resource (``key`` is the attempt's idempotency key)."""

    type: Literal["invoke"]
    key: str
    #: The Task's ``Resource`` ARN.
    resource: str
    #: The effective parameters (``Parameters``/``Arguments`` evaluated).
    input: JSON
    state: str
    frame: str
    execution: str
    timeout_seconds: NotRequired[int]
    heartbeat_seconds: NotRequired[int]
    #: ``$$.Task.Token`` of a callback task, or the token an activity worker answers with.
    task_token: NotRequired[str]
    #: The resource is an activity: the task waits for a worker.
    activity: NotRequired[bool]
    #: The state's evaluated ``Credentials`` (``{"RoleArn": ...}``).
    credentials: NotRequired[JSON]
    #: How many times the state invoked its resource before this (the drivers number them:
    #: mock test cases answer by invocation number).
    invocation: NotRequired[int]
    #: The role of the execution (its state machine's ``roleArn``) the task runs as: the durable
    #: runtime adds it from the execution's record when it runs the task (never the core).
    execution_role: NotRequired[str]


class StartTimer(TypedDict):
    """Deliver a :class:`TimerFired` for ``key`` at ``at_ms``."""

    type: Literal["timer"]
    key: str
    at_ms: int


class ReadItems(TypedDict):
    """Read a Distributed Map's items with its ``ItemReader`` (answered by :class:`ItemsRead`)."""

    type: Literal["read_items"]
    key: str
    #: ``{"Resource", "Parameters", "ReaderConfig"}`` with every value evaluated.
    reader: dict[str, JSON]
    frame: str
    #: As :attr:`InvokeTask.execution_role`.
    execution_role: NotRequired[str]


class WriteResults(TypedDict):
    """Export a Distributed Map's results with its ``ResultWriter`` (answered by
    :class:`ResultsWritten`)."""

    type: Literal["write_results"]
    key: str
    #: ``{"Resource", "Parameters", "WriterConfig"}`` with every value evaluated.
    writer: dict[str, JSON]
    map_run_arn: str
    #: ``{"SUCCEEDED": [...], "FAILED": [...], "PENDING": [...]}``.
    results: dict[str, JSON]
    frame: str
    #: As :attr:`InvokeTask.execution_role`.
    execution_role: NotRequired[str]


#: Work a task runner carries out; its key names the answer the core waits for.
TaskWork: TypeAlias = InvokeTask | ReadItems | WriteResults
#: Everything ``step`` may ask of the runtime.
Command: TypeAlias = InvokeTask | StartTimer | ReadItems | WriteResults

# ---------------------------------------------------------------------------------- events


class TaskSucceeded(TypedDict):
    """A task's result."""

    type: Literal["task_succeeded"]
    key: str
    output: JSON


class TaskFailed(TypedDict):
    """A task's failure: an ASL error name and cause."""

    type: Literal["task_failed"]
    key: str
    error: str | None
    cause: str | None


class TaskSubmitted(TypedDict):
    """A ``.sync`` job or ``.waitForTaskToken`` request went out (``TaskSubmitted``)."""

    type: Literal["task_submitted"]
    key: str
    output: JSON
    #: The child execution a ``.sync`` task waits for, when it runs in the same deployment.
    child: NotRequired[str]


class TaskHeartbeat(TypedDict):
    """SendTaskHeartbeat for a callback or activity task."""

    type: Literal["task_heartbeat"]
    key: str


class ActivityScheduled(TypedDict):
    """An activity task was queued for its workers (``ActivityScheduled``)."""

    type: Literal["activity_scheduled"]
    key: str


class TaskStarted(TypedDict):
    """An activity worker took the task (``ActivityStarted``)."""

    type: Literal["task_started"]
    key: str
    worker_name: NotRequired[str | None]


class TimerFired(TypedDict):
    """A timer the core started is due."""

    type: Literal["timer"]
    key: str


class ItemsRead(TypedDict):
    """The ``ItemReader`` answered: ``items``, or ``error`` and ``cause``."""

    type: Literal["items_read"]
    key: str
    items: NotRequired[list[JSON]]
    error: NotRequired[str | None]
    cause: NotRequired[str | None]


class ResultsWritten(TypedDict):
    """The ``ResultWriter`` answered: ``details`` (``ResultWriterDetails``), or ``error`` and
    ``cause``."""

    type: Literal["results_written"]
    key: str
    details: NotRequired[JSON]
    error: NotRequired[str | None]
    cause: NotRequired[str | None]


class StopRequested(TypedDict):
    """StopExecution (or the runtime ending an execution it cannot advance)."""

    type: Literal["stop"]
    error: str | None
    cause: str | None


class MapRunUpdated(TypedDict):
    """UpdateMapRun: a running Distributed Map's new limits, for the iterations not yet started
    (each member only when given)."""

    type: Literal["update_map_run"]
    map_run_arn: str
    max_concurrency: NotRequired[int]
    tolerated_count: NotRequired[int]
    tolerated_percentage: NotRequired[float]


#: The outcomes of a running task, delivered by the task's key.
TaskEvent: TypeAlias = (
    TaskSucceeded | TaskFailed | TaskSubmitted | TaskHeartbeat | ActivityScheduled | TaskStarted
)
#: Everything ``step`` accepts.
Event: TypeAlias = (
    TaskEvent | TimerFired | ItemsRead | ResultsWritten | StopRequested | MapRunUpdated
)

# ---------------------------------------------------------------------------------- messages


class DecideMessage(TypedDict):
    """Advance one execution by its inbox and due timers. ``wake_ms`` marks a wake-up sent for
    that wake-up time (a superseded one dies out)."""

    kind: Literal["decide"]
    arn: str
    wake_ms: NotRequired[int | None]


class TaskMessage(TypedDict):
    """Carry out one task command of one execution."""

    kind: Literal["task"]
    arn: str
    key: str
    command: TaskWork


class DeliverMessage(TypedDict):
    """Deliver a task outcome whose (simulated) duration has passed."""

    kind: Literal["deliver"]
    arn: str
    key: str
    event: Event


#: Everything the work queue carries.
Message: TypeAlias = DecideMessage | TaskMessage | DeliverMessage

# ---------------------------------------------------------------------------------- constructors


def decide(arn: str, wake_ms: int | None = None) -> DecideMessage:
    """A decision message (a wake-up for ``wake_ms`` when given)."""
    if wake_ms is None:
        return {"kind": "decide", "arn": arn}
    return {"kind": "decide", "arn": arn, "wake_ms": wake_ms}


def run_task(arn: str, command: TaskWork) -> TaskMessage:
    """A task message for ``command``."""
    return {"kind": "task", "arn": arn, "key": command["key"], "command": command}


def deliver(arn: str, key: str, event: Event) -> DeliverMessage:
    """A message that delivers ``event`` to the inbox of ``arn`` under ``key``."""
    return {"kind": "deliver", "arn": arn, "key": key, "event": event}


# ---------------------------------------------------------------------------------- parsing


class MalformedMessageError(ValueError):
    """A work message or an event that is not one of the vocabulary's shapes."""


_COMMAND_MEMBERS: dict[str, tuple[str, ...]] = {
    "invoke": ("key", "resource", "state", "frame", "execution"),
    "timer": ("key",),
    "read_items": ("key", "frame"),
    "write_results": ("key", "map_run_arn", "frame"),
}
_EVENT_MEMBERS: dict[str, tuple[str, ...]] = {
    "task_succeeded": ("key",),
    "task_failed": ("key",),
    "task_submitted": ("key",),
    "task_heartbeat": ("key",),
    "activity_scheduled": ("key",),
    "task_started": ("key",),
    "timer": ("key",),
    "items_read": ("key",),
    "results_written": ("key",),
    "stop": (),
    "update_map_run": ("map_run_arn",),
}


def _require(value: Mapping[str, Any], members: tuple[str, ...], what: str) -> None:
    for member in members:
        if not isinstance(value.get(member), str):
            raise MalformedMessageError(f"{what} has no string member {member!r}")


def parse_event(value: Any) -> Event:
    """``value`` checked as an :data:`Event` (the JSON form read back from an inbox)."""
    if not isinstance(value, Mapping):
        raise MalformedMessageError("an event is a JSON object")
    kind = value.get("type")
    members = _EVENT_MEMBERS.get(kind) if isinstance(kind, str) else None
    if members is None:
        raise MalformedMessageError(f"unknown event type {kind!r}")
    _require(value, members, f"a {kind!r} event")
    return cast(Event, dict(value))


def parse_task_work(value: Any) -> TaskWork:
    """``value`` checked as a task command (the JSON form carried by a task message)."""
    if not isinstance(value, Mapping):
        raise MalformedMessageError("a task command is a JSON object")
    kind = value.get("type")
    if kind not in ("invoke", "read_items", "write_results"):
        raise MalformedMessageError(f"unknown task command type {kind!r}")
    _require(value, _COMMAND_MEMBERS[kind], f"a {kind!r} command")
    return cast(TaskWork, dict(value))


def parse_message(value: Any) -> Message:
    """``value`` checked as a work :data:`Message` (the JSON body of a queue message)."""
    if not isinstance(value, Mapping):
        raise MalformedMessageError("a work message is a JSON object")
    kind = value.get("kind")
    if kind == "decide":
        _require(value, ("arn",), "a decide message")
        wake_ms = value.get("wake_ms")
        if wake_ms is not None and (not isinstance(wake_ms, int) or isinstance(wake_ms, bool)):
            raise MalformedMessageError("a decide message's wake_ms is an integer")
        return decide(str(value["arn"]), wake_ms)
    if kind == "task":
        _require(value, ("arn", "key"), "a task message")
        command = parse_task_work(value.get("command"))
        if command["key"] != value["key"]:
            raise MalformedMessageError("a task message's key is its command's key")
        return run_task(str(value["arn"]), command)
    if kind == "deliver":
        _require(value, ("arn", "key"), "a deliver message")
        return deliver(str(value["arn"]), str(value["key"]), parse_event(value.get("event")))
    raise MalformedMessageError(f"unknown work message kind {kind!r}")
