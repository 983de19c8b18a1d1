"""What every optimized integration here shares: an API call, its output, ``.sync`` polling.

An integration is a :class:`Service` (its boto3 name, how Step Functions names its errors) and
its :class:`Action` table: each action is one API operation (``batch:submitJob`` ->
``SubmitJob``), optionally with a request and a response adjustment where Step Functions'
connector differs from the API (EMR's ``addStep`` takes one ``Step``, not ``Steps``), and, for
``.sync``, a :class:`Poll`: the operation that describes the job, where its status is, which
statuses end it well or badly, how often Step Functions looks, and what the Task returns.

Outputs follow the SDK Step Functions uses for the service. Integrations built on the SDK for
Java v1 (Batch, ECS, Glue, SageMaker, EMR, CodeBuild, Athena) return the response with
``SdkHttpMetadata``/``SdkResponseMetadata`` and timestamps as epoch milliseconds (AWS's recorded
``ecs:runTask`` output has exactly that shape); the later ones return the response as the AWS SDK
integrations do (ISO 8601 timestamps, no metadata). Errors are ``<Prefix>.<Exception>`` — the
service's modelled exception, else its base one — with the cause worded by the same SDK.

``.sync``: the first call's response is the ``TaskSubmitted`` output; the job is described until
it ends, pausing between looks with the invoker's ``wait`` (on a virtual clock that takes no real
time, and the pauses count as the task's simulated duration). A job that ends well returns
what the poll says (the description, by default); one that ends badly fails the task with
``States.TaskFailed`` and the description as JSON text in the cause.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.model import OperationModel, Shape, StructureShape

from interpreter.adapters import aws_shapes as shapes
from interpreter.adapters.aws_calls import (
    ServiceCaller,
    ServiceError,
    missing_member_error,
    region_of,
    register_integration,
    response_metadata,
    service_model,
)
from interpreter.core.history import to_json_text
from interpreter.definition.resources import SYNC, TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome

#: A Task without TimeoutSeconds times out after 99,999,999 seconds (AWS's default).
DEFAULT_TASK_TIMEOUT_SECONDS: Final = 99_999_999.0
#: Looks at one job before polling gives up as if the Task's timeout had passed (a job that
#: never ends — an emulator that never moves it on — must not keep a virtual clock spinning).
MAX_POLLS: Final = 10_000

#: Request adjustment: the Task's parameters -> the API operation's, both as the Task writes them
#: (PascalCase); may call the service (ServiceError).
RequestAdjustment = Callable[["Call", dict[str, Any]], dict[str, Any]]
#: Response adjustment: (call, API parameters, converted output) -> the Task's output.
ResponseAdjustment = Callable[["Call", dict[str, Any], dict[str, JSON]], dict[str, JSON]]


@dataclass(frozen=True, slots=True)
class Poll:
    """How Step Functions waits for a ``.sync`` job."""

    #: The operation that describes the job (``DescribeJobs``).
    operation: str
    #: Its arguments, from the submitting call's output (PascalCase) and the Task's parameters.
    arguments: Callable[[Mapping[str, JSON], Mapping[str, Any]], dict[str, Any]]
    #: The job's status in the (converted) description; None while the job cannot be seen.
    status: Callable[[Mapping[str, JSON]], JSON]
    succeeded: frozenset[str]
    failed: frozenset[str]
    #: The task's output from the description and the submitting call's output (default: the
    #: description).
    output: Callable[[Mapping[str, JSON], Mapping[str, JSON]], JSON] | None = None
    #: Seconds between looks, by seconds waited so far.
    interval: Callable[[float], float] = lambda waited: 5.0
    #: A describe error with this code ends the job well (a deleted resource is gone).
    gone_code: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an optimized integration."""

    operation: str
    #: The integration patterns AWS offers for it: "", ".sync", ".waitForTaskToken".
    patterns: frozenset[str] = frozenset({""})
    request: RequestAdjustment | None = None
    response: ResponseAdjustment | None = None
    poll: Poll | None = None
    #: The boto3 service when it is not the integration's (Bedrock's invokeModel).
    boto_service: str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    """One optimized integration: ``arn:aws:states:::<resource_type>:<action>``."""

    resource_type: str
    boto_service: str
    naming: shapes.ErrorNaming
    #: The service's name in causes (``AWSBatch``).
    label: str
    #: Built on the SDK for Java v1: response metadata and epoch-millisecond timestamps.
    java_v1: bool
    actions: Mapping[str, Action] = field(default_factory=dict)


