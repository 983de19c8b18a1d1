"""AWS Step Functions service limits, in one place (the lowest layer: every other imports it)."""

from __future__ import annotations

from typing import Final

#: Maximum size of a state's input or output, a task result, or an execution input, in UTF-8 bytes.
MAX_PAYLOAD_BYTES: Final = 262_144
#: Maximum number of events in one execution's history.
MAX_HISTORY_EVENTS: Final = 25_000
#: Maximum size of a state machine definition, in bytes.
MAX_DEFINITION_BYTES: Final = 1_048_576
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


def utf8_size(text: str) -> int:
    """Size of ``text`` in UTF-8 bytes, without encoding it when it is plain ASCII."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8"))
