"""Run executions in-process: the engine driven to completion on a virtual or a real clock.

The driver owns a queue of future events (task results, timer firings) ordered by due time. It
starts the execution, carries out the commands each transition returns, and feeds due events back
into :func:`interpreter.core.engine.step` until the execution ends. On the virtual clock, time
jumps to the next due event, so a one-day Wait or a long retry back-off costs nothing.
"""

from __future__ import annotations

import heapq
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from interpreter import arns
from interpreter.core import snapshot as S
from interpreter.core.engine import Transition, start, step
from interpreter.core.messages import Command, Event, StopRequested
from interpreter.core.timefmt import datetime_from_ms
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.runtime.callbacks import CallbackBoard
from interpreter.runtime.executions import new_execution
from interpreter.runtime.tasks import TaskRunner

EventListener = Callable[[Mapping[str, Any]], None]


#: Sees every call of the core: the events delivered (None for ``start``), the time, and what the
#: call produced. The snapshot in the transition is live: copy it to keep it.
TransitionRecorder = Callable[[list[Event] | None, int, Transition], None]


@dataclass(slots=True)
class ExecutionResult:
    """How an execution ended, in DescribeExecution's terms, with its history."""

    execution_arn: str
    name: str
    state_machine_arn: str
    status: str
    input: JSON
    output: JSON
    error: str | None
    cause: str | None
    start_ms: int
    stop_ms: int | None
    history: list[dict[str, Any]] = field(default_factory=list)

    #: The output as AWS returns it (JSON text; None unless SUCCEEDED).
    output_text: str | None = None

    def history_events(self) -> list[dict[str, Any]]:
        """The history with ``timestamp`` as an aware datetime, as GetExecutionHistory has it."""
        return [
            {**event, "timestamp": datetime_from_ms(event["timestamp"])} for event in self.history
        ]


#: Outcome events that happen when the task starts, not when it ends.
_AT_ONCE = frozenset({"task_submitted", "activity_scheduled", "task_started"})


