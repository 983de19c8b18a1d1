"""The sweep: sends a decision to every running execution whose wake-up time has passed.

A commit and the message that follows it are not atomic, and a worker can die holding a task;
the execution's record says when it next needs a look (``wake_ms``), and the sweep finds it. The
schedule runs the function once a minute; it sweeps every ``SWEEP_INTERVAL_SECONDS`` (10 by
default) until its time is nearly up, so an execution waits seconds, not a minute, after a
crash.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from handlers.deployment import runtime

logger = Logger(service="asl-sweep")
metrics = Metrics(namespace="AslInterpreter", service="asl-sweep")
# Only the AWS SDK is patched: its calls are what a trace shows (patching every library
# Powertools knows would import requests and sqlite3 into a cold start).
tracer = Tracer(service="asl-sweep", patch_modules=("botocore",))


@tracer.capture_lambda_handler
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Sweep until the function's time is nearly up; returns how many decisions were sent."""
    interval = float(os.environ.get("SWEEP_INTERVAL_SECONDS", "10"))
    resent = 0
    while True:
        found = runtime().sweep()
        resent += found
        if found:
            logger.info("sweep", extra={"resent": found})
        if context.get_remaining_time_in_millis() < (interval + 5) * 1000:
            break
        time.sleep(interval)
    metrics.add_metric(name="SweptExecutions", unit=MetricUnit.Count, value=resent)
    return {"resent": resent}
