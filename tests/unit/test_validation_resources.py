"""Task Resource ARNs AWS recognises (interpreter.definition.resources)."""

from __future__ import annotations

import pytest

from interpreter.definition.resources import (
    REQUEST_RESPONSE,
    SYNC,
    WAIT_FOR_TASK_TOKEN,
    TaskResource,
    parse_task_resource,
)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:lambda:us-east-1:111111111111:function:my_fn",
            TaskResource("lambda_function", REQUEST_RESPONSE),
        ),
        (
            "arn:aws:lambda:us-east-1:111111111111:function:my-fn:prod",
            TaskResource("lambda_function", REQUEST_RESPONSE),
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:111111111111:function:f:$LATEST",
            TaskResource("lambda_function", REQUEST_RESPONSE),
        ),
        (
            "arn:aws:states:us-east-1:111111111111:activity:work",
            TaskResource("activity", REQUEST_RESPONSE),
        ),
        (
            "arn:aws:states:::lambda:invoke",
            TaskResource("optimized", REQUEST_RESPONSE, "lambda", "invoke"),
        ),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            TaskResource("optimized", WAIT_FOR_TASK_TOKEN, "lambda", "invoke"),
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            TaskResource("optimized", SYNC, "states", "startExecution"),
        ),
        (
            "arn:aws-us-gov:states:::dynamodb:putItem",
            TaskResource("optimized", REQUEST_RESPONSE, "dynamodb", "putItem"),
        ),
        (
            "arn:aws:states:::aws-sdk:dynamodb:query",
            TaskResource("aws_sdk", REQUEST_RESPONSE, "dynamodb", "query"),
        ),
        (
            "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
            TaskResource("aws_sdk", WAIT_FOR_TASK_TOKEN, "s3", "listBuckets"),
        ),
        (
            "arn:aws:states:::sagemaker:createTrainingJob.sync",
            TaskResource("optimized", SYNC, "sagemaker", "createTrainingJob"),
        ),
    ],
)
def test_recognised_resources(arn: str, expected: TaskResource) -> None:
    assert parse_task_resource(arn) == expected


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
