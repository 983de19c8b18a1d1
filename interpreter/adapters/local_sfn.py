"""Step Functions as a service called by Task states, served by our own engine in-process.

:class:`LocalStepFunctions` implements :class:`~interpreter.adapters.aws_services.
StepFunctionsBackend`: ``states:startExecution`` (with ``.sync``/``.sync:2``) and
``aws-sdk:sfn:*`` Tasks start child executions of registered state machines here instead of
calling AWS. A child runs to its end when it is started (on the virtual clock that costs
nothing), so DescribeExecution already sees how it ended and a ``.sync`` parent gets the result
without polling.

The backend does not run executions itself (adapters sit below the runtime): it is given an
:data:`ExecuteFn` that runs a compiled machine and returns an :class:`ChildOutcome`; the
runtime's ``LocalRunner`` is the natural one.

No callbacks wait here, so SendTaskSuccess/Failure/Heartbeat always answer ``InvalidToken``.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interpreter import arns
from interpreter.adapters.aws_calls import ServiceError
from interpreter.definition import model as M
from interpreter.json_types import JSON


@dataclass(slots=True)
class ChildOutcome:
    """How a child execution ended, in DescribeExecution's terms."""

    status: str
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    """What :data:`ExecuteFn` needs to run one execution (names, ARNs, input, start time)."""

    machine: M.StateMachine
    state_machine_arn: str
    state_machine_name: str
    execution_arn: str
    execution_name: str
    input: JSON
    input_text: str
    start_ms: int


#: Runs one execution to its end (e.g. with ``interpreter.runtime.local.LocalRunner``).
ExecuteFn = Callable[[ExecutionRequest], ChildOutcome]


@dataclass(slots=True)
class _Execution:
    request: ExecutionRequest
    record: ChildOutcome


def _datetime(epoch_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)


class LocalStepFunctions:
    """Registered state machines and their executions, in memory."""

    def __init__(self, execute: ExecuteFn, *, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self._execute = execute
        self._machines: dict[str, tuple[str, M.StateMachine]] = {}
        self._executions: dict[str, _Execution] = {}
        self._lock = threading.Lock()

    def register(self, name: str, machine: M.StateMachine) -> str:
        """Register a compiled state machine under ``name``; returns its ARN."""
        arn = arns.state_machine_arn(self.region, self.account, name)
        with self._lock:
            self._machines[arn] = (name, machine)
        return arn

    #: A child runs to its end when it starts: its parent reads how it ended at once.
    notifies_parents = False

    def serves(self, operation: str, arguments: Mapping[str, Any]) -> bool:
        """Every Step Functions call of a run with this backend is its."""
        return True

    def call(
        self,
        operation: str,
        arguments: Mapping[str, Any],
        *,
        now_ms: int,
        role_arn: str | None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Serve one Step Functions API operation (boto3 shapes); raises ServiceError."""
        if operation == "StartExecution":
            return self._start_execution(arguments, now_ms)
        if operation == "DescribeExecution":
            return self._describe_execution(arguments)
        if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'")
        raise ServiceError(
            "UnsupportedOperation", f"{operation} is not served by the local Step Functions"
        )

    def _start_execution(self, arguments: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        machine_arn = str(arguments.get("stateMachineArn", ""))
        with self._lock:
            found = self._machines.get(machine_arn)
        if found is None:
            raise ServiceError(
                "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{machine_arn}'"
            )
        machine_name, machine = found
        name = str(arguments.get("name") or uuid.uuid4())
        arn = machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        input_text = arguments.get("input")
        if not isinstance(input_text, str):
            input_text = "{}"
        try:
            execution_input = _parse(input_text)
        except ValueError as problem:
            raise ServiceError(
                "InvalidExecutionInput", f"Invalid execution input: {problem}"
            ) from None
        with self._lock:
            if arn in self._executions:
                raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        request = ExecutionRequest(
            machine, machine_arn, machine_name, arn, name, execution_input, input_text, now_ms
        )
        record = self._execute(request)
        with self._lock:
            self._executions[arn] = _Execution(request, record)
        return {"executionArn": arn, "startDate": _datetime(now_ms)}

    def _describe_execution(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        arn = str(arguments.get("executionArn", ""))
        with self._lock:
            execution = self._executions.get(arn)
        if execution is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        request, record = execution.request, execution.record
        described: dict[str, Any] = {
            "executionArn": arn,
            "stateMachineArn": request.state_machine_arn,
            "name": request.execution_name,
            "status": record.status,
            "startDate": _datetime(request.start_ms),
            "input": request.input_text,
            "inputDetails": {"included": True},
        }
        if record.stop_ms is not None:
            described["stopDate"] = _datetime(record.stop_ms)
        if record.status == "SUCCEEDED":
            described["output"] = record.output_text
            described["outputDetails"] = {"included": True}
        if record.error is not None:
            described["error"] = record.error
        if record.cause is not None:
            described["cause"] = record.cause
        return described


def _parse(text: str) -> JSON:
    value: JSON = json.loads(text)
    return value
