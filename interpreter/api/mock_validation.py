"""TestState mocks: a mocked Task result checked against the AWS service's response model.

AWS validates ``mock.result`` of a Task state against the output shape of the API the Task calls,
as the service's API model defines it (``fieldValidationMode``):

* ``STRICT`` (the default): every required field is present and every present field conforms;
* ``PRESENT``: every present field conforms;
* ``NONE``: nothing is checked.

Fields the model does not know are accepted in every mode. The models are botocore's (boto3 is a
dependency): a Task resource names a service integration (``arn:aws:states:::sqs:sendMessage``,
``arn:aws:states:::aws-sdk:s3:getObject``...), which maps to a botocore service and operation.
Step Functions shows the responses with member names starting in upper case
(``executionArn`` -> ``ExecutionArn``), so the model's names are compared that way. A resource
without a model (a Lambda function ARN, an activity, HTTP and API Gateway tasks, the ``.sync`` and
``.waitForTaskToken`` patterns, whose results are not the API's response) is not checked.

The first problem found is reported as AWS words it (``Mock result schema validation error:
Field 'StatusCode' must be a number``). Wordings for problems AWS's recorded answers do not show
(a structure that is not an object, a string over its maximum length, a fractional integer...)
follow the same pattern.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from interpreter.api.errors import ValidationException
from interpreter.definition.resources import REQUEST_RESPONSE, TaskResource
from interpreter.json_types import JSON

STRICT: Final = "STRICT"
PRESENT: Final = "PRESENT"
NONE: Final = "NONE"
FIELD_VALIDATION_MODES: Final = (STRICT, PRESENT, NONE)

_PREFIX: Final = "Mock result schema validation error: "

#: Optimized integrations (``arn:aws:states:::<service>:<action>``) whose botocore service name
#: differs from the name in the resource.
_OPTIMIZED_SERVICES: Final[Mapping[str, str]] = {
    "states": "stepfunctions",
    "elasticmapreduce": "emr",
    "bedrock": "bedrock-runtime",
}

#: ``aws-sdk:<service>`` names whose botocore service name differs.
_SDK_SERVICES: Final[Mapping[str, str]] = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "costexplorer": "ce",
    "elasticloadbalancingv2": "elbv2",
    "elasticloadbalancing": "elb",
    "sagemakerruntime": "sagemaker-runtime",
    "bedrockruntime": "bedrock-runtime",
    "bedrockagent": "bedrock-agent",
    "bedrockagentruntime": "bedrock-agent-runtime",
    "apigatewayv2": "apigatewayv2",
    "apigatewaymanagementapi": "apigatewaymanagementapi",
    "dynamodbstreams": "dynamodbstreams",
    "emrcontainers": "emr-containers",
    "emrserverless": "emr-serverless",
    "iotdata": "iot-data",
    "secretsmanager": "secretsmanager",
}


def validate_mock_result(resource: TaskResource, result: JSON, mode: str) -> None:
    """Raise :class:`ValidationException` if ``result`` breaks the resource's response model."""
    if mode == NONE:
        return
    shape = _output_shape(resource)
    if shape is None:
        return
    payload_member = shape.serialization.get("payload")
    _check_structure(shape, result, mode == STRICT, None, payload_member)


def _output_shape(resource: TaskResource) -> Any:
    """The botocore output shape of the API the resource calls, or None when there is none."""
    if not resource.is_integration or resource.pattern != REQUEST_RESPONSE:
        return None
    service = str(resource.service)
    if resource.kind == "aws_sdk":
        service = _SDK_SERVICES.get(service, service)
    else:
        service = _OPTIMIZED_SERVICES.get(service, service)
    action = resource.action
    if not action:
        return None
    return _operation_output(service, action[0].upper() + action[1:])


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.lru_cache(maxsize=256)
def _operation_output(service: str, operation: str) -> Any:
    """botocore's output shape for ``service``/``operation``; None when either is unknown."""
    from botocore.model import OperationNotFoundError

    session = _session()
    if service not in session.get_available_services():
        return None
    try:
        model = session.get_service_model(service)
        return model.operation_model(operation).output_shape
    except OperationNotFoundError:
        return None


def _fail(message: str) -> ValidationException:
    return ValidationException(_PREFIX + message)


def _aws_name(member: str) -> str:
    """A model member name as Step Functions shows it in a service response."""
    return member[:1].upper() + member[1:]


def _check_structure(
    shape: Any, value: JSON, strict: bool, field: str | None, payload_member: str | None = None
) -> None:
    if not isinstance(value, dict):
        if field is None:
            raise _fail("The mock result must be a JSON object")
        raise _fail(f"Field '{field}' must be an object")
    members = shape.members
    if strict:
        for required in shape.required_members:
            if _aws_name(required) not in value:
                raise _fail(f"Required field '{_aws_name(required)}' is missing")
    for member, member_shape in members.items():
        name = _aws_name(member)
        if name not in value:
            continue
        if member == payload_member:
            # The response body (a Lambda Payload, an S3 object's Body): Step Functions hands it
            # over decoded, as any JSON value.
            continue
        _check(member_shape, value[name], strict, name)


def _check(shape: Any, value: JSON, strict: bool, field: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, strict, field)
    elif kind == "list":
        if not isinstance(value, list):
            raise _fail(f"Field '{field}' must be an array")
        # A list's elements are reported under the list's name; a structure element reports its
        # own failing member (AWS: "Field 'EventId' must be a string").
        for item in value:
            _check(shape.member, item, strict, field)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _fail(f"Field '{field}' must be an object")
        for item in value.values():
            _check(shape.value, item, strict, field)
    elif kind in ("string", "blob", "timestamp"):
        if not isinstance(value, str):
            raise _fail(f"Field '{field}' must be a string")
        if kind == "string" and shape.enum and value not in shape.enum:
            raise _fail(f"Field '{field}' is not an expected value")
        if kind != "timestamp":
            _check_length(shape, len(value), field)
    elif kind in ("integer", "long"):
        if not _is_number(value):
            raise _fail(f"Field '{field}' must be a number")
        if isinstance(value, float) and not value.is_integer():
            raise _fail(f"Field '{field}' must be an integer")
        _check_range(shape, value, field)
    elif kind in ("float", "double"):
        if not _is_number(value):
            raise _fail(f"Field '{field}' must be a number")
        _check_range(shape, value, field)
    elif kind == "boolean" and not isinstance(value, bool):
        raise _fail(f"Field '{field}' must be a boolean")
    # "document" members hold any JSON value.


def _is_number(value: JSON) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(shape: Any, value: float, field: str) -> None:
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and value < minimum:
        raise _fail(f"Field '{field}' is less than the minimum value")
    if maximum is not None and value > maximum:
        raise _fail(f"Field '{field}' exceeds the maximum value")


def _check_length(shape: Any, length: int, field: str) -> None:
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and length < minimum:
        raise _fail(f"Field '{field}' is smaller than the minimum length")
    if maximum is not None and length > maximum:
        raise _fail(f"Field '{field}' exceeds the maximum length")
