"""Local Python handlers standing in for Lambda functions, invoked as AWS's Python runtime does.

:class:`LocalLambdaFunctions` is a task invoker (:class:`interpreter.runtime.ports.TaskInvoker`):
it serves Tasks on a Lambda function ARN and ``arn:aws:states:::lambda:invoke`` whose function has
a local handler. With ``answers_missing`` (the default, for runs with no way to reach AWS) it also
answers for functions it does not have, as Lambda does: ``Lambda.ResourceNotFoundException``.

A handler is ``handler(event, context)``. The event is the JSON payload, decoded afresh for every
call (so a handler that mutates its event cannot touch the interpreter's data). The result is
serialised as the AWS Python runtime serialises it — ``json.dumps`` with its default separators,
or returned as-is when it is ``bytes`` — and an exception becomes the runtime's error document
``{"errorMessage", "errorType", "requestId", "stackTrace"}``.

Handlers that want to simulate slow work call :func:`sleep`: on a virtual clock it only adds to
the invocation's simulated duration (so a Task ``TimeoutSeconds`` can fire first); on a real clock
it sleeps.

On a real clock a Task's ``TimeoutSeconds`` holds a handler to its deadline: the handler runs in a
thread of its own, and when the deadline passes first the invocation is *abandoned* — the Task
times out on time (its own timeout timer ends it, as on AWS) and whatever the handler returns
later is dropped. Python cannot stop a thread from outside (there is no safe way to interrupt
code that may hold locks or be inside a C call), so the abandoned handler runs on to its end in
the background: its side effects (writes, calls, prints, still shown under its name) still
happen, after the state machine has moved on, as a Lambda function that outlived its caller's
timeout does. Its thread is a daemon: a process that exits does not wait for it. Without a
``TimeoutSeconds`` (or on a virtual clock, where real time does not count) a handler runs on the
caller's thread, as before.
"""

from __future__ import annotations

import contextvars
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interpreter import arns
from interpreter.adapters import handler_output
from interpreter.adapters.lambda_outcomes import (
    LambdaResponse,
    invoke_payload,
    lambda_bad_request_outcome,
    lambda_function_outcome,
    lambda_invoke_outcome,
    lambda_not_found_outcome,
    submitted_only,
)
from interpreter.arns import function_name_of
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome

LambdaHandler = Callable[[JSON, Any], Any]

_simulated: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "asl_simulated_duration", default=None
)


def sleep(seconds: float) -> None:
    """Spend ``seconds`` inside a local handler: simulated on a virtual clock, real otherwise."""
    spent = _simulated.get()
    if spent is None:
        time.sleep(seconds)
    else:
        spent[0] += seconds


class InvalidRequestContentError(ValueError):
    """The invocation payload is not JSON (Lambda answers InvalidRequestContentException)."""


class HandlerAbandonedError(Exception):
    """A handler was still running when its Task's deadline passed (see the module doc)."""


class FunctionNotFoundError(LookupError):
    """No local handler is registered under the requested function name."""

    def __init__(self, function: str) -> None:
        super().__init__(function)
        self.function = function


@dataclass(slots=True)
class LambdaContext:
    """The subset of Lambda's context object that handlers commonly read."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"
    timeout_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining time; local handlers always have their whole budget."""
        return self.timeout_ms


