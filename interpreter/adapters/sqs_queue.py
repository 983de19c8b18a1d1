"""The durable runtime's :class:`~interpreter.runtime.ports.Queue` on Amazon SQS.

A work message (``decide`` or ``task``) is the body of one SQS message, as JSON. A delay becomes
``DelaySeconds``, which SQS caps at 15 minutes: the runtime never asks for more (a longer timer
re-arms itself, ``MAX_QUEUE_DELAY_MS``), and the sub-second part rounds up, so a message is
never delivered before it is due. SQS delivers at least once; the runtime makes a repeated
message a no-op.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

from interpreter.json_types import JSON

#: The longest delay SQS accepts.
MAX_DELAY_SECONDS: Final = 900


class SqsQueue:
    """Work messages on the SQS queue ``queue_url`` (a boto3 ``sqs`` client)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, message: Mapping[str, JSON], delay_ms: int = 0) -> None:
        """Queue ``message``, visible ``delay_ms`` from now (rounded up to whole seconds)."""
        delay = min(MAX_DELAY_SECONDS, max(0, math.ceil(delay_ms / 1000)))
        self.client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(dict(message), separators=(",", ":")),
            DelaySeconds=delay,
        )
