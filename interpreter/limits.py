"""AWS Step Functions service limits, in one place (the lowest layer: every other imports it)."""

from __future__ import annotations

from typing import Final

#: Maximum size of a state's input or output, a task result, or an execution input, in UTF-8 bytes.
MAX_PAYLOAD_BYTES: Final = 262_144
#: Maximum number of events in one execution's history.
MAX_HISTORY_EVENTS: Final = 25_000
#: Maximum size of a state machine definition, in bytes.
MAX_DEFINITION_BYTES: Final = 1_048_576
#: Longest error name and cause a failure carries (SendTaskFailure's limits, and the history's;
#: a ``.sync`` child's failure puts its whole description in its parent's cause, and nested
#: failures would otherwise grow with every level).
MAX_ERROR_LENGTH: Final = 256
MAX_CAUSE_LENGTH: Final = 32_768
#: Maximum length of a state machine, execution or state name.
MAX_NAME_LENGTH: Final = 80
#: Longest Wait AWS accepts: the delay is held as a signed 32-bit count of seconds.
MAX_WAIT_SECONDS: Final = 2_147_483_647
#: Maximum size of one variable's value and of one state's assignments, in bytes.
MAX_VARIABLE_BYTES: Final = 262_144
#: Maximum total size of all variables of one execution, in bytes.
MAX_EXECUTION_VARIABLES_BYTES: Final = 10_485_760
#: The longest delay an SQS message may carry (15 minutes); longer timers re-arm themselves.
MAX_QUEUE_DELAY_MS: Final = 900_000
#: An Express execution runs for five minutes at most; StartSyncExecution waits no longer.
MAX_EXPRESS_DURATION_MS: Final = 300_000


def utf8_size(text: str) -> int:
    """Size of ``text`` in UTF-8 bytes, without encoding it when it is plain ASCII. An unpaired
    surrogate (JSON text may escape one: ``"\\ud800"``) counts its three bytes instead of
    making the measure fail."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


#: Deepest nesting of an execution input, a task output sent back (SendTaskSuccess) or a TestState
#: input. Not AWS's own figure (its parser stops at 1,000 levels): the deepest this Python engine
#: copies, stores and transforms with room to spare under the interpreter's recursion limit of
#: 1,000 frames; deeper input is refused at the door with AWS's error, never a crash later.
MAX_INPUT_DEPTH: Final = 256
#: Deepest nesting of an API request body: the model's shapes nest a few levels, so anything
#: deeper cannot deserialise (``SerializationException``) — decided before the body is parsed.
MAX_REQUEST_DEPTH: Final = 64
