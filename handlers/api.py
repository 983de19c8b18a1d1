"""The Step Functions API on Lambda: boto3 and the AWS CLI talk to the function URL unchanged
(``endpoint_url=<function URL>``), as they talk to ``asl serve``.

The function URL's IAM authentication says who signed each request; the API then authorizes
it per action and resource with that caller's IAM policies (``docs/security.md``)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from aws_lambda_powertools import Logger, Tracer

from handlers.deployment import service
from interpreter.api.authorization import Caller
from interpreter.api.server import answer

logger = Logger(service="asl-api")
# Only the AWS SDK is patched: its calls are what a trace shows.
tracer = Tracer(service="asl-api", patch_modules=("botocore",))


@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A function-URL (HTTP payload 2.0) request in, the API's answer out."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    status, payload = answer(service(), headers.get("x-amz-target", ""), raw, _caller(event))
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": str(uuid.uuid4()),
        },
        "body": payload.decode("utf-8"),
    }


def _caller(event: dict[str, Any]) -> Caller | None:
    """Who signed the request, as the function URL's IAM authentication says
    (``requestContext.authorizer.iam``); None when it says nothing (an unauthenticated URL:
    every action is then refused where the API authorizes)."""
    identity = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    arn, account = identity.get("userArn"), identity.get("accountId")
    if not isinstance(arn, str) or not isinstance(account, str):
        return None
    user_id = identity.get("userId")
    return Caller(arn, account, user_id if isinstance(user_id, str) else None)
