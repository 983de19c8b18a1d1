"""Step Functions as a service called by Task states, served by our own engine in-process.

:class:`LocalStepFunctions` implements :class:`~interpreter.adapters.aws_services.
StepFunctionsBackend` for ``asl run`` and ``StateMachine.run``: ``states:startExecution`` (plain,
``.sync``, ``.sync:2``, ``.waitForTaskToken``) and ``aws-sdk:sfn:*`` Tasks start child executions
of the state machines registered here instead of calling AWS. A child runs to its end when it is
started (on the virtual clock that costs nothing: the child's Waits take simulated time from the
moment its parent started it), so DescribeExecution already sees how it ended and a ``.sync``
parent reads the result without waiting; the parent's Task then lasts as long as the child did.
A child's ``SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` with a token one of
the runner's tasks waits on reaches that task in-process (:mod:`interpreter.runtime.callbacks`).

With ``answers_missing`` (a run that reaches no AWS) it answers every call as Step Functions
would — ``StateMachineDoesNotExist`` for a machine it does not know, ``InvalidToken`` for a
token no task waits on; without it, those calls are left to the next invoker (AWS, or the
endpoint of ``--endpoint-url``): only unknown children go there.

The backend does not run executions itself (adapters sit below the runtime): it is given an
:data:`ExecuteFn` that runs a compiled machine and returns a :class:`ChildOutcome`; the
runtime's ``LocalRunner`` is the natural one (:func:`interpreter.app.local_runner` wires it).

Running a child inside its parent's Task nests the Python stack, so a long chain of executions
that start the next one ("continue as new") hops onto a fresh thread every
:data:`LEVELS_PER_THREAD` levels (its parent waits for it); past :data:`MAX_NESTING` levels a
StartExecution fails with ``ExecutionLimitExceeded``, which ends a runaway recursion clearly.

:class:`StepFunctionsTasks` is the task invoker over such a backend (this one, or a durable
deployment's: :mod:`interpreter.api.nested`): it serves the Step Functions Tasks whose state
machine, execution or token the backend holds.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from interpreter import arns
from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.aws_services import Boto3ServiceInvoker, StepFunctionsBackend
from interpreter.core.messages import InvokeTask
from interpreter.definition import model as M
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.callbacks import CallbackBoard
from interpreter.runtime.ports import TaskOutcome

#: Nested executions run on one thread before the next level starts on a fresh one.
LEVELS_PER_THREAD: Final = 8
#: How deep child executions may nest in one in-process run.
MAX_NESTING: Final = 1000


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
    #: The Step Functions Local test case StartExecution named (``<arn>#<TestCase>``).
    test_case: str | None = None


#: Runs one execution to its end (e.g. with ``interpreter.runtime.local.LocalRunner``).
ExecuteFn = Callable[[ExecutionRequest], ChildOutcome]


@dataclass(slots=True)
class _Execution:
    request: ExecutionRequest
    record: ChildOutcome


@dataclass(frozen=True, slots=True)
class _Machine:
    name: str
    machine: M.StateMachine
    express: bool


def _datetime(epoch_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)


#: The operations about a state machine, an execution or a task token, and the member naming it.
_TARGETS: Final = {
    "StartExecution": "stateMachineArn",
    "DescribeExecution": "executionArn",
    "SendTaskSuccess": "taskToken",
    "SendTaskFailure": "taskToken",
    "SendTaskHeartbeat": "taskToken",
}

_nesting = threading.local()


class LocalStepFunctions:
    """Registered state machines and their executions, in memory (see the module doc)."""

    #: A child runs to its end when it starts: its parent reads how it ended at once.
    notifies_parents = False

    def __init__(
        self,
        execute: ExecuteFn,
        *,
        region: str,
        account: str,
        callbacks: CallbackBoard | None = None,
        answers_missing: bool = True,
    ) -> None:
        self.region = region
        self.account = account
        self.callbacks = callbacks
        #: Answer for state machines, executions and tokens it does not hold (as Step
        #: Functions would) instead of leaving them to the next invoker.
        self.answers_missing = answers_missing
        self._execute = execute
        self._machines: dict[str, _Machine] = {}
        self._executions: dict[str, _Execution] = {}
        self._lock = threading.Lock()

    def register(
        self, name: str, machine: M.StateMachine, *, machine_type: str = "STANDARD"
    ) -> str:
        """Register a compiled state machine under ``name``; returns its ARN."""
        arn = arns.state_machine_arn(self.region, self.account, name)
        with self._lock:
            self._machines[arn] = _Machine(name, machine, machine_type == "EXPRESS")
        return arn

    def machine_arns(self) -> frozenset[str]:
        """The ARNs of the registered state machines."""
        with self._lock:
            return frozenset(self._machines)

    def serves(self, operation: str, arguments: Mapping[str, Any]) -> bool:
        """Whether the call is about a state machine, an execution or a task token held here
        (every call, with ``answers_missing``)."""
        if self.answers_missing:
            return True
        member = _TARGETS.get(operation)
        target = arguments.get(member) if member is not None else None
        if not isinstance(target, str):
            return False
        if member == "stateMachineArn":
            with self._lock:
                return _unqualified(target) in self._machines
        if member == "executionArn":
            with self._lock:
                return target in self._executions
        return self.callbacks is not None and self.callbacks.knows(target)

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
            return self._send_task_event(operation, arguments, now_ms)
        raise ServiceError(
            "UnsupportedOperation", f"{operation} is not served by the local Step Functions"
        )

    # -- StartExecution

    def _start_execution(self, arguments: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        named, _, test_case = str(arguments.get("stateMachineArn", "")).partition("#")
        machine_arn = _unqualified(named)
        with self._lock:
            found = self._machines.get(machine_arn)
        if found is None:
            raise ServiceError(
                "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{named}'"
            )
        name = str(arguments.get("name") or uuid.uuid4())
        express_id = str(uuid.uuid4()) if found.express else None
        arn = arns.execution_arn(self.region, self.account, found.name, name, express_id)
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
            found.machine,
            machine_arn,
            found.name,
            arn,
            name,
            execution_input,
            input_text,
            now_ms,
            test_case or None,
        )
        record = self._nested(request)
        with self._lock:
            self._executions[arn] = _Execution(request, record)
        return {"executionArn": arn, "startDate": _datetime(now_ms)}

    def _nested(self, request: ExecutionRequest) -> ChildOutcome:
        """Run a child one level deeper than its parent (see the module doc)."""
        depth: int = getattr(_nesting, "depth", 0)
        if depth >= MAX_NESTING:
            raise ServiceError(
                "ExecutionLimitExceeded",
                f"Execution Limit Exceeded: this local run nests child executions more than "
                f"{MAX_NESTING} levels deep ('{request.execution_arn}' not started)",
            )
        if depth and depth % LEVELS_PER_THREAD == 0:
            return _on_fresh_thread(lambda: self._at_depth(depth + 1, request))
        return self._at_depth(depth + 1, request)

    def _at_depth(self, depth: int, request: ExecutionRequest) -> ChildOutcome:
        previous = getattr(_nesting, "depth", 0)
        _nesting.depth = depth
        try:
            return self._execute(request)
        finally:
            _nesting.depth = previous

    # -- DescribeExecution

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

    # -- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat

    def _send_task_event(
        self, operation: str, arguments: Mapping[str, Any], now_ms: int
    ) -> dict[str, Any]:
        # The token is checked first, as AWS checks it: a bad token with bad output is
        # InvalidToken.
        token = str(arguments.get("taskToken", ""))
        board = self.callbacks
        if board is None or not board.knows(token):
            raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'")
        answer = board.answer(token, _task_event(operation, arguments), now_ms)
        if answer != "delivered":
            raise ServiceError(
                "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'"
            )
        return {}


def _task_event(operation: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The core event a SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat delivers."""
    if operation == "SendTaskSuccess":
        try:
            output = _parse(str(arguments.get("output", "")))
        except ValueError as problem:
            raise ServiceError(
                "InvalidOutput", f"The provided JSON output data is not valid: '{problem}'"
            ) from None
        return {"type": "task_succeeded", "output": output}
    if operation == "SendTaskFailure":
        return {
            "type": "task_failed",
            "error": arguments.get("error"),
            "cause": arguments.get("cause"),
        }
    return {"type": "task_heartbeat"}


