"""The API function as template.yaml configures it (``API_AUTHORIZATION=iam``,
``TASK_ROLES=assume``): a function-URL request is authorized with the IAM policies of the caller
the URL names, and the deployment runs Tasks as their roles. On moto's DynamoDB, SQS and IAM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from interpreter.adapters.aws_services import Boto3ServiceInvoker
from interpreter.adapters.dynamodb_store import table_definition

ACCOUNT = "123456789012"


class _Context:
    function_name = "asl-api"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:asl-api"
    aws_request_id = "request"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "ACCOUNT_ID": ACCOUNT,
        "TABLE_NAME": "asl-table",
        "API_AUTHORIZATION": "iam",
        "TASK_ROLES": "assume",
    }.items():
        monkeypatch.setenv(name, value)
    from handlers import deployment as module

    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition("asl-table"))
        queue = boto3.client("sqs").create_queue(QueueName="asl-work")["QueueUrl"]
        monkeypatch.setenv("QUEUE_URL", queue)
        iam = boto3.client("iam")
        iam.create_user(UserName="alice")
        iam.put_user_policy(
            UserName="alice",
            PolicyName="list",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "states:ListStateMachines", "Resource": "*"}
                    ],
                }
            ),
        )
        iam.create_user(UserName="bob")
        for cached in (module.deployment, module.service, module.queue_client):
            cached.cache_clear()
        from handlers.api import handler

        yield handler
        for cached in (module.deployment, module.service, module.queue_client):
            cached.cache_clear()


def _request(handler: Any, action: str, user: str | None) -> tuple[int, dict[str, Any]]:
    """A function-URL event (payload 2.0) as Lambda passes it after IAM authentication."""
    event: dict[str, Any] = {
        "headers": {"x-amz-target": f"AWSStepFunctions.{action}"},
        "body": "{}",
        "isBase64Encoded": False,
    }
    if user is not None:
        event["requestContext"] = {
            "authorizer": {
                "iam": {
                    "accessKey": "AKIAEXAMPLE",
                    "accountId": ACCOUNT,
                    "callerId": "AIDAEXAMPLE",
                    "userArn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                    "userId": "AIDAEXAMPLE",
                }
            }
        }
    response = handler(event, _Context())
    return response["statusCode"], json.loads(response["body"])


def test_the_api_function_authorizes_each_request_with_the_caller_s_iam_policies(api: Any) -> None:
    status, body = _request(api, "ListStateMachines", "alice")
    assert (status, body) == (200, {"stateMachines": []})
    status, body = _request(api, "ListStateMachines", "bob")
    assert status == 400
    assert body == {
        "__type": "AccessDeniedException",
        "message": (
            f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
            "states:ListStateMachines on resource: * because no identity-based policy allows "
            "the states:ListStateMachines action"
        ),
    }
    status, body = _request(api, "ListStateMachines", None)
    assert status == 400
    assert body["__type"] == "AccessDeniedException"


def test_the_deployment_runs_tasks_as_their_roles(api: Any) -> None:
    from handlers.deployment import deployment

    boto3_invokers = [
        invoker
        for invoker in deployment().tasks.invokers
        if isinstance(invoker, Boto3ServiceInvoker)
    ]
    assert boto3_invokers
    assert all(invoker.roles is not None for invoker in boto3_invokers)
