"""The work queue's consumer: each SQS message is a ``decide``, a ``task`` or a ``deliver`` for
one execution (:data:`interpreter.core.messages.Message`).

Powertools' batch utility reports the messages that failed (``batchItemFailures``): only those
come back — after 2, 4, 8... seconds (the worker sets a failed message's visibility), not after
the queue's long visibility timeout — then go to the dead-letter queue after the queue's
``maxReceiveCount``; the rest of the batch succeeds. The runtime is told each message's receive
count (its attempt number), so a decision or a task that keeps failing for an unexpected reason
ends — its execution fails, or its task, with ``States.Runtime`` — before the message is
dead-lettered; a store or queue out of reach never counts so. Near the end of the function's
time the worker stops taking messages and hands the rest back at once (visibility 0), so no
message is cut off half-way.

Each message is logged with its execution's ARN as the correlation id; the runtime's counters go
out as CloudWatch metrics (EMF): transitions, decisions, commits, commit conflicts, tasks and
their latency, redispatches, redeliveries.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers.deployment import queue_client, runtime, work_queue_url
from handlers.metrics import publish_counters
from interpreter.core.messages import parse_message

logger = Logger(service="asl-worker")
metrics = Metrics(namespace="AslInterpreter", service="asl-worker")
# Only the AWS SDK is patched: its calls are what a trace shows (patching every library
# Powertools knows would import requests and sqlite3 into a cold start).
tracer = Tracer(service="asl-worker", patch_modules=("botocore",))
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

#: Time kept in hand when deciding whether to take one more message.
RESERVE_MS: Final = 30_000
#: A failed message's first wait before it comes back, doubled at each attempt up to the max.
RETRY_BASE_S: Final = 2
RETRY_MAX_S: Final = 300


class TimeIsUpError(Exception):
    """The function is near its time limit: the message goes back to the queue untouched."""


@tracer.capture_lambda_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process an SQS batch; returns the messages to redeliver (``batchItemFailures``)."""
    work = runtime()
    before = work.counters.snapshot()
    metrics.add_metric(name="Messages", unit=MetricUnit.Count, value=len(event.get("Records", [])))

    def record_handler(record: SQSRecord) -> None:
        if context.get_remaining_time_in_millis() < RESERVE_MS:
            _hand_back(record)
            raise TimeIsUpError(record.message_id)
        message = parse_message(json.loads(record.body))
        logger.set_correlation_id(message["arn"])
        attempt = int(record.attributes.approximate_receive_count or 1)
        if attempt > 1:
            metrics.add_metric(name="Redeliveries", unit=MetricUnit.Count, value=1)
        try:
            work.handle(message, attempt)
        except Exception:
            _retry_soon(record, attempt)
            raise

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    publish_counters(metrics, before, work.counters.snapshot())
    return dict(response)


def _retry_soon(record: SQSRecord, attempt: int) -> None:
    """A message that failed comes back after a short, doubling wait (2, 4, 8 ... s, at most
    five minutes) rather than after the queue's visibility timeout (90 minutes): a store that
    was out of reach for a moment costs seconds."""
    delay = min(RETRY_BASE_S * 2 ** (attempt - 1), RETRY_MAX_S)
    try:
        queue_client().change_message_visibility(
            QueueUrl=work_queue_url(), ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
    except Exception:  # it comes back after the visibility timeout instead
        logger.warning("could not shorten a failed message's wait", extra={"attempt": attempt})


def _hand_back(record: SQSRecord) -> None:
    """Make a message visible again at once (the next batch takes it)."""
    try:
        queue_client().change_message_visibility(
            QueueUrl=work_queue_url(), ReceiptHandle=record.receipt_handle, VisibilityTimeout=0
        )
    except Exception:  # it comes back after the visibility timeout instead
        logger.warning("could not hand a message back", extra={"message_id": record.message_id})
