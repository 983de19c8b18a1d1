"""The runtime's ports: what it needs from storage, queues, clocks and the world tasks act on.

The runtime drives executions through these protocols only; the adapters
(:mod:`interpreter.adapters`) implement them and :mod:`interpreter.app` chooses which. So the same
code runs on an in-memory store and queue (local runs, ``asl serve``, tests) and on DynamoDB and
SQS (AWS), with tasks served by local Python handlers, mock configurations, activity workers or
AWS services through boto3. Records are plain data; a store keeps them as it likes.

* :class:`Store`, :class:`Queue`, :class:`Clock` — the durable runtime's state, work and time.
* :class:`TaskInvoker` — runs a Task's resource and answers with a :class:`TaskOutcome` (or None:
  not its business, ask the next one).
* :class:`ItemSource` / :class:`ResultSink` — a Distributed Map's ItemReader and ResultWriter.

Consistency the runtime relies on:

* :meth:`Store.commit` is a compare-and-set on ``version``: one writer wins, the other re-reads.
* :meth:`Store.put_inbox` keeps the first write of a key: a duplicated task result is harmless.
* :meth:`Store.append_history` is idempotent by event id: repeating it after a crash is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

from interpreter.core.messages import Event, InvokeTask, Message, TaskSubmitted
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """The result of one task invocation, as the core consumes it."""

    succeeded: bool
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    #: Simulated seconds the invocation took (virtual clock only).
    duration_seconds: float = 0.0
    #: The submitting call's response, for integrations that report ``TaskSubmitted`` first
    #: (``.sync`` jobs, ``.waitForTaskToken`` requests).
    submitted_output: JSON = None
    #: A ``.waitForTaskToken`` request went out: only a callback (SendTaskSuccess/Failure) can
    #: complete the task, so the outcome has no completion.
    awaiting_callback: bool = False
    #: An activity task was queued for its workers (``ActivityScheduled`` is recorded then).
    activity_scheduled: bool = False
    #: The worker that took an activity task (``ActivityStarted``), when one did.
    worker_name: str | None = None
    #: The child execution a ``.sync`` task started in this deployment: it tells the task when
    #: it ends (the outcome waits for that, as it waits for a callback).
    child_execution: str | None = None
    #: The invocation was given up at the Task's ``TimeoutSeconds`` (a local handler still
    #: running then): nothing is delivered, and the Task's own timeout timer ends it.
    abandoned: bool = False

    def as_event(self, key: str) -> Event:
        """The core event that delivers this outcome's completion for task ``key``."""
        if self.succeeded:
            return {"type": "task_succeeded", "key": key, "output": self.output}
        return {"type": "task_failed", "key": key, "error": self.error, "cause": self.cause}

    def events(self, key: str) -> list[Event]:
        """The core events this outcome delivers, in order: scheduling or submission, the
        worker's start, then completion (none for an abandoned invocation)."""
        events: list[Event] = []
        if self.abandoned:
            return events
        if self.activity_scheduled:
            events.append({"type": "activity_scheduled", "key": key})
        if self.worker_name is not None:
            events.append({"type": "task_started", "key": key, "worker_name": self.worker_name})
        elif self.submitted_output is not None or (
            self.awaiting_callback and not self.activity_scheduled
        ):
            submitted: TaskSubmitted = {
                "type": "task_submitted",
                "key": key,
                "output": self.submitted_output,
            }
            if self.child_execution is not None:
                submitted["child"] = self.child_execution
            events.append(submitted)
        if not self.awaiting_callback:
            events.append(self.as_event(key))
        return events


class TaskInvoker(Protocol):
    """Runs Task resources: local handlers, mocks, activity workers, AWS services..."""

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of the task ``command`` asks for, or None if this invoker does not serve
        ``resource`` (the next one is asked)."""
        ...


#: A local handler standing in for a Lambda function: ``handler(event, context)``.
LambdaHandler = Callable[[JSON, Any], Any]


class HandlerRegistry(Protocol):
    """Where a deployment's local Lambda handlers are registered (tests swap them)."""

    def replace(self, handlers: Mapping[str, LambdaHandler]) -> None:
        """Serve ``handlers`` from now on, in place of those given before."""
        ...


@runtime_checkable
class ItemSource(Protocol):
    """Reads a Distributed Map's items (its ``ItemReader``, from S3)."""

    def read_items(
        self, reader: Mapping[str, Any], region: str, execution_role: str | None = None
    ) -> Any:
        """The items (a list), or a failure with ``error`` and ``cause`` attributes.
        ``execution_role``: the role of the execution whose Map reads (its state machine's)."""
        ...


@runtime_checkable
class ResultSink(Protocol):
    """Exports a Distributed Map's results (its ``ResultWriter``, to S3)."""

    def write_results(
        self,
        writer: Mapping[str, Any],
        map_run_arn: str,
        results: Mapping[str, Any],
        region: str,
        execution_role: str | None = None,
    ) -> Any:
        """The ``ResultWriterDetails`` (a dict), or a failure with ``error`` and ``cause``
        attributes (``execution_role`` as for :meth:`ItemSource.read_items`)."""
        ...


