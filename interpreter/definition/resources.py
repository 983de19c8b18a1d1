"""Task ``Resource`` ARNs: which ones AWS recognises, and their integration pattern.

A Task names its work with an ARN:

* ``arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`` — a Lambda function;
* ``arn:<partition>:states:<region>:<account>:activity:<name>`` — an activity;
* ``arn:<partition>:states:::<service>:<action>[.sync[:2]|.waitForTaskToken]`` — an optimized
  service integration;
* ``arn:<partition>:states:::aws-sdk:<service>:<action>[.waitForTaskToken]`` — an AWS SDK
  integration (any service and action; AWS checks them against its SDK models, we do not).

AWS also accepts the integration forms with a region and an account
(``arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject``), as CloudFormation templates and
console exports write them.

For the optimized integrations whose API lists are short and stable we know every action and
which patterns each supports, so ``dynamodb:query`` is refused the way AWS refuses it. For the
others only the service name is checked (their action lists grow; refusing a valid definition is
worse than accepting a wrong one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

Pattern: TypeAlias = Literal["request_response", "sync", "wait_for_task_token"]
ResourceKind: TypeAlias = Literal["lambda_function", "activity", "optimized", "aws_sdk"]

REQUEST_RESPONSE: Final = "request_response"
SYNC: Final = "sync"
WAIT_FOR_TASK_TOKEN: Final = "wait_for_task_token"  # noqa: S105 - a pattern name

_RR: Final = frozenset({REQUEST_RESPONSE})
_RR_TOKEN: Final = frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN})
_RR_SYNC: Final = frozenset({REQUEST_RESPONSE, SYNC})
_ALL: Final = frozenset({REQUEST_RESPONSE, SYNC, WAIT_FOR_TASK_TOKEN})

#: Optimized integrations with a closed list of actions: action -> supported patterns.
KNOWN_ACTIONS: Final[Mapping[str, Mapping[str, frozenset[str]]]] = {
    "lambda": {"invoke": _RR_TOKEN},
    "dynamodb": {"getItem": _RR, "putItem": _RR, "updateItem": _RR, "deleteItem": _RR},
    "sns": {"publish": _RR_TOKEN},
    "sqs": {"sendMessage": _RR_TOKEN},
    "events": {"putEvents": _RR_TOKEN},
    "apigateway": {"invoke": _RR_TOKEN},
    "http": {"invoke": _RR},
    "states": {"startExecution": _ALL},
    "batch": {"submitJob": _RR_SYNC},
    "ecs": {"runTask": _ALL},
    "glue": {"startJobRun": _RR_SYNC},
    "databrew": {"startJobRun": _RR_SYNC},
}

#: Optimized integrations whose action lists we do not pin down: service -> supported patterns.
OPEN_SERVICES: Final[Mapping[str, frozenset[str]]] = {
    "athena": _RR_SYNC,
    "bedrock": _ALL,
    "codebuild": _RR_SYNC,
    "eks": _ALL,
    "elasticmapreduce": _RR_SYNC,
    "emr-containers": _RR_SYNC,
    "emr-serverless": _RR_SYNC,
    "mediaconvert": _RR_SYNC,
    "sagemaker": _RR_SYNC,
    "s3": _RR,
}

_PARTITION = r"aws(?:-[a-z]+)*"
# Region and account are not checked: AWS's TestState accepted "your-region"/"your-account-id"
# placeholders in the recorded cases.
_LAMBDA_FUNCTION = re.compile(
    rf"arn:{_PARTITION}:lambda:[^:\s]+:[^:\s]+:function:[A-Za-z0-9_-]{{1,140}}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
_ACTIVITY = re.compile(rf"arn:{_PARTITION}:states:[^:\s]+:[^:\s]+:activity:[^:\s]{{1,80}}")
_SERVICE_INTEGRATION = re.compile(rf"arn:{_PARTITION}:states:[^:\s]*:[^:\s]*:(?P<rest>.+)")
_SDK_ACTION = re.compile(r"aws-sdk:(?P<service>[a-z0-9.-]+):(?P<action>[A-Za-z0-9]+)")
_OPTIMIZED_ACTION = re.compile(r"(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)")


@dataclass(frozen=True, slots=True)
class TaskResource:
    """A recognised Task resource."""

    kind: ResourceKind
    pattern: Pattern
    #: ``lambda``, ``dynamodb``, ``s3``... for integrations; None for functions and activities.
    service: str | None = None
    #: The API action (``invoke``, ``putItem``...) for integrations.
    action: str | None = None


def parse_task_resource(arn: str) -> TaskResource | None:
    """The resource ``arn`` names, or None when AWS would not recognise it."""
    if _LAMBDA_FUNCTION.fullmatch(arn):
        return TaskResource("lambda_function", REQUEST_RESPONSE)
    if _ACTIVITY.fullmatch(arn):
        return TaskResource("activity", REQUEST_RESPONSE)
    integration = _SERVICE_INTEGRATION.fullmatch(arn)
    if integration is None:
        return None
    rest, pattern = _split_pattern(integration.group("rest"))
    if pattern is None:
        return None
    sdk = _SDK_ACTION.fullmatch(rest)
    if sdk is not None:
        if pattern == SYNC:
            return None
        return TaskResource("aws_sdk", pattern, sdk.group("service"), sdk.group("action"))
    optimized = _OPTIMIZED_ACTION.fullmatch(rest)
    if optimized is None:
        return None
    service, action = optimized.group("service"), optimized.group("action")
    if service in KNOWN_ACTIONS:
        supported = KNOWN_ACTIONS[service].get(action)
    else:
        supported = OPEN_SERVICES.get(service)
    if supported is None or pattern not in supported:
        return None
    return TaskResource("optimized", pattern, service, action)


def _split_pattern(rest: str) -> tuple[str, Pattern | None]:
    """Split ``action.sync`` / ``action.sync:2`` / ``action.waitForTaskToken`` off ``rest``."""
    if rest.endswith(".waitForTaskToken"):
        return rest.removesuffix(".waitForTaskToken"), WAIT_FOR_TASK_TOKEN
    if rest.endswith(".sync:2"):
        return rest.removesuffix(".sync:2"), SYNC
    if rest.endswith(".sync"):
        return rest.removesuffix(".sync"), SYNC
    if "." in rest.rsplit(":", 1)[-1]:
        return rest, None
    return rest, REQUEST_RESPONSE
