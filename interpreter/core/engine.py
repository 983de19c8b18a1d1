"""The pure core: ``start`` and ``step`` fold events into an execution snapshot.

``step(machine, snapshot, events, now_ms) -> Transition(snapshot, commands, history)`` delivers
events (task results, timer firings, a stop request) to the frames waiting for them, then advances
every runnable frame through pure states until each one blocks on a command (a task to invoke, a
timer) or ends. Many pure transitions cost one call.

Nothing here reads a clock, draws a random number, generates an id or does I/O: time comes in as
``now_ms``, randomness is derived from the execution's identity, and I/O is described by the
returned commands, which a runtime carries out.

The snapshot passed to ``step`` is consumed: ``step`` may change it in place and returns the new
snapshot (possibly the same object). Callers that need the old one keep a copy.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import uuid
from collections import ChainMap, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, assert_never

from interpreter.core import errors as E
from interpreter.core import fanout
from interpreter.core import redrive as R
from interpreter.core import snapshot as S
from interpreter.core.context import execution_context, state_context
from interpreter.core.dataflow import DataFlow
from interpreter.core.errors import Failure
from interpreter.core.failures import CatchWith, RetryAfter, route_failure
from interpreter.core.history import (
    NOT_TRUNCATED,
    HistoryLimitReachedError,
    HistoryWriter,
    failure_details,
    payload_details,
    to_json_text,
)
from interpreter.core.messages import (
    Command,
    Event,
    InvokeTask,
    ItemsRead,
    ResultsWritten,
    TaskEvent,
)
from interpreter.core.surface import BLOCK, CONTINUE, Outcome
from interpreter.definition import model as M
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.limits import (
    MAX_EXECUTION_VARIABLES_BYTES,
    MAX_HISTORY_EVENTS,
    MAX_PAYLOAD_BYTES,
    MAX_VARIABLE_BYTES,
    MAX_WAIT_SECONDS,
    utf8_size,
)
from interpreter.query.errors import QueryRuntimeError

_HISTORY_LIMIT_CAUSE = (
    f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
)
#: History event prefix by task resource kind (service integrations use ``Task``).
_TASK_EVENT_PREFIXES = {"lambda_function": "LambdaFunction", "activity": "Activity"}
_RETRIABLE = (M.TaskState, M.ParallelState, M.MapState)
_TOO_DEEP_CAUSE = "A state's input or output is nested too deeply to be processed."


def _digest_stream(seed: str) -> Callable[[], bytes]:
    """Successive SHA-256 digests of ``seed|1``, ``seed|2``...: entropy that replays identically."""
    counter = itertools.count(1)
    return lambda: hashlib.sha256(f"{seed}|{next(counter)}".encode()).digest()


class Transition(NamedTuple):
    """What one call of :func:`start` or :func:`step` produced."""

    snapshot: S.Snapshot
    commands: list[Command]
    history: list[dict[str, Any]]


def start(
    machine: M.StateMachine,
    execution: Mapping[str, Any],
    now_ms: int,
) -> Transition:
    """Start an execution: emit ``ExecutionStarted`` and run until every frame blocks or ends.

    ``execution`` holds: ``arn``, ``name``, ``input`` (parsed JSON), ``role_arn``,
    ``state_machine_arn``, ``state_machine_name``, ``region``, ``account``, ``secret`` (a random
    string the runtime draws once; task tokens are derived from it) and ``start_ms``.
    """
    snapshot: S.Snapshot = {
        "format": S.FORMAT_VERSION,
        "status": S.RUNNING,
        "execution": dict(execution),
        "next_event_id": 1,
        "frames": {},
        "runnable": [],
        "waits": {},
        "output": None,
        "error": None,
        "cause": None,
        "stop_ms": None,
    }
    stepper = Stepper(machine, snapshot, now_ms)
    try:
        stepper.begin()
    except HistoryLimitReachedError:
        stepper.history_limit_reached()
    return stepper.finish()


def step(
    machine: M.StateMachine,
    snapshot: S.Snapshot,
    events: Iterable[Event],
    now_ms: int,
) -> Transition:
    """Deliver ``events`` (:data:`interpreter.core.messages.Event`) and advance the execution as
    far as it can go without I/O.

    An event whose key nobody waits for (late, duplicated, or for an aborted branch) is ignored.
    """
    stepper = Stepper(machine, snapshot, now_ms)
    if snapshot["status"] == S.RUNNING:
        try:
            for event in events:
                stepper.deliver(event)
                if snapshot["status"] != S.RUNNING:
                    break
            stepper.run()
        except HistoryLimitReachedError:
            stepper.history_limit_reached()
    return stepper.finish()


def redrive(machine: M.StateMachine, snapshot: S.Snapshot, now_ms: int) -> Transition:
    """Redrive an execution that ended unsuccessfully (RedriveExecution): emit
    ``ExecutionRedriven`` and resume every halted frame at the state where it stopped
    (:mod:`interpreter.core.redrive`), with the execution's timeout counted afresh.

    The snapshot must hold a halted frame tree (:func:`redrivable`); like ``step``, the call
    consumes the snapshot it is given.
    """
    halted = snapshot.pop("halted")
    execution = snapshot["execution"]
    execution["redrive_count"] = int(execution.get("redrive_count", 0)) + 1
    execution["redrive_ms"] = now_ms
    snapshot.update(status=S.RUNNING, output=None, error=None, cause=None, stop_ms=None)
    snapshot.update(frames={}, waits={}, runnable=[])
    snapshot.pop("output_text", None)
    stepper = Stepper(machine, snapshot, now_ms)
    try:
        stepper.resume(halted)
    except HistoryLimitReachedError:
        stepper.history_limit_reached()
    return stepper.finish()


def redrivable(snapshot: S.Snapshot) -> bool:
    """Whether the snapshot of an ended execution holds what a redrive resumes."""
    return snapshot.get("status") in S.REDRIVABLE and isinstance(snapshot.get("halted"), dict)


@dataclass(slots=True)
class _FrameCache:
    """Per-call caches that are derived from the snapshot, never stored in it."""

    scopes: dict[tuple[Any, ...], M.StateMachine] = field(default_factory=dict)
    #: The (sub-)machine each frame runs in; a frame never changes scope.
    frame_machines: dict[str, M.StateMachine] = field(default_factory=dict)
    variables: dict[str, Mapping[str, JSON]] = field(default_factory=dict)
    contexts: dict[str, tuple[tuple[int, int], dict[str, Any]]] = field(default_factory=dict)
    #: The last payload serialised for each frame: a state's output is the next one's input.
    texts: dict[str, tuple[JSON, str]] = field(default_factory=dict)


class Stepper:
    """One call of ``start``/``step``: owns the snapshot while it runs."""

    def __init__(self, machine: M.StateMachine, snapshot: S.Snapshot, now_ms: int) -> None:
        self.machine = machine
        self.snap = snapshot
        self.frames: dict[str, S.Frame] = snapshot["frames"]
        self.waits: dict[str, str] = snapshot["waits"]
        self.now_ms = now_ms
        self.history = HistoryWriter(snapshot["next_event_id"], now_ms)
        self.commands: list[Command] = []
        self.runnable: deque[str] = deque(snapshot["runnable"])
        self.execution = snapshot["execution"]
        self.exec_ctx, self.machine_ctx = execution_context(self.execution)
        self.cache = _FrameCache()
        self.cache.scopes[()] = machine
        self.flow = DataFlow(self)

    # ------------------------------------------------------------------ lifecycle

    def begin(self) -> None:
        execution = self.execution
        # AWS records the execution input exactly as StartExecution received it.
        input_text = execution.get("input_text") or to_json_text(execution["input"])
        details = payload_details("input", input_text)
        details["roleArn"] = execution["role_arn"]
        self.history.add("ExecutionStarted", 0, "executionStartedEventDetails", details)
        root = S.new_frame(S.ROOT_FRAME, None, [], self.machine.start_at, execution["input"], 0)
        if execution.get("input_text"):
            root["verbatim"] = True
        self.frames[S.ROOT_FRAME] = root
        self.runnable.append(S.ROOT_FRAME)
        if self.machine.timeout_seconds is not None:
            self._start_timer("execution-timeout", S.ROOT_FRAME, self.machine.timeout_seconds)
        self.run()

    def resume(self, halted: S.Frame) -> None:
        """Continue a redriven execution from its halted frame tree."""
        count = self.execution["redrive_count"]
        event_id = self.history.add(
            "ExecutionRedriven",
            self.history.next_id - 1,
            "executionRedrivenEventDetails",
            {"redriveCount": count},
        )
        self.snap["var_bytes"] = R.variable_bytes(halted)
        root = R.restore(halted, event_id)
        self.frames[S.ROOT_FRAME] = root
        self.runnable.append(S.ROOT_FRAME)
        if self.machine.timeout_seconds is not None:
            # The redrive guide: a redrive resets the state machine's timeout.
            self._start_timer("execution-timeout", S.ROOT_FRAME, self.machine.timeout_seconds)
        self.run()

    def finish(self) -> Transition:
        self.snap["next_event_id"] = self.history.next_id
        self.snap["runnable"] = list(self.runnable)
        return Transition(self.snap, self.commands, self.history.events)

    def run(self) -> None:
        """Advance runnable frames until all block or the execution ends."""
        runnable = self.runnable
        frames = self.frames
        while runnable and self.snap["status"] == S.RUNNING:
            frame = frames.get(runnable.popleft())
            if frame is not None:
                try:
                    self._advance(frame)
                except RecursionError:
                    # A payload nested deeper than any serialiser can walk: fail this thread of
                    # the execution with an ASL error instead of crashing the interpreter.
                    self._frame_failed(frame, Failure(E.RUNTIME, _TOO_DEEP_CAUSE))

    # ------------------------------------------------------------------ events in

    def deliver(self, event: Event) -> None:
        """Hand one event to the frame that waits for its key (or to the execution)."""
        if event["type"] == "stop":
            self._stop(event["error"], event["cause"])
            return
        if event["type"] == "update_map_run":
            fanout.update_map_run(self, event)
            return
        key = event["key"]
        if event["type"] == "timer" and key == "execution-timeout":
            if self.waits.pop(key, None) is not None:
                self._end_execution(
                    S.TIMED_OUT, "ExecutionTimedOut", "executionTimedOutEventDetails", None
                )
            return
        frame_id = self.waits.get(key)
        frame = self.frames.get(frame_id) if frame_id is not None else None
        if frame is None:
            return
        if event["type"] == "timer":
            self._on_timer(frame, key)
        elif event["type"] == "items_read" or event["type"] == "results_written":
            self._on_map_io(frame, key, event)
        else:
            self._on_task_event(frame, key, event)

    def _on_map_io(self, frame: S.Frame, key: str, event: ItemsRead | ResultsWritten) -> None:
        """A Distributed Map's reader or writer answered."""
        data = frame["data"] or {}
        if frame["phase"] != S.CHILDREN:
            return
        if event["type"] == "items_read":
            if data.get("reading") == key:
                fanout.items_read(self, frame, event)
        elif data.get("writing") == key:
            fanout.results_written(self, frame, event)

    def _on_timer(self, frame: S.Frame, key: str) -> None:
        del self.waits[key]
        phase = frame["phase"]
        if phase == S.WAIT and frame["pending"] == key:
            frame["pending"] = None
            state = self.state_of(frame)
            self.exit_state(frame, state, frame["data"]["output"], frame["data"].get("assigned"))
            self.schedule(frame)
        elif phase == S.RETRY and frame["pending"] == key:
            frame["pending"] = None
            frame["phase"] = S.ENTER
            frame["data"] = {"retrying": True}
            self.schedule(frame)
        elif phase == S.TASK and frame["data"] is not None:
            task = frame["data"]
            if key in (task.get("timeout_key"), task.get("heartbeat_key")):
                self._task_timed_out(frame, task)

    def schedule(self, frame: S.Frame) -> None:
        self.runnable.append(frame["id"])

    # ------------------------------------------------------------------ the frame loop

    def _advance(self, frame: S.Frame) -> None:
        while self.snap["status"] == S.RUNNING:
            phase = frame["phase"]
            if phase != S.ENTER:
                return
            state = self.state_of(frame)
            data = frame["data"]
            if data is not None and data.get("retrying"):
                frame["data"] = None
                outcome = self._run_body(frame, state)
            else:
                outcome = self._enter(frame, state)
            if outcome.kind == "fail":
                assert outcome.failure is not None
                self.fail_state(frame, state, outcome.failure)
            elif outcome.kind == "block":
                return
            if frame["phase"] == S.DONE or frame["id"] not in self.frames:
                return

    def _scope_machine(self, frame: S.Frame) -> M.StateMachine:
        machine = self.cache.frame_machines.get(frame["id"])
        if machine is not None:
            return machine
        key = tuple(frame["scope"])
        machine = self.cache.scopes.get(key)
        if machine is None:
            machine = self.machine
            scope = frame["scope"]
            for position in range(0, len(scope), 2):
                outer = machine.states[scope[position]]
                if isinstance(outer, M.ParallelState):
                    machine = outer.branches[scope[position + 1]]
                else:
                    assert isinstance(outer, M.MapState)
                    assert outer.processor is not None
                    machine = outer.processor
            self.cache.scopes[key] = machine
        self.cache.frame_machines[frame["id"]] = machine
        return machine

    def state_of(self, frame: S.Frame) -> M.State:
        machine = self.cache.frame_machines.get(frame["id"]) or self._scope_machine(frame)
        return machine.states[frame["state"]]

    def _enter(self, frame: S.Frame, state: M.State) -> Outcome:
        frame["entered_prev"] = frame["cursor"]
        frame["entered"] = self.emit(
            frame,
            state.entered_event,
            "stateEnteredEventDetails",
            {
                "name": state.name,
                "input": self.json_text(frame, frame["input"]),
                "inputDetails": {"truncated": False},
            },
        )
        frame["entered_ms"] = self.now_ms
        if frame["retries"]:
            frame["retries"] = 0
        if frame["attempts"]:
            frame["attempts"] = []
        return self._run_body(frame, state)

    def _run_body(self, frame: S.Frame, state: M.State) -> Outcome:
        try:
            handler = _HANDLERS[type(state)]
            return handler(self, frame, state)
        except QueryRuntimeError as problem:
            return Outcome("fail", self.query_failure(frame, state, problem))

    def query_failure(self, frame: S.Frame, state: M.State, problem: QueryRuntimeError) -> Failure:
        cause = problem.detail
        if problem.with_state_prefix:
            cause = E.state_runtime_cause(state.name, frame["entered"], cause)
        if problem.location is not None or problem.error == E.QUERY_EVALUATION_ERROR:
            details = {"error": problem.error, "cause": cause, "state": state.name}
            if problem.location is not None:
                details["location"] = problem.location
            previous = frame["cursor"] if isinstance(state, M.WaitState) else frame["entered_prev"]
            if not frame.get("silent"):
                frame["cursor"] = self.history.add(
                    "EvaluationFailed", previous, "evaluationFailedEventDetails", details
                )
        return Failure(problem.error, cause)

    # ------------------------------------------------------------------ history helpers

    def emit(
        self,
        frame: S.Frame,
        event_type: str,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        advance: bool = True,
    ) -> int:
        if frame.get("silent"):
            # A Distributed Map's iterations run as child executions: their events are not
            # part of this execution's history.
            return 0
        event_id = self.history.add(event_type, frame["cursor"], details_key, details)
        if advance:
            frame["cursor"] = event_id
        return event_id

    def exit_state(
        self,
        frame: S.Frame,
        state: M.State,
        output: JSON,
        assigned: Mapping[str, JSON] | None,
    ) -> None:
        """Emit ``*StateExited``, apply assigned variables, and move to the next state."""
        self._leave(frame, state, output, assigned, state.next, state.end, retriable=True)

    def _leave(
        self,
        frame: S.Frame,
        state: M.State,
        output: JSON,
        assigned: Mapping[str, JSON] | None,
        next_state: str | None,
        end: bool,
        *,
        retriable: bool,
    ) -> None:
        """Check the output and the assignments against AWS's limits, record the state's exit,
        apply the assignments and move on. A limit exceeded fails the state (through Retry and
        Catch when ``retriable``, else it fails the frame: a Catcher's own output)."""
        output_text = self.json_text(frame, output)
        failure = None
        if len(output_text) > MAX_PAYLOAD_BYTES // 4 and utf8_size(output_text) > MAX_PAYLOAD_BYTES:
            failure = self._data_limit_failure(state.name)
        details: dict[str, Any] = {"name": state.name}
        texts: dict[str, str] = {}
        if failure is None and assigned:
            texts = {name: to_json_text(value) for name, value in assigned.items()}
            failure = self._variables_limit_failure(frame, texts)
        if failure is not None:
            if retriable:
                self.fail_state(frame, state, failure)
            else:
                self._frame_failed(frame, failure)
            return
        if assigned:
            details["assignedVariables"] = texts
            details["assignedVariablesDetails"] = dict(NOT_TRUNCATED)
            self._assign(frame, assigned, texts)
        details["output"] = output_text
        details["outputDetails"] = {"truncated": False}
        self.emit(frame, state.exited_event, "stateExitedEventDetails", details)
        self._goto(frame, next_state, output, end=end)

    def _goto(self, frame: S.Frame, next_state: str | None, output: JSON, *, end: bool) -> None:
        if frame["attempts"]:
            frame["attempts"] = []
        frame["data"] = None
        if end or next_state is None:
            self._frame_succeeded(frame, output)
        else:
            if frame.get("verbatim") and output is not frame["input"]:
                frame["verbatim"] = False
            frame["state"] = next_state
            frame["input"] = output
            frame["phase"] = S.ENTER

    def _data_limit_failure(self, label: str) -> Failure:
        return Failure(E.DATA_LIMIT_EXCEEDED, E.data_limit_cause(label))

    def json_text(self, frame: S.Frame, value: JSON) -> str:
        """``value`` as compact JSON text; the frame's last one is remembered (values are never
        mutated in place, so the same object always has the same text)."""
        cached = self.cache.texts.get(frame["id"])
        if cached is not None and cached[0] is value:
            return cached[1]
        if frame.get("verbatim") and value is frame["input"]:
            # AWS keeps a payload's text until a state changes it: the execution input passed
            # on untouched is recorded as it was submitted. The flag (not object identity)
            # survives a snapshot stored and reloaded between steps.
            return str(self.execution["input_text"])
        return self.text_of(frame["id"], value)

    def text_of(self, frame_id: str, value: JSON) -> str:
        """:meth:`json_text` by frame id (the frame may have ended in this call)."""
        cached = self.cache.texts.get(frame_id)
        if cached is not None and cached[0] is value:
            return cached[1]
        if value is self.execution["input"] and self.execution.get("input_text"):
            return str(self.execution["input_text"])
        text = to_json_text(value)
        self.cache.texts[frame_id] = (value, text)
        return text

    def remember_text(self, frame_id: str, value: JSON, text: str) -> None:
        """Remember that ``value`` of ``frame_id`` serialises as ``text``."""
        self.cache.texts[frame_id] = (value, text)

    # ------------------------------------------------------------------ variables

    def variables(self, frame: S.Frame) -> Mapping[str, JSON]:
        """The variables visible in ``frame``: its own, then its ancestors'."""
        cached = self.cache.variables.get(frame["id"])
        if cached is not None:
            return cached
        parent_id = frame["parent"]
        own: dict[str, JSON] = frame["vars"]
        visible: Mapping[str, JSON]
        if parent_id is None or parent_id not in self.frames or frame.get("isolated"):
            visible = own
        else:
            visible = ChainMap(own, self.variables(self.frames[parent_id]))  # type: ignore[arg-type]
        self.cache.variables[frame["id"]] = visible
        return visible

    def _variables_limit_failure(self, frame: S.Frame, texts: Mapping[str, str]) -> Failure | None:
        """AWS's limits on variables: 256 KiB per value and per Assign, 10 MiB per execution."""
        sizes = {name: utf8_size(text) for name, text in texts.items()}
        for name, size in sizes.items():
            if size > MAX_VARIABLE_BYTES:
                return Failure(
                    E.DATA_LIMIT_EXCEEDED,
                    f"The value assigned to the variable '{name}' exceeds the maximum size of "
                    f"{MAX_VARIABLE_BYTES} bytes.",
                )
        if sum(sizes.values()) > MAX_VARIABLE_BYTES:
            return Failure(
                E.DATA_LIMIT_EXCEEDED,
                f"The variables assigned by one state exceed the maximum size of "
                f"{MAX_VARIABLE_BYTES} bytes.",
            )
        known: dict[str, int] = frame.setdefault("var_sizes", {})
        growth = sum(size - known.get(name, 0) for name, size in sizes.items())
        if self.snap.get("var_bytes", 0) + growth > MAX_EXECUTION_VARIABLES_BYTES:
            return Failure(
                E.DATA_LIMIT_EXCEEDED,
                "The variables of the execution exceed the maximum size of "
                f"{MAX_EXECUTION_VARIABLES_BYTES} bytes.",
            )
        return None

    def _assign(
        self, frame: S.Frame, assigned: Mapping[str, JSON], texts: Mapping[str, str]
    ) -> None:
        known: dict[str, int] = frame.setdefault("var_sizes", {})
        total = self.snap.get("var_bytes", 0)
        for name, text in texts.items():
            size = utf8_size(text)
            total += size - known.get(name, 0)
            known[name] = size
        self.snap["var_bytes"] = total
        frame["vars"].update(assigned)

    def forget_frame(self, frame: S.Frame) -> None:
        """A frame ended: its variables no longer count toward the execution's total, and
        nothing cached about it is needed again."""
        sizes = frame.get("var_sizes")
        if sizes:
            self.snap["var_bytes"] = self.snap.get("var_bytes", 0) - sum(sizes.values())
        self.cache.variables.pop(frame["id"], None)

    # ------------------------------------------------------------------ context and entropy

    def context(self, frame: S.Frame, state: M.State, **extra: Any) -> dict[str, Any]:
        """The context object for ``state`` running in ``frame`` (shared while it is current)."""
        # Only states that can retry carry State.RetryCount (as AWS's context objects show).
        retries = frame["retries"] if isinstance(state, _RETRIABLE) else None
        if extra:
            return state_context(
                self.exec_ctx, self.machine_ctx, state.name, frame["entered_ms"], retries, **extra
            )
        identity = (frame["entered"], frame["retries"])
        cached = self.cache.contexts.get(frame["id"])
        if cached is not None and cached[0] == identity:
            return cached[1]
        context = state_context(
            self.exec_ctx, self.machine_ctx, state.name, frame["entered_ms"], retries
        )
        self.cache.contexts[frame["id"]] = (identity, context)
        return context

    def _entropy_seed(self, frame: S.Frame) -> str:
        return f"{self.execution['arn']}|{frame['id']}|{frame['entered']}|{frame['retries']}"

    def uuid_source(self, frame: S.Frame, salt: str = "") -> Callable[[], str]:
        """Deterministic version-4 UUIDs for one state entry (replays reproduce them); a
        ``salt`` starts another stream for the same entry."""
        digests = _digest_stream(self._entropy_seed(frame) + salt)
        return lambda: str(uuid.UUID(bytes=digests()[:16], version=4))

    def random_source(self, frame: S.Frame) -> Callable[[], float]:
        """Deterministic floats in [0, 1) for one state entry."""
        digests = _digest_stream(self._entropy_seed(frame) + "|r")
        return lambda: int.from_bytes(digests()[:7], "big") / float(1 << 56)

    def task_token(self, key: str) -> str:
        """An unguessable token bound to one task attempt (HMAC of its key)."""
        secret = str(self.execution.get("secret", "")).encode()
        mac = hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()
        return f"{mac}{key.encode().hex()}"

    # ------------------------------------------------------------------ timers and tasks

    def _start_timer(self, key: str, frame_id: str, seconds: float) -> None:
        self.waits[key] = frame_id
        at_ms = self.now_ms + round(seconds * 1000)
        self.commands.append({"type": "timer", "key": key, "at_ms": at_ms})

    def task_key(self, frame: S.Frame) -> str:
        """The idempotency key of the current task attempt: execution, frame, state, entry, try."""
        return f"{frame['id']}/{frame['state']}/{frame['entered']}/{frame['retries']}"

    def _on_task_event(self, frame: S.Frame, key: str, event: TaskEvent) -> None:
        task = frame["data"]
        if frame["phase"] != S.TASK or task is None or task.get("key") != key:
            return
        state = self.state_of(frame)
        assert isinstance(state, M.TaskState)
        resource = state.resource
        if event["type"] == "task_heartbeat":
            if task.get("heartbeat_key"):
                self.waits.pop(task["heartbeat_key"], None)
                self._start_timer(task["heartbeat_key"], frame["id"], task["heartbeat"])
            return
        if event["type"] == "activity_scheduled":
            details = task.pop("scheduled_details", None)
            if details is not None:
                self.emit(frame, "ActivityScheduled", "activityScheduledEventDetails", details)
            return
        if event["type"] == "task_started":
            details = task.pop("scheduled_details", None)
            if details is not None:
                # A worker took the task before the runtime's word that it was scheduled came
                # in: it was scheduled all the same, and history says so first.
                self.emit(frame, "ActivityScheduled", "activityScheduledEventDetails", details)
            worker = event.get("worker_name")
            started = {"workerName": worker} if isinstance(worker, str) else {}
            self.emit(frame, "ActivityStarted", "activityStartedEventDetails", started)
            return
        if event["type"] == "task_submitted":
            self.emit(
                frame,
                "TaskSubmitted",
                "taskSubmittedEventDetails",
                {
                    "resourceType": resource.resource_type,
                    "resource": resource.resource,
                    **payload_details("output", to_json_text(event["output"])),
                },
            )
            return
        self._clear_task_waits(task)
        if event["type"] == "task_succeeded":
            output = event["output"]
            output_text = to_json_text(output)
            if utf8_size(output_text) > MAX_PAYLOAD_BYTES:
                failure = self._data_limit_failure(resource.data_limit_label)
                self._task_failed_events(frame, resource, failure)
                self.fail_state(frame, state, failure)
            else:
                self._task_succeeded_events(frame, resource, output_text)
                self._finish_task(frame, state, output)
        elif event["type"] == "task_failed":
            if "scheduled_details" in task:
                # An activity task that could not be scheduled (the activity does not exist):
                # the state fails with the runtime's error before any Activity event, as AWS
                # records it.
                detail = str(event["cause"])
                cause = E.state_runtime_cause(state.name, frame["entered"], detail)
                self.fail_state(frame, state, Failure(event["error"], cause))
            else:
                failure = Failure(event["error"], event["cause"])
                self._task_failed_events(frame, resource, failure)
                self.fail_state(frame, state, failure)
        else:
            assert_never(event)
        self.schedule(frame)

    def release_waits(self, frame: S.Frame) -> None:
        """Forget whatever ``frame`` waits for (its results and timers become stale)."""
        if frame["pending"]:
            self.waits.pop(frame["pending"], None)
        if frame["phase"] == S.TASK and frame["data"] is not None:
            self._clear_task_waits(frame["data"])

    def _clear_task_waits(self, task: Mapping[str, Any]) -> None:
        for name in ("key", "timeout_key", "heartbeat_key"):
            key = task.get(name)
            if key:
                self.waits.pop(key, None)

    def _task_timed_out(self, frame: S.Frame, task: dict[str, Any]) -> None:
        self._clear_task_waits(task)
        state = self.state_of(frame)
        assert isinstance(state, M.TaskState)
        failure = Failure(E.TIMEOUT, None)
        details = failure_details(failure.error, failure.cause)
        self._task_event(frame, state.resource, "TimedOut", details)
        self.fail_state(frame, state, failure)
        self.schedule(frame)

    def _task_event(
        self, frame: S.Frame, resource: TaskResource, outcome: str, details: dict[str, Any]
    ) -> None:
        """Record a task's ``Succeeded``/``Failed``/``TimedOut`` event for its resource kind.

        Lambda function ARNs record ``LambdaFunction*`` events, activities ``Activity*``,
        service integrations ``Task*`` with the resource's type and name added.
        """
        prefix = _TASK_EVENT_PREFIXES.get(resource.kind, "Task")
        event_type = prefix + outcome
        if prefix == "Task":
            details = {
                "resourceType": resource.resource_type,
                "resource": resource.resource,
                **details,
            }
        details_key = event_type[0].lower() + event_type[1:] + "EventDetails"
        self.emit(frame, event_type, details_key, details)

    def _task_succeeded_events(self, frame: S.Frame, resource: TaskResource, text: str) -> None:
        self._task_event(frame, resource, "Succeeded", payload_details("output", text))

    def _task_failed_events(self, frame: S.Frame, resource: TaskResource, failure: Failure) -> None:
        self._task_event(frame, resource, "Failed", failure_details(failure.error, failure.cause))

    def _finish_task(self, frame: S.Frame, state: M.TaskState, result: JSON) -> None:
        try:
            output, assigned = self.flow.state_result(frame, state, frame["input"], result)
        except QueryRuntimeError as problem:
            self.fail_state(frame, state, self.query_failure(frame, state, problem))
            return
        frame["data"] = None
        frame["phase"] = S.ENTER
        self.exit_state(frame, state, output, assigned)

    # ------------------------------------------------------------------ failure routing

    def fail_state(self, frame: S.Frame, state: M.State, failure: Failure) -> None:
        """Route a state's failure through Retry, then Catch, then fail the frame."""
        attempts: list[int] = frame["attempts"]
        seed = f"{self.execution['arn']}|{self.task_key(frame)}"
        route = route_failure(state, failure.error, attempts, seed)
        # What a Parallel or Map state kept for a redrive matters only if the failure ends the
        # frame: a retry or a catch starts afresh.
        resume = frame.pop("resume", None)
        if isinstance(route, RetryAfter):
            retriers: tuple[M.Retrier, ...] = getattr(state, "retry", ())
            while len(attempts) < len(retriers):
                attempts.append(0)
            attempts[route.retrier] += 1
            frame["retries"] += 1
            self._retry_after(frame, route.delay_seconds)
            return
        terminal = not isinstance(route, CatchWith) and route.terminal
        if isinstance(state, (M.MapState, M.ParallelState)) and not terminal:
            self.emit(frame, state.type + "StateFailed")
        if isinstance(route, CatchWith):
            catchers: tuple[M.Catcher, ...] = getattr(state, "catch", ())
            self._catch(frame, state, catchers[route.catcher], failure)
            return
        if resume is not None:
            frame["resume"] = resume
        self._frame_failed(frame, failure)

    def _retry_after(self, frame: S.Frame, delay_seconds: float) -> None:
        frame["data"] = {"retrying": True}
        if delay_seconds <= 0:
            frame["phase"] = S.ENTER
            self.schedule(frame)
            return
        key = f"{self.task_key(frame)}/retry"
        frame["phase"] = S.RETRY
        frame["pending"] = key
        self._start_timer(key, frame["id"], delay_seconds)

    def _catch(self, frame: S.Frame, state: M.State, catcher: M.Catcher, failure: Failure) -> None:
        try:
            output, assigned = self.flow.catch_output(frame, state, catcher, failure)
        except QueryRuntimeError as problem:
            self._frame_failed(frame, self.query_failure(frame, state, problem))
            return
        frame["phase"] = S.ENTER
        self._leave(frame, state, output, assigned, catcher.next, False, retriable=False)
        self.schedule(frame)

    # ------------------------------------------------------------------ frames ending

    def _frame_succeeded(self, frame: S.Frame, output: JSON) -> None:
        frame["phase"] = S.DONE
        if frame["parent"] is None:
            text = self.json_text(frame, output)
            details = payload_details("output", text)
            self.snap["output"] = output
            self.snap["output_text"] = text
            self._end_execution(
                S.SUCCEEDED, "ExecutionSucceeded", "executionSucceededEventDetails", details
            )
            return
        fanout.child_succeeded(self, frame, output)

    def _frame_failed(self, frame: S.Frame, failure: Failure) -> None:
        frame["phase"] = S.DONE
        if frame["parent"] is None:
            self.snap["error"] = failure.error
            self.snap["cause"] = failure.cause
            self._end_execution(
                S.FAILED,
                "ExecutionFailed",
                "executionFailedEventDetails",
                failure_details(failure.error, failure.cause),
            )
            return
        fanout.child_failed(self, frame, failure)

    def _end_execution(
        self, status: str, event_type: str, details_key: str, details: dict[str, Any] | None
    ) -> None:
        root = self.frames.get(S.ROOT_FRAME)
        previous = root["cursor"] if root is not None else 0
        self.history.add(event_type, previous, details_key, details)
        self.snap["status"] = status
        self.snap["stop_ms"] = self.now_ms
        for run in (self.snap.get("map_runs") or {}).values():
            if run["status"] == "RUNNING":
                # The execution ended around a running Map Run (stopped, timed out, failed).
                run["status"] = "ABORTED"
                run["stop_ms"] = self.now_ms
                for counts in (run["executions"], run["items"]):
                    counts["aborted"] += counts["running"] + counts["pending"]
                    counts["running"] = counts["pending"] = 0
        self._keep_halted()
        self.snap["frames"] = {}
        self.frames = self.snap["frames"]
        self.snap["waits"] = {}
        self.waits = self.snap["waits"]
        self.runnable.clear()

    def _keep_halted(self) -> None:
        """An execution that did not succeed keeps what a redrive resumes: its frames as they
        stopped (:mod:`interpreter.core.redrive`)."""
        root = self.frames.get(S.ROOT_FRAME)
        if self.snap["status"] != S.SUCCEEDED and root is not None:
            self.snap["halted"] = R.halt(self.frames, root)

    def history_limit_reached(self) -> None:
        """End the execution: its history is full (AWS's hard limit of 25,000 events)."""
        failure = Failure(E.RUNTIME, _HISTORY_LIMIT_CAUSE)
        self.snap["error"] = failure.error
        self.snap["cause"] = failure.cause
        self.snap["status"] = S.FAILED
        self.snap["stop_ms"] = self.now_ms
        self.history.add(
            "ExecutionFailed",
            self.history.next_id - 1,
            "executionFailedEventDetails",
            failure_details(failure.error, failure.cause),
        )
        self.snap["frames"] = {}
        self.frames = self.snap["frames"]
        self.snap["waits"] = {}
        self.waits = self.snap["waits"]
        self.runnable.clear()

    def _stop(self, error: str | None, cause: str | None) -> None:
        self.snap["error"] = error
        self.snap["cause"] = cause
        self.history.add(
            "ExecutionAborted", 0, "executionAbortedEventDetails", failure_details(error, cause)
        )
        self.snap["status"] = S.ABORTED
        self.snap["stop_ms"] = self.now_ms
        self._keep_halted()
        self.snap["frames"] = {}
        self.frames = self.snap["frames"]
        self.snap["waits"] = {}
        self.waits = self.snap["waits"]
        self.runnable.clear()

    # ------------------------------------------------------------------ pure states

    def run_pass(self, frame: S.Frame, state: M.PassState) -> Outcome:
        output, assigned = self.flow.pass_output(frame, state)
        self._leave(frame, state, output, assigned, state.next, state.end, retriable=True)
        return CONTINUE

    def run_succeed(self, frame: S.Frame, state: M.SucceedState) -> Outcome:
        output, assigned = self.flow.plain_output(frame, state)
        self.exit_state(frame, state, output, assigned)
        return CONTINUE

    def run_fail(self, frame: S.Frame, state: M.FailState) -> Outcome:
        error, cause = self.flow.fail_error_and_cause(frame, state)
        self._frame_failed(frame, Failure(error, cause))
        return CONTINUE

    def run_choice(self, frame: S.Frame, state: M.ChoiceState) -> Outcome:
        next_state, output, assigned = self.flow.choose(frame, state)
        if next_state is None:
            return Outcome(
                "fail",
                Failure(
                    E.NO_CHOICE_MATCHED,
                    E.state_runtime_cause(
                        state.name,
                        frame["entered"],
                        "Failed to transition out of the state. "
                        "The state does not point to a next state.",
                    ),
                ),
            )
        self._leave(frame, state, output, assigned, next_state, False, retriable=True)
        return CONTINUE

    def run_wait(self, frame: S.Frame, state: M.WaitState) -> Outcome:
        until_ms, output, assigned = self.flow.wait_until(frame, state)
        delay_ms = until_ms - self.now_ms
        if delay_ms > MAX_WAIT_SECONDS * 1000:
            raise QueryRuntimeError(E.RUNTIME, "Wait state delay is too long.")
        if delay_ms <= 0:
            self.exit_state(frame, state, output, assigned)
            return CONTINUE
        key = f"{self.task_key(frame)}/wait"
        frame["phase"] = S.WAIT
        frame["pending"] = key
        frame["data"] = {"output": output, "assigned": assigned}
        self._start_timer(key, frame["id"], delay_ms / 1000)
        return BLOCK

    # ------------------------------------------------------------------ Task

    def run_task(self, frame: S.Frame, state: M.TaskState) -> Outcome:
        resource = state.resource
        key = self.task_key(frame)
        token = self.task_token(key) if resource.waits_for_task_token else None
        resource_arn, payload, timeout, heartbeat, credentials = self.flow.task_request(
            frame, state, token
        )
        task: dict[str, Any] = {
            "key": key,
            "resource": resource_arn,
            "timeout_key": None,
            "heartbeat_key": None,
            "heartbeat": heartbeat,
        }
        if resource.kind == "activity":
            # ActivityScheduled is recorded when the runtime has queued the task for its
            # workers: a missing activity fails the state without it.
            details = {"resource": resource.arn, **payload_details("input", to_json_text(payload))}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            task["scheduled_details"] = details
        else:
            self._task_scheduled_events(frame, resource, payload, timeout, heartbeat, credentials)
        frame["phase"] = S.TASK
        frame["data"] = task
        self.waits[key] = frame["id"]
        command: InvokeTask = {
            "type": "invoke",
            "key": key,
            "resource": resource_arn,
            "input": payload,
            "state": state.name,
            "frame": frame["id"],
            "execution": self.execution["arn"],
        }
        if timeout is not None:
            command["timeout_seconds"] = timeout
            task["timeout_key"] = key + "/timeout"
            self._start_timer(task["timeout_key"], frame["id"], timeout)
        if heartbeat is not None:
            command["heartbeat_seconds"] = heartbeat
            if resource.waits_for_task_token or resource.kind == "activity":
                # Only workers that can call SendTaskHeartbeat (callbacks, activities) are held
                # to it; a request-response call has no way to send one.
                task["heartbeat_key"] = key + "/heartbeat"
                self._start_timer(task["heartbeat_key"], frame["id"], heartbeat)
        if token is not None:
            command["task_token"] = token
        elif resource.kind == "activity":
            # A worker answers an activity task with the token GetActivityTask gave it.
            command["task_token"] = self.task_token(key)
            command["activity"] = True
        if credentials is not None:
            command["credentials"] = credentials
        self.commands.append(command)
        return BLOCK

    def _task_scheduled_events(
        self,
        frame: S.Frame,
        resource: TaskResource,
        payload: JSON,
        timeout: int | None,
        heartbeat: int | None,
        credentials: JSON,
    ) -> None:
        task_credentials = None
        if isinstance(credentials, dict) and isinstance(credentials.get("RoleArn"), str):
            task_credentials = {"roleArn": credentials["RoleArn"]}
        if resource.kind == "lambda_function":
            details = {"resource": resource.arn, **payload_details("input", to_json_text(payload))}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if task_credentials is not None:
                details["taskCredentials"] = task_credentials
            self.emit(
                frame, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", details
            )
            self.emit(frame, "LambdaFunctionStarted")
            return
        details = {
            "resourceType": resource.resource_type,
            "resource": resource.resource,
            "region": resource.region_or(self.execution["region"]),
            "parameters": to_json_text(payload),
        }
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            details["heartbeatInSeconds"] = heartbeat
        if task_credentials is not None:
            details["taskCredentials"] = task_credentials
        self.emit(frame, "TaskScheduled", "taskScheduledEventDetails", details)
        self.emit(
            frame,
            "TaskStarted",
            "taskStartedEventDetails",
            {"resourceType": resource.resource_type, "resource": resource.resource},
        )

    # ------------------------------------------------------------------ Parallel and Map

    def run_parallel(self, frame: S.Frame, state: M.ParallelState) -> Outcome:
        return fanout.start_parallel(self, frame, state)

    def run_map(self, frame: S.Frame, state: M.MapState) -> Outcome:
        return fanout.start_map(self, frame, state)


_HANDLERS: dict[type, Callable[[Stepper, S.Frame, Any], Outcome]] = {
    M.PassState: Stepper.run_pass,
    M.TaskState: Stepper.run_task,
    M.ChoiceState: Stepper.run_choice,
    M.WaitState: Stepper.run_wait,
    M.SucceedState: Stepper.run_succeed,
    M.FailState: Stepper.run_fail,
    M.ParallelState: Stepper.run_parallel,
    M.MapState: Stepper.run_map,
}
