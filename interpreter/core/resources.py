"""What a Task's ``Resource`` ARN names, and how AWS labels it in history events."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

#: Integration patterns a service-integration resource may end with.
WAIT_FOR_TASK_TOKEN: Final = ".waitForTaskToken"  # noqa: S105 - a pattern suffix, not a secret
SYNC: Final = ".sync"
SYNC_JSON: Final = ".sync:2"


@dataclass(frozen=True, slots=True)
class TaskResource:
    """A parsed Task ``Resource``.

    ``kind`` is ``lambda_function`` (a Lambda function ARN: ``LambdaFunction*`` events),
    ``activity`` (``Activity*`` events) or ``service`` (an ``arn:aws:states:::`` integration, or
    the same with a region and an account: ``Task*`` events). For a service, ``resource_type`` and
    ``resource`` are what the history shows
    (``lambda`` / ``invoke``, ``aws-sdk:s3`` / ``getObject``, ``sqs`` /
    ``sendMessage.waitForTaskToken``); ``action`` is ``resource`` without the pattern suffix.
    """

    arn: str
    kind: str
    resource_type: str
    resource: str
    action: str
    pattern: str
    region: str

    @property
    def waits_for_task_token(self) -> bool:
        """Whether the task completes through SendTaskSuccess/Failure (callback pattern)."""
        return self.pattern == WAIT_FOR_TASK_TOKEN

    @property
    def data_limit_label(self) -> str:
        """The name AWS puts in a DataLimitExceeded cause for this resource."""
        if self.kind == "service":
            return self.resource_type
        return self.arn


@lru_cache(maxsize=1024)
def parse_resource(arn: str, default_region: str = "us-east-1") -> TaskResource:
    """Parse a Task ``Resource`` ARN (validated upstream, so this never fails)."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else default_region
    if len(parts) > 2 and parts[2] == "lambda":
        return TaskResource(arn, "lambda_function", "lambda", arn, arn, "", region)
    if len(parts) > 5 and parts[2] == "states" and parts[5] == "activity":
        return TaskResource(arn, "activity", "activity", arn, arn, "", region)
    if len(parts) > 5 and parts[2] == "states":
        service_part = ":".join(parts[5:])
        if service_part.startswith("aws-sdk:"):
            service, _, resource = service_part[len("aws-sdk:") :].partition(":")
            resource_type = f"aws-sdk:{service}"
        else:
            resource_type, _, resource = service_part.partition(":")
        pattern = ""
        action = resource
        for suffix in (WAIT_FOR_TASK_TOKEN, SYNC_JSON, SYNC):
            if resource.endswith(suffix):
                pattern = suffix
                action = resource[: -len(suffix)]
                break
        return TaskResource(arn, "service", resource_type, resource, action, pattern, region)
    return TaskResource(arn, "unknown", "unknown", arn, arn, "", region)
