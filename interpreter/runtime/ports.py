"""The ports of the durable runtime: what it needs from storage, queues and clocks.

The runtime (:mod:`interpreter.runtime.durable`) drives executions through these protocols only,
so the same code runs on an in-memory store and queue (local runs, ``asl serve``, tests) and on
DynamoDB and SQS (AWS). Records are plain data; a store keeps them as it likes.

Consistency the runtime relies on:

* :meth:`Store.commit` is a compare-and-set on ``version``: one writer wins, the other re-reads.
* :meth:`Store.put_inbox` keeps the first write of a key: a duplicated task result is harmless.
* :meth:`Store.append_history` is idempotent by event id: repeating it after a crash is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from interpreter.json_types import JSON


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
    their due time; ``tasks`` holds the invoke commands dispatched and not yet answered, so a
    lost task message can be sent again (the task's key makes that harmless). ``outbox`` holds
    the history events of the last commit until they are written where history is read.
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
    #: When the execution next needs a decision (its earliest timer), for the sweep.
    wake_ms: int | None = None
    #: The state machine revision the execution runs (see StateMachineRecord.revision_id).
    state_machine_revision: str = ""
    #: When each task still in the hands of the task runner was (last) sent, by key: a task
    #: whose message was lost (a crash between a commit and its send) is sent again once it is
    #: overdue. Callbacks and activity tasks leave it once submitted or scheduled.
    task_sent_ms: dict[str, int] = field(default_factory=dict)
    #: The version (and the alias) StartExecution named, if it named one.
    version_arn: str = ""
    alias_arn: str = ""


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    """An execution as a listing shows it (ListExecutions): no snapshot, no payloads."""

    arn: str
    state_machine_arn: str
    name: str
    status: str
    start_ms: int
    stop_ms: int | None = None


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
        limit: int = 100,
        after: ListingPosition = None,
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        """One page of a state machine's executions, newest first (optionally of one status),
        from the position a previous page returned; and the position of the next page (None
        after the last). Served by an index: a page costs the same however many executions
        there are."""
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
        """Write history events; an event whose id is already written is skipped."""
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


class Queue(Protocol):
    """Work messages, optionally delayed."""

    def send(self, message: Mapping[str, JSON], delay_ms: int = 0) -> None:
        """Queue ``message`` to be delivered ``delay_ms`` from now (at least once)."""
        ...


class Clock(Protocol):
    """The runtime's time source."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...
