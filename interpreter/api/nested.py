"""Step Functions as Task states of this deployment see it: their child executions run here.

A ``states:startExecution`` Task (or ``aws-sdk:sfn:*``) whose state machine was created in this
deployment starts its child here — in ``asl serve``, ``asl serve --serverless`` and on AWS
alike — instead of calling AWS Step Functions: :class:`DeploymentStepFunctions` is the
in-process backend of :class:`~interpreter.adapters.local_sfn.StepFunctionsTasks` for them.
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

from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.local_sfn import StepFunctionsTasks
from interpreter.api.errors import StepFunctionsError
from interpreter.api.versions import split_arn

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

    def __init__(self, service: Callable[[], StepFunctionsService]) -> None:
        self._service = service

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
                return service.start_child_execution(
                    str(arguments.get("stateMachineArn")),
                    arguments.get("name"),
                    arguments.get("input"),
                    parent,
                )
            return service.call(operation, dict(arguments))
        except StepFunctionsError as problem:
            raise ServiceError(problem.code, problem.message) from None


def deployment_states_invoker(
    service: Callable[[], StepFunctionsService],
) -> StepFunctionsTasks:
    """The invoker that runs a deployment's Step Functions Tasks on the deployment itself
    (those it holds; the others are the next invoker's)."""
    return StepFunctionsTasks(DeploymentStepFunctions(service))
