"""The execution snapshot: plain JSON that holds everything needed to resume an execution.

Layout (all keys are strings; every value is JSON)::

    {
      "format": 1,
      "status": "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED",
      "execution": {arn, name, input, start_ms, role_arn, state_machine_arn,
                    state_machine_name, region, account, secret, type},
      "next_event_id": int,
      "frames": {frame_id: frame},
      "runnable": [frame_id, ...],       # frames ready to advance, in order
      "waits": {key: frame_id},          # pending task results and timers
      "output": JSON, "output_text": str (when SUCCEEDED), "error": str|None, "cause": str|None,
      "stop_ms": int|None,
      "halted": frame (when FAILED, TIMED_OUT or ABORTED: what a redrive resumes, see
                interpreter.core.redrive),
      "map_runs": {map_run_arn: run}      # Distributed Map runs (DescribeMapRun)
    }

The execution identity gains ``redrive_count`` and ``redrive_ms`` once it is redriven
(``$$.Execution.RedriveCount`` and ``RedriveTime``).

A *frame* is one thread of control: the execution itself (id ``"0"``), a Parallel branch or a Map
iteration. It records the scope it runs in (pairs of state name and branch index from the root, the
index -1 for a Map's processor), its current state and phase, the state's raw input, its own
variables, its history cursor,
the current state's entered-event id and time, retry counters and whatever the phase waits for.
"""

from __future__ import annotations

from typing import Any, Final

FORMAT_VERSION: Final = 1
ROOT_FRAME: Final = "0"

# Execution statuses, as the API reports them.
RUNNING: Final = "RUNNING"
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
TIMED_OUT: Final = "TIMED_OUT"
ABORTED: Final = "ABORTED"
#: The statuses RedriveExecution accepts.
REDRIVABLE: Final = (FAILED, TIMED_OUT, ABORTED)

# Frame phases.
ENTER: Final = "enter"  # about to enter frame["state"]
TASK: Final = "task"  # waiting for a task result (frame["pending"])
RETRY: Final = "retry"  # waiting for a retry back-off timer
WAIT: Final = "wait"  # a Wait state's timer
CHILDREN: Final = "children"  # a Parallel or Map state's branches/iterations run
DONE: Final = "done"

Frame = dict[str, Any]
Snapshot = dict[str, Any]


def new_frame(
    frame_id: str,
    parent: str | None,
    scope: list[Any],
    state: str,
    state_input: Any,
    cursor: int,
    index: int | None = None,
) -> Frame:
    """A frame about to enter ``state`` with ``state_input``."""
    return {
        "id": frame_id,
        "parent": parent,
        "scope": scope,
        "index": index,
        "state": state,
        "phase": ENTER,
        "input": state_input,
        "vars": {},
        "cursor": cursor,
        "entered": 0,
        "entered_ms": 0,
        "retries": 0,
        "attempts": [],
        "pending": None,
        "data": None,
    }