class LocalRunner:
    """Runs state machines in-process with a task runner and a chosen clock.

    Build one with :func:`interpreter.app.local_runner` (local Lambda handlers, mocks, activity
    workers, child state machines, AWS services); ``tasks`` is the
    :class:`~interpreter.runtime.tasks.TaskRunner` that carries out every task command.
    ``callbacks`` is where its callback tasks wait for their tokens (a child execution it runs
    answers them: :mod:`interpreter.runtime.callbacks`).
    """

    def __init__(
        self,
        tasks: TaskRunner,
        *,
        clock: str = "virtual",
        region: str = "us-east-1",
        account: str = "123456789012",
        role_arn: str | None = None,
        start_ms: int | None = None,
        store_snapshots: bool = False,
        callbacks: CallbackBoard | None = None,
    ) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError("clock must be 'virtual' or 'real'")
        self.clock = clock
        self.callbacks = callbacks if callbacks is not None else CallbackBoard()
        self.region = region
        self.account = account
        self.role_arn = role_arn or arns.default_role_arn(account)
        self.tasks = tasks
        self._start_ms = start_ms
        # Round-trip every snapshot through JSON text between calls of the core, as a durable
        # store would: proves an execution resumes from nothing but its stored snapshot.
        self.store_snapshots = store_snapshots

    def _now_ms(self) -> int:
        return int(time.time() * 1000)

    def run(
        self,
        machine: M.StateMachine,
        execution_input: JSON,
        *,
        state_machine_name: str = "StateMachine",
        state_machine_arn: str | None = None,
        execution_name: str | None = None,
        execution_arn: str | None = None,
        input_text: str | None = None,
        on_event: EventListener | None = None,
        recorder: TransitionRecorder | None = None,
        start_ms: int | None = None,
    ) -> ExecutionResult:
        """Run one execution of ``machine`` to its end and return its result.

        ``input_text`` is the input exactly as submitted (history records it verbatim); by
        default it is ``execution_input`` serialised compactly. ``start_ms`` is when it starts
        (a child execution starts when its parent's Task starts it); by default the runner's
        start time, else now.
        """
        name = execution_name or str(uuid.uuid4())
        machine_arn = state_machine_arn or arns.state_machine_arn(
            self.region, self.account, state_machine_name
        )
        arn = execution_arn or arns.execution_arn(
            self.region, self.account, state_machine_name, name
        )
        if start_ms is None:
            start_ms = self._start_ms if self._start_ms is not None else self._now_ms()
        now_ms = start_ms
        execution = new_execution(
            arn=arn,
            name=name,
            execution_input=execution_input,
            input_text=input_text,
            start_ms=now_ms,
            role_arn=self.role_arn,
            state_machine_arn=machine_arn,
            state_machine_name=state_machine_name,
            region=self.region,
            account=self.account,
        )
        history: list[dict[str, Any]] = []
        agenda = _Agenda()

        def absorb(transition: Transition, events: list[Event] | None, now_ms: int) -> S.Snapshot:
            if recorder is not None:
                recorder(events, now_ms, transition)
            history.extend(transition.history)
            if on_event is not None:
                for event in transition.history:
                    on_event(event)
            for command in transition.commands:
                self._dispatch(command, now_ms, agenda)
            if agenda.inbox:
                agenda.deliver_callbacks()
            if self.store_snapshots:
                stored: S.Snapshot = json.loads(json.dumps(transition.snapshot))
                return stored
            return transition.snapshot

        try:
            snapshot = self._drive(machine, execution, absorb, agenda, now_ms)
        finally:
            self.callbacks.forget(agenda.tokens)
        return ExecutionResult(
            execution_arn=arn,
            name=name,
            state_machine_arn=machine_arn,
            status=snapshot["status"],
            input=execution_input,
            output=snapshot["output"],
            error=snapshot["error"],
            cause=snapshot["cause"],
            start_ms=execution["start_ms"],
            stop_ms=snapshot["stop_ms"],
            history=history,
            output_text=snapshot.get("output_text"),
        )

    def _drive(
        self,
        machine: M.StateMachine,
        execution: Any,
        absorb: Callable[[Transition, list[Event] | None, int], S.Snapshot],
        agenda: _Agenda,
        now_ms: int,
    ) -> S.Snapshot:
        """Start the execution and feed it its due events until it ends; its last snapshot."""
        due = agenda.due
        snapshot = absorb(start(machine, execution, now_ms), None, now_ms)
        while snapshot["status"] == S.RUNNING:
            if not due:
                # Nothing can ever wake this execution (e.g. a callback task nobody completes).
                stop: StopRequested = {
                    "type": "stop",
                    "error": "States.Runtime",
                    "cause": "The execution is waiting for an event that can never "
                    "arrive locally (a task token callback or an activity worker).",
                }
                snapshot = absorb(step(machine, snapshot, [stop], now_ms), [stop], now_ms)
                break
            next_due = due[0][0]
            if self.clock == "real":
                wait_ms = next_due - self._now_ms()
                if wait_ms > 0:
                    time.sleep(wait_ms / 1000)
                now_ms = max(now_ms, self._now_ms())
            else:
                now_ms = max(now_ms, next_due)
            batch = []
            while due and due[0][0] <= now_ms:
                at_ms, _, event = heapq.heappop(due)
                if event["type"] != "timer" or agenda.timers.get(event["key"]) == at_ms:
                    batch.append(event)
            if not batch:
                continue  # only superseded timers were due
            snapshot = absorb(step(machine, snapshot, batch, now_ms), batch, now_ms)
        return snapshot

    def _dispatch(self, command: Command, now_ms: int, agenda: _Agenda) -> None:
        if command["type"] == "timer":
            agenda.add_timer(command["key"], command["at_ms"])
        elif command["type"] == "read_items" or command["type"] == "write_results":
            agenda.add(now_ms, self.tasks.carry_out(command, self.region))
        elif command["type"] == "invoke":
            # Each state's invocations are numbered in order (mock test cases answer by number).
            invocations = agenda.invocations
            number = invocations.get(command["state"], 0)
            invocations[command["state"]] = number + 1
            if "task_token" in command and not command.get("activity"):
                # Before the task runs: a child execution it starts may answer at once.
                token = command["task_token"]
                self.callbacks.expect(token, command["key"], agenda.inbox)
                agenda.tokens.append(token)
            outcome = self.tasks.run({**command, "invocation": number}, now_ms)
            if self.clock == "real":
                finished_ms = max(now_ms, self._now_ms())
            else:
                finished_ms = now_ms + round(outcome.duration_seconds * 1000)
            for answer in outcome.events(command["key"]):
                agenda.add(now_ms if answer["type"] in _AT_ONCE else finished_ms, answer)
        else:
            assert_never(command)


class _Agenda:
    """One execution's future events (ordered by due time, then by arrival), its timers, the
    callbacks that arrived for it and not yet scheduled, its callback tokens, and its states'
    invocation counts."""

    __slots__ = ("_sequence", "due", "inbox", "invocations", "timers", "tokens")

    def __init__(self) -> None:
        self.due: list[tuple[int, int, Event]] = []
        #: When each timer is due: a timer started again (a heartbeat's) supersedes the first.
        self.timers: dict[str, int] = {}
        self.inbox: list[tuple[int, Event]] = []
        self.invocations: dict[str, int] = {}
        self.tokens: list[str] = []
        self._sequence = itertools.count()

    def add(self, at_ms: int, event: Event) -> None:
        """Deliver ``event`` at ``at_ms``."""
        heapq.heappush(self.due, (at_ms, next(self._sequence), event))

    def add_timer(self, key: str, at_ms: int) -> None:
        """Fire timer ``key`` at ``at_ms`` (and not when it was due before)."""
        self.timers[key] = at_ms
        self.add(at_ms, {"type": "timer", "key": key})

    def deliver_callbacks(self) -> None:
        """Schedule the callbacks that arrived (after what the task that let them arrive
        delivers, such as its TaskSubmitted)."""
        arrived, self.inbox[:] = list(self.inbox), []
        for at_ms, event in arrived:
            self.add(at_ms, event)
