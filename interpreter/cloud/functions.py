"""What the Lambda service hands a function, emulated: its context, a function-URL request, an
SQS batch.

The shapes are Lambda's: the context object Python functions receive (``aws_request_id``,
``get_remaining_time_in_millis`` counting down from the function's timeout...), the HTTP payload
2.0 event of a function URL and its response, and the ``Records`` of an SQS event-source
mapping (with ``ApproximateReceiveCount`` among the record's ``attributes``).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interpreter import arns


@dataclass(slots=True)
class LambdaContext:
    """The context object of one invocation; its remaining time counts down from ``timeout_s``
    (``get_remaining_time_in_millis``), as Lambda's does."""

    function_name: str
    timeout_s: float
    region: str = "us-east-1"
    account: str = "123456789012"
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        """The function's ARN."""
        return arns.lambda_function_arn(self.region, self.account, self.function_name)

    @property
    def log_group_name(self) -> str:
        """``/aws/lambda/<function>``."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """A stream name of Lambda's form."""
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return max(0, round((self._deadline - time.monotonic()) * 1000))


def function_url_event(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    source_ip: str = "127.0.0.1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """The HTTP payload 2.0 event a function URL gives its function for one request."""
    path, _, query = target.partition("?")
    now = time.time()
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {
            "accountId": account,
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": round(now * 1000),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A function-URL response as HTTP: status, headers, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_answer(result: Mapping[str, Any]) -> HttpAnswer:
    """The HTTP response a function URL makes of its function's result."""
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    return HttpAnswer(int(result.get("statusCode", 200)), headers, payload)


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event an SQS event-source mapping gives its function for one batch of
    ``ReceiveMessage``'s messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message.get("Body", ""),
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": dict(message.get("MessageAttributes") or {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def schedule_event(rule_arn: str, region: str, account: str) -> dict[str, Any]:
    """The event an EventBridge schedule gives its function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
