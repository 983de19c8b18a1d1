"""How data flows through a state, in both query languages.

JSONPath states: ``InputPath`` → ``Parameters`` → (the work) → ``ResultSelector`` → ``ResultPath``
→ ``OutputPath``, with ``Assign`` evaluated against the state's result and applied after the
output is computed. JSONata states: ``Arguments`` → (the work) → ``Output``, with ``Assign``; both
see ``$states`` (``input``, ``context``, and ``result`` or ``errorOutput`` where AWS allows them).

Every function here is pure: it reads the frame and the compiled state, evaluates compiled queries,
and returns values. ASL failures are raised as :class:`QueryRuntimeError` and turned into data by
the engine.

Inspection: when :attr:`DataFlow.inspection` is a dict (the TestState API sets it; executions
leave it None), each step stores what it computed under the name the TestState API reports it by
(``afterInputPath``, ``afterParameters``, ``afterArguments``, ``result``, ``afterResultSelector``,
``afterResultPath``, ``afterItemsPath``). The values are the Python values, not text.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from interpreter.core import errors as E
from interpreter.core.context import STATE_DATA
from interpreter.core.errors import Failure
from interpreter.core.timefmt import datetime_from_ms, ms_from_datetime
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.limits import MAX_PAYLOAD_BYTES
from interpreter.query.errors import QueryRuntimeError
from interpreter.query.jsonpath import PathNotFoundError, apply_result_path
from interpreter.query.jsontext import to_compact_json, to_java_string
from interpreter.query.scope import Scope

if TYPE_CHECKING:
    from interpreter.core.snapshot import Frame

# ISO-8601 extended offset date-time, as AWS reads it in Wait states: Java's
# DateTimeFormatter.ISO_OFFSET_DATE_TIME, whose name AWS's causes quote. Letters in any case,
# seconds optional, a fraction of up to nine digits, and 'Z' or an offset read leniently
# (+HH, +HHMM, +HH:MM, +HH:MM:SS).
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?"
    r"([Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)\Z"
)
_MAX_OFFSET = _dt.timedelta(hours=18)


def _offset(zone: str) -> _dt.timedelta:
    if zone in ("Z", "z"):
        return _dt.timedelta(0)
    digits = zone[1:].replace(":", "")
    hours, minutes, seconds = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if minutes > 59 or seconds > 59:
        raise ValueError(zone)
    offset = _dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if offset > _MAX_OFFSET:
        raise ValueError(zone)
    return offset if zone[0] == "+" else -offset


def parse_timestamp_ms(text: Any) -> int | None:
    """Epoch milliseconds of an ISO-8601 extended offset date-time, or None if it is not one."""
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = _dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=_dt.timezone(_offset(zone)),
        )
    except ValueError:
        return None
    return ms_from_datetime(moment)


# How AWS's Java runtime reads a number out of a value it found at a path: the value's text
# (a string as it is, anything else as Java prints it) through Integer.parseInt, Long.parseLong
# or Double.parseDouble. So "12" is 12, while 1.5, 2.0 (Java prints "2.0") and "abc" are not
# integers.
_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_JAVA_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)\Z"
)


def java_text(value: JSON) -> str:
    """A value as AWS's causes quote it: a string as it is, anything else as Java prints it."""
    return value if isinstance(value, str) else to_java_string(value)


def java_integer(value: JSON, bits: int = 32) -> int | None:
    """The value as Integer.parseInt (``bits=64``: Long.parseLong) reads its text, or None."""
    text = java_text(value)
    if not _JAVA_INTEGER.match(text):
        return None
    number = int(text)
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


def java_double(value: JSON) -> float | None:
    """The value as Double.parseDouble reads its text (blanks around it allowed), or None."""
    text = java_text(value).strip("".join(chr(c) for c in range(33)))
    if not _JAVA_DOUBLE.match(text):
        return None
    return float(text.rstrip("fFdD").replace("Infinity", "inf"))


_NO_EXTRA: Mapping[str, Any] = {}


class FlowHost(Protocol):
    """What data-flow evaluation reads from its host: the engine's stepper, or the TestState API.

    ``now_ms`` is the current time; the methods give the variables visible in a frame, the
    context object of a state running in it, and its entropy sources.
    """

    now_ms: int

    def variables(self, frame: Frame) -> Mapping[str, JSON]:
        """The variables visible in ``frame``."""
        ...

    def context(self, frame: Frame, state: M.State, **extra: Any) -> dict[str, Any]:
        """The context object for ``state`` running in ``frame``."""
        ...

    def uuid_source(self, frame: Frame) -> Callable[[], str]:
        """A source of version-4 UUIDs for the current state entry."""
        ...

    def random_source(self, frame: Frame) -> Callable[[], float]:
        """A source of floats in [0, 1) for the current state entry."""
        ...


