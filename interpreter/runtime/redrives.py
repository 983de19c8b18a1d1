"""RedriveExecution's rules: which executions may be redriven, and the idempotency of a redrive.

From the RedriveExecution API reference and the redrive guide ("Redriving executions"):

* only FAILED, TIMED_OUT and ABORTED Standard executions (Express ones are refused before this,
  as the other execution actions refuse them);
* within the redrivable period, 14 days from the execution's end;
* while the execution has not exceeded the maximum open time of one year from its start;
* while its history holds fewer than 24,999 events (room for ``ExecutionRedriven`` and one
  more);
* while its state machine exists (a deleted one is AWS's ``DELETING``).

``redriveStatusReason`` words each refusal as AWS does (DescribeExecution's documented
reasons); ExecutionNotRedrivable answers with the same words. A redrive request's
``clientToken`` makes it idempotent: the last 10 tokens of successful redrives are remembered,
each for 15 minutes from its first use, and a repeated one answers as its redrive did.
"""

from __future__ import annotations

from typing import Final

from interpreter.core import snapshot as S
from interpreter.limits import MAX_HISTORY_EVENTS
from interpreter.runtime.ports import ExecutionRecord

_DAY_MS: Final = 24 * 3600 * 1000
#: How long after its end an execution may be redriven.
REDRIVABLE_PERIOD_MS: Final = 14 * _DAY_MS
#: The longest an execution stays open (a Standard execution's maximum duration).
MAX_OPEN_MS: Final = 365 * _DAY_MS
#: A redrive needs the history to hold fewer events than this.
MAX_EVENTS_TO_REDRIVE: Final = MAX_HISTORY_EVENTS - 1
#: How many client tokens of successful redrives answer idempotently, and for how long.
TOKENS_KEPT: Final = 10
TOKEN_VALIDITY_MS: Final = 15 * 60 * 1000

RUNNING_REASON: Final = "Execution is RUNNING and cannot be redriven"
SUCCEEDED_REASON: Final = "Execution is SUCCEEDED and cannot be redriven"
DELETING_REASON: Final = "State machine is in DELETING status"
TOO_EARLY_REASON: Final = "Execution was started before the launch of RedriveExecution"
HISTORY_REASON: Final = "Execution history event limit exceeded"
MAX_TIME_REASON: Final = "Execution has exceeded the max execution time"
PERIOD_REASON: Final = "Execution redrivable period exceeded"


def refusal(record: ExecutionRecord, now_ms: int, *, machine_exists: bool) -> str | None:
    """Why ``record`` cannot be redriven at ``now_ms`` (AWS's ``redriveStatusReason``), or
    None when it can."""
    if record.status == S.RUNNING:
        return RUNNING_REASON
    if record.status == S.SUCCEEDED:
        return SUCCEEDED_REASON
    if not machine_exists:
        return DELETING_REASON
    snapshot = record.snapshot
    if int(snapshot.get("next_event_id", 1)) - 1 >= MAX_EVENTS_TO_REDRIVE:
        return HISTORY_REASON
    if not isinstance(snapshot.get("halted"), dict):
        # Nothing says where it stopped: it ended before this version kept that.
        return TOO_EARLY_REASON
    if now_ms - record.start_ms > MAX_OPEN_MS:
        return MAX_TIME_REASON
    if now_ms - (record.stop_ms or record.start_ms) > REDRIVABLE_PERIOD_MS:
        return PERIOD_REASON
    return None


def repeated(record: ExecutionRecord, client_token: str | None, now_ms: int) -> int | None:
    """The redrive time a repeated request answers with: ``client_token`` named a successful
    redrive of this execution less than 15 minutes ago. None for a new request."""
    if client_token is None:
        return None
    entry = record.redrive_tokens.get(client_token)
    if entry is None or now_ms - entry[0] > TOKEN_VALIDITY_MS:
        return None
    return entry[1]


def remember(record: ExecutionRecord, client_token: str | None, now_ms: int) -> None:
    """Keep ``client_token`` as the token of the redrive at ``now_ms`` (the last 10 stay)."""
    if client_token is None:
        return
    tokens = dict(record.redrive_tokens)
    tokens[client_token] = [now_ms, now_ms]
    newest = sorted(tokens.items(), key=lambda item: item[1][0])[-TOKENS_KEPT:]
    record.redrive_tokens = dict(newest)
