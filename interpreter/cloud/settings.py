"""The deployment's settings as ``template.yaml`` declares them, and the resources made from them.

One source of truth: these values are the template's (``tests/unit/test_template.py`` checks
that they agree), and :func:`provision` creates the table and the queues with them on any
DynamoDB- and SQS-compatible endpoint (moto's server, LocalStack, dynalite for the table).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, replace
from typing import Any

from interpreter.adapters.dynamodb_store import table_definition


@dataclass(frozen=True, slots=True)
class CloudSettings:
    """What ``template.yaml`` gives the functions, the table and the queues."""

    table_name: str = "asl-executions"
    queue_name: str = "asl-work"
    dead_letter_queue_name: str = "asl-work-dead-letters"
    #: WorkQueue VisibilityTimeout: at least six times the worker's timeout, as AWS advises.
    visibility_timeout_s: int = 5400
    #: WorkQueue RedrivePolicy maxReceiveCount: then the message goes to the dead letters.
    max_receive_count: int = 5
    #: WorkDeadLetterQueue MessageRetentionPeriod.
    dead_letter_retention_s: int = 1_209_600
    #: WorkerFunction's SQS event: BatchSize.
    batch_size: int = 10
    #: Function timeouts.
    api_timeout_s: int = 300
    worker_timeout_s: int = 900
    sweep_timeout_s: int = 60
    #: SweepFunction's schedule, rate(1 minute).
    sweep_rate_s: int = 60
    #: SweepFunction's SWEEP_INTERVAL_SECONDS: how often one run sweeps (``asl serve
    #: --serverless --sweep-seconds``' default).
    sweep_interval_s: float = 10.0
    #: Globals: MemorySize.
    memory_mb: int = 512
    #: RetentionDays' default.
    retention_days: int = 90

    def with_changes(self, **changes: Any) -> CloudSettings:
        """These settings with some changed (tests shorten the visibility timeout)."""
        return replace(self, **changes)


def provision(settings: CloudSettings, dynamodb: Any, sqs: Any) -> str:
    """Create the table and the queues if they are missing; returns the work queue's URL."""
    # A table that outlived an earlier run (a persistent DynamoDB) is kept.
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(**table_definition(settings.table_name))
    dynamodb.get_waiter("table_exists").wait(
        TableName=settings.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    dead_letters = sqs.create_queue(
        QueueName=settings.dead_letter_queue_name,
        Attributes={"MessageRetentionPeriod": str(settings.dead_letter_retention_s)},
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {
        "deadLetterTargetArn": dead_letter_arn,
        "maxReceiveCount": settings.max_receive_count,
    }
    work: str = sqs.create_queue(
        QueueName=settings.queue_name,
        Attributes={
            "VisibilityTimeout": str(settings.visibility_timeout_s),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return work


def dead_letter_queue_url(settings: CloudSettings, sqs: Any) -> str:
    """The dead-letter queue's URL."""
    url: str = sqs.get_queue_url(QueueName=settings.dead_letter_queue_name)["QueueUrl"]
    return url