class LocalLambdaFunctions:
    """A registry of local handlers, invoked with Lambda's Python-runtime semantics."""

    def __init__(
        self,
        handlers: Mapping[str, LambdaHandler],
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        simulate_time: bool = True,
        answers_missing: bool = True,
    ) -> None:
        self._handlers = {function_name_of(name): handler for name, handler in handlers.items()}
        self.region = region
        self.account = account
        self.simulate_time = simulate_time
        #: Answer for functions without a handler (ResourceNotFoundException) instead of
        #: leaving them to the next invoker.
        self.answers_missing = answers_missing

    # -- the task invoker port

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of a Lambda task, or None when this registry does not serve it."""
        if resource.kind == "lambda_function":
            if resource.arn not in self and not self.answers_missing:
                return None
            return self._function_task(resource, command, now_ms)
        if resource.kind == "optimized" and resource.service == "lambda":
            function, _ = invoke_payload(command["input"])
            if function is not None and function not in self and not self.answers_missing:
                return None
            return submitted_only(resource, self._invoke_task(resource, command, now_ms))
        return None

    def _deadline(self, command: InvokeTask, now_ms: int) -> float | None:
        """When a real-clock handler is abandoned: the Task's ``TimeoutSeconds`` after it was
        started (epoch seconds), or None (no timeout, or a virtual clock)."""
        timeout = command.get("timeout_seconds")
        if timeout is None or self.simulate_time:
            return None
        return now_ms / 1000 + timeout

    def _function_task(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome:
        request_id = str(uuid.uuid4())
        payload = json.dumps(command["input"]).encode()
        try:
            response = self.call(
                resource.arn, payload, request_id, deadline=self._deadline(command, now_ms)
            )
        except HandlerAbandonedError:
            return TaskOutcome(False, abandoned=True)
        except FunctionNotFoundError:
            return lambda_not_found_outcome(resource, resource.arn, request_id)
        except InvalidRequestContentError as problem:
            return lambda_bad_request_outcome(str(problem), request_id)
        return lambda_function_outcome(response)

    def _invoke_task(self, resource: TaskResource, command: InvokeTask, now_ms: int) -> TaskOutcome:
        request_id = str(uuid.uuid4())
        function, payload = invoke_payload(command["input"])
        if function is None:
            return TaskOutcome(
                False,
                error="States.Runtime",
                cause="The lambda:invoke parameters have no FunctionName",
            )
        try:
            response = self.call(
                function, payload, request_id, deadline=self._deadline(command, now_ms)
            )
        except HandlerAbandonedError:
            return TaskOutcome(False, abandoned=True)
        except FunctionNotFoundError:
            arn = function if function.startswith("arn:") else self.arn_of(function)
            return lambda_not_found_outcome(resource, arn, request_id)
        except InvalidRequestContentError as problem:
            return lambda_bad_request_outcome(str(problem), request_id)
        parameters = command["input"]
        log_tail = isinstance(parameters, dict) and parameters.get("LogType") == "Tail"
        return lambda_invoke_outcome(response, now_ms / 1000, log_tail=log_tail)

    def replace(self, handlers: Mapping[str, LambdaHandler]) -> None:
        """Serve ``handlers`` from now on, in place of those given before."""
        self._handlers = {function_name_of(name): handler for name, handler in handlers.items()}

    def __contains__(self, reference: object) -> bool:
        return isinstance(reference, str) and function_name_of(reference) in self._handlers

    def arn_of(self, reference: str) -> str:
        """The unqualified function ARN for a name or ARN."""
        return arns.lambda_function_arn(self.region, self.account, function_name_of(reference))

    def call(
        self,
        reference: str,
        payload: bytes,
        request_id: str,
        *,
        deadline: float | None = None,
    ) -> LambdaResponse:
        """Invoke a handler with ``payload``; raises FunctionNotFoundError for unknown names.

        What the handler prints or logs is captured for this invocation and shown on standard
        error under the function's name (:mod:`interpreter.adapters.handler_output`). With a
        ``deadline`` (epoch seconds) the handler runs in its own thread and is abandoned when
        the deadline passes first (HandlerAbandonedError; see the module doc).
        """
        name = function_name_of(reference)
        handler = self._handlers.get(name)
        if handler is None:
            raise FunctionNotFoundError(reference)
        try:
            event = json.loads(payload) if payload else {}
        except ValueError as problem:
            raise InvalidRequestContentError(str(problem)) from None
        context = LambdaContext(name, request_id, self.arn_of(reference))
        if deadline is None:
            return self._run(name, handler, event, context)
        return _before(deadline, lambda: self._run(name, handler, event, context))

    def _run(
        self, name: str, handler: LambdaHandler, event: JSON, context: LambdaContext
    ) -> LambdaResponse:
        """One invocation on the calling thread, its output captured."""
        request_id = context.aws_request_id
        spent = [0.0]
        token = _simulated.set(spent if self.simulate_time else None)
        started = time.perf_counter()
        memory_mb = getattr(handler, "memory_mb", 128)
        try:
            with handler_output.capture(name, request_id, memory_mb=memory_mb) as invocation:
                body, function_error = _call(handler, event, context, request_id)
        finally:
            _simulated.reset(token)
        handler_output.report(invocation, handler_output.elapsed_since(started) + spent[0])
        return LambdaResponse(
            body, function_error, request_id, "$LATEST", spent[0], "\n".join(invocation.lines)
        )


def _before(deadline: float, invocation: Callable[[], LambdaResponse]) -> LambdaResponse:
    """Run ``invocation`` on a thread of its own (with the caller's context variables) and
    return its response, unless ``deadline`` (epoch seconds) passes first: then raise
    HandlerAbandonedError and leave the thread to finish alone (see the module doc). A deadline
    already past invokes nothing."""
    remaining = deadline - time.time()
    if remaining <= 0:
        raise HandlerAbandonedError
    answer: list[LambdaResponse] = []
    failure: list[BaseException] = []
    context = contextvars.copy_context()

    def run() -> None:
        try:
            answer.append(context.run(invocation))
        except BaseException as problem:  # handed to the caller, if it still waits
            failure.append(problem)

    thread = threading.Thread(target=run, name="asl-lambda-handler", daemon=True)
    thread.start()
    thread.join(remaining)
    if failure:
        raise failure[0]
    if not answer:
        raise HandlerAbandonedError
    return answer[0]


def _call(
    handler: LambdaHandler, event: JSON, context: Any, request_id: str
) -> tuple[bytes, str | None]:
    """The handler's response body and ``FunctionError``, as Lambda's Python runtime makes them
    (an exception is also logged, as the runtime logs it)."""
    try:
        result = handler(event, context)
    except Exception as problem:  # the handler's failure is the function's result
        error = _error_document(problem, request_id)
        details = json.loads(error)
        lines = [
            f"[ERROR] {details['errorType']}: {details['errorMessage']}",
            "Traceback (most recent call last):",
            *"".join(details["stackTrace"]).splitlines(),
        ]
        print("\n".join(lines), file=sys.stderr)
        return error, "Unhandled"
    try:
        return _serialise_result(result), None
    except (TypeError, ValueError, RecursionError) as problem:
        # As AWS's Python runtime answers any failure to serialise (a set, a cycle, a value too
        # deep for json.dumps).
        document = {
            "errorMessage": f"Unable to marshal response: {problem}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
        return json.dumps(document).encode(), "Unhandled"


def _serialise_result(result: Any) -> bytes:
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    return json.dumps(result).encode()


def _error_document(problem: BaseException, request_id: str) -> bytes:
    # An error of the runtime itself (``Runtime.ImportModuleError``) has its own type and no
    # stack trace, as Lambda's Python runtime reports it.
    runtime_type = getattr(problem, "lambda_error_type", None)
    frames = [] if runtime_type else traceback.extract_tb(problem.__traceback__)
    # The first frame is this module calling the handler; AWS shows the handler's frames only.
    stack = traceback.format_list(frames[1:])
    document = {
        "errorMessage": str(problem),
        "errorType": runtime_type or type(problem).__name__,
        "requestId": request_id,
        "stackTrace": stack,
    }
    return json.dumps(document).encode()
