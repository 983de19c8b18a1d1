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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from interpreter import arns
from interpreter.core import snapshot as S
from interpreter.core.engine import Transition, start, step
from interpreter.core.messages import Command, Event, StopRequested
from interpreter.core.timefmt import datetime_from_ms
from interpreter.definition import model as M
from interpreter.json_types import JSON
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
    workers, AWS services); ``tasks`` is the :class:`~interpreter.runtime.tasks.TaskRunner` that
    carries out every task command.
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
    ) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError("clock must be 'virtual' or 'real'")
        self.clock = clock
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
    ) -> ExecutionResult:
        """Run one execution of ``machine`` to its end and return its result.

        ``input_text`` is the input exactly as submitted (history records it verbatim); by
        default it is ``execution_input`` serialised compactly.
        """
        name = execution_name or str(uuid.uuid4())
        machine_arn = state_machine_arn or arns.state_machine_arn(
            self.region, self.account, state_machine_name
        )
        arn = execution_arn or arns.execution_arn(
            self.region, self.account, state_machine_name, name
        )
        now_ms = self._start_ms if self._start_ms is not None else self._now_ms()
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
        due: list[tuple[int, int, Event]] = []
        sequence = itertools.count()
        invocations: dict[str, int] = {}

        def absorb(transition: Transition, events: list[Event] | None) -> S.Snapshot:
            if recorder is not None:
                recorder(events, now_ms, transition)
            history.extend(transition.history)
            if on_event is not None:
                for event in transition.history:
                    on_event(event)
            for command in transition.commands:
                self._dispatch(command, now_ms, due, sequence, invocations)
            if self.store_snapshots:
                stored: S.Snapshot = json.loads(json.dumps(transition.snapshot))
                return stored
            return transition.snapshot

        snapshot = absorb(start(machine, execution, now_ms), None)
        while snapshot["status"] == S.RUNNING:
            if not due:
                # Nothing can ever wake this execution (e.g. a callback task nobody completes).
                stop: StopRequested = {
                    "type": "stop",
                    "error": "States.Runtime",
                    "cause": "The execution is waiting for an event that can never "
                    "arrive locally (a task token callback or an activity worker).",
                }
                snapshot = absorb(step(machine, snapshot, [stop], now_ms), [stop])
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
                batch.append(heapq.heappop(due)[2])
            snapshot = absorb(step(machine, snapshot, batch, now_ms), batch)
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

    def _dispatch(
        self,
        command: Command,
        now_ms: int,
        due: list[tuple[int, int, Event]],
        sequence: Iterable[int],
        invocations: dict[str, int],
    ) -> None:
        counter = iter(sequence)
        if command["type"] == "timer":
            timer: Event = {"type": "timer", "key": command["key"]}
            heapq.heappush(due, (command["at_ms"], next(counter), timer))
        elif command["type"] == "read_items" or command["type"] == "write_results":
            event = self.tasks.carry_out(command, self.region)
            heapq.heappush(due, (now_ms, next(counter), event))
        elif command["type"] == "invoke":
            # Each state's invocations are numbered in order (mock test cases answer by number).
            number = invocations.get(command["state"], 0)
            invocations[command["state"]] = number + 1
            outcome = self.tasks.run({**command, "invocation": number}, now_ms)
            if self.clock == "real":
                finished_ms = max(now_ms, self._now_ms())
            else:
                finished_ms = now_ms + round(outcome.duration_seconds * 1000)
            for answer in outcome.events(command["key"]):
                at = now_ms if answer["type"] in _AT_ONCE else finished_ms
                heapq.heappush(due, (at, next(counter), answer))
        else:
            assert_never(command)
