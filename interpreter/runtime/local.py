"""Run executions in-process: the engine driven to completion on a virtual or a real clock.

The driver owns a queue of future events (task results, timer firings) ordered by due time. It
starts the execution, carries out the commands each transition returns, and feeds due events back
into :func:`interpreter.core.engine.step` until the execution ends. On the virtual clock, time
jumps to the next due event, so a one-day Wait or a long retry back-off costs nothing.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from interpreter.adapters.lambda_local import (
    FunctionNotFoundError,
    InvalidRequestContentError,
    LambdaHandler,
    LocalLambdaFunctions,
)
from interpreter.adapters.mock_config import MockedTestCase
from interpreter.core import snapshot as S
from interpreter.core.engine import Transition, start, step
from interpreter.core.resources import TaskResource, parse_resource
from interpreter.core.timefmt import datetime_from_ms
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.runtime.activities import (
    ActivityBroker,
    ActivityWorker,
    ActivityWorkerFunction,
    LocalActivityWorkers,
    does_not_exist,
)
from interpreter.runtime.integrations import (
    TaskOutcome,
    invoke_payload,
    lambda_bad_request_outcome,
    lambda_function_outcome,
    lambda_invoke_outcome,
    lambda_not_found_outcome,
)

EventListener = Callable[[Mapping[str, Any]], None]


class TaskInvoker(Protocol):
    """A port that runs Task resources (AWS services through boto3, mocks...)."""

    def invoke(
        self, resource: TaskResource, command: Mapping[str, Any], now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of the task ``command`` asks for, or None if this invoker cannot run it.

        ``command`` holds ``resource`` (the ARN), ``input`` (the parameters), ``key`` (the
        idempotency key), and when set ``task_token``, ``timeout_seconds``,
        ``heartbeat_seconds`` and ``credentials``.
        """
        ...


class ItemSource(Protocol):
    """A port that reads a Distributed Map's items (its ``ItemReader``, from S3)."""

    def read_items(self, reader: Mapping[str, Any], region: str) -> Any:
        """The items, or a failure with ``error`` and ``cause`` attributes."""
        ...


def _io_answer(
    answer: str, key: str, result: Any, ok: tuple[type, str], default_error: str
) -> dict[str, Any]:
    """The event that answers an S3 command: the result under ``ok``'s member when it is of
    ``ok``'s type, else the failure (``error``/``cause`` attributes) it stands for."""
    kind, member = ok
    if isinstance(result, kind):
        return {"type": answer, "key": key, member: result}
    return {
        "type": answer,
        "key": key,
        "error": getattr(result, "error", default_error),
        "cause": getattr(result, "cause", None),
    }


def _no_s3_client(answer: str, key: str, error: str, field: str, ability: str) -> dict[str, Any]:
    return {
        "type": answer,
        "key": key,
        "error": error,
        "cause": f"No S3 client is configured for {field} in this local run: pass an invoker "
        f"that can {ability} (interpreter.adapters.aws_services.Boto3ServiceInvoker).",
    }


def read_items_event(
    invokers: Sequence[Any], command: Mapping[str, Any], region: str
) -> dict[str, Any]:
    """Carry out a ``read_items`` command with the first invoker that can read items."""
    key = command["key"]
    for invoker in invokers:
        if hasattr(invoker, "read_items"):
            source: ItemSource = invoker
            result = source.read_items(command["reader"], region)
            return _io_answer("items_read", key, result, (list, "items"), _READER_FAILED)
    return _no_s3_client("items_read", key, _READER_FAILED, "ItemReader", "read items")


class ResultSink(Protocol):
    """A port that exports a Distributed Map's results (its ``ResultWriter``, to S3)."""

    def write_results(
        self, writer: Mapping[str, Any], map_run_arn: str, results: Mapping[str, Any], region: str
    ) -> Any:
        """The ``ResultWriterDetails``, or a failure with ``error`` and ``cause`` attributes."""
        ...


def write_results_event(
    invokers: Sequence[Any], command: Mapping[str, Any], region: str
) -> dict[str, Any]:
    """Carry out a ``write_results`` command with the first invoker that can write results."""
    key = command["key"]
    for invoker in invokers:
        if hasattr(invoker, "write_results"):
            sink: ResultSink = invoker
            result = sink.write_results(
                command["writer"], command["map_run_arn"], command["results"], region
            )
            return _io_answer("results_written", key, result, (dict, "details"), _WRITER_FAILED)
    return _no_s3_client("results_written", key, _WRITER_FAILED, "ResultWriter", "write results")