def _on_fresh_thread(run: Callable[[], ChildOutcome]) -> ChildOutcome:
    """Run ``run`` on a new thread (a fresh Python stack) and wait for it."""
    result: list[ChildOutcome] = []
    failure: list[BaseException] = []
    context = contextvars.copy_context()

    def target() -> None:
        try:
            result.append(context.run(run))
        except BaseException as problem:  # re-raised on the waiting thread
            failure.append(problem)

    thread = threading.Thread(target=target, name="asl-child-execution", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def _unqualified(arn: str) -> str:
    """A state machine ARN without its test case, version or alias: the one definition a
    local run has for the name serves them all."""
    return ":".join(arn.partition("#")[0].split(":")[:7])


def _parse(text: str) -> JSON:
    value: JSON = json.loads(text)
    return value


# ------------------------------------------------------------------------------- the invoker


class StepFunctionsTasks:
    """A task invoker for ``states:*`` and ``aws-sdk:sfn:*`` Tasks whose state machine (or
    execution, or token) ``backend`` holds, with Step Functions' request and response shapes
    (``.sync``, ``.sync:2`` and ``.waitForTaskToken`` included); every other Task is the next
    invoker's."""

    def __init__(self, backend: StepFunctionsBackend) -> None:
        self.backend = backend
        self._invoker = Boto3ServiceInvoker(no_clients, step_functions=backend, callbacks=True)

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of a Step Functions Task the backend serves, or None."""
        if not served_by(self.backend, resource, command):
            return None
        return self._invoker.invoke(resource, command, now_ms)


def states_operation(resource: TaskResource) -> str | None:
    """The Step Functions API operation a ``states:*`` or ``aws-sdk:sfn:*`` Task calls, or None."""
    if resource.kind == "optimized" and resource.service == "states":
        return "StartExecution"
    if resource.kind == "aws_sdk" and resource.service == "sfn" and resource.action:
        return resource.action[:1].upper() + resource.action[1:]
    return None


def served_by(backend: StepFunctionsBackend, resource: TaskResource, command: InvokeTask) -> bool:
    """Whether ``backend`` serves this Task: a ``states:*`` or ``aws-sdk:sfn:*`` call on a state
    machine, execution or token it holds (the call's parameters as the API names them)."""
    operation = states_operation(resource)
    parameters = command["input"]
    if operation is None or not isinstance(parameters, Mapping):
        return False
    arguments = {key[:1].lower() + key[1:]: value for key, value in parameters.items()}
    return backend.serves(operation, arguments)


def no_clients(service_name: str, region: str, role_arn: str | None = None) -> Any:
    """A client factory for an invoker that must reach no AWS service."""
    raise ServiceError(
        "UnrecognizedClientException", "these Step Functions calls reach no AWS service"
    )
