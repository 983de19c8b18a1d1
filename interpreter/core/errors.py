"""ASL error names and the failure value that flows into Retry and Catch.

ASL failures are data, not Python exceptions: a :class:`Failure` is what a state produces when it
fails, and the Retry/Catch machinery decides what happens next. Python exceptions inside the core
mean interpreter bugs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ALL: Final = "States.ALL"
TASK_FAILED: Final = "States.TaskFailed"
TIMEOUT: Final = "States.Timeout"
HEARTBEAT_TIMEOUT: Final = "States.HeartbeatTimeout"
RUNTIME: Final = "States.Runtime"
DATA_LIMIT_EXCEEDED: Final = "States.DataLimitExceeded"
NO_CHOICE_MATCHED: Final = "States.NoChoiceMatched"
INTRINSIC_FAILURE: Final = "States.IntrinsicFailure"
QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"
BRANCH_FAILED: Final = "States.BranchFailed"
PERMISSIONS: Final = "States.Permissions"
RESULT_PATH_MATCH_FAILURE: Final = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE: Final = "States.ParameterPathFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD: Final = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED: Final = "States.ItemReaderFailed"
RESULT_WRITER_FAILED: Final = "States.ResultWriterFailed"

#: Errors that ``States.ALL`` does not match, as AWS documents it: a terminal runtime error of the
#: interpreter cannot be retried or caught.
NOT_MATCHED_BY_ALL: Final = frozenset({RUNTIME})


@dataclass(frozen=True, slots=True)
class Failure:
    """An ASL failure: an error name and an optional cause."""

    error: str | None
    cause: str | None = None

    def error_output(self) -> dict[str, str]:
        """The ``{"Error", "Cause"}`` document a Catcher passes on, as AWS builds it."""
        output: dict[str, str] = {}
        if self.error is not None:
            output["Error"] = self.error
        output["Cause"] = self.cause if self.cause is not None else ""
        return output


def matches(error_equals: tuple[str, ...], error: str | None) -> bool:
    """Whether a Retrier's or Catcher's ``ErrorEquals`` list matches ``error``.

    ``States.ALL`` matches every error but ``States.Runtime``; ``States.TaskFailed`` also acts as
    a wildcard, for every error but ``States.Timeout`` (AWS's recorded executions catch a Lambda
    ``Exception`` and ``Lambda.ResourceNotFoundException`` with it).
    """
    if error is None:
        return ALL in error_equals
    if error in error_equals:
        return True
    if error in NOT_MATCHED_BY_ALL:
        return False
    if ALL in error_equals:
        return True
    return TASK_FAILED in error_equals and error != TIMEOUT


def state_runtime_cause(state_name: str, entered_event_id: int, detail: str) -> str:
    """AWS's wording for a runtime failure inside a state."""
    return (
        f"An error occurred while executing the state '{state_name}' "
        f"(entered at the event id #{entered_event_id}). {detail}"
    )


def data_limit_cause(label: str) -> str:
    """AWS's cause for a state's output or a task's result over the payload limit (``label``
    names the state, or the task's resource)."""
    return (
        f"The state/task '{label}' returned a result with a size exceeding the maximum number of "
        "bytes service limit."
    )
