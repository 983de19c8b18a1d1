"""The serverless deployment the handlers share: one per Lambda container, built on first use.

Environment (set by ``template.yaml``): ``TABLE_NAME`` (the DynamoDB table), ``QUEUE_URL`` (the
work queue), ``ACCOUNT_ID``, ``RETENTION_DAYS``, ``TASK_ROLES=assume`` (Tasks run as their
state machine's role, assumed through STS: never as the function's own role),
``API_AUTHORIZATION=iam`` (each API request is authorized by the caller's IAM policies:
:mod:`interpreter.adapters.iam_authorizer`), and Lambda's own ``AWS_REGION``. The local
serverless cloud (``asl serve --serverless``) also sets ``ASL_LAMBDAS`` (local Python handlers
that stand in for Lambda functions, as ``asl serve --lambda`` takes them), ``SFN_MOCK_CONFIG``
(Step Functions Local's mock configuration) and ``ASL_DISPATCH_GRACE_MS`` /
``ASL_CLAIM_LEASE_MS`` (the runtime's patience, shortened by the reliability tests).
"""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any

from interpreter.adapters.assumed_roles import AssumedRoles
from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.dynamodb_store import DynamoDbStore
from interpreter.adapters.sqs_queue import SqsQueue
from interpreter.app import Deployment, serverless_deployment
from interpreter.runtime.durable import DurableRuntime, Timing

if TYPE_CHECKING:
    from interpreter.adapters.mock_config import MockConfig
    from interpreter.api.authorization import Authorizer
    from interpreter.api.service import StepFunctionsService


def _client(service: str) -> Any:
    import boto3

    from interpreter.adapters.aws_services import client_config

    # boto3's stubs overload client() per literal service name; ours is a variable.
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=os.environ["AWS_REGION"], config=client_config(service)
    )


@functools.cache
def queue_client() -> Any:
    """The SQS client of this container."""
    return _client("sqs")


def work_queue_url() -> str:
    """The work queue's URL."""
    return os.environ["QUEUE_URL"]


def _timing() -> Timing:
    defaults = Timing()
    return Timing(
        dispatch_grace_ms=int(os.environ.get("ASL_DISPATCH_GRACE_MS", defaults.dispatch_grace_ms)),
        claim_lease_ms=int(os.environ.get("ASL_CLAIM_LEASE_MS", defaults.claim_lease_ms)),
        child_check_ms=int(os.environ.get("ASL_CHILD_CHECK_MS", defaults.child_check_ms)),
    )


def _local_handlers() -> dict[str, Any]:
    specs = os.environ.get("ASL_LAMBDAS")
    if not specs:
        return {}
    from interpreter.cli_run import load_handlers

    return load_handlers(json.loads(specs))


def _mock_config() -> MockConfig | None:
    path = os.environ.get("SFN_MOCK_CONFIG")
    if not path:
        return None
    from interpreter.adapters.mock_config import MockConfig

    return MockConfig.load(path)


def _task_roles() -> AssumedRoles | None:
    """Where Tasks' roles are assumed (``TASK_ROLES=assume``); None: Tasks call AWS with the
    function's own credentials (the local serverless cloud, unless asked)."""
    if os.environ.get("TASK_ROLES") != "assume":
        return None
    return AssumedRoles(region=os.environ["AWS_REGION"])


@functools.cache
def deployment() -> Deployment:
    """DynamoDB and SQS, with AWS services called through boto3 (callbacks reach the API)."""
    return serverless_deployment(
        store=DynamoDbStore(
            _client("dynamodb"),
            os.environ["TABLE_NAME"],
            retention_s=int(float(os.environ.get("RETENTION_DAYS", "90")) * 86400),
        ),
        queue=SqsQueue(queue_client(), work_queue_url()),
        account=os.environ["ACCOUNT_ID"],
        region=os.environ["AWS_REGION"],
        invokers=[Boto3ServiceInvoker(callbacks=True, roles=_task_roles())],
        lambdas=_local_handlers(),
        mock_config=_mock_config(),
        timing=_timing(),
        service=service,
        # The local cloud on its own moto server: the --lambda handlers are all the functions.
        lambdas_are_all=os.environ.get("ASL_CLOUD_LAMBDAS_ARE_ALL") == "1",
    )


def runtime() -> DurableRuntime:
    """The durable runtime (the worker and the sweep need nothing else)."""
    return deployment().runtime


@functools.cache
def service() -> StepFunctionsService:
    """The Step Functions API over the deployment. Nothing is lost when a container starts (the
    sweep finds what is due), so nothing is recovered here."""
    from interpreter.app import open_service

    return open_service(deployment(), authorizer=_authorizer())


def _authorizer() -> Authorizer | None:
    """Who may call what (``API_AUTHORIZATION=iam``: the caller's IAM policies); None: anyone
    the function URL lets in may call everything (the local serverless cloud, unless asked)."""
    if os.environ.get("API_AUTHORIZATION") != "iam":
        return None
    from interpreter.adapters.iam_authorizer import IamAuthorizer

    return IamAuthorizer(_client("iam"), account=os.environ["ACCOUNT_ID"])
