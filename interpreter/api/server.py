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
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interpreter.api.errors import StepFunctionsError, api_error
from interpreter.api.service import StepFunctionsService

_TARGET_PREFIX = "AWSStepFunctions."
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
        request_id = str(uuid.uuid4())
        target = self.headers.get("X-Amz-Target", "")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b"{}"
        if not target.startswith(_TARGET_PREFIX):
            self._reply(400, {"__type": "UnknownOperationException", "message": target}, request_id)
            return
        action = target[len(_TARGET_PREFIX) :]
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict):
                raise api_error("SerializationException", "The request body must be an object")
            response = self.service.call(action, request)
        except StepFunctionsError as problem:
            self._reply(400, {"__type": problem.code, "message": problem.message}, request_id)
            return
        except (ValueError, TypeError) as problem:
            self._reply(400, {"__type": "ValidationException", "message": str(problem)}, request_id)
            return
        except Exception:  # never a traceback to the caller
            _log.exception("%s failed", action)
            self._reply(
                500, {"__type": "InternalServerError", "message": "Internal error"}, request_id
            )
            return
        self._reply(200, response, request_id)

    def _reply(self, status: int, document: Any, request_id: str) -> None:
        payload = json.dumps(document, default=_encode).encode()
        self.send_response(status)
        self.send_header("Content-Type", _CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(payload)


def make_server(service: StepFunctionsService, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) for ``service`` on ``host:port``."""
    handler = type("StepFunctionsHandler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
