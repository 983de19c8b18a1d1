"""In-memory adapters for the durable runtime: a store, a delay queue and two clocks.

They keep the guarantees of :mod:`interpreter.runtime.ports` (compare-and-set commits,
first-write-wins inboxes, idempotent history writes) under a lock, so several worker threads can
share them. Records go in and come out as copies: nothing outside holds a reference to what is
stored, as with a real database.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from interpreter.json_types import JSON
from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord


class RealClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        return int(time.time() * 1000)


class VirtualClock:
    """Time that moves only when told to: a one-day Wait costs nothing."""

    def __init__(self, start_ms: int | None = None) -> None:
        self._now = start_ms if start_ms is not None else int(time.time() * 1000)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The current virtual time."""
        return self._now

    def advance_to(self, moment_ms: int) -> None:
        """Move time forward to ``moment_ms`` (never backward)."""
        with self._lock:
            self._now = max(self._now, moment_ms)


class MemoryQueue:
    """A delay queue: messages come out in due-time order once their time has come."""

    def __init__(self, clock: RealClock | VirtualClock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, dict[str, JSON]]] = []
        self._sequence = itertools.count()
        self._ready = threading.Condition()

    def send(self, message: Mapping[str, JSON], delay_ms: int = 0) -> None:
        """Queue a copy of ``message``, due ``delay_ms`` from now."""
        due = self.clock.now_ms() + max(0, delay_ms)
        with self._ready:
            heapq.heappush(self._heap, (due, next(self._sequence), copy.deepcopy(dict(message))))
            self._ready.notify_all()

    def next_due_ms(self) -> int | None:
        """When the earliest message is due (None when the queue is empty)."""
        with self._ready:
            return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> dict[str, JSON] | None:
        """The earliest message due by ``now_ms``, removed from the queue; else None."""
        with self._ready:
            if self._heap and self._heap[0][0] <= now_ms:
                return heapq.heappop(self._heap)[2]
            return None

    def wait(self, timeout_s: float) -> None:
        """Block until a message is sent or ``timeout_s`` passes (real-clock workers)."""
        with self._ready:
            self._ready.wait(timeout_s)

    def __len__(self) -> int:
        with self._ready:
            return len(self._heap)

    def clear(self) -> None:
        """Drop every queued message (a reset between tests)."""
        with self._ready:
            self._heap.clear()


class MemoryStore:
    """A thread-safe in-memory :class:`~interpreter.runtime.ports.Store`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._machines: dict[str, StateMachineRecord] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._history: dict[str, dict[int, dict[str, Any]]] = {}
        self._inbox: dict[str, dict[str, dict[str, JSON]]] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self._revisions: dict[tuple[str, str], StateMachineRecord] = {}
        self._activities: dict[str, tuple[str, str, int]] = {}

    def clear(self) -> None:
        """Forget everything (a reset between tests)."""
        with self._lock:
            for table in (
                self._machines,
                self._executions,
                self._history,
                self._inbox,
                self._tokens,
                self._revisions,
                self._activities,
            ):
                table.clear()

    # ------------------------------------------------------------------ state machines

    def put_state_machine(self, record: StateMachineRecord) -> bool:
        with self._lock:
            if record.arn in self._machines:
                return False
            self._machines[record.arn] = copy.copy(record)
            self._revisions[(record.arn, record.revision_id)] = copy.copy(record)
            return True

    def update_state_machine(self, record: StateMachineRecord) -> bool:
        with self._lock:
            if record.arn not in self._machines:
                return False
            self._machines[record.arn] = copy.copy(record)
            self._revisions[(record.arn, record.revision_id)] = copy.copy(record)
            return True

    def get_state_machine_revision(self, arn: str, revision_id: str) -> StateMachineRecord | None:
        with self._lock:
            record = self._revisions.get((arn, revision_id))
            return copy.copy(record) if record is not None else None

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        with self._lock:
            record = self._machines.get(arn)
            return copy.copy(record) if record is not None else None

    def list_state_machines(self) -> list[StateMachineRecord]:
        with self._lock:
            return [copy.copy(record) for record in self._machines.values()]

    def delete_state_machine(self, arn: str) -> None:
        with self._lock:
            self._machines.pop(arn, None)

    # ------------------------------------------------------------------ executions

    def create_execution(self, record: ExecutionRecord) -> bool:
        with self._lock:
            if record.arn in self._executions:
                return False
            self._executions[record.arn] = copy.deepcopy(record)
            return True

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        with self._lock:
            record = self._executions.get(arn)
            return copy.deepcopy(record) if record is not None else None

    def commit(self, record: ExecutionRecord, expected_version: int) -> bool:
        with self._lock:
            current = self._executions.get(record.arn)
            if current is None or current.version != expected_version:
                return False
            self._executions[record.arn] = copy.deepcopy(record)
            return True

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        with self._lock:
            found = [
                copy.deepcopy(record)
                for record in self._executions.values()
                if record.state_machine_arn == state_machine_arn
            ]
        return sorted(found, key=lambda record: record.start_ms, reverse=True)

    def running_executions(self) -> list[str]:
        with self._lock:
            running = [r for r in self._executions.values() if r.status == "RUNNING"]
            return [r.arn for r in sorted(running, key=lambda record: record.start_ms)]

    def due_executions(self, now_ms: int) -> list[str]:
        with self._lock:
            return [
                record.arn
                for record in self._executions.values()
                if record.status == "RUNNING"
                and record.wake_ms is not None
                and record.wake_ms <= now_ms
            ]

    # ------------------------------------------------------------------ history and inbox

    def append_history(self, arn: str, events: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            written = self._history.setdefault(arn, {})
            for event in events:
                written.setdefault(int(event["id"]), dict(event))

    def history(self, arn: str) -> list[dict[str, Any]]:
        with self._lock:
            written = self._history.get(arn, {})
            return [dict(written[event_id]) for event_id in sorted(written)]

    def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
        with self._lock:
            box = self._inbox.setdefault(arn, {})
            if key in box:
                return False
            box[key] = copy.deepcopy(dict(entry))
            return True

    def inbox(self, arn: str) -> dict[str, dict[str, JSON]]:
        with self._lock:
            return copy.deepcopy(self._inbox.get(arn, {}))

    def delete_inbox(self, arn: str, keys: Sequence[str]) -> None:
        with self._lock:
            box = self._inbox.get(arn)
            if box is not None:
                for key in keys:
                    box.pop(key, None)

    def put_task_token(self, token: str, arn: str, key: str) -> None:
        with self._lock:
            self._tokens[token] = (arn, key)

    def task_token(self, token: str) -> tuple[str, str] | None:
        with self._lock:
            return self._tokens.get(token)

    # ------------------------------------------------------------------ activities

    def put_activity(self, arn: str, name: str, created_ms: int) -> None:
        with self._lock:
            self._activities.setdefault(arn, (arn, name, created_ms))

    def delete_activity(self, arn: str) -> None:
        with self._lock:
            self._activities.pop(arn, None)

    def list_activities(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return sorted(self._activities.values(), key=lambda entry: (entry[2], entry[0]))
