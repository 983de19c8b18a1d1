"""The HTTP Task: ``arn:aws:states:::http:invoke`` calls an HTTPS API.

``ApiEndpoint`` (the URL), ``Method``, ``Headers``, ``QueryParameters``, ``RequestBody`` (JSON,
or form-encoded with ``Transform.RequestBodyEncoding: URL_ENCODED`` and
``RequestEncodingOptions.ArrayFormat`` INDICES — the default —, REPEAT, COMMAS or BRACKETS).
``Authentication.ConnectionArn`` names an EventBridge connection: its authorization (API key or
basic; the secret read from Secrets Manager, where EventBridge keeps it) and its invocation
parameters (headers, query string, body) join the request, the connection's winning where both
set a key. The output is ``{"Headers", "ResponseBody", "StatusCode", "StatusText"}``; a status
outside 2xx fails the task with ``States.Http.StatusCode.<status>`` (the output as the cause),
a connection that cannot be made with ``States.Http.Socket``.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

from interpreter.adapters.aws_calls import (
    ServiceCaller,
    ServiceError,
    region_of,
    register_integration,
)
from interpreter.adapters.integrations.web import WebError, send
from interpreter.core.history import to_json_text
from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON
from interpreter.runtime.ports import TaskOutcome


def _form_pairs(prefix: str, value: JSON, array_format: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _form_pairs(f"{prefix}[{key}]" if prefix else key, item, array_format)
    elif isinstance(value, list):
        if array_format == "COMMAS":
            yield prefix, ",".join(_scalar(item) for item in value)
            return
        for index, item in enumerate(value):
            name = {
                "REPEAT": prefix,
                "BRACKETS": f"{prefix}[]",
            }.get(array_format, f"{prefix}[{index}]")
            yield from _form_pairs(name, item, array_format)
    else:
        yield prefix, _scalar(value)


def _scalar(value: JSON) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return to_json_text(value)
    return str(value)


def _body(parameters: Mapping[str, Any], headers: dict[str, str]) -> bytes | None:
    if "RequestBody" not in parameters:
        return None
    payload = parameters["RequestBody"]
    transform = parameters.get("Transform")
    encoding = transform.get("RequestBodyEncoding") if isinstance(transform, dict) else None
    if encoding == "URL_ENCODED":
        options = transform.get("RequestEncodingOptions") if isinstance(transform, dict) else None
        array_format = (options or {}).get("ArrayFormat", "INDICES")
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        pairs = list(_form_pairs("", payload, array_format))
        return urllib.parse.urlencode(pairs).encode("utf-8")
    headers.setdefault("Content-Type", "application/json")
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return to_json_text(payload).encode("utf-8")


def _connection(
    invoker: ServiceCaller, arn: str, region: str, role_arn: str | None
) -> dict[str, Any]:
    """The connection's authorization and invocation parameters, secrets included."""
    name = arn.split(":connection/", 1)[-1].split("/", 1)[0]
    events = invoker.client("events", region, role_arn)
    try:
        described: dict[str, Any] = events.describe_connection(Name=name)
    except Exception as problem:  # botocore's ClientError and connection failures
        raise ServiceError("ResourceNotFoundException", f"Connection {arn}: {problem}") from None
    secret: dict[str, Any] = {}
    if described.get("SecretArn"):
        manager = invoker.client("secretsmanager", region, role_arn)
        try:
            text = manager.get_secret_value(SecretId=described["SecretArn"])["SecretString"]
            secret = json.loads(text)
        except Exception:  # the secret is unreadable: the connection's visible values stand
            secret = {}
    return {"described": described, "secret": secret}


def _apply_connection(
    connection: Mapping[str, Any], headers: dict[str, str], query: dict[str, str]
) -> dict[str, Any]:
    """Add the connection's authorization and parameters; return its body parameters."""
    described, secret = connection["described"], connection["secret"]
    parameters = described.get("AuthParameters") or {}
    kind = described.get("AuthorizationType")
    if kind == "API_KEY":
        api_key = parameters.get("ApiKeyAuthParameters") or {}
        name = secret.get("api_key_name") or api_key.get("ApiKeyName")
        value = secret.get("api_key_value") or api_key.get("ApiKeyValue") or ""
        if name:
            headers[str(name)] = str(value)
    elif kind == "BASIC":
        basic = parameters.get("BasicAuthParameters") or {}
        user = secret.get("username") or basic.get("Username") or ""
        password = secret.get("password") or basic.get("Password") or ""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif kind is not None:
        raise ValueError(f"{kind} connections are not supported by local runs")
    invocation = parameters.get("InvocationHttpParameters") or {}
    for entry in invocation.get("HeaderParameters") or []:
        headers[str(entry.get("Key"))] = str(entry.get("Value"))
    for entry in invocation.get("QueryStringParameters") or []:
        query[str(entry.get("Key"))] = str(entry.get("Value"))
    return {str(e.get("Key")): e.get("Value") for e in invocation.get("BodyParameters") or []}


def invoke(
    invoker: ServiceCaller,
    resource: TaskResource,
    command: Mapping[str, Any],
    now_ms: int,
    role_arn: str | None,
) -> TaskOutcome | None:
    """Run an HTTP Task."""
    if resource.action != "invoke":
        return None
    parameters = command.get("input")
    if not isinstance(parameters, dict) or not parameters.get("ApiEndpoint"):
        return TaskOutcome(False, error="States.Runtime", cause="ApiEndpoint is required")
    method = str(parameters.get("Method") or "GET").upper()
    headers = {str(k): _scalar(v) for k, v in (parameters.get("Headers") or {}).items()}
    headers.setdefault("User-Agent", f"Amazon|StepFunctions|HttpInvoke|{region_of(resource)}")
    query = {str(k): _scalar(v) for k, v in (parameters.get("QueryParameters") or {}).items()}
    try:
        authentication = parameters.get("Authentication") or {}
        extra_body: dict[str, Any] = {}
        if authentication.get("ConnectionArn"):
            connection = _connection(
                invoker, str(authentication["ConnectionArn"]), region_of(resource), role_arn
            )
            extra_body = _apply_connection(connection, headers, query)
        if extra_body and isinstance(parameters.get("RequestBody", {}), dict):
            parameters = {
                **parameters,
                "RequestBody": {**parameters.get("RequestBody", {}), **extra_body},
            }
        body = _body(parameters, headers)
    except ServiceError as problem:
        return TaskOutcome(False, error="States.Runtime", cause=problem.message)
    except ValueError as problem:
        return TaskOutcome(False, error="States.Runtime", cause=str(problem))
    url = str(parameters["ApiEndpoint"])
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    try:
        response = send(method, url, headers, body)
    except WebError as problem:
        return TaskOutcome(False, error="States.Http.Socket", cause=str(problem))
    output = {
        "Headers": response.header_lists(),
        "ResponseBody": response.body_value(),
        "StatusCode": response.status,
        "StatusText": response.reason,
    }
    if not 200 <= response.status < 300:
        return TaskOutcome(
            False,
            error=f"States.Http.StatusCode.{response.status}",
            cause=to_json_text(output),
        )
    return TaskOutcome(True, output=output)


def register() -> None:
    """Serve ``http:invoke``."""
    register_integration("http", invoke)
