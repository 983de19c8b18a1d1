"""Amazon API Gateway: ``apigateway:invoke`` (and ``.waitForTaskToken``) calls a REST or HTTP
API endpoint directly.

The URL is ``https://<ApiEndpoint>/<Stage>/<Path>?<QueryParameters>`` (an ``ApiEndpoint``
written with ``http://`` or ``https://`` keeps its scheme, so a local server can stand in);
``Headers`` and ``QueryParameters`` map names to lists of values; ``RequestBody`` goes as JSON
(its nulls dropped unless ``AllowNullValues`` is true); ``AuthType`` ``IAM_ROLE`` or
``RESOURCE_POLICY`` signs the request with Signature Version 4 for ``execute-api``, with the
default AWS credentials. The output is ``{"Headers", "ResponseBody", "StatusCode",
"StatusText"}`` (the body parsed when it is JSON); a status outside 2xx fails the task with
``ApiGateway.<status>`` and the body as the cause. Headers AWS does not let a Task set are
refused, as AWS refuses them.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from interpreter.adapters.aws_calls import ServiceCaller, region_of, register_integration
from interpreter.adapters.integrations.web import WebError, send
from interpreter.core.history import to_json_text
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome

_FORBIDDEN_HEADERS: Final = frozenset(
    name.lower()
    for name in (
        "Authorization",
        "Connection",
        "Content-md5",
        "Expect",
        "Host",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Server",
        "TE",
        "Transfer-Encoding",
        "Trailer",
        "Upgrade",
        "Via",
        "Www-Authenticate",
    )
)
_FORBIDDEN_PREFIXES: Final = ("x-forwarded", "x-amz", "x-amzn")


def _url(parameters: Mapping[str, Any]) -> str:
    endpoint = str(parameters.get("ApiEndpoint", "")).rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        endpoint = f"https://{endpoint}"
    parts = [endpoint]
    stage = parameters.get("Stage")
    if stage and stage != "$default":
        parts.append(str(stage).strip("/"))
    path = parameters.get("Path")
    if path:
        parts.append(str(path).lstrip("/"))
    url = "/".join(parts)
    query = parameters.get("QueryParameters")
    if isinstance(query, dict) and query:
        pairs = [
            (key, str(value))
            for key, values in query.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        url += "?" + urllib.parse.urlencode(pairs)
    return url


def _without_nulls(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if item is not None]
    return value


def _headers(parameters: Mapping[str, Any]) -> dict[str, str]:
    given = parameters.get("Headers")
    headers: dict[str, str] = {}
    for name, values in given.items() if isinstance(given, dict) else []:
        lowered = name.lower()
        if lowered in _FORBIDDEN_HEADERS or lowered.startswith(_FORBIDDEN_PREFIXES):
            raise ValueError(f"The 'Headers' field contains unsupported values: {name}")
        listed = values if isinstance(values, list) else [values]
        headers[name] = ", ".join(str(value) for value in listed)
    headers.setdefault("Accept", "application/json")
    return headers


def _signed(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    credentials: Any,
    region: str,
) -> dict[str, str]:
    """Headers with a Signature Version 4 for ``execute-api`` (IAM_ROLE, RESOURCE_POLICY),
    signed with the Task's credentials (its execution role's, on the serverless deployment)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    if credentials is None:
        raise ValueError("AuthType IAM_ROLE needs AWS credentials, and none were found")
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def invoke(
    invoker: ServiceCaller,
    resource: TaskResource,
    command: Mapping[str, Any],
    now_ms: int,
    role_arn: str | None,
) -> TaskOutcome | None:
    """Run an ``apigateway:invoke`` Task."""
    if resource.action != "invoke":
        return None
    parameters = command.get("input")
    if not isinstance(parameters, dict) or not parameters.get("ApiEndpoint"):
        return TaskOutcome(False, error="States.Runtime", cause="ApiEndpoint is required")
    method = str(parameters.get("Method") or "GET").upper()
    try:
        url = _url(parameters)
        headers = _headers(parameters)
        body = None
        if "RequestBody" in parameters and method in ("POST", "PUT", "PATCH", "DELETE"):
            payload = parameters["RequestBody"]
            if not parameters.get("AllowNullValues"):
                payload = _without_nulls(payload)
            body = to_json_text(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if parameters.get("AuthType") in ("IAM_ROLE", "RESOURCE_POLICY"):
            region = region_of(resource)
            credentials = invoker.credentials(region, role_arn)
            headers = _signed(method, url, headers, body, credentials, region)
    except ValueError as problem:
        return TaskOutcome(False, error="States.Runtime", cause=str(problem))
    try:
        response = send(method, url, headers, body)
    except WebError as problem:
        return TaskOutcome(False, error="ApiGateway.WebError", cause=str(problem))
    output = {
        "Headers": response.header_lists(),
        "ResponseBody": response.body_value(),
        "StatusCode": response.status,
        "StatusText": response.reason,
    }
    if not 200 <= response.status < 300:
        cause = response.body.decode("utf-8", errors="replace")
        return TaskOutcome(False, error=f"ApiGateway.{response.status}", cause=cause)
    if resource.waits_for_task_token:
        return TaskOutcome(True, submitted_output=output, awaiting_callback=True)
    return TaskOutcome(True, output=output)


def register() -> None:
    """Serve ``apigateway:invoke``."""
    register_integration("apigateway", invoke)
