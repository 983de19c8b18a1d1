"""Amazon Bedrock: ``bedrock:invokeModel`` and ``bedrock:createModelCustomizationJob``.

``invokeModel`` calls Bedrock Runtime's InvokeModel: ``Body`` is the model's request (a JSON
value, sent as JSON text) or ``Input.S3Uri`` names an S3 object holding it; the output is
``{"Body": <the model's answer, parsed when JSON>, "ContentType": ...}``, or with
``Output.S3Uri`` the answer is written there instead. ``createModelCustomizationJob.sync``
waits on GetModelCustomizationJob until the job is Completed (the output) or Failed/Stopped.
"""

from __future__ import annotations

import contextlib
from typing import Any

from interpreter.adapters.aws_calls import ServiceError, region_of
from interpreter.adapters.aws_shapes import ErrorNaming
from interpreter.adapters.integrations.base import ALL, RR, Action, Call, Poll, Service
from interpreter.json_types import JSON, parse_json


def _split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ServiceError("ValidationException", f"Not an S3 URI: {uri}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _request(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    source = request.pop("Input", None)
    output = request.pop("Output", None)
    if isinstance(output, dict) and output.get("S3Uri"):
        call.notes["output_uri"] = str(output["S3Uri"])
    if isinstance(source, dict) and source.get("S3Uri"):
        bucket, key = _split_s3_uri(str(source["S3Uri"]))
        s3 = call.invoker.client("s3", region_of(call.resource), call.role_arn)
        try:
            request["Body"] = parse_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except Exception as problem:  # botocore errors and unreadable objects alike
            raise ServiceError(
                "ValidationException", f"Cannot read {source['S3Uri']}: {problem}"
            ) from None
    return request


def _response(call: Call, request: dict[str, Any], output: dict[str, JSON]) -> dict[str, JSON]:
    body = output.get("Body")
    if isinstance(body, str) and "json" in str(output.get("ContentType", "json")):
        with contextlib.suppress(ValueError, RecursionError):
            output["Body"] = parse_json(body)
    target = call.notes.get("output_uri")
    if target:
        bucket, key = _split_s3_uri(str(target))
        s3 = call.invoker.client("s3", region_of(call.resource), call.role_arn)
        s3.put_object(Bucket=bucket, Key=key, Body=str(body or "").encode("utf-8"))
        output.pop("Body", None)
    return output


BEDROCK = Service(
    resource_type="bedrock",
    boto_service="bedrock",
    naming=ErrorNaming("Bedrock", "BedrockException"),
    label="Bedrock",
    java_v1=False,
    actions={
        "invokeModel": Action(
            "InvokeModel",
            RR,
            request=_request,
            response=_response,
            boto_service="bedrock-runtime",
        ),
        "createModelCustomizationJob": Action(
            "CreateModelCustomizationJob",
            ALL,
            poll=Poll(
                "GetModelCustomizationJob",
                arguments=lambda submitted, request: {"jobIdentifier": request["jobName"]},
                status=lambda described: described.get("Status"),
                succeeded=frozenset({"Completed"}),
                failed=frozenset({"Failed", "Stopped"}),
            ),
        ),
    },
)
