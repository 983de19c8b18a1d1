"""Faults injected into the AWS calls of the local cloud's function processes.

The reliability tests put this directory first on the processes' ``PYTHONPATH``; Python imports
``sitecustomize`` at start-up, and this one hooks every botocore client the process makes. With
``ASL_FAULTS`` set (JSON: ``{"seed": N, "rates": {"dynamodb": {KIND: P}, "sqs": {...}}, "log":
PATH}``) each call to those services may, with probability P:

* ``throttle`` — be refused with the service's throttling error (400), untouched;
* ``server_error`` — be refused with a 500 (InternalServerError / InternalFailure), untouched;
* ``lost_answer`` — reach the service and take effect, its answer lost on the way back (the
  client sees a read timeout): the ambiguous outcome that makes a retry repeat a write;
* ``duplicate`` (SQS SendMessage) — the message is sent twice: a duplicated delivery;
* ``reorder`` (SQS SendMessage) — the message is delayed a second or two, so later ones overtake
  it (the request is changed after signing: moto's server does not check signatures).

botocore's own retries see these as they see the real ones; what they do not absorb reaches the
runtime. Each injected fault is one line in the log (process id, service, operation, kind, time).
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

_CONFIG = os.environ.get("ASL_FAULTS")

_THROTTLES = {
    "dynamodb": ("ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "sqs": ("ThrottlingException", "Rate exceeded"),
}
_SERVER_ERRORS = {
    "dynamodb": ("InternalServerError", "Internal server error"),
    "sqs": ("InternalFailure", "We encountered an internal error. Please try again."),
}


class _Body:
    """The raw body botocore reads an answer from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_ignored: Any) -> Any:
        yield self._content


def _delay(request: Any, seconds: int) -> None:
    """Make a SendMessage request (SQS's JSON protocol) deliver its message ``seconds`` late."""
    body = json.loads(request.body)
    body["DelaySeconds"] = max(int(body.get("DelaySeconds", 0)), seconds)
    request.body = json.dumps(body).encode()
    request.headers["Content-Length"] = str(len(request.body))


def _install(config: dict[str, Any]) -> None:
    import botocore.session
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ReadTimeoutError
    from botocore.httpsession import URLLib3Session

    rates: dict[str, dict[str, float]] = config.get("rates", {})
    rng = random.Random(f"{config.get('seed', 0)}:{os.getpid()}")
    log_path = config.get("log")
    direct = URLLib3Session()

    def note(service: str, operation: str, kind: str) -> None:
        if log_path:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {service} {operation} {kind} {time.time():.3f}\n")

    def answer(request: Any, status: int, code: str, message: str) -> Any:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {
            "x-amzn-RequestId": "injected-fault",
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-query-error": f"{code};{'Sender' if status < 500 else 'Receiver'}",
        }
        return AWSResponse(request.url, status, headers, _Body(body))

    def before_send(request: Any, event_name: str = "", **_ignored: Any) -> Any:
        _, service, operation = ([*event_name.split("."), "", ""])[:3]
        service_rates = rates.get(service)
        if not service_rates:
            return None
        draw = rng.random()
        for kind, rate in service_rates.items():
            if draw >= rate:
                draw -= rate
                continue
            sends = operation == "SendMessage"
            if kind in ("duplicate", "reorder") and not sends:
                return None
            note(service, operation, kind)
            if kind == "throttle":
                return answer(request, 400, *_THROTTLES[service])
            if kind == "server_error":
                return answer(request, 500, *_SERVER_ERRORS[service])
            if kind == "lost_answer":
                direct.send(request)  # it takes effect...
                raise ReadTimeoutError(endpoint_url=request.url)  # ...its answer is lost
            if kind == "duplicate":
                direct.send(request)  # and again, as the client goes on
            if kind == "reorder":
                _delay(request, rng.randint(1, 2))
            return None
        return None

    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-send", before_send)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


if _CONFIG:
    _install(json.loads(_CONFIG))
