"""``asl serve``: the Step Functions API over HTTP, in AWS's JSON 1.0 protocol.

boto3 and the AWS CLI talk to it unchanged with ``endpoint_url=http://localhost:8083``: each
request is a ``POST /`` whose ``X-Amz-Target`` header names the action
(``AWSStepFunctions.StartExecution``) and whose body is the request as JSON. Responses carry
timestamps as epoch seconds; errors are HTTP 400 with ``{"__type": code, "message": text}``.

(botocore prefixes the host with ``sync-`` for StartSyncExecution; locally, create the client
with ``botocore.config.Config(inject_host_prefix=False)``.)
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interpreter.api.errors import StepFunctionsError, api_error
from interpreter.api.service import StepFunctionsService

_TARGET_PREFIX = "AWSStepFunctions."
#: ``POST`` here empties the endpoint (:meth:`StepFunctionsService.reset`).
RESET_PATH = "/asl/reset"
_CONTENT_TYPE = "application/x-amz-json-1.0"
_log = logging.getLogger("interpreter.api.server")


def _encode(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _Handler(BaseHTTPRequestHandler):
    service: StepFunctionsService
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug(format, *args)

    def do_POST(self) -> None:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b"{}"
        target = self.headers.get("X-Amz-Target", "")
        if self.path == RESET_PATH:
            # Not an AWS action: tests in any language empty the endpoint between cases.
            self.service.reset()
            status, payload, target = 200, b"{}", "Reset"
        else:
            status, payload = answer(self.service, target, body)
        self._reply(status, payload, request_id)
        # One line per request: the action, the HTTP status and how long it took.
        _log.info(
            "%s %d %.1f ms",
            target.removeprefix(_TARGET_PREFIX) or "-",
            status,
            (time.perf_counter() - started) * 1000,
        )

    def _reply(self, status: int, payload: bytes, request_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", _CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(payload)


def answer(service: StepFunctionsService, target: str, body: bytes) -> tuple[int, bytes]:
    """One API request in the JSON 1.0 protocol: ``X-Amz-Target`` and the body in, the HTTP
    status and response body out (``asl serve`` and the serverless API function share it)."""
    if not target.startswith(_TARGET_PREFIX):
        return _error(400, "UnknownOperationException", target)
    action = target[len(_TARGET_PREFIX) :]
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise api_error("SerializationException", "The request body must be an object")
        response = service.call(action, request)
    except StepFunctionsError as problem:
        return _error(400, problem.code, problem.message)
    except (ValueError, TypeError) as problem:
        return _error(400, "ValidationException", str(problem))
    except Exception:  # never a traceback to the caller
        _log.exception("%s failed", action)
        return _error(500, "InternalServerError", "Internal error")
    return 200, json.dumps(response, default=_encode).encode()


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"__type": code, "message": message}).encode()


def make_server(service: StepFunctionsService, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) for ``service`` on ``host:port``."""
    handler = type("StepFunctionsHandler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
