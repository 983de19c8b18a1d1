"""What the tests that drive a Step Functions endpoint over boto3 (the local cloud, the
reliability suite) all need: wait for an execution to end, read its whole history."""

from __future__ import annotations

import time
from typing import Any


def await_end(sfn: Any, arn: str, timeout_s: float = 60.0, poll_s: float = 0.2) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(poll_s)
    raise AssertionError(f"{arn} still runs after {timeout_s:g} s")


def full_history(sfn: Any, arn: str, *, reverse: bool = False) -> list[dict[str, Any]]:
    """Every event of the execution's history, page after page."""
    events: list[dict[str, Any]] = []
    token = None
    while True:
        request: dict[str, Any] = {"executionArn": arn, "maxResults": 1000, "reverseOrder": reverse}
        if token:
            request["nextToken"] = token
        page = sfn.get_execution_history(**request)
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events
