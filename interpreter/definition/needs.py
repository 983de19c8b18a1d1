"""What a definition's states need from outside the engine, read from the definition alone.

:func:`needs_of` lists every Task state (in Parallel branches and Map processors too) with its
parsed resource and, where the definition names it, the thing the Task calls: the Lambda
function (its name, from the ARN or from ``FunctionName``), the activity, the child state machine
(``StateMachineArn`` of ``states:startExecution`` and ``aws-sdk:sfn:startExecution``). A target
that is computed at run time (``"FunctionName.$"``, a JSONata ``{% ... %}`` expression) is
marked ``dynamic``. A Distributed Map's ``ItemReader`` and ``ResultWriter`` are listed too: they
read from and write to S3.

Whoever composes a run decides from this what would serve each state
(:mod:`interpreter.runtime.coverage`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from interpreter.arns import function_name_of
from interpreter.definition.resources import TaskResource, parse_task_resource

#: ``task``: a Task state's resource; ``item_reader``/``result_writer``: a Map's S3 access.
NeedKind = Literal["task", "item_reader", "result_writer"]

_TARGET_MEMBERS: Final = {"lambda": "FunctionName", "states": "StateMachineArn"}
#: A Map's fields that call S3, and the need each is.
_MAP_IO: Final[tuple[tuple[str, NeedKind], ...]] = (
    ("ItemReader", "item_reader"),
    ("ResultWriter", "result_writer"),
)


@dataclass(frozen=True, slots=True)
class Need:
    """One state's call to the world outside the engine."""

    kind: NeedKind
    #: The state's name, and where it is (``/States/Fan/Branches[0]/States/Charge``).
    state: str
    location: str
    #: The parsed ``Resource`` (a Task's, or the Map reader's or writer's); None if AWS would not
    #: recognise it (the validator reports that).
    resource: TaskResource | None
    #: The Lambda function's name, the activity's name or the child state machine's ARN the
    #: state names; None when it names none or computes it (``dynamic``).
    target: str | None = None
    #: The target is computed at run time from the state's input or context.
    dynamic: bool = False


def needs_of(definition: Mapping[str, Any]) -> list[Need]:
    """Every need of a (valid, parsed) definition, in document order."""
    jsonata = definition.get("QueryLanguage") == "JSONata"
    return list(_scope(definition, "", jsonata))


def _scope(scope: Mapping[str, Any], location: str, jsonata: bool) -> Iterator[Need]:
    states = scope.get("States")
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        where = f"{location}/States/{name}"
        state_jsonata = _is_jsonata(state, jsonata)
        kind = state.get("Type")
        if kind == "Task":
            yield _task(str(name), where, state, state_jsonata)
        elif kind == "Parallel":
            for index, branch in enumerate(state.get("Branches") or ()):
                if isinstance(branch, Mapping):
                    yield from _scope(branch, f"{where}/Branches[{index}]", jsonata)
        elif kind == "Map":
            yield from _map(str(name), where, state, jsonata)


def _is_jsonata(state: Mapping[str, Any], inherited: bool) -> bool:
    language = state.get("QueryLanguage")
    return inherited if language is None else language == "JSONata"


def _map(name: str, where: str, state: Mapping[str, Any], jsonata: bool) -> Iterator[Need]:
    for field, kind in _MAP_IO:
        spec = state.get(field)
        if isinstance(spec, Mapping) and isinstance(spec.get("Resource"), str):
            resource = parse_task_resource(spec["Resource"])
            yield Need(kind, name, f"{where}/{field}", resource)
    processor = state.get("ItemProcessor", state.get("Iterator"))
    if isinstance(processor, Mapping):
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        yield from _scope(processor, f"{where}/{key}", jsonata)


def _task(name: str, where: str, state: Mapping[str, Any], jsonata: bool) -> Need:
    arn = state.get("Resource")
    resource = parse_task_resource(arn) if isinstance(arn, str) else None
    if resource is None:
        return Need("task", name, where, None)
    if resource.kind == "lambda_function":
        return Need("task", name, where, resource, function_name_of(resource.arn))
    if resource.kind == "activity":
        return Need("task", name, where, resource, resource.arn.rsplit(":", 1)[1])
    member = _target_member(resource)
    if member is None:
        return Need("task", name, where, resource)
    target, dynamic = _parameter(state, member, jsonata)
    if target is not None and member == "FunctionName":
        target = function_name_of(target)
    return Need("task", name, where, resource, target, dynamic)


def _target_member(resource: TaskResource) -> str | None:
    """The parameter naming what the Task calls, for the integrations a local run can serve."""
    if resource.kind == "optimized" and resource.action in ("invoke", "startExecution"):
        return _TARGET_MEMBERS.get(str(resource.service))
    if resource.kind == "aws_sdk" and resource.service == "sfn":
        return "StateMachineArn" if resource.action == "startExecution" else None
    return None


def _parameter(state: Mapping[str, Any], member: str, jsonata: bool) -> tuple[str | None, bool]:
    """A parameter's value when the definition gives it as text, and whether it is computed."""
    field = "Arguments" if jsonata else "Parameters"
    parameters = state.get(field)
    if jsonata and _is_expression(parameters):
        return None, True
    if not isinstance(parameters, Mapping):
        return None, False
    if not jsonata and f"{member}.$" in parameters:
        return None, True
    value = parameters.get(member)
    if not isinstance(value, str):
        return None, value is not None
    if jsonata and _is_expression(value):
        return None, True
    return value, False


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")
