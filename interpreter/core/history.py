"""History events with AWS's types and detail shapes.

Events are plain dicts in the shape GetExecutionHistory returns, with ``timestamp`` held as epoch
milliseconds (the API layer turns it into a datetime). Inputs and outputs are serialised the way
AWS serialises them: compact JSON text, numbers as Java writes them (integers as they are, doubles
by ``Double.toString``: ``0.1``, ``1.0E10``, ``8.031699E-5``).

``previousEventId`` follows what the recorded AWS histories show. Each frame (the execution, a
Parallel branch, a Map iteration) keeps a *cursor*: the id of its latest event. An event normally
points at its frame's cursor and becomes the new cursor; a few bookkeeping events point at the
cursor without becoming it (``MapStateSucceeded``, ``MapIterationSucceeded``...), which is how AWS's
ids come out (``MapStateSucceeded`` and ``MapStateExited`` share one ``previousEventId``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from interpreter.json_types import JSON
from interpreter.limits import MAX_HISTORY_EVENTS
from interpreter.query.jsontext import java_double

#: AWS marks every payload it records as not truncated unless it is over the limit.
NOT_TRUNCATED: Final[Mapping[str, bool]] = {"truncated": False}

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
try:
    # The C encoder the json module builds on every call, built once: a state's output is
    # serialised on every transition, and the per-call set-up is most of the cost for small ones.
    # No circular-reference markers: JSON values are trees (a too-deep one ends in RecursionError,
    # which the engine reports as an ASL failure).
    from _json import make_encoder as _make_encoder

    _chunks: Any = _make_encoder(
        None,
        None,  # type: ignore[arg-type]  # no default: a value that is not JSON is a bug
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        False,
    )
    # The ASCII-only variant is faster; its text is the same unless it escaped something as
    # \uXXXX (a character beyond ASCII, which AWS writes as it is), so "\u" sends us back.
    _ascii_chunks: Any = _make_encoder(
        None,
        None,  # type: ignore[arg-type]
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        False,
    )
except ImportError:  # pragma: no cover - CPython always has _json
    _chunks = None


def to_json_text(value: JSON) -> str:
    """Compact JSON text, as AWS writes payloads into history events and outputs.

    Strings are written as they are (no ``\\uXXXX`` for characters beyond ASCII) and doubles the
    way Java's ``Double.toString`` writes them (see :func:`java_doubles`).
    """
    if _chunks is None:  # pragma: no cover
        return java_doubles(_encode(value))
    text = "".join(_ascii_chunks(value, 0))
    if "\\u" in text:
        text = "".join(_chunks(value, 0))
    return java_doubles(text)


# Python writes a double as Java does (shortest round-trip digits, ".0" on whole values) except
# at magnitudes below 1e-3 or from 1e7 up, where Java switches to "d.dddE<n>" and Python only below
# 1e-4 and from 1e16, as "de-05"/"de+16". Such numbers leave one of these marks in Python's text
# (strings can hold them too: a false alarm only costs the exact pass below).
_PLAIN_OUT_OF_JAVA_RANGE: Final = re.compile(r"\.(?<=\d\.)(?:(?<=\d{8}\.)|000)")
_NEGATIVE_EXPONENT: Final = re.compile(r"e-\d")
_POSITIVE_EXPONENT: Final = re.compile(r"e\+\d")
# A JSON string, or a number with a fraction or an exponent (Python writes every float so).
_STRING_OR_DOUBLE: Final = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?e[-+]\d+|-?\d+\.\d+')


def _java_token(match: re.Match[str]) -> str:
    token = match.group()
    return token if token[0] == '"' else java_double(float(token))


def java_doubles(text: str) -> str:
    """Rewrite the doubles of JSON text written by Python's encoder as Java writes them.

    This runs on every transition, so the common case (no double outside [1e-3, 1e7)) is a few
    substring searches; only text that may hold one is re-tokenised.
    """
    if (
        ("." in text and _PLAIN_OUT_OF_JAVA_RANGE.search(text) is not None)
        or ("-" in text and _NEGATIVE_EXPONENT.search(text) is not None)
        or ("+" in text and _POSITIVE_EXPONENT.search(text) is not None)
    ):
        return _STRING_OR_DOUBLE.sub(_java_token, text)
    return text


#: Events that may be the execution's last (AWS lets event 25,000 be one of these).
TERMINAL_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)


class HistoryLimitReachedError(Exception):
    """The next event would be number 25,000 and is not the execution's end."""


class HistoryWriter:
    """Appends events with contiguous ids to ``events``.

    AWS caps a history at 25,000 events: when the 25,000th would be anything but the execution's
    end, the execution fails instead (:class:`HistoryLimitReachedError` tells the engine so).
    """

    __slots__ = ("events", "next_id", "now_ms")

    def __init__(self, next_id: int, now_ms: int) -> None:
        self.events: list[dict[str, Any]] = []
        self.next_id = next_id
        self.now_ms = now_ms

    def add(
        self,
        event_type: str,
        previous_event_id: int,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Append one event and return its id."""
        event_id = self.next_id
        if event_id >= MAX_HISTORY_EVENTS and event_type not in TERMINAL_EVENTS:
            raise HistoryLimitReachedError
        self.next_id = event_id + 1
        event: dict[str, Any] = {
            "timestamp": self.now_ms,
            "type": event_type,
            "id": event_id,
            "previousEventId": previous_event_id,
        }
        if details_key is not None:
            event[details_key] = details if details is not None else {}
        self.events.append(event)
        return event_id


def payload_details(key: str, text: str) -> dict[str, Any]:
    """``{key: text, keyDetails: {"truncated": false}}`` — AWS's shape for a recorded payload."""
    return {key: text, key + "Details": dict(NOT_TRUNCATED)}


def failure_details(error: str | None, cause: str | None) -> dict[str, Any]:
    """``{error, cause}`` with absent members left out, as AWS records them."""
    details: dict[str, Any] = {}
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    return details
