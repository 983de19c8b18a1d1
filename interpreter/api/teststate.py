"""The TestState API: run one state on its own, with mocks, and see how its data flowed.

:func:`execute_test_state` takes what AWS's ``TestState`` action takes — a state's definition
(or a whole state machine's, with ``state_name``), an input, an inspection level, a mocked result
or error, a state configuration, a context object, variables — and answers as AWS does: a dict with
``status`` (``SUCCEEDED``, ``FAILED``, ``RETRIABLE``, ``CAUGHT_ERROR``), ``output`` (JSON
text), ``error``, ``cause``, ``nextState`` and, at ``DEBUG`` and ``TRACE``, ``inspectionData``
(its payload members as JSON text). A refused request raises
:class:`~interpreter.api.errors.ValidationException` or
:class:`~interpreter.api.errors.InvalidDefinition` with AWS's message.

The state runs through the engine's own data flow (:class:`interpreter.core.dataflow.DataFlow`,
with its inspection recorder on), its Retry and Catch rule (:func:`interpreter.core.failures.
route_failure`), its Map tolerance rule (:mod:`interpreter.core.tolerance`) and the deployment's
task runner for Tasks that are not mocked. What is TestState's own:

* the state is tested under the name ``StateName`` (AWS's error locations and context objects
  say so, also when ``state_name`` picks it from a machine); ``nextState`` names the real next
  state;
* one attempt only: a failure a Retrier matches, with fewer than ``MaxAttempts`` retries done
  (``stateConfiguration.retrierRetryCount``), gives ``RETRIABLE`` and the back-off AWS would
  wait; a Catcher's match gives ``CAUGHT_ERROR`` with the Catcher's output and ``Next``;
* Map and Parallel states need a mock: their result (or error) is mocked, their iterations and
  branches never run. ``mapIterationFailureCount`` failed iterations exceed the Map's tolerated
  failure threshold (when it sets one) with ``States.ExceedToleratedFailureThreshold``;
* Wait states do not wait;
* the default context object is an Express execution's (``...:express:<machine>:<name>``) with
  generated names; a ``context`` given in the request replaces it whole.

Payload texts are written with ``", "`` and ``": "`` separators, as AWS's recorded TestState
answers show them (``[1, 1, 1]``).

Request rules whose wording no recorded AWS answer shows (a ``context`` without a mock, an activity
or a ``.sync``/``.waitForTaskToken`` Task without a mock, input that is not JSON) are worded in
the style of the recorded ones. ``stateConfiguration.errorCausedByState`` is accepted and not
checked. ``revealSecrets`` only matters to HTTP Tasks, which are not run locally.
"""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from interpreter import arns
from interpreter.api.errors import InvalidDefinition, ValidationException
from interpreter.api.mock_validation import FIELD_VALIDATION_MODES, STRICT, validate_mock_result
from interpreter.core import errors as E
from interpreter.core import snapshot as S
from interpreter.core.context import execution_context, map_item_context, state_context
from interpreter.core.dataflow import DataFlow
from interpreter.core.errors import Failure
from interpreter.core.failures import RetryAfter, Unhandled, route_failure
from interpreter.core.messages import InvokeTask
from interpreter.core.tolerance import threshold_set, tolerated
from interpreter.definition import model as M
from interpreter.definition.compiler import DefinitionError, compile_state_machine
from interpreter.definition.diagnostics import has_errors, invalid_definition_message
from interpreter.definition.resources import REQUEST_RESPONSE, SYNC, WAIT_FOR_TASK_TOKEN
from interpreter.definition.validation import (
    SINGLE_STATE_NAME,
    validate_definition,
    validate_state_definition,
)
from interpreter.json_types import JSON, parse_json_bounded
from interpreter.limits import MAX_INPUT_DEPTH
from interpreter.query.errors import QueryRuntimeError
from interpreter.runtime.tasks import TaskRunner

__all__ = ["execute_test_state"]

INFO: Final = "INFO"
DEBUG: Final = "DEBUG"
TRACE: Final = "TRACE"
INSPECTION_LEVELS: Final = (INFO, DEBUG, TRACE)

SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
RETRIABLE: Final = "RETRIABLE"
CAUGHT_ERROR: Final = "CAUGHT_ERROR"

#: The event id a runtime error's cause names ("entered at the event id #2"): the tested state is
#: the first state of a one-state execution, entered right after ExecutionStarted.
_ENTERED_EVENT_ID: Final = 2