@dataclass(slots=True)
class Call:
    """One Task's call of an integration: the API, pacing, and the time it took."""

    invoker: ServiceCaller
    service: Service
    resource: TaskResource
    now_ms: int
    role_arn: str | None
    #: Seconds spent waiting between polls (the task's duration on a virtual clock).
    waited: float = 0.0
    #: What a request adjustment leaves for the response adjustment of the same call.
    notes: dict[str, Any] = field(default_factory=dict)
    #: The Task's TimeoutSeconds (AWS's default when it has none): polling stops there.
    timeout_seconds: float = DEFAULT_TASK_TIMEOUT_SECONDS

    def operation(self, name: str, boto_service: str | None = None) -> OperationModel:
        """An operation's model."""
        return service_model(boto_service or self.service.boto_service).operation_model(name)

    def api(
        self,
        operation: OperationModel,
        arguments: Mapping[str, Any],
        boto_service: str | None = None,
    ) -> dict[str, Any]:
        """Call an operation through the invoker; failures raise ServiceError."""
        missing = shapes.missing_required(operation, arguments)
        if missing:
            raise missing_member_error(operation.service_model, missing)
        response: dict[str, Any] = self.invoker.call(
            boto_service or self.service.boto_service,
            operation,
            arguments,
            region=region_of(self.resource),
            now_ms=self.now_ms,
            role_arn=self.role_arn,
        )
        return response

    def output(
        self, operation: OperationModel, response: Mapping[str, Any], *, metadata: bool
    ) -> dict[str, JSON]:
        """A response as this integration returns it (``metadata``: a Request Response
        output of a Java v1 integration)."""
        converted = shapes.from_boto_response(operation, response)
        if not self.service.java_v1:
            return converted
        millis: dict[str, JSON] = _epoch_millis(operation.output_shape, converted)
        if metadata:
            millis.update(response_metadata(response))
        return millis

    def wait(self, seconds: float) -> None:
        """Pause between two looks at a job."""
        self.invoker.wait(seconds)
        self.waited += seconds

    def failure(self, problem: ServiceError, operation: OperationModel) -> TaskOutcome:
        """The Task's failure for a service error."""
        service = self.service
        error = service.naming.error(operation.service_model, problem.shape_code)
        if service.java_v1:
            cause = (
                f"{problem.message} (Service: {service.label}; Status Code: {problem.status}; "
                f"Error Code: {problem.code}; Request ID: {problem.request_id}; Proxy: null)"
            )
        else:
            cause = (
                f"{problem.message} (Service: {service.label}, Status Code: {problem.status}, "
                f"Request ID: {problem.request_id})"
            )
        return TaskOutcome(False, error=error, cause=cause, duration_seconds=self.waited)


def _epoch_millis(shape: Shape | None, value: JSON) -> JSON:
    """Timestamps (ISO text after conversion) as epoch milliseconds, the SDK for Java v1's
    ``Date``, wherever the output shape has a timestamp."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return round(moment.timestamp() * 1000)
    if kind == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        members = {shapes.pascal(name): member for name, member in shape.members.items()}
        return {key: _epoch_millis(members.get(key), item) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        member = shape.member  # type: ignore[attr-defined]
        return [_epoch_millis(member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        value_shape = shape.value  # type: ignore[attr-defined]
        return {key: _epoch_millis(value_shape, item) for key, item in value.items()}
    return value


# ------------------------------------------------------------------ running an action


def handler_for(service: Service) -> Callable[..., TaskOutcome | None]:
    """The function ``aws_services`` calls for this integration's Tasks."""

    def handle(
        invoker: ServiceCaller,
        resource: TaskResource,
        command: Mapping[str, Any],
        now_ms: int,
        role_arn: str | None,
    ) -> TaskOutcome | None:
        action = service.actions.get(str(resource.action))
        # An action lists the suffixes it takes: "", ".sync" (both versions), ".waitForTaskToken".
        pattern = ".sync" if resource.pattern == SYNC else resource.suffix
        if action is None or pattern not in action.patterns:
            return None
        call = Call(invoker, service, resource, now_ms, role_arn)
        timeout = command.get("timeout_seconds")
        if isinstance(timeout, (int, float)) and timeout > 0:
            call.timeout_seconds = float(timeout)
        return run_action(call, action, command.get("input"))

    return handle


