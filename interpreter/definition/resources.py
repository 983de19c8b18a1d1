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
from functools import lru_cache
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


#: What the history shows after an integration's action for each pattern.
_SUFFIXES: Final[Mapping[tuple[str, int], str]] = {
    (REQUEST_RESPONSE, 0): "",
    (SYNC, 1): ".sync",
    (SYNC, 2): ".sync:2",
    (WAIT_FOR_TASK_TOKEN, 0): ".waitForTaskToken",
}


@dataclass(frozen=True, slots=True)
class TaskResource:
    """A recognised Task resource, parsed once when the definition is compiled.

    ``kind`` says which history events a Task on it records: ``lambda_function`` records
    ``LambdaFunction*``, ``activity`` records ``Activity*``, and the integrations (``optimized``
    and ``aws_sdk``) record ``Task*`` with :attr:`resource_type` and :attr:`resource`.
    """

    arn: str
    kind: ResourceKind
    pattern: Pattern
    #: ``lambda``, ``dynamodb``, ``s3``... for integrations; None for functions and activities.
    service: str | None = None
    #: The API action (``invoke``, ``putItem``...) for integrations.
    action: str | None = None
    #: 1 for ``.sync``, 2 for ``.sync:2`` (which returns the child's output as JSON); else 0.
    sync_version: int = 0
    #: The region the ARN names; None when it names none (``arn:aws:states:::...``).
    region: str | None = None

    @property
    def is_integration(self) -> bool:
        """An optimized or AWS SDK service integration (``Task*`` events)."""
        return self.kind in ("optimized", "aws_sdk")

    @property
    def waits_for_task_token(self) -> bool:
        """Whether the task completes through SendTaskSuccess/Failure (callback pattern)."""
        return self.pattern == WAIT_FOR_TASK_TOKEN

    @property
    def suffix(self) -> str:
        """The integration pattern as the ARN spells it (``.sync:2``...; empty for none)."""
        return _SUFFIXES[(self.pattern, self.sync_version)]

    @property
    def resource_type(self) -> str:
        """History's ``resourceType``: ``lambda``, ``aws-sdk:s3``, ``sqs``..."""
        if self.kind == "aws_sdk":
            return f"aws-sdk:{self.service}"
        if self.kind == "optimized":
            return str(self.service)
        return "lambda" if self.kind == "lambda_function" else "activity"

    @property
    def resource(self) -> str:
        """History's ``resource``: the action with its pattern (``sendMessage.waitForTaskToken``)
        for integrations, the ARN for functions and activities."""
        if self.is_integration:
            return f"{self.action}{self.suffix}"
        return self.arn

    @property
    def data_limit_label(self) -> str:
        """The name AWS puts in a DataLimitExceeded cause for this resource."""
        return self.resource_type if self.is_integration else self.arn

    def region_or(self, default: str) -> str:
        """The ARN's region, or ``default`` (the execution's) when it names none."""
        return self.region or default


@lru_cache(maxsize=1024)
def parse_task_resource(arn: str) -> TaskResource | None:
    """The resource ``arn`` names, or None when AWS would not recognise it."""
    if _LAMBDA_FUNCTION.fullmatch(arn):
        return TaskResource(arn, "lambda_function", REQUEST_RESPONSE, region=_region(arn))
    if _ACTIVITY.fullmatch(arn):
        return TaskResource(arn, "activity", REQUEST_RESPONSE, region=_region(arn))
    integration = _SERVICE_INTEGRATION.fullmatch(arn)
    if integration is None:
        return None
    rest, pattern, sync_version = _split_pattern(integration.group("rest"))
    if pattern is None:
        return None
    sdk = _SDK_ACTION.fullmatch(rest)
    if sdk is not None:
        if pattern == SYNC:
            return None
        service, action = sdk.group("service"), sdk.group("action")
        return TaskResource(arn, "aws_sdk", pattern, service, action, region=_region(arn))
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
    return TaskResource(arn, "optimized", pattern, service, action, sync_version, _region(arn))


def _region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def _split_pattern(rest: str) -> tuple[str, Pattern | None, int]:
    """Split ``action.sync`` / ``action.sync:2`` / ``action.waitForTaskToken`` off ``rest``."""
    if rest.endswith(".waitForTaskToken"):
        return rest.removesuffix(".waitForTaskToken"), WAIT_FOR_TASK_TOKEN, 0
    if rest.endswith(".sync:2"):
        return rest.removesuffix(".sync:2"), SYNC, 2
    if rest.endswith(".sync"):
        return rest.removesuffix(".sync"), SYNC, 1
    if "." in rest.rsplit(":", 1)[-1]:
        return rest, None, 0
    return rest, REQUEST_RESPONSE, 0