_MOCKABLE: Final = ("Task", "Map", "Parallel")
_NEEDS_MOCK: Final = ("Map", "Parallel")

_MAP_OR_PARALLEL_WITHOUT_MOCK: Final = (
    "TestState API does not support Map or Parallel states. Supported state types include: "
    "[Task, Wait, Pass, Succeed, Fail, Choice]"
)
_PATTERN_WITHOUT_MOCK: Final = (
    "TestState API does not support Activity tasks, .sync or .waitForTaskToken service "
    "integration patterns when a mock is not specified"
)
_CONTEXT_TASK: Final = (
    "Invalid Context object provided: Context object contains 'Task' when state is not a Task "
    "state with a '.sync' or '.waitForTaskToken' service integration pattern"
)
_EXCEEDED_CAUSE: Final = "The specified tolerated failure threshold was exceeded"
_NO_CHOICE_DETAIL: Final = (
    "Failed to transition out of the state. The state does not point to a next state."
)

#: Marks "no output" (``null`` is an output).
_NO_OUTPUT: Any = object()


def execute_test_state(
    definition: str | Mapping[str, Any],
    input: JSON | str = None,
    *,
    inspection_level: str = INFO,
    mock: Mapping[str, Any] | None = None,
    state_name: str | None = None,
    state_configuration: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | str | None = None,
    variables: Mapping[str, Any] | str | None = None,
    reveal_secrets: bool = False,
    role_arn: str | None = None,
    tasks: TaskRunner | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
    now_ms: int | None = None,
) -> dict[str, Any]:
    """Run one state as AWS's TestState API does and return TestState's response.

    ``definition`` is the state's definition, or with ``state_name`` a whole state machine's
    (JSON text as the API receives it, or the parsed document). ``input``, ``context`` and
    ``variables`` are JSON text when given as ``str`` (as the API receives them), parsed values
    otherwise; no input means ``{}``. ``mock`` is the API's ``MockInput`` (``result`` as JSON
    text, or ``errorOutput`` with ``error`` and ``cause``; ``fieldValidationMode``) and
    ``state_configuration`` its ``TestStateConfiguration`` (``retrierRetryCount``,
    ``mapIterationFailureCount``, ``mapItemReaderData``, ``errorCausedByState``).

    A Task that is not mocked needs ``role_arn`` (as AWS requires) and runs through ``tasks``
    (without one it fails as a resource nobody serves). ``region`` and ``account`` build the ARNs
    of the default context object; ``now_ms`` (epoch milliseconds) fixes its times.

    Raises :class:`ValidationException` or :class:`InvalidDefinition` as AWS does for a request
    it refuses.
    """
    request = _Request.parse(
        input_value=input,
        inspection_level=inspection_level,
        mock=mock,
        state_configuration=state_configuration,
        context=context,
        variables=variables,
        reveal_secrets=reveal_secrets,
    )
    machine = _load_machine(definition, state_name)
    state = machine.states[SINGLE_STATE_NAME]
    mock_value = _check_request(request, state, role_arn)
    clock = now_ms if now_ms is not None else int(time.time() * 1000)
    run = _Run(
        request=request,
        state=state,
        mock_value=mock_value,
        role_arn=role_arn,
        region=region,
        account=account,
        now_ms=clock,
        tasks=tasks or TaskRunner(region=region),
    )
    return run.execute().response(request, state)


# ------------------------------------------------------------------------------ the request


