"""The task runner: carries out the core's task commands through the task ports.

One :class:`TaskRunner` serves both drivers — the in-process runner (:mod:`.local`) and the
durable runtime (:mod:`.durable`). It asks its invokers in order (a mock configuration first,
then local handlers and activity workers, then AWS services — the composition in
:mod:`interpreter.app` decides the order); a resource nobody serves fails the task with
``States.TaskFailed`` and a cause that says so. A Distributed Map's reader and writer commands go
to the item source and the result sink.

Every value an invoker hands back crosses into the engine here, so it is checked here, once for
every invoker (:func:`checked_outcome`): a task's result (and the response a ``.waitForTaskToken``
or ``.sync`` call submitted) must be a JSON value within AWS's payload limit (else the task fails
with ``States.DataLimitExceeded``, as on AWS) and nested at most
:data:`~interpreter.limits.MAX_INPUT_DEPTH` levels (else ``States.Runtime``: see
:func:`payload_failure`); a failure's error name and cause are held to the API's lengths. The
items a Distributed Map reads are checked the same way. So nothing an invoker returns can make
the store, the queue or the engine fail later, over and over.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, Final, assert_never

from interpreter.core.errors import (
    DATA_LIMIT_EXCEEDED,
    ITEM_READER_FAILED,
    RESULT_WRITER_FAILED,
    RUNTIME,
    TASK_FAILED,
    data_limit_cause,
)
from interpreter.core.history import to_json_text
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
from interpreter.json_types import (
    JSON,
    PayloadTooLargeError,
    TooDeeplyNestedError,
    json_size_bound,
)
from interpreter.limits import (
    MAX_CAUSE_LENGTH,
    MAX_ERROR_LENGTH,
    MAX_INPUT_DEPTH,
    MAX_PAYLOAD_BYTES,
    utf8_size,
)
from interpreter.runtime.ports import ItemSource, ResultSink, TaskInvoker, TaskOutcome

_log = logging.getLogger("interpreter.runtime")

_NO_S3: Final = (
    "No S3 client is configured for {field} in this local run: pass an invoker that can {ability} "
    "(interpreter.adapters.aws_services.Boto3ServiceInvoker)."
)
# Our limit, not AWS's (its parser takes 1,000 levels): the deepest value this Python engine
# copies, stores and transforms safely (see MAX_INPUT_DEPTH).
_TOO_DEEP: Final = (
    "The state/task '{label}' returned a result nested more than {limit} levels deep: deeper than "
    "this interpreter can carry (a limit of the local interpreter, not of AWS)."
)
_NOT_JSON: Final = "The state/task '{label}' returned a result that is not JSON: {problem}"
_ITEMS_NOT_JSON: Final = "The items read cannot be processed: {problem}"


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
        """Invoke the resource ``command`` names and return what Step Functions would see:
        the first invoker's outcome, checked (:func:`checked_outcome`)."""
        resource = resource_of(command)
        if resource.region is None:
            resource = dataclasses.replace(resource, region=self.region)
        label = resource.data_limit_label
        for invoker in self.invokers:
            try:
                outcome = invoker.invoke(resource, command, now_ms)
            except TooDeeplyNestedError:
                # An invoker that reads its result with a bound (a mock's Payload text).
                return TaskOutcome(
                    False, error=RUNTIME, cause=_TOO_DEEP.format(label=label, limit=MAX_INPUT_DEPTH)
                )
            except Exception as problem:
                _log.exception(
                    "task of state %s in %s failed in %s",
                    command["state"],
                    command["execution"],
                    type(invoker).__name__,
                )
                cause = f"{type(problem).__name__}: {problem}"
                return checked_outcome(TaskOutcome(False, error=TASK_FAILED, cause=cause), label)
            if outcome is not None:
                return checked_outcome(outcome, label)
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
        try:
            role = command.get("execution_role")
            result = source.read_items(command["reader"], region, execution_role=role)
        except Exception as problem:
            _log.exception("reading the items of %s failed", key)
            cause = _bounded_text(f"{type(problem).__name__}: {problem}", MAX_CAUSE_LENGTH)
            return {"type": "items_read", "key": key, "error": ITEM_READER_FAILED, "cause": cause}
        if isinstance(result, list):
            problem_text = _items_problem(result)
            if problem_text is not None:
                cause = _ITEMS_NOT_JSON.format(problem=problem_text)
                return {
                    "type": "items_read",
                    "key": key,
                    "error": ITEM_READER_FAILED,
                    "cause": cause,
                }
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
        try:
            result = sink.write_results(
                command["writer"],
                command["map_run_arn"],
                command["results"],
                region,
                execution_role=command.get("execution_role"),
            )
        except Exception as problem:
            _log.exception("writing the results of %s failed", key)
            cause = _bounded_text(f"{type(problem).__name__}: {problem}", MAX_CAUSE_LENGTH)
            return {
                "type": "results_written",
                "key": key,
                "error": RESULT_WRITER_FAILED,
                "cause": cause,
            }
        if isinstance(result, dict):
            return {"type": "results_written", "key": key, "details": result}
        error, cause = _failure_of(result, RESULT_WRITER_FAILED)
        return {"type": "results_written", "key": key, "error": error, "cause": cause}


