"""Activity workers as task invokers: in-process Python workers, and a deployment's activities.

* :class:`LocalActivityWorkers` — in-process workers for ``asl run`` and ``StateMachine.run``: a
  Python callable per activity (or an :class:`~interpreter.runtime.activities.ActivityWorker`, to
  give the worker a name) takes the task's input and returns its output (raising
  :class:`~interpreter.runtime.activities.ActivityFailure`, or any exception, fails the task). An
  activity exists when a worker is registered for it.
* :class:`ActivityBroker` — the activities of a deployment (``asl serve``): created, described,
  listed and deleted through the API, with the scheduled tasks waiting for outside workers that
  long-poll ``GetActivityTask``.

Both serve Tasks whose resource is an activity ARN; a Task on an activity that neither knows fails
with ``States.Runtime`` ("The activity <arn> does not exist.") before anything is scheduled.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from interpreter import arns
from interpreter.core.history import to_json_text
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.activities import (
    ActivityFailure,
    ActivityRecord,
    ActivityRun,
    ActivityWorker,
    ActivityWorkerFunction,
    activity_name,
    does_not_exist,
)
from interpreter.runtime.ports import TaskOutcome


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

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """Run the worker of an activity task; None if this is no activity with a worker."""
        if resource.kind != "activity":
            return None
        run = self.run(resource.arn, command["input"])
        if run is None:
            return None
        return TaskOutcome(
            run.succeeded,
            output=run.output,
            error=run.error,
            cause=run.cause,
            activity_scheduled=True,
            worker_name=run.worker_name,
        )

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

    def load(self) -> None:
        """Read the activities kept in the registry (those of an earlier run of the store)."""
        if self.registry is None:
            return
        with self._ready:
            for arn, name, created_ms in self.registry.list_activities():
                self._activities.setdefault(arn, ActivityRecord(arn, name, created_ms))
                self._queues.setdefault(arn, _Queue())

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """Schedule an activity task for the outside workers (it completes by callback)."""
        if resource.kind != "activity":
            return None
        if not self.serves_tasks:
            return TaskOutcome(
                False,
                error="States.Runtime",
                cause="Activity tasks are not served by this deployment yet: run them on "
                "asl serve.",
            )
        if self.schedule(resource.arn, str(command.get("task_token")), command["input"]):
            return TaskOutcome(True, activity_scheduled=True, awaiting_callback=True)
        return TaskOutcome(False, error="States.Runtime", cause=does_not_exist(resource.arn))

    def arn_of(self, name: str) -> str:
        """The ARN of the activity ``name`` in this deployment."""
        return arns.activity_arn(self.region, self.account, name)

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


class MissingActivities:
    """The last word on activity tasks: nobody serves this activity, so it does not exist."""

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """``States.Runtime`` for any activity task that reached it; None for other tasks."""
        if resource.kind != "activity":
            return None
        return TaskOutcome(False, error="States.Runtime", cause=does_not_exist(resource.arn))
