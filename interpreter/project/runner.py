"""Run a project's state machine from Python: a definition file or a template, with its functions.

Example::

    from interpreter.project.runner import load_state_machine, run_project

    result = run_project("template.yaml", {"orderId": "o-1"})   # its only machine, its functions
    orders = load_state_machine("template.yaml", machine="OrderStateMachine")
    result = orders.run({"orderId": "o-1"}, lambdas={"ChargePaymentFunction": fake_charge})

A template's Python functions serve the Tasks that call them (see
:mod:`interpreter.project.functions`); ``lambdas`` replace them by logical id or local name. A
template's other state machines are known to the run: a ``states:startExecution`` Task on one of
them runs the child in-process (``machines=`` adds or replaces some, by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from interpreter.json_types import JSON
from interpreter.machine import InvalidDefinitionError, StateMachine
from interpreter.project.errors import ProjectError
from interpreter.project.functions import FunctionSpec, local_handlers
from interpreter.project.loader import LoadOptions, MachineSource, Project, open_project
from interpreter.runtime.local import ExecutionResult


@dataclass(frozen=True, slots=True)
class ProjectStateMachine:
    """A project's state machine, compiled, with the template's functions to serve its Tasks."""

    machine: StateMachine
    source: MachineSource
    functions: tuple[FunctionSpec, ...]
    region: str
    account: str
    #: The template's other state machines, by name (children its Tasks may start).
    machines: Mapping[str, StateMachine] = field(default_factory=dict)
    #: Why some of the template's state machines cannot run, by name (or logical id).
    machine_errors: Mapping[str, str] = field(default_factory=dict)

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
        if self.machines:
            options["machines"] = {**self.machines, **(options.get("machines") or {})}
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
    others, errors = template_machines(project, exclude=source.logical_id)
    return ProjectStateMachine(
        compiled, source, tuple(project.functions()), region, account, others, errors
    )


def template_machines(
    project: Project, *, exclude: str | None = None
) -> tuple[dict[str, StateMachine], dict[str, str]]:
    """A template's state machines (but ``exclude``, a logical id), compiled, by name; and why
    those that cannot run cannot, by name (or logical id). Empty for a definition file."""
    machines: dict[str, StateMachine] = {}
    errors: dict[str, str] = {}
    if project.template is None:
        return machines, errors
    for label, loaded in project.machines():
        logical_id = label.rpartition("#")[2]
        if logical_id == exclude:
            continue
        if isinstance(loaded, ProjectError):
            errors[logical_id] = str(loaded)
            continue
        try:
            machines[loaded.name] = compile_source(loaded)
        except InvalidDefinitionError as problem:
            errors[loaded.name] = f"{loaded.label}: InvalidDefinition: {problem.message}"
    return machines, errors


def compile_source(source: MachineSource, name: str | None = None) -> StateMachine:
    """A loaded definition, validated and compiled (raises InvalidDefinitionError)."""
    return StateMachine(
        source.definition,
        name=name or source.name,
        state_machine_type=source.state_machine_type or "STANDARD",
    )


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
