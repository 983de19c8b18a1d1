"""The reliability suite's workload: state machines that exercise each kind of work the runtime
does (tasks, a Choice loop, Retry with its timer, Catch, Map and Parallel fan-out, a Wait, records
near the size limits), and the Lambda handlers their Tasks call.

The handlers are loaded by the local cloud's worker processes (``--lambda NAME=FILE:FUNCTION``);
each invocation appends a line to ``ASL_SIDE_EFFECTS`` (when set), so the suite can count how
often a task ran — at least once, repeated only when its outcome was lost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ACCOUNT = "111111111111"
REGION = "us-east-1"


def _function(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _task(function: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": _function(function),
        "Parameters": {
            **parameters,
            # What the side-effect log keys an invocation by.
            "execution.$": "$$.Execution.Name",
            "state.$": "$$.State.Name",
            "retry.$": "$$.State.RetryCount",
        },
        **fields,
    }


MACHINES: dict[str, dict[str, Any]] = {
    # Three tasks in a Choice loop.
    "counter": {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Parameters": {"n": 0, "tag.$": "$.tag"}, "Next": "Add"},
            "Add": _task("add", {"n.$": "$.n", "tag.$": "$.tag"}, Next="More"),
            "More": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Add"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    },
    # A task that fails on its first attempt; Retry waits a second and tries again.
    "flaky": {
        "StartAt": "Try",
        "States": {
            "Try": _task(
                "flaky",
                {"tag.$": "$.tag"},
                Retry=[
                    {
                        "ErrorEquals": ["Flaky"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                        "BackoffRate": 1.0,
                    }
                ],
                End=True,
            )
        },
    },
    # A task that always fails, caught.
    "caught": {
        "StartAt": "Fail",
        "States": {
            "Fail": _task(
                "boom",
                {"tag.$": "$.tag"},
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fine"}],
                Next="Unreachable",
            ),
            "Unreachable": {"Type": "Fail", "Error": "Unreachable"},
            # Only the error's name: its cause holds the handler's request id and stack trace,
            # which differ from run to run.
            "Fine": {
                "Type": "Pass",
                "Parameters": {
                    "outcome": "recovered",
                    "error.$": "$.error.Error",
                    "tag.$": "$.tag",
                },
                "End": True,
            },
        },
    },
    # Map over five items (a task each) then two Parallel branches, one with a task.
    "fanout": {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "ItemSelector": {
                    "n.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "tag.$": "$.tag",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Square",
                    "States": {
                        "Square": _task("square", {"n.$": "$.n", "index.$": "$.index"}, End=True)
                    },
                },
                "ResultPath": "$.squares",
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Count",
                        "States": {
                            "Count": {
                                "Type": "Pass",
                                "Parameters": {"count.$": "States.ArrayLength($.squares)"},
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "AddOne",
                        "States": {"AddOne": _task("add", {"n": 41, "tag.$": "$.tag"}, End=True)},
                    },
                ],
                "End": True,
            },
        },
    },
    # A timer.
    "waits": {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Up"},
            "Up": {"Type": "Pass", "Result": "awake", "ResultPath": "$.state", "End": True},
        },
    },
    # A task that runs longer than a short visibility timeout: its message comes back while it
    # runs (the cloud-faults test; not in the chaos runs, whose timing it would dominate).
    "slow": {"StartAt": "Slow", "States": {"Slow": _task("slow", {"tag.$": "$.tag"}, End=True)}},
    # Payloads near the 256 KiB limit through a task: the records that carry them are large.
    "large": {
        "StartAt": "Echo",
        "States": {
            "Echo": _task("echo", {"blob.$": "$.blob", "tag.$": "$.tag"}, Next="Keep"),
            "Keep": {
                "Type": "Pass",
                "Parameters": {"size.$": "States.ArrayLength($.sizes)"},
                "End": True,
            },
        },
    },
}

#: The machines of the chaos runs.
CHAOS_MACHINES = ("counter", "flaky", "caught", "fanout", "waits", "large")

#: How long the ``slow`` task takes (outlasting a short visibility timeout).
SLOW_TASK_S = 3.5

#: Seconds a machine waits on purpose (a gap that long between events is not a stall).
PLANNED_WAIT_S = {"flaky": 1.0, "waits": 1.0}


def execution_input(machine: str, number: int) -> dict[str, Any]:
    """The input of the ``number``-th execution of ``machine``."""
    tag = f"{machine}-{number}"
    if machine == "fanout":
        return {"tag": tag, "items": [1, 2, 3, 4, number]}
    if machine == "large":
        # About 200 KB of input, echoed back with its sizes: near the 256 KiB payload limit.
        return {"tag": tag, "blob": "x" * (200_000 + number)}
    return {"tag": tag}


def handler_specs() -> list[str]:
    """The ``--lambda`` specs of the workload's functions."""
    names = ("add", "flaky", "boom", "square", "echo", "slow")
    return [f"{name}={HERE}:{name}" for name in names]


def handlers() -> dict[str, Any]:
    """The workload's functions by name (a fault-free run in the test process)."""
    return {
        "add": add,
        "flaky": flaky,
        "boom": boom,
        "square": square,
        "echo": echo,
        "slow": slow,
    }


# ------------------------------------------------------------------------------- the handlers


class Flaky(Exception):
    """The first attempt's failure."""


class Boom(Exception):
    """Every attempt's failure."""


def _record(event: dict[str, Any], detail: Any = None) -> None:
    path = os.environ.get("ASL_SIDE_EFFECTS")
    if not path:
        return
    line = json.dumps(
        [event.get("execution"), event.get("state"), event.get("retry"), detail],
        separators=(",", ":"),
    )
    # One short append per invocation: whole lines, whichever process writes.
    with open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def add(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """``n + 1``."""
    _record(event, event.get("n"))
    return {"n": int(event["n"]) + 1, "tag": event.get("tag")}


def flaky(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Fails on the first attempt, succeeds on the second."""
    _record(event)
    if event.get("retry") == 0:
        raise Flaky("the first attempt fails")
    return {"tag": event.get("tag"), "attempts": int(event["retry"]) + 1}


def boom(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Always fails."""
    _record(event)
    raise Boom(f"{event.get('tag')} fails")


def square(event: dict[str, Any], _context: Any) -> int:
    """``n * n``."""
    _record(event, [event.get("index"), event.get("n")])
    return int(event["n"]) ** 2


def echo(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """The blob back, with its size."""
    _record(event)
    blob = str(event["blob"])
    return {"blob": blob, "sizes": [len(blob), len(event.get("tag") or "")]}


def slow(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Takes longer than the test queue's visibility timeout, then answers."""
    import time

    _record(event)
    time.sleep(SLOW_TASK_S)
    return {"tag": event.get("tag"), "slept": SLOW_TASK_S}
