"""Which states nothing would serve, before anything runs: local limits are refusals, not failures.

A Task whose resource nothing serves would fail at run time with ``States.TaskFailed`` — which a
``Catch: States.ALL`` swallows, so the run "succeeds" down its failure branch. Instead, ``asl
run`` refuses to start and names every such state with the option that would serve it, and
``asl serve`` warns when such a state machine is created (its endpoint may get handlers later).

:func:`unserved` decides it from the definition alone (:func:`interpreter.definition.needs.
needs_of`) and an :class:`Offer` — what the composition serves Tasks with. A state is served when
the test case mocks it, or else, by what it calls:

==============================  ===========================================================
Lambda function (ARN, or        a local handler for the function (a dynamic ``FunctionName``:
``lambda:invoke``)              any local handler), or AWS
activity                        an in-process worker for it, or (``asl serve``) the endpoint's
                                activity tasks, which any worker may poll
``states:startExecution``,      a state machine known locally with that ARN (a dynamic ARN:
``aws-sdk:sfn:startExecution``  any known one), or AWS
``aws-sdk:sfn:sendTask*``       always: the local Step Functions answers (a token no task
                                waits on is ``InvalidToken``), or AWS
other ``aws-sdk:sfn:*``         AWS (``asl serve``: also its own state machines)
any other integration           AWS (a Map's ``ItemReader``/``ResultWriter``: S3)
==============================  ===========================================================

and a ``.waitForTaskToken`` Task also needs its token to come back: in ``asl run`` only a child
execution it starts here can send it (so a callback integration on AWS, or a Lambda handler, is
never answered); ``asl serve`` takes SendTaskSuccess from anyone. The child state machines a run
knows are checked too (those its states can start), each with the test case its
``StateMachineArn`` names (``<arn>#<TestCase>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from interpreter.definition.needs import Need, needs_of
from interpreter.definition.resources import TaskResource

#: Step Functions actions the in-process Step Functions of ``asl run`` serves.
_LOCAL_SFN_ACTIONS: Final = frozenset(
    {"startExecution", "describeExecution", "sendTaskSuccess", "sendTaskFailure"}
    | {"sendTaskHeartbeat"}
)
_CALLBACK_ACTIONS: Final = frozenset({"sendTaskSuccess", "sendTaskFailure", "sendTaskHeartbeat"})


@dataclass(frozen=True, slots=True)
class Offer:
    """What a composition serves Tasks with (see the module doc)."""

    #: ``run`` (``asl run``, the Python API) or ``serve`` (``asl serve``): which options help.
    where: Literal["run", "serve"] = "run"
    #: Function names with a local handler.
    lambdas: frozenset[str] = frozenset()
    #: Activity names with an in-process worker.
    activities: frozenset[str] = frozenset()
    #: Activity tasks wait for workers that poll the endpoint (``asl serve``).
    activity_broker: bool = False
    #: The states the chosen mock test case mocks (of the state machine checked first).
    mocked: frozenset[str] = frozenset()
    #: Tasks no local part serves go to AWS (``--aws``, ``--endpoint-url``).
    aws: bool = False
    #: The state machines known locally: ARN -> parsed definition (None: not checked here).
    machines: Mapping[str, Any] = field(default_factory=dict)
    #: Each mock test case's mocked states, by (state machine name, test case).
    test_cases: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    #: SendTaskSuccess from outside reaches a waiting task (``asl serve``).
    callbacks: bool = False
    #: The definition came from a SAM/CloudFormation template (its functions are known).
    template: bool = False


@dataclass(frozen=True, slots=True)
class Unserved:
    """A state nothing would serve, and what would."""

    #: The state machine (None: the one checked) and the state.
    machine: str | None
    state: str
    #: What it calls: ``Lambda function ChargeCard``, ``sns:publish``...
    calls: str
    #: The options that would serve it, in the order to try them.
    options: tuple[str, ...]

    def describe(self) -> str:
        """One line: the state, what it calls, and the options."""
        where = f"{self.state} (in {self.machine})" if self.machine else self.state
        return f"{where} calls {self.calls}: {_either(self.options)}"


def unserved(
    definition: Mapping[str, Any], offer: Offer, *, arn: str | None = None
) -> list[Unserved]:
    """Every state of ``definition`` (the state machine ``arn``) — and of the known state
    machines it may start — that nothing in ``offer`` would serve, in document order."""
    found: list[Unserved] = []
    checked: set[tuple[str, str | None]] = set()
    if arn is not None and not offer.mocked:
        checked.add((arn, None))  # starting itself unmocked: the same states again
    pending: list[tuple[str | None, Mapping[str, Any], frozenset[str]]] = [
        (None, definition, offer.mocked)
    ]
    while pending:
        machine, document, mocked = pending.pop(0)
        for need in needs_of(document):
            problem = _check(need, offer, mocked)
            if problem is not None:
                found.append(Unserved(machine, need.state, problem[0], problem[1]))
            for arn, case in _children(need, offer):
                if (arn, case) not in checked and offer.machines.get(arn) is not None:
                    checked.add((arn, case))
                    name = arn.rsplit(":", 1)[1]
                    child_mocked = offer.test_cases.get((name, case or ""), frozenset())
                    pending.append((name, offer.machines[arn], child_mocked))
    return found


def _children(need: Need, offer: Offer) -> list[tuple[str, str | None]]:
    """The known state machines (ARN, test case) a state may start."""
    resource = need.resource
    if resource is None or _sfn_action(resource) != "startExecution":
        return []
    if need.dynamic:
        return [(arn, None) for arn in offer.machines]
    if need.target is None:
        return []
    arn, _, case = need.target.partition("#")
    return [(_unqualified(arn), case or None)]


def _check(need: Need, offer: Offer, mocked: frozenset[str]) -> tuple[str, tuple[str, ...]] | None:
    """What the state calls and the options that would serve it; None when it is served."""
    resource = need.resource
    if resource is None or (need.kind == "task" and need.state in mocked):
        return None
    if need.kind != "task":
        if offer.aws:
            return None
        what = "its items" if need.kind == "item_reader" else "its results"
        return f"S3 for {what} ({need.location.rsplit('/', 1)[1]})", (_AWS[offer.where],)
    if resource.kind == "activity":
        return _activity(need, offer)
    if resource.kind == "lambda_function" or (
        resource.kind == "optimized" and resource.service == "lambda"
    ):
        return _lambda(need, resource, offer)
    if _sfn_action(resource) is not None:
        return _step_functions(need, resource, offer)
    return _integration(resource, offer)


def _lambda(need: Need, resource: TaskResource, offer: Offer) -> tuple[str, tuple[str, ...]] | None:
    name = need.target
    calls = f"Lambda function {name}" if name else "a Lambda function its input names"
    if resource.waits_for_task_token and not offer.callbacks:
        return f"{calls} with .waitForTaskToken", _no_way_back(offer)
    if offer.aws or _has_handler(need, offer):
        return None
    options = [f"--lambda {name or 'NAME'}=FILE.py:FUNCTION", _MOCK[offer.where], _AWS[offer.where]]
    if offer.where == "run" and not offer.template:
        options.append("the SAM template that defines it")
    return calls, tuple(options)


def _has_handler(need: Need, offer: Offer) -> bool:
    """Whether a local handler serves the function (any, for a computed name; a missing name
    is the run's own error, not a missing handler)."""
    if need.target is not None:
        return need.target in offer.lambdas
    return bool(offer.lambdas) or not need.dynamic


def _activity(need: Need, offer: Offer) -> tuple[str, tuple[str, ...]] | None:
    if offer.activity_broker or need.target in offer.activities:
        return None
    calls = f"activity {need.target}"
    return calls, (f"--activity {need.target}=FILE.py:FUNCTION", _MOCK[offer.where])


def _step_functions(
    need: Need, resource: TaskResource, offer: Offer
) -> tuple[str, tuple[str, ...]] | None:
    action = _sfn_action(resource)
    if action in _CALLBACK_ACTIONS:
        return None
    if action != "startExecution":
        if offer.aws or (offer.where == "serve" and offer.machines):
            return None
        if offer.where == "run" and action in _LOCAL_SFN_ACTIONS and offer.machines:
            return None
        return f"{resource.resource_type}:{resource.resource}", (_AWS[offer.where],)
    if need.target is None and not need.dynamic:
        return None  # no StateMachineArn: the call's own error at run time, not a gap
    known = bool(offer.machines) if need.dynamic else _known(need.target, offer)
    name = _machine_name(need.target)
    calls = f"{resource.resource_type}:{resource.resource} of {name or 'a state machine'}"
    if resource.waits_for_task_token and not offer.callbacks:
        if known:
            return None  # the child sends the token back here
        return calls, (_MACHINE[offer.where].format(name=name or "NAME"), _MOCK[offer.where])
    if known or offer.aws:
        return None
    options = [_MACHINE[offer.where].format(name=name or "NAME"), _MOCK[offer.where]]
    options.append(_AWS[offer.where])
    return calls, tuple(options)


def _integration(resource: TaskResource, offer: Offer) -> tuple[str, tuple[str, ...]] | None:
    calls = f"{resource.resource_type}:{resource.resource}"
    if resource.waits_for_task_token and not offer.callbacks:
        return calls, _no_way_back(offer)
    if offer.aws:
        return None
    return calls, (_AWS[offer.where], _MOCK[offer.where])


def _no_way_back(offer: Offer) -> tuple[str, ...]:
    """Options for a callback task whose token nothing in this run can send back."""
    return (_MOCK[offer.where], "asl serve, where SendTaskSuccess can reach it")


def _known(target: str | None, offer: Offer) -> bool:
    return target is not None and _unqualified(target.partition("#")[0]) in offer.machines


def _machine_name(target: str | None) -> str | None:
    if target is None:
        return None
    parts = target.partition("#")[0].split(":")
    return parts[6] if len(parts) >= 7 else target


def _unqualified(arn: str) -> str:
    """A state machine ARN without a version or alias qualifier."""
    return ":".join(arn.split(":")[:7])


def _sfn_action(resource: TaskResource) -> str | None:
    if resource.kind == "optimized" and resource.service == "states":
        return "startExecution"
    if resource.kind == "aws_sdk" and resource.service == "sfn":
        return resource.action
    return None


def _either(options: tuple[str, ...]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + f" or {options[-1]}"


_AWS: Final = {
    "run": "--aws (or --endpoint-url) to call AWS",
    "serve": "--aws (or --endpoint-url)",
}
_MOCK: Final = {
    "run": "a mock in --mock-config's --test-case",
    "serve": "a mock in --mock-config (StartExecution on <arn>#<TestCase>)",
}
_MACHINE: Final = {
    "run": "--machine {name}=FILE",
    "serve": "creating {name} on this endpoint (CreateStateMachine, or --definition)",
}