_READER_FAILED = "States.ItemReaderFailed"
_WRITER_FAILED = "States.ResultWriterFailed"


def io_command_event(
    invokers: Sequence[Any], command: Mapping[str, Any], region: str
) -> dict[str, Any] | None:
    """Carry out a Map's S3 command (``read_items``, ``write_results``); None for others."""
    if command["type"] == "read_items":
        return read_items_event(invokers, command, region)
    if command["type"] == "write_results":
        return write_results_event(invokers, command, region)
    return None


#: Sees every call of the core: the events delivered (None for ``start``), the time, and what the
#: call produced. The snapshot in the transition is live: copy it to keep it.
TransitionRecorder = Callable[[list[dict[str, Any]] | None, int, Transition], None]


@dataclass(slots=True)
class ExecutionResult:
    """How an execution ended, in DescribeExecution's terms, with its history."""

    execution_arn: str
    name: str
    state_machine_arn: str
    status: str
    input: JSON
    output: JSON
    error: str | None
    cause: str | None
    start_ms: int
    stop_ms: int | None
    history: list[dict[str, Any]] = field(default_factory=list)

    #: The output as AWS returns it (JSON text; None unless SUCCEEDED).
    output_text: str | None = None

    def history_events(self) -> list[dict[str, Any]]:
        """The history with ``timestamp`` as an aware datetime, as GetExecutionHistory has it."""
        return [
            {**event, "timestamp": datetime_from_ms(event["timestamp"])} for event in self.history
        ]


class LocalTaskRunner:
    """Carries out ``invoke`` commands: Lambda through local handlers, then other invokers.

    ``invokers`` are tried in order for resources the local Lambda handlers do not serve; each
    returns a :class:`TaskOutcome`, or None when the resource is not its business.
    """

    def __init__(
        self,
        functions: LocalLambdaFunctions,
        invokers: Sequence[TaskInvoker] = (),
        *,
        activity_workers: LocalActivityWorkers | None = None,
        activity_broker: ActivityBroker | None = None,
        mocks: Callable[[str], MockedTestCase | None] | None = None,
    ) -> None:
        self.functions = functions
        self.invokers = tuple(invokers)
        self.activity_workers = activity_workers or LocalActivityWorkers()
        self.activity_broker = activity_broker
        #: The mock test case of an execution (by its ARN), if it runs one.
        self.mocks = mocks

    def run(self, command: Mapping[str, Any], now_ms: int) -> TaskOutcome:
        """Invoke the resource named by ``command`` and return what Step Functions would see.

        For a ``.waitForTaskToken`` task, a successful call only submits the work: the outcome
        then carries the call's response as ``submitted_output`` and awaits a callback. An
        activity task goes to its in-process worker, or waits in the broker for an outside one.
        """
        if self.mocks is not None:
            test_case = self.mocks(str(command.get("execution", "")))
            if test_case is not None:
                resource = parse_resource(command["resource"], self.functions.region)
                mocked = test_case.outcome(command, resource)
                if mocked is not None:
                    return mocked
        if command.get("activity"):
            return self._activity(command)
        outcome = self._invoke(command, now_ms)
        if command.get("task_token") and outcome.succeeded and not outcome.awaiting_callback:
            return dataclasses.replace(
                outcome, output=None, submitted_output=outcome.output, awaiting_callback=True
            )
        return outcome

    def _activity(self, command: Mapping[str, Any]) -> TaskOutcome:
        arn = str(command["resource"])
        run = self.activity_workers.run(arn, command["input"])
        if run is not None:
            return TaskOutcome(
                run.succeeded,
                output=run.output,
                error=run.error,
                cause=run.cause,
                activity_scheduled=True,
                worker_name=run.worker_name,
            )
        broker = self.activity_broker
        if broker is not None and not broker.serves_tasks:
            return TaskOutcome(
                False,
                error="States.Runtime",
                cause="Activity tasks are not served by this deployment yet: run them on "
                "asl serve.",
            )
        token = str(command["task_token"])
        if broker is not None and broker.schedule(arn, token, command["input"]):
            return TaskOutcome(True, activity_scheduled=True, awaiting_callback=True)
        return TaskOutcome(False, error="States.Runtime", cause=does_not_exist(arn))

    def _invoke(self, command: Mapping[str, Any], now_ms: int) -> TaskOutcome:
        resource = parse_resource(command["resource"], self.functions.region)
        if not self._serves_locally(resource, command):
            for invoker in self.invokers:
                outcome = invoker.invoke(resource, command, now_ms)
                if outcome is not None:
                    return outcome
        request_id = str(uuid.uuid4())
        if resource.kind == "lambda_function":
            payload = json.dumps(command["input"]).encode()
            try:
                response = self.functions.invoke(resource.arn, payload, request_id)
            except FunctionNotFoundError:
                return lambda_not_found_outcome(resource, resource.arn, request_id)
            except InvalidRequestContentError as problem:
                return lambda_bad_request_outcome(str(problem), request_id)
            return lambda_function_outcome(response)
        is_lambda_invoke = resource.kind == "service" and resource.resource_type == "lambda"
        if is_lambda_invoke and resource.action == "invoke":
            function, payload = invoke_payload(command["input"])
            if function is None:
                return TaskOutcome(
                    False,
                    error="States.Runtime",
                    cause="The lambda:invoke parameters have no FunctionName",
                )
            try:
                response = self.functions.invoke(function, payload, request_id)
            except FunctionNotFoundError:
                arn = function if function.startswith("arn:") else self.functions.arn_of(function)
                return lambda_not_found_outcome(resource, arn, request_id)
            except InvalidRequestContentError as problem:
                return lambda_bad_request_outcome(str(problem), request_id)
            parameters = command["input"]
            log_tail = isinstance(parameters, dict) and parameters.get("LogType") == "Tail"
            return lambda_invoke_outcome(response, now_ms / 1000, log_tail=log_tail)
        return TaskOutcome(
            False,
            error="States.TaskFailed",
            cause=(
                f"The resource '{command['resource']}' cannot be run locally: register a local "
                "handler for it"
            ),
        )

    def _serves_locally(self, resource: TaskResource, command: Mapping[str, Any]) -> bool:
        """Whether a local Lambda handler is registered for this task's function."""
        if resource.kind == "lambda_function":
            return resource.arn in self.functions or not self.invokers
        if resource.kind == "service" and resource.resource_type == "lambda":
            if resource.action != "invoke":
                return False
            function, _ = invoke_payload(command["input"])
            return function is None or function in self.functions or not self.invokers
        return False


