"""Between Step Functions' JSON and boto3's calls: parameters, responses and error names.

Step Functions calls AWS services with the AWS SDK for Java, so what a state machine sends and
gets back follows that SDK's conventions, not boto3's. This module translates, guided by the
botocore service model of the operation (its shapes), so it works for every service boto3 knows:

* **Parameters** (:func:`to_boto_parameters`): member names are PascalCase even where the API is
  camelCase (``StateMachineArn`` for Step Functions' ``stateMachineArn``); JSON ``null`` means
  "not set"; a string or blob member given any other JSON value receives that value as compact
  JSON text; a streamed payload blob (S3's ``Body``) receives the value as compact JSON text,
  strings included (``"text"`` is stored with its quotes, ``{"a": 1}`` as ``{"a":1}``); any
  other blob is base64 text, as on the JSON wire.
* **Responses** (:func:`from_boto_response`): member names PascalCase, timestamps ISO 8601 in
  UTC (``2024-01-02T03:04:05.678Z``), a streamed payload as its UTF-8 text, other blobs base64;
  ``ResponseMetadata`` dropped.
* **Required members** (:func:`missing_required`): AWS rejects a request without them; the
  caller reports the service's own error for it.
* **Error names** (:class:`ErrorNaming`): ``ServiceName.ErrorName`` where the error is one the
  service models (``S3.NoSuchKeyException``: the shape name, with the ``Exception`` suffix that
  AWS's documentation says is always added) and the service's base exception otherwise
  (``DynamoDb.DynamoDbException`` for an unmodelled ``ValidationException``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from interpreter.core.history import to_json_text
from interpreter.json_types import JSON

#: Returned by the converters for a value that must be left out of the request.
ABSENT: Final = object()


def pascal(name: str) -> str:
    """``stateMachineArn`` -> ``StateMachineArn`` (the SDK for Java's member names)."""
    return name[:1].upper() + name[1:]


def operation_name(action: str) -> str:
    """The API operation of an integration action: ``getObject`` -> ``GetObject``."""
    return pascal(action)


# --------------------------------------------------------------------------------- parameters


def _member_index(shape: StructureShape) -> dict[str, str]:
    """Model member names by the names a state machine may use for them."""
    index: dict[str, str] = {}
    for name in shape.members:
        index[name] = name
        index.setdefault(pascal(name), name)
    # AWS: "API fields for equals will be referred to in your state machines as EqualsValue".
    if "Equals" in shape.members:
        index["EqualsValue"] = "Equals"
    return index


def _blob_value(value: JSON, payload: bool) -> Any:
    if payload:
        # A streamed payload (S3's Body) receives the value as JSON text, strings included:
        # AWS stores "text" for the string text (recorded ETags are the MD5 of the quoted text).
        return to_json_text(value).encode("utf-8")
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            # Not base64: the service would reject it; pass the text so boto3 sends something.
            return value.encode("utf-8")
    return to_json_text(value).encode("utf-8")


def _convert_in(shape: Shape, value: JSON, payload: bool = False) -> Any:
    if value is None:
        return ABSENT
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        return _structure_in(shape, value)
    if kind == "list" and isinstance(value, list):
        member = shape.member  # type: ignore[attr-defined]
        items = (_convert_in(member, item) for item in value)
        return [item for item in items if item is not ABSENT]
    if kind == "map" and isinstance(value, dict):
        value_shape = shape.value  # type: ignore[attr-defined]
        pairs = ((key, _convert_in(value_shape, item)) for key, item in value.items())
        return {key: item for key, item in pairs if item is not ABSENT}
    if kind == "blob":
        return _blob_value(value, payload or bool(shape.serialization.get("streaming")))
    if kind == "string" and not isinstance(value, str):
        return to_json_text(value)
    # Anything else goes as it is: botocore validates scalars and reports mismatches.
    return value


def _structure_in(shape: StructureShape, value: Mapping[str, JSON]) -> dict[str, Any]:
    index = _member_index(shape)
    payload_member = shape.serialization.get("payload")
    converted: dict[str, Any] = {}
    for key, item in value.items():
        name = index.get(key)
        if name is None:
            # Unknown to the model: keep it, so botocore names it in its validation error.
            converted[key] = item
            continue
        result = _convert_in(shape.members[name], item, payload=name == payload_member)
        if result is not ABSENT:
            converted[name] = result
    return converted


def to_boto_parameters(operation: OperationModel, parameters: JSON) -> dict[str, Any]:
    """A state machine's parameters as keyword arguments of the boto3 operation."""
    shape = operation.input_shape
    if not isinstance(parameters, dict):
        return {}
    if shape is None:
        return dict(parameters)
    return _structure_in(shape, parameters)


def missing_required(operation: OperationModel, arguments: Mapping[str, Any]) -> list[str]:
    """Top-level required members that ``arguments`` lacks (model names, in model order)."""
    shape = operation.input_shape
    if shape is None:
        return []
    required = shape.metadata.get("required", [])
    # Idempotency tokens (``clientToken``) are filled in by botocore when left out, as by
    # every AWS SDK: never missing.
    return [
        name
        for name in required
        if name not in arguments and not shape.members[name].metadata.get("idempotencyToken")
    ]


# --------------------------------------------------------------------------------- responses


def iso_timestamp(moment: datetime.datetime) -> str:
    """A timestamp as the SDK for Java prints an instant: UTC, fraction only when non-zero."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    moment = moment.astimezone(datetime.UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        millis, micros = divmod(moment.microsecond, 1000)
        text += f".{millis:03d}" if not micros else f".{moment.microsecond:06d}"
    return text + "Z"


def _read_blob(value: Any) -> bytes:
    if hasattr(value, "read"):
        data = value.read()
        return data if isinstance(data, bytes) else bytes(data)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8")


def _convert_out(shape: Shape | None, value: Any, payload: bool = False) -> JSON:
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return _structure_out(shape, value)
        value_shape = shape.value if kind == "map" else None  # type: ignore[union-attr]
        return {key: _convert_out(value_shape, item) for key, item in value.items()}
    if isinstance(value, list):
        member = shape.member if kind == "list" else None  # type: ignore[union-attr]
        return [_convert_out(member, item) for item in value]
    if isinstance(value, datetime.datetime):
        return iso_timestamp(value)
    if kind == "blob" or isinstance(value, (bytes, bytearray)) or hasattr(value, "read"):
        data = _read_blob(value)
        streaming = shape is not None and bool(shape.serialization.get("streaming"))
        if payload or streaming:
            return data.decode("utf-8", errors="replace")
        return base64.b64encode(data).decode("ascii")
    if isinstance(value, float) and value.is_integer() and kind in ("integer", "long"):
        return int(value)
    result: JSON = value
    return result


def _structure_out(shape: StructureShape, value: Mapping[str, Any]) -> dict[str, JSON]:
    payload_member = shape.serialization.get("payload")
    members = shape.members
    return {
        pascal(name): _convert_out(members.get(name), item, payload=name == payload_member)
        for name, item in value.items()
        if name != "ResponseMetadata"
    }


def from_boto_response(operation: OperationModel, response: Mapping[str, Any]) -> dict[str, JSON]:
    """A boto3 response as Step Functions' AWS SDK integrations return it."""
    shape = operation.output_shape
    if shape is None:
        return {
            pascal(k): _convert_out(None, v) for k, v in response.items() if k != "ResponseMetadata"
        }
    return _structure_out(shape, response)


# --------------------------------------------------------------------------------- error names

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=256)
def sdk_service_name(service_id: str) -> str:
    """The SDK for Java v2's client name of a service: ``DynamoDB`` -> ``DynamoDb``.

    Words of the service id are capitalised with the rest of each word lower-case, so runs of
    capitals become one word (``SFN`` -> ``Sfn``, ``API Gateway`` -> ``ApiGateway``).
    """
    words = _WORD.findall(service_id.replace("-", " "))
    return "".join(word[:1].upper() + word[1:].lower() for word in words)


