"""Step Functions Local's mock configuration file, read unchanged.

Teams that tested with Step Functions Local (now deprecated by AWS) keep their
``MockConfigFile.json``::

    {
      "StateMachines": {
        "<state machine name>": {
          "TestCases": {"<test case>": {"<Task state name>": "<mocked response name>"}}
        }
      },
      "MockedResponses": {
        "<mocked response name>": {
          "0": {"Return": <the service's response>},
          "1-2": {"Throw": {"Error": "<error name>", "Cause": "<cause>"}}
        }
      }
    }

A test case names, for some Task states, the responses their invocations get instead of calling
the service. Keys count a state's invocations from 0 (``"1-2"`` is an inclusive range); every
invocation of the state in the execution advances its count — retries, and each Map iteration,
included. An invocation the keys do not cover fails the execution with ``States.Runtime``, as
Step Functions Local does. ``Return`` is the service's raw response (the Invoke response for
``lambda:invoke``, the SDK response for ``aws-sdk:*``...; for a Lambda function ARN its
``Payload`` when it has one); ``Throw`` fails the task with its ``Error`` and ``Cause``, which
Retry and Catch see as usual. A callback (``.waitForTaskToken``) task gets its ``Return`` as the
callback's answer at once. States the test case does not name call their services as usual.

The history is the one AWS records for the same result (``TaskScheduled``/``TaskStarted``/
``TaskSucceeded``, ``LambdaFunction*`` for function ARNs...).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.json_types import (
    JSON,
    TooDeeplyNestedError,
    json_size_bound,
    parse_json_bounded,
)
from interpreter.limits import MAX_HISTORY_EVENTS, MAX_INPUT_DEPTH
from interpreter.runtime.ports import Store, TaskOutcome


class MockConfigError(ValueError):
    """The mock configuration is not in Step Functions Local's format (says where)."""


#: How deep the document holds a ``Return`` (MockedResponses > name > "0" > Return): a
#: response may nest as deep as an execution input, and the whole document no deeper.
_RETURN_NESTING = 4


@dataclass(frozen=True, slots=True)
class MockedResponse:
    """One response: a ``Return`` value, or a ``Throw`` error and cause."""

    returns: bool
    value: JSON = None
    error: str | None = None
    cause: str | None = None


def _responses(name: str, spec: Any) -> dict[int, MockedResponse]:
    where = f"MockedResponses.{name}"
    if not isinstance(spec, Mapping) or not spec:
        raise MockConfigError(f"{where} must be an object of invocation numbers to responses")
    by_invocation: dict[int, MockedResponse] = {}
    for key, entry in spec.items():
        first, _, last = str(key).partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise MockConfigError(
                f'{where}: {key!r} is not an invocation number or range (such as "0" or "1-2")'
            ) from None
        if low < 0 or high < low:
            raise MockConfigError(f"{where}: {key!r} is not an invocation range")
        if (
            not isinstance(entry, Mapping)
            or len(entry) != 1
            or next(iter(entry))
            not in (
                "Return",
                "Throw",
            )
        ):
            raise MockConfigError(f"{where}.{key} must hold exactly one of Return or Throw")
        if "Return" in entry:
            response = MockedResponse(True, value=entry["Return"])
        else:
            thrown = entry["Throw"]
            if not (
                isinstance(thrown, Mapping)
                and isinstance(thrown.get("Error"), str)
                and isinstance(thrown.get("Cause"), str)
            ):
                raise MockConfigError(f"{where}.{key}.Throw must have an Error and a Cause string")
            response = MockedResponse(False, error=thrown["Error"], cause=thrown["Cause"])
        # No state is invoked this often in one execution (its history would be full): a
        # range beyond it would only fill memory.
        for invocation in range(low, min(high, MAX_HISTORY_EVENTS) + 1):
            if invocation in by_invocation:
                raise MockConfigError(f"{where}: invocation {invocation} has two responses")
            by_invocation[invocation] = response
    return by_invocation


