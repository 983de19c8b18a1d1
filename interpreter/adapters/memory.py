"""In-memory adapters for the durable runtime: a store, a delay queue and two clocks.

They keep the guarantees of :mod:`interpreter.runtime.ports` (compare-and-set commits,
first-write-wins inboxes, idempotent history writes) under a lock, so several worker threads can
share them. Records go in and come out as copies: nothing outside holds a reference to what is
stored, as with a real database.
"""

from __future__ import annotations

import bisect
import copy
import heapq
import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from interpreter.json_types import JSON
from interpreter.runtime.ports import (
    Claim,
    ExecutionRecord,
    ExecutionSummary,
    ListingPosition,
    StateMachineRecord,
)

#: An index entry: executions sort by start time, then ARN.
_Key = tuple[int, str]


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
        self._claims: dict[str, dict[str, tuple[str, int]]] = {}
        self._activity_tasks: dict[str, list[tuple[int, str, str]]] = {}
        # Indexes (kept sorted, so a page is a bisect and a slice): executions by state machine,
        # by state machine and status, finished executions by stop time (retention), state
        # machines by creation; and the task tokens of each execution.
        self._by_machine: dict[str, list[_Key]] = {}
        self._by_status: dict[tuple[str, str], list[_Key]] = {}
        self._finished: list[tuple[int, str]] = []
        self._machine_order: list[tuple[int, str]] = []
        self._tokens_of: dict[str, list[str]] = {}

    def clear(self) -> None:
        """Forget everything, tables and indexes alike (a reset between tests)."""
        fresh = vars(MemoryStore())
        with self._lock:
            for name, empty in fresh.items():
                if name != "_lock":
                    setattr(self, name, empty)

    # ------------------------------------------------------------------ state machines

    def put_state_machine(self, record: StateMachineRecord) -> bool:
        with self._lock:
            if record.arn in self._machines:
                return False
            self._machines[record.arn] = copy.copy(record)
            bisect.insort(self._machine_order, (record.created_ms, record.arn))
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
            record = self._machines.pop(arn, None)
            if record is not None:
                _remove(self._machine_order, (record.created_ms, arn))

    def list_state_machines_page(
        self, *, limit: int = 100, after: ListingPosition = None
    ) -> tuple[list[StateMachineRecord], ListingPosition]:
        with self._lock:
            order = self._machine_order
            start = bisect.bisect_right(order, tuple(after)) if after else 0
            keys = order[start : start + limit]
            more = start + limit < len(order)
            records = [copy.copy(self._machines[arn]) for _, arn in keys]
        return records, (list(keys[-1]) if more and keys else None)

    # ------------------------------------------------------------------ executions

    def create_execution(self, record: ExecutionRecord) -> bool:
        with self._lock:
            if record.arn in self._executions:
                return False
            self._executions[record.arn] = copy.deepcopy(record)
            key = (record.start_ms, record.arn)
            bisect.insort(self._by_machine.setdefault(record.state_machine_arn, []), key)
            self._index_status(record, None)
            return True

    def _index_status(self, record: ExecutionRecord, previous: str | None) -> None:
        """Move an execution between the status indexes (and into the retention order)."""
        if previous == record.status:
            return
        key = (record.start_ms, record.arn)
        if previous is not None:
            _remove(self._by_status.get((record.state_machine_arn, previous), []), key)
        bisect.insort(
            self._by_status.setdefault((record.state_machine_arn, record.status), []), key
        )
        if record.status != "RUNNING":
            heapq.heappush(self._finished, (record.stop_ms or record.start_ms, record.arn))

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
            self._index_status(record, current.status)
            return True

    def list_executions_page(
        self,
        state_machine_arn: str,
        *,
        status: str | None = None,
        redriven: bool | None = None,
        limit: int = 100,
        after: ListingPosition = None,
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        with self._lock:
            if status is None:
                index = self._by_machine.get(state_machine_arn, [])
            else:
                index = self._by_status.get((state_machine_arn, status), [])
            end = bisect.bisect_left(index, tuple(after)) if after else len(index)
            keys: list[_Key] = []
            more = False
            for key in reversed(index[:end]):
                if redriven is not None and (self._executions[key[1]].redrive_count > 0) != (
                    redriven
                ):
                    continue
                if len(keys) == limit:
                    more = True
                    break
                keys.append(key)
            summaries = [_summary(self._executions[arn]) for _, arn in keys]
        return summaries, (list(keys[-1]) if more and keys else None)

    def delete_finished_executions(self, stopped_before_ms: int, limit: int = 1000) -> int:
        deleted = 0
        with self._lock:
            while self._finished and self._finished[0][0] < stopped_before_ms and deleted < limit:
                _, arn = heapq.heappop(self._finished)
                record = self._executions.get(arn)
                if record is None or record.status == "RUNNING":
                    continue
                if (record.stop_ms or record.start_ms) >= stopped_before_ms:
                    continue  # redriven since: a later entry holds its new end
                self._forget(record)
                deleted += 1
        return deleted

    def _forget(self, record: ExecutionRecord) -> None:
        key = (record.start_ms, record.arn)
        del self._executions[record.arn]
        _remove(self._by_machine.get(record.state_machine_arn, []), key)
        _remove(self._by_status.get((record.state_machine_arn, record.status), []), key)
        self._history.pop(record.arn, None)
        self._inbox.pop(record.arn, None)
        self._claims.pop(record.arn, None)
        for token in self._tokens_of.pop(record.arn, []):
            self._tokens.pop(token, None)

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
            if token not in self._tokens:
                self._tokens_of.setdefault(arn, []).append(token)
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

    # ------------------------------------------------------------------ task claims

    def claim_task(self, arn: str, key: str, owner: str, until_ms: int, now_ms: int) -> Claim:
        with self._lock:
            claims = self._claims.setdefault(arn, {})
            held = claims.get(key)
            if held is not None and held[0] != owner and held[1] >= now_ms:
                return "refused"
            claims[key] = (owner, until_ms)
            return "taken_over" if held is not None and held[0] != owner else "granted"

    def task_claims(self, arn: str) -> dict[str, tuple[str, int]]:
        with self._lock:
            return dict(self._claims.get(arn, {}))

    def delete_task_claims(self, arn: str, keys: Sequence[str]) -> None:
        with self._lock:
            claims = self._claims.get(arn)
            if claims is not None:
                for key in keys:
                    claims.pop(key, None)

    # ------------------------------------------------------------------ activity tasks

    def put_activity_task(
        self, activity_arn: str, token: str, input_text: str, created_ms: int
    ) -> None:
        with self._lock:
            waiting = self._activity_tasks.setdefault(activity_arn, [])
            if all(entry[1] != token for entry in waiting):
                waiting.append((created_ms, token, input_text))
                waiting.sort()

    def take_activity_task(self, activity_arn: str) -> tuple[str, str] | None:
        with self._lock:
            waiting = self._activity_tasks.get(activity_arn)
            if not waiting:
                return None
            _, token, input_text = waiting.pop(0)
            return token, input_text


def _remove(index: list[Any], key: Any) -> None:
    """Remove ``key`` from a sorted index (if it is there)."""
    at = bisect.bisect_left(index, key)
    if at < len(index) and index[at] == key:
        del index[at]


def _summary(record: ExecutionRecord) -> ExecutionSummary:
    return ExecutionSummary(
        record.arn,
        record.state_machine_arn,
        record.name,
        record.status,
        record.start_ms,
        record.stop_ms,
        record.redrive_count,
        record.redrive_ms,
    )