#: What :meth:`Store.claim_task` answers.
Claim: TypeAlias = Literal["granted", "taken_over", "refused"]


@dataclass(slots=True)
class StateMachineRecord:
    """A created state machine (CreateStateMachine)."""

    arn: str
    name: str
    definition: str
    role_arn: str
    type: str = "STANDARD"
    created_ms: int = 0
    status: str = "ACTIVE"
    #: Names this configuration (definition, role): UpdateStateMachine makes a new revision,
    #: and an execution runs the revision it started with to its end.
    revision_id: str = ""
    updated_ms: int = 0
    #: Published versions by number: ``{"revision_id", "created_ms", "description"?}``.
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Aliases by name: ``{"routing": [...], "created_ms", "updated_ms", "description"?}``.
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Resource tags (TagResource), key -> value.
    tags: dict[str, str] = field(default_factory=dict)
    #: The API's LoggingConfiguration, TracingConfiguration and EncryptionConfiguration, as
    #: DescribeStateMachine shows them (empty: never given).
    logging_configuration: dict[str, Any] = field(default_factory=dict)
    tracing_configuration: dict[str, Any] = field(default_factory=dict)
    encryption_configuration: dict[str, Any] | None = None


@dataclass(slots=True)
class ExecutionRecord:
    """The one item that holds an execution's state; ``version`` orders its commits.

    ``snapshot`` is the core's snapshot (plain JSON). ``timers`` maps pending timer keys to
    their due time; ``tasks`` holds the task commands dispatched and not yet answered, so a
    lost task message can be sent again (the task's key and its claim make that harmless).
    ``outbox`` holds the history events of the last commit until they are written where history
    is read (readers merge it: see :meth:`DurableRuntime.history`).
    """

    arn: str
    state_machine_arn: str
    name: str
    input_text: str
    start_ms: int
    version: int = 0
    status: str = "RUNNING"
    snapshot: dict[str, Any] = field(default_factory=dict)
    timers: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    stop_ms: int | None = None
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    #: When the execution next needs a decision (its earliest timer or task check), for the
    #: sweep.
    wake_ms: int | None = None
    #: The state machine revision the execution runs (see StateMachineRecord.revision_id).
    state_machine_revision: str = ""
    #: When the runtime next looks at each task still in the hands of the task runner, by key:
    #: a task nobody took by then (its message lost in a crash between a commit and its send)
    #: is sent again; one whose worker's claim ended (the worker died) too; one that waits for
    #: a child execution looks at the child. Callbacks and activity tasks leave it once
    #: submitted or scheduled: only their timeouts end their wait.
    task_due_ms: dict[str, int] = field(default_factory=dict)
    #: How many times each task was sent again since a worker last held it: each resend waits
    #: twice as long for the next look, so a long queue is not flooded with copies.
    task_resends: dict[str, int] = field(default_factory=dict)
    #: How many times each task's worker took it and stopped without an answer (its lease
    #: ended): a task that keeps ending its workers fails instead of being sent for ever.
    task_losses: dict[str, int] = field(default_factory=dict)
    #: How many times each state has invoked its resource so far (mock test cases answer by
    #: invocation number, across retries and Map iterations).
    invocations: dict[str, int] = field(default_factory=dict)
    #: The version (and the alias) StartExecution named, if it named one.
    version_arn: str = ""
    alias_arn: str = ""
    #: The Step Functions Local mock test case the execution runs (``<arn>#<TestCase>``).
    test_case: str = ""
    #: The task of another execution that started this one and waits for its end (``.sync``):
    #: ``{"arn", "key", "sync_version"}``.
    parent: dict[str, Any] | None = None
    #: The child executions tasks of this one wait for (``.sync``), by task key.
    children: dict[str, str] = field(default_factory=dict)
    #: How many times the execution was redriven (RedriveExecution), and when last.
    redrive_count: int = 0
    redrive_ms: int | None = None
    #: The client tokens of the last successful redrives: token -> ``[first used, redrive
    #: time]`` (a repeated request within their validity answers as the first did).
    redrive_tokens: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ExecutionRecord:
        """A record from its stored form; members an earlier version stored and this one no
        longer has are left out."""
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in document.items() if name in known})


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    """An execution as a listing shows it (ListExecutions): no snapshot, no payloads."""

    arn: str
    state_machine_arn: str
    name: str
    status: str
    start_ms: int
    stop_ms: int | None = None
    redrive_count: int = 0
    redrive_ms: int | None = None


#: A position in a store's listing: the store's own key, JSON-serialisable and opaque to callers
#: (the API wraps it into its paging token). None is the start of the listing.
ListingPosition = Any


