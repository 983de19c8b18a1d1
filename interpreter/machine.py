"""The Python API for running state machines in-process (tests of users' own workflows).

Example::

    from interpreter import StateMachine

    machine = StateMachine.from_file("order.asl.json")
    result = machine.run(
        {"orderId": "42"},
        lambdas={"ChargeCard": charge_card},   # function name (or ARN) -> handler(event, context)
        clock="virtual",                        # Waits, retry back-off and timeouts take no time
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {...}

A definition is validated as CreateStateMachine validates it (``InvalidDefinitionError`` carries
AWS's message and the diagnostics) and compiled once; ``run`` may be called any number of times.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interpreter import arns
from interpreter.core.history import to_json_text
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.diagnostics import Diagnostic, invalid_definition_message
from interpreter.definition.model import StateMachine as CompiledStateMachine
from interpreter.definition.needs import needs_of
from interpreter.definition.validation import validate_and_load
from interpreter.json_types import JSON, PayloadTooLargeError, json_size_bound
from interpreter.limits import MAX_INPUT_DEPTH, MAX_PAYLOAD_BYTES, utf8_size
from interpreter.runtime.local import EventListener, ExecutionResult, LocalRunner
from interpreter.runtime.ports import TaskInvoker

if TYPE_CHECKING:
    from interpreter.app import LocalMachine


class InvalidExecutionInputError(ValueError):
    """The execution input is not a JSON value (a set, NaN, infinity, a cycle...), is nested
    deeper than ``MAX_INPUT_DEPTH`` or is larger than AWS's 256 KiB (StartExecution's limit)."""


class InvalidDefinitionError(ValueError):
    """The definition is not valid ASL. ``message`` is worded as CreateStateMachine words it."""

    def __init__(self, message: str, diagnostics: list[Diagnostic]) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics


class StateMachine:
    """A validated, compiled state machine that can be run locally."""

    def __init__(
        self,
        definition: JSON | str,
        *,
        name: str = "StateMachine",
        state_machine_type: str = "STANDARD",
    ) -> None:
        parsed, diagnostics = validate_and_load(definition, state_machine_type=state_machine_type)
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            text = definition if isinstance(definition, str) else json.dumps(definition)
            raise InvalidDefinitionError(invalid_definition_message(errors, text), diagnostics)
        self.name = name
        self.type = state_machine_type
        self.definition: JSON = parsed
        self.compiled: CompiledStateMachine = compile_state_machine(parsed)
        #: Whether its Tasks call Step Functions (a run then holds its child executions).
        self.starts_executions = any(
            need.resource is not None and need.resource.service in ("states", "sfn")
            for need in needs_of(parsed)
        )
        self._plain_runners: dict[tuple[str, str, str, str | None], LocalRunner] = {}

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> StateMachine:
        """Load, validate and compile a definition file (``.asl.json``)."""
        return cls(Path(path).read_text(encoding="utf-8"), **options)

    def run(
        self,
        execution_input: JSON = None,
        *,
        lambdas: Mapping[str, Any] | None = None,
        clock: str = "virtual",
        execution_name: str | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        role_arn: str | None = None,
        state_machine_arn: str | None = None,
        on_event: EventListener | None = None,
        invokers: Sequence[TaskInvoker] = (),
        activities: Mapping[str, Any] | None = None,
        mock_config: str | Path | Mapping[str, Any] | None = None,
        test_case: str | None = None,
        machines: Mapping[str, StateMachine | JSON] | None = None,
    ) -> ExecutionResult:
        """Run one execution to its end.

        ``lambdas`` maps Lambda function names or ARNs to local handlers ``handler(event,
        context)``; both Task forms (function ARN and ``arn:aws:states:::lambda:invoke``) call
        them. ``clock`` is ``virtual`` (time jumps to the next timer) or ``real``. Names and ARNs
        feed the context object (``$$.Execution.Id``...). ``on_event`` sees each history event
        as it is recorded. ``invokers`` run Task resources that no local Lambda handler serves
        (AWS services through boto3, for instance). ``activities`` maps activity names or ARNs
        to in-process workers ``worker(task_input) -> output`` (raise
        ``interpreter.runtime.activities.ActivityFailure(error, cause)`` to fail the task); a Task
        on an activity with no worker fails as one on a missing activity does. ``mock_config``
        (a Step Functions Local ``MockConfigFile.json`` path, or its parsed document) and
        ``test_case`` mock the Task states that test case names, for the state machine of this
        machine's ``name``. ``machines`` maps state machine names to other state machines
        (:class:`StateMachine` objects, or definitions): a ``states:startExecution`` Task
        (plain, ``.sync``, ``.sync:2``, ``.waitForTaskToken``) or ``aws-sdk:sfn:startExecution``
        on one of their ARNs — or on this machine's own — runs the child here, to its end, on
        the same clock and handlers (a child on ``<arn>#<TestCase>`` runs that test case of
        ``mock_config``); other state machines are ``invokers``' business.
        """
        value = {} if execution_input is None else execution_input
        input_text = _input_text(value)
        mocks = config = None
        if mock_config is not None or test_case is not None:
            from interpreter.adapters.mock_config import MockConfig

            if mock_config is None or test_case is None:
                raise ValueError("mock_config and test_case go together")
            config = MockConfig.load(mock_config)
            mocks = config.test_case(self.name, test_case)
        plain = (
            not lambdas
            and not invokers
            and not activities
            and mocks is None
            and not machines
            and not self.starts_executions
        )
        key = (clock, region, account, role_arn)
        runner = self._plain_runners.get(key) if plain else None
        if runner is None:
            from interpreter.app import local_runner

            runner = local_runner(
                lambdas=lambdas,
                clock=clock,
                region=region,
                account=account,
                role_arn=role_arn,
                invokers=invokers,
                activities=activities,
                mocks=mocks,
                machines=self._known_machines(machines) if self.starts_executions else None,
                mock_config=config,
            )
            if plain:
                # Nothing per run in it: repeated runs without handlers share one.
                self._plain_runners[key] = runner
        execution_arn = None
        if self.type == "EXPRESS":
            # An Express execution's ARN carries an id after its name, as on AWS.
            name = execution_name or str(uuid.uuid4())
            execution_name = name
            express_id = str(uuid.uuid4())
            execution_arn = arns.execution_arn(region, account, self.name, name, express_id)
        return runner.run(
            self.compiled,
            value,
            input_text=input_text,
            state_machine_name=self.name,
            state_machine_arn=state_machine_arn,
            execution_name=execution_name,
            execution_arn=execution_arn,
            on_event=on_event,
        )

    def _known_machines(
        self, machines: Mapping[str, StateMachine | JSON] | None
    ) -> dict[str, LocalMachine]:
        """This machine and ``machines``, as the runner registers them."""
        from interpreter.app import LocalMachine

        known = {self.name: LocalMachine(self.compiled, self.type)}
        for name, value in (machines or {}).items():
            child = value if isinstance(value, StateMachine) else StateMachine(value, name=name)
            known[name] = LocalMachine(child.compiled, child.type)
        return known


def _input_text(value: JSON) -> str:
    """The execution input as JSON text, checked as StartExecution checks it (without recursing
    on the caller's value)."""
    try:
        bound = json_size_bound(value, max_depth=MAX_INPUT_DEPTH, max_bytes=MAX_PAYLOAD_BYTES)
        text = to_json_text(value)
        if bound > MAX_PAYLOAD_BYTES and utf8_size(text) > MAX_PAYLOAD_BYTES:
            raise PayloadTooLargeError(f"The JSON text is longer than {MAX_PAYLOAD_BYTES} bytes")
    except (TypeError, ValueError, RecursionError) as problem:
        raise InvalidExecutionInputError(
            f"Invalid State Machine Execution Input: '{problem}'"
        ) from None
    return text


def run(
    definition: JSON | str,
    execution_input: JSON = None,
    **options: Any,
) -> ExecutionResult:
    """Validate, compile and run ``definition`` once (see :meth:`StateMachine.run`)."""
    machine_options = {
        key: options.pop(key) for key in ("name", "state_machine_type") if key in options
    }
    return StateMachine(definition, **machine_options).run(execution_input, **options)
