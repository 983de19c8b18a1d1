"""The durable runtime: a decider and a task runner over a store, a queue and a clock.

Two kinds of work message travel on one queue:

* ``{"kind": "decide", "arn"}`` — the *decider* loads the execution record and its inbox (task
  results, callbacks, a stop request) plus any timer that is due, calls the pure core's ``step``
  and **commits**: one compare-and-set write of the record with ``version + 1``. That write is
  the only commit point. Writing the new history events to where history is read, and deleting
  the consumed inbox entries, are idempotent follow-ups repeated by the next decision if a crash
  interrupted them. Then it dispatches: a ``task`` message per invocation, a delayed ``decide``
  for the earliest timer (re-armed if it is further away than the queue can delay).
* ``{"kind": "task", "arn", "key", "command"}`` — the *task runner* invokes the resource (at
  least once; the key is the idempotency key), puts the outcome into the inbox under the task's
  key (first write wins) and sends a ``decide``.

A duplicated or late message is a no-op: the snapshot knows which task attempt and which timer it
waits for. A transition happens once (the compare-and-set); a crash anywhere loses nothing,
because the record holds the timers and the dispatched tasks, and :meth:`DurableRuntime.sweep`
re-sends what a crash between commit and send may have lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interpreter.core import snapshot as S
from interpreter.core.engine import Transition, start, step
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.model import StateMachine as CompiledStateMachine
from interpreter.json_types import JSON
from interpreter.runtime.local import LocalTaskRunner, io_command_event
from interpreter.runtime.ports import Clock, ExecutionRecord, Queue, StateMachineRecord, Store

_log = logging.getLogger("interpreter.runtime.durable")
#: Receives an execution's record and the history events one commit wrote (read-only).
HistoryListener = Callable[[ExecutionRecord, Sequence[Mapping[str, Any]]], None]

#: The longest delay SQS accepts; longer timers re-arm themselves.
MAX_QUEUE_DELAY_MS = 900_000
#: Compare-and-set retries of one decision before the message goes back to the queue.
COMMIT_ATTEMPTS = 5
#: How long a task may stay unanswered before its message is presumed lost and sent again:
#: longer than the work queue's redelivery (SQS visibility timeout, 90 minutes in
#: template.yaml), so a task that is merely slow or being redelivered is not sent twice.
REDISPATCH_AFTER_MS = 2 * 3_600_000


#: Commands a task message carries out, and the events that answer them (an answered one is done).
_WORK = ("invoke", "read_items", "write_results")
_ANSWERS = ("task_succeeded", "task_failed", "items_read", "results_written")
#: Order of delivery for events that reached the inbox before one decision took them.
_DELIVERY_ORDER = {
    "activity_scheduled": 0,
    "task_submitted": 0,
    "task_started": 1,
    "task_heartbeat": 2,
    "task_succeeded": 3,
    "task_failed": 3,
}
#: Events that precede a task's answer, each under its own inbox key.
_STEP_SUFFIXES = {
    "task_submitted": "#submitted",
    "activity_scheduled": "#scheduled",
    "task_started": "#started",
}


def _inbox_key(key: str, event: Mapping[str, Any]) -> str:
    # A callback or activity task has several outcomes under one key: its submission (or
    # scheduling and start), then its answer.
    return key + _STEP_SUFFIXES.get(str(event.get("type")), "")


class ExecutionAlreadyExistsError(Exception):
    """StartExecution with a name in use, and a different input or a closed execution."""


class ExecutionDoesNotExistError(LookupError):
    """No execution with this ARN."""


class TaskTokenError(LookupError):
    """A callback token that names no waiting task."""


@dataclass(frozen=True, slots=True)
class _Identity:
    account: str
    region: str


class DurableRuntime:
    """Starts, advances and stops executions through the ports; one instance per deployment."""

    def __init__(
        self,
        store: Store,
        queue: Queue,
        clock: Clock,
        tasks: LocalTaskRunner,
        *,
        account: str = "123456789012",
        region: str = "us-east-1",
        redispatch_after_ms: int = REDISPATCH_AFTER_MS,
    ) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.tasks = tasks
        self.redispatch_after_ms = redispatch_after_ms
        self.identity = _Identity(account, region)
        self._machines: dict[tuple[str, str], CompiledStateMachine] = {}
        self._machines_lock = threading.Lock()
        #: Observers of committed history (execution logs): see :meth:`_notify_history`.
        self.history_listeners: list[HistoryListener] = []

    # ------------------------------------------------------------------ state machines

    def machine(self, record: StateMachineRecord) -> CompiledStateMachine:
        """The compiled model of a state machine, compiled once per definition."""
        digest = hashlib.sha256(record.definition.encode()).hexdigest()
        key = (record.arn, digest)
        with self._machines_lock:
            compiled = self._machines.get(key)
            if compiled is None:
                compiled = compile_state_machine(json.loads(record.definition))
                self._machines[key] = compiled
            return compiled

    def machine_record_of(self, execution: ExecutionRecord) -> StateMachineRecord | None:
        """The state machine revision ``execution`` runs."""
        if execution.state_machine_revision:
            return self.store.get_state_machine_revision(
                execution.state_machine_arn, execution.state_machine_revision
            )
        return self.store.get_state_machine(execution.state_machine_arn)

    # ------------------------------------------------------------------ starting

    def execution_arn(self, machine_record: StateMachineRecord, name: str) -> str:
        """The ARN for an execution named ``name`` of ``machine_record``. An Express
        execution's carries a new id after its name (``...:express:<machine>:<name>:<id>``),
        as AWS's do: Express names need not be unique."""
        prefix = f"arn:aws:states:{self.identity.region}:{self.identity.account}"
        if machine_record.type == "EXPRESS":
            return f"{prefix}:express:{machine_record.name}:{name}:{uuid.uuid4()}"
        return f"{prefix}:execution:{machine_record.name}:{name}"

    def start_execution(
        self,
        machine_record: StateMachineRecord,
        name: str,
        input_text: str,
        execution_input: JSON,
        *,
        version_arn: str = "",
        alias_arn: str = "",
        arn: str | None = None,
    ) -> ExecutionRecord:
        """Start an execution (idempotent by name while it runs with the same input);
        ``machine_record`` is the revision to run (a version's, when StartExecution named one)."""
        arn = arn or self.execution_arn(machine_record, name)
        existing = self.store.get_execution(arn)
        if existing is not None:
            if existing.status == S.RUNNING and existing.input_text == input_text:
                return existing
            raise ExecutionAlreadyExistsError(f"Execution Already Exists: '{arn}'")
        now = self.clock.now_ms()
        execution = {
            "arn": arn,
            "name": name,
            "input": execution_input,
            "input_text": input_text,
            "start_ms": now,
            "role_arn": machine_record.role_arn,
            "state_machine_arn": machine_record.arn,
            "state_machine_name": machine_record.name,
            "region": self.identity.region,
            "account": self.identity.account,
            "secret": secrets.token_hex(16),
        }
        transition = start(self.machine(machine_record), execution, now)
        record = ExecutionRecord(
            arn=arn,
            state_machine_arn=machine_record.arn,
            name=name,
            input_text=input_text,
            start_ms=now,
            version=1,
            state_machine_revision=machine_record.revision_id,
            version_arn=version_arn,
            alias_arn=alias_arn,
        )
        self._apply(record, transition, now)
        if not self.store.create_execution(record):
            raced = self.store.get_execution(arn)
            if raced is not None and raced.status == S.RUNNING and raced.input_text == input_text:
                return raced
            raise ExecutionAlreadyExistsError(f"Execution Already Exists: '{arn}'")
        self._follow_up(record, transition, consumed=())
        return record

    # ------------------------------------------------------------------ events from outside

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> ExecutionRecord:
        """Ask a running execution to stop; returns its record after the stop took effect."""
        record = self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExistError(arn)
        if record.status == S.RUNNING:
            self.store.put_inbox(arn, "stop", {"type": "stop", "error": error, "cause": cause})
            self.decide(arn)
        stopped = self.store.get_execution(arn)
        assert stopped is not None
        return stopped

    def task_is_pending(self, token: str) -> bool:
        """Whether ``token`` names a task its execution still waits for."""
        target = self.store.task_token(token)
        if target is None:
            return False
        record = self.store.get_execution(target[0])
        return record is not None and record.status == S.RUNNING and target[1] in record.tasks

    def send_task_outcome(self, token: str, event: Mapping[str, JSON]) -> None:
        """Deliver SendTaskSuccess/Failure/Heartbeat (or an activity worker's start) for a
        task token."""
        target = self.store.task_token(token)
        if target is None:
            raise TaskTokenError(token)
        arn, key = target
        record = self.store.get_execution(arn)
        if record is None or record.status != S.RUNNING or key not in record.tasks:
            raise TaskTokenError(token)
        entry = {**event, "key": key}
        if event.get("type") == "task_heartbeat":
            # Heartbeats may repeat: each gets its own inbox key.
            self.store.put_inbox(arn, f"{key}#heartbeat#{self.clock.now_ms()}", entry)
        else:
            self.store.put_inbox(arn, _inbox_key(key, entry), entry)
        self.queue.send({"kind": "decide", "arn": arn})

    # ------------------------------------------------------------------ the two workers

    def handle(self, message: Mapping[str, Any]) -> None:
        """Process one work message (a decision or a task)."""
        if message.get("kind") == "decide":
            wake_ms = message.get("wake_ms")
            self.decide(str(message["arn"]), wake_ms if isinstance(wake_ms, int) else None)
        elif message.get("kind") == "task":
            self.run_task(str(message["arn"]), str(message["key"]), message["command"])

    def decide(self, arn: str, wake_ms: int | None = None) -> None:
        """Advance one execution by what its inbox and its due timers hold.

        ``wake_ms`` marks a wake-up message (see :meth:`_arm`): with nothing to do, only the one
        for the execution's current wake-up time arms the next, so stale ones die out. Tasks
        unanswered for ``redispatch_after_ms`` are sent again.
        """
        for _ in range(COMMIT_ATTEMPTS):
            record = self.store.get_execution(arn)
            if record is None:
                return
            self._flush(record)
            if record.status != S.RUNNING:
                return
            now = self.clock.now_ms()
            inbox = self.store.inbox(arn)
            # Inbox entries are core events. A callback's "submitted" precedes its answer even
            # when both arrived before this decision.
            events = [
                entry
                for _, entry in sorted(
                    inbox.items(),
                    key=lambda item: (_DELIVERY_ORDER.get(str(item[1].get("type")), 9), item[0]),
                )
            ]
            due = sorted((at, key) for key, at in record.timers.items() if at <= now)
            events.extend({"type": "timer", "key": key} for _, key in due)
            if not events:
                resent = self._redispatch_overdue(record, now)
                if resent is None:
                    continue  # lost the race to commit: look again
                if not resent and wake_ms is not None and wake_ms == record.wake_ms:
                    self._arm(record, now)
                return
            machine_record = self.machine_record_of(record)
            if machine_record is None:
                return
            expected = record.version
            snapshot = json.loads(json.dumps(record.snapshot))
            transition = step(self.machine(machine_record), snapshot, events, now)
            for _, key in due:
                record.timers.pop(key, None)
            for entry in inbox.values():
                key = str(entry.get("key", ""))
                if entry.get("type") in _ANSWERS:
                    record.tasks.pop(key, None)
                if entry.get("type") in _ANSWERS or entry.get("type") in _STEP_SUFFIXES:
                    # Answered, or now waiting for a callback or a worker: no longer in flight.
                    record.task_sent_ms.pop(key, None)
            record.version = expected + 1
            self._apply(record, transition, now)
            if self.store.commit(record, expected):
                self._follow_up(record, transition, consumed=tuple(inbox))
                return
        # Lost every race: another worker is advancing this execution; it will see our inbox.

    def run_task(self, arn: str, key: str, command: Mapping[str, Any]) -> None:
        """Invoke a task and deliver its outcome (at least once; first result wins)."""
        record = self.store.get_execution(arn)
        if record is None or record.status != S.RUNNING or key not in record.tasks:
            return
        now = self.clock.now_ms()
        event = io_command_event(self.tasks.invokers, command, self.identity.region)
        if event is not None:
            self.store.put_inbox(arn, key, event)
            self.queue.send({"kind": "decide", "arn": arn})
            return
        outcome = self.tasks.run(command, now)
        finished = now + round(outcome.duration_seconds * 1000)
        for event in outcome.events(key):
            delay = 0 if event["type"] in _STEP_SUFFIXES else finished - self.clock.now_ms()
            if delay > 0:
                message = {"kind": "deliver", "arn": arn, "key": key, "event": event}
                self.queue.send(message, delay)
                continue
            self.store.put_inbox(arn, _inbox_key(key, event), event)
        self.queue.send({"kind": "decide", "arn": arn})

    def deliver(self, message: Mapping[str, Any]) -> None:
        """A task outcome whose simulated duration has passed (virtual clock)."""
        arn, key, event = str(message["arn"]), str(message["key"]), message["event"]
        self.store.put_inbox(arn, _inbox_key(key, event), event)
        self.queue.send({"kind": "decide", "arn": arn})

    def recover(self) -> int:
        """Resume every RUNNING execution after a restart: a decision for each (it delivers its
        inbox and re-arms its timers), and its tasks in flight sent again (a task's side effect
        is at-least-once; its key lets the result be taken once). Returns how many."""
        running = self.store.running_executions()
        for arn in running:
            record = self.store.get_execution(arn)
            if record is None:
                continue
            for key, command in record.tasks.items():
                # A callback already submitted waits for its answer, not for a new call; an
                # activity task is queued again for its workers (that queue was in memory).
                if key in record.task_sent_ms or command.get("activity"):
                    self.queue.send({"kind": "task", "arn": arn, "key": key, "command": command})
            # As a wake-up for its current time: it re-arms the execution's timers.
            self.queue.send({"kind": "decide", "arn": arn, "wake_ms": record.wake_ms})
        return len(running)

    def sweep(self) -> int:
        """Re-send decisions for executions whose wake-up time passed; returns how many."""
        due = self.store.due_executions(self.clock.now_ms())
        for arn in due:
            self.queue.send({"kind": "decide", "arn": arn})
        return len(due)

    # ------------------------------------------------------------------ internals

    def _apply(self, record: ExecutionRecord, transition: Transition, now: int) -> None:
        snapshot = transition.snapshot
        record.snapshot = snapshot
        record.status = snapshot["status"]
        record.outbox = list(transition.history)
        for command in transition.commands:
            if command["type"] == "timer":
                record.timers[command["key"]] = int(command["at_ms"])
            elif command["type"] in _WORK:
                record.tasks[command["key"]] = dict(command)
                record.task_sent_ms[command["key"]] = now
        if record.status != S.RUNNING:
            record.stop_ms = snapshot.get("stop_ms") or now
            record.output_text = snapshot.get("output_text")
            record.error = snapshot.get("error")
            record.cause = snapshot.get("cause")
            record.timers = {}
            record.tasks = {}
        live = [key for key in record.timers if key in snapshot.get("waits", {})]
        record.timers = {key: record.timers[key] for key in live}
        record.task_sent_ms = {
            key: sent for key, sent in record.task_sent_ms.items() if key in record.tasks
        }
        self._set_wake(record)

    def _set_wake(self, record: ExecutionRecord) -> None:
        """The next time the execution needs a decision: its first timer, or its first task
        that would be overdue."""
        times = list(record.timers.values())
        times.extend(sent + self.redispatch_after_ms for sent in record.task_sent_ms.values())
        record.wake_ms = min(times) if times else None

    def _redispatch_overdue(self, record: ExecutionRecord, now: int) -> bool | None:
        """Send again the tasks unanswered for too long (their message presumed lost): True if
        some were, False if none are overdue, None if another worker committed first."""
        overdue = [
            key
            for key, sent in record.task_sent_ms.items()
            if sent + self.redispatch_after_ms <= now and key in record.tasks
        ]
        if not overdue:
            return False
        expected = record.version
        for key in overdue:
            record.task_sent_ms[key] = now
        record.version = expected + 1
        record.outbox = []
        self._set_wake(record)
        if not self.store.commit(record, expected):
            return None
        for key in overdue:
            command = record.tasks[key]
            token = command.get("task_token")
            if token:
                self.store.put_task_token(str(token), record.arn, key)
            self.queue.send({"kind": "task", "arn": record.arn, "key": key, "command": command})
        self._arm(record, now)
        return True

    def _flush(self, record: ExecutionRecord) -> None:
        if record.outbox:
            self.store.append_history(record.arn, record.outbox)

    def _follow_up(
        self, record: ExecutionRecord, transition: Transition, consumed: tuple[str, ...]
    ) -> None:
        self.store.append_history(record.arn, record.outbox)
        self._notify_history(record)
        if consumed:
            self.store.delete_inbox(record.arn, list(consumed))
        for command in transition.commands:
            if command["type"] not in _WORK:
                continue
            token = command.get("task_token")
            if token:
                self.store.put_task_token(str(token), record.arn, command["key"])
            self.queue.send(
                {"kind": "task", "arn": record.arn, "key": command["key"], "command": command}
            )
        if record.status == S.RUNNING:
            self._arm(record, self.clock.now_ms())

    # ------------------------------------------------------------------ observers (a port)

    def _notify_history(self, record: ExecutionRecord) -> None:
        """Hand a commit's history events to the listeners (at most once: a follow-up repeated
        after a crash does not repeat them). A listener's failure never touches the execution."""
        if not self.history_listeners or not record.outbox:
            return
        for listener in self.history_listeners:
            try:
                listener(record, record.outbox)
            except Exception:
                _log.exception("history listener failed for %s", record.arn)

    def _arm(self, record: ExecutionRecord, now: int) -> None:
        """Send the wake-up message for the execution's next wake-up time. It names that time:
        a wake-up that finds nothing to do re-arms (a delay is at most the queue's maximum)
        only if the time is still the execution's, so a superseded wake-up ends there."""
        if record.wake_ms is None:
            return
        delay = min(max(0, record.wake_ms - now), MAX_QUEUE_DELAY_MS)
        message = {"kind": "decide", "arn": record.arn, "wake_ms": record.wake_ms}
        self.queue.send(message, delay)


