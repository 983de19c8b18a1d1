"""Activities: Task states whose work is done by workers that poll for it.

A Task whose ``Resource`` is an activity ARN (``arn:aws:states:<region>:<account>:activity:<name>``)
is scheduled on the activity; a worker takes it (``GetActivityTask``: the task's token and
input), may send heartbeats, and completes it with ``SendTaskSuccess``/``SendTaskFailure`` and the
token. The history shows ``ActivityScheduled``, ``ActivityStarted`` (with the worker's name) and
``ActivitySucceeded``/``ActivityFailed``/``ActivityTimedOut``. A Task on an activity that does not
exist fails with ``States.Runtime`` ("The activity <arn> does not exist.") before anything is
scheduled, as AWS records it.

This module holds what workers and the API share: the names, the failure an in-process worker
raises, the activity record and AWS's wording. The two ways to supply workers are adapters
(:mod:`interpreter.adapters.activities`): in-process Python workers (``asl run``,
``StateMachine.run``), and a deployment's activities whose tasks wait for outside workers that
long-poll ``GetActivityTask`` (``asl serve``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class ActivityRecord:
    """One activity of a deployment."""

    arn: str
    name: str
    created_ms: int
    #: Resource tags (TagResource), key -> value; kept with the deployment's memory.
    tags: dict[str, str] = field(default_factory=dict)
    #: CreateActivity's encryptionConfiguration (None: AWS's own key); kept in memory too.
    encryption_configuration: dict[str, Any] | None = None


def describe(record: ActivityRecord, date: Callable[[int], Any]) -> dict[str, Any]:
    """DescribeActivity's (and ListActivities' entries') shape for ``record``."""
    return {"activityArn": record.arn, "name": record.name, "creationDate": date(record.created_ms)}