#: Marks "evaluate the state's own Output/Assign" where a rule or catcher could supply its own.
_USE_STATE: Any = object()


class _StateScope(Scope):
    """A :class:`Scope` for one state's evaluation, with ``$$`` and entropy built on demand.

    Most states never read the context object, generate a UUID or draw a random number, so
    building them eagerly would be most of the cost of a Pass state.
    """

    __slots__ = (
        "_context",
        "_extra",
        "_frame",
        "_random",
        "_state",
        "_stepper",
        "_uuid",
        "_variables",
    )

    def __init__(
        self,
        stepper: FlowHost,
        frame: Frame,
        state: M.State,
        value: JSON,
        extra: Mapping[str, Any],
    ) -> None:
        self.input = value
        self._variables: Mapping[str, JSON] | None = None
        self._stepper = stepper
        self._frame = frame
        self._state = state
        self._extra = extra
        self._context: JSON = None
        self._uuid: Callable[[], str] | None = None
        self._random: Callable[[], float] | None = None

    @property
    def variables(self) -> Mapping[str, JSON]:
        if self._variables is None:
            self._variables = self._stepper.variables(self._frame)
        return self._variables

    @variables.setter
    def variables(self, value: Mapping[str, JSON]) -> None:
        self._variables = value

    @property
    def context(self) -> JSON:
        if self._context is None:
            self._context = self._stepper.context(self._frame, self._state, **self._extra)
        return self._context

    @context.setter
    def context(self, value: JSON) -> None:
        self._context = value

    @property
    def new_uuid(self) -> Callable[[], str]:
        if self._uuid is None:
            self._uuid = self._stepper.uuid_source(self._frame)
        return self._uuid

    @new_uuid.setter
    def new_uuid(self, value: Callable[[], str]) -> None:
        self._uuid = value

    @property
    def random(self) -> Callable[[], float] | None:
        if self._random is None:
            self._random = self._stepper.random_source(self._frame)
        return self._random

    @random.setter
    def random(self, value: Callable[[], float] | None) -> None:
        self._random = value


