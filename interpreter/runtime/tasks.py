"""The task runner: carries out the core's task commands through the task ports.

One :class:`TaskRunner` serves both drivers — the in-process runner (:mod:`.local`) and the
durable runtime (:mod:`.durable`). It asks its invokers in order (a mock configuration first,
then local handlers and activity workers, then AWS services — the composition in
:mod:`interpreter.app` decides the order); a resource nobody serves fails the task with
``States.TaskFailed`` and a cause that says so. A Distributed Map's reader and writer commands go
to the item source and the result sink.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, Final, assert_never

from interpreter.core.errors import ITEM_READER_FAILED, RESULT_WRITER_FAILED, TASK_FAILED
from interpreter.core.messages import (
    Event,
    InvokeTask,
    ItemsRead,
    ReadItems,
    ResultsWritten,
    TaskWork,
    WriteResults,
)
from interpreter.definition.resources import TaskResource, parse_task_resource
from interpreter.limits import MAX_CAUSE_LENGTH
from interpreter.runtime.ports import ItemSource, ResultSink, TaskInvoker, TaskOutcome

_log = logging.getLogger("interpreter.runtime")

_NO_S3: Final = (
    "No S3 client is configured for {field} in this local run: pass an invoker that can {ability} "
    "(interpreter.adapters.aws_services.Boto3ServiceInvoker)."
)


def resource_of(command: InvokeTask) -> TaskResource:
    """The parsed resource of a task command (commands are built from validated definitions;
    one that names no resource AWS knows is a bug upstream)."""
    resource = parse_task_resource(command["resource"])
    if resource is None:
        raise ValueError(f"not a Task resource: {command['resource']!r}")
    return resource


class TaskRunner:
    """Runs task commands with the first invoker that serves each one.

    ``items`` and ``results`` default to the first invoker that can read items / write results
    (a boto3 service invoker does both).
    """

    def __init__(
        self,
        invokers: Sequence[TaskInvoker] = (),
        *,
        region: str = "us-east-1",
        items: ItemSource | None = None,
        results: ResultSink | None = None,
    ) -> None:
        self.invokers = tuple(invokers)
        #: The deployment's region: where integrations whose ARN names none are called.
        self.region = region
        self._items = items
        self._results = results

    @property
    def items(self) -> ItemSource | None:
        """Where a Distributed Map's ItemReader reads (found among the invokers on first use:
        a protocol check costs microseconds, and most runs read no items)."""
        if self._items is None:
            self._items = next((i for i in self.invokers if isinstance(i, ItemSource)), None)
        return self._items

    @property
    def results(self) -> ResultSink | None:
        """Where a Distributed Map's ResultWriter writes (found like :attr:`items`)."""
        if self._results is None:
            self._results = next((i for i in self.invokers if isinstance(i, ResultSink)), None)
        return self._results

    def run(self, command: InvokeTask, now_ms: int) -> TaskOutcome:
        """Invoke the resource ``command`` names and return what Step Functions would see."""
        resource = resource_of(command)
        if resource.region is None:
            resource = dataclasses.replace(resource, region=self.region)
        for invoker in self.invokers:
            try:
                outcome = invoker.invoke(resource, command, now_ms)
            except Exception as problem:
                _log.exception(
                    "task of state %s in %s failed in %s",
                    command["state"],
                    command["execution"],
                    type(invoker).__name__,
                )
                cause = f"{type(problem).__name__}: {problem}"[:MAX_CAUSE_LENGTH]
                return TaskOutcome(False, error=TASK_FAILED, cause=cause)
            if outcome is not None:
                return outcome
        return TaskOutcome(
            False,
            error=TASK_FAILED,
            cause=(
                f"The resource '{command['resource']}' cannot be run locally: register a local "
                "handler for it"
            ),
        )

    def carry_out(self, command: ReadItems | WriteResults, region: str) -> Event:
        """Read a Distributed Map's items or write its results; the event that answers."""
        if command["type"] == "read_items":
            return self._read(command, region)
        if command["type"] == "write_results":
            return self._write(command, region)
        assert_never(command)

    def _read(self, command: ReadItems, region: str) -> ItemsRead:
        key = command["key"]
        source = self.items
        if source is None:
            missing = _NO_S3.format(field="ItemReader", ability="read items")
            return {"type": "items_read", "key": key, "error": ITEM_READER_FAILED, "cause": missing}
        result = source.read_items(command["reader"], region)
        if isinstance(result, list):
            return {"type": "items_read", "key": key, "items": result}
        error, cause = _failure_of(result, ITEM_READER_FAILED)
        return {"type": "items_read", "key": key, "error": error, "cause": cause}

    def _write(self, command: WriteResults, region: str) -> ResultsWritten:
        key = command["key"]
        sink = self.results
        if sink is None:
            missing = _NO_S3.format(field="ResultWriter", ability="write results")
            return {
                "type": "results_written",
                "key": key,
                "error": RESULT_WRITER_FAILED,
                "cause": missing,
            }
        result = sink.write_results(
            command["writer"], command["map_run_arn"], command["results"], region
        )
        if isinstance(result, dict):
            return {"type": "results_written", "key": key, "details": result}
        error, cause = _failure_of(result, RESULT_WRITER_FAILED)
        return {"type": "results_written", "key": key, "error": error, "cause": cause}


def is_io(command: TaskWork) -> bool:
    """Whether ``command`` is a reader or writer command (not a task invocation)."""
    return command["type"] != "invoke"


def _failure_of(result: Any, default_error: str) -> tuple[str | None, str | None]:
    return getattr(result, "error", default_error), getattr(result, "cause", None)