@dataclass(slots=True)
class _Request:
    """The request's parameters, parsed and checked on their own."""

    input: JSON
    inspection_level: str
    mock: Mapping[str, Any] | None
    field_validation_mode: str
    retrier_retry_count: int
    map_iteration_failure_count: int | None
    map_item_reader_data: str | None
    context: dict[str, Any] | None
    variables: dict[str, JSON]
    reveal_secrets: bool

    @classmethod
    def parse(
        cls,
        *,
        input_value: JSON | str,
        inspection_level: str,
        mock: Mapping[str, Any] | None,
        state_configuration: Mapping[str, Any] | None,
        context: Mapping[str, Any] | str | None,
        variables: Mapping[str, Any] | str | None,
        reveal_secrets: bool,
    ) -> _Request:
        if inspection_level not in INSPECTION_LEVELS:
            raise _enum_error(inspection_level, "inspectionLevel", INSPECTION_LEVELS)
        mode = STRICT
        if mock is not None:
            mode = mock.get("fieldValidationMode") or STRICT
            if mode not in FIELD_VALIDATION_MODES:
                raise _enum_error(mode, "mock.fieldValidationMode", FIELD_VALIDATION_MODES)
        configuration = state_configuration or {}
        retry_count = _count(configuration, "retrierRetryCount")
        failure_count = _count(configuration, "mapIterationFailureCount")
        reader_data = configuration.get("mapItemReaderData")
        parsed_input: JSON = {} if input_value is None else _json_text(input_value, "input")
        parsed_context = None
        if context is not None:
            parsed_context = _json_text(context, "context")
            if not isinstance(parsed_context, dict):
                raise ValidationException(
                    "Invalid Context object provided: the context must be a JSON object"
                )
        parsed_variables: JSON = {}
        if variables is not None:
            parsed_variables = _json_text(variables, "variables")
            if not isinstance(parsed_variables, dict):
                raise ValidationException(
                    "Invalid variables provided: variables must be a JSON object"
                )
        return cls(
            input=parsed_input,
            inspection_level=inspection_level,
            mock=mock,
            field_validation_mode=mode,
            retrier_retry_count=retry_count or 0,
            map_iteration_failure_count=failure_count,
            map_item_reader_data=reader_data if isinstance(reader_data, str) else None,
            context=parsed_context,
            variables=dict(parsed_variables),
            reveal_secrets=reveal_secrets,
        )


def _enum_error(value: object, member: str, allowed: Sequence[str]) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _count(configuration: Mapping[str, Any], member: str) -> int | None:
    value = configuration.get(member)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'stateConfiguration.{member}' "
            "failed to satisfy constraint: Member must have value greater than or equal to 0"
        )
    return value


def _parse_json(text: str) -> JSON:
    """A JSON member of the request, bounded in depth before it is parsed (as execution inputs)."""
    return parse_json_bounded(text, MAX_INPUT_DEPTH)


def _json_text(value: Any, member: str) -> JSON:
    """A request member given as JSON text (as the API receives it), or already parsed."""
    if not isinstance(value, str):
        return value
    try:
        return _parse_json(value)
    except (ValueError, RecursionError) as problem:
        raise ValidationException(
            f"Invalid {member} provided: not valid JSON ({problem})"
        ) from None


def _load_machine(definition: str | Mapping[str, Any], state_name: str | None) -> M.StateMachine:
    """Validate the definition and compile the tested state as ``StateName`` of a machine."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    if state_name is None:
        diagnostics = validate_state_definition(text)
        if has_errors(diagnostics):
            raise InvalidDefinition(invalid_definition_message(diagnostics, text))
        wrapper: dict[str, Any] = {
            "StartAt": SINGLE_STATE_NAME,
            "States": {SINGLE_STATE_NAME: json.loads(text)},
        }
    else:
        diagnostics = validate_definition(text)
        if has_errors(diagnostics):
            raise InvalidDefinition(invalid_definition_message(diagnostics, text))
        document = json.loads(text)
        spec = _find_state(document, state_name)
        if spec is None:
            raise ValidationException("State not found in definition")
        wrapper = {"StartAt": SINGLE_STATE_NAME, "States": {SINGLE_STATE_NAME: spec}}
        if "QueryLanguage" in document:
            # The state keeps the query language it inherits from its machine.
            wrapper["QueryLanguage"] = document["QueryLanguage"]
    try:
        return compile_state_machine(wrapper)
    except DefinitionError as problem:  # pragma: no cover - the validator accepted it
        raise InvalidDefinition(str(problem)) from None


def _find_state(machine: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The state called ``name`` in a validated machine, at any depth (names are unique)."""
    scopes = [machine]
    while scopes:
        scope = scopes.pop()
        states = scope.get("States")
        if not isinstance(states, Mapping):
            continue
        found = states.get(name)
        if isinstance(found, Mapping):
            return found
        for state in states.values():
            if not isinstance(state, Mapping):
                continue
            scopes.extend(b for b in state.get("Branches") or () if isinstance(b, Mapping))
            scopes.extend(
                state[key]
                for key in ("ItemProcessor", "Iterator")
                if isinstance(state.get(key), Mapping)
            )
    return None