def is_io(command: TaskWork) -> bool:
    """Whether ``command`` is a reader or writer command (not a task invocation)."""
    return command["type"] != "invoke"


def _failure_of(result: Any, default_error: str) -> tuple[str | None, str | None]:
    return getattr(result, "error", default_error), getattr(result, "cause", None)


def checked_outcome(outcome: TaskOutcome, label: str) -> TaskOutcome:
    """``outcome`` as the engine may take it: a result (or a submitted response) that is not a
    JSON value the engine can carry fails the task instead (:func:`payload_failure`; an activity
    keeps its scheduling and its worker, so its history reads as a failed activity), and an
    error name or a cause is cut to the API's lengths. ``label`` names the task's resource in
    causes, as AWS does."""
    values: tuple[JSON, ...] = (outcome.submitted_output,)
    if outcome.succeeded:
        values = (outcome.output, outcome.submitted_output)
    for value in values:
        failure = payload_failure(value, label)
        if failure is not None:
            _log.warning("task result refused: %s", failure[1])
            return TaskOutcome(
                False,
                error=failure[0],
                cause=failure[1],
                duration_seconds=outcome.duration_seconds,
                activity_scheduled=outcome.activity_scheduled,
                worker_name=outcome.worker_name,
            )
    if outcome.succeeded:
        return outcome
    error = _bounded_text(outcome.error, MAX_ERROR_LENGTH)
    cause = _bounded_text(outcome.cause, MAX_CAUSE_LENGTH)
    if error is outcome.error and cause is outcome.cause:
        return outcome
    return dataclasses.replace(outcome, error=error, cause=cause)


def payload_failure(value: JSON, label: str) -> tuple[str, str] | None:
    """The error and cause a task result fails with, or None if the engine can take it.

    * Over AWS's payload limit: ``States.DataLimitExceeded``, AWS's own error (catchable, as
      AWS's recorded executions show).
    * Nested deeper than :data:`~interpreter.limits.MAX_INPUT_DEPTH`: ``States.Runtime``. AWS
      takes up to 1,000 levels, so this is a limit of the local interpreter (Python copies and
      serialises values recursively), as is the engine's own ``States.Runtime`` for a value too
      deep to process: a Catcher must not quietly take a path the execution would not take on
      AWS, so it is not caught by ``States.ALL``, and the cause says why.
    * Not JSON at all (a set, bytes, NaN, a cycle, a key that is not a string...):
      ``States.Runtime``; no service can answer that.
    """
    try:
        bound = json_size_bound(value, max_depth=MAX_INPUT_DEPTH, max_bytes=MAX_PAYLOAD_BYTES)
        if bound > MAX_PAYLOAD_BYTES and utf8_size(to_json_text(value)) > MAX_PAYLOAD_BYTES:
            raise PayloadTooLargeError(label)
    except PayloadTooLargeError:
        return DATA_LIMIT_EXCEEDED, data_limit_cause(label)
    except TooDeeplyNestedError:
        return RUNTIME, _TOO_DEEP.format(label=label, limit=MAX_INPUT_DEPTH)
    except (ValueError, TypeError, RecursionError) as problem:
        # ValueError: what the walk refuses, and integers too long for Python to write.
        return RUNTIME, _bounded_text(_NOT_JSON.format(label=label, problem=problem), 1000)
    return None


def _items_problem(items: list[Any]) -> str | None:
    """Why a Distributed Map cannot take the items read (each becomes a child's input)."""
    try:
        json_size_bound(items, max_depth=MAX_INPUT_DEPTH + 1)
    except TooDeeplyNestedError:
        return f"an item is nested more than {MAX_INPUT_DEPTH} levels deep"
    except ValueError as problem:
        return str(problem)
    return None


def _bounded_text(text: Any, limit: int) -> Any:
    """A failure's error name or cause as text of at most ``limit`` characters (unpaired
    surrogates replaced: they are not Unicode text); None stays None, and text within the
    limit stays the same object."""
    if text is None:
        return None
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:
            text = f"<{type(text).__name__}>"
    if len(text) > limit:
        text = text[:limit]
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text