class Worker:
    """Pulls messages from a :class:`~interpreter.adapters.memory.MemoryQueue` and runs them.

    On a virtual clock :meth:`run_until_idle` jumps time to each due message in turn; on a real
    clock :meth:`start` runs the loop on background threads until :meth:`stop`.
    """

    def __init__(self, runtime: DurableRuntime, queue: Any, clock: Any) -> None:
        self.runtime = runtime
        self.queue = queue
        self.clock = clock
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def _handle(self, message: Mapping[str, Any]) -> None:
        if message.get("kind") == "deliver":
            self.runtime.deliver(message)
        else:
            self.runtime.handle(message)

    def run_until_idle(self, until: Callable[[], bool] | None = None) -> None:
        """Process every message, advancing a virtual clock, until the queue is empty."""
        while until is None or not until():
            due = self.queue.next_due_ms()
            if due is None:
                return
            if hasattr(self.clock, "advance_to"):
                self.clock.advance_to(due)
            message = self.queue.pop_due(self.clock.now_ms())
            if message is not None:
                self._handle(message)

    def start(self, threads: int = 2) -> None:
        """Run the loop on ``threads`` background threads (real clock)."""
        for index in range(threads):
            thread = threading.Thread(target=self._loop, name=f"asl-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop the background threads."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            message = self.queue.pop_due(self.clock.now_ms())
            if message is None:
                due = self.queue.next_due_ms()
                wait_s = 0.5 if due is None else max(0.0, (due - self.clock.now_ms()) / 1000)
                self.queue.wait(min(wait_s, 0.5))
                continue
            try:
                self._handle(message)
            except Exception:  # a failed message goes back to the queue, as SQS redelivers
                time.sleep(0.05)
                self.queue.send(message, 1000)