class MockConfig:
    """A parsed mock configuration (see the module docs)."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, Mapping):
            raise MockConfigError("the mock configuration must be a JSON object")
        try:
            json_size_bound(document, max_depth=MAX_INPUT_DEPTH + _RETURN_NESTING)
        except TooDeeplyNestedError:
            raise MockConfigError(
                f"a mocked response is nested more than {MAX_INPUT_DEPTH} levels deep"
            ) from None
        except ValueError as problem:
            raise MockConfigError(f"the mock configuration is not JSON: {problem}") from None
        self.document: Mapping[str, Any] = document
        machines = document.get("StateMachines", {})
        responses = document.get("MockedResponses", {})
        if not isinstance(machines, Mapping) or not isinstance(responses, Mapping):
            raise MockConfigError("StateMachines and MockedResponses must be objects")
        self.responses = {name: _responses(name, spec) for name, spec in responses.items()}
        self.test_cases: dict[str, dict[str, dict[str, str]]] = {}
        for machine, spec in machines.items():
            cases = spec.get("TestCases") if isinstance(spec, Mapping) else None
            if not isinstance(cases, Mapping):
                raise MockConfigError(f"StateMachines.{machine}.TestCases must be an object")
            self.test_cases[machine] = {}
            for case, states in cases.items():
                where = f"StateMachines.{machine}.TestCases.{case}"
                if not isinstance(states, Mapping):
                    raise MockConfigError(f"{where} must map state names to mocked responses")
                for state, response in states.items():
                    if response not in self.responses:
                        raise MockConfigError(
                            f"{where}.{state} names the mocked response {response!r}, which "
                            "MockedResponses does not define"
                        )
                self.test_cases[machine][case] = dict(states)

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> MockConfig:
        """A configuration from a file path, or an already-parsed document."""
        if not isinstance(source, (str, Path)):
            return cls(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise MockConfigError(
                f"cannot read the mock configuration {source}: {problem}"
            ) from None
        try:
            document = parse_json_bounded(text, MAX_INPUT_DEPTH + _RETURN_NESTING)
        except TooDeeplyNestedError:
            raise MockConfigError(
                f"the mock configuration {source} nests a mocked response more than "
                f"{MAX_INPUT_DEPTH} levels deep"
            ) from None
        except (ValueError, RecursionError) as problem:
            raise MockConfigError(
                f"the mock configuration {source} is not JSON: {problem}"
            ) from None
        return cls(document)

    def test_case(self, state_machine_name: str, test_case: str) -> MockedTestCase:
        """The mocks of one test case of one state machine (raises MockConfigError)."""
        cases = self.test_cases.get(state_machine_name)
        if cases is None:
            raise MockConfigError(
                f"the mock configuration has no state machine named {state_machine_name!r}"
            )
        states = cases.get(test_case)
        if states is None:
            raise MockConfigError(
                f"the mock configuration has no test case {test_case!r} for the state machine "
                f"{state_machine_name!r}"
            )
        return MockedTestCase(
            test_case, {state: self.responses[name] for state, name in states.items()}
        )


@dataclass
class MockedTestCase:
    """The mocks of one execution: each named state's responses and how many it has used."""

    name: str
    states: dict[str, dict[int, MockedResponse]]
    #: For commands the driver did not number: each task attempt's invocation number, by its
    #: idempotency key, so a task run again (at-least-once delivery) gets the same response.
    _numbers: dict[str, int] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _next_number(self, state: str, key: str) -> int:
        with self._lock:
            number = self._numbers.get(key)
            if number is None:
                number = self._counts.get(state, 0)
                self._counts[state] = number + 1
                self._numbers[key] = number
            return number

    def outcome(self, command: InvokeTask, resource: TaskResource) -> TaskOutcome | None:
        """The mocked outcome of a task command, or None when its state is not mocked."""
        state = str(command.get("state"))
        responses = self.states.get(state)
        if responses is None:
            return None
        number = command.get("invocation")
        if number is None:
            number = self._next_number(state, str(command["key"]))
        response = responses.get(number)
        if response is None:
            return TaskOutcome(
                False,
                error="States.Runtime",
                cause=f"The mock test case '{self.name}' has no response for invocation {number} "
                f"of the state '{state}'.",
            )
        activity = bool(command.get("activity"))
        if not response.returns:
            return TaskOutcome(
                False, error=response.error, cause=response.cause, activity_scheduled=activity
            )
        output = _result(response.value, resource)
        if command.get("task_token") and not activity:
            # A callback task: the Return is the callback's answer, given at once.
            return TaskOutcome(True, output=output, submitted_output=output)
        return TaskOutcome(True, output=output, activity_scheduled=activity)


def _result(value: JSON, resource: TaskResource) -> JSON:
    """What the state receives from a mocked ``Return``."""
    if resource.kind == "lambda_function" and isinstance(value, dict) and "Payload" in value:
        payload = value["Payload"]
        if isinstance(payload, str):
            # A Payload given as JSON text, as the Invoke API returns it.
            try:
                return parse_json_bounded(payload, MAX_INPUT_DEPTH)
            except TooDeeplyNestedError:
                raise  # the task runner fails the task with States.Runtime
            except (ValueError, RecursionError):
                return payload
        return payload
    return value


class MockInvoker:
    """A task invoker that serves the mocked states of executions running a mock test case
    (``test_case_of`` maps an execution ARN to its test case, None for executions without one);
    it comes first, before any real invoker."""

    def __init__(self, test_case_of: Callable[[str], MockedTestCase | None]) -> None:
        self.test_case_of = test_case_of

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The mocked outcome, or None when the execution or the state is not mocked."""
        test_case = self.test_case_of(command["execution"])
        return None if test_case is None else test_case.outcome(command, resource)


class MockTestCases:
    """The mock test cases the executions of one deployment run: StartExecution on
    ``<state machine ARN>#<TestCase>`` stores the test case's name in the execution's record,
    so every process of the deployment finds it (``test_case_of``)."""

    #: Executions whose test case is remembered (the oldest are looked up again when needed).
    REMEMBERED = 10_000

    def __init__(self, config: MockConfig | None, store: Store) -> None:
        self.config = config
        self.store = store
        self._by_execution: OrderedDict[str, MockedTestCase | None] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, state_machine_name: str, test_case: str) -> None:
        """Raise MockConfigError unless ``test_case`` exists for the state machine."""
        if self.config is None:
            raise MockConfigError("no mock configuration is loaded")
        self.config.test_case(state_machine_name, test_case)

    def clear(self) -> None:
        """Forget what was remembered (a reset between tests)."""
        with self._lock:
            self._by_execution.clear()

    def test_case_of(self, execution_arn: str) -> MockedTestCase | None:
        """The test case ``execution_arn`` runs, if any."""
        if self.config is None:
            return None
        with self._lock:
            if execution_arn in self._by_execution:
                self._by_execution.move_to_end(execution_arn)
                return self._by_execution[execution_arn]
        record = self.store.get_execution(execution_arn)
        found = None
        if record is not None and record.test_case:
            machine_name = record.state_machine_arn.rsplit(":", 1)[-1]
            found = self.config.test_case(machine_name, record.test_case)
        with self._lock:
            self._by_execution[execution_arn] = found
            while len(self._by_execution) > self.REMEMBERED:
                self._by_execution.popitem(last=False)
        return found