def exception_name(shape_name: str) -> str:
    """An error shape's exception name: AWS always ends it with ``Exception``."""
    return shape_name if shape_name.endswith("Exception") else shape_name + "Exception"


@lru_cache(maxsize=128)
def _error_shapes(service: ServiceModel) -> Mapping[str, str]:
    """Error code (as the wire sends it) -> error shape name, for one service model."""
    codes: dict[str, str] = {}
    for shape in service.error_shapes:
        codes[shape.name] = shape.name
        code = shape.metadata.get("error", {}).get("code")
        if isinstance(code, str):
            codes[code] = shape.name
    return codes


def modelled_error(service: ServiceModel, code: str) -> str | None:
    """The error shape a service models for ``code``, or None when it models none."""
    return _error_shapes(service).get(code)


@dataclass(frozen=True, slots=True)
class ErrorNaming:
    """How one integration names a service's errors (``Prefix.Exception``) and words causes."""

    #: ``S3``, ``DynamoDb`` (AWS SDK integrations); ``DynamoDB``, ``SQS`` (optimized ones).
    prefix: str
    #: The exception for errors the service does not model (``DynamoDbException``).
    base_exception: str

    def error(self, service: ServiceModel | None, code: str) -> str:
        """The Step Functions error name for a service error code."""
        shape = modelled_error(service, code) if service is not None else None
        if shape is None:
            return f"{self.prefix}.{self.base_exception}"
        return f"{self.prefix}.{exception_name(shape)}"


def sdk_error_naming(service: ServiceModel) -> ErrorNaming:
    """Error naming of the ``arn:aws:states:::aws-sdk:<service>`` integrations."""
    name = sdk_service_name(service.service_id)
    return ErrorNaming(name, f"{name}Exception")