class DataFlow:
    """Data-flow evaluation for one ``step`` call (or one TestState run)."""

    __slots__ = ("inspection", "stepper")

    def __init__(self, stepper: FlowHost) -> None:
        self.stepper = stepper
        #: Where each step records its intermediate value (see the module docstring); None, as
        #: in executions, records nothing.
        self.inspection: dict[str, JSON] | None = None

    # ------------------------------------------------------------------ scopes

    def scope(self, frame: Frame, state: M.State, value: JSON, **context_extra: Any) -> Scope:
        """A JSONPath evaluation scope whose ``$`` is ``value``.

        The context object and the entropy sources are built only if a query reads them.
        """
        return _StateScope(self.stepper, frame, state, value, context_extra)

    def states_binding(
        self,
        frame: Frame,
        state: M.State,
        raw_input: JSON,
        members: Mapping[str, JSON] | None = None,
        context_extra: Mapping[str, Any] | None = None,
    ) -> dict[str, JSON]:
        """The JSONata ``$states`` binding: ``input``, ``context`` and the given ``members``."""
        binding = {
            "input": raw_input,
            "context": self.stepper.context(frame, state, **(context_extra or {})),
        }
        if members:
            binding.update(members)
        return binding

    def jsonata(self, template: Any, frame: Frame, states: Mapping[str, JSON]) -> JSON:
        """Evaluate a compiled JSONata template (a ``{% %}`` expression or a structure of them)."""
        stepper = self.stepper
        return template.evaluate(
            states,
            stepper.variables(frame),
            new_uuid=stepper.uuid_source(frame),
            random=stepper.random_source(frame),
            now=datetime_from_ms(stepper.now_ms),
        )

    # ------------------------------------------------------------------ JSONPath pieces

    def select(self, path: Any, value: JSON, frame: Frame, state: M.State) -> JSON:
        """Apply an InputPath/OutputPath-like field to ``value``."""
        if path is M.IDENTITY:
            return value
        if path is M.NULL:
            return {}
        return path.evaluate(self.scope(frame, state, value))

    def template(
        self, template: Any, value: JSON, frame: Frame, state: M.State, **extra: Any
    ) -> JSON:
        """Evaluate a payload template with ``$`` = ``value``."""
        return template.evaluate(self.scope(frame, state, value, **extra))

    @staticmethod
    def result_into(path: Any, raw_input: JSON, result: JSON) -> JSON:
        """Apply a ResultPath-like field."""
        if path is M.IDENTITY:
            return result
        if path is M.NULL:
            return raw_input
        return apply_result_path(raw_input, path, result)

    def assign_jsonpath(
        self, state: M.State, frame: Frame, value: JSON, **extra: Any
    ) -> dict[str, JSON] | None:
        """Evaluate a JSONPath ``Assign`` with ``$`` = ``value``."""
        if state.assign is None:
            return None
        assigned: dict[str, JSON] = state.assign.evaluate(self.scope(frame, state, value, **extra))
        return assigned

    # ------------------------------------------------------------------ per state type

    def pass_output(self, frame: Frame, state: M.PassState) -> tuple[JSON, dict[str, JSON] | None]:
        """Output and assignments of a Pass state."""
        raw = frame["input"]
        if state.is_jsonata:
            return self._jsonata_output(frame, state, raw, None, default=raw)
        scope = _StateScope(self.stepper, frame, state, raw, _NO_EXTRA)
        inspection = self.inspection
        if state.has_result:
            # Result is the whole result: AWS evaluates neither InputPath nor Parameters then
            # (its TestState inspection shows neither step).
            result = state.result
            if inspection is not None:
                inspection["result"] = result
        else:
            effective = (
                raw if state.input_path is M.IDENTITY else _select(state.input_path, raw, scope)
            )
            if state.parameters is not None:
                scope.input = effective
                result = state.parameters.evaluate(scope)
            else:
                result = effective
            if inspection is not None:
                inspection["afterInputPath"] = effective
                inspection["afterParameters"] = result
        assigned = None
        if state.assign is not None:
            scope.input = result
            assigned = state.assign.evaluate(scope)
        result_path = state.result_path
        if result_path is M.IDENTITY:
            output = result
        elif result_path is M.NULL:
            output = raw
        else:
            output = apply_result_path(raw, result_path, result)
        if inspection is not None:
            # A Pass state has no ResultSelector: AWS shows its result unchanged for that step.
            inspection["afterResultSelector"] = result
            inspection["afterResultPath"] = output
        if state.output_path is M.IDENTITY:
            return output, assigned
        return _select(state.output_path, output, scope), assigned

    def plain_output(self, frame: Frame, state: M.State) -> tuple[JSON, dict[str, JSON] | None]:
        """Output and assignments of a state with no result (Succeed, Wait, Choice)."""
        raw = frame["input"]
        if state.is_jsonata:
            return self._jsonata_output(frame, state, raw, None, default=raw)
        effective = self.select(state.input_path, raw, frame, state)
        if self.inspection is not None:
            self.inspection["afterInputPath"] = effective
        assigned = self.assign_jsonpath(state, frame, effective)
        output = self.select(state.output_path, effective, frame, state)
        return output, assigned

    def _jsonata_output(
        self,
        frame: Frame,
        state: M.State,
        raw: JSON,
        members: dict[str, JSON] | None,
        *,
        default: JSON,
        output_template: Any = _USE_STATE,
        assign_template: Any = _USE_STATE,
    ) -> tuple[JSON, dict[str, JSON] | None]:
        """Evaluate JSONata ``Assign`` and ``Output`` (the state's own unless others are given)."""
        states = self.states_binding(frame, state, raw, members)
        if output_template is _USE_STATE:
            output_template = state.output
        if assign_template is _USE_STATE:
            assign_template = state.assign
        assigned = None
        if assign_template is not None:
            assigned = self.jsonata(assign_template, frame, states)
        output = (
            default if output_template is None else self.jsonata(output_template, frame, states)
        )
        return output, assigned

    def fail_error_and_cause(
        self, frame: Frame, state: M.FailState
    ) -> tuple[str | None, str | None]:
        """Error and Cause of a Fail state."""
        raw = frame["input"]
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            error = state.error
            cause = state.cause
            if error is not None and hasattr(error, "evaluate"):
                error = self.jsonata(error, frame, states)
            if cause is not None and hasattr(cause, "evaluate"):
                cause = self.jsonata(cause, frame, states)
            return _text_or_none(error), _text_or_none(cause)
        error = state.error
        cause = state.cause
        if state.error_path is not None:
            error = self._fail_path(state.error_path, "ErrorPath", raw, frame, state)
        if state.cause_path is not None:
            cause = self._fail_path(state.cause_path, "CausePath", raw, frame, state)
        return error, cause

    def _fail_path(self, path: Any, field: str, raw: JSON, frame: Frame, state: M.State) -> Any:
        try:
            value = path.evaluate(self.scope(frame, state, raw))
        except PathNotFoundError:
            raise QueryRuntimeError(
                E.RUNTIME,
                f"The JSONPath '{path.text}' specified for the field '{field}' could not be found "
                f"in the input '{to_compact_json(raw)}'",
            ) from None
        if not isinstance(value, str):
            # AWS requires a string here; other values are reported the same way as a miss.
            raise QueryRuntimeError(
                E.RUNTIME,
                f"The JSONPath '{path.text}' specified for the field '{field}' could not be found "
                f"in the input '{to_compact_json(raw)}'",
            )
        return value

    def choose(
        self, frame: Frame, state: M.ChoiceState
    ) -> tuple[str | None, JSON, dict[str, JSON] | None]:
        """The branch a Choice state takes, its output and its assignments."""
        raw = frame["input"]
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            for branch in state.choices:
                matched = self.jsonata(branch.condition, frame, states)
                if not isinstance(matched, bool):
                    raise _wrong_type(branch.condition, "Condition", "boolean", matched)
                if matched:
                    output, assigned = self._jsonata_output(
                        frame,
                        state,
                        raw,
                        None,
                        default=raw,
                        output_template=branch.output if branch.output is not None else _USE_STATE,
                        assign_template=branch.assign if branch.assign is not None else _USE_STATE,
                    )
                    return branch.next, output, assigned
            if state.default is None:
                return None, raw, None
            output, assigned = self._jsonata_output(frame, state, raw, None, default=raw)
            return state.default, output, assigned
        effective = self.select(state.input_path, raw, frame, state)
        if self.inspection is not None:
            self.inspection["afterInputPath"] = effective
        scope = self.scope(frame, state, effective)
        for branch in state.choices:
            if branch.rule.evaluate(scope):
                assigned = None
                if branch.assign is not None:
                    assigned = branch.assign.evaluate(scope)
                elif state.assign is not None:
                    assigned = state.assign.evaluate(scope)
                output = self.select(state.output_path, effective, frame, state)
                return branch.next, output, assigned
        if state.default is None:
            return None, effective, None
        assigned = state.assign.evaluate(scope) if state.assign is not None else None
        return state.default, self.select(state.output_path, effective, frame, state), assigned

    def wait_until(
        self, frame: Frame, state: M.WaitState
    ) -> tuple[int, JSON, dict[str, JSON] | None]:
        """When a Wait state ends (epoch ms), its output and its assignments."""
        raw = frame["input"]
        now_ms = self.stepper.now_ms
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            if state.seconds is not None:
                seconds = state.seconds
                if hasattr(seconds, "evaluate"):
                    seconds = self.jsonata(seconds, frame, states)
                    if not _is_integral(seconds) or seconds < 0:
                        raise _wrong_type(state.seconds, "Seconds", "integer", seconds)
                until = now_ms + int(seconds) * 1000
            else:
                stamp = state.timestamp
                if hasattr(stamp, "evaluate"):
                    stamp = self.jsonata(stamp, frame, states)
                parsed = parse_timestamp_ms(stamp)
                if parsed is None:
                    raise QueryRuntimeError(
                        E.QUERY_EVALUATION_ERROR,
                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                        f"date-time format string: {java_text(stamp)}",
                        location="Timestamp",
                    )
                until = parsed
            output, assigned = self._jsonata_output(frame, state, raw, None, default=raw)
            return until, output, assigned
        effective = self.select(state.input_path, raw, frame, state)
        if self.inspection is not None:
            self.inspection["afterInputPath"] = effective
        if state.seconds is not None:
            until = now_ms + int(state.seconds) * 1000
        elif state.timestamp is not None:
            parsed = parse_timestamp_ms(state.timestamp)
            until = parsed if parsed is not None else now_ms
        elif state.seconds_path is not None:
            try:
                seconds = state.seconds_path.evaluate(self.scope(frame, state, effective))
            except PathNotFoundError:
                raise QueryRuntimeError(
                    E.RUNTIME,
                    "The SecondsPath parameter does not reference an input value: "
                    f"{state.seconds_path.text}",
                ) from None
            until = now_ms + _seconds_from_path(state.seconds_path.text, seconds) * 1000
        else:
            try:
                stamp = state.timestamp_path.evaluate(self.scope(frame, state, effective))
            except PathNotFoundError:
                raise QueryRuntimeError(
                    E.RUNTIME,
                    "The TimestampPath parameter does not reference an input value: "
                    f"{state.timestamp_path.text}",
                ) from None
            parsed = parse_timestamp_ms(stamp)
            if parsed is None:
                raise QueryRuntimeError(
                    E.RUNTIME,
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                    f"offset date-time format string: {state.timestamp_path.text} == "
                    f"{java_text(stamp)}",
                )
            until = parsed
        assigned = self.assign_jsonpath(state, frame, effective)
        output = self.select(state.output_path, effective, frame, state)
        return until, output, assigned

    # ------------------------------------------------------------------ Task

    def task_request(
        self, frame: Frame, state: M.TaskState, task_token: str | None = None
    ) -> tuple[str, JSON, int | None, int | None, JSON]:
        """Resource, payload, TimeoutSeconds, HeartbeatSeconds and Credentials of a Task."""
        raw = frame["input"]
        extra: dict[str, Any] = {}
        if task_token is not None:
            extra["task_token"] = task_token
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw, context_extra=extra)
            payload = (
                raw if state.arguments is None else self.jsonata(state.arguments, frame, states)
            )
            if self.inspection is not None:
                self.inspection["afterArguments"] = payload
            timeout = self._jsonata_seconds(state.timeout_seconds, "TimeoutSeconds", frame, states)
            heartbeat = self._jsonata_seconds(
                state.heartbeat_seconds, "HeartbeatSeconds", frame, states
            )
            credentials = state.credentials
            if credentials is not None and hasattr(credentials, "evaluate"):
                credentials = self.jsonata(credentials, frame, states)
            return state.resource.arn, payload, timeout, heartbeat, credentials
        effective = self.select(state.input_path, raw, frame, state)
        scope = self.scope(frame, state, effective, **extra)
        payload = effective if state.parameters is None else state.parameters.evaluate(scope)
        if self.inspection is not None:
            self.inspection["afterInputPath"] = effective
            self.inspection["afterParameters"] = payload
        timeout = state.timeout_seconds
        if state.timeout_seconds_path is not None:
            timeout = self._positive_int(state.timeout_seconds_path, "TimeoutSecondsPath", scope)
        heartbeat = state.heartbeat_seconds
        if state.heartbeat_seconds_path is not None:
            heartbeat = self._positive_int(
                state.heartbeat_seconds_path, "HeartbeatSecondsPath", scope
            )
        credentials = state.credentials
        if credentials is not None and hasattr(credentials, "evaluate"):
            credentials = credentials.evaluate(scope)
        return state.resource.arn, payload, timeout, heartbeat, credentials

    @classmethod
    def _positive_int(cls, path: Any, field: str, scope: Scope) -> int:
        """TimeoutSecondsPath / HeartbeatSecondsPath: an integer (as the Map's ``*Path``
        fields read one) that is positive."""
        value = cls._path_number(path, field, scope, integer=True)
        if value <= 0:
            raise QueryRuntimeError(
                E.RUNTIME,
                f'The {field} field refers to value "{value}" which is not a valid integer: '
                f"{path.text}",
            )
        return int(value)

    def _jsonata_seconds(
        self, field_value: Any, field: str, frame: Frame, states: Mapping[str, JSON]
    ) -> int | None:
        if field_value is None:
            return None
        if not hasattr(field_value, "evaluate"):
            return int(field_value)
        value = self.jsonata(field_value, frame, states)
        if not _is_integral(value) or value <= 0:
            raise _wrong_type(field_value, field, "integer", value)
        return int(value)

    def state_result(
        self, frame: Frame, state: Any, raw: JSON, result: JSON
    ) -> tuple[JSON, dict[str, JSON] | None]:
        """Output and assignments of a Task, Parallel or Map state from its result."""
        inspection = self.inspection
        if inspection is not None:
            inspection["result"] = result
        if state.is_jsonata:
            return self._jsonata_output(frame, state, raw, {"result": result}, default=result)
        if state.result_selector is not None:
            result = self.template(state.result_selector, result, frame, state)
        assigned = self.assign_jsonpath(state, frame, result)
        output = self.result_into(state.result_path, raw, result)
        if inspection is not None:
            inspection["afterResultSelector"] = result
            inspection["afterResultPath"] = output
        output = self.select(state.output_path, output, frame, state)
        return output, assigned

    def catch_output(
        self, frame: Frame, state: M.State, catcher: M.Catcher, failure: Failure
    ) -> tuple[JSON, dict[str, JSON] | None]:
        """Output and assignments when ``catcher`` handles ``failure``."""
        raw = frame["input"]
        error_output = failure.error_output()
        if state.is_jsonata:
            return self._jsonata_output(
                frame,
                state,
                raw,
                {"errorOutput": error_output},
                default=error_output,
                output_template=catcher.output,
                assign_template=catcher.assign,
            )
        assigned = None
        if catcher.assign is not None:
            assigned = catcher.assign.evaluate(self.scope(frame, state, error_output))
        return self.result_into(catcher.result_path, raw, error_output), assigned

    # ------------------------------------------------------------------ Parallel and Map

    def parallel_input(self, frame: Frame, state: M.ParallelState) -> JSON:
        """The input every branch of a Parallel state receives."""
        raw = frame["input"]
        if state.is_jsonata:
            if state.arguments is None:
                return raw
            return self.jsonata(state.arguments, frame, self.states_binding(frame, state, raw))
        effective = self.select(state.input_path, raw, frame, state)
        payload = (
            effective
            if state.parameters is None
            else self.template(state.parameters, effective, frame, state)
        )
        if self.inspection is not None:
            self.inspection["afterInputPath"] = effective
            self.inspection["afterParameters"] = payload
        return payload

    def map_items(
        self, frame: Frame, state: M.MapState, read_items: list[JSON] | None = None
    ) -> tuple[list[JSON], JSON, int]:
        """A Map state's items, its effective input and its MaxConcurrency.

        ``read_items`` are the items an ItemReader produced: they stand in for ``Items`` /
        ``ItemsPath``, which then are not evaluated.
        """
        raw = frame["input"]
        items_path_text = "$"
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            items_value = raw if read_items is None else read_items
            if state.items is not None and read_items is None:
                if hasattr(state.items, "evaluate"):
                    items_value = self.jsonata(state.items, frame, states)
                    if not isinstance(items_value, list):
                        raise _wrong_type(state.items, "Items", "array", items_value)
                else:
                    items_value = state.items
            max_concurrency = self._jsonata_number(
                state.max_concurrency, "MaxConcurrency", frame, states
            )
            effective = raw
        else:
            effective = self.select(state.input_path, raw, frame, state)
            items_value = effective if read_items is None else read_items
            max_concurrency = state.max_concurrency
            items_path: M.PathField = state.items_path if read_items is None else M.IDENTITY
            if items_path is not M.IDENTITY or state.max_concurrency_path is not None:
                scope = self.scope(frame, state, effective)
                if items_path is not M.IDENTITY:
                    items_value = items_path.evaluate(scope)
                    items_path_text = items_path.text
                if state.max_concurrency_path is not None:
                    max_concurrency = self._path_number(
                        state.max_concurrency_path, "MaxConcurrencyPath", scope, integer=True
                    )
                    if max_concurrency < 0:
                        raise QueryRuntimeError(E.RUNTIME, "MaxConcurrency cannot be negative.")
            if self.inspection is not None:
                self.inspection["afterInputPath"] = effective
                self.inspection["afterItemsPath"] = items_value
        if not isinstance(items_value, list):
            raise _not_an_array(state.is_jsonata, items_path_text, items_value)
        return items_value, effective, int(max_concurrency or 0)

    def item_reader_request(self, frame: Frame, state: M.MapState) -> dict[str, JSON]:
        """The evaluated ``ItemReader``: ``{"Resource", "Parameters", "ReaderConfig"}``."""
        reader = state.item_reader
        assert reader is not None
        raw = frame["input"]
        config: dict[str, JSON] = dict(reader.reader_config or {})
        if state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            parameters = (
                {} if reader.parameters is None else self.jsonata(reader.parameters, frame, states)
            )
            if hasattr(config.get("MaxItems"), "evaluate"):
                config["MaxItems"] = self.jsonata(config["MaxItems"], frame, states)
        else:
            effective = self.select(state.input_path, raw, frame, state)
            scope = self.scope(frame, state, effective)
            parameters = {} if reader.parameters is None else reader.parameters.evaluate(scope)
            if reader.max_items_path is not None:
                config["MaxItems"] = self._path_number(
                    reader.max_items_path, "MaxItemsPath", scope, integer=True
                )
        return {"Resource": reader.resource, "Parameters": parameters, "ReaderConfig": config}

    def batching(
        self, frame: Frame, state: M.MapState, effective: JSON
    ) -> tuple[int | None, int, JSON | None]:
        """A Map's ``ItemBatcher`` evaluated: (max items per batch or None, max bytes per batch,
        the ``BatchInput`` or None).

        A missing byte limit is the payload limit (256 KiB), the most a child execution's input
        may hold. The ``*Path`` fields and JSONata values must give positive integers.
        """
        batcher = state.item_batcher
        assert batcher is not None
        max_items: Any = batcher.max_items_per_batch
        max_bytes: Any = batcher.max_input_bytes_per_batch
        batch_input: JSON | None = None
        if state.is_jsonata:
            states = self.states_binding(frame, state, frame["input"])
            max_items = self._jsonata_number(max_items, "MaxItemsPerBatch", frame, states)
            max_bytes = self._jsonata_number(max_bytes, "MaxInputBytesPerBatch", frame, states)
            for value, field, template in (
                (max_items, "MaxItemsPerBatch", batcher.max_items_per_batch),
                (max_bytes, "MaxInputBytesPerBatch", batcher.max_input_bytes_per_batch),
            ):
                invalid = value is not None and (not _is_integral(value) or value < 1)
                if invalid and hasattr(template, "expressions"):
                    raise _wrong_type(template, field, "positive integer", value)
            if batcher.batch_input is not None:
                batch_input = self.jsonata(batcher.batch_input, frame, states)
        else:
            scope = self.scope(frame, state, effective)
            for path, field in (
                (batcher.max_items_per_batch_path, "MaxItemsPerBatchPath"),
                (batcher.max_input_bytes_per_batch_path, "MaxInputBytesPerBatchPath"),
            ):
                if path is None:
                    continue
                value = self._path_number(path, field, scope, integer=True)
                if value < 1:
                    raise QueryRuntimeError(
                        E.RUNTIME,
                        f'The {field} field refers to value "{value}" which is not a positive '
                        f"integer: {path.text}",
                    )
                if field == "MaxItemsPerBatchPath":
                    max_items = value
                else:
                    max_bytes = value
            if batcher.batch_input is not None:
                batch_input = batcher.batch_input.evaluate(scope)
        items_limit = int(max_items) if max_items is not None else None
        bytes_limit = int(max_bytes) if max_bytes is not None else MAX_PAYLOAD_BYTES
        return items_limit, min(bytes_limit, MAX_PAYLOAD_BYTES), batch_input

    def result_writer_request(self, frame: Frame, state: M.MapState) -> dict[str, JSON]:
        """The evaluated ``ResultWriter``: ``{"Resource", "Parameters", "WriterConfig"}``."""
        writer = state.result_writer
        assert writer is not None
        raw = frame["input"]
        if writer.parameters is None:
            parameters: JSON = {}
        elif state.is_jsonata:
            states = self.states_binding(frame, state, raw)
            parameters = self.jsonata(writer.parameters, frame, states)
        else:
            effective = self.select(state.input_path, raw, frame, state)
            parameters = writer.parameters.evaluate(self.scope(frame, state, effective))
        config: dict[str, JSON] = {}
        if writer.transformation is not None:
            config["Transformation"] = writer.transformation
        if writer.output_type is not None:
            config["OutputType"] = writer.output_type
        return {"Resource": writer.resource, "Parameters": parameters, "WriterConfig": config}

    def map_tolerance(
        self, frame: Frame, state: M.MapState, effective: JSON
    ) -> tuple[int | None, float | None]:
        """A Map state's ToleratedFailureCount and ToleratedFailurePercentage."""
        if state.is_jsonata:
            states = self.states_binding(frame, state, frame["input"])
            count = self._jsonata_number(
                state.tolerated_failure_count, "ToleratedFailureCount", frame, states
            )
            percentage = self._jsonata_number(
                state.tolerated_failure_percentage, "ToleratedFailurePercentage", frame, states
            )
        else:
            count = state.tolerated_failure_count
            percentage = state.tolerated_failure_percentage
            if (
                state.tolerated_failure_count_path is not None
                or state.tolerated_failure_percentage_path is not None
            ):
                scope = self.scope(frame, state, effective)
                if state.tolerated_failure_count_path is not None:
                    count = self._path_number(
                        state.tolerated_failure_count_path,
                        "ToleratedFailureCountPath",
                        scope,
                        integer=True,
                    )
                if state.tolerated_failure_percentage_path is not None:
                    percentage = self._path_number(
                        state.tolerated_failure_percentage_path,
                        "ToleratedFailurePercentagePath",
                        scope,
                        integer=False,
                    )
        if count is not None and count < 0:
            raise QueryRuntimeError(E.RUNTIME, "ToleratedFailureCount cannot be negative.")
        if percentage is not None and not 0 <= percentage <= 100:
            raise QueryRuntimeError(
                E.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100."
            )
        return (
            None if count is None else int(count),
            None if percentage is None else float(percentage),
        )

    def _jsonata_number(
        self, value: Any, field: str, frame: Frame, states: Mapping[str, JSON]
    ) -> Any:
        if value is None or not hasattr(value, "evaluate"):
            return value
        result = self.jsonata(value, frame, states)
        if isinstance(result, bool) or not isinstance(result, (int, float)):
            raise _wrong_type(value, field, "number", result)
        return result

    @staticmethod
    def _path_number(path: Any, field: str, scope: Scope, *, integer: bool) -> int | float:
        """A number a ``*Path`` field reads: the value's text through Java's Integer.parseInt
        or Double.parseDouble (AWS's causes quote that text: ``refers to value "1.5"``)."""
        value = path.evaluate(scope)
        number: int | float | None = java_integer(value) if integer else java_double(value)
        if number is None:
            kind = "integer" if integer else "float"
            raise QueryRuntimeError(
                E.RUNTIME,
                f'The {field} field refers to value "{java_text(value)}" which is not a valid '
                f"{kind}: {path.text}",
            )
        return number

    def map_item_input(
        self, frame: Frame, state: M.MapState, effective: JSON, index: int, item: JSON
    ) -> JSON:
        """The input of iteration ``index``: the item, or ItemSelector applied to it."""
        if state.item_selector is None:
            return item
        data = frame.get("data")
        source = data.get("item_source", STATE_DATA) if isinstance(data, dict) else STATE_DATA
        map_item = (index, item, source)
        if state.is_jsonata:
            states = self.states_binding(
                frame, state, frame["input"], context_extra={"map_item": map_item}
            )
            return self.jsonata(state.item_selector, frame, states)
        return self.template(state.item_selector, effective, frame, state, map_item=map_item)