def _check_request(request: _Request, state: M.State, role_arn: str | None) -> JSON:
    """The request rules that depend on the state; returns the parsed mocked result."""
    _check_mock_rules(request, state)
    resource = state.resource if isinstance(state, M.TaskState) else None
    if request.context is not None and "Task" in request.context:
        callback = resource is not None and resource.pattern in (WAIT_FOR_TASK_TOKEN, SYNC)
        if not callback:
            raise ValidationException(_CONTEXT_TASK)
    if resource is not None and request.mock is None:
        if role_arn is None:
            raise ValidationException("RoleArn must be specified when testing a Task state")
        if resource.kind == "activity" or resource.pattern != REQUEST_RESPONSE:
            raise InvalidDefinition(_PATTERN_WITHOUT_MOCK)
    if request.mock is None or request.mock.get("result") is None:
        return None
    value = _mocked_result(request.mock["result"])
    if isinstance(state, M.MapState) and state.result_writer is not None:
        if not isinstance(value, dict):
            raise ValidationException("Mocked result must be a JSON object.")
    elif isinstance(state, (M.MapState, M.ParallelState)):
        if not isinstance(value, list):
            raise ValidationException("Mocked result must be an array.")
    elif resource is not None:
        validate_mock_result(resource, value, request.field_validation_mode)
    return value


def _check_mock_rules(request: _Request, state: M.State) -> None:
    """Which states take a mock, which need one, and what a mock excludes (AWS's order)."""
    mock = request.mock
    if mock is None:
        if request.map_iteration_failure_count is not None:
            raise ValidationException(
                "TestState does not support MapIterationFailureCount when a mock is not specified."
            )
        if state.type in _NEEDS_MOCK:
            raise InvalidDefinition(_MAP_OR_PARALLEL_WITHOUT_MOCK)
        if request.context is not None:
            raise ValidationException(
                "TestState does not support Context when a mock is not specified."
            )
        return
    if state.type not in _MOCKABLE:
        raise ValidationException(
            f"State type '{state.type}' is not supported when a mock is specified"
        )
    if (mock.get("result") is None) == (mock.get("errorOutput") is None):
        raise ValidationException(
            "A test mock should have only one of the following fields: [result, errorOutput]."
        )
    if request.reveal_secrets:
        raise ValidationException(
            "TestState does not support RevealSecrets when a mock is specified."
        )


def _mocked_result(text: Any) -> JSON:
    """``mock.result``: JSON text."""
    if isinstance(text, str):
        try:
            return _parse_json(text)
        except (ValueError, RecursionError):
            pass
    raise ValidationException("Mocked result must be valid JSON")


# ------------------------------------------------------------------------------ the run


class _Host:
    """What the data flow reads while the state runs: its variables, context and entropy."""

    __slots__ = ("_context", "now_ms")

    def __init__(self, context: dict[str, Any], now_ms: int) -> None:
        self._context = context
        self.now_ms = now_ms

    def variables(self, frame: S.Frame) -> Mapping[str, JSON]:
        variables: Mapping[str, JSON] = frame["vars"]
        return variables

    def context(self, frame: S.Frame, state: M.State, **extra: Any) -> dict[str, Any]:
        if not extra:
            return self._context
        context = dict(self._context)
        token = extra.get("task_token")
        if token is not None and "Task" not in context:
            context["Task"] = {"Token": token}
        map_item = extra.get("map_item")
        if map_item is not None:
            context["Map"] = {"Item": map_item_context(map_item)}
        return context

    def uuid_source(self, frame: S.Frame) -> Callable[[], str]:
        return lambda: str(uuid.uuid4())

    def random_source(self, frame: S.Frame) -> Callable[[], float]:
        # $random() is not for security.
        return random.random


