"""``asl serve``: the Step Functions API over HTTP, in AWS's JSON 1.0 protocol.

boto3 and the AWS CLI talk to it unchanged with ``endpoint_url=http://localhost:8083``: each
request is a ``POST /`` whose ``X-Amz-Target`` header names the action
(``AWSStepFunctions.StartExecution``) and whose body is the request as JSON. Responses carry
timestamps as epoch seconds; errors are HTTP 400 with ``{"__type": code, "message": text}``.

(botocore prefixes the host with ``sync-`` for StartSyncExecution; locally, create the client
with ``botocore.config.Config(inject_host_prefix=False)``.)

Local security (a port on a developer's machine is reachable from every web page the developer
opens, through the browser):

* the ``Host`` header must name this machine — a loopback name, an IP address, the ``--host``
  name or one of ``allowed_hosts`` — so a page served from another name that DNS-rebinds to
  127.0.0.1 is refused (403);
* no CORS: no ``Access-Control-*`` header is ever sent, preflights (OPTIONS) are refused, and a
  request whose ``Origin`` is not the endpoint itself is refused (403);
* with a ``signing_key`` every API request must carry a valid SigV4 signature made with it
  (:mod:`interpreter.api.sigv4`); ``asl serve`` says loudly when it runs without one.

The HTTP framing — limits, timeouts, bounded concurrency — is :mod:`interpreter.api.http`'s.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from interpreter.api.authorization import Caller
from interpreter.api.errors import StepFunctionsError
from interpreter.api.http import HttpServer, Limits, Request, Response
from interpreter.api.service import StepFunctionsService
from interpreter.api.sigv4 import SigningKey, check_signature
from interpreter.json_types import TooDeeplyNestedError, parse_json_bounded
from interpreter.limits import MAX_REQUEST_DEPTH

_TARGET_PREFIX = "AWSStepFunctions."
#: ``POST`` here empties the endpoint (:meth:`StepFunctionsService.reset`).
RESET_PATH = "/asl/reset"
_CONTENT_TYPE = "application/x-amz-json-1.0"
#: How AWS's front end answers a body it cannot deserialise: the code alone, no message.
_SERIALIZATION_FAILURE = b'{"__type":"com.amazon.coral.service#SerializationException"}'
_log = logging.getLogger("interpreter.api.server")


def _encode(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def answer(
    service: StepFunctionsService, target: str, body: bytes, caller: Caller | None = None
) -> tuple[int, bytes]:
    """One API request in the JSON 1.0 protocol: ``X-Amz-Target`` and the body in, the HTTP
    status and response body out (``asl serve`` and the serverless API function share it;
    there ``caller`` is who the function URL's IAM authentication says signed the request).

    The body is read as AWS reads it: UTF-8 JSON whose top level is an object, nested no deeper
    than the model's shapes allow (checked before parsing, so nothing recurses on it); anything
    else is a ``SerializationException``.
    """
    if not target.startswith(_TARGET_PREFIX):
        return _error(400, "UnknownOperationException", target)
    action = target[len(_TARGET_PREFIX) :]
    request = _request_body(body)
    if request is None:
        return 400, _SERIALIZATION_FAILURE
    try:
        response = service.call(action, request, caller)
    except StepFunctionsError as problem:
        return 400, json.dumps(problem.to_json()).encode()
    except (ValueError, TypeError) as problem:
        return _error(400, "ValidationException", str(problem))
    except Exception:  # never a traceback to the caller
        _log.exception("%s failed", action)
        return _error(500, "InternalServerError", "Internal error")
    return 200, json.dumps(response, default=_encode).encode()


def _request_body(body: bytes) -> dict[str, Any] | None:
    """The request's members, or None when the body cannot be deserialised."""
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
        request = parse_json_bounded(text, MAX_REQUEST_DEPTH)
    except (UnicodeDecodeError, TooDeeplyNestedError, ValueError, RecursionError):
        return None
    return request if isinstance(request, dict) else None


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"__type": code, "message": message}).encode()


# ---------------------------------------------------------------------- GET: the viewer's door


def viewer_response(service: StepFunctionsService, request: Request) -> Response | None:
    """THE place where GET and HEAD requests are handed to the web viewer
    (:mod:`interpreter.viewer.http`: ``GET /``, ``GET /viewer/...``): its response, or None for
    "no such page", which the endpoint answers with a JSON error."""
    from interpreter.viewer.http import viewer_response as answer_page

    answer = answer_page(service, request.method, request.target, request.headers)
    if answer is None:
        return None
    status, headers, body = answer
    extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    content_type = next(
        (value for name, value in headers.items() if name.lower() == "content-type"),
        _CONTENT_TYPE,
    )
    return Response(
        status,
        body if request.method == "GET" else b"",
        content_type,
        headers=list(extra.items()),
    )


