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

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
from interpreter.runtime.ports import Store, TaskOutcome


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


class ActivityBroker:
    """The activities of one deployment and their scheduled tasks, kept in the deployment's
    store (``registry``), so that every process of the deployment sees them: a task scheduled by
    one worker is handed out by whichever API process a worker's GetActivityTask reaches, and a
    scheduled task outlives a restart.

    ``still_pending(token)`` (given to :meth:`poll`) lets the broker drop tasks that ended while
    they waited (their execution stopped, or the task timed out).
    """

    #: How often a long poll looks at the store for tasks scheduled by another process.
    POLL_INTERVAL_SECONDS = 0.2

    def __init__(self, *, region: str, account: str, registry: Store) -> None:
        self.region = region
        self.account = account
        #: Where the activities and their waiting tasks are kept (the deployment's store).
        self.registry = registry
        self._activities: dict[str, ActivityRecord] = {}
        self._ready = threading.Condition()

    def load(self) -> None:
        """Read the activities kept in the store (those of another process, or of an earlier
        run of the store)."""
        found = self.registry.list_activities()
        with self._ready:
            for arn, name, created_ms in found:
                self._activities.setdefault(arn, ActivityRecord(arn, name, created_ms))

    def clear(self) -> None:
        """Forget the activities this process has seen (the store is emptied by its own reset,
        between tests)."""
        with self._ready:
            self._activities.clear()
            self._ready.notify_all()

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """Schedule an activity task for the outside workers (it completes by callback)."""
        if resource.kind != "activity":
            return None
        if self.schedule(resource.arn, str(command.get("task_token")), command["input"], now_ms):
            return TaskOutcome(True, activity_scheduled=True, awaiting_callback=True)
        return TaskOutcome(False, error="States.Runtime", cause=does_not_exist(resource.arn))

    def arn_of(self, name: str) -> str:
        """The ARN of the activity ``name`` in this deployment."""
        return arns.activity_arn(self.region, self.account, name)

    def create(self, name: str, now_ms: int) -> ActivityRecord:
        """Create the activity ``name``, or return it if it exists (as CreateActivity does)."""
        arn = self.arn_of(name)
        existing = self.get(arn)
        if existing is not None:
            return existing
        self.registry.put_activity(arn, name, now_ms)
        self.load()  # another process may have created it first: its date stands
        record = self.get(arn)
        assert record is not None
        return record

    def get(self, arn: str) -> ActivityRecord | None:
        """The activity ``arn``, if it exists (looked up in the store when this process has
        not seen it yet)."""
        with self._ready:
            record = self._activities.get(arn)
        if record is None:
            self.load()
            with self._ready:
                record = self._activities.get(arn)
        return record

    def list(self) -> list[ActivityRecord]:
        """Every activity, oldest first."""
        self.load()
        with self._ready:
            return sorted(self._activities.values(), key=lambda record: record.created_ms)

    def delete(self, arn: str) -> None:
        """Delete the activity ``arn``; no error if it is gone."""
        self.registry.delete_activity(arn)
        with self._ready:
            self._activities.pop(arn, None)

    def schedule(self, arn: str, token: str, task_input: JSON, now_ms: int) -> bool:
        """Queue a task for the workers of ``arn``; False if the activity does not exist."""
        if self.get(arn) is None:
            return False
        self.registry.put_activity_task(arn, token, to_json_text(task_input), now_ms)
        with self._ready:
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
        while True:
            taken = self.registry.take_activity_task(arn)
            while taken is not None:
                if still_pending(taken[0]):
                    return PendingActivityTask(*taken)
                taken = self.registry.take_activity_task(arn)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with self._ready:
                # Woken by a task scheduled in this process; another's is seen on the next look.
                self._ready.wait(min(remaining, self.POLL_INTERVAL_SECONDS))


class MissingActivities:
    """The last word on activity tasks: nobody serves this activity, so it does not exist."""

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """``States.Runtime`` for any activity task that reached it; None for other tasks."""
        if resource.kind != "activity":
            return None
        return TaskOutcome(False, error="States.Runtime", cause=does_not_exist(resource.arn))
