"""Task Resource ARNs AWS recognises (interpreter.definition.resources)."""

from __future__ import annotations

import pytest

from interpreter.definition.resources import (
    REQUEST_RESPONSE,
    SYNC,
    WAIT_FOR_TASK_TOKEN,
    parse_task_resource,
)

_LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:my_fn"
_ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:work"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        # (kind, pattern, service, action, sync version, region, resourceType, resource)
        (
            _LAMBDA,
            ("lambda_function", REQUEST_RESPONSE, None, None, 0, "us-east-1", "lambda", _LAMBDA),
        ),
        (
            "arn:aws:lambda:us-east-1:111111111111:function:my-fn:prod",
            ("lambda_function", REQUEST_RESPONSE, None, None, 0, "us-east-1", "lambda", None),
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:111111111111:function:f:$LATEST",
            ("lambda_function", REQUEST_RESPONSE, None, None, 0, "cn-north-1", "lambda", None),
        ),
        (
            _ACTIVITY,
            ("activity", REQUEST_RESPONSE, None, None, 0, "us-east-1", "activity", _ACTIVITY),
        ),
        (
            "arn:aws:states:::lambda:invoke",
            ("optimized", REQUEST_RESPONSE, "lambda", "invoke", 0, None, "lambda", "invoke"),
        ),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            (
                "optimized",
                WAIT_FOR_TASK_TOKEN,
                "lambda",
                "invoke",
                0,
                None,
                "lambda",
                "invoke.waitForTaskToken",
            ),
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            (
                "optimized",
                SYNC,
                "states",
                "startExecution",
                2,
                None,
                "states",
                "startExecution.sync:2",
            ),
        ),
        (
            "arn:aws-us-gov:states:::dynamodb:putItem",
            ("optimized", REQUEST_RESPONSE, "dynamodb", "putItem", 0, None, "dynamodb", "putItem"),
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:query",
            (
                "aws_sdk",
                REQUEST_RESPONSE,
                "dynamodb",
                "query",
                0,
                None,
                "aws-sdk:dynamodb",
                "query",
            ),
        ),
        (
            "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
            (
                "aws_sdk",
                WAIT_FOR_TASK_TOKEN,
                "s3",
                "listBuckets",
                0,
                None,
                "aws-sdk:s3",
                "listBuckets.waitForTaskToken",
            ),
        ),
        (
            "arn:aws:states:::sagemaker:createTrainingJob.sync",
            (
                "optimized",
                SYNC,
                "sagemaker",
                "createTrainingJob",
                1,
                None,
                "sagemaker",
                "createTrainingJob.sync",
            ),
        ),
    ],
)
def test_recognised_resources(arn: str, expected: tuple[object, ...]) -> None:
    resource = parse_task_resource(arn)
    assert resource is not None
    kind, pattern, service, action, sync_version, region, resource_type, label = expected
    assert resource.arn == arn
    assert (resource.kind, resource.pattern, resource.service, resource.action) == (
        kind,
        pattern,
        service,
        action,
    )
    assert (resource.sync_version, resource.region) == (sync_version, region)
    # What the history shows for it (resourceType and resource; a function's is its ARN).
    assert resource.resource_type == resource_type
    assert resource.resource == (label or arn)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:states:::dynamodb:query",  # AWS's recorded refusal: query is an SDK-only action
        "arn:aws:states:::dynamodb:getItem.sync",  # DynamoDB has no .sync pattern
        "arn:aws:states:::sns:publish.sync",
        "arn:aws:states:::aws-sdk:s3:listBuckets.sync",  # SDK integrations have no .sync
        "arn:aws:states:::nosuchservice:doIt",
        "arn:aws:states:::lambda:invoke.somethingElse",
        "arn:aws:states:::lambda",
        "arn:aws:sqs:us-east-1:111111111111:queue",
        "my-function",
        "",
    ],
)
def test_unrecognised_resources(arn: str) -> None:
    assert parse_task_resource(arn) is None
