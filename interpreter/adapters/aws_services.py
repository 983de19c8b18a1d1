"""Task states that call AWS services: the optimized integrations and ``aws-sdk:*``, via boto3.

:class:`Boto3ServiceInvoker` is a :class:`~interpreter.runtime.local.TaskInvoker`: it runs a
Task's ``Resource`` against AWS (or moto) and returns what Step Functions reports. Two families,
with different conventions because AWS implements them with different SDKs:

* **Optimized integrations** (``arn:aws:states:::sqs:sendMessage``, ``sns:publish``,
  ``dynamodb:putItem``/``getItem``/``updateItem``/``deleteItem``, ``events:putEvents``,
  ``states:startExecution`` with ``.sync``/``.sync:2``, ``lambda:invoke`` and Lambda function
  ARNs for functions no local handler serves). The output is the API response with
  ``SdkHttpMetadata`` (headers, status) and ``SdkResponseMetadata`` (request id) added;
  ``events:putEvents`` returns the bare response and fails with ``EventBridge.FailedEntry``
  when any entry failed. Errors are ``SQS.AmazonSQSException``-style names (the service's
  modelled exception, or its base exception) with causes worded ``<message> (Service:
  AmazonSQS; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)``.
* **AWS SDK integrations** (``arn:aws:states:::aws-sdk:<service>:<action>``): any boto3
  operation; the action ``getObject`` is the operation ``GetObject``; parameters and response
  members are PascalCase; errors are ``S3.NoSuchKeyException``-style names with causes worded
  ``<message> (Service: S3, Status Code: 404, Request ID: <id>[, Extended Request ID: <id>])``.

Translation of parameters and responses is model-driven (:mod:`interpreter.adapters.aws_shapes`).
Where AWS rejects a request that lacks a required member, the invoker reports the service's
error without calling it (boto3 would refuse to send it at all).

Step Functions itself (``states:*``, ``aws-sdk:sfn:*``) may be served by an in-process backend
(:class:`StepFunctionsBackend`, e.g. :class:`interpreter.adapters.local_sfn.LocalStepFunctions`
running child executions on our own engine) instead of boto3.

``.waitForTaskToken`` resources are served only with ``callbacks=True``: the invoker sends the
request and returns a :class:`TaskOutcome` with ``awaiting_callback`` set, which the
driver must turn into a ``TaskSubmitted`` event and then wait for SendTaskSuccess/Failure.

With ``roles`` (:class:`~interpreter.adapters.assumed_roles.AssumedRoles`: the serverless
deployment) every call is made as the execution's role (the ``execution_role`` the durable
runtime gives each task command), and a Task's ``Credentials.RoleArn`` is assumed from that
role, as on AWS; a command with no execution role fails rather than run as the process's own
identity. Without ``roles`` (``asl run``/``asl serve --aws``) calls are made with the default
credentials, and a Task's ``Credentials`` role is assumed from them.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Protocol

import botocore.session
from botocore import xform_name
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ParamValidationError,
)
from botocore.model import OperationModel, ServiceModel

from interpreter.adapters import aws_shapes as shapes
from interpreter.adapters.assumed_roles import AssumedRoles, RoleAssumptionError
from interpreter.adapters.aws_calls import (
    ClientSideError,
    ServiceError,
    client_side_error,
    missing_member_error,
    region_of,
    registered_integration,
    response_metadata,
    service_model,
)
from interpreter.adapters.lambda_outcomes import (
    LambdaResponse,
    invoke_payload,
    lambda_function_outcome,
    lambda_invoke_outcome,
    submitted_only,
)
from interpreter.core.history import to_json_text
from interpreter.core.messages import InvokeTask
from interpreter.definition.resources import SYNC, TaskResource
from interpreter.json_types import JSON
from interpreter.limits import MAX_CAUSE_LENGTH
from interpreter.runtime.ports import TaskOutcome

# ------------------------------------------------------------------------------- ports


class ClientFactory(Protocol):
    """Makes the boto3 client for a service in a region (``role_arn``: the Task's Credentials)."""

    def __call__(self, service_name: str, region: str, role_arn: str | None = None) -> Any:
        """A boto3 client, e.g. ``boto3.client(service_name, region_name=region)``."""
        ...


def client_config(service_name: str) -> Any:
    """How long a task's call may take before it fails as the SDK's client-side error: a few
    seconds to connect, a few quick retries of what the SDK retries (throttling, 5xx, a reset
    connection), and for Lambda the longest invocation there is (15 minutes)."""
    from botocore.config import Config

    return Config(
        connect_timeout=5,
        read_timeout=905 if service_name == "lambda" else 65,
        retries={"mode": "standard", "max_attempts": 3},
    )


def default_client_factory(
    service_name: str, region: str, role_arn: str | None = None, endpoint_url: str | None = None
) -> Any:
    """boto3's default credentials; with ``role_arn``, the credentials of that assumed role;
    with ``endpoint_url``, every call goes there (a moto server, LocalStack)."""
    import boto3

    options: dict[str, Any] = {
        "region_name": region,
        "config": client_config(service_name),
        "endpoint_url": endpoint_url,
    }
    if role_arn is not None:
        sts = boto3.client("sts", region_name=region, endpoint_url=endpoint_url)
        session = "asl-interpreter"
        assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        options["aws_access_key_id"] = assumed["AccessKeyId"]
        options["aws_secret_access_key"] = assumed["SecretAccessKey"]
        options["aws_session_token"] = assumed["SessionToken"]
    # boto3's stubs overload client() per literal service name; ours is a variable.
    return boto3.client(service_name, **options)  # type: ignore[call-overload]


class StepFunctionsBackend(Protocol):
    """The Step Functions API served in-process (boto3's operation names and shapes).

    ``notifies_parents``: a ``.sync`` child started here tells its parent task when it ends
    (the task waits, as for a callback), instead of being polled.
    """

    notifies_parents: bool

    def serves(self, operation: str, arguments: Mapping[str, Any]) -> bool:
        """Whether this call is this backend's (a state machine or execution it holds); the
        others go to Step Functions through boto3."""
        ...

    def call(
        self,
        operation: str,
        arguments: Mapping[str, Any],
        *,
        now_ms: int,
        role_arn: str | None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run ``operation`` (``StartExecution``...) and return its response; ServiceError.
        ``parent`` names the ``.sync`` task a started child tells when it ends."""
        ...


# ------------------------------------------------------------------------------- naming

#: ``aws-sdk:<name>`` service names that differ from boto3's.
_SDK_SERVICE_NAMES: Final[Mapping[str, str]] = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "cognitoidentityprovider": "cognito-idp",
    "elasticloadbalancingv2": "elbv2",
    "apigatewayv2": "apigatewayv2",
}


@lru_cache(maxsize=1)
def _dashless_services() -> Mapping[str, str]:
    """boto3 service names by their name without dashes (``bedrockagent`` -> ``bedrock-agent``)."""
    names = botocore.session.get_session().get_available_services()
    return {name.replace("-", ""): name for name in names}


def _boto_service_named(label: str) -> str:
    """The boto3 service of an ``aws-sdk:<label>`` integration: Step Functions writes the SDK's
    service names in lower case without dashes (``emrserverless``, ``bedrockruntime``)."""
    return _dashless_services().get(label, label)


@dataclass(frozen=True, slots=True)
class _Optimized:
    """One optimized integration service: its boto3 name and how Step Functions reports it."""

    boto_service: str
    naming: shapes.ErrorNaming
    #: The service's name in error causes (the SDK for Java v1's).
    label: str
    actions: frozenset[str]


_OPTIMIZED: Final[Mapping[str, _Optimized]] = {
    "sqs": _Optimized(
        "sqs",
        shapes.ErrorNaming("SQS", "AmazonSQSException"),
        "AmazonSQS",
        frozenset({"sendMessage"}),
    ),
    "sns": _Optimized(
        "sns",
        shapes.ErrorNaming("SNS", "AmazonSNSException"),
        "AmazonSNS",
        frozenset({"publish"}),
    ),
    "dynamodb": _Optimized(
        "dynamodb",
        shapes.ErrorNaming("DynamoDB", "AmazonDynamoDBException"),
        "AmazonDynamoDBv2",
        frozenset({"getItem", "putItem", "updateItem", "deleteItem"}),
    ),
    "events": _Optimized(
        "events",
        shapes.ErrorNaming("EventBridge", "AmazonEventBridgeException"),
        "AmazonEventBridge",
        frozenset({"putEvents"}),
    ),
    "states": _Optimized(
        "stepfunctions",
        shapes.ErrorNaming("StepFunctions", "AWSStepFunctionsException"),
        "AWSStepFunctions",
        frozenset({"startExecution"}),
    ),
    "lambda": _Optimized(
        "lambda",
        shapes.ErrorNaming("Lambda", "AWSLambdaException"),
        "AWSLambda",
        frozenset({"invoke"}),
    ),
}

#: Why a Task fails where roles are assumed and its command names no execution role.
_NO_EXECUTION_ROLE: Final = (
    "The task has no execution role to run as: this deployment runs Tasks only with the "
    "credentials of their state machine's role"
)

#: Step Functions statuses of an execution that has ended.
_ENDED: Final = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def _failure(error: str, cause: str) -> TaskOutcome:
    return TaskOutcome(False, error=error, cause=cause)


#: Services whose every response carries an extended request id (``x-amz-id-2``), which the
#: SDK for Java puts in its error messages.
_EXTENDED_REQUEST_ID_SERVICES: Final = frozenset({"s3", "s3control"})


def _error_name(naming: shapes.ErrorNaming, model: ServiceModel, problem: ServiceError) -> str:
    if isinstance(problem, ClientSideError):
        return f"{naming.prefix}.{problem.code}"
    return naming.error(model, problem.shape_code)


def _sdk_cause(model: ServiceModel, problem: ServiceError) -> str:
    if isinstance(problem, ClientSideError):
        return problem.message
    detail = (
        f"Service: {shapes.sdk_service_name(model.service_id)}, Status Code: {problem.status}, "
        f"Request ID: {problem.request_id}"
    )
    extended = problem.extended_request_id
    if extended is None and model.service_name in _EXTENDED_REQUEST_ID_SERVICES:
        # An emulator may leave it out; AWS never does, so the cause keeps AWS's shape.
        extended = base64.b64encode(uuid.uuid4().bytes * 3).decode("ascii")
    if extended:
        detail += f", Extended Request ID: {extended}"
    return f"{problem.message} ({detail})"


def _optimized_cause(spec: _Optimized, problem: ServiceError) -> str:
    if isinstance(problem, ClientSideError):
        return problem.message
    return (
        f"{problem.message} (Service: {spec.label}; Status Code: {problem.status}; "
        f"Error Code: {problem.code}; Request ID: {problem.request_id}; Proxy: null)"
    )


def _epoch_millis(value: JSON) -> JSON:
    """An optimized integration's timestamp: epoch milliseconds (the SDK for Java v1's Date)."""
    if isinstance(value, str) and value.endswith("Z"):
        moment = datetime.datetime.fromisoformat(value[:-1] + "+00:00")
        return round(moment.timestamp() * 1000)
    return value


# ------------------------------------------------------------------------------- invoker


class Boto3ServiceInvoker:
    """Runs AWS service integrations through boto3 (see the module docstring).

    ``client_factory(service_name, region, role_arn=None)`` makes the clients (cached per
    service, region and role). ``step_functions`` serves ``states:*`` and ``aws-sdk:sfn:*`` in
    process instead of through boto3. ``callbacks`` enables ``.waitForTaskToken`` resources (the
    driver must handle :class:`TaskOutcome`). ``sleep`` and ``poll_seconds`` pace the
    polling of a ``.sync`` child execution that boto3 reports as still running.
    """

    def __init__(
        self,
        client_factory: ClientFactory | None = None,
        *,
        step_functions: StepFunctionsBackend | None = None,
        callbacks: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 5.0,
        roles: AssumedRoles | None = None,
    ) -> None:
        self.client_factory: ClientFactory = client_factory or default_client_factory
        self.step_functions = step_functions
        self.callbacks = callbacks
        self._sleep = sleep
        self._poll_seconds = poll_seconds
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        #: Where execution roles are assumed (None: calls use the default credentials).
        self.roles = roles
        self._acting_as: dict[str, Boto3ServiceInvoker] = {}
        self._acting_lock = threading.Lock()

    # -- the port

    def invoke(
        self, resource: TaskResource, command: InvokeTask, now_ms: int
    ) -> TaskOutcome | None:
        """The outcome of the Task ``command`` asks for; None for resources not served here."""
        if resource.waits_for_task_token and not self.callbacks:
            return None
        if self.roles is not None:
            return self._invoke_as_execution_role(resource, command, now_ms, self.roles)
        role_arn = _role_arn(command)
        if resource.kind == "lambda_function":
            return self._lambda(resource, command, now_ms, role_arn, function_arn=True)
        if resource.kind == "aws_sdk":
            return self._sdk(resource, command, now_ms, role_arn)
        if resource.kind != "optimized":
            return None
        spec = _OPTIMIZED.get(resource.resource_type)
        if spec is None or resource.action not in spec.actions:
            return _registered_integration(self, resource, command, now_ms, role_arn)
        if resource.service == "lambda":
            outcome = self._lambda(resource, command, now_ms, role_arn, function_arn=False)
            return submitted_only(resource, outcome)
        return self._optimized(spec, resource, command, now_ms, role_arn)

    def wait(self, seconds: float) -> None:
        """Pace the polling of a ``.sync`` job: this invoker's ``sleep`` (a virtual clock's
        invoker is given one that takes no time)."""
        self._sleep(seconds)

    # -- calls

    def read_items(
        self, reader: Mapping[str, Any], region: str, execution_role: str | None = None
    ) -> Any:
        """A Distributed Map's items from its ItemReader (a list, or an ItemReaderFailure), read
        as the execution's role when this invoker assumes roles."""
        from interpreter.adapters.item_reader import READER_FAILED, ItemReaderFailure, read_items

        try:
            s3 = self._s3_of(region, execution_role)
        except RoleAssumptionError as problem:
            return ItemReaderFailure(READER_FAILED, str(problem))
        return read_items(reader, s3)

    def write_results(
        self,
        writer: Mapping[str, Any],
        map_run_arn: str,
        results: Mapping[str, Any],
        region: str,
        execution_role: str | None = None,
    ) -> Any:
        """Export a Distributed Map's results with its ResultWriter (details, or a failure),
        as the execution's role when this invoker assumes roles."""
        from interpreter.adapters.item_reader import WRITER_FAILED, ItemReaderFailure, write_results

        try:
            s3 = self._s3_of(region, execution_role)
        except RoleAssumptionError as problem:
            return ItemReaderFailure(WRITER_FAILED, str(problem))
        return write_results(writer, s3, map_run_arn, results)

    def _s3_of(self, region: str, execution_role: str | None) -> Any:
        """The S3 client of a Map's reader or writer: the execution role's when roles are
        assumed (RoleAssumptionError when there is none, or it cannot be assumed)."""
        if self.roles is None:
            return self.client("s3", region)
        if execution_role is None:
            raise RoleAssumptionError("(none)", _NO_EXECUTION_ROLE)
        self.roles.ensure((execution_role,))
        return self._as(execution_role, self.roles).client("s3", region)

    # -- acting as the execution's role

    def _invoke_as_execution_role(
        self, resource: TaskResource, command: InvokeTask, now_ms: int, roles: AssumedRoles
    ) -> TaskOutcome | None:
        """Run the Task as its execution's role (and its Credentials role, assumed from it)."""
        execution_role = command.get("execution_role")
        if not isinstance(execution_role, str):
            return _failure("States.TaskFailed", _NO_EXECUTION_ROLE)
        task_role = _role_arn(command)
        chain = (execution_role,) if task_role is None else (execution_role, task_role)
        try:
            roles.ensure(chain)
        except RoleAssumptionError as problem:
            return _failure("States.TaskFailed", str(problem))
        return self._as(execution_role, roles).invoke(resource, command, now_ms)

    def _as(self, execution_role: str, roles: AssumedRoles) -> Boto3ServiceInvoker:
        """This invoker as seen by one execution role: its clients act as that role, or as a
        Task's Credentials role assumed from it (each its own client cache)."""
        with self._acting_lock:
            acting = self._acting_as.get(execution_role)
            if acting is None:

                def clients(service_name: str, region: str, role_arn: str | None = None) -> Any:
                    chain = (execution_role,) if role_arn is None else (execution_role, role_arn)
                    return roles.client(service_name, region, chain, client_config(service_name))

                acting = Boto3ServiceInvoker(
                    clients,
                    step_functions=self.step_functions,
                    callbacks=self.callbacks,
                    sleep=self._sleep,
                    poll_seconds=self._poll_seconds,
                )
                self._acting_as[execution_role] = acting
            return acting

    def credentials(self, region: str, role_arn: str | None = None) -> Any:
        """The credentials this invoker's calls are signed with (for requests it signs
        itself: API Gateway with IAM auth)."""
        return self.client("sts", region, role_arn)._get_credentials()

    def client(self, boto_service: str, region: str, role_arn: str | None = None) -> Any:
        """The (cached) boto3 client of a service, e.g. S3 for a Map's ItemReader."""
        key = (boto_service, region, role_arn)
        client = self._clients.get(key)
        if client is None:
            client = self.client_factory(boto_service, region, role_arn)
            self._clients[key] = client
        return client

    def call(
        self,
        boto_service: str,
        operation: OperationModel,
        arguments: Mapping[str, Any],
        *,
        region: str,
        now_ms: int,
        role_arn: str | None = None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call one operation; every failure comes out as :class:`ServiceError`. ``parent``
        goes with a ``.sync`` StartExecution an in-process Step Functions serves."""
        backend = self.step_functions
        if (
            boto_service == "stepfunctions"
            and backend is not None
            and backend.serves(operation.name, arguments)
        ):
            return backend.call(
                operation.name, arguments, now_ms=now_ms, role_arn=role_arn, parent=parent
            )
        try:
            client = self.client(boto_service, region, role_arn)
            method = getattr(client, xform_name(operation.name), None)
            if method is None:  # pragma: no cover - operation names come from the same model
                raise ServiceError(
                    "UnknownOperationException", f"Unknown operation {operation.name}"
                )
            response: dict[str, Any] = method(**arguments)
        except ClientError as problem:
            raise ServiceError.from_client_error(problem) from None
        except ParamValidationError as problem:
            raise ServiceError("ValidationException", str(problem)) from None
        except BotoCoreError as problem:
            # No answer from the service (credentials, connection, timeout): the task fails
            # with the SDK's client-side error, which Retry and Catch see, not a retried message.
            raise client_side_error(problem) from None
        return response

    # -- aws-sdk:<service>:<action>

    def _sdk(
        self, resource: TaskResource, command: Mapping[str, Any], now_ms: int, role_arn: str | None
    ) -> TaskOutcome:
        label = resource.resource_type.removeprefix("aws-sdk:")
        boto_service = _SDK_SERVICE_NAMES.get(label) or _boto_service_named(label)
        try:
            model = service_model(boto_service)
        except Exception:  # botocore's UnknownServiceError and data-loading errors
            return _failure("States.Runtime", f"The service '{label}' is not supported.")
        naming = shapes.sdk_error_naming(model)
        name = shapes.operation_name(str(resource.action))
        if name not in model.operation_names:
            return _failure(
                "States.Runtime", f"The action '{resource.action}' of '{label}' is not supported."
            )
        operation = model.operation_model(name)
        arguments = shapes.to_boto_parameters(operation, command.get("input"))
        try:
            missing = shapes.missing_required(operation, arguments)
            if missing:
                raise missing_member_error(model, missing)
            response = self.call(
                boto_service,
                operation,
                arguments,
                region=region_of(resource),
                now_ms=now_ms,
                role_arn=role_arn,
            )
        except ServiceError as problem:
            return _failure(_error_name(naming, model, problem), _sdk_cause(model, problem))
        output = shapes.from_boto_response(operation, response)
        if resource.waits_for_task_token:
            return TaskOutcome(True, submitted_output=output, awaiting_callback=True)
        return TaskOutcome(True, output=output)

    # -- optimized integrations

    def _optimized(
        self,
        spec: _Optimized,
        resource: TaskResource,
        command: Mapping[str, Any],
        now_ms: int,
        role_arn: str | None,
    ) -> TaskOutcome:
        model = service_model(spec.boto_service)
        operation = model.operation_model(shapes.operation_name(str(resource.action)))
        arguments = shapes.to_boto_parameters(operation, command.get("input"))
        waits_for_child = resource.resource_type == "states" and resource.pattern == SYNC
        parent = None
        if waits_for_child:
            parent = {
                "arn": command.get("execution"),
                "key": command.get("key"),
                "sync_version": resource.sync_version,
            }
        try:
            missing = shapes.missing_required(operation, arguments)
            if missing:
                raise missing_member_error(model, missing)
            response = self.call(
                spec.boto_service,
                operation,
                arguments,
                region=region_of(resource),
                now_ms=now_ms,
                role_arn=role_arn,
                parent=parent,
            )
        except ServiceError as problem:
            return _failure(
                _error_name(spec.naming, model, problem), _optimized_cause(spec, problem)
            )
        output = shapes.from_boto_response(operation, response)
        if resource.resource_type == "events":
            # EventBridge answers 200 even when entries fail; Step Functions fails the task.
            if output.get("FailedEntryCount"):
                return _failure("EventBridge.FailedEntry", to_json_text(output))
            return TaskOutcome(True, output=output)
        if resource.resource_type == "states":
            output = {
                key: _epoch_millis(value) if key.endswith("Date") else value
                for key, value in output.items()
            }
        output.update(response_metadata(response))
        if resource.waits_for_task_token:
            return TaskOutcome(True, submitted_output=output, awaiting_callback=True)
        if waits_for_child:
            backend = self.step_functions
            if backend is not None and backend.notifies_parents and "ExecutionArn" in output:
                # The child runs here and tells this task when it ends: no polling.
                child = str(output["ExecutionArn"])
                return TaskOutcome(
                    True, submitted_output=output, awaiting_callback=True, child_execution=child
                )
            return self._await_execution(spec, model, output, resource, now_ms, role_arn)
        return TaskOutcome(True, output=output)

    def _await_execution(
        self,
        spec: _Optimized,
        model: ServiceModel,
        started: dict[str, JSON],
        resource: TaskResource,
        now_ms: int,
        role_arn: str | None,
    ) -> TaskOutcome:
        """``startExecution.sync``: wait for the child execution and report how it ended."""
        operation = model.operation_model("DescribeExecution")
        arguments = {"executionArn": started["ExecutionArn"]}
        while True:
            try:
                response = self.call(
                    spec.boto_service,
                    operation,
                    arguments,
                    region=region_of(resource),
                    now_ms=now_ms,
                    role_arn=role_arn,
                )
            except ServiceError as problem:
                return TaskOutcome(
                    False,
                    error=_error_name(spec.naming, model, problem),
                    cause=_optimized_cause(spec, problem),
                    submitted_output=started,
                )
            if response.get("status") in _ENDED:
                break
            self._sleep(self._poll_seconds)
        described = shapes.from_boto_response(operation, response)
        described = {
            key: _epoch_millis(value) if key.endswith("Date") else value
            for key, value in described.items()
        }
        if resource.sync_version == 2:
            # ``.sync:2`` returns the child's input and output as JSON, not as JSON text.
            for key in ("Input", "Output"):
                if isinstance(described.get(key), str):
                    described[key] = json.loads(described[key])
        duration = _duration_seconds(described)
        if described.get("Status") == "SUCCEEDED":
            return TaskOutcome(
                True, output=described, duration_seconds=duration, submitted_output=started
            )
        return TaskOutcome(
            False,
            error="States.TaskFailed",
            cause=to_json_text(described)[:MAX_CAUSE_LENGTH],
            duration_seconds=duration,
            submitted_output=started,
        )

    # -- Lambda functions no local handler serves

    def _lambda(
        self,
        resource: TaskResource,
        command: Mapping[str, Any],
        now_ms: int,
        role_arn: str | None,
        *,
        function_arn: bool,
    ) -> TaskOutcome:
        spec = _OPTIMIZED["lambda"]
        model = service_model("lambda")
        operation = model.operation_model("Invoke")
        parameters = command.get("input")
        if function_arn:
            arguments: dict[str, Any] = {
                "FunctionName": resource.arn,
                "Payload": to_json_text(parameters).encode(),
            }
        else:
            function, payload = invoke_payload(parameters)
            arguments = {
                key: value
                for key, value in (parameters if isinstance(parameters, dict) else {}).items()
                if key in ("InvocationType", "LogType", "Qualifier", "ClientContext")
                and value is not None
            }
            if function is not None:
                arguments["FunctionName"] = function
            if payload:
                arguments["Payload"] = payload
        try:
            missing = shapes.missing_required(operation, arguments)
            if missing:
                raise missing_member_error(model, missing)
            response = self.call(
                "lambda",
                operation,
                arguments,
                region=region_of(resource),
                now_ms=now_ms,
                role_arn=role_arn,
            )
        except ServiceError as problem:
            return _failure(
                _error_name(spec.naming, model, problem), _optimized_cause(spec, problem)
            )
        body: Any = response.get("Payload")
        data: bytes = body.read() if hasattr(body, "read") else (body or b"")
        metadata = response.get("ResponseMetadata") or {}
        answer = LambdaResponse(
            payload=data,
            function_error=response.get("FunctionError"),
            request_id=str(metadata.get("RequestId") or uuid.uuid4()),
            executed_version=str(response.get("ExecutedVersion") or "$LATEST"),
        )
        if function_arn:
            return lambda_function_outcome(answer)
        log_tail = isinstance(parameters, dict) and parameters.get("LogType") == "Tail"
        outcome = lambda_invoke_outcome(answer, now_ms / 1000, log_tail=log_tail)
        if outcome.succeeded and isinstance(outcome.output, dict) and "LogResult" in response:
            # The real log tail, not the local runner's stand-in.
            outcome = TaskOutcome(
                True, output={**outcome.output, "LogResult": response["LogResult"]}
            )
        return outcome


def _registered_integration(
    invoker: Boto3ServiceInvoker,
    resource: TaskResource,
    command: Mapping[str, Any],
    now_ms: int,
    role_arn: str | None,
) -> TaskOutcome | None:
    """An optimized integration implemented in :mod:`interpreter.adapters.integrations`
    (imported on first use: it registers AWS's whole list)."""
    import interpreter.adapters.integrations  # noqa: F401 - registers the integrations

    return registered_integration(invoker, resource, command, now_ms, role_arn)


def _role_arn(command: Mapping[str, Any]) -> str | None:
    credentials = command.get("credentials")
    if isinstance(credentials, dict) and isinstance(credentials.get("RoleArn"), str):
        role: str = credentials["RoleArn"]
        return role
    return None


def _duration_seconds(described: Mapping[str, JSON]) -> float:
    start, stop = described.get("StartDate"), described.get("StopDate")
    if isinstance(start, int) and isinstance(stop, int) and stop >= start:
        return (stop - start) / 1000
    return 0.0
