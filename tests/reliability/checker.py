"""RELIABILITY.md's invariants, checked on each execution's history as the API returns it.

For every execution: it reached a terminal status; its history ids run 1..N with no gap and no
duplicate, each event's ``previousEventId`` before it, the terminal event once and last; its
events are those of a fault-free run of the same input — each transition applied once (Map
iterations and Parallel branches may interleave differently, as on AWS: the events are compared
as a multiset) — and its output is the fault-free run's. A gap between two events longer than
the machine's planned waits plus ten seconds is a stall.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
STALL_S = 10.0


@dataclass
class Verdict:
    """What the checker found in one execution."""

    arn: str
    lost: bool = False
    problems: list[str] = field(default_factory=list)
    duplicated_transitions: int = 0
    missing_transitions: int = 0
    stalls: list[float] = field(default_factory=list)
    #: The longest time between two events beyond the planned waits.
    longest_gap_s: float = 0.0


def _signature(event: dict[str, Any]) -> str:
    """An event without what differs from run to run (ids, times, request ids, ARNs)."""
    kind = str(event["type"])
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            name = value.get("name") or value.get("resource") or ""
            error = value.get("error") or ""
            return f"{kind}:{name}:{error}"
    return kind


def check(
    arn: str,
    described: dict[str, Any],
    history: list[dict[str, Any]],
    expected_status: str,
    expected_output: Any,
    expected_history: list[dict[str, Any]],
    planned_wait_s: float = 0.0,
) -> Verdict:
    """Check one execution against its fault-free run."""
    verdict = Verdict(arn)
    if described["status"] == "RUNNING":
        verdict.lost = True
        verdict.problems.append("still RUNNING: never reached a terminal status")
    elif described["status"] != expected_status:
        verdict.problems.append(f"status {described['status']}, fault-free {expected_status}")
    if described["status"] == "SUCCEEDED":
        output = json.loads(described.get("output") or "null")
        if output != expected_output:
            verdict.problems.append(f"output differs from the fault-free run's: {output!r:.200}")
    ids = [int(event["id"]) for event in history]
    if ids != list(range(1, len(history) + 1)):
        duplicates = [key for key, count in Counter(ids).items() if count > 1]
        verdict.problems.append(f"history ids are not 1..{len(history)} (repeated: {duplicates})")
    for event in history:
        previous = event.get("previousEventId")
        if previous is not None and int(previous) >= int(event["id"]):
            verdict.problems.append(f"event {event['id']} follows a later event {previous}")
    terminal = [event for event in history if event["type"] in TERMINAL]
    if len(terminal) != 1 or (history and history[-1]["type"] not in TERMINAL):
        verdict.problems.append(f"{len(terminal)} terminal events, the last one not last")
    actual = Counter(_signature(event) for event in history)
    wanted = Counter(_signature(event) for event in expected_history)
    extra, missing = actual - wanted, wanted - actual
    verdict.duplicated_transitions = sum(extra.values())
    verdict.missing_transitions = sum(missing.values())
    if extra or missing:
        verdict.problems.append(
            f"events differ from the fault-free run: +{dict(extra)} -{dict(missing)}"
        )
    where = []
    for before, after in itertools.pairwise(history):
        gap = after["timestamp"].timestamp() - before["timestamp"].timestamp()
        verdict.longest_gap_s = max(verdict.longest_gap_s, gap - planned_wait_s)
        if gap > STALL_S + planned_wait_s:
            verdict.stalls.append(round(gap, 1))
            where.append(
                f"{gap:.1f} s after {before['id']} {before['type']} "
                f"(at {before['timestamp'].timestamp():.3f}) to {after['type']}"
            )
    if verdict.stalls:
        verdict.problems.append(f"stalled: {'; '.join(where)}")
    return verdict
