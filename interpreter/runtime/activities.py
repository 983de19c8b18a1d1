"""Activities: Task states whose work is done by workers that poll for it.

A Task whose ``Resource`` is an activity ARN (``arn:aws:states:<region>:<account>:activity:<name>``)
is scheduled on the activity; a worker takes it (``GetActivityTask``: the task's token and
input), may send heartbeats, and completes it with ``SendTaskSuccess``/``SendTaskFailure`` and the
token. The history shows ``ActivityScheduled``, ``ActivityStarted`` (with the worker's name) and
``ActivitySucceeded``/``ActivityFailed``/``ActivityTimedOut``. A Task on an activity that does not
exist fails with ``States.Runtime`` ("The activity <arn> does not exist.") before anything is
scheduled, as AWS records it.

Two ways to supply workers:

* :class:`LocalActivityWorkers` — in-process workers for ``asl run`` and ``StateMachine.run``: a
  Python callable per activity (or an :class:`ActivityWorker`, to give the worker a name) takes
  the task's input and returns its output (raising :class:`ActivityFailure`, or any exception,
  fails the task). An activity exists when a worker is registered for it.
* :class:`ActivityBroker` — the activities of a deployment (``asl serve``): created, described,
  listed and deleted through the API, with the scheduled tasks waiting for outside workers that
  long-poll ``GetActivityTask``.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from interpreter.core.history import to_json_text
from interpreter.json_types import JSON

#: An in-process activity worker: the task's input in, its output out.
ActivityWorkerFunction = Callable[[JSON], JSON]


class ActivityFailure(Exception):
    """Raised by an in-process worker to fail its task with an ``error`` and a ``cause``."""

    def __init__(self, error: str | None = None, cause: str | None = None) -> None:
        super().__init__(error or "")
        self.error = error
        self.cause = cause


def does_not_exist(activity_arn: str) -> str:
    """AWS's cause for a Task on an activity that does not exist (without the state prefix)."""
    return f"The activity {activity_arn} does not exist."


def activity_name(reference: str) -> str:
    """The name in an activity ARN (a bare name is returned as it is)."""
    return reference.rsplit(":", 1)[-1] if reference.startswith("arn:") else reference


@dataclass(slots=True)
class ActivityRun:
    """What an in-process worker did with one task."""

    worker_name: str
    succeeded: bool
    output: JSON = None
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityWorker:
    """An in-process worker with the name it gives ``GetActivityTask`` (``ActivityStarted``
    records it); a bare function as a worker is named after its activity."""

    function: ActivityWorkerFunction
    name: str


class LocalActivityWorkers:
    """In-process workers, by activity name or ARN."""

    def __init__(
        self, workers: Mapping[str, ActivityWorkerFunction | ActivityWorker] | None = None
    ) -> None:
        self._workers: dict[str, ActivityWorker] = {}
        for key, worker in (workers or {}).items():
            name = activity_name(key)
            if not isinstance(worker, ActivityWorker):
                worker = ActivityWorker(worker, name)
            self._workers[name] = worker

    def run(self, activity_arn: str, task_input: JSON) -> ActivityRun | None:
        """Run the worker of ``activity_arn`` on ``task_input``; None if there is no worker."""
        worker = self._workers.get(activity_name(activity_arn))
        if worker is None:
            return None
        name = worker.name
        try:
            output = worker.function(task_input)
        except ActivityFailure as failure:
            return ActivityRun(name, False, error=failure.error, cause=failure.cause)
        except Exception as problem:  # the worker's failure is the task's
            return ActivityRun(name, False, error=type(problem).__name__, cause=str(problem))
        return ActivityRun(name, True, output=output)


@dataclass(slots=True)
class ActivityRecord:
    """One activity of a deployment."""

    arn: str
    name: str
    created_ms: int
    #: Resource tags (TagResource), key -> value; kept with the deployment's memory.
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PendingActivityTask:
    """A scheduled task waiting for a worker."""

    token: str
    input_text: str


