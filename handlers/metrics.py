"""The runtime's counters as CloudWatch metrics (Powertools' EMF), per invocation."""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

#: Counter -> (metric name, unit).
_METRICS = {
    "transitions": ("Transitions", MetricUnit.Count),
    "decisions": ("Decisions", MetricUnit.Count),
    "commits": ("Commits", MetricUnit.Count),
    "commit_conflicts": ("CommitConflicts", MetricUnit.Count),
    "tasks_run": ("Tasks", MetricUnit.Count),
    "task_milliseconds": ("TaskLatency", MetricUnit.Milliseconds),
    "redispatches": ("Redispatches", MetricUnit.Count),
    "duplicates_dropped": ("DuplicateTasksDropped", MetricUnit.Count),
    "takeovers": ("TaskTakeovers", MetricUnit.Count),
    "abandoned": ("ExecutionsEndedByTheRuntime", MetricUnit.Count),
}


def publish_counters(metrics: Metrics, before: Mapping[str, int], after: Mapping[str, int]) -> None:
    """Add what the counters grew by since ``before`` (nothing for a counter that did not)."""
    for counter, (name, unit) in _METRICS.items():
        grown = after.get(counter, 0) - before.get(counter, 0)
        if grown:
            metrics.add_metric(name=name, unit=unit, value=grown)
