"""The work queue's consumer: each SQS message is a ``decide`` or a ``task`` for one execution.

A message that fails goes back to the queue (partial batch response) and, after the queue's
``maxReceiveCount``, to the dead-letter queue; the rest of the batch succeeds. The runtime is
told each message's receive count, so a decision or a task that keeps failing ends (its
execution fails, or its task, with ``States.Runtime``) before the message is dead-lettered.
Near the end of the function's time the worker stops taking messages and hands the rest back,
so no message is cut off half-way (a half-done one would be redone from its last commit
anyway).
"""

from __future__ import annotations

import json
from typing import Any, Final

from aws_lambda_powertools import Logger

from handlers.deployment import runtime
from interpreter.core.messages import parse_message

logger = Logger(service="asl-worker")

#: Time kept in hand when deciding whether to take one more message.
RESERVE_MS: Final = 30_000


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process an SQS batch; returns the messages to redeliver (``batchItemFailures``)."""
    work = runtime()
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record["messageId"]
        if failures and failures[-1].get("reason") == "time":
            failures.append({"itemIdentifier": message_id, "reason": "time"})
            continue
        if context.get_remaining_time_in_millis() < RESERVE_MS:
            failures.append({"itemIdentifier": message_id, "reason": "time"})
            continue
        try:
            message = parse_message(json.loads(record["body"]))
            work.handle(message, attempt=_receive_count(record))
        except Exception:  # the message goes back to the queue (then to the DLQ)
            logger.exception("work message failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id, "reason": "error"})
    return {"batchItemFailures": [{"itemIdentifier": f["itemIdentifier"]} for f in failures]}


def _receive_count(record: dict[str, Any]) -> int:
    """How many times SQS has delivered this message: the runtime ends a decision or fails a
    task that keeps failing on its last attempts instead of handing it back for ever."""
    try:
        return max(1, int(record.get("attributes", {}).get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1
