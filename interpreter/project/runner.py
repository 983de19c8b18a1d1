"""Run a project's state machine from Python: a definition file or a template, with its functions.

Example::

    from interpreter.project.runner import load_state_machine, run_project

    result = run_project("template.yaml", {"orderId": "o-1"})   # its only machine, its functions
    orders = load_state_machine("template.yaml", machine="OrderStateMachine")
    result = orders.run({"orderId": "o-1"}, lambdas={"ChargePaymentFunction": fake_charge})

A template's Python functions serve the Tasks that call them (see
:mod:`interpreter.project.functions`); ``lambdas`` replace them by logical id or local name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interpreter.json_types import JSON
from interpreter.machine import StateMachine
from interpreter.project.functions import FunctionSpec, local_handlers
from interpreter.project.loader import LoadOptions, MachineSource, open_project
from interpreter.runtime.local import ExecutionResult


@dataclass(frozen=True, slots=True)
class ProjectStateMachine:
    """A project's state machine, compiled, with the template's functions to serve its Tasks."""

    machine: StateMachine
    source: MachineSource
    functions: tuple[FunctionSpec, ...]
    region: str
    account: str

    def handlers(
        self, lambdas: Mapping[str, Any] | None = None, *, mocked: bool = False
    ) -> dict[str, Any]:
        """The template's functions with ``lambdas`` in place of some (ProjectError when the
        machine calls a function that cannot run in-process and nothing replaces it)."""
        return local_handlers(
            self.functions, self.source.definition, overrides=lambdas or {}, mocked=mocked
        )

    def run(self, execution_input: JSON = None, **options: Any) -> ExecutionResult:
        """Run once, as :meth:`interpreter.StateMachine.run` does, with the template's
        functions, region, account and role unless ``options`` say otherwise."""
        mocked = options.get("test_case") is not None
        options["lambdas"] = self.handlers(options.get("lambdas"), mocked=mocked)
        options.setdefault("region", self.region)
        options.setdefault("account", self.account)
        if self.source.role_arn is not None:
            options.setdefault("role_arn", self.source.role_arn)
        return self.machine.run(execution_input, **options)


def load_state_machine(
    path: str,
    *,
    machine: str | None = None,
    substitutions: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
    stack_name: str | None = None,
    state_machine_type: str | None = None,
    name: str | None = None,
) -> ProjectStateMachine:
    """Load, validate and compile a project's state machine (``machine``: a template's logical
    id). Raises ProjectError or InvalidDefinitionError."""
    options = LoadOptions(
        substitutions=dict(substitutions or {}),
        parameters=dict(parameters or {}),
        region=region,
        account=account,
        stack_name=stack_name,
    )
    project = open_project(path, options)
    source = project.machine(machine)
    compiled = StateMachine(
        source.definition,
        name=name or source.name,
        state_machine_type=state_machine_type or source.state_machine_type or "STANDARD",
    )
    return ProjectStateMachine(compiled, source, tuple(project.functions()), region, account)


def run_project(path: str, execution_input: JSON = None, **options: Any) -> ExecutionResult:
    """Load a project's state machine and run it once; ``options`` are those of
    :func:`load_state_machine` and of :meth:`interpreter.StateMachine.run`."""
    load_keys = (
        "machine",
        "substitutions",
        "parameters",
        "region",
        "account",
        "stack_name",
        "state_machine_type",
        "name",
    )
    loaded = load_state_machine(
        path, **{key: options.pop(key) for key in load_keys if key in options}
    )
    return loaded.run(execution_input, **options)