# ---------------------------------------------------------------------- the endpoint


class _Endpoint:
    """Turns HTTP requests into API calls, after the local security checks."""

    def __init__(
        self,
        service: StepFunctionsService,
        allowed_hosts: frozenset[str],
        signing_key: SigningKey | None,
        forward: Callable[[Request], Response] | None = None,
    ) -> None:
        self.service = service
        self.allowed_hosts = allowed_hosts
        self.signing_key = signing_key
        #: Where API requests go instead of the service (the API function of the serverless
        #: deployment, behind its function URL).
        self.forward = forward

    def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        response = self._answer(request)
        # One line per request: the action, the HTTP status and how long it took.
        target = request.headers.get("x-amz-target", "").removeprefix(_TARGET_PREFIX)
        if request.target == RESET_PATH:
            target = "Reset"
        _log.info(
            "%s %d %.1f ms",
            target or f"{request.method} {request.target}",
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def _answer(self, request: Request) -> Response:
        host = request.headers.get("host", "")
        if not host_allowed(host, self.allowed_hosts):
            return _json_response(
                403,
                "AccessDeniedException",
                f"Host '{host}' is not allowed: this endpoint answers loopback names, IP "
                "addresses and the names given with --host or --allow-host (a defence against "
                "DNS rebinding)",
            )
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return _json_response(
                403, "AccessDeniedException", f"Cross-origin requests are refused: '{origin}'"
            )
        if request.method in ("GET", "HEAD"):
            page = viewer_response(self.service, request)
            if page is not None:
                return page
        if request.method != "POST":
            refused = _json_response(
                405,
                "UnknownOperationException",
                f"{request.method} is not an operation of this endpoint: the Step Functions "
                "API takes POST requests",
            )
            refused.headers.append(("Allow", "POST"))
            return refused
        if self.signing_key is not None:
            refusal = check_signature(
                self.signing_key,
                method=request.method,
                target=request.target,
                headers=request.headers,
                body=request.body,
                region=self.service.region,
            )
            if refusal is not None:
                return _json_response(400, refusal.code, refusal.message)
        if request.target == RESET_PATH:
            # Not an AWS action: tests in any language empty the endpoint between cases.
            try:
                self.service.reset()
            except ValueError as problem:
                return _json_response(400, "ValidationException", str(problem))
            return Response(200, b"{}", _CONTENT_TYPE, [("x-amzn-RequestId", str(uuid.uuid4()))])
        if self.forward is not None:
            return self.forward(request)
        status, payload = answer(
            self.service, request.headers.get("x-amz-target", ""), request.body
        )
        return Response(status, payload, _CONTENT_TYPE, [("x-amzn-RequestId", str(uuid.uuid4()))])


def _json_response(status: int, code: str, message: str) -> Response:
    _, body = _error(status, code, message)
    return Response(status, body, _CONTENT_TYPE, [("x-amzn-RequestId", str(uuid.uuid4()))])


def _framing_error_body(status: int, message: str) -> bytes:
    from http import HTTPStatus

    code = HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    return _error(status, code, message)[1]


def host_allowed(host: str, allowed: Iterable[str] = ()) -> bool:
    """Whether a ``Host`` header names this endpoint: a loopback name (``localhost``,
    ``*.localhost``), an IP address (a name only DNS can rebind), or one of ``allowed``."""
    name = _host_name(host)
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost") or name in allowed:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.rstrip(".")


def make_server(
    service: StepFunctionsService,
    host: str,
    port: int,
    *,
    allowed_hosts: Iterable[str] = (),
    signing_key: SigningKey | None = None,
    limits: Limits | None = None,
    forward: Callable[[Request], Response] | None = None,
) -> HttpServer:
    """An HTTP server (bound, not yet serving) for ``service`` on ``host:port``.

    ``allowed_hosts``: names besides loopback names and IP addresses that requests may give in
    ``Host`` (``host`` itself is one). ``signing_key``: require SigV4 signatures made with it.
    ``forward``: hand API requests to it (after the checks) instead of answering them here.
    """
    names = {_host_name(name) for name in allowed_hosts}
    names.add(_host_name(host))
    endpoint = _Endpoint(service, frozenset(names), signing_key, forward)
    return HttpServer(
        host,
        port,
        endpoint,
        limits=limits,
        error_body=_framing_error_body,
        error_content_type=_CONTENT_TYPE,
    )
