"""The processes of the local serverless cloud: ``python -m interpreter.cloud.process ROLE``.

Each process is configured by its environment, as a Lambda function is (``TABLE_NAME``,
``QUEUE_URL``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``...; :mod:`handlers.deployment`), plus
``ASL_CLOUD_*`` for the emulated service around it:

* ``api`` — the HTTP endpoint; every API request becomes a function-URL event for
  ``handlers.api.handler`` (the viewer's pages are served by the same process);
* ``worker`` — an SQS event-source mapping: ``ReceiveMessage`` up to the batch size, the batch
  to ``handlers.worker.handler`` with a Lambda context counting down from the function's
  timeout, then ``DeleteMessageBatch`` of the successes only (the failures come back after the
  queue's visibility timeout, then go to the dead-letter queue);
* ``sweep`` — ``handlers.sweep.handler`` on its schedule.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from interpreter.cloud.functions import (
    LambdaContext,
    function_url_event,
    http_answer,
    schedule_event,
    sqs_event,
)

_log = logging.getLogger("interpreter.cloud")

#: The line the API process prints once it listens (the supervisor reads the port from it).
READY = "asl-cloud-api-ready"


def _setting(name: str, default: str) -> str:
    return os.environ.get(f"ASL_CLOUD_{name}", default)


def _region() -> str:
    return os.environ.get("AWS_REGION", "us-east-1")


def _account() -> str:
    return os.environ.get("ACCOUNT_ID", "123456789012")


def run_api() -> None:
    """Serve the API function behind an HTTP endpoint, as a function URL does."""
    from handlers.api import handler
    from handlers.deployment import service
    from interpreter.api.http import Request, Response
    from interpreter.api.server import make_server

    timeout_s = float(_setting("API_TIMEOUT", "300"))
    allowed = [name for name in _setting("ALLOW_HOSTS", "").split(",") if name]

    def forward(request: Request) -> Response:
        event = function_url_event(
            request.method, request.target, request.headers, request.body, account=_account()
        )
        context = LambdaContext("asl-api", timeout_s, region=_region(), account=_account())
        answer = http_answer(handler(event, context))
        content_type = "application/x-amz-json-1.0"
        headers = []
        for name, value in answer.headers:
            if name.lower() == "content-type":
                content_type = value
            else:
                headers.append((name, value))
        return Response(answer.status, answer.body, content_type, headers)

    host = _setting("HOST", "127.0.0.1")
    server = make_server(
        service(), host, int(_setting("PORT", "0")), allowed_hosts=allowed, forward=forward
    )
    print(f"{READY} port={server.server_address[1]}", flush=True)
    server.serve_forever()


def run_worker() -> None:
    """Consume the work queue as Lambda's SQS event-source mapping does, one batch at a time."""
    import boto3

    from handlers.worker import handler

    sqs = boto3.client("sqs", region_name=_region())
    queue_url = os.environ["QUEUE_URL"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    batch_size = int(_setting("BATCH_SIZE", "10"))
    timeout_s = float(_setting("WORKER_TIMEOUT", "900"))
    while True:
        try:
            received: list[Any] = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=batch_size,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        except Exception:  # the queue's endpoint restarts: poll again
            _log.exception("ReceiveMessage failed")
            time.sleep(0.5)
            continue
        if received:
            _run_batch(sqs, handler, queue_url, queue_arn, received, timeout_s)


def _run_batch(
    sqs: Any,
    handler: Any,
    queue_url: str,
    queue_arn: str,
    received: list[Any],
    timeout_s: float,
) -> None:
    event = sqs_event(received, queue_arn, _region())
    context = LambdaContext("asl-worker", timeout_s, region=_region(), account=_account())
    try:
        answer = handler(event, context)
        failed = {entry["itemIdentifier"] for entry in answer.get("batchItemFailures") or []}
    except Exception:  # a function error: the whole batch comes back
        _log.exception("the worker function failed")
        return
    done = [message for message in received if message["MessageId"] not in failed]
    for start in range(0, len(done), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(done[start : start + 10])
        ]
        try:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:  # they come back after the visibility timeout: at least once
            _log.exception("DeleteMessageBatch failed")


def run_sweep() -> None:
    """Invoke the sweep function on its schedule."""
    from handlers.sweep import handler

    rate_s = float(_setting("SWEEP_RATE", "60"))
    timeout_s = float(_setting("SWEEP_TIMEOUT", "60"))
    rule = f"arn:aws:events:{_region()}:{_account()}:rule/asl-sweep"
    while True:
        started = time.monotonic()
        context = LambdaContext("asl-sweep", timeout_s, region=_region(), account=_account())
        try:
            handler(schedule_event(rule, _region(), _account()), context)
        except Exception:
            _log.exception("the sweep function failed")
        time.sleep(max(0.0, rate_s - (time.monotonic() - started)))


_ROLES = {"api": run_api, "worker": run_worker, "sweep": run_sweep}


def main(argv: list[str] | None = None) -> None:
    """``python -m interpreter.cloud.process api|worker|sweep``."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1 or arguments[0] not in _ROLES:
        raise SystemExit(f"usage: python -m interpreter.cloud.process {{{','.join(_ROLES)}}}")
    logging.basicConfig(
        level=os.environ.get("ASL_CLOUD_LOG_LEVEL", "WARNING"),
        format=f"%(asctime)s [{arguments[0]} %(process)d] %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The SDK's notes on where it found credentials and endpoints are not the cloud's news.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    _end_with_the_supervisor()
    _ROLES[arguments[0]]()


def _end_with_the_supervisor() -> None:
    """Exit when the process that started this one is gone (killed, even with ``kill -9``):
    a function process never outlives its ``asl serve --serverless``."""
    # The supervisor names itself: it may have died before this process got here, and then
    # the parent this process sees is already another.
    supervisor = int(os.environ.get("ASL_CLOUD_SUPERVISOR_PID") or os.getppid())

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="asl-cloud-supervisor-watch", daemon=True).start()


if __name__ == "__main__":
    main()
