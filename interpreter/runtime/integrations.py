"""Service integrations: what a Task's resource call returns to the state machine.

The invokers (adapters) return raw service responses; this module turns them into the outcome
Step Functions reports for each integration form — a Lambda function ARN (the function's payload
as the result, its ``errorType`` as the error and the payload text as the cause) or
``arn:aws:states:::lambda:invoke`` (the Invoke API response wrapped as AWS wraps it).
"""

from __future__ import annotations

import base64
import email.utils
import json
from dataclasses import dataclass
from typing import Any

from interpreter.adapters.lambda_local import LambdaResponse
from interpreter.core.history import to_json_text
from interpreter.core.resources import TaskResource
from interpreter.json_types import JSON, parse_json


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """The result of one task invocation, as the core consumes it."""

    succeeded: bool
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    #: Simulated seconds the invocation took (virtual clock only).
    duration_seconds: float = 0.0
    #: The submitting call's response, for integrations that report ``TaskSubmitted`` first
    #: (``.sync`` jobs, ``.waitForTaskToken`` requests).
    submitted_output: JSON = None
    #: A ``.waitForTaskToken`` request went out: only a callback (SendTaskSuccess/Failure) can
    #: complete the task, so the outcome has no completion.
    awaiting_callback: bool = False
    #: An activity task was queued for its workers (``ActivityScheduled`` is recorded then).
    activity_scheduled: bool = False
    #: The worker that took an activity task (``ActivityStarted``), when one did.
    worker_name: str | None = None

    def as_event(self, key: str) -> dict[str, Any]:
        """The core event that delivers this outcome's completion for task ``key``."""
        if self.succeeded:
            return {"type": "task_succeeded", "key": key, "output": self.output}
        return {"type": "task_failed", "key": key, "error": self.error, "cause": self.cause}

    def events(self, key: str) -> list[dict[str, Any]]:
        """The core events this outcome delivers, in order: scheduling or submission, the
        worker's start, then completion."""
        events: list[dict[str, Any]] = []
        if self.activity_scheduled:
            events.append({"type": "activity_scheduled", "key": key})
        if self.worker_name is not None:
            events.append({"type": "task_started", "key": key, "worker_name": self.worker_name})
        elif self.submitted_output is not None or (
            self.awaiting_callback and not self.activity_scheduled
        ):
            events.append({"type": "task_submitted", "key": key, "output": self.submitted_output})
        if not self.awaiting_callback:
            events.append(self.as_event(key))
        return events


def _decode_payload(payload: bytes) -> JSON:
    text = payload.decode("utf-8", errors="replace")
    try:
        return parse_json(text)
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