def _select(path: Any, value: JSON, scope: Scope) -> JSON:
    """Apply an InputPath/OutputPath-like field to ``value``, reusing ``scope``."""
    if path is M.IDENTITY:
        return value
    if path is M.NULL:
        return {}
    scope.input = value
    return path.evaluate(scope)


def _not_an_array(is_jsonata: bool, items_path: str, value: JSON) -> QueryRuntimeError:
    """A Map's items are not an array: AWS's wording differs by query language."""
    if is_jsonata:
        # Recorded: scenarios test_map_state_items_input_types (an EvaluationFailed event with
        # no location).
        return QueryRuntimeError(
            E.QUERY_EVALUATION_ERROR,
            "Map state input must be an array but was: " + to_compact_json(value),
        )
    # Recorded through TestState (ItemsPath "$$.Execution.Input" gives "$.Execution.Input"),
    # where the cause has no "An error occurred while executing the state" prefix.
    shown = items_path[1:] if items_path.startswith("$$") else items_path
    return QueryRuntimeError(
        E.RUNTIME, f'Reference path "{shown}" must point to array.', with_state_prefix=False
    )


def _seconds_from_path(path_text: str, value: JSON) -> int:
    """A Wait's SecondsPath value: a Java long (its text parsed), not negative."""
    seconds = java_integer(value, bits=64)
    if seconds is None:
        raise QueryRuntimeError(
            E.RUNTIME,
            "The SecondsPath parameter cannot be parsed as a long value: "
            f"{path_text} == {java_text(value)}",
        )
    if seconds < 0:
        raise QueryRuntimeError(
            E.RUNTIME,
            f"The SecondsPath parameter references a negative value: {path_text} == {seconds}",
        )
    return seconds


def _wrong_type(template: Any, location: str, expected: str, value: JSON) -> QueryRuntimeError:
    """AWS's error for a JSONata field whose value has the wrong type."""
    from interpreter.query.jsonata import unexpected_result_type

    return unexpected_result_type(template.expressions[0], location, expected, value)


def _is_integral(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _text_or_none(value: JSON) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_compact_json(value)
