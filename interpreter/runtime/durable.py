"""The durable runtime: a decider and a task runner over a store, a queue and a clock.

Three kinds of work message travel on one queue (:data:`interpreter.core.messages.Message`):

* ``{"kind": "decide", "arn"}`` — the *decider* loads the execution record and its inbox (task
  results, callbacks, a stop request) plus any timer that is due, calls the pure core's ``step``
  and **commits**: one compare-and-set write of the record with ``version + 1``. That write is
  the only commit point. Writing the new history events to where history is read, deleting the
  consumed inbox entries and sending the new work are follow-ups; if a crash interrupts them,
  the record says what is missing and the next decision (or the sweep) makes it good.
* ``{"kind": "task", "arn", "key", "command"}`` — the *task runner* claims the task (a lease in
  the store: a duplicated message finds it held), invokes the resource (at least once; the key
  is the idempotency key), puts the outcome into the inbox under the task's key (first write
  wins) and sends a ``decide``.
* ``{"kind": "deliver", "arn", "key", "event"}`` — a task outcome whose simulated duration (a
  local handler that called ``interpreter.sleep`` on the virtual clock) has passed: it goes into
  the inbox, then a ``decide``.

What makes a crash anywhere harmless: a transition happens once (the compare-and-set); the record
holds the timers and the dispatched tasks, each task with the time the runtime next looks at it
(``task_due_ms``), and the record's wake-up time (``wake_ms``) is the earliest of those. A
decision that finds nothing new to do looks at the tasks that are due: a task nobody claimed
(its message was lost between a commit and its send) is sent again, one whose worker's lease
ended (the worker died) too, one that waits for a child execution looks at the child. The sweep
(:meth:`DurableRuntime.sweep`, every few seconds) sends a decision to every execution whose
wake-up time has passed, so no execution waits longer than a lease for a lost message. A decision
that keeps failing for an unexpected reason ends its execution with ``States.Runtime`` after a
few attempts, and a task message that keeps failing fails its task so
(:meth:`DurableRuntime.handle`): no value wedges an execution.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, assert_never, cast

from interpreter import arns
from interpreter.core import messages
from interpreter.core import redrive as R
from interpreter.core import snapshot as S
from interpreter.core.engine import Transition, redrive, start, step
from interpreter.core.history import failure_details
from interpreter.core.messages import Event, InvokeTask, Message, TaskWork
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.model import StateMachine as CompiledStateMachine
from interpreter.json_types import JSON
from interpreter.limits import MAX_QUEUE_DELAY_MS
from interpreter.runtime import redrives
from interpreter.runtime.children import sync_outcome
from interpreter.runtime.executions import new_execution
from interpreter.runtime.ports import Clock, ExecutionRecord, Queue, StateMachineRecord, Store
from interpreter.runtime.tasks import TaskRunner

_log = logging.getLogger("interpreter.runtime")

#: Receives an execution's record and the history events one commit wrote (read-only).
HistoryListener = Callable[[ExecutionRecord, Sequence[Mapping[str, Any]]], None]
#: Compare-and-set retries of one decision before the message goes back to the queue.
COMMIT_ATTEMPTS = 5
#: A task sent this long ago that no worker has claimed is presumed lost and sent again.
DISPATCH_GRACE_MS = 10_000
#: A task sent again and still not taken is looked at after twice the wait of the time before,
#: up to 2**this times the grace (about five minutes): a long queue is not flooded with copies.
MAX_RESEND_DOUBLINGS = 5
#: How long a worker holds a task it runs before it must renew its claim (it does, every third
#: of it, while the task runs): a worker that dies gives its task up within this time.
CLAIM_LEASE_MS = 30_000
#: How often a task waiting for a child execution looks at the child (the child tells it when
#: it ends; this finds a message a crash lost).
CHILD_CHECK_MS = 60_000
#: Unexpected failures of one decision before its execution is ended with ``States.Runtime``.
DECISION_ATTEMPTS = 3
#: Unexpected failures of one task message before its task fails with ``States.Runtime`` (below
#: the work queue's maxReceiveCount in template.yaml, so the task fails before the message is
#: dead-lettered).
TASK_ATTEMPTS = 3

#: The events that answer a task command (an answered one is done).
_ANSWERS = ("task_succeeded", "task_failed", "items_read", "results_written")
#: The last event of an execution ended without the core, by its status.
_ABNORMAL_ENDS = {
    S.FAILED: ("ExecutionFailed", "executionFailedEventDetails"),
    S.ABORTED: ("ExecutionAborted", "executionAbortedEventDetails"),
    S.TIMED_OUT: ("ExecutionTimedOut", "executionTimedOutEventDetails"),
}
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
_WEDGED_CAUSE = (
    "The execution could not be advanced: {problem}. It was ended after {attempts} attempts."
)
_TASK_LOST_CAUSE = (
    "The task could not be carried out: the worker running it stopped without an answer "
    "{attempts} times. It was failed."
)
_TASK_GIVEN_UP_CAUSE = (
    "The task could not be carried out: {problem}. It was failed after {attempts} attempts."
)


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


class ExecutionNotRedrivableError(Exception):
    """RedriveExecution of an execution that cannot be redriven (the reason is AWS's
    ``redriveStatusReason``)."""


@dataclass(frozen=True, slots=True)
class _Identity:
    account: str
    region: str


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the runtime waits before it presumes a message lost (see the module doc)."""

    dispatch_grace_ms: int = DISPATCH_GRACE_MS
    claim_lease_ms: int = CLAIM_LEASE_MS
    child_check_ms: int = CHILD_CHECK_MS


