"""The serverless deployment the handlers share: one per Lambda container, built on first use.

Environment (set by ``template.yaml``): ``TABLE_NAME`` (the DynamoDB table), ``QUEUE_URL`` (the
work queue), ``ACCOUNT_ID``, and Lambda's own ``AWS_REGION``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.dynamodb_store import DynamoDbStore
from interpreter.adapters.sqs_queue import SqsQueue
from interpreter.api.service import StepFunctionsService
from interpreter.app import Deployment, open_service, serverless_deployment
from interpreter.runtime.durable import DurableRuntime


def _client(service: str) -> Any:
    import boto3

    # boto3's stubs overload client() per literal service name; ours is a variable.
    return boto3.client(service, region_name=os.environ["AWS_REGION"])  # type: ignore[call-overload]


@functools.cache
def deployment() -> Deployment:
    """DynamoDB and SQS, with AWS services called through boto3 (callbacks reach the API)."""
    return serverless_deployment(
        store=DynamoDbStore(
            _client("dynamodb"),
            os.environ["TABLE_NAME"],
            retention_s=int(float(os.environ.get("RETENTION_DAYS", "90")) * 86400),
        ),
        queue=SqsQueue(_client("sqs"), os.environ["QUEUE_URL"]),
        account=os.environ["ACCOUNT_ID"],
        region=os.environ["AWS_REGION"],
        invokers=[Boto3ServiceInvoker(callbacks=True)],
    )


def runtime() -> DurableRuntime:
    """The durable runtime (the worker and the sweep need nothing else)."""
    return deployment().runtime


@functools.cache
def service() -> StepFunctionsService:
    """The Step Functions API over the deployment. Nothing is lost when a container starts (the
    sweep finds what is due), so nothing is recovered here."""
    return open_service(deployment())