#: Outcome events that happen when the task starts, not when it ends.
_AT_ONCE = frozenset({"task_submitted", "activity_scheduled", "task_started"})


class LocalRunner:
    """Runs state machines in-process with local Lambda handlers and a chosen clock."""

    def __init__(
        self,
        *,
        lambdas: Mapping[str, LambdaHandler] | None = None,
        clock: str = "virtual",
        region: str = "us-east-1",
        account: str = "123456789012",
        role_arn: str | None = None,
        start_ms: int | None = None,
        store_snapshots: bool = False,
        invokers: Sequence[TaskInvoker] = (),
        activities: Mapping[str, ActivityWorkerFunction | ActivityWorker] | None = None,
        mocks: MockedTestCase | None = None,
    ) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError("clock must be 'virtual' or 'real'")
        self.clock = clock
        self.region = region
        self.account = account
        self.role_arn = role_arn or f"arn:aws:iam::{account}:role/asl-local"
        self.functions = LocalLambdaFunctions(
            lambdas or {}, region=region, account=account, simulate_time=clock == "virtual"
        )
        self.tasks = LocalTaskRunner(
            self.functions,
            invokers,
            activity_workers=LocalActivityWorkers(activities),
            mocks=None if mocks is None else (lambda execution_arn: mocks),
        )
        self._start_ms = start_ms
        # Round-trip every snapshot through JSON text between calls of the core, as a durable
        # store would: proves an execution resumes from nothing but its stored snapshot.
        self.store_snapshots = store_snapshots

    def _now_ms(self) -> int:
        return int(time.time() * 1000)

    def run(
        self,
        machine: M.StateMachine,
        execution_input: JSON,
        *,
        state_machine_name: str = "StateMachine",
        state_machine_arn: str | None = None,
        execution_name: str | None = None,
        execution_arn: str | None = None,
        input_text: str | None = None,
        on_event: EventListener | None = None,
        recorder: TransitionRecorder | None = None,
    ) -> ExecutionResult:
        """Run one execution of ``machine`` to its end and return its result.

        ``input_text`` is the input exactly as submitted (history records it verbatim); by
        default it is ``execution_input`` serialised compactly.
        """
        name = execution_name or str(uuid.uuid4())
        machine_arn = state_machine_arn or (
            f"arn:aws:states:{self.region}:{self.account}:stateMachine:{state_machine_name}"
        )
        arn = execution_arn or (
            f"arn:aws:states:{self.region}:{self.account}:execution:{state_machine_name}:{name}"
        )
        now_ms = self._start_ms if self._start_ms is not None else self._now_ms()
        execution = {
            "arn": arn,
            "name": name,
            "input": execution_input,
            "input_text": input_text,
            "start_ms": now_ms,
            "role_arn": self.role_arn,
            "state_machine_arn": machine_arn,
            "state_machine_name": state_machine_name,
            "region": self.region,
            "account": self.account,
            "secret": secrets.token_hex(16),
        }
        history: list[dict[str, Any]] = []
        due: list[tuple[int, int, dict[str, Any]]] = []
        sequence = itertools.count()

        def absorb(transition: Transition, events: list[dict[str, Any]] | None) -> S.Snapshot:
            if recorder is not None:
                recorder(events, now_ms, transition)
            history.extend(transition.history)
            if on_event is not None:
                for event in transition.history:
                    on_event(event)
            for command in transition.commands:
                self._dispatch(command, now_ms, due, sequence)
            if self.store_snapshots:
                stored: S.Snapshot = json.loads(json.dumps(transition.snapshot))
                return stored
            return transition.snapshot

        snapshot = absorb(start(machine, execution, now_ms), None)
        while snapshot["status"] == S.RUNNING:
            if not due:
                # Nothing can ever wake this execution (e.g. a callback task nobody completes).
                stop = [
                    {
                        "type": "stop",
                        "error": "States.Runtime",
                        "cause": "The execution is waiting for an event that can never "
                        "arrive locally (a task token callback or an activity worker).",
                    }
                ]
                snapshot = absorb(step(machine, snapshot, stop, now_ms), stop)
                break
            next_due = due[0][0]
            if self.clock == "real":
                wait_ms = next_due - self._now_ms()
                if wait_ms > 0:
                    time.sleep(wait_ms / 1000)
                now_ms = max(now_ms, self._now_ms())
            else:
                now_ms = max(now_ms, next_due)
            batch = []
            while due and due[0][0] <= now_ms:
                batch.append(heapq.heappop(due)[2])
            snapshot = absorb(step(machine, snapshot, batch, now_ms), batch)
        return ExecutionResult(
            execution_arn=arn,
            name=name,
            state_machine_arn=machine_arn,
            status=snapshot["status"],
            input=execution_input,
            output=snapshot["output"],
            error=snapshot["error"],
            cause=snapshot["cause"],
            start_ms=execution["start_ms"],
            stop_ms=snapshot["stop_ms"],
            history=history,
            output_text=snapshot.get("output_text"),
        )

    def _dispatch(
        self,
        command: Mapping[str, Any],
        now_ms: int,
        due: list[tuple[int, int, dict[str, Any]]],
        sequence: Iterable[int],
    ) -> None:
        kind = command["type"]
        counter = iter(sequence)
        if kind == "timer":
            heapq.heappush(
                due, (command["at_ms"], next(counter), {"type": "timer", "key": command["key"]})
            )
            return
        if kind in ("read_items", "write_results"):
            event = io_command_event(self.tasks.invokers, command, self.region)
            assert event is not None
            heapq.heappush(due, (now_ms, next(counter), event))
            return
        if kind == "invoke":
            outcome = self.tasks.run(command, now_ms)
            if self.clock == "real":
                finished_ms = max(now_ms, self._now_ms())
            else:
                finished_ms = now_ms + round(outcome.duration_seconds * 1000)
            for event in outcome.events(command["key"]):
                at = now_ms if event["type"] in _AT_ONCE else finished_ms
                heapq.heappush(due, (at, next(counter), event))