@dataclass(slots=True)
class _Outcome:
    """How the tested state ended."""

    status: str
    output: JSON = _NO_OUTPUT
    next_state: str | None = None
    failure: Failure | None = None
    error_details: dict[str, int] = field(default_factory=dict)
    assigned: Mapping[str, JSON] | None = None
    inspection: dict[str, JSON] = field(default_factory=dict)
    variables: dict[str, JSON] = field(default_factory=dict)

    def response(self, request: _Request, state: M.State) -> dict[str, Any]:
        """TestState's response for this outcome."""
        response: dict[str, Any] = {}
        if self.output is not _NO_OUTPUT:
            response["output"] = _text(self.output)
        if self.failure is not None:
            if self.failure.error is not None:
                response["error"] = self.failure.error
            if self.failure.cause is not None:
                response["cause"] = self.failure.cause
        if request.inspection_level != INFO:
            response["inspectionData"] = self._inspection_data(request, state)
        if self.next_state is not None:
            response["nextState"] = self.next_state
        response["status"] = self.status
        return response

    def _inspection_data(self, request: _Request, state: M.State) -> dict[str, Any]:
        recorded = self.inspection
        data: dict[str, Any] = {"input": _text(request.input)}
        for name in _INSPECTED_STEPS[(state.type, state.is_jsonata)]:
            if name in recorded:
                data[name] = _text(recorded[name])
        for name in ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage"):
            if recorded.get(name) is not None:
                data[name] = recorded[name]
        variables = dict(self.variables)
        if self.assigned:
            variables.update(self.assigned)
        if variables:
            data["variables"] = _text(variables)
        if self.error_details:
            data["errorDetails"] = dict(self.error_details)
        return data


#: The data-flow steps AWS shows for each state type and query language (``True``: JSONata), as
#: its recorded TestState answers show them: a Parallel state shows neither its input steps nor
#: its raw result, a JSONata state only its Arguments and (a Task's) result. No recorded answer
#: shows a JSONPath Map that succeeded or a Wait state: their result steps follow the Parallel
#: state's, their input steps the other states'.
_INSPECTED_STEPS: Final[Mapping[tuple[str, bool], tuple[str, ...]]] = {
    **{(kind, False): ("afterInputPath",) for kind in ("Choice", "Wait", "Succeed", "Fail")},
    **{
        (kind, True): ()
        for kind in ("Choice", "Wait", "Succeed", "Fail", "Pass", "Map", "Parallel")
    },
    ("Pass", False): (
        "afterInputPath",
        "afterParameters",
        "result",
        "afterResultSelector",
        "afterResultPath",
    ),
    ("Task", False): (
        "afterInputPath",
        "afterParameters",
        "result",
        "afterResultSelector",
        "afterResultPath",
    ),
    ("Task", True): ("afterArguments", "result"),
    ("Parallel", False): ("afterResultSelector", "afterResultPath"),
    ("Map", False): (
        "afterInputPath",
        "afterItemsPath",
        "afterItemSelector",
        "afterResultSelector",
        "afterResultPath",
    ),
}


def _text(value: JSON) -> str:
    """A payload as TestState writes it (``", "`` and ``": "`` separators, UTF-8 kept)."""
    return json.dumps(value, ensure_ascii=False)