def register(service: Service) -> None:
    """Register an integration with the boto3 invoker."""
    register_integration(service.resource_type, handler_for(service))


def run_action(call: Call, action: Action, parameters: JSON) -> TaskOutcome:
    """Run one action in its pattern (see the module docstring)."""
    operation = call.operation(action.operation, action.boto_service)
    try:
        if action.request is not None:
            parameters = action.request(
                call, dict(parameters if isinstance(parameters, dict) else {})
            )
        arguments = shapes.to_boto_parameters(operation, parameters)
        response = call.api(operation, arguments, action.boto_service)
    except ServiceError as problem:
        return call.failure(problem, operation)
    output = call.output(operation, response, metadata=True)
    if action.response is not None:
        output = action.response(call, arguments, output)
    if call.resource.waits_for_task_token:
        return TaskOutcome(True, submitted_output=output, awaiting_callback=True)
    if call.resource.pattern == SYNC and action.poll is not None:
        return await_job(call, action.poll, output, arguments)
    return TaskOutcome(True, output=output)


def await_job(
    call: Call, poll: Poll, submitted: dict[str, JSON], arguments: Mapping[str, Any]
) -> TaskOutcome:
    """Describe the job until it ends (see the module docstring)."""
    operation = call.operation(poll.operation)
    describe = poll.arguments(submitted, arguments)
    for _ in range(MAX_POLLS):
        if call.waited >= call.timeout_seconds:
            break
        try:
            response = call.api(operation, describe)
        except ServiceError as problem:
            if poll.gone_code is not None and problem.code == poll.gone_code:
                return TaskOutcome(
                    True, output=submitted, submitted_output=submitted, duration_seconds=call.waited
                )
            failed = call.failure(problem, operation)
            return TaskOutcome(
                False,
                error=failed.error,
                cause=failed.cause,
                submitted_output=submitted,
                duration_seconds=call.waited,
            )
        described = call.output(operation, response, metadata=False)
        status = poll.status(described)
        if status in poll.succeeded:
            output = poll.output(described, submitted) if poll.output is not None else described
            return TaskOutcome(
                True, output=output, submitted_output=submitted, duration_seconds=call.waited
            )
        if status in poll.failed:
            details = poll.output(described, submitted) if poll.output is not None else described
            return TaskOutcome(
                False,
                error="States.TaskFailed",
                cause=to_json_text(details),
                submitted_output=submitted,
                duration_seconds=call.waited,
            )
        call.wait(poll.interval(call.waited))
    return timed_out(call, submitted)


def timed_out(call: Call, submitted: JSON) -> TaskOutcome:
    """The job did not end within the Task's timeout: the task times out then."""
    return TaskOutcome(
        False,
        error="States.Timeout",
        cause=f"The job did not end within {call.timeout_seconds:.0f} seconds.",
        submitted_output=submitted,
        duration_seconds=max(call.waited, call.timeout_seconds),
    )


# ------------------------------------------------------------------ small helpers for tables


def dig(document: Mapping[str, JSON], *path: str | int) -> JSON:
    """``document[path[0]][path[1]]...``, None where the path does not lead."""
    value: Any = document
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    result: JSON = value
    return result


def patterns(*names: str) -> frozenset[str]:
    """A pattern set: ``patterns("", ".sync")``."""
    return frozenset(names)


RR: Final = patterns("")
RR_SYNC: Final = patterns("", ".sync")
RR_TOKEN: Final = patterns("", ".waitForTaskToken")
ALL: Final = patterns("", ".sync", ".waitForTaskToken")


def every(seconds: float) -> Callable[[float], float]:
    """A constant polling interval."""
    return lambda waited: seconds