class Store(Protocol):
    """Durable state: state machines, executions, history, inboxes and task tokens."""

    def put_state_machine(self, record: StateMachineRecord) -> bool:
        """Create a state machine; False if one with this ARN exists."""
        ...

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """A state machine by ARN."""
        ...

    def list_state_machines(self) -> list[StateMachineRecord]:
        """Every state machine, oldest first."""
        ...

    def update_state_machine(self, record: StateMachineRecord) -> bool:
        """Replace a state machine with a new revision of it; False if it does not exist. Its
        earlier revisions stay readable for the executions that run them."""
        ...

    def get_state_machine_revision(self, arn: str, revision_id: str) -> StateMachineRecord | None:
        """One revision of a state machine (also after the state machine was deleted)."""
        ...

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine (its executions stay)."""
        ...

    def create_execution(self, record: ExecutionRecord) -> bool:
        """Store a new execution; False if one with this ARN exists."""
        ...

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        """The current record of an execution (a copy the caller may change)."""
        ...

    def commit(self, record: ExecutionRecord, expected_version: int) -> bool:
        """Replace the record if its stored version is ``expected_version`` (compare-and-set)."""
        ...

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        """The executions of a state machine, newest first."""
        ...

    def list_executions_page(
        self,
        state_machine_arn: str,
        *,
        status: str | None = None,
        redriven: bool | None = None,
        limit: int = 100,
        after: ListingPosition = None,
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        """One page of a state machine's executions, newest first (optionally of one status,
        and only those redriven or never redriven), from the position a previous page
        returned; and the position of the next page (None after the last). Served by an
        index: a page costs the same however many executions there are (``redriven`` filters
        what the index gives)."""
        ...

    def list_state_machines_page(
        self, *, limit: int = 100, after: ListingPosition = None
    ) -> tuple[list[StateMachineRecord], ListingPosition]:
        """One page of the state machines, oldest first, as :meth:`list_executions_page`."""
        ...

    def delete_finished_executions(self, stopped_before_ms: int, limit: int = 1000) -> int:
        """Retention: forget up to ``limit`` executions that ended before ``stopped_before_ms``
        (their records, history, inbox and task tokens); how many were forgotten."""
        ...

    def due_executions(self, now_ms: int) -> list[str]:
        """RUNNING executions whose ``wake_ms`` has passed (for the sweep)."""
        ...

    def running_executions(self) -> list[str]:
        """Every RUNNING execution, oldest first (for recovery after a restart)."""
        ...

    def append_history(self, arn: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Write history events; an event whose id is already written is skipped. ``events``
        are one commit's, in id order, and every writer writes them in that order: a store may
        take the last one's presence for all of them written."""
        ...

    def history(self, arn: str) -> list[dict[str, Any]]:
        """An execution's history events in id order."""
        ...

    def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
        """Deliver an event to an execution; the first write of a key wins."""
        ...

    def inbox(self, arn: str) -> dict[str, dict[str, JSON]]:
        """The undelivered events of an execution, by key."""
        ...

    def delete_inbox(self, arn: str, keys: Sequence[str]) -> None:
        """Drop delivered events."""
        ...

    def put_task_token(self, token: str, arn: str, key: str) -> None:
        """Remember which execution and task a callback token answers."""
        ...

    def task_token(self, token: str) -> tuple[str, str] | None:
        """``(execution ARN, task key)`` for a callback token."""
        ...

    def put_activity(self, arn: str, name: str, created_ms: int) -> None:
        """Record an activity (CreateActivity); an existing one is kept as it is."""
        ...

    def delete_activity(self, arn: str) -> None:
        """Forget an activity."""
        ...

    def list_activities(self) -> list[tuple[str, str, int]]:
        """Every activity as ``(arn, name, created_ms)``, oldest first."""
        ...

    def claim_task(self, arn: str, key: str, owner: str, until_ms: int, now_ms: int) -> Claim:
        """Hold task ``key`` of execution ``arn`` for ``owner`` until ``until_ms``: ``granted``
        when nobody holds it or ``owner`` does (a renewal), ``taken_over`` when its holder's
        lease ended before ``now_ms``, else ``refused``. A duplicated task message finds the
        task held and does nothing; a task whose worker died is taken over once its lease
        ends."""
        ...

    def task_claims(self, arn: str) -> dict[str, tuple[str, int]]:
        """The claims on an execution's tasks: key -> ``(owner, until_ms)``."""
        ...

    def delete_task_claims(self, arn: str, keys: Sequence[str]) -> None:
        """Forget the claims of answered tasks."""
        ...

    def put_activity_task(
        self, activity_arn: str, token: str, input_text: str, created_ms: int
    ) -> None:
        """Queue a scheduled activity task for the activity's workers."""
        ...

    def take_activity_task(self, activity_arn: str) -> tuple[str, str] | None:
        """Remove and return the oldest waiting task of an activity: ``(token, input text)``
        (each task goes to one caller)."""
        ...


class Queue(Protocol):
    """Work messages (:data:`interpreter.core.messages.Message`), optionally delayed."""

    def send(self, message: Message, delay_ms: int = 0) -> None:
        """Queue ``message`` to be delivered ``delay_ms`` from now (at least once)."""
        ...


class Clock(Protocol):
    """The runtime's time source."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...
