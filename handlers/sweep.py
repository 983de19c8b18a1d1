"""Every minute: re-send the decisions of running executions whose wake-up time has passed
(a commit and the message that follows it are not atomic; the sweep closes that gap)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from handlers.deployment import runtime

logger = Logger(service="asl-sweep")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Re-send due decisions; returns how many."""
    resent = runtime().sweep()
    logger.info("sweep", extra={"resent": resent})
    return {"resent": resent}
