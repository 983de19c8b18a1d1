"""What every AWS service call of a Task shares: the error a call ends in, the service models,
the SDK for Java's shapes of responses and errors, and the registry of optimized integrations.

:mod:`interpreter.adapters.aws_services` (the boto3 invoker) and the integrations of
:mod:`interpreter.adapters.integrations` both build on it; the integrations reach the invoker
through :class:`ServiceCaller` only, so neither module imports the other's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final, Protocol

import botocore.session
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.model import OperationModel, ServiceModel

from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome


class ServiceError(Exception):
    """An error response of an AWS service: its code, message, HTTP status and request ids."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        request_id: str | None = None,
        extended_request_id: str | None = None,
        shape_code: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        #: The error's shape name where the wire code differs from it (SQS's JSON protocol
        #: answers ``AWS.SimpleQueueService.NonExistentQueue`` for ``QueueDoesNotExist``).
        self.shape_code = shape_code or code
        self.message = message
        self.status = status
        self.request_id = request_id or str(uuid.uuid4())
        self.extended_request_id = extended_request_id

    @classmethod
    def from_client_error(cls, problem: ClientError) -> ServiceError:
        """The error a boto3 call raised."""
        error: Mapping[str, Any] = problem.response.get("Error", {})
        metadata: Mapping[str, Any] = problem.response.get("ResponseMetadata", {})
        return cls(
            str(error.get("Code", "Unknown")),
            str(error.get("Message", error.get("message", ""))),
            int(metadata.get("HTTPStatusCode", 400)),
            metadata.get("RequestId"),
            metadata.get("HostId") or None,
            error.get("QueryErrorCode"),
        )


class ClientSideError(ServiceError):
    """A call that never got the service's answer: no credentials, no connection, a timeout.
    The SDK for Java reports these as ``SdkClientException``, and Step Functions names them
    after the service (``Lambda.SdkClientException``), so Retry and Catch see them."""

    def __init__(self, message: str) -> None:
        super().__init__("SdkClientException", message, status=0)


def client_side_error(problem: Exception) -> ClientSideError:
    """The SDK for Java's wording for what went wrong before any answer came."""
    if isinstance(problem, NoCredentialsError | PartialCredentialsError):
        return ClientSideError(
            f"Unable to load AWS credentials from any provider in the chain: {problem}"
        )
    if isinstance(problem, ReadTimeoutError | ConnectTimeoutError):
        return ClientSideError(f"Unable to execute HTTP request: Read timed out ({problem})")
    return ClientSideError(f"Unable to execute HTTP request: {problem}")


class ServiceCaller(Protocol):
    """What an integration may ask of the invoker that runs it."""

    def client(self, boto_service: str, region: str, role_arn: str | None = None) -> Any:
        """The (cached) boto3 client of a service."""
        ...

    def call(
        self,
        boto_service: str,
        operation: OperationModel,
        arguments: Mapping[str, Any],
        *,
        region: str,
        now_ms: int,
        role_arn: str | None = None,
    ) -> dict[str, Any]:
        """Call one operation; every failure comes out as :class:`ServiceError`."""
        ...

    def wait(self, seconds: float) -> None:
        """Pause between two polls of a ``.sync`` job (simulated on a virtual clock)."""
        ...

    def credentials(self, region: str, role_arn: str | None = None) -> Any:
        """The botocore credentials the invoker's calls are signed with (None: none found)."""
        ...


@lru_cache(maxsize=64)
def service_model(boto_service: str) -> ServiceModel:
    """botocore's model of a service (no client, no credentials needed)."""
    return botocore.session.get_session().get_service_model(boto_service)


def missing_member_error(model: ServiceModel, missing: list[str]) -> ServiceError:
    """What the service answers to a request without its required members."""
    if model.service_name == "sqs" or model.protocol == "query":
        return ServiceError(
            "MissingParameter", f"The request must contain the parameter {missing[0]}."
        )
    count = len(missing)
    plural = "s" if count > 1 else ""
    details = "; ".join(
        f"Value null at '{name[:1].lower() + name[1:]}' failed to satisfy constraint: "
        "Member must not be null"
        for name in missing
    )
    return ServiceError(
        "ValidationException", f"{count} validation error{plural} detected: {details}"
    )


_HEADER_NAMES: Final[Mapping[str, str]] = {
    "content-length": "Content-Length",
    "content-type": "Content-Type",
    "date": "Date",
    "x-amzn-requestid": "x-amzn-RequestId",
    "server": "Server",
    "x-amz-crc32": "x-amz-crc32",
}


def response_metadata(response: Mapping[str, Any]) -> dict[str, JSON]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` for a boto3 response (what optimized
    integrations built on the SDK for Java v1 add to their outputs)."""
    metadata: Mapping[str, Any] = response.get("ResponseMetadata") or {}
    request_id = str(metadata.get("RequestId") or uuid.uuid4())
    raw: Mapping[str, Any] = metadata.get("HTTPHeaders") or {}
    headers = {_HEADER_NAMES.get(name, name): str(value) for name, value in raw.items()}
    headers.setdefault("x-amzn-RequestId", request_id)
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": int(metadata.get("HTTPStatusCode", 200)),
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def region_of(resource: TaskResource) -> str:
    """Where to call the service: the task runner gives every invoker a resource that names its
    region (the ARN's, or the deployment's)."""
    if resource.region is None:
        raise ValueError(f"no region for {resource.arn}")
    return resource.region


# ------------------------------------------------------------------------------- registration

#: Runs one optimized integration's Task: (invoker, resource, command, now_ms, role ARN) ->
#: its outcome, or None when the action is not served.
IntegrationHandler = Callable[
    [ServiceCaller, TaskResource, Mapping[str, Any], int, "str | None"], "TaskOutcome | None"
]

#: Optimized integrations implemented in :mod:`interpreter.adapters.integrations`.
_INTEGRATIONS: dict[str, IntegrationHandler] = {}


def register_integration(resource_type: str, handler: IntegrationHandler) -> None:
    """Serve the optimized integration ``arn:aws:states:::<resource_type>:*`` with
    ``handler``."""
    _INTEGRATIONS[resource_type] = handler


def registered_integration(
    invoker: ServiceCaller,
    resource: TaskResource,
    command: Mapping[str, Any],
    now_ms: int,
    role_arn: str | None,
) -> TaskOutcome | None:
    """The outcome of a registered integration's Task; None when none serves it."""
    handler = _INTEGRATIONS.get(resource.resource_type)
    return None if handler is None else handler(invoker, resource, command, now_ms, role_arn)