class _Run:
    """One TestState run of one state."""

    def __init__(
        self,
        *,
        request: _Request,
        state: M.State,
        mock_value: JSON,
        role_arn: str | None,
        region: str,
        account: str,
        now_ms: int,
        tasks: TaskRunner,
    ) -> None:
        self.request = request
        self.state = state
        self.mock_value = mock_value
        self.role_arn = role_arn
        self.region = region
        self.account = account
        self.tasks = tasks
        self.now_ms = now_ms
        retriable = isinstance(state, (M.TaskState, M.ParallelState, M.MapState))
        retries = request.retrier_retry_count
        context = request.context
        if context is None:
            context = _default_context(
                request.input, state, role_arn, region, account, now_ms, retries, retriable
            )
        self.frame = S.new_frame(S.ROOT_FRAME, None, [], state.name, request.input, 0)
        self.frame["vars"] = dict(request.variables)
        self.frame["entered"] = _ENTERED_EVENT_ID
        self.frame["entered_ms"] = now_ms
        self.frame["retries"] = retries
        self.flow = DataFlow(_Host(context, now_ms))
        self.inspection: dict[str, JSON] = {}
        self.flow.inspection = self.inspection

    def execute(self) -> _Outcome:
        state = self.state
        try:
            outcome = self._run_state(state)
        except QueryRuntimeError as problem:
            outcome = self._failed(self._query_failure(problem))
        outcome.inspection = self.inspection
        outcome.variables = dict(self.frame["vars"])
        return outcome

    def _query_failure(self, problem: QueryRuntimeError) -> Failure:
        cause = problem.detail
        if problem.with_state_prefix:
            cause = E.state_runtime_cause(self.state.name, _ENTERED_EVENT_ID, cause)
        return Failure(problem.error, cause)

    def _run_state(self, state: M.State) -> _Outcome:
        flow = self.flow
        frame = self.frame
        if isinstance(state, M.PassState):
            output, assigned = flow.pass_output(frame, state)
            return self._succeeded(output, assigned, state.next)
        if isinstance(state, M.SucceedState):
            output, assigned = flow.plain_output(frame, state)
            return self._succeeded(output, assigned, None)
        if isinstance(state, M.WaitState):
            _, output, assigned = flow.wait_until(frame, state)
            return self._succeeded(output, assigned, state.next)
        if isinstance(state, M.ChoiceState):
            next_state, output, assigned = flow.choose(frame, state)
            if next_state is None:
                no_match = E.state_runtime_cause(state.name, _ENTERED_EVENT_ID, _NO_CHOICE_DETAIL)
                return _Outcome(FAILED, failure=Failure(E.NO_CHOICE_MATCHED, no_match))
            return self._succeeded(output, assigned, next_state)
        if isinstance(state, M.FailState):
            if not state.is_jsonata:
                # A Fail state has no InputPath; AWS shows its input unchanged for that step.
                self.inspection["afterInputPath"] = frame["input"]
            error, cause = flow.fail_error_and_cause(frame, state)
            return _Outcome(FAILED, failure=Failure(error, cause))
        if isinstance(state, M.TaskState):
            return self._run_task(state)
        if isinstance(state, M.ParallelState):
            flow.parallel_input(frame, state)
            return self._mocked_result(state, self.mock_value)
        assert isinstance(state, M.MapState)
        return self._run_map(state)

    def _succeeded(
        self, output: JSON, assigned: Mapping[str, JSON] | None, next_state: str | None
    ) -> _Outcome:
        return _Outcome(SUCCEEDED, output=output, next_state=next_state, assigned=assigned)

    # -------------------------------------------------------------------------- Task

    def _run_task(self, state: M.TaskState) -> _Outcome:
        resource = state.resource
        token = secrets.token_urlsafe(48) if resource.waits_for_task_token else None
        resource_arn, payload, timeout, heartbeat, credentials = self.flow.task_request(
            self.frame, state, token
        )
        if self.request.mock is not None:
            return self._mocked_result(state, self.mock_value)
        command: InvokeTask = {
            "type": "invoke",
            "key": f"{S.ROOT_FRAME}/{state.name}/{_ENTERED_EVENT_ID}/0",
            "resource": resource_arn,
            "input": payload,
            "state": state.name,
            "frame": S.ROOT_FRAME,
            "execution": "",
        }
        if timeout is not None:
            command["timeout_seconds"] = timeout
        if heartbeat is not None:
            command["heartbeat_seconds"] = heartbeat
        if credentials is not None:
            command["credentials"] = credentials
        if self.role_arn is not None:
            # The Task runs as the request's role, as an execution runs as its state machine's.
            command["execution_role"] = self.role_arn
        outcome = self.tasks.run(command, self.now_ms)
        if not outcome.succeeded:
            return self._failed(Failure(outcome.error, outcome.cause))
        return self._result(state, outcome.output)

    def _mocked_result(self, state: Any, value: JSON) -> _Outcome:
        """The state's mocked error, or its result from the mocked value."""
        mock = self.request.mock
        assert mock is not None
        error_output = mock.get("errorOutput")
        if error_output is not None:
            return self._failed(Failure(error_output.get("error"), error_output.get("cause")))
        return self._result(state, value)

    def _result(self, state: Any, result: JSON) -> _Outcome:
        try:
            output, assigned = self.flow.state_result(
                self.frame, state, self.frame["input"], result
            )
        except QueryRuntimeError as problem:
            return self._failed(self._query_failure(problem))
        next_state = None if state.end else state.next
        return self._succeeded(output, assigned, next_state)

    # -------------------------------------------------------------------------- Map

    def _run_map(self, state: M.MapState) -> _Outcome:
        flow = self.flow
        reader_data = self.request.map_item_reader_data
        read_items: list[JSON] | None = None
        if state.item_reader is not None:
            read_items = _reader_items(reader_data, state.item_reader)
        items, effective, max_concurrency = flow.map_items(self.frame, state, read_items)
        tolerated_count, tolerated_percentage = flow.map_tolerance(self.frame, state, effective)
        self.inspection["maxConcurrency"] = max_concurrency
        self.inspection["toleratedFailureCount"] = tolerated_count
        self.inspection["toleratedFailurePercentage"] = tolerated_percentage
        if state.item_selector is not None:
            self.inspection["afterItemSelector"] = [
                flow.map_item_input(self.frame, state, effective, index, item)
                for index, item in enumerate(items)
            ]
        failed = self.request.map_iteration_failure_count
        items_known = state.item_reader is None or reader_data is not None
        if failed is not None and items_known and failed > len(items):
            raise ValidationException(
                "Map iteration failure count must be less than or equal to the number of Map "
                "iterations"
            )
        mock = self.request.mock
        assert mock is not None
        if (
            mock.get("errorOutput") is None
            and failed
            and _threshold_exceeded(failed, len(items), tolerated_count, tolerated_percentage)
        ):
            return self._failed(Failure(E.EXCEED_TOLERATED_FAILURE_THRESHOLD, _EXCEEDED_CAUSE))
        return self._mocked_result(state, self.mock_value)

    # -------------------------------------------------------------------------- failures

    def _failed(self, failure: Failure) -> _Outcome:
        """Route a failure through the state's Retry, then its Catch (one attempt only)."""
        state = self.state
        retriers: tuple[M.Retrier, ...] = getattr(state, "retry", ())
        # The request says how many retries this attempt follows, whichever Retrier matches.
        attempts = [self.request.retrier_retry_count] * len(retriers)
        route = route_failure(state, failure.error, attempts, secrets.token_hex(8))
        details: dict[str, int] = {}
        if route.retrier is not None:
            details["retryIndex"] = route.retrier
        if isinstance(route, RetryAfter):
            details["retryBackoffIntervalSeconds"] = int(route.delay_seconds)
            return _Outcome(RETRIABLE, failure=failure, error_details=details)
        if isinstance(route, Unhandled):
            return _Outcome(FAILED, failure=failure, error_details=details)
        details["catchIndex"] = route.catcher
        catcher = state.catch[route.catcher]  # type: ignore[attr-defined]
        try:
            output, assigned = self.flow.catch_output(self.frame, state, catcher, failure)
        except QueryRuntimeError as problem:
            return _Outcome(FAILED, failure=self._query_failure(problem), error_details=details)
        return _Outcome(
            CAUGHT_ERROR,
            output=output,
            next_state=catcher.next,
            failure=failure,
            error_details=details,
            assigned=assigned,
        )


