"""What a Lambda invocation returns to the state machine, whoever invoked the function.

Local handlers (:mod:`.lambda_local`) and the Lambda service through boto3 (:mod:`.aws_services`)
both produce a Lambda Invoke response; this module turns it into the outcome Step Functions reports
for each integration form — a Lambda function ARN (the function's payload as the result, its
``errorType`` as the error and the payload text as the cause) or
``arn:aws:states:::lambda:invoke`` (the Invoke API response wrapped as AWS wraps it; with
``.waitForTaskToken`` the call only submits the work).
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import json
from dataclasses import dataclass
from typing import Any

from interpreter.core.history import to_json_text
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON, TooDeeplyNestedError, parse_json_bounded
from interpreter.limits import MAX_INPUT_DEPTH
from interpreter.runtime.ports import TaskOutcome


@dataclass(frozen=True, slots=True)
class LambdaResponse:
    """What the Lambda Invoke API returns: the payload bytes and ``FunctionError`` if any."""

    payload: bytes
    function_error: str | None
    request_id: str
    executed_version: str = "$LATEST"
    duration_seconds: float = 0.0
    #: What the function printed and logged (a ``LogType: Tail`` result shows it).
    log: str = ""


def submitted_only(resource: TaskResource, outcome: TaskOutcome) -> TaskOutcome:
    """For a ``.waitForTaskToken`` resource, a call that succeeded only submitted the work: its
    response is the ``TaskSubmitted`` output, and a callback completes the task."""
    if resource.waits_for_task_token and outcome.succeeded and not outcome.awaiting_callback:
        return dataclasses.replace(
            outcome, output=None, submitted_output=outcome.output, awaiting_callback=True
        )
    return outcome


def _decode_payload(payload: bytes) -> JSON:
    text = payload.decode("utf-8", errors="replace")
    try:
        # Bounded before it is parsed; deeper is refused by the task runner (States.Runtime).
        return parse_json_bounded(text, MAX_INPUT_DEPTH)
    except TooDeeplyNestedError:
        raise
    except (ValueError, RecursionError):
        # Not JSON (a handler that returned raw bytes): Step Functions sees the text.
        return text


def lambda_function_outcome(response: LambdaResponse) -> TaskOutcome:
    """Outcome of a Task whose Resource is a Lambda function ARN."""
    text = response.payload.decode("utf-8", errors="replace")
    if response.function_error is not None:
        document = _decode_payload(response.payload)
        error = document.get("errorType") if isinstance(document, dict) else None
        return TaskOutcome(
            False,
            error=error if isinstance(error, str) else "Lambda.Unknown",
            cause=text,
            duration_seconds=response.duration_seconds,
        )
    return TaskOutcome(
        True, output=_decode_payload(response.payload), duration_seconds=response.duration_seconds
    )


def lambda_invoke_outcome(
    response: LambdaResponse, now_epoch_seconds: float, *, log_tail: bool = False
) -> TaskOutcome:
    """Outcome of ``arn:aws:states:::lambda:invoke``: the Invoke response, wrapped.

    ``log_tail`` (``"LogType": "Tail"``) adds ``LogResult``: the base64 tail of the invocation's
    log, as Lambda returns it.
    """
    document = _decode_payload(response.payload)
    if response.function_error is not None:
        error = document.get("errorType") if isinstance(document, dict) else None
        cause = to_json_text(document) if not isinstance(document, str) else document
        return TaskOutcome(
            False,
            error=error if isinstance(error, str) else "Lambda.Unknown",
            cause=cause,
            duration_seconds=response.duration_seconds,
        )
    date = email.utils.formatdate(now_epoch_seconds, usegmt=True)
    length = str(len(response.payload))
    trace_id = f"Root=1-{int(now_epoch_seconds):08x}-{response.request_id.replace('-', '')[:24]}"
    headers = {
        "Connection": "keep-alive",
        "Content-Length": length,
        "Content-Type": "application/json",
        "Date": date,
        "X-Amz-Executed-Version": response.executed_version,
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": response.request_id,
        "X-Amzn-Trace-Id": trace_id,
    }
    output: dict[str, Any] = {
        "ExecutedVersion": response.executed_version,
        "Payload": document,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": response.request_id},
        "StatusCode": 200,
    }
    if log_tail:
        own = f"{response.log}\n" if response.log else ""
        log = (
            f"START RequestId: {response.request_id} Version: {response.executed_version}\n"
            f"{own}"
            f"END RequestId: {response.request_id}\n"
            f"REPORT RequestId: {response.request_id}\t"
            f"Duration: {response.duration_seconds * 1000:.2f} ms\n"
        )
        # Lambda returns the last 4 KB of the invocation's log.
        output["LogResult"] = base64.b64encode(log.encode()[-4096:]).decode()
    return TaskOutcome(True, output=output, duration_seconds=response.duration_seconds)


def lambda_not_found_outcome(
    resource: TaskResource, function_arn: str, request_id: str
) -> TaskOutcome:
    """The failure AWS reports when the function does not exist."""
    cause = (
        f"Function not found: {function_arn}:$LATEST (Service: AWSLambda; Status Code: 404; "
        f"Error Code: ResourceNotFoundException; Request ID: {request_id}; Proxy: null)"
    )
    return TaskOutcome(False, error="Lambda.ResourceNotFoundException", cause=cause)


def lambda_bad_request_outcome(detail: str, request_id: str) -> TaskOutcome:
    """The failure AWS reports when the invocation payload is not JSON."""
    cause = (
        f"Could not parse request body into json: {detail} (Service: AWSLambda; Status Code: 400; "
        f"Error Code: InvalidRequestContentException; Request ID: {request_id}; Proxy: null)"
    )
    return TaskOutcome(False, error="Lambda.InvalidRequestContentException", cause=cause)


def invoke_payload(parameters: JSON) -> tuple[str | None, bytes]:
    """Function name and payload bytes of a ``lambda:invoke`` task's parameters."""
    if not isinstance(parameters, dict):
        return None, b"{}"
    function = parameters.get("FunctionName")
    name = function if isinstance(function, str) else None
    payload = parameters.get("Payload")
    if payload is None:
        # No payload: Lambda invokes the function with an empty object.
        return name, b""
    if isinstance(payload, str):
        # A string Payload is the request body itself (AWS passes JSON text through).
        return name, payload.encode()
    return name, json.dumps(payload).encode()
