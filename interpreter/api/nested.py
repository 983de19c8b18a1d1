"""Step Functions as Task states of this deployment see it: their child executions run here.

A ``states:startExecution`` Task (or ``aws-sdk:sfn:*``) whose state machine was created in this
deployment starts its child here — in ``asl serve``, ``asl serve --serverless`` and on AWS
alike — instead of calling AWS Step Functions: :class:`DeploymentStepFunctions` is the
in-process backend of :class:`~interpreter.adapters.aws_services.Boto3ServiceInvoker` for them.
A ``.sync`` child tells its parent's task when it ends (the runtime delivers its
DescribeExecution); it is not polled, so a child that waits (a Wait state, a callback) holds no
worker, and a virtual clock moves on for it as for any execution. Calls about state machines
and executions this deployment does not hold go to AWS as before.

:func:`deployment_states_invoker` is the task invoker the composition puts in every durable
deployment's chain: it serves those Tasks and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from interpreter.adapters.assumed_roles import RoleAssumptionError
from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.local_sfn import no_clients, served_by
from interpreter.api.authorization import Caller
from interpreter.api.errors import StepFunctionsError
from interpreter.api.versions import split_arn
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import TaskResource
from interpreter.runtime.ports import TaskOutcome

if TYPE_CHECKING:
    from interpreter.api.service import StepFunctionsService

#: The API operations Task states call, and the request member naming what they act on.
_TARGETS = {
    "StartExecution": "stateMachineArn",
    "StartSyncExecution": "stateMachineArn",
    "DescribeExecution": "executionArn",
    "StopExecution": "executionArn",
    "DescribeStateMachine": "stateMachineArn",
    "DescribeStateMachineForExecution": "executionArn",
    "GetExecutionHistory": "executionArn",
    "ListExecutions": "stateMachineArn",
    "SendTaskSuccess": "taskToken",
    "SendTaskFailure": "taskToken",
    "SendTaskHeartbeat": "taskToken",
}


class DeploymentStepFunctions:
    """The Step Functions API of this deployment, for its own Task states (see the module doc).

    ``service`` gives the deployment's API (built on first use: a worker process that never
    starts a child never imports it).
    """

    notifies_parents = True

    def __init__(
        self, service: Callable[[], StepFunctionsService], caller: Caller | None = None
    ) -> None:
        self._service = service
        #: Who calls: the role the Task runs as (where the API authorizes its callers, a Task
        #: needs the permissions an outside caller would).
        self.caller = caller

    def acting_as(self, caller: Caller | None) -> DeploymentStepFunctions:
        """This backend for the calls of one Task, made as ``caller``."""
        return DeploymentStepFunctions(self._service, caller)

    def serves(self, operation: str, arguments: Mapping[str, Any]) -> bool:
        """Whether the call is about a state machine, an execution or a task token this
        deployment holds."""
        member = _TARGETS.get(operation)
        target = arguments.get(member) if member is not None else None
        if not isinstance(target, str):
            return False
        store = self._service().store
        if member == "stateMachineArn":
            return store.get_state_machine(split_arn(target)[0]) is not None
        if member == "executionArn":
            return store.get_execution(target) is not None
        return store.task_token(target) is not None

    def call(
        self,
        operation: str,
        arguments: Mapping[str, Any],
        *,
        now_ms: int,
        role_arn: str | None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Serve one operation with the API's own rules; its refusals come back as the
        service errors AWS would send."""
        service = self._service()
        try:
            if operation == "StartExecution":
                service.authorize(operation, arguments, self.caller)
                return service.start_child_execution(
                    str(arguments.get("stateMachineArn")),
                    arguments.get("name"),
                    arguments.get("input"),
                    parent,
                )
            return service.call(operation, dict(arguments), self.caller)
        except StepFunctionsError as problem:
            raise ServiceError(problem.code, problem.message) from None


class DeploymentStatesInvoker:
    """A task invoker for ``states:*`` and ``aws-sdk:sfn:*`` Tasks whose state machine (or
    execution, or token) this deployment holds; every other Task is the next invoker's."""

    def __init__(
        self,
        backend: DeploymentStepFunctions,
        assume: Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        self.backend = backend
        #: Assumes a Task's role chain (RoleAssumptionError if it cannot be), where the
        #: deployment runs Tasks as their roles.
        self.assume = assume

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of a Step Functions Task on this deployment, or None."""
        if not served_by(self.backend, resource, command):
            return None
        if self.assume is not None:
            refusal = self._unassumable(command, self.assume)
            if refusal is not None:
                return refusal
        backend = self.backend.acting_as(_caller_of(command))
        invoker = Boto3ServiceInvoker(no_clients, step_functions=backend, callbacks=True)
        return invoker.invoke(resource, command, now_ms)

    @staticmethod
    def _unassumable(
        command: InvokeTask, assume: Callable[[tuple[str, ...]], None]
    ) -> TaskOutcome | None:
        """The Task's failure when the roles it runs as cannot be assumed (no call is made as
        a role the Task could not become on AWS); None when they can."""
        execution_role = command.get("execution_role")
        if not isinstance(execution_role, str):
            return None  # no caller: the API refuses it
        credentials = command.get("credentials")
        task_role = credentials.get("RoleArn") if isinstance(credentials, Mapping) else None
        chain = (execution_role,) if not isinstance(task_role, str) else (execution_role, task_role)
        try:
            assume(chain)
        except RoleAssumptionError as problem:
            return TaskOutcome(False, error="States.TaskFailed", cause=str(problem))
        return None


def deployment_states_invoker(
    service: Callable[[], StepFunctionsService],
    *,
    assume: Callable[[tuple[str, ...]], None] | None = None,
) -> DeploymentStatesInvoker:
    """The invoker that runs a deployment's Step Functions Tasks on the deployment itself
    (``assume``: see :class:`DeploymentStatesInvoker`)."""
    return DeploymentStatesInvoker(DeploymentStepFunctions(service), assume)


def _caller_of(command: InvokeTask) -> Caller | None:
    """The role a Task runs as: its Credentials role, else its execution's role."""
    credentials = command.get("credentials")
    role = credentials.get("RoleArn") if isinstance(credentials, Mapping) else None
    if not isinstance(role, str):
        role = command.get("execution_role")
    return Caller.of_role(role) if isinstance(role, str) else None