def _threshold_exceeded(
    failed: int, total: int, tolerated_count: int | None, tolerated_percentage: float | None
) -> bool:
    """Whether ``failed`` of ``total`` iterations exceed the Map's tolerated failure threshold
    (the engine's rule, :func:`interpreter.core.tolerance.tolerated`). A Map that sets no
    threshold is not judged: AWS answers its mocked result whatever the failure count."""
    if not threshold_set(tolerated_count, tolerated_percentage):
        return False
    return not tolerated(failed, total, tolerated_count, tolerated_percentage)


def _reader_items(data: str | None, reader: Any) -> list[JSON]:
    """The items of ``mapItemReaderData``: a JSON array, or JSON Lines (one item a line)."""
    if data is None:
        return []
    config = reader.get("ReaderConfig") if isinstance(reader, Mapping) else None
    input_type = config.get("InputType") if isinstance(config, Mapping) else None
    try:
        if input_type == "JSONL":
            return [_parse_json(line) for line in data.splitlines() if line.strip()]
        value = _parse_json(data)
    except (ValueError, RecursionError):
        raise ValidationException("Map item reader data must be valid JSON") from None
    if not isinstance(value, list):
        raise ValidationException("Map item reader data must be a JSON array")
    return value


def _default_context(
    input_value: JSON,
    state: M.State,
    role_arn: str | None,
    region: str,
    account: str,
    now_ms: int,
    retries: int,
    retriable: bool,
) -> dict[str, Any]:
    """The context object of a TestState run: an Express execution with generated names."""
    machine_name = str(uuid.uuid4())
    execution_name = str(uuid.uuid4())
    details: dict[str, Any] = {
        "arn": f"arn:aws:states:{region}:{account}:express:{machine_name}:{execution_name}",
        "input": input_value,
        "start_ms": now_ms,
        "name": execution_name,
        "role_arn": role_arn,
        "state_machine_arn": arns.state_machine_arn(region, account, machine_name),
        "state_machine_name": machine_name,
    }
    execution, machine = execution_context(details)
    # AWS's TestState context objects have no RedriveCount (its recorded contexts show none).
    execution.pop("RedriveCount", None)
    return state_context(execution, machine, state.name, now_ms, retries if retriable else None)