@dataclass(slots=True)
class RuntimeCounters:
    """What the runtime did, for metrics (each counter only grows)."""

    decisions: int = 0
    transitions: int = 0
    commits: int = 0
    commit_conflicts: int = 0
    tasks_run: int = 0
    task_milliseconds: int = 0
    redispatches: int = 0
    duplicates_dropped: int = 0
    takeovers: int = 0
    abandoned: int = 0

    def snapshot(self) -> dict[str, int]:
        """The counters now, by name."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class DurableRuntime:
    """Starts, advances and stops executions through the ports; one instance per process of a
    deployment (``owner`` names it in the task claims it takes, one claim per attempt)."""

    def __init__(
        self,
        store: Store,
        queue: Queue,
        clock: Clock,
        tasks: TaskRunner,
        *,
        account: str = "123456789012",
        region: str = "us-east-1",
        timing: Timing | None = None,
        owner: str | None = None,
        unavailable: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.tasks = tasks
        self.timing = timing or Timing()
        self.owner = owner or f"worker-{uuid.uuid4()}"
        #: Whether a failure is the store's or the queue's being out of reach (throttled,
        #: refused, timed out): such a failure never counts towards ending an execution or
        #: failing a task — the message comes back until the service does.
        self.unavailable = unavailable or _unreachable
        self.identity = _Identity(account, region)
        self.counters = RuntimeCounters()
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
            revision = self.store.get_state_machine_revision(
                execution.state_machine_arn, execution.state_machine_revision
            )
            if revision is not None:
                return revision
            # Tables written before the revision was stored first may hold the current
            # revision only under the machine itself.
            current = self.store.get_state_machine(execution.state_machine_arn)
            if current is not None and current.revision_id == execution.state_machine_revision:
                return current
            return None
        return self.store.get_state_machine(execution.state_machine_arn)

    # ------------------------------------------------------------------ starting

    def execution_arn(self, machine_record: StateMachineRecord, name: str) -> str:
        """The ARN for an execution named ``name`` of ``machine_record``. An Express
        execution's carries a new id after its name (``...:express:<machine>:<name>:<id>``),
        as AWS's do: Express names need not be unique."""
        express_id = str(uuid.uuid4()) if machine_record.type == "EXPRESS" else None
        region, account = self.identity.region, self.identity.account
        return arns.execution_arn(region, account, machine_record.name, name, express_id)

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
        test_case: str = "",
        parent: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Start an execution (idempotent by name while it runs with the same input);
        ``machine_record`` is the revision to run (a version's, when StartExecution named one).
        ``test_case`` names the mock test case it runs; ``parent`` the ``.sync`` task that waits
        for it (``{"arn", "key", "sync_version"}``)."""
        arn = arn or self.execution_arn(machine_record, name)
        existing = self.store.get_execution(arn)
        if existing is not None:
            return self._started_again(existing, input_text)
        now = self.clock.now_ms()
        execution = new_execution(
            arn=arn,
            name=name,
            execution_input=execution_input,
            input_text=input_text,
            start_ms=now,
            role_arn=machine_record.role_arn,
            state_machine_arn=machine_record.arn,
            state_machine_name=machine_record.name,
            region=self.identity.region,
            account=self.identity.account,
        )
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
            test_case=test_case,
            parent=dict(parent) if parent is not None else None,
        )
        self._apply(record, transition, now)
        self.counters.transitions += len(transition.history)
        if not self.store.create_execution(record):
            raced = self.store.get_execution(arn)
            if raced is None:
                raise ExecutionAlreadyExistsError(f"Execution Already Exists: '{arn}'")
            return self._started_again(raced, input_text)
        self._follow_up(record, transition, consumed=())
        return record

    def _started_again(self, existing: ExecutionRecord, input_text: str) -> ExecutionRecord:
        """StartExecution repeated (a retry whose first answer was lost): the same execution
        while it runs with the same input, its first work sent again in case the first attempt
        died before sending it (a task's claim makes that harmless)."""
        if existing.status != S.RUNNING or existing.input_text != input_text:
            raise ExecutionAlreadyExistsError(f"Execution Already Exists: '{existing.arn}'")
        self._flush(existing)
        claims = self.store.task_claims(existing.arn) if existing.tasks else {}
        for key, command in existing.tasks.items():
            if key in existing.task_due_ms and key not in claims:
                self._send_task(existing.arn, messages.parse_task_work(command))
        self._arm(existing, self.clock.now_ms())
        return existing

    # ------------------------------------------------------------------ events from outside

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> ExecutionRecord:
        """Stop a running execution; returns its record after the stop took effect. A stop
        always takes effect, even for an execution no decision can advance."""
        record = self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExistError(arn)
        if record.status == S.RUNNING:
            stop: Event = {"type": "stop", "error": error, "cause": cause}
            self.store.put_inbox(arn, "stop", stop)
            try:
                self.decide(arn)
            except Exception as problem:
                _log.exception("stopping %s: its decision failed", arn)
                self.end_abnormally(arn, S.ABORTED, error, cause, reason=repr(problem))
        stopped = self.store.get_execution(arn)
        assert stopped is not None
        return stopped

    def redrive_refusal(self, record: ExecutionRecord) -> str | None:
        """Why ``record`` cannot be redriven now (:mod:`interpreter.runtime.redrives`), or
        None."""
        if record.status == S.RUNNING or record.status == S.SUCCEEDED:
            exists = True
        else:
            exists = self.store.get_state_machine(record.state_machine_arn) is not None
        return redrives.refusal(record, self.clock.now_ms(), machine_exists=exists)

    def redrive_execution(self, arn: str, client_token: str | None = None) -> int:
        """RedriveExecution: the core resumes the execution where it stopped, committed like a
        decision (one compare-and-set), then its work is sent. Returns the redrive's time; a
        request repeating a recent one's ``client_token`` answers with that one's time."""
        for _ in range(COMMIT_ATTEMPTS):
            record = self.store.get_execution(arn)
            if record is None:
                raise ExecutionDoesNotExistError(arn)
            now = self.clock.now_ms()
            earlier = redrives.repeated(record, client_token, now)
            if earlier is not None:
                return earlier
            reason = self.redrive_refusal(record)
            machine_record = self.machine_record_of(record)
            if reason is None and machine_record is None:
                reason = redrives.DELETING_REASON
            if reason is not None or machine_record is None:
                raise ExecutionNotRedrivableError(reason)
            self._flush(record)
            # What reached an ended execution's inbox is stale (a stop that ended it without
            # the core, a Map Run update too late): the redriven execution must not see it.
            stale = list(self.store.inbox(arn))
            if stale:
                self.store.delete_inbox(arn, stale)
            snapshot = json.loads(json.dumps(record.snapshot))
            transition = redrive(self.machine(machine_record), snapshot, now)
            expected = record.version
            record.version = expected + 1
            record.redrive_count += 1
            record.redrive_ms = now
            record.stop_ms = record.output_text = record.error = record.cause = None
            redrives.remember(record, client_token, now)
            self._apply(record, transition, now)
            if self.store.commit(record, expected):
                self.counters.commits += 1
                self.counters.transitions += len(transition.history)
                self._follow_up(record, transition, consumed=())
                return now
            self.counters.commit_conflicts += 1
        raise ExecutionNotRedrivableError(redrives.RUNNING_REASON)

    def update_map_run(self, arn: str, event: Mapping[str, JSON]) -> None:
        """UpdateMapRun: the new limits of a Map Run of execution ``arn`` go to its inbox (each
        request under its own key, in the order they came) and a decision applies them."""
        entry = messages.parse_event(dict(event))
        # The wall clock's nanoseconds order requests within one (virtual) millisecond.
        order = f"{self.clock.now_ms():013d}#{time.time_ns():020d}"
        key = f"update-map-run#{order}#{uuid.uuid4().hex[:8]}"
        self.store.put_inbox(arn, key, entry)
        self.queue.send(messages.decide(arn))

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
        entry = messages.parse_event({**event, "key": key})
        if entry["type"] == "task_heartbeat":
            # Heartbeats may repeat: each gets its own inbox key.
            self.store.put_inbox(arn, f"{key}#heartbeat#{self.clock.now_ms()}", entry)
        else:
            self.store.put_inbox(arn, _inbox_key(key, entry), entry)
        self.queue.send(messages.decide(arn))

    def history(self, arn: str) -> list[dict[str, Any]]:
        """An execution's history: what the store holds, and the events of its last commit a
        crash may have kept from being written there yet."""
        events = self.store.history(arn)
        record = self.store.get_execution(arn)
        if record is not None and record.outbox:
            known = {int(event["id"]) for event in events}
            missing = [dict(e) for e in record.outbox if int(e["id"]) not in known]
            if missing:
                events = sorted([*events, *missing], key=lambda event: int(event["id"]))
        return events

    # ------------------------------------------------------------------ the workers

    def handle(self, message: Message, attempt: int = 1) -> None:
        """Process one work message: a decision, a task, or a delayed task outcome.

        ``attempt`` counts the deliveries of this message (SQS's receive count). A decision
        that fails for an unexpected reason raises (the message comes back) until its
        :data:`DECISION_ATTEMPTS`-th attempt, which ends the execution with ``States.Runtime``
        instead: nothing an execution holds can wedge it. A task (or a delayed outcome) that
        fails so fails its task with ``States.Runtime`` on its :data:`TASK_ATTEMPTS`-th attempt,
        and the execution goes on from that failure.
        """
        _log.debug(
            "%s %s %s (delivery %d)",
            message["kind"],
            message["arn"],
            message.get("key", ""),
            attempt,
        )
        if message["kind"] == "decide":
            try:
                self.decide(message["arn"], message.get("wake_ms"))
            except Exception as problem:
                if attempt < DECISION_ATTEMPTS or self.unavailable(problem):
                    raise
                _log.exception("decision of %s failed %d times", message["arn"], attempt)
                cause = _WEDGED_CAUSE.format(problem=_describe(problem), attempts=attempt)
                self.end_abnormally(message["arn"], S.FAILED, "States.Runtime", cause)
        elif message["kind"] == "task" or message["kind"] == "deliver":
            try:
                if message["kind"] == "task":
                    self.run_task(message["arn"], message["key"], message["command"])
                else:
                    self.deliver(message["arn"], message["key"], message["event"])
            except Exception as problem:
                if attempt < TASK_ATTEMPTS or self.unavailable(problem):
                    raise
                _log.exception(
                    "task %s of %s failed %d times", message["key"], message["arn"], attempt
                )
                cause = _TASK_GIVEN_UP_CAUSE.format(problem=_describe(problem), attempts=attempt)
                self.fail_task(message["arn"], message["key"], "States.Runtime", cause)
        else:
            assert_never(message)

    def fail_task(self, arn: str, key: str, error: str, cause: str) -> None:
        """Answer task ``key`` of ``arn`` with a failure (first answer wins): for a task no
        attempt could carry out. A reader's or writer's failure fails its Map state."""
        record = self.store.get_execution(arn)
        if record is None or record.status != S.RUNNING or key not in record.tasks:
            return
        kind = record.tasks[key].get("type")
        answer: Event
        if kind == "read_items":
            answer = {"type": "items_read", "key": key, "error": error, "cause": cause}
        elif kind == "write_results":
            answer = {"type": "results_written", "key": key, "error": error, "cause": cause}
        else:
            answer = {"type": "task_failed", "key": key, "error": error, "cause": cause}
        self.store.put_inbox(arn, key, answer)
        self.queue.send(messages.decide(arn))

    def decide(self, arn: str, wake_ms: int | None = None) -> None:
        """Advance one execution by what its inbox and its due timers hold; with nothing to
        deliver, look after its tasks that are due (see the module doc).

        ``wake_ms`` marks a wake-up message (see :meth:`_arm`): with nothing to do, only the one
        for the execution's current wake-up time arms the next, so stale ones die out.
        """
        self.counters.decisions += 1
        for _ in range(COMMIT_ATTEMPTS):
            record = self.store.get_execution(arn)
            if record is None:
                return
            self._flush(record)
            if record.status != S.RUNNING:
                self._notify_parent(record)
                return
            now = self.clock.now_ms()
            inbox = self.store.inbox(arn)
            # Inbox entries are core events. A callback's "submitted" precedes its answer even
            # when both arrived before this decision.
            events: list[Event] = [
                messages.parse_event(entry)
                for _, entry in sorted(
                    inbox.items(),
                    key=lambda item: (_DELIVERY_ORDER.get(str(item[1].get("type")), 9), item[0]),
                )
            ]
            due = sorted((at, key) for key, at in record.timers.items() if at <= now)
            events.extend({"type": "timer", "key": key} for _, key in due)
            if not events:
                looked_after = self._look_after_tasks(record, now)
                if looked_after is None:
                    self.counters.commit_conflicts += 1
                    continue  # lost the race to commit: look again
                if not looked_after and wake_ms is not None and wake_ms == record.wake_ms:
                    self._arm(record, now)
                return
            machine_record = self.machine_record_of(record)
            if machine_record is None:
                # Nothing to run it by: after the decision's attempts it ends with
                # States.Runtime (handle), rather than waiting for ever.
                raise LookupError(
                    f"the state machine revision {record.state_machine_revision!r} of "
                    f"{record.state_machine_arn} is not in the store"
                )
            expected = record.version
            snapshot = json.loads(json.dumps(record.snapshot))
            transition = step(self.machine(machine_record), snapshot, events, now)
            for _, key in due:
                record.timers.pop(key, None)
            answered = self._take_inbox(record, inbox.values(), now)
            record.version = expected + 1
            self._apply(record, transition, now)
            if self.store.commit(record, expected):
                self.counters.commits += 1
                self.counters.transitions += len(transition.history)
                self._follow_up(record, transition, consumed=tuple(inbox), answered=answered)
                return
            self.counters.commit_conflicts += 1
        # Lost every race: another worker is advancing this execution; it will see our inbox.

    def run_task(self, arn: str, key: str, command: TaskWork) -> None:
        """Carry out a task command and deliver its outcome (at least once; first result
        wins). A task another worker holds is left to it; one whose holder's lease ended is
        taken over, unless its answer is already in."""
        record = self.store.get_execution(arn)
        if record is None or record.status != S.RUNNING or key not in record.tasks:
            return
        command = _as_its_execution(record, command)
        now = self.clock.now_ms()
        lease = self.timing.claim_lease_ms
        # One claim per attempt: a duplicate of this message, here or in another process,
        # finds the task held.
        holder = f"{self.owner}/{uuid.uuid4().hex[:12]}"
        claim = self.store.claim_task(arn, key, holder, now + lease, now)
        if claim == "refused":
            self.counters.duplicates_dropped += 1
            return
        if claim == "taken_over":
            self.counters.takeovers += 1
            answers = self.store.inbox(arn)
            if key in answers or any(entry.startswith(key + "#") for entry in answers):
                # Its worker answered (or submitted) before it died, perhaps before it sent
                # the decision that takes the answer: send one (a spare one finds nothing).
                self.queue.send(messages.decide(arn))
                return
        try:
            self._run_claimed(arn, key, command, holder, now)
        except Exception:
            # The message comes back: its next attempt takes the task at once.
            with contextlib.suppress(Exception):
                self.store.delete_task_claims(arn, [key])
            raise

    def _run_claimed(self, arn: str, key: str, command: TaskWork, holder: str, now: int) -> None:
        lease = self.timing.claim_lease_ms
        if command["type"] != "invoke":
            with self._holding(arn, key, holder):
                answer = self.tasks.carry_out(command, self.identity.region)
            self.store.put_inbox(arn, key, answer)
            self.queue.send(messages.decide(arn))
            return
        started = time.monotonic()
        with self._holding(arn, key, holder):
            outcome = self.tasks.run(command, now)
        self.counters.tasks_run += 1
        self.counters.task_milliseconds += round((time.monotonic() - started) * 1000)
        finished = now + round(outcome.duration_seconds * 1000)
        if finished > self.clock.now_ms():
            # A simulated duration: the outcome arrives later; hold the task until then.
            self.store.claim_task(arn, key, holder, finished + lease, self.clock.now_ms())
        for event in outcome.events(key):
            delay = 0 if event["type"] in _STEP_SUFFIXES else finished - self.clock.now_ms()
            if delay > 0:
                self.queue.send(messages.deliver(arn, key, event), delay)
                continue
            self.store.put_inbox(arn, _inbox_key(key, event), event)
        self.queue.send(messages.decide(arn))

    def deliver(self, arn: str, key: str, event: Event) -> None:
        """A task outcome whose simulated duration has passed (virtual clock)."""
        self.store.put_inbox(arn, _inbox_key(key, event), event)
        self.queue.send(messages.decide(arn))

    def sweep(self) -> int:
        """Send a decision to every execution whose wake-up time passed; returns how many."""
        due = self.store.due_executions(self.clock.now_ms())
        for arn in due:
            self.queue.send(messages.decide(arn))
        return len(due)

    def recover(self) -> int:
        """Resume every RUNNING execution after a restart of a single-process deployment
        (``asl serve --state``): nothing else can be running its tasks, so their claims are
        dropped, each execution delivers its inbox, and the tasks still unanswered are sent
        again at once. Returns how many executions there were."""
        running = self.store.running_executions()
        for arn in running:
            record = self.store.get_execution(arn)
            if record is None:
                continue
            self.store.delete_task_claims(arn, list(record.tasks))
            self.decide(arn)
            record = self.store.get_execution(arn)
            if record is None or record.status != S.RUNNING:
                continue
            self._look_after_tasks(record, self.clock.now_ms(), everything=True)
            # As a wake-up for its current time: it re-arms the execution's timers.
            self.queue.send(messages.decide(arn, record.wake_ms))
        return len(running)

    def end_abnormally(
        self,
        arn: str,
        status: str,
        error: str | None,
        cause: str | None,
        *,
        reason: str = "",
    ) -> None:
        """End a running execution without the core — for one no decision can advance (it
        fails with ``error``), stop (it is aborted) or finish in time (it times out): its last
        event is ``ExecutionFailed``, ``ExecutionAborted`` or ``ExecutionTimedOut``, its
        snapshot is dropped."""
        for _ in range(COMMIT_ATTEMPTS):
            record = self.store.get_execution(arn)
            if record is None or record.status != S.RUNNING:
                return
            now = self.clock.now_ms()
            self._flush(record)
            event_id = int(record.snapshot.get("next_event_id", 1))
            kind, details_key = _ABNORMAL_ENDS[status]
            event = {
                "timestamp": now,
                "type": kind,
                "id": event_id,
                "previousEventId": event_id - 1,
                details_key: failure_details(error, cause),
            }
            expected = record.version
            record.version = expected + 1
            record.status, record.error, record.cause = status, error, cause
            record.stop_ms = now
            record.output_text = None
            record.outbox = [event]
            halted = _halted_frames(record.snapshot)
            record.snapshot = {
                "format": S.FORMAT_VERSION,
                "status": status,
                "next_event_id": event_id + 1,
                "execution": record.snapshot.get("execution", {}),
                "error": error,
                "cause": cause,
                "stop_ms": now,
                "map_runs": record.snapshot.get("map_runs") or {},
            }
            if halted is not None:
                record.snapshot["halted"] = halted
            record.timers, record.tasks, record.task_due_ms, record.children = {}, {}, {}, {}
            record.task_resends, record.task_losses = {}, {}
            record.wake_ms = None
            if self.store.commit(record, expected):
                self.counters.abandoned += 1
                _log.error("ended %s as %s: %s %s", arn, status, error, reason or cause)
                self.store.append_history(arn, record.outbox)
                self._notify_history(record)
                self._notify_parent(record)
                return

    # ------------------------------------------------------------------ internals

    def _take_inbox(self, record: ExecutionRecord, entries: Any, now: int) -> list[str]:
        """Update the record's task bookkeeping for the inbox entries a decision delivers;
        returns the keys of the tasks they answered."""
        answered: list[str] = []
        for entry in entries:
            key = str(entry.get("key", ""))
            kind = entry.get("type")
            if kind in _ANSWERS:
                record.tasks.pop(key, None)
                record.task_due_ms.pop(key, None)
                record.children.pop(key, None)
                answered.append(key)
            elif kind == "task_submitted" and isinstance(entry.get("child"), str):
                # A .sync task waiting for a child execution of this deployment.
                record.children[key] = entry["child"]
                record.task_due_ms[key] = now + self.timing.child_check_ms
            elif kind in _STEP_SUFFIXES:
                # Now waiting for a callback or a worker: only its timeouts end the wait.
                record.task_due_ms.pop(key, None)
        return answered

    def _apply(self, record: ExecutionRecord, transition: Transition, now: int) -> None:
        snapshot = transition.snapshot
        record.snapshot = snapshot
        record.status = snapshot["status"]
        record.outbox = list(transition.history)
        for command in transition.commands:
            if command["type"] == "timer":
                record.timers[command["key"]] = int(command["at_ms"])
                continue
            if command["type"] == "invoke":
                self._number_invocation(record, command)
            record.tasks[command["key"]] = dict(command)
            record.task_due_ms[command["key"]] = now + self.timing.dispatch_grace_ms
        if record.status != S.RUNNING:
            record.stop_ms = snapshot.get("stop_ms") or now
            record.output_text = snapshot.get("output_text")
            record.error = snapshot.get("error")
            record.cause = snapshot.get("cause")
            record.timers, record.tasks, record.children = {}, {}, {}
        live = [key for key in record.timers if key in snapshot.get("waits", {})]
        record.timers = {key: record.timers[key] for key in live}
        record.task_due_ms = {
            key: due for key, due in record.task_due_ms.items() if key in record.tasks
        }
        record.task_resends = {
            key: count for key, count in record.task_resends.items() if key in record.task_due_ms
        }
        record.task_losses = {
            key: count for key, count in record.task_losses.items() if key in record.task_due_ms
        }
        self._set_wake(record)

    @staticmethod
    def _number_invocation(record: ExecutionRecord, command: InvokeTask) -> None:
        """Number the invocations of each state in the order they are made (mock test cases
        answer by invocation number, across retries and Map iterations)."""
        state = command["state"]
        command["invocation"] = record.invocations.get(state, 0)
        record.invocations[state] = command["invocation"] + 1

    def _set_wake(self, record: ExecutionRecord) -> None:
        """The next time the execution needs a decision: its first timer, or its first task
        due a look."""
        times = [*record.timers.values(), *record.task_due_ms.values()]
        record.wake_ms = min(times) if times else None

    def _look_after_tasks(
        self, record: ExecutionRecord, now: int, *, everything: bool = False
    ) -> bool | None:
        """Look at the tasks that are due (all of them with ``everything``): send again those
        nobody holds, push back those held, deliver the ends of child executions. True if any
        was due, False if none, None if another worker committed first."""
        due = [
            key
            for key, at in record.task_due_ms.items()
            if (everything or at <= now) and key in record.tasks
        ]
        if not due:
            return False
        claims = self.store.task_claims(record.arn)
        resend: list[str] = []
        lost: list[str] = []
        for key in due:
            child = record.children.get(key)
            if child is not None:
                record.task_due_ms[key] = now + self.timing.child_check_ms
                self._check_child(record, key, child)
                continue
            claim = claims.get(key)
            if claim is not None and claim[1] >= now:
                record.task_due_ms[key] = claim[1] + 1  # held: look again when its lease ends
                record.task_resends.pop(key, None)
            else:
                # Not taken within the grace (its message lost, or the queue long): send it
                # again, and wait twice as long each time before the next copy. A lease that
                # ended says a copy was taken and its worker died: the queue is not long, so
                # the doubling starts again.
                if claim is not None:
                    record.task_resends.pop(key, None)
                    losses = record.task_losses.get(key, 0) + 1
                    record.task_losses[key] = losses
                    if losses >= TASK_ATTEMPTS:
                        # Its workers keep stopping while they run it: fail it (below).
                        record.task_due_ms[key] = now + self.timing.claim_lease_ms
                        lost.append(key)
                        continue
                resends = record.task_resends.get(key, 0) + 1
                record.task_resends[key] = resends
                backoff = 2 ** min(resends, MAX_RESEND_DOUBLINGS)
                record.task_due_ms[key] = now + self.timing.dispatch_grace_ms * backoff
                resend.append(key)
        expected = record.version
        record.version = expected + 1
        record.outbox = []
        self._set_wake(record)
        if not self.store.commit(record, expected):
            return None
        for key in resend:
            self.counters.redispatches += 1
            _log.warning("task %s of %s was not taken: sending it again", key, record.arn)
            self._send_task(record.arn, messages.parse_task_work(record.tasks[key]))
        for key in lost:
            _log.error("task %s of %s: its worker stopped %d times", key, record.arn, TASK_ATTEMPTS)
            cause = _TASK_LOST_CAUSE.format(attempts=TASK_ATTEMPTS)
            self.fail_task(record.arn, key, "States.Runtime", cause)
        self._arm(record, now)
        return True

    def _check_child(self, record: ExecutionRecord, key: str, child_arn: str) -> None:
        child = self.store.get_execution(child_arn)
        if child is None or child.status == S.RUNNING or child.parent is None:
            return
        outcome = sync_outcome(child, key, int(child.parent.get("sync_version", 1)))
        if self.store.put_inbox(record.arn, key, outcome):
            self.queue.send(messages.decide(record.arn))

    def _notify_parent(self, record: ExecutionRecord) -> None:
        """An ended child tells the ``.sync`` task that waits for it (first write wins)."""
        parent = record.parent
        if parent is None or record.status == S.RUNNING:
            return
        key = str(parent["key"])
        outcome = sync_outcome(record, key, int(parent.get("sync_version", 1)))
        if self.store.put_inbox(str(parent["arn"]), key, outcome):
            self.queue.send(messages.decide(str(parent["arn"])))

    def _send_task(self, arn: str, command: TaskWork) -> None:
        if command["type"] == "invoke" and "task_token" in command:
            self.store.put_task_token(command["task_token"], arn, command["key"])
        self.queue.send(messages.run_task(arn, command))

    @contextmanager
    def _holding(self, arn: str, key: str, holder: str) -> Iterator[None]:
        """Renew ``holder``'s claim on a task while it runs (a third of a lease apart)."""
        done = threading.Event()
        lease = self.timing.claim_lease_ms

        def renew() -> None:
            while not done.wait(lease / 3000):
                now = self.clock.now_ms()
                try:
                    self.store.claim_task(arn, key, holder, now + lease, now)
                except Exception:
                    _log.warning("renewing the claim on %s of %s failed", key, arn)

        renewer = threading.Thread(target=renew, name="asl-claim", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()

    def _flush(self, record: ExecutionRecord) -> None:
        if record.outbox:
            self.store.append_history(record.arn, record.outbox)

    def _follow_up(
        self,
        record: ExecutionRecord,
        transition: Transition,
        consumed: tuple[str, ...],
        answered: list[str] | None = None,
    ) -> None:
        self.store.append_history(record.arn, record.outbox)
        self._notify_history(record)
        if consumed:
            self.store.delete_inbox(record.arn, list(consumed))
        if answered:
            self.store.delete_task_claims(record.arn, answered)
        for command in transition.commands:
            if command["type"] != "timer":
                self._send_task(record.arn, command)
        if record.status == S.RUNNING:
            self._arm(record, self.clock.now_ms())
        else:
            self._notify_parent(record)

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
        self.queue.send(messages.decide(record.arn, record.wake_ms), delay)


def _unreachable(problem: BaseException) -> bool:
    """The failures of a store or queue out of reach that any adapter's may raise."""
    return isinstance(problem, (ConnectionError, TimeoutError))


def _halted_frames(snapshot: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a redrive of an execution ended without the core resumes: its frames as they
    stood (None when they cannot be read)."""
    try:
        frames = snapshot.get("frames") or {}
        root = frames.get(S.ROOT_FRAME)
        return R.halt(frames, root) if root is not None else None
    except Exception:
        _log.exception("the frames of an execution ended abnormally cannot be kept")
        return None


def _describe(problem: BaseException) -> str:
    if isinstance(problem, RecursionError):
        return "a value is nested too deeply to be processed"
    return f"{type(problem).__name__}: {problem}"[:500]


class Worker:
    """Pulls messages from a :class:`~interpreter.adapters.memory.MemoryQueue` and runs them.

    On a virtual clock :meth:`run_until_idle` jumps time to each due message in turn; on a real
    clock :meth:`start` runs the loop on background threads until :meth:`stop`. A message that
    fails comes back a second later, as SQS redelivers it, and counts its attempts.
    """

    def __init__(self, runtime: DurableRuntime, queue: Any, clock: Any) -> None:
        self.runtime = runtime
        self.queue = queue
        self.clock = clock
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._attempts: dict[str, int] = {}
        self._attempts_lock = threading.Lock()

    @property
    def virtual(self) -> bool:
        """Whether the clock is virtual (time jumps to the next due message)."""
        return hasattr(self.clock, "advance_to")

    def _handle(self, raw: Mapping[str, Any]) -> None:
        message = messages.parse_message(raw)
        identity = json.dumps(raw, sort_keys=True)
        with self._attempts_lock:
            attempt = self._attempts.get(identity, 0) + 1
            self._attempts[identity] = attempt
        try:
            self.runtime.handle(message, attempt)
        except Exception:
            _log.exception("work message failed (attempt %d): %s", attempt, identity[:300])
            self.queue.send(raw, 1000)  # back to the queue, as SQS redelivers it
            return
        with self._attempts_lock:
            self._attempts.pop(identity, None)

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
            self._handle(message)


def _as_its_execution(record: ExecutionRecord, command: TaskWork) -> TaskWork:
    """The task command as the execution's record holds it (a queue message names the work; the
    store says what it is), with the role the execution runs as: its state machine's
    ``roleArn``, which AWS services are called with where the deployment assumes roles."""
    stored = record.tasks.get(command["key"])
    work = messages.parse_task_work(stored) if stored is not None else command
    role = record.snapshot.get("execution", {}).get("role_arn")
    if isinstance(role, str):
        work = cast(TaskWork, {**work, "execution_role": role})
    return work