@dataclass(slots=True)
class _Queue:
    tasks: collections.deque[PendingActivityTask] = field(default_factory=collections.deque)


class ActivityBroker:
    """The activities of one deployment and their scheduled tasks, in memory (thread-safe).

    ``still_pending(token)`` (given to :meth:`poll`) lets the broker drop tasks that ended while
    they waited (their execution stopped, or the task timed out).
    """

    def __init__(
        self, *, region: str, account: str, registry: Any = None, serves_tasks: bool = True
    ) -> None:
        self.region = region
        self.account = account
        #: False where the workers cannot reach the tasks (the serverless deployment keeps the
        #: waiting tasks in one container's memory): activity tasks then fail at once.
        self.serves_tasks = serves_tasks
        #: Where the activities are kept (the deployment's store), so they outlive a restart.
        self.registry = registry
        self._activities: dict[str, ActivityRecord] = {}
        self._queues: dict[str, _Queue] = {}
        self._ready = threading.Condition()
        for arn, name, created_ms in registry.list_activities() if registry is not None else ():
            self._activities[arn] = ActivityRecord(arn, name, created_ms)
            self._queues[arn] = _Queue()

    def clear(self) -> None:
        """Forget every activity and waiting task (a reset between tests)."""
        with self._ready:
            self._activities.clear()
            self._queues.clear()
            self._ready.notify_all()

    def arn_of(self, name: str) -> str:
        """The ARN of the activity ``name`` in this deployment."""
        return f"arn:aws:states:{self.region}:{self.account}:activity:{name}"

    def create(self, name: str, now_ms: int) -> ActivityRecord:
        """Create the activity ``name``, or return it if it exists (as CreateActivity does)."""
        arn = self.arn_of(name)
        with self._ready:
            record = self._activities.get(arn)
            if record is None:
                record = ActivityRecord(arn, name, now_ms)
                if self.registry is not None:
                    self.registry.put_activity(arn, name, now_ms)
                self._activities[arn] = record
                self._queues[arn] = _Queue()
            return record

    def get(self, arn: str) -> ActivityRecord | None:
        """The activity ``arn``, if it exists."""
        with self._ready:
            return self._activities.get(arn)

    def list(self) -> list[ActivityRecord]:
        """Every activity, oldest first."""
        with self._ready:
            return sorted(self._activities.values(), key=lambda record: record.created_ms)

    def delete(self, arn: str) -> None:
        """Delete the activity ``arn`` (and forget its waiting tasks); no error if it is gone."""
        with self._ready:
            if self.registry is not None:
                self.registry.delete_activity(arn)
            self._activities.pop(arn, None)
            self._queues.pop(arn, None)

    def schedule(self, arn: str, token: str, task_input: JSON) -> bool:
        """Queue a task for the workers of ``arn``; False if the activity does not exist."""
        with self._ready:
            queue = self._queues.get(arn)
            if queue is None:
                return False
            queue.tasks.append(PendingActivityTask(token, to_json_text(task_input)))
            self._ready.notify_all()
            return True

    def poll(
        self,
        arn: str,
        wait_seconds: float,
        still_pending: Callable[[str], bool] = lambda token: True,
    ) -> PendingActivityTask | None:
        """Take the oldest waiting task of ``arn``, waiting up to ``wait_seconds`` for one."""
        deadline = time.monotonic() + wait_seconds
        with self._ready:
            while True:
                queue = self._queues.get(arn)
                while queue is not None and queue.tasks:
                    task = queue.tasks.popleft()
                    if still_pending(task.token):
                        return task
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._ready.wait(remaining)


def describe(record: ActivityRecord, date: Callable[[int], Any]) -> dict[str, Any]:
    """DescribeActivity's (and ListActivities' entries') shape for ``record``."""
    return {"activityArn": record.arn, "name": record.name, "creationDate": date(record.created_ms)}
